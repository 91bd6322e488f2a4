import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { isStorageKey, storageKey, type FileStorage } from './port.js';

/**
 * Files in a local directory (`DATA_DIR/files`, the embedded store's default): `ab/cd/<key>` with
 * `<key>.json` beside it for its type. Written to a temporary name and renamed, so a reader sees
 * a whole file or none; equal bytes are one file. One node only (the directory is this machine's).
 */
export function createLocalStorage({ dir }: { dir: string }): FileStorage {
  const pathOf = (key: string) => {
    if (!isStorageKey(key)) throw new Error(`Not a storage key: ${JSON.stringify(key.slice(0, 80))}`);
    return join(dir, key.slice(0, 2), key.slice(2, 4), key);
  };

  async function writeAtomically(path: string, data: Buffer | string) {
    const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(temporary, data);
    await rename(temporary, path);
  }

  return {
    kind: 'local',

    async put(bytes, { mimeType }) {
      const key = storageKey(bytes);
      const path = pathOf(key);
      const exists = await stat(path).then((s) => s.size === bytes.length, () => false);
      if (exists) return key;
      await mkdir(join(dir, key.slice(0, 2), key.slice(2, 4)), { recursive: true });
      // The type first: a reader that finds the bytes finds their type.
      await writeAtomically(`${path}.json`, JSON.stringify({ mimeType }));
      await writeAtomically(path, bytes);
      return key;
    },

    async get(key) {
      if (!isStorageKey(key)) return undefined;
      const path = pathOf(key);
      const size = await stat(path).then((s) => s.size, () => null);
      if (size === null) return undefined;
      const meta = JSON.parse(await readFile(`${path}.json`, 'utf8').catch(() => '{}')) as { mimeType?: string };
      return { body: createReadStream(path), mimeType: meta.mimeType ?? 'application/octet-stream', sizeBytes: size };
    },

    async delete(key) {
      if (!isStorageKey(key)) return;
      const path = pathOf(key);
      await rm(path, { force: true });
      await rm(`${path}.json`, { force: true });
    },
  };
}
