import { ProviderError } from '../errors.js';
import { createEspeakProcess, probeEspeak } from './espeak-process.js';
import { createEspeakWasm } from './espeak-wasm.js';
import type { EspeakRunner, TtsPort } from './port.js';
import { sealWav } from './wav-header.js';
import { detectLanguage, ESPEAK_VOICES, speakableText } from './voices.js';

export type { TtsAudio, TtsLanguage, TtsPort, TtsVoice } from './port.js';
export { detectLanguage, speakableText, TTS_MAX_CHARS } from './voices.js';

/** TTS_ENGINE: `auto` runs the espeak-ng program when it runs here, else the WASM build. */
export type TtsEngineChoice = 'auto' | 'process' | 'wasm';

export interface CreateTtsOptions {
  /** ESPEAK_NG_PATH; null/absent → `espeak-ng` on PATH. */
  espeakPath?: string | null;
  prefer?: TtsEngineChoice;
  timeoutMs?: number;
}

export type Tts = TtsPort & { close(): Promise<void> };

/**
 * The TTS port over one espeak-ng runner, chosen on first use (so building an app spawns nothing):
 * the program when asked for, or when `auto` finds `espeak-ng` on PATH and its `--version` runs;
 * else WASM. A program that was named (ESPEAK_NG_PATH, or TTS_ENGINE=process) but does not run is a
 * set-up mistake, said at first use rather than hidden by the fallback.
 */
export function createTts({ espeakPath = null, prefer = 'auto', timeoutMs }: CreateTtsOptions = {}): Tts {
  const program = espeakPath ?? 'espeak-ng';
  let runner: EspeakRunner | null = null;

  function chosen(): EspeakRunner {
    if (runner) return runner;
    const found = prefer === 'wasm' ? null : probeEspeak(program);
    if (!found && (prefer === 'process' || (prefer === 'auto' && espeakPath))) {
      const named = prefer === 'process' ? 'TTS_ENGINE=process' : `ESPEAK_NG_PATH=${program}`;
      throw new ProviderError('tts', 'no_program', `${named}, but ${program} does not run here: install Debian's espeak-ng, fix ESPEAK_NG_PATH, or use TTS_ENGINE=wasm`, 'never');
    }
    runner = found ? createEspeakProcess({ path: program, timeoutMs }) : createEspeakWasm({ timeoutMs });
    return runner;
  }

  return {
    get engine() {
      return chosen().name;
    },
    async render(text, voice, language) {
      const words = speakableText(text);
      const engine = chosen();
      const bytes = await engine.synthesize(words, ESPEAK_VOICES[language ?? detectLanguage(words)][voice]);
      try {
        return sealWav(bytes);
      } catch (err) {
        throw new ProviderError(`tts/${engine.name}`, 'bad_output', `espeak-ng wrote no usable WAV: ${(err as Error).message}`, 'never', undefined, { cause: err });
      }
    },
    async close() {
      await runner?.close();
    },
  };
}
