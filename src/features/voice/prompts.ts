import { createHash } from 'node:crypto';
import { buffer } from 'node:stream/consumers';
import type { Clock } from '../../lib/clock.js';
import { TtsVoice } from '../../lib/enums.js';
import { parseWav, pcm16Of } from '../../lib/wav.js';
import { OutboundRefusedError, OutboundTooLargeError, type OutboundHttp } from '../../providers/http/outbound.js';
import type { FileStorage } from '../../providers/storage/port.js';
import type { Prompt } from '../../providers/telephony/port.js';
import type { TtsPort } from '../../providers/tts/port.js';
import type { PromptName } from './ivr-engine.js';
import type { CallsRepo, OutboundIvrRow } from './calls.repo.js';

/** A prompt that cannot be played: the call is not placed, and the record says why. */
export class PromptError extends Error {}

/** Recorded prompts are small: 8 kHz 16-bit mono is 16 KB a second. */
const MAX_PROMPT_BYTES = 10 * 1024 * 1024;

export interface PromptLoaderDeps {
  /** The guarded client (SSRF check at every connection, no redirects, a time-out). */
  http: OutboundHttp;
  /** Wasl's own uploaded audio (`/audio/{token}.wav`) by URL, read from the store without HTTP; undefined when it is not one. */
  ownAudio: (url: string) => Promise<Buffer | undefined>;
  /** Any WAV (or other audio) → 8 kHz mono 16-bit WAV. */
  toTelephonyWav: (input: Buffer) => Promise<{ wav: Buffer; durationMs: number }>;
  tts: TtsPort;
  storage: FileStorage;
  repo: CallsRepo;
  clock: Clock;
  /** Where Wasl is reached (PUBLIC_URL): a TTS prompt is served at `/voice/prompts/{key}.wav` for providers that fetch prompts. */
  publicUrl?: string;
}

/**
 * Every prompt of an IVR request, ready to play, before anyone is called (a broken prompt fails
 * the request, in the sandbox too): WAV URLs fetched through the guarded client (Wasl's own
 * uploads read directly) and converted to 8 kHz mono when they are not; the TTS text rendered and
 * converted once per text and voice, then kept in the file storage (`tts_prompts`).
 */
export function createPromptLoader(deps: PromptLoaderDeps) {
  async function fromUrl(url: string, field: string): Promise<Prompt> {
    let bytes = await deps.ownAudio(url);
    if (!bytes) {
      let res;
      try {
        res = await deps.http.get(url, { maxBodyBytes: MAX_PROMPT_BYTES, label: field, headers: { accept: 'audio/wav, audio/*;q=0.5' } });
      } catch (err) {
        if (err instanceof OutboundRefusedError) throw new PromptError(`${field}: ${err.message}`);
        if (err instanceof OutboundTooLargeError) throw new PromptError(`${field}: the file is larger than ${MAX_PROMPT_BYTES} bytes.`);
        throw new PromptError(`${field}: the file could not be fetched: ${(err as Error).message}`);
      }
      if (res.status !== 200) throw new PromptError(`${field}: the file could not be fetched: it answered HTTP ${res.status}.`);
      bytes = res.body ?? Buffer.alloc(0);
    }
    return { ...(await telephony(bytes, field)), url };
  }

  /** The WAV as it is when it is 8 kHz mono 16-bit already; otherwise converted. Anything but a WAV is refused (§3.23: WAV only). */
  async function telephony(bytes: Buffer, field: string): Promise<Omit<Prompt, 'url'>> {
    let info;
    try {
      info = parseWav(bytes);
    } catch {
      throw new PromptError(`${field}: the file is not a WAV file.`);
    }
    if (info.durationMs <= 0) throw new PromptError(`${field}: the WAV file holds no sound.`);
    const ready = info.sampleRate === 8000 && info.channels === 1 && info.bitsPerSample === 16 && info.format === 'pcm';
    const wav = ready ? bytes : (await deps.toTelephonyWav(bytes).catch((err: Error) => Promise.reject(new PromptError(`${field}: the WAV file could not be converted: ${err.message}`)))).wav;
    const pcm = pcm16Of(wav);
    return { pcm, durationMs: Math.round((pcm.length / 8000) * 1000) };
  }

  async function fromText(text: string, voiceCode: number): Promise<Prompt> {
    const voice = TtsVoice[voiceCode as keyof typeof TtsVoice] ?? 'Female';
    const key = createHash('sha256').update(`${deps.tts.engine}\n${voice}\n${text}`).digest('hex');
    const url = deps.publicUrl ? `${deps.publicUrl}/voice/prompts/${key}.wav` : '';
    const cached = await deps.repo.ttsPrompt(key);
    if (cached) {
      const stored = await deps.storage.get(cached.storage_key);
      if (stored) {
        const pcm = pcm16Of(await buffer(stored.body));
        return { pcm, durationMs: cached.duration_ms, url };
      }
    }
    let rendered;
    try {
      rendered = await deps.tts.render(text, voice);
    } catch (err) {
      throw new PromptError(`ttsText: the text could not be spoken: ${(err as Error).message}`);
    }
    const { wav, durationMs } = await deps.toTelephonyWav(rendered.wav);
    const storageKey = await deps.storage.put(wav, { mimeType: 'audio/wav' });
    await deps.repo.saveTtsPrompt({ key, storage_key: storageKey, duration_ms: durationMs, created_at: deps.clock.now() });
    return { pcm: pcm16Of(wav), durationMs, url };
  }

  return {
    async load(row: OutboundIvrRow): Promise<Partial<Record<PromptName, Prompt>>> {
      const prompts: Partial<Record<PromptName, Prompt>> = {};
      prompts.main = row.audio_file_url ? await fromUrl(row.audio_file_url, 'audioFileUrl') : await fromText(row.tts_text ?? '', row.tts_voice);
      if (row.welcome_message_file_url) prompts.welcome = await fromUrl(row.welcome_message_file_url, 'welcomeMessageFileUrl');
      if (row.success_message_file_url) prompts.success = await fromUrl(row.success_message_file_url, 'successMessageFileUrl');
      if (row.failed_message_file_url) prompts.failed = await fromUrl(row.failed_message_file_url, 'failedMessageFileUrl');
      return prompts;
    },
  };
}
export type PromptLoader = ReturnType<typeof createPromptLoader>;
