import { errors } from '../../lib/errors.js';
import type { TtsLanguage, TtsVoice } from './port.js';

/** The longest text rendered (~3 minutes of speech): a prompt, not a document. */
export const TTS_MAX_CHARS = 2000;

/**
 * espeak-ng voice + variant for each language and Hatif voice: m3 (a plain modal male, median pitch
 * ~103 Hz on our test sentences) and f4 (female, ~175 Hz). Not f2/f3/f5, the usual female picks:
 * their `breath` noise comes from a generator espeak-ng ≥ 1.52 seeds with the time, so the same
 * text would give different bytes from one second to the next. None is klatt-based (the WASM build
 * has no klatt synthesizer); both exist in Debian's espeak-ng 1.51 and the npm WASM build (1.52-dev).
 */
export const ESPEAK_VOICES: Record<TtsLanguage, Record<TtsVoice, string>> = {
  ar: { Male: 'ar+m3', Female: 'ar+f4' },
  en: { Male: 'en-us+m3', Female: 'en-us+f4' },
};

const ARABIC_LETTER = /[\u0620-\u064A\u066E-\u06D3\u06FA-\u06FF\u0750-\u077F\u08A0-\u08C9\uFB50-\uFDFB\uFE70-\uFEFC]/gu;
const LATIN_LETTER = /[A-Za-z\u00C0-\u024F]/g;

/** The text's language by its letters: more Arabic than Latin letters → `ar` (an English name in an Arabic prompt stays Arabic). */
export function detectLanguage(text: string): TtsLanguage {
  const arabic = text.match(ARABIC_LETTER)?.length ?? 0;
  const latin = text.match(LATIN_LETTER)?.length ?? 0;
  return arabic > 0 && arabic >= latin ? 'ar' : 'en';
}

/**
 * The text espeak-ng gets: control characters (a NUL would cut a C string) and runs of white space
 * become one space, and `[[` is broken up, since espeak reads `[[…]]` as phoneme codes rather than
 * words. Refuses empty and overlong text (counted in characters, i.e. code points, before this).
 */
export function speakableText(text: string): string {
  const length = [...text].length;
  if (length > TTS_MAX_CHARS) throw errors.ttsTextTooLong(length, TTS_MAX_CHARS);
  // eslint-disable-next-line no-control-regex -- control characters are exactly what this removes
  const prepared = text.replace(/[\u0000-\u001F\u007F-\u009F\s]+/gu, ' ').replace(/\[\[/g, '[ [').trim();
  if (!/[\p{L}\p{N}]/u.test(prepared)) throw errors.ttsTextEmpty();
  return prepared;
}
