import type { TtsEngineChoice } from './index.js';

/**
 * The settings config.ts parses under its `[tts]` marker, added to `Config` by declaration merging
 * so the shared interface needs no edit: ESPEAK_NG_PATH (the espeak-ng program; default
 * `espeak-ng` on PATH) and TTS_ENGINE (`auto` | `process` | `wasm`, default `auto`).
 */
declare module '../../config.js' {
  interface Config {
    espeakNgPath: string | null;
    ttsEngine: TtsEngineChoice;
  }
}
