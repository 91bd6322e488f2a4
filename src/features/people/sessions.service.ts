import type { Db } from '../../db/store.js';
import type { Clock } from '../../lib/clock.js';
import { randomToken, sha256Hex } from '../../lib/crypto.js';
import { errors } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import type { PersonPrincipal } from '../../lib/principal.js';
import type { PeopleRepo } from './people.repo.js';

/** The cookie's value: 32 random bytes (256 bits), base64url. */
const TOKEN = /^[A-Za-z0-9_-]{43}$/;
/** A sign-in's state is read again at most this often per node (so a revocation on another node holds within it). */
const CACHE_MS = 2000;
/** Last seen (and the idle expiry with it) is written at most this often per sign-in. */
export const TOUCH_MS = 60_000;
/** Ended sign-ins are forgotten this long after they end. */
const KEEP_ENDED_MS = 7 * 86_400_000;

type Loaded = NonNullable<Awaited<ReturnType<PeopleRepo['sessionByHash']>>>;

export interface SessionLifetimes {
  /** A sign-in not used for this long ends (SESSION_IDLE_MINUTES). */
  idleMs: number;
  /** A sign-in ends this long after it began, used or not (SESSION_MAX_DAYS). */
  maxMs: number;
}

/**
 * Sign-ins (sessions): made at sign-in, found by the SHA-256 of the cookie, checked at every
 * request (revoked, idle or absolute expiry, person disabled) against a per-node cache of at most
 * 2 s; changes made on this node are seen at once.
 */
export function createSessions(deps: { repo: PeopleRepo; clock: Clock; lifetimes: SessionLifetimes }) {
  const { repo, clock, lifetimes } = deps;
  const cache = new Map<string, { row: Loaded; at: number }>();

  async function load(hash: string): Promise<Loaded | undefined> {
    const hit = cache.get(hash);
    if (hit && performance.now() - hit.at <= CACHE_MS) return hit.row;
    const row = await repo.sessionByHash(hash);
    if (!row) return cache.delete(hash), undefined;
    if (cache.size >= 10_000) cache.clear();
    cache.set(hash, { row, at: performance.now() });
    return row;
  }

  /** The person's state changed (disabled, enabled): read their sign-ins again. */
  function forgetUser(userId: string): void {
    for (const [hash, { row }] of cache) if (row.user_id === userId) cache.delete(hash);
  }

  return {
    /** A new sign-in for this person: the cookie value (returned once, stored hashed) and its row. */
    async create(person: { user_id: string; workspace_id: string }, meta: { ip: string | null; userAgent: string | null }, trx?: Db) {
      const now = clock.now();
      const token = randomToken(32);
      const expiresAt = new Date(now.getTime() + lifetimes.maxMs);
      const row = {
        id: newId(),
        user_id: person.user_id,
        workspace_id: person.workspace_id,
        token_sha256: sha256Hex(token),
        creation_time: now,
        last_seen_at: now,
        idle_expires_at: new Date(Math.min(now.getTime() + lifetimes.idleMs, expiresAt.getTime())),
        expires_at: expiresAt,
        user_agent: meta.userAgent?.slice(0, 512) ?? null,
        ip: meta.ip,
        revoked_at: null,
      };
      await repo.insertSession(row, trx);
      await repo.pruneSessions(person.user_id, new Date(now.getTime() - KEEP_ENDED_MS), trx);
      return { token, row };
    },

    /**
     * The person a cookie value signs in, or 401 saying why not. `touch` (the default) records
     * the use at most once a minute, which pushes the idle expiry back; a recheck of a long-lived
     * response (the event stream) does not touch, so an open stream alone does not keep a
     * sign-in alive.
     */
    async verify(token: string, options: { touch?: boolean } = {}): Promise<PersonPrincipal> {
      if (!TOKEN.test(token)) throw errors.unauthorized('The sign-in cookie is not valid: sign in again.');
      const hash = sha256Hex(token);
      const row = await load(hash);
      if (!row) throw errors.unauthorized('The sign-in cookie is not valid: sign in again.');
      const now = clock.now();
      if (row.revoked_at) throw errors.unauthorized('The sign-in has ended (signed out): sign in again.');
      if (row.disabled_at) throw errors.unauthorized('This person is disabled.');
      if (now >= row.expires_at) throw errors.unauthorized('The sign-in has expired: sign in again.');
      if (now >= row.idle_expires_at) throw errors.unauthorized('The sign-in expired after inactivity: sign in again.');
      if (options.touch !== false && now.getTime() - row.last_seen_at.getTime() >= TOUCH_MS) {
        const idle = new Date(Math.min(now.getTime() + lifetimes.idleMs, row.expires_at.getTime()));
        await repo.touch(row.id, now, idle);
        row.last_seen_at = now;
        row.idle_expires_at = idle;
      }
      return { kind: 'person', workspaceId: row.workspace_id, userId: row.user_id, name: row.name ?? row.email, sessionId: row.id, method: 'password' };
    },

    /** Ends one sign-in of this person; false when it is not theirs or not live. */
    async revoke(userId: string, id: string): Promise<boolean> {
      const hash = await repo.revokeSession(userId, id, clock.now());
      if (hash) cache.delete(hash);
      return hash !== undefined;
    },

    /** Ends every sign-in of this person (sign out everywhere, a new password, disabling). */
    async revokeAll(userId: string, trx?: Db): Promise<void> {
      for (const hash of await repo.revokeAll(userId, clock.now(), trx)) cache.delete(hash);
      forgetUser(userId);
    },

    forgetUser,

    live: (userId: string) => repo.liveSessions(userId, clock.now()),
  };
}
export type Sessions = ReturnType<typeof createSessions>;
