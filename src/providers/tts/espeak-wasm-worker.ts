import { readFileSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import ESpeakNg from 'espeak-ng';

/**
 * A worker thread of `espeak-wasm.ts`: renders with the npm package's WASM build of espeak-ng's
 * command line, one request at a time. The module is compiled once per thread; every render gets
 * a fresh instance (espeak's `main` keeps global state, e.g. getopt's), which also makes the output
 * depend on the text and voice alone. Nothing here touches the network or the real file system
 * beyond reading the .wasm: the voice data is embedded in it and the text and WAV live in the
 * instance's in-memory FS.
 */
export interface RenderRequest {
  id: number;
  text: string;
  voice: string;
}
export type RenderReply = { id: number; wav: Uint8Array } | { id: number; error: string; exitStatus: number | null };

/** The little of the WebAssembly global used here (the project's TypeScript lib has no WebAssembly types). */
interface Wasm {
  compile(bytes: Uint8Array): Promise<object>;
  instantiate(module: object, imports: object): Promise<object>;
}
const wasm = (globalThis as unknown as { WebAssembly: Wasm }).WebAssembly;

/**
 * espeak-ng ≥ 1.52 seeds its noise generator with time(NULL) (breath noise of some variants): the
 * instance's wall clock is pinned, so the output depends on text and voice alone. Nothing in a
 * render needs the real date.
 */
const PINNED_DATE_MS = Date.UTC(2024, 0, 1);
const withPinnedClock = (imports: object) => {
  const { env } = imports as { env: Record<string, unknown> };
  return { ...imports, env: { ...env, emscripten_date_now: () => PINNED_DATE_MS } };
};

const compiled = wasm.compile(readFileSync(new URL('espeak-ng.wasm', import.meta.resolve('espeak-ng'))));

class EspeakExit extends Error {
  constructor(readonly status: number, output: string[]) {
    super(`espeak-ng exited with ${status}: ${output.filter((line) => !line.startsWith('program exited')).join(' ').trim() || '(no message)'}`);
  }
}

function render(module: object, text: string, voice: string): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    let status = 0;
    const output: string[] = [];
    ESpeakNg({
      // The text goes in a file, not argv: argv is copied onto a 64 KB stack.
      arguments: ['-v', voice, '-b', '1', '-w', '/out.wav', '-f', '/in.txt'],
      thisProgram: 'espeak-ng',
      print: (line) => void output.push(line),
      printErr: (line) => void output.push(line),
      // exit() must throw to unwind main; the package's default would also set this process's exit code.
      quit: (code, toThrow) => {
        status = code;
        throw toThrow;
      },
      preRun: [(m) => m.FS.writeFile('/in.txt', text)],
      instantiateWasm(imports, ready) {
        wasm.instantiate(module, withPinnedClock(imports)).then(ready).catch(reject);
        return {};
      },
    }).then((m) => {
      if (status !== 0) reject(new EspeakExit(status, output));
      else resolve(m.FS.readFile('/out.wav'));
    }, reject);
  });
}

const port = parentPort;
if (!port) throw new Error('espeak-wasm-worker.ts runs as a worker thread (see espeak-wasm.ts)');
port.on('message', async ({ id, text, voice }: RenderRequest) => {
  try {
    const wav = await render(await compiled, text, voice);
    port.postMessage({ id, wav } satisfies RenderReply, [wav.buffer as ArrayBuffer]);
  } catch (err) {
    const exitStatus = err instanceof EspeakExit ? err.status : null;
    port.postMessage({ id, error: (err as Error).message ?? String(err), exitStatus } satisfies RenderReply);
  }
});
