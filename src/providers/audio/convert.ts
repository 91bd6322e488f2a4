import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { wavHeader } from '../../lib/wav.js';
import { ACCEPTED_AUDIO, detectAudio, type AudioInputType } from './formats.js';

/**
 * Any accepted audio in → WAV 8 kHz mono pcm_s16le out (telephony), by an ffmpeg process per
 * file: the binary of `@ffmpeg-installer/ffmpeg` unless FFMPEG_PATH names another. The type is
 * read from the bytes first and its demuxer forced, so ffmpeg never guesses (no playlists, no
 * concat scripts) and opens no protocol but the pipe (or, for MP4, one temporary file).
 */

export type AudioRefusal = 'unsupported' | 'undecodable' | 'too-long' | 'timeout';

/** Why a conversion was refused; `message` is safe to show (no paths, no addresses). */
export class AudioConversionError extends Error {
  constructor(
    readonly reason: AudioRefusal,
    message: string,
  ) {
    super(message);
  }
}

export interface TelephonyWav {
  /** A canonical 44-byte-header WAV: 8 kHz, mono, 16-bit PCM. */
  wav: Buffer;
  durationMs: number;
  /** What the input was (file-type's extension: wav, mp3, opus, ogg, m4a, mp4, 3gp, aac, flac, webm, mka, amr). */
  inputFormat: string;
}

const RATE = 8000;
/** Output beyond the cap before ffmpeg is stopped: enough to tell "over" from "at" the cap. */
const CAP_MARGIN_MS = 1000;
/** An input may decode a little longer than its nominal length (MP3/AAC padding, AMR frames). */
export const CAP_TOLERANCE_MS = 100;
/** Bare FFMPEG_PATH names resolve here; ffmpeg gets no other environment (none of Wasl's secrets). */
const CHILD_ENV = { PATH: '/usr/local/bin:/usr/bin:/bin' };

