import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Secrets Wasl must use in clear later (provider credentials, webhook signing secrets) are stored
 * sealed: AES-256-GCM with a fresh 96-bit IV, written as `v1:<kid>:<iv>:<ciphertext>:<tag>`
 * (base64url parts). `kid` names the key, so keys can rotate: values under an older key are
 * opened with it and sealed again under the current one at start (`reseal`).
 *
 * The only other form a stored secret may have is `plain:<text>`, written by migration 0005 for
 * rows that predate encryption; the first start after it seals them. Anything else is refused.
 */
export type Sealed = string & { readonly __sealed: unique symbol };

export const KEY_BYTES = 32;
const VERSION = 'v1';
const PLAIN = 'plain:';

/** The process must not start: the key is missing, wrong, or not the one the store was sealed with. */
export class SecretKeyError extends Error {
  override readonly name = 'SecretKeyError';
}

const b64u = (bytes: Buffer) => bytes.toString('base64url');

/**
 * A key as an operator writes it: 32 random bytes in base64 or base64url (`openssl rand -base64 32`).
 * Throws SecretKeyError saying what is wrong (never echoing the text).
 */
export function decodeKey(text: string, name: string): Buffer {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) {
    throw new SecretKeyError(`${name} must be ${KEY_BYTES} random bytes in base64 (openssl rand -base64 32); it has characters base64 does not use.`);
  }
  const key = Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (key.length !== KEY_BYTES) {
    throw new SecretKeyError(`${name} must be ${KEY_BYTES} random bytes in base64 (openssl rand -base64 32); it decodes to ${key.length} bytes.`);
  }
  return key;
}

/** A key's id: a short hash, stored with each value so the right key opens it; it reveals nothing of the key. */
export const keyId = (key: Buffer) => b64u(createHash('sha256').update('wasl secret key id\0').update(key).digest()).slice(0, 10);

export interface Keyring {
  currentId: string;
  keys: Map<string, Buffer>;
}

/** The current key seals; it and every older key open. */
export function createKeyring(current: Buffer, older: Buffer[] = []): Keyring {
  const keys = new Map<string, Buffer>();
  for (const key of older) keys.set(keyId(key), key);
  const currentId = keyId(current);
  keys.set(currentId, current);
  return { currentId, keys };
}

export function seal(ring: Keyring, plaintext: string): Sealed {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', ring.keys.get(ring.currentId)!, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [VERSION, ring.currentId, b64u(iv), b64u(ciphertext), b64u(cipher.getAuthTag())].join(':') as Sealed;
}

/** The key id a sealed value names, or null for a value that is not sealed. */
export function sealedKeyId(value: string): string | null {
  const parts = value.split(':');
  return parts.length === 5 && parts[0] === VERSION ? parts[1]! : null;
}

/** Opens a sealed value; a missing key, a changed byte or a foreign value is a SecretKeyError, never garbage. */
export function open(ring: Keyring, value: string): string {
  const kid = sealedKeyId(value);
  if (kid === null) throw new SecretKeyError('A stored secret is not in the sealed form v1:<kid>:<iv>:<ciphertext>:<tag>.');
  const key = ring.keys.get(kid);
  if (!key) {
    throw new SecretKeyError(
      `A stored secret was encrypted with key ${kid}, which is neither WASL_ENCRYPTION_KEY (${ring.currentId}) nor among WASL_ENCRYPTION_KEYS_OLD: start with the key it was sealed with.`,
    );
  }
  const [, , iv = '', ciphertext = '', tag = ''] = value.split(':');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    throw new SecretKeyError(`A stored secret sealed with key ${kid} does not open: it was changed, or the key with that id is not the one that sealed it.`);
  }
}

/**
 * A stored value as it should be now, or null when it already is: `plain:` values are sealed,
 * values under an older key are opened and sealed under the current one.
 */
export function reseal(ring: Keyring, value: string): Sealed | null {
  if (value.startsWith(PLAIN)) return seal(ring, value.slice(PLAIN.length));
  if (sealedKeyId(value) === ring.currentId) return null;
  return seal(ring, open(ring, value));
}

/** Where the generated key is kept when WASL_ENCRYPTION_KEY is not set. */
export interface KeyStore {
  get(): Promise<string | undefined>;
  /** Stores `key` unless one is there already; returns the one that is kept (two nodes may race). */
  putIfAbsent(key: string): Promise<string>;
}

export type KeySource = 'config' | 'store' | 'generated';

