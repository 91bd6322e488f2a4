import { createHash, randomBytes } from 'node:crypto';

/**
 * HTTP Digest as SIP uses it (RFC 3261 §22.4, RFC 2617, RFC 8760 for SHA-256 and SHA-512/256):
 * read a 401's WWW-Authenticate or a 407's Proxy-Authenticate, answer it in Authorization or
 * Proxy-Authorization. qop=auth with cnonce and nc when the challenge offers it (auth-int is not
 * offered by trunks in practice and is not supported); RFC 2069 style (no qop) otherwise.
 */

export type DigestAlgorithm = 'MD5' | 'MD5-sess' | 'SHA-256' | 'SHA-256-sess' | 'SHA-512-256' | 'SHA-512-256-sess';

export interface DigestChallenge {
  realm: string;
  nonce: string;
  opaque?: string;
  algorithm: DigestAlgorithm;
  /** The qop values offered (`auth`, `auth-int`); empty for an RFC 2069 challenge. */
  qop: string[];
  /** The nonce was stale: the same credentials are worth another try. */
  stale: boolean;
}

const HASHES: Record<string, string> = { MD5: 'md5', 'SHA-256': 'sha256', 'SHA-512-256': 'sha512-256' };

/** `key=value, key="quoted, value"` → a map with lower-cased keys. */
export function parseAuthParams(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?/gy;
  let match: RegExpExecArray | null;
  while ((match = re.exec(text))) out[match[1]!.toLowerCase()] = match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : (match[3] ?? '');
  return out;
}

/** A Digest challenge, or null when the header is another scheme, lacks realm/nonce, or names an algorithm we lack. */
export function parseChallenge(value: string): DigestChallenge | null {
  const match = /^\s*Digest\s+(.*)$/is.exec(value);
  if (!match) return null;
  const p = parseAuthParams(match[1]!);
  if (p.realm === undefined || p.nonce === undefined) return null;
  const algorithm = (p.algorithm ?? 'MD5').toUpperCase().replace('-SESS', '-sess') as DigestAlgorithm;
  if (!HASHES[algorithm.replace('-sess', '')]) return null;
  return {
    realm: p.realm,
    nonce: p.nonce,
    ...(p.opaque !== undefined && { opaque: p.opaque }),
    algorithm,
    qop: (p.qop ?? '').split(',').map((q) => q.trim().toLowerCase()).filter(Boolean),
    stale: (p.stale ?? '').toLowerCase() === 'true',
  };
}

export interface DigestAnswer {
  challenge: DigestChallenge;
  method: string;
  uri: string;
  username: string;
  password: string;
  /** Fixed in tests (a known vector); random otherwise. */
  cnonce?: string;
  /** How many times this nonce has been used, from 1. */
  nc?: number;
}

const quote = (s: string) => `"${s.replace(/["\\]/g, '\\$&')}"`;

/** The digest response (the `response=` value), RFC 2617 §3.2.2.1. */
export function digestResponse(a: DigestAnswer & { cnonce: string; nc: number }): { response: string; qop?: 'auth' } {
  const { challenge: c } = a;
  const sess = c.algorithm.endsWith('-sess');
  const h = (s: string) => createHash(HASHES[c.algorithm.replace('-sess', '')]!).update(s, 'utf8').digest('hex');
  let ha1 = h(`${a.username}:${c.realm}:${a.password}`);
  if (sess) ha1 = h(`${ha1}:${c.nonce}:${a.cnonce}`);
  const ha2 = h(`${a.method}:${a.uri}`);
  if (c.qop.includes('auth')) {
    const nc = a.nc.toString(16).padStart(8, '0');
    return { response: h(`${ha1}:${c.nonce}:${nc}:${a.cnonce}:auth:${ha2}`), qop: 'auth' };
  }
  return { response: h(`${ha1}:${c.nonce}:${ha2}`) };
}

/** The Authorization / Proxy-Authorization value answering the challenge. */
export function digestAuthorization(a: DigestAnswer): string {
  const cnonce = a.cnonce ?? randomBytes(12).toString('hex');
  const nc = a.nc ?? 1;
  const { response, qop } = digestResponse({ ...a, cnonce, nc });
  const parts = [
    `username=${quote(a.username)}`,
    `realm=${quote(a.challenge.realm)}`,
    `nonce=${quote(a.challenge.nonce)}`,
    `uri=${quote(a.uri)}`,
    `response=${quote(response)}`,
    `algorithm=${a.challenge.algorithm}`,
  ];
  if (a.challenge.opaque !== undefined) parts.push(`opaque=${quote(a.challenge.opaque)}`);
  if (qop) parts.push(`qop=${qop}`, `nc=${nc.toString(16).padStart(8, '0')}`, `cnonce=${quote(cnonce)}`);
  return `Digest ${parts.join(', ')}`;
}

/**
 * The server side, for the fake callee and sipp-less tests: does this Authorization answer the
 * challenge for these credentials?
 */
export function verifyDigest(authorization: string, expect: { method: string; username: string; password: string; realm: string; nonce: string }): boolean {
  const match = /^\s*Digest\s+(.*)$/is.exec(authorization);
  if (!match) return false;
  const p = parseAuthParams(match[1]!);
  if (p.username !== expect.username || p.realm !== expect.realm || p.nonce !== expect.nonce || !p.uri || !p.response) return false;
  const challenge: DigestChallenge = { realm: expect.realm, nonce: expect.nonce, algorithm: (p.algorithm as DigestAlgorithm) ?? 'MD5', qop: p.qop ? [p.qop] : [], stale: false };
  if (!HASHES[challenge.algorithm.replace('-sess', '')]) return false;
  const nc = p.nc ? parseInt(p.nc, 16) : 1;
  const { response } = digestResponse({ challenge, method: expect.method, uri: p.uri, username: expect.username, password: expect.password, cnonce: p.cnonce ?? '', nc });
  return response === p.response;
}
