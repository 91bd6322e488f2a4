import { createDtmfDetector, type DtmfDetectorOptions } from './dtmf-detect.js';
import { g711Decode, type G711Law } from './g711.js';
import { createTelephoneEventReceiver } from './rfc4733.js';
import type { RtpPacket } from './rtp.js';

/** An RFC 4733 key within ±1 s (RTP clock, same SSRC; else wall clock) of an in-band one of the same digit is that press. */
const TWIN_WINDOW = 8000;

/**
 * A call's keys, each once, from both paths: the audio (in-band tones, Goertzel) and telephone-events
 * (RFC 4733). A gateway that sends events may still pass the tone's start in its audio, so the first
 * event switches in-band detection off for the call, and an event matching the in-band key just
 * heard (the press both saw) is not a second key.
 */
export function createKeyReceiver(options: { inband: boolean; dtmf?: DtmfDetectorOptions }, emit: (digit: string, via: 'rfc4733' | 'inband') => void) {
  let inband = options.inband;
  const detector = createDtmfDetector(options.dtmf);
  const events = createTelephoneEventReceiver();
  let lastInband: { key: string; ssrc: number; timestamp: number; at: number } | null = null;

  return {
    /** A packet of the call's codec, received at `at` (ms, monotonic). */
    audio(packet: RtpPacket, law: G711Law, at: number) {
      if (!inband) return;
      for (const key of detector.push(g711Decode(law, packet.payload))) {
        lastInband = { key, ssrc: packet.ssrc, timestamp: packet.timestamp, at };
        emit(key, 'inband');
      }
    },
    /** A telephone-event packet. */
    event(packet: RtpPacket, at: number) {
      inband = false;
      const key = events.receive(packet);
      if (key === null) return;
      const twin = lastInband?.key === key && (lastInband.ssrc === packet.ssrc
        ? Math.abs((packet.timestamp - lastInband.timestamp) | 0) <= TWIN_WINDOW
        : at - lastInband.at <= (TWIN_WINDOW / 8000) * 1000);
      lastInband = null;
      if (!twin) emit(key, 'rfc4733');
    },
  };
}
