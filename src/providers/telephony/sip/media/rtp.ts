import { randomBytes } from 'node:crypto';

/**
 * RTP packets (RFC 3550 §5.1). We send the plain form (no CSRC, extension or padding); parsing
 * accepts every legal form a trunk or SBC may send and refuses what is not RTP version 2, so one
 * stray datagram never reaches the decoder.
 */

export const RTP_HEADER_BYTES = 12;

export interface RtpHeader {
  payloadType: number;
  /** 16-bit, wraps. */
  sequence: number;
  /** 32-bit, in samples of the payload's clock (8000 Hz for G.711 and telephone-event here). */
  timestamp: number;
  ssrc: number;
  marker: boolean;
}

export interface RtpPacket extends RtpHeader {
  csrc: number[];
  extension: { profile: number; data: Buffer } | null;
  /** Padding bytes that were removed from the end (0 when the P bit was clear). */
  padding: number;
  payload: Buffer;
}

/** Writes a version-2 packet: 12-byte header (+ 4 per CSRC) and the payload. */
export function buildRtp(packet: RtpHeader & { payload: Uint8Array; csrc?: readonly number[] }): Buffer {
  const csrc = packet.csrc ?? [];
  if (csrc.length > 15) throw new RangeError('at most 15 CSRCs');
  if (!Number.isInteger(packet.payloadType) || packet.payloadType < 0 || packet.payloadType > 127) throw new RangeError(`payload type ${packet.payloadType}`);
  const header = RTP_HEADER_BYTES + 4 * csrc.length;
  const out = Buffer.allocUnsafe(header + packet.payload.length);
  out[0] = 0x80 | csrc.length;
  out[1] = (packet.marker ? 0x80 : 0) | packet.payloadType;
  out.writeUInt16BE(packet.sequence & 0xffff, 2);
  out.writeUInt32BE(packet.timestamp >>> 0, 4);
  out.writeUInt32BE(packet.ssrc >>> 0, 8);
  csrc.forEach((id, i) => out.writeUInt32BE(id >>> 0, RTP_HEADER_BYTES + 4 * i));
  out.set(packet.payload, header);
  return out;
}

/** The packet, or null when the datagram is not a well-formed RTP version-2 packet. */
export function parseRtp(datagram: Uint8Array): RtpPacket | null {
  if (datagram.length < RTP_HEADER_BYTES) return null;
  const buf = Buffer.isBuffer(datagram) ? datagram : Buffer.from(datagram.buffer, datagram.byteOffset, datagram.length);
  const first = buf[0]!;
  if (first >> 6 !== 2) return null;
  const hasPadding = (first & 0x20) !== 0;
  const hasExtension = (first & 0x10) !== 0;
  const csrcCount = first & 0x0f;
  let offset = RTP_HEADER_BYTES + 4 * csrcCount;
  if (buf.length < offset) return null;
  const csrc: number[] = [];
  for (let i = 0; i < csrcCount; i++) csrc.push(buf.readUInt32BE(RTP_HEADER_BYTES + 4 * i));
  let extension: RtpPacket['extension'] = null;
  if (hasExtension) {
    if (buf.length < offset + 4) return null;
    const profile = buf.readUInt16BE(offset);
    const words = buf.readUInt16BE(offset + 2);
    const end = offset + 4 + 4 * words;
    if (buf.length < end) return null;
    extension = { profile, data: buf.subarray(offset + 4, end) };
    offset = end;
  }
  let end = buf.length;
  let padding = 0;
  if (hasPadding) {
    // The last byte counts the padding, itself included (RFC 3550 §5.1): 0 or more than is left is junk.
    padding = buf[buf.length - 1]!;
    if (padding === 0 || padding > end - offset) return null;
    end -= padding;
  }
  return {
    payloadType: buf[1]! & 0x7f,
    marker: (buf[1]! & 0x80) !== 0,
    sequence: buf.readUInt16BE(2),
    timestamp: buf.readUInt32BE(4),
    ssrc: buf.readUInt32BE(8),
    csrc,
    extension,
    padding,
    payload: buf.subarray(offset, end),
  };
}

/**
 * RTCP sharing the port (RFC 5761 §4): its packet types 200–204 read as marker + payload type 72–76,
 * which no RTP payload type may use. We do not negotiate rtcp-mux, but a peer may send it anyway.
 */
export function isRtcp(datagram: Uint8Array): boolean {
  const type = datagram[1] ?? 0;
  return datagram.length >= 8 && type >= 192 && type <= 223;
}

/** A new stream's random SSRC, first sequence number and first timestamp (RFC 3550 §5.1: all random). */
export function randomRtpStart(): { ssrc: number; sequence: number; timestamp: number } {
  const bytes = randomBytes(10);
  return { ssrc: bytes.readUInt32BE(0), sequence: bytes.readUInt16BE(4), timestamp: bytes.readUInt32BE(6) };
}
