import { createBuckets } from '../../http/rate-limit.js';
import type { Clock } from '../../lib/clock.js';
import { errors } from '../../lib/errors.js';

/** How long an address that authenticated as a client stays trusted for it. */
const TRUSTED_MS = 24 * 3_600_000;

export interface TokenGuardLimits {
  /** Failed authentications a minute per (client id, address); the address may make 3×, the client id 10× from all addresses. */
  tokenFailuresPerMinute: number;
  /** Secret verifications (scrypt, in libuv's 4-thread pool) running at once. */
  tokenVerifyConcurrency: number;
  /** Verifications waiting for a slot; one more is answered 503 at once. */
  tokenVerifyQueue: number;
}

/**
 * Protects the token endpoint from guessing and from hashing floods, per node (like the API
 * limiter). Only failures cost: a client with the right secret is never counted.
 * - (client id, address) bucket: the tight one; a guesser from one address stops here.
 * - address bucket (any client id) and client-id bucket (any address): looser, against spraying
 *   many ids from one address and one id from many addresses. An address that authenticated as
 *   this client within a day skips these two, so an attack on a client id from elsewhere does not
 *   lock its real client out (a new address of that client waits until the attack subsides).
 * - verifications run `tokenVerifyConcurrency` at once with a short queue; beyond it, 503 at once,
 *   so unauthenticated hashing cannot take the thread pool that the rest of the server needs.
 */
export function createTokenGuard(limits: TokenGuardLimits, clock: Clock) {
  const now = () => clock.now().getTime();
  const perMinute = limits.tokenFailuresPerMinute;
  const pairs = createBuckets(perMinute, perMinute, now);
  const addresses = createBuckets(perMinute * 3, perMinute * 3, now);
  const clients = createBuckets(perMinute * 10, perMinute * 10, now);
  const trusted = new Map<string, number>();
  const pairKey = (clientId: string, address: string) => `${clientId}\n${address}`;

  let active = 0;
  const waiting: (() => void)[] = [];

  function isTrusted(key: string) {
    const at = trusted.get(key);
    return at !== undefined && now() - at < TRUSTED_MS;
  }

  return {
    /** Throws 429 (with Retry-After) when this client id may not be tried from this address now. */
    check(clientId: string, address: string): void {
      if (perMinute <= 0) return;
      const key = pairKey(clientId, address);
      let wait = pairs.wait(key);
      if (!wait && !isTrusted(key)) wait = Math.max(addresses.wait(address), clients.wait(clientId));
      if (wait) throw errors.tooManyAuthFailures(wait);
    },

    failed(clientId: string, address: string): void {
      if (perMinute <= 0) return;
      pairs.take(pairKey(clientId, address));
      addresses.take(address);
      clients.take(clientId);
    },

    succeeded(clientId: string, address: string): void {
      const key = pairKey(clientId, address);
      trusted.delete(key);
      trusted.set(key, now());
      if (trusted.size > 100_000) trusted.delete(trusted.keys().next().value as string);
    },

    /** Runs one secret verification when a slot is free; 503 at once when the queue is full. */
    async verify<T>(fn: () => Promise<T>): Promise<T> {
      if (active < limits.tokenVerifyConcurrency) active++;
      else if (waiting.length < limits.tokenVerifyQueue) await new Promise<void>((resolve) => waiting.push(resolve));
      else throw errors.busy(1);
      try {
        return await fn();
      } finally {
        const next = waiting.shift();
        if (next) next(); // the slot passes to the next in line
        else active--;
      }
    },
  };
}
export type TokenGuard = ReturnType<typeof createTokenGuard>;