/**
 * The process's secret box: `init` loads the keyring once at start (before any request or job),
 * then `seal`/`open` are synchronous. Keys come from WASL_ENCRYPTION_KEY (+ WASL_ENCRYPTION_KEYS_OLD);
 * without them, from the store, where the first start generates and keeps one. A key kept in the
 * store opens values even when WASL_ENCRYPTION_KEY is set, so moving to a configured key is a
 * rotation like any other.
 */
export function createSecretBox(deps: { key: Buffer | null; oldKeys: Buffer[]; store: KeyStore }) {
  let ring: Keyring | null = null;
  const loaded = () => {
    if (!ring) throw new SecretKeyError('The secret box was used before its keys were loaded (secrets.init at start).');
    return ring;
  };
  let loading: Promise<KeySource> | null = null;

  async function load(): Promise<KeySource> {
    const stored = await deps.store.get();
    const storedKey = stored ? decodeKey(stored, 'the encryption key kept in the store') : null;
    if (deps.key) {
      ring = createKeyring(deps.key, [...(storedKey ? [storedKey] : []), ...deps.oldKeys]);
      return 'config';
    }
    if (storedKey) {
      ring = createKeyring(storedKey, deps.oldKeys);
      return 'store';
    }
    const kept = await deps.store.putIfAbsent(randomBytes(KEY_BYTES).toString('base64'));
    ring = createKeyring(decodeKey(kept, 'the encryption key kept in the store'), deps.oldKeys);
    return 'generated';
  }

  return {
    /** Loads the keys (once; later calls return the first answer). */
    load: () => (loading ??= load()),
    seal: (plaintext: string) => seal(loaded(), plaintext),
    sealNullable: (plaintext: string | null | undefined): Sealed | null => (plaintext == null ? null : seal(loaded(), plaintext)),
    open: (value: string) => open(loaded(), value),
    openNullable: (value: string | null | undefined): string | null => (value == null ? null : open(loaded(), value)),
    reseal: (value: string) => reseal(loaded(), value),
    /** `v1:<current kid>:`: a stored value that starts otherwise needs `reseal`. */
    currentPrefix: () => `${VERSION}:${loaded().currentId}:`,
  };
}
export type SecretBox = ReturnType<typeof createSecretBox>;

/**
 * Seals again, row by row, every listed column not under the current key: each row is locked,
 * changed and committed on its own (`inTransaction`), so a start never holds many locks and an
 * edit made meanwhile is never overwritten. Returns how many rows it looked at.
 */
export async function resealRows<Row, Column extends keyof Row & string, Trx>(
  box: Pick<SecretBox, 'reseal'>,
  ids: string[],
  columns: readonly Column[],
  inTransaction: (fn: (trx: Trx) => Promise<void>) => Promise<void>,
  rows: { lock(id: string, trx: Trx): Promise<Row | undefined>; update(id: string, patch: Partial<Record<Column, Sealed>>, trx: Trx): Promise<unknown> },
): Promise<number> {
  for (const id of ids) {
    await inTransaction(async (trx) => {
      const row = await rows.lock(id, trx);
      if (!row) return;
      const patch: Partial<Record<Column, Sealed>> = {};
      for (const column of columns) {
        const value = row[column] as string | null;
        const sealed = value === null ? null : box.reseal(value);
        if (sealed) patch[column] = sealed;
      }
      if (Object.keys(patch).length) await rows.update(id, patch, trx);
    });
  }
  return ids.length;
}

type StartLog = { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };

/**
 * Start-up: load the keys, then let each owner of sealed columns seal what is not under the
 * current key yet (rows from before encryption, rows under a rotated-out key). A value no key
 * opens stops the start with a SecretKeyError naming the key id it needs. `init` runs this once
 * per process (a lifecycle start hook and the app may both ask); the first caller that has a
 * logger gets the warnings.
 */
export function createSecretsStart(box: SecretBox, resealers: Record<string, () => Promise<number>>) {
  let started: Promise<{ source: KeySource; resealed: Record<string, number> }> | undefined;
  let told = false;
  const start = async () => {
    const source = await box.load();
    const resealed: Record<string, number> = {};
    for (const [name, run] of Object.entries(resealers)) resealed[name] = await run();
    return { source, resealed };
  };
  return {
    box,
    async init(log?: StartLog) {
      const result = await (started ??= start());
      if (log && !told) {
        told = true;
        if (result.source !== 'config') {
          log.warn(
            { source: result.source },
            'WASL_ENCRYPTION_KEY is not set: secrets are encrypted with a key generated on first start and kept in the store beside them; set WASL_ENCRYPTION_KEY in production',
          );
        }
        if (Object.values(result.resealed).some((n) => n > 0)) log.info({ resealed: result.resealed }, 'stored secrets sealed under the current key');
      }
      return result;
    },
  };
}
