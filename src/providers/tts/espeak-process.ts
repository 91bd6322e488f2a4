import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { ProviderError } from '../errors.js';
import type { EspeakRunner } from './port.js';

const PROVIDER = 'tts/espeak-ng/process';

export interface EspeakProcessOptions {
  /** The program: an absolute path, or a bare name looked up on PATH by the OS (`espeak-ng`). */
  path: string;
  /** Per render, from the program's start; a render past it is killed. */
  timeoutMs?: number;
  /** Programs running at once (more wait their turn): renders are CPU-bound. */
  concurrency?: number;
  /** Output past this is refused (2,000 characters make ~8 MB at 22,050 Hz). */
  maxOutputBytes?: number;
}

/** The program's version line when `path` runs, null when it does not (absent, not executable, missing libraries). */
export function probeEspeak(path: string): string | null {
  const result = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.error || result.status !== 0 || !/espeak/i.test(result.stdout)) return null;
  return result.stdout.trim().split('\n')[0] ?? null;
}

/**
 * espeak-ng (GPL-3.0) as a separate program, one process per render: text on stdin (never in a
 * shell or argv, so no quoting and no option injection), WAV on stdout, killed at the time-out.
 */
export function createEspeakProcess({ path, timeoutMs = 20_000, concurrency = availableParallelism(), maxOutputBytes = 64 * 1024 * 1024 }: EspeakProcessOptions): EspeakRunner {
  const running = new Set<ChildProcess>();
  const waiting: { go: () => void; stop: (err: Error) => void }[] = [];
  let closed = false;
  const closedError = () => new ProviderError(PROVIDER, 'closed', 'text-to-speech was shut down', 'later');

  // A slot passes straight from a finished render to the next waiting one.
  let active = 0;
  const acquire = () => (active < concurrency ? (active++, Promise.resolve()) : new Promise<void>((go, stop) => void waiting.push({ go, stop })));
  const release = () => {
    const next = waiting.shift();
    if (next) next.go();
    else active--;
  };

  function run(text: string, voice: string): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const child = spawn(path, ['-v', voice, '-b', '1', '--stdout'], { stdio: ['pipe', 'pipe', 'pipe'] });
      running.add(child);
      const out: Buffer[] = [];
      let outBytes = 0;
      let stderr = '';
      let failure: ProviderError | null = null;
      const fail = (err: ProviderError) => {
        failure ??= err;
        child.kill('SIGKILL');
      };
      const timer = setTimeout(() => fail(new ProviderError(PROVIDER, 'timeout', `espeak-ng did not finish within ${timeoutMs} ms`, 'later')), timeoutMs);
      child.stdout.on('data', (chunk: Buffer) => {
        outBytes += chunk.length;
        if (outBytes > maxOutputBytes) fail(new ProviderError(PROVIDER, 'too_large', `espeak-ng wrote more than ${maxOutputBytes} bytes`, 'never'));
        else out.push(chunk);
      });
      child.stderr.on('data', (chunk: Buffer) => void (stderr = (stderr + chunk.toString('utf8')).slice(0, 2000)));
      // A program that dies early closes its stdin (EPIPE): the exit below says why.
      child.stdin.on('error', () => {});
      child.stdin.end(text, 'utf8');
      child.on('error', (err) => {
        failure ??= new ProviderError(PROVIDER, 'spawn_failed', `cannot run ${path}: ${err.message}`, 'never', undefined, { cause: err });
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        running.delete(child);
        if (closed) reject(closedError());
        else if (failure) reject(failure);
        else if (signal) reject(new ProviderError(PROVIDER, 'killed', `espeak-ng was killed by ${signal}`, 'later'));
        else if (code !== 0) reject(new ProviderError(PROVIDER, 'exit', `espeak-ng exited with ${code}: ${stderr.trim() || '(no message)'}`, 'never'));
        else resolve(Buffer.concat(out));
      });
    });
  }

  return {
    name: 'espeak-ng/process',
    async synthesize(text, voice) {
      if (closed) throw closedError();
      await acquire();
      try {
        if (closed) throw closedError();
        return await run(text, voice);
      } finally {
        release();
      }
    },
    async close() {
      closed = true;
      for (const w of waiting.splice(0)) w.stop(closedError());
      const exits = [...running].map((child) => new Promise((done) => child.once('close', done)));
      for (const child of running) child.kill('SIGKILL');
      await Promise.all(exits);
    },
  };
}
