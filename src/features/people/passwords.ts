import { argon2, randomBytes, timingSafeEqual } from 'node:crypto';
import { errors } from '../../lib/errors.js';

/**
 * Passwords: argon2id from `node:crypto` (Node ≥ 24.7), stored as PHC strings
 * `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>` (unpadded standard base64, as the reference
 * implementation writes them), so a hash says which parameters made it and a sign-in can tell
 * when they differ from today's (then it is rehashed).
 */
export interface Argon2Params {
  /** Memory in KiB. */
  m: number;
  /** Passes. */
  t: number;
  /** Lanes. */
  p: number;
}

/** OWASP's first choice for argon2id (19 MiB, 2 passes, 1 lane): ~30–80 ms a hash on this machine kind. */
export const ARGON2_PARAMS: Argon2Params = { m: 19_456, t: 2, p: 1 };

const VERSION = 19;
const SALT_BYTES = 16;
const HASH_BYTES = 32;
export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 256;

const b64 = (buf: Buffer) => buf.toString('base64').replace(/=+$/, '');

function derive(password: string, salt: Buffer, params: Argon2Params, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    argon2('argon2id', { message: password, nonce: salt, parallelism: params.p, memory: params.m, passes: params.t, tagLength: length }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

export async function hashPassword(password: string, params: Argon2Params = ARGON2_PARAMS): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, params, HASH_BYTES);
  return `$argon2id$v=${VERSION}$m=${params.m},t=${params.t},p=${params.p}$${b64(salt)}$${b64(hash)}`;
}

interface Parsed {
  params: Argon2Params;
  version: number;
  salt: Buffer;
  hash: Buffer;
}

const PHC = /^\$argon2id\$v=(\d+)\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

export function parsePhc(stored: string): Parsed | null {
  const match = PHC.exec(stored);
  if (!match) return null;
  const [, v, m, t, p, salt, hash] = match as unknown as [string, string, string, string, string, string, string];
  const parsed = { version: Number(v), params: { m: Number(m), t: Number(t), p: Number(p) }, salt: Buffer.from(salt, 'base64'), hash: Buffer.from(hash, 'base64') };
  const { params } = parsed;
  // Bounds that keep a corrupted row from asking for gigabytes or hours.
  if (params.m < 8 * params.p || params.m > 4_194_304 || params.t < 1 || params.t > 100 || params.p < 1 || params.p > 64) return null;
  if (parsed.salt.length < 8 || parsed.hash.length < 16) return null;
  return parsed;
}

/** Compares in constant time; false for a malformed stored hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parsePhc(stored);
  if (!parsed || parsed.version !== VERSION) return false;
  const actual = await derive(password, parsed.salt, parsed.params, parsed.hash.length);
  return timingSafeEqual(actual, parsed.hash);
}

/** True when the hash was made with other parameters than today's (or another version, salt or length). */
export function needsRehash(stored: string, params: Argon2Params = ARGON2_PARAMS): boolean {
  const parsed = parsePhc(stored);
  if (!parsed) return true;
  const p = parsed.params;
  return parsed.version !== VERSION || p.m !== params.m || p.t !== params.t || p.p !== params.p || parsed.salt.length !== SALT_BYTES || parsed.hash.length !== HASH_BYTES;
}

/**
 * The rules a new password must meet; a weak one → 400 naming the rule. Length is counted in
 * characters (code points), so an Arabic passphrase counts as it reads.
 */
export function assertPasswordRules(password: string, email: string | null): void {
  const length = [...password].length;
  const refuse = (rule: string) => {
    throw errors.invalidField('password', `password ${rule}`);
  };
  if (length < PASSWORD_MIN) refuse(`must be at least ${PASSWORD_MIN} characters long (it has ${length}).`);
  if (length > PASSWORD_MAX) refuse(`must be at most ${PASSWORD_MAX} characters long (it has ${length}).`);
  if (new Set(password).size === 1) refuse('must not be one character repeated.');
  if (email && password.toLowerCase() === email.toLowerCase()) refuse('must not be your email address.');
}
