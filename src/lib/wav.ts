/**
 * RIFF/WAVE reading and writing, just what telephony needs: what a WAV holds (`parseWav`), the
 * samples of an 8 kHz mono 16-bit one (`pcm16Of`), and a canonical 44-byte-header WAV (`wavOf`).
 * Chunks are walked one by one (LIST, fact, cue … before or after `fmt `, odd sizes padded to
 * even as RIFF requires), never assumed to sit at fixed offsets.
 */

export class WavError extends Error {}

export type WavFormat = 'pcm' | 'mulaw' | 'alaw' | 'float' | number;

export interface WavInfo {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  /** From the format code: 1 PCM, 3 IEEE float, 6 A-law, 7 µ-law; any other code as its number. */
  format: WavFormat;
  dataOffset: number;
  dataLength: number;
  /** Whole frames in the data chunk, in milliseconds (rounded). */
  durationMs: number;
}

const FORMAT: Record<number, WavFormat> = { 1: 'pcm', 3: 'float', 6: 'alaw', 7: 'mulaw' };
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;
/** A data chunk a streaming writer could not go back to size (ffmpeg to a pipe writes 0xFFFFFFFF). */
const UNSIZED = 0xffffffff;

export function parseWav(buf: Buffer): WavInfo {
  if (buf.length < 12 || buf.toString('latin1', 0, 4) !== 'RIFF' || buf.toString('latin1', 8, 12) !== 'WAVE') {
    throw new WavError('not a WAV file: it does not start with a RIFF/WAVE header');
  }
  // The RIFF size may be wrong (streamed writers) or lie past the end: the buffer is the truth.
  let fmt: Omit<WavInfo, 'dataOffset' | 'dataLength' | 'durationMs'> & { blockAlign: number } | null = null;
  let data: { offset: number; length: number } | null = null;
  let at = 12;
  while (at + 8 <= buf.length) {
    const id = buf.toString('latin1', at, at + 4);
    const size = buf.readUInt32LE(at + 4);
    const body = at + 8;
    if (id === 'data') {
      // A truncated or unsized data chunk keeps what is there, so a cut-off recording still plays.
      data = { offset: body, length: size === UNSIZED ? buf.length - body : Math.min(size, buf.length - body) };
      if (fmt) break;
    } else if (id === 'fmt ') {
      if (size < 16 || body + size > buf.length) throw new WavError('the fmt chunk is shorter than 16 bytes or cut off');
      fmt = readFmt(buf, body, size);
    }
    if (size === UNSIZED) break;
    at = body + size + (size % 2);
  }
  if (!fmt) throw new WavError('no fmt chunk');
  if (!data) throw new WavError('no data chunk');
  const frames = Math.floor(data.length / fmt.blockAlign);
  const { blockAlign: _, ...info } = fmt;
  return { ...info, dataOffset: data.offset, dataLength: data.length, durationMs: Math.round((frames * 1000) / fmt.sampleRate) };
}

function readFmt(buf: Buffer, at: number, size: number) {
  let code = buf.readUInt16LE(at);
  const channels = buf.readUInt16LE(at + 2);
  const sampleRate = buf.readUInt32LE(at + 4);
  const blockAlign = buf.readUInt16LE(at + 12);
  const bitsPerSample = buf.readUInt16LE(at + 14);
  // WAVE_FORMAT_EXTENSIBLE: the real code is the first two bytes of the SubFormat GUID (after cbSize, valid bits, channel mask).
  if (code === WAVE_FORMAT_EXTENSIBLE) {
    if (size < 40) throw new WavError('WAVE_FORMAT_EXTENSIBLE without its 24-byte extension');
    code = buf.readUInt16LE(at + 24);
  }
  if (channels === 0 || sampleRate === 0 || blockAlign === 0) throw new WavError('the fmt chunk has zero channels, sample rate or block size');
  return { sampleRate, channels, bitsPerSample, format: FORMAT[code] ?? code, blockAlign };
}

/** The samples of an 8 kHz mono 16-bit PCM WAV (what the converter makes); anything else throws. */
export function pcm16Of(buf: Buffer): Int16Array {
  const wav = parseWav(buf);
  if (wav.format !== 'pcm' || wav.bitsPerSample !== 16 || wav.channels !== 1 || wav.sampleRate !== 8000) {
    throw new WavError(`not an 8 kHz mono 16-bit PCM WAV: ${wav.sampleRate} Hz, ${wav.channels} channel(s), ${wav.bitsPerSample}-bit ${wav.format}`);
  }
  const samples = new Int16Array(Math.floor(wav.dataLength / 2));
  for (let i = 0; i < samples.length; i++) samples[i] = buf.readInt16LE(wav.dataOffset + 2 * i);
  return samples;
}

/** The canonical 44-byte header of a mono 16-bit PCM WAV whose data has `dataLength` bytes. */
export function wavHeader(dataLength: number, sampleRate = 8000): Buffer {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(36 + dataLength, 4);
  header.write('WAVEfmt ', 8, 'latin1');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * 2, 28); // bytes a second
  header.writeUInt16LE(2, 32); // block align
  header.writeUInt16LE(16, 34); // bits per sample
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(dataLength, 40);
  return header;
}

/** A mono 16-bit PCM WAV of these samples (little-endian, whatever the machine). */
export function wavOf(pcm: Int16Array, sampleRate = 8000): Buffer {
  const out = Buffer.alloc(44 + pcm.length * 2);
  wavHeader(pcm.length * 2, sampleRate).copy(out);
  for (let i = 0; i < pcm.length; i++) out.writeInt16LE(pcm[i]!, 44 + 2 * i);
  return out;
}
