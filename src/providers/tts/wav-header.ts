/**
 * espeak-ng's WAV as a canonical file. With `--stdout` it cannot seek back, so its RIFF and data
 * sizes stay at the 0x7ffff000 placeholders a streamed header carries; readers that trust them
 * (ffmpeg warns, others read past the end) get the real sizes instead. Only what espeak-ng writes
 * is accepted: PCM, mono, 16-bit, fmt before data.
 */
export function sealWav(input: Buffer): { wav: Buffer; sampleRate: number } {
  if (input.length < 44 || input.toString('latin1', 0, 4) !== 'RIFF' || input.toString('latin1', 8, 12) !== 'WAVE') {
    throw new Error(`not a RIFF/WAVE file (${input.length} bytes)`);
  }
  let offset = 12;
  let sampleRate: number | null = null;
  while (offset + 8 <= input.length) {
    const id = input.toString('latin1', offset, offset + 4);
    const size = input.readUInt32LE(offset + 4);
    if (id === 'fmt ') {
      const format = input.readUInt16LE(offset + 8);
      const channels = input.readUInt16LE(offset + 10);
      const bits = input.readUInt16LE(offset + 22);
      if (format !== 1 || channels !== 1 || bits !== 16) throw new Error(`expected PCM mono 16-bit, got format ${format}, ${channels} channel(s), ${bits} bits`);
      sampleRate = input.readUInt32LE(offset + 12);
    } else if (id === 'data') {
      if (sampleRate === null) throw new Error('data chunk before fmt chunk');
      const start = offset + 8;
      // Whole samples only; a streamed header's size is larger than what is there.
      const length = Math.min(size, input.length - start) & ~1;
      if (length === 0) throw new Error('no audio samples');
      const wav = Buffer.from(input.subarray(0, start + length));
      wav.writeUInt32LE(wav.length - 8, 4);
      wav.writeUInt32LE(length, offset + 4);
      return { wav, sampleRate };
    }
    offset += 8 + size + (size & 1);
  }
  throw new Error('no data chunk');
}