/** The bundled binary's path, found when first needed (nothing at import time). */
export function bundledFfmpegPath(): string {
  return (createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg') as { path: string }).path;
}

/**
 * The command line, from input to output; the same for every run (bit-exact flags, no metadata,
 * raw s16le out: a pipe cannot be seeked back to fill in a WAV header's sizes, so the header is
 * written here). `input` is `pipe:0` or a temporary file's path.
 */
export function ffmpegArgs(demuxer: AudioInputType['demuxer'], input: string, maxOutputMs?: number): string[] {
  const fromFile = input !== 'pipe:0';
  return [
    '-nostdin', '-hide_banner', '-loglevel', 'error',
    '-protocol_whitelist', fromFile ? 'file' : 'pipe',
    '-f', demuxer,
    // MP4 data references could name other local files; never follow them (ffmpeg's default, said out loud).
    ...(demuxer === 'mov' ? ['-enable_drefs', '0'] : []),
    '-i', input,
    '-map_metadata', '-1', '-vn', '-sn', '-dn',
    '-ac', '1', '-ar', String(RATE), '-c:a', 'pcm_s16le',
    '-fflags', '+bitexact', '-flags:a', '+bitexact',
    ...(maxOutputMs === undefined ? [] : ['-t', (maxOutputMs / 1000).toFixed(3)]),
    // Without it a pipe gets one write per packet (~400 bytes at 8 kHz): 45 times the reads, 4 times the CPU here.
    '-flush_packets', '0',
    '-f', 's16le', 'pipe:1',
  ];
}

/** ffmpeg's last words without anything local: no paths, no memory addresses, one line. */
function summary(stderr: string, hide: string[]): string {
  let text = stderr;
  for (const secret of hide) text = text.split(secret).join('input');
  const lines = text
    .replace(/ @ 0x[0-9a-f]+/g, '')
    .replace(/\/[^\s'"]+/g, '…')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^Last message repeated/.test(l));
  return [...new Set(lines)].slice(-2).join('; ').slice(0, 300);
}

/** At most `limit` conversions at once; the rest wait their turn (the time-out starts with the process). */
function semaphore(limit: number) {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async <T>(work: () => Promise<T>): Promise<T> => {
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await work();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}

export function createAudioConverter(options: { ffmpegPath?: string | null; timeoutMs?: number; maxConcurrent?: number } = {}) {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const turn = semaphore(options.maxConcurrent ?? availableParallelism());
  let path = options.ffmpegPath ?? null;
  const ffmpeg = () => (path ??= bundledFfmpegPath());

  /** Runs ffmpeg once: the raw PCM it wrote, or why it failed. */
  function run(args: string[], stdin: Buffer | null, maxBytes: number, hide: string[]): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const child = spawn(ffmpeg(), args, { stdio: ['pipe', 'pipe', 'pipe'], env: CHILD_ENV, windowsHide: true });
      const out: Buffer[] = [];
      let outBytes = 0;
      let err = '';
      let timedOut = false;
      let overflowed = false;
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, timeoutMs);
      child.stdout.on('data', (chunk: Buffer) => {
        outBytes += chunk.length;
        // -t bounds the output already; this only guards against an ffmpeg that ignores it.
        if (outBytes <= maxBytes) return void out.push(chunk);
        overflowed = true;
        child.kill('SIGKILL');
      });
      child.stderr.on('data', (chunk: Buffer) => {
        if (err.length < 8192) err += chunk.toString('utf8');
      });
      // ffmpeg stops reading once it has enough (the cap) or gives up on the input: EPIPE is expected.
      child.stdin.on('error', () => {});
      child.stdin.end(stdin ?? undefined);
      child.on('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        // Not the user's fault: a 500, logged with the code but not the path.
        reject(new Error(`ffmpeg could not be started (${e.code ?? e.message}); set FFMPEG_PATH to a working ffmpeg`));
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        if (timedOut) return reject(new AudioConversionError('timeout', `the conversion took longer than ${timeoutMs / 1000} s and was stopped.`));
        if (overflowed) return reject(new AudioConversionError('too-long', 'the audio is longer than the limit.'));
        if (code !== 0) {
          const why = summary(err, hide) || (signal ? `ffmpeg was stopped (${signal})` : `ffmpeg exited with ${code}`);
          return reject(new AudioConversionError('undecodable', `the audio could not be decoded: ${why}`));
        }
        resolve(Buffer.concat(out));
      });
    });
  }

  return {
    /**
     * The input as telephony WAV (8 kHz mono pcm_s16le), identical bytes for identical input.
     * `maxDurationMs`: longer input is refused (`too-long`) after decoding at most a second past it.
     */
    async toTelephonyWav(input: Buffer, opts: { maxDurationMs?: number } = {}): Promise<TelephonyWav> {
      const detected = await detectAudio(input);
      if ('found' in detected) throw new AudioConversionError('unsupported', `the file is ${detected.found}; send ${ACCEPTED_AUDIO}.`);
      const { type } = detected;
      const cap = opts.maxDurationMs;
      const maxOutputMs = cap === undefined ? undefined : cap + CAP_MARGIN_MS;
      const maxBytes = maxOutputMs === undefined ? Number.MAX_SAFE_INTEGER : Math.ceil((maxOutputMs / 1000) * RATE * 2) + 65_536;
      const pcm = await turn(async () => {
        if (!type.needsFile) return run(ffmpegArgs(type.demuxer, 'pipe:0', maxOutputMs), input, maxBytes, [ffmpeg()]);
        const dir = await mkdtemp(join(tmpdir(), 'wasl-audio-'));
        try {
          const file = join(dir, `input.${type.ext}`);
          await writeFile(file, input, { mode: 0o600 });
          return await run(ffmpegArgs(type.demuxer, file, maxOutputMs), null, maxBytes, [file, dir, ffmpeg()]);
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      });
      const samples = Math.floor(pcm.length / 2);
      const durationMs = Math.round((samples * 1000) / RATE);
      if (samples === 0) throw new AudioConversionError('undecodable', `the file looks like ${type.ext} but no audio could be decoded from it (0 samples).`);
      if (cap !== undefined && durationMs > cap + CAP_TOLERANCE_MS) {
        throw new AudioConversionError('too-long', `the audio is longer than the limit of ${cap / 1000} s.`);
      }
      const data = pcm.subarray(0, samples * 2);
      return { wav: Buffer.concat([wavHeader(data.length, RATE), data]), durationMs, inputFormat: type.ext };
    },
    /** The binary in use (for the operator's diagnostics; never put it in an answer). */
    ffmpegPath: ffmpeg,
  };
}
export type AudioConverter = ReturnType<typeof createAudioConverter>;
