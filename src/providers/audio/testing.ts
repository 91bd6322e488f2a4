import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { bundledFfmpegPath } from './convert.js';

/**
 * For tests and benchmarks only: audio of every accepted kind, made by the same ffmpeg from a
 * sine tone (`-f lavfi -i sine=…`), so no binary fixture is committed. Each is cached per run.
 */

/** ffmpeg's output options and file name for each kind; `seconds` of a 440 Hz tone at 44.1 kHz go in. */
export const SAMPLES = {
  'wav s16 44.1 kHz stereo': { file: 'a.wav', args: ['-ac', '2', '-c:a', 'pcm_s16le'] },
  'wav µ-law 8 kHz': { file: 'a.wav', args: ['-ar', '8000', '-c:a', 'pcm_mulaw'] },
  'wav A-law 8 kHz': { file: 'a.wav', args: ['-ar', '8000', '-c:a', 'pcm_alaw'] },
  'wav 24-bit stereo (WAVE_FORMAT_EXTENSIBLE)': { file: 'a.wav', args: ['-ac', '2', '-c:a', 'pcm_s24le'] },
  'wav float 48 kHz': { file: 'a.wav', args: ['-ar', '48000', '-c:a', 'pcm_f32le'] },
  mp3: { file: 'a.mp3', args: ['-c:a', 'libmp3lame', '-b:a', '128k'] },
  'ogg opus': { file: 'a.opus', args: ['-ar', '48000', '-c:a', 'libopus', '-b:a', '32k'] },
  'ogg vorbis': { file: 'a.ogg', args: ['-c:a', 'libvorbis'] },
  'm4a aac': { file: 'a.m4a', args: ['-c:a', 'aac', '-b:a', '64k'] },
  'mp4 aac (isom brand)': { file: 'a.mp4', args: ['-c:a', 'aac', '-b:a', '64k'] },
  'adts aac': { file: 'a.aac', args: ['-c:a', 'aac', '-b:a', '64k', '-f', 'adts'] },
  flac: { file: 'a.flac', args: ['-c:a', 'flac'] },
  'webm opus': { file: 'a.webm', args: ['-ar', '48000', '-c:a', 'libopus', '-b:a', '32k', '-f', 'webm'] },
  'amr-nb': { file: 'a.amr', args: ['-ar', '8000', '-ac', '1', '-c:a', 'libopencore_amrnb', '-b:a', '12.2k'] },
  'amr-wb': { file: 'a.amr', args: ['-ar', '16000', '-ac', '1', '-c:a', 'libvo_amrwbenc', '-b:a', '23.85k', '-f', 'amr'] },
  '3gp amr-nb': { file: 'a.3gp', args: ['-ar', '8000', '-ac', '1', '-c:a', 'libopencore_amrnb', '-b:a', '12.2k'] },
} as const;
export type SampleKind = keyof typeof SAMPLES;

const cache = new Map<string, Promise<Buffer>>();

/** `seconds` of a tone as `kind`, made once per run. */
export function sample(kind: SampleKind, seconds = 1, frequency = 440): Promise<Buffer> {
  const key = `${kind}/${seconds}/${frequency}`;
  let made = cache.get(key);
  if (!made) {
    made = encode(SAMPLES[kind].file, [...SAMPLES[kind].args], seconds, frequency);
    cache.set(key, made);
  }
  return made;
}

/** Any encoding of a tone: the file name's extension picks the muxer unless `-f` says otherwise. */
export async function encode(file: string, args: string[], seconds: number, frequency = 440): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'wasl-audio-sample-'));
  try {
    const out = join(dir, file);
    const input = ['-f', 'lavfi', '-i', `sine=frequency=${frequency}:sample_rate=44100:duration=${seconds}`];
    await promisify(execFile)(bundledFfmpegPath(), ['-nostdin', '-hide_banner', '-loglevel', 'error', ...input, ...args, out], { maxBuffer: 1 << 20 });
    return await readFile(out);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
