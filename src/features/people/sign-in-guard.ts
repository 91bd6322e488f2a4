import { createFailureThrottle } from '../../http/failure-throttle.js';
import type { Clock } from '../../lib/clock.js';
import { errors } from '../../lib/errors.js';

/**
 * Throttles password guessing at `POST /v1/auth/login`, per node, as the token guard does for
 * client secrets (http/failure-throttle.ts): only failures cost.
 * - (email, address): `perMinute` failures, refilled at `perMinute` a minute — one guesser, one place.
 * - address (any email): 3×, against one address spraying many accounts.
 * - email (any address): 5×, against many addresses guessing one account. An address that signed
 *   in to this account within a day skips the two looser buckets, so an attack from elsewhere
 *   does not lock the person out where they usually sign in.
 */
export function createSignInGuard(perMinute: number, clock: Clock) {
  return createFailureThrottle({ perMinute, addressFactor: 3, subjectFactor: 5, now: () => clock.now().getTime(), limited: (wait) => errors.tooManySignInFailures(wait) });
}
export type SignInGuard = ReturnType<typeof createSignInGuard>;
