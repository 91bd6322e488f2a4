import { createBuckets } from '../../http/rate-limit.js';
import type { Clock } from '../../lib/clock.js';
import { errors } from '../../lib/errors.js';

/** How long an address that signed in as an account stays trusted for it. */
const TRUSTED_MS = 24 * 3_600_000;

/**
 * Throttles password guessing at `POST /v1/auth/login`, per node, as the token guard does for
 * client secrets (auth/token-guard.ts): only failures cost.
 * - (email, address): `perMinute` failures, refilled at `perMinute` a minute — one guesser, one place.
 * - address (any email): 3×, against one address spraying many accounts.
 * - email (any address): 5×, against many addresses guessing one account. An address that signed
 *   in to this account within a day skips the two looser buckets, so an attack from elsewhere
 *   does not lock the person out where they usually sign in.
 */
export function createSignInGuard(perMinute: number, clock: Clock) {
  const now = () => clock.now().getTime();
  const pairs = createBuckets(perMinute, perMinute, now);
  const addresses = createBuckets(perMinute * 3, perMinute * 3, now);
  const accounts = createBuckets(perMinute * 5, perMinute * 5, now);
  const trusted = new Map<string, number>();
  const pairKey = (email: string, address: string) => `${email}\n${address}`;
  const isTrusted = (key: string) => {
    const at = trusted.get(key);
    return at !== undefined && now() - at < TRUSTED_MS;
  };

  return {
    /** Throws 429 (with Retry-After) when this email may not be tried from this address now. */
    check(email: string, address: string): void {
      if (perMinute <= 0) return;
      const key = pairKey(email, address);
      let wait = pairs.wait(key);
      if (!wait && !isTrusted(key)) wait = Math.max(addresses.wait(address), accounts.wait(email));
      if (wait) throw errors.tooManySignInFailures(wait);
    },
    failed(email: string, address: string): void {
      if (perMinute <= 0) return;
      pairs.take(pairKey(email, address));
      addresses.take(address);
      accounts.take(email);
    },
    succeeded(email: string, address: string): void {
      const key = pairKey(email, address);
      trusted.delete(key);
      trusted.set(key, now());
      if (trusted.size > 100_000) trusted.delete(trusted.keys().next().value as string);
    },
  };
}
export type SignInGuard = ReturnType<typeof createSignInGuard>;
