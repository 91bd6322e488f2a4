import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { createAudioConverter, ffmpegArgs } from '../src/providers/audio/convert.js';
import { encode } from '../src/providers/audio/testing.js';

/**
 * `npm run bench:audio`: conversion of a 10 MB MP3 (128 kb/s stereo, 44.1 kHz, ~10.4 min of a
 * tone over pink noise) to telephony WAV through the converter (`toTelephonyWav`: type from the
 * bytes, the process, the pipes, the WAV header), beside the same ffmpeg command spawned by hand
 * (stdin written, stdout collected, nothing else), alternating, in one run. Both outputs must be
 * the same samples. `--runs=N` (default 5) rounds of each.
 */
const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
const runs = Number(values.runs);
const log = (line: string) => process.stderr.write(`${line}\n`);

const converter = createAudioConverter({ timeoutMs: 300_000 });
const ffmpeg = converter.ffmpegPath();

log('making the MP3 …');
const seconds = 625; // 128 kb/s × 625 s = 10,000,000 bytes
const mp3 = await encodeNoisyMp3(seconds);
const args = ffmpegArgs('mp3', 'pipe:0');

/** The command by hand: the input on stdin, the raw PCM from stdout. */
function byHand(input: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(ffmpeg, args, { stdio: ['pipe', 'pipe', 'inherit'] });
    const out: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`ffmpeg exited with ${code}`))));
    child.stdin.end(input);
  });
}

/**
 * Wall time, this process's CPU (the converter's JavaScript: detection, pipes, buffers) and the
 * CPU of the children it waited for (ffmpeg: /proc/self/stat cutime + cstime, Linux, 10 ms ticks),
 * so the comparison holds on a busy machine too.
 */
function childrenCpuMs(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[13]) + Number(fields[14])) * 10; // cutime, cstime (fields 16 and 17), at 100 ticks a second
}
async function timed<T>(fn: () => Promise<T>): Promise<[{ wall: number; node: number; ffmpeg: number }, T]> {
  const [start, cpu, children] = [performance.now(), process.cpuUsage(), childrenCpuMs()];
  const result = await fn();
  const used = process.cpuUsage(cpu);
  return [{ wall: performance.now() - start, node: (used.user + used.system) / 1000, ffmpeg: childrenCpuMs() - children }, result];
}

type Sample = { wall: number; node: number; ffmpeg: number };
const times = { converter: [] as Sample[], hand: [] as Sample[] };
let durationMs = 0;
let wavBytes = 0;
for (let i = 0; i < runs; i++) {
  const [tc, converted] = await timed(() => converter.toTelephonyWav(mp3));
  const [th, pcm] = await timed(() => byHand(mp3));
  if (!converted.wav.subarray(44).equals(pcm)) throw new Error('the converter and the command by hand disagree');
  times.converter.push(tc);
  times.hand.push(th);
  durationMs = converted.durationMs;
  wavBytes = converted.wav.length;
  log(`round ${i + 1}: converter ${tc.wall.toFixed(0)} ms (node ${tc.node.toFixed(0)}, ffmpeg ${tc.ffmpeg} ms CPU), by hand ${th.wall.toFixed(0)} ms (node ${th.node.toFixed(0)}, ffmpeg ${th.ffmpeg} ms CPU)`);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const of = (samples: Sample[], key: keyof Sample) => samples.map((x) => x[key]);
const row = (name: string, xs: Sample[]) =>
  `| ${name} | ${median(of(xs, 'wall')).toFixed(0)} | ${Math.min(...of(xs, 'wall')).toFixed(0)} | ${((durationMs / median(of(xs, 'wall'))) | 0).toLocaleString('en')}× | ${median(of(xs, 'ffmpeg')).toFixed(0)} | ${median(of(xs, 'node')).toFixed(0)} |`;
console.log(`MP3 ${mp3.length.toLocaleString('en')} bytes, ${(durationMs / 1000).toFixed(1)} s of audio → WAV ${wavBytes.toLocaleString('en')} bytes; ${runs} rounds each, alternating; ${availableParallelism()} CPUs, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
console.log('');
console.log('| | wall median ms | wall best ms | real time | ffmpeg CPU ms | node CPU ms |');
console.log('|---|---:|---:|---:|---:|---:|');
console.log(row('`toTelephonyWav` (converter)', times.converter));
console.log(row('ffmpeg by hand (same command)', times.hand));
console.log('');
const overhead = (key: keyof Sample) => median(of(times.converter, key)) - median(of(times.hand, key));
console.log(`Converter minus by hand (medians): wall ${overhead('wall').toFixed(0)} ms, ffmpeg CPU ${overhead('ffmpeg').toFixed(0)} ms, node CPU ${overhead('node').toFixed(0)} ms.`);
console.log(`Command: ffmpeg ${args.join(' ')} < in.mp3 > out.pcm`);

/** A 440 Hz tone over pink noise, so the encoder and decoder do real work (a pure tone is near silence to MP3). */
async function encodeNoisyMp3(length: number): Promise<Buffer> {
  return encode('in.mp3', ['-f', 'lavfi', '-i', `anoisesrc=color=pink:amplitude=0.3:sample_rate=44100:duration=${length}`, '-filter_complex', 'amix=inputs=2', '-ac', '2', '-c:a', 'libmp3lame', '-b:a', '128k'], length);
}
