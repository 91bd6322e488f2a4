import type { Selectable } from 'kysely';
import type { Db } from '../../db/store.js';

/** One stored file of a workspace (0012_files.ts); its bytes are in the file storage under `storage_key`. */
export interface FilesTable {
  id: string;
  workspace_id: string;
  storage_key: string;
  mime_type: string;
  size_bytes: number;
  sha256: string;
  /** For display and Content-Disposition only; never a path. */
  file_name: string | null;
  /** How it came: `send` (sendFile), `template` (a template's media header), `inbound` (from WhatsApp), `sandbox` (injected). */
  source: string;
  created_at: Date;
}
export type FileRow = Selectable<FilesTable>;

export function createFilesRepo(db: Db) {
  const files = (executor: Db) => executor.withTables<{ files: FilesTable }>();
  return {
    async insert(row: FileRow, trx: Db = db): Promise<FileRow> {
      return files(trx).insertInto('files').values(row).returningAll().executeTakeFirstOrThrow();
    },
    /** The file, whichever workspace owns it (the service checks). */
    async find(id: string, trx: Db = db): Promise<FileRow | undefined> {
      return files(trx).selectFrom('files').selectAll().where('id', '=', id).executeTakeFirst();
    },
  };
}
export type FilesRepo = ReturnType<typeof createFilesRepo>;
