import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ProviderError } from '../errors.js';
import type { EspeakRunner } from './port.js';
import type { RenderReply, RenderRequest } from './espeak-wasm-worker.js';

const PROVIDER = 'tts/espeak-ng/wasm';

export interface EspeakWasmOptions {
  /** Per render, from when a thread takes it; a thread past it is terminated (and replaced on demand). */
  timeoutMs?: number;
  /** Threads at most, each rendering one text at a time, started on demand (~1 s) and ~250 MB while in use. */
  threads?: number;
  /** A thread idle this long ends, giving its memory back (renders are rare once the caller caches). */
  idleMs?: number;
}

interface Job {
  request: RenderRequest;
  resolve: (wav: Buffer) => void;
  reject: (err: Error) => void;
}
interface Thread {
  worker: Worker;
  job: Job | null;
  timer?: NodeJS.Timeout;
  idle?: NodeJS.Timeout;
}

/**
 * The npm package `espeak-ng` (espeak-ng's command line compiled to WASM, GPL-3.0) run as a WASM
 * module in worker threads — never linked natively, and off the event loop: a render blocks its
 * thread for ~0.3 s (150 characters) to ~1 s (2,000), which on the main thread would stall every
 * call's timers and RTP pacing. Needs no system package and no network.
 */
export function createEspeakWasm({ timeoutMs = 30_000, threads = 1, idleMs = 60_000 }: EspeakWasmOptions = {}): EspeakRunner {
  // The worker has the same extension as this file (.ts under tsx, which workers inherit through execArgv).
  const workerUrl = new URL(`./espeak-wasm-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url);
  const pool: Thread[] = [];
  const queue: Job[] = [];
  let nextId = 1;
  let closed = false;
  const closedError = () => new ProviderError(PROVIDER, 'closed', 'text-to-speech was shut down', 'later');

  function finish(thread: Thread, settle: (job: Job) => void) {
    const job = thread.job;
    clearTimeout(thread.timer);
    thread.job = null;
    // An idle thread must not keep the process alive; a busy one must, or an awaited render could be dropped.
    thread.worker.unref();
    thread.idle = setTimeout(() => void thread.worker.terminate(), idleMs).unref();
    if (job) settle(job);
  }

  function discard(thread: Thread, err: Error) {
    const at = pool.indexOf(thread);
    if (at >= 0) pool.splice(at, 1);
    finish(thread, (job) => job.reject(err));
    clearTimeout(thread.idle);
    void thread.worker.terminate();
    pump();
  }

  function spawnThread(): Thread {
    const thread: Thread = { worker: new Worker(workerUrl), job: null };
    thread.worker.on('message', (reply: RenderReply) => {
      if (thread.job?.request.id !== reply.id) return;
      if ('wav' in reply) finish(thread, (job) => job.resolve(Buffer.from(reply.wav.buffer, reply.wav.byteOffset, reply.wav.byteLength)));
      else finish(thread, (job) => job.reject(new ProviderError(PROVIDER, reply.exitStatus === null ? 'crash' : 'exit', reply.error, 'never')));
      pump();
    });
    thread.worker.on('error', (err) => discard(thread, new ProviderError(PROVIDER, 'crash', `espeak-ng thread failed: ${err.message}`, 'later', undefined, { cause: err })));
    thread.worker.on('exit', (code) => discard(thread, closed ? closedError() : new ProviderError(PROVIDER, 'crash', `espeak-ng thread exited (${code})`, 'later')));
    pool.push(thread);
    return thread;
  }

  function pump() {
    while (!closed && queue.length > 0) {
      const thread = pool.find((t) => t.job === null) ?? (pool.length < threads ? spawnThread() : null);
      if (!thread) return;
      const job = queue.shift()!;
      thread.job = job;
      clearTimeout(thread.idle);
      thread.worker.ref();
      thread.timer = setTimeout(() => discard(thread, new ProviderError(PROVIDER, 'timeout', `espeak-ng (WASM) did not finish within ${timeoutMs} ms`, 'later')), timeoutMs);
      thread.worker.postMessage(job.request);
    }
  }

  return {
    name: 'espeak-ng/wasm',
    synthesize(text, voice) {
      if (closed) return Promise.reject(closedError());
      return new Promise((resolve, reject) => {
        queue.push({ request: { id: nextId++, text, voice }, resolve, reject });
        pump();
      });
    },
    async close() {
      closed = true;
      for (const job of queue.splice(0)) job.reject(closedError());
      await Promise.all(pool.splice(0).map((thread) => {
        finish(thread, (job) => job.reject(closedError()));
        return thread.worker.terminate();
      }));
    },
  };
}
