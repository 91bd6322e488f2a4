import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Db } from '../../db/store.js';

/**
 * Where file bytes live (issue 9 "Media"): the bytes of sent and received WhatsApp media, each
 * kept once under a key the adapter makes. Features keep what a file *is* (its workspace, name,
 * type) in their own rows and hand the port only bytes; a key is never made from a caller's file
 * name. Keys are content hashes (`storageKey`), so putting the same bytes twice is one copy and
 * a put whose transaction rolled back leaves only an unreferenced copy, never a wrong one.
 */
export interface FileStorage {
  readonly kind: 'local' | 'database' | (string & {});
  /**
   * Keeps `bytes` and answers their key. An adapter that lives in the store writes in the caller's
   * transaction when given one (`trx`), so the bytes commit with the rows that name them; others
   * ignore it.
   */
  put(bytes: Buffer, meta: { mimeType: string }, options?: { trx?: Db }): Promise<string>;
  /** The bytes of `key` as a stream, with what was put beside them; undefined when there is no such key. */
  get(key: string): Promise<StoredObject | undefined>;
  /** Removes `key` (nothing when it is not there). Only when no row names it any more: keys are shared by equal bytes. */
  delete(key: string): Promise<void>;
}

export interface StoredObject {
  body: Readable;
  mimeType: string;
  sizeBytes: number;
}

/** The key of a file's bytes: their SHA-256, lowercase hex (64 characters). */
export const storageKey = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** Keys the adapters accept: anything else (a path, `..`) is refused before it reaches a disk or a query. */
export const isStorageKey = (key: string): boolean => /^[0-9a-f]{64}$/.test(key);
