import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Transaction } from '../../db/transaction.js';
import type { Clock } from '../../lib/clock.js';
import { sha256Hex } from '../../lib/crypto.js';
import { errors } from '../../lib/errors.js';
import { AudioConversionError, type AudioConverter } from '../../providers/audio/convert.js';
import { displayName, type MediaService } from '../media/media.service.js';
import type { AudioRepo } from './audio.repo.js';

/** The answer of `POST /v1/support/upload-audio`. */
export interface UploadedAudio {
  url: string;
  fileName: string;
  durationSeconds: number;
  sizeBytes: number;
  format: 'wav';
}

/** 24 random bytes as hex: 192 bits, lower-case only (the router matches paths case-insensitively). */
const TOKEN = /^[0-9a-f]{48}$/;
const newToken = () => randomBytes(24).toString('hex');

/** The upload's name for display, as the WAV it now is ("greeting.mp3" → "greeting.wav"); never a path. */
function wavName(name: string | null | undefined, at: Date): string {
  const base = displayName(name)?.replace(/\.[A-Za-z0-9]{1,5}$/, '').trim();
  return `${base || `audio-${at.toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-')}`}.wav`;
}

/**
 * Audio for telephony (issue 10 "Audio"): uploads converted to WAV 8 kHz mono pcm_s16le, kept as
 * a workspace's file (the media service's `files` row and storage), and served without a token at
 * `${PUBLIC_URL}/audio/{token}.wav`: a telephony provider fetches that URL, and the IVR engine
 * reads the same bytes by `audioByUrl` without HTTP.
 */
export function createAudioService(deps: {
  converter: Pick<AudioConverter, 'toTelephonyWav'>;
  media: Pick<MediaService, 'save' | 'open'>;
  repo: AudioRepo;
  transaction: Transaction;
  clock: Clock;
  publicUrl: string;
  /** AUDIO_MAX_SECONDS. */
  maxSeconds: number;
}) {
  const { repo, clock } = deps;
  const base = new URL(`${deps.publicUrl}/`);

  async function convert(bytes: Buffer) {
    try {
      return await deps.converter.toTelephonyWav(bytes, { maxDurationMs: deps.maxSeconds * 1000 });
    } catch (err) {
      if (!(err instanceof AudioConversionError)) throw err;
      if (err.reason === 'too-long') throw errors.audioTooLong(deps.maxSeconds);
      if (err.reason === 'unsupported') throw errors.audioUnsupported(err.message);
      if (err.reason === 'timeout') throw errors.audioConversionTimedOut(err.message);
      throw errors.audioUndecodable(err.message);
    }
  }

  /** The WAV behind a token, or undefined (a token of another shape names nothing). */
  async function find(token: string): Promise<{ sizeBytes: number; sha256: string; body: Readable } | undefined> {
    const t = token.toLowerCase();
    const row = TOKEN.test(t) ? await repo.findByTokenHash(sha256Hex(t)) : undefined;
    if (!row) return undefined;
    const { file, body } = await deps.media.open(row.workspace_id, row.file_id);
    return { sizeBytes: file.sizeBytes, sha256: file.sha256, body };
  }

  /** The token of one of Wasl's own audio URLs (same origin and base path as PUBLIC_URL), else null. */
  function tokenOf(url: string): string | null {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return null;
    }
    if (parsed.origin !== base.origin || !parsed.pathname.startsWith(base.pathname)) return null;
    const match = /^audio\/([0-9a-f]{48})\.wav$/i.exec(parsed.pathname.slice(base.pathname.length));
    return match ? match[1]!.toLowerCase() : null;
  }

  return {
    /** Converts, stores and answers the public URL; nothing is stored unless the conversion succeeded. */
    async upload(workspaceId: string, upload: { bytes: Buffer; fileName: string | null }): Promise<UploadedAudio> {
      const converted = await convert(upload.bytes);
      const token = newToken();
      const now = clock.now();
      const fileName = wavName(upload.fileName, now);
      const stored = await deps.transaction(async (trx) => {
        const file = await deps.media.save(trx, workspaceId, { bytes: converted.wav, mimeType: 'audio/wav', fileName }, 'audio');
        await repo.insert({ token_sha256: sha256Hex(token), file_id: file.id, workspace_id: workspaceId, duration_ms: converted.durationMs, input_format: converted.inputFormat, created_at: now }, trx);
        return file;
      });
      return { url: `${deps.publicUrl}/audio/${token}.wav`, fileName, durationSeconds: converted.durationMs / 1000, sizeBytes: stored.sizeBytes, format: 'wav' };
    },

    /** `GET /audio/{token}.wav`: the WAV's bytes, or `Wasl:Audio:NotFound`. */
    async open(token: string) {
      const found = await find(token);
      if (!found) throw errors.audioNotFound();
      return found;
    },

    /**
     * For the IVR engine: the WAV bytes behind one of Wasl's own `/audio/{token}.wav` URLs, read
     * from the storage (no HTTP); undefined for any other URL or an unknown token.
     */
    async audioByUrl(url: string): Promise<Buffer | undefined> {
      const token = tokenOf(url);
      const found = token ? await find(token) : undefined;
      return found && Buffer.concat(await found.body.toArray());
    },
  };
}
export type AudioService = ReturnType<typeof createAudioService>;
