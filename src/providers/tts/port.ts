/**
 * What Wasl needs from a text-to-speech engine (issue 10): a WAV of the given words, in Arabic or
 * English, in a male or a female voice. Hatif's `ttsVoice` is `Male` | `Female`; the caller converts
 * the WAV to 8 kHz for telephony and caches it by text and voice (this port never caches).
 */
export type TtsVoice = 'Male' | 'Female';
export type TtsLanguage = 'ar' | 'en';

export interface TtsAudio {
  /** A canonical RIFF/WAVE file: PCM, mono, 16-bit, its sizes filled in (never a streamed header). */
  wav: Buffer;
  sampleRate: number;
}

export interface TtsPort {
  /** Which engine renders (`espeak-ng/process`, `espeak-ng/wasm`): part of a cache key, since engines sound different. */
  readonly engine: string;
  /**
   * Speaks `text` (at most `TTS_MAX_CHARS` characters). `language` defaults to the text's script:
   * Arabic letters → `ar`, otherwise `en`. Same text, voice and language → the same bytes.
   * Refuses empty or overlong text with an AppError (400, naming `ttsText`); an engine failure is a
   * ProviderError (time-out and crash: `later`; a program that cannot start: `never`).
   */
  render(text: string, voice: TtsVoice, language?: TtsLanguage): Promise<TtsAudio>;
}

/** A synthesizer of espeak-ng's command line: one espeak voice name (`ar+m3`) and prepared text → WAV bytes. */
export interface EspeakRunner {
  readonly name: string;
  synthesize(text: string, voice: string): Promise<Buffer>;
  /** Ends work in flight (its renders fail) and frees processes or threads. */
  close(): Promise<void>;
}
