/**
 * DTMF as RTP telephone-events (RFC 4733, formerly RFC 2833): the payload, and the receiver's rule
 * that turns a stream of event packets into each key press once.
 *
 * One press is one event: every packet of it carries the same RTP timestamp (its start), the first
 * one the marker bit, then updates with a growing duration, then the end bit — sent three times.
 * Any of them may be lost, so a key is reported on the first packet seen of a new (SSRC, timestamp),
 * whether that is a start, an update or only an end packet.
 */

/** Events 0–15 in order (RFC 4733 §3.2). */
export const DTMF_KEYS = '0123456789*#ABCD';

export interface TelephoneEvent {
  /** 0–255; 0–15 are the DTMF keys. */
  event: number;
  end: boolean;
  /** Power level as -dBm0, 0–63. */
  volume: number;
  /** In timestamp units (1/8000 s here) since the event began, 0–65535. */
  duration: number;
}

export function encodeTelephoneEvent(e: TelephoneEvent): Buffer {
  const out = Buffer.alloc(4);
  out[0] = e.event & 0xff;
  out[1] = (e.end ? 0x80 : 0) | (Math.min(63, Math.max(0, Math.round(e.volume))) & 0x3f);
  out.writeUInt16BE(Math.min(0xffff, Math.max(0, Math.round(e.duration))), 2);
  return out;
}

/** The first event of a payload (its 4 bytes; the reserved bit is ignored), or null if shorter. */
export function decodeTelephoneEvent(payload: Uint8Array): TelephoneEvent | null {
  if (payload.length < 4) return null;
  return { event: payload[0]!, end: (payload[1]! & 0x80) !== 0, volume: payload[1]! & 0x3f, duration: (payload[2]! << 8) | payload[3]! };
}

/** '0'–'9', '*', '#', 'A'–'D' for events 0–15; null for the others (flash, modem and fax tones). */
export function keyOfEvent(event: number): string | null {
  return Number.isInteger(event) && event >= 0 && event < 16 ? DTMF_KEYS[event]! : null;
}

export function eventOfKey(key: string): number {
  const event = key.length === 1 ? DTMF_KEYS.indexOf(key.toUpperCase()) : -1;
  if (event < 0) throw new RangeError(`not a DTMF key: ${JSON.stringify(key)}`);
  return event;
}

/**
 * The payloads a sender emits for one press, as RFC 4733 §2.5.1 describes and common gateways do:
 * the start (marker), an update every `packetMs` with the duration so far, then the end packet three
 * times.
 * The caller sends them `packetMs` apart with one RTP timestamp (the start's) and rising sequence
 * numbers. Used by tests and by the fake callee.
 */
export function telephoneEventPayloads(key: string, durationMs: number, options: { volume?: number; packetMs?: number } = {}) {
  const event = eventOfKey(key);
  const volume = options.volume ?? 10;
  const step = (options.packetMs ?? 20) * 8;
  const total = Math.max(step, Math.round(durationMs * 8));
  const packets: { marker: boolean; payload: Buffer }[] = [];
  for (let duration = step; duration < total; duration += step) {
    packets.push({ marker: packets.length === 0, payload: encodeTelephoneEvent({ event, end: false, volume, duration }) });
  }
  for (let i = 0; i < 3; i++) packets.push({ marker: packets.length === 0, payload: encodeTelephoneEvent({ event, end: true, volume, duration: total }) });
  return packets;
}

interface Current {
  ssrc: number;
  timestamp: number;
  event: number;
  duration: number;
  ended: boolean;
}

/** Remembered presses: far more than can be in flight, so a late duplicate is still known. */
const REMEMBERED = 64;

/**
 * Receives telephone-event packets; answers a key the first time a press is seen, null for every
 * other packet (its updates and end repeats, non-DTMF events, junk).
 */
export function createTelephoneEventReceiver() {
  const seen: string[] = [];
  let current: Current | null = null;

  const remember = (id: string) => {
    seen.push(id);
    if (seen.length > REMEMBERED) seen.shift();
  };

  return {
    receive(packet: { ssrc: number; timestamp: number; marker: boolean; payload: Uint8Array }): string | null {
      const e = decodeTelephoneEvent(packet.payload);
      if (!e) return null;
      const key = keyOfEvent(e.event);
      if (key === null) return null;
      const id = `${packet.ssrc >>> 0}:${packet.timestamp >>> 0}`;
      if (seen.includes(id)) {
        if (current && current.ssrc === packet.ssrc && current.timestamp === packet.timestamp) {
          current.duration = Math.max(current.duration, e.duration);
          current.ended ||= e.end;
        }
        return null;
      }
      remember(id);
      // An event longer than the 16-bit duration (8.2 s) goes on in a new segment: a new timestamp
      // right where the last one's duration ended, no marker (RFC 4733 §2.5.1.5). Same press.
      const gap = current ? ((packet.timestamp - current.timestamp) >>> 0) - current.duration : -1;
      const segment = current !== null && !current.ended && !packet.marker && current.ssrc === packet.ssrc && current.event === e.event &&
        current.duration >= 0xf000 && gap >= 0 && gap <= 480;
      current = { ssrc: packet.ssrc, timestamp: packet.timestamp, event: e.event, duration: e.duration, ended: e.end };
      return segment ? null : key;
    },
  };
}
