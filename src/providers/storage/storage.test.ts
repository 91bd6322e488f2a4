import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { after, test } from 'node:test';
import { build } from '../../../test/helpers/build.js';
import { createDatabaseStorage, PART_BYTES } from './database.js';
import { createLocalStorage } from './local.js';
import type { FileStorage } from './port.js';

const h = await build();
const dir = mkdtempSync(join(tmpdir(), 'wasl-storage-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const adapters: Record<string, FileStorage> = {
  local: createLocalStorage({ dir }),
  database: createDatabaseStorage({ db: h.store.db, transaction: h.app.container.transaction }),
};
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

for (const [name, storage] of Object.entries(adapters)) {
  test(`${name}: put → a content key; get → the same bytes, type and size; equal bytes are one copy; delete`, async () => {
    for (const bytes of [Buffer.from('hello'), randomBytes(PART_BYTES * 2 + 1234), randomBytes(PART_BYTES)]) {
      const key = await storage.put(bytes, { mimeType: 'application/pdf' });
      assert.equal(key, sha256(bytes));
      assert.equal(await storage.put(bytes, { mimeType: 'application/pdf' }), key, 'a second put of equal bytes is the same key');
      const got = await storage.get(key);
      assert.ok(got);
      assert.deepEqual([got.mimeType, got.sizeBytes], ['application/pdf', bytes.length]);
      assert.ok((await buffer(got.body)).equals(bytes));
      await storage.delete(key);
      assert.equal(await storage.get(key), undefined);
      await storage.delete(key);
    }
  });

  test(`${name}: keys that are not content hashes are refused before any disk or query (no path from a caller)`, async () => {
    for (const key of ['../../etc/passwd', '/etc/passwd', 'a'.repeat(63), 'A'.repeat(64), `${'a'.repeat(62)}/x`, '']) {
      assert.equal(await storage.get(key), undefined, key);
      await storage.delete(key);
    }
  });
}

test('local: files live under the directory as ab/cd/<key> with their type beside them, and no temporary file stays', async () => {
  const bytes = Buffer.from('a file');
  const key = await adapters.local!.put(bytes, { mimeType: 'text/plain' });
  const folder = join(dir, key.slice(0, 2), key.slice(2, 4));
  assert.deepEqual(readdirSync(folder).sort(), [key, `${key}.json`]);
  assert.ok(existsSync(join(folder, key)));
});

test('database: a put in a transaction that rolls back leaves nothing; parts of 512 KiB', async () => {
  const storage = adapters.database!;
  const bytes = randomBytes(PART_BYTES + 10);
  await assert.rejects(
    h.app.container.transaction(async (trx) => {
      await storage.put(bytes, { mimeType: 'video/mp4' }, { trx });
      throw new Error('rolled back');
    }),
    /rolled back/,
  );
  assert.equal(await storage.get(sha256(bytes)), undefined);
  const key = await storage.put(bytes, { mimeType: 'video/mp4' });
  const parts = await h.store.db.withTables<{ storage_parts: { key: string; part: number; bytes: Buffer } }>().selectFrom('storage_parts').select(['part', 'bytes']).where('key', '=', key).orderBy('part').execute();
  assert.deepEqual(parts.map((p) => [p.part, p.bytes.length]), [[0, PART_BYTES], [1, 10]]);
});
