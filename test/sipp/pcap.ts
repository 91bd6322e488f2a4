import { writeFileSync } from 'node:fs';
import { concatPcm, dtmfTone } from '../../src/providers/telephony/sip/media/dtmf-generate.js';
import { g711Encode, type G711Law } from '../../src/providers/telephony/sip/media/g711.js';
import { telephoneEventPayloads } from '../../src/providers/telephony/sip/media/rfc4733.js';
import { buildRtp, randomRtpStart } from '../../src/providers/telephony/sip/media/rtp.js';

/**
 * Small pcap files of RTP for sipp's `play_pcap_audio` (which replays each packet's UDP payload
 * with its capture timing, from sipp's media port to the address in our SDP). Built from our own
 * RTP code: a key as RFC 4733 telephone-events, or as an in-band tone in G.711. sipp 3.6's own
 * `play_dtmf` sends payload type 96 whatever was negotiated, so it cannot stand in for these.
 */

export interface TimedPacket {
  atMs: number;
  rtp: Buffer;
}

const ETHERNET = 14;
const IPV4 = 20;
const UDP = 8;

/** A classic pcap (Ethernet, IPv4, UDP 40000 → 40002) of the packets at their times. */
export function pcapOf(packets: TimedPacket[]): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16); // snaplen
  header.writeUInt32LE(1, 20); // LINKTYPE_ETHERNET
  const records = packets.map(({ atMs, rtp }) => {
    const frame = Buffer.alloc(ETHERNET + IPV4 + UDP + rtp.length);
    frame.writeUInt16BE(0x0800, 12);
    const ip = frame.subarray(ETHERNET);
    ip[0] = 0x45;
    ip.writeUInt16BE(IPV4 + UDP + rtp.length, 2);
    ip[8] = 64;
    ip[9] = 17; // UDP
    Buffer.from([127, 0, 0, 1, 127, 0, 0, 1]).copy(ip, 12);
    let sum = 0;
    for (let i = 0; i < IPV4; i += 2) sum += ip.readUInt16BE(i);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
    ip.writeUInt16BE(~sum & 0xffff, 10);
    const udp = ip.subarray(IPV4);
    udp.writeUInt16BE(40000, 0);
    udp.writeUInt16BE(40002, 2);
    udp.writeUInt16BE(UDP + rtp.length, 4);
    rtp.copy(udp, UDP);
    const record = Buffer.alloc(16);
    const at = 1_700_000_000_000 + atMs;
    record.writeUInt32LE(Math.floor(at / 1000), 0);
    record.writeUInt32LE(Math.round((at % 1000) * 1000), 4);
    record.writeUInt32LE(frame.length, 8);
    record.writeUInt32LE(frame.length, 12);
    return Buffer.concat([record, frame]);
  });
  return Buffer.concat([header, ...records]);
}

/** Keys as telephone-events (payload type `pt`), each `toneMs` long, `gapMs` apart. */
export function rfc4733Packets(keys: string, options: { pt?: number; toneMs?: number; gapMs?: number } = {}): TimedPacket[] {
  const start = randomRtpStart();
  const out: TimedPacket[] = [];
  let sequence = start.sequence;
  let at = 0;
  for (const key of keys) {
    const timestamp = (start.timestamp + at * 8) >>> 0;
    const payloads = telephoneEventPayloads(key, options.toneMs ?? 100);
    payloads.forEach((p, i) => {
      // Updates every 20 ms; the three end packets back to back, as gateways send them.
      const atMs = at + Math.min(i, payloads.length - 3) * 20;
      out.push({ atMs, rtp: buildRtp({ payloadType: options.pt ?? 101, sequence: sequence++ & 0xffff, timestamp, ssrc: start.ssrc, marker: p.marker, payload: p.payload }) });
    });
    at += (options.toneMs ?? 100) + (options.gapMs ?? 100);
  }
  return out;
}

/** Keys as DTMF tones in G.711 20-ms packets (payload type 0 or 8), with silence before and after. */
export function inbandPackets(keys: string, law: G711Law, options: { toneMs?: number; gapMs?: number } = {}): TimedPacket[] {
  const start = randomRtpStart();
  const gap = new Int16Array(((options.gapMs ?? 100) * 8000) / 1000);
  const pcm = concatPcm([gap, ...[...keys].flatMap((k) => [dtmfTone(k, options.toneMs ?? 120), gap])]);
  const out: TimedPacket[] = [];
  for (let i = 0; i * 160 < pcm.length; i++) {
    const payload = Buffer.from(g711Encode(law, pcm.subarray(i * 160, i * 160 + 160)));
    out.push({ atMs: i * 20, rtp: buildRtp({ payloadType: law === 'PCMA' ? 8 : 0, sequence: (start.sequence + i) & 0xffff, timestamp: (start.timestamp + i * 160) >>> 0, ssrc: start.ssrc, marker: i === 0, payload }) });
  }
  return out;
}

export const writePcap = (path: string, packets: TimedPacket[]) => writeFileSync(path, pcapOf(packets));
