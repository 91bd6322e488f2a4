import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../lib/clock.js';

/** The settings row that keeps the link-signing key (made by the first node that needs it; shared by all). */
export const LINK_KEY_SETTING = 'file_link_key';

/**
 * Signed file links: `{PUBLIC_URL}/files/{id}?expires={unix seconds}&signature={base64url}`, the
 * signature an HMAC-SHA256 of `{id}.{expires}` under a 32-byte key kept in `settings` (every node
 * signs and checks alike; a link reveals nothing of the key). Meta fetches a sent file through one,
 * without a token; webhook receivers get one as `mediaUrl`.
 */
export function createLinkSigner(deps: {
  clock: Clock;
  publicUrl: string;
  /** The stored key, or the one stored now when there is none (two nodes racing keep one). */
  keyStore: { get(): Promise<string | undefined>; putIfAbsent(key: string): Promise<string> };
}) {
  let key: Promise<Buffer> | null = null;
  const loadKey = () =>
    (key ??= (async () => {
      const stored = (await deps.keyStore.get()) ?? (await deps.keyStore.putIfAbsent(randomBytes(32).toString('base64url')));
      return Buffer.from(stored, 'base64url');
    })().catch((err: unknown) => {
      key = null;
      throw err;
    }));
  const mac = (secret: Buffer, fileId: string, expires: number) => createHmac('sha256', secret).update(`${fileId}.${expires}`).digest();

  return {
    /** Loads (or makes) the key: at start, so no first signature happens inside a caller's transaction (PGlite has one connection). */
    ready: async () => void (await loadKey()),

    /** A link to `fileId` valid for `ttlMs` from now (rounded up to the second). */
    async sign(fileId: string, ttlMs: number): Promise<string> {
      const expires = Math.ceil((deps.clock.now().getTime() + ttlMs) / 1000);
      const signature = mac(await loadKey(), fileId, expires).toString('base64url');
      return `${deps.publicUrl}/files/${fileId}?expires=${expires}&signature=${signature}`;
    },

    /** Whether a link's parts are ours (constant-time) and still valid; the signature is judged before the time. */
    async verify(fileId: string, expires: number, signature: string): Promise<'valid' | 'expired' | 'invalid'> {
      const given = Buffer.from(signature, 'base64url');
      const expected = mac(await loadKey(), fileId, expires);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid';
      return deps.clock.now().getTime() >= expires * 1000 ? 'expired' : 'valid';
    },
  };
}
export type LinkSigner = ReturnType<typeof createLinkSigner>;
