import type { Selectable } from 'kysely';
import type { Db } from '../../db/store.js';

/** One uploaded audio file (0014_audio.ts): the converted WAV's `files` row, found by its URL token's hash. */
export interface AudioFilesTable {
  /** SHA-256 (hex) of the token in `/audio/{token}.wav`; the token itself is not stored. */
  token_sha256: string;
  file_id: string;
  workspace_id: string;
  duration_ms: number;
  /** What was uploaded (wav, mp3, opus, m4a …), as the bytes said. */
  input_format: string;
  created_at: Date;
}
export type AudioFileRow = Selectable<AudioFilesTable>;

export function createAudioRepo(db: Db) {
  const audio = (executor: Db) => executor.withTables<{ audio_files: AudioFilesTable }>();
  return {
    async insert(row: AudioFileRow, trx: Db = db): Promise<void> {
      await audio(trx).insertInto('audio_files').values(row).execute();
    },
    async findByTokenHash(tokenSha256: string, trx: Db = db): Promise<AudioFileRow | undefined> {
      return audio(trx).selectFrom('audio_files').selectAll().where('token_sha256', '=', tokenSha256).executeTakeFirst();
    },
  };
}
export type AudioRepo = ReturnType<typeof createAudioRepo>;
