import { createFailureThrottle } from '../../http/failure-throttle.js';
import type { Clock } from '../../lib/clock.js';
import { errors } from '../../lib/errors.js';

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
 * limiter): failures per (client id, address), address (3×) and client id (10×), with a day's
 * trust for an address that authenticated as the client (http/failure-throttle.ts); and
 * verifications run `tokenVerifyConcurrency` at once with a short queue; beyond it, 503 at once,
 * so unauthenticated hashing cannot take the thread pool that the rest of the server needs.
 */
export function createTokenGuard(limits: TokenGuardLimits, clock: Clock) {
  const throttle = createFailureThrottle({
    perMinute: limits.tokenFailuresPerMinute,
    addressFactor: 3,
    subjectFactor: 10,
    now: () => clock.now().getTime(),
    limited: (wait) => errors.tooManyAuthFailures(wait),
  });

  let active = 0;
  const waiting: (() => void)[] = [];

  return {
    /** Throws 429 (with Retry-After) when this client id may not be tried from this address now. */
    check: throttle.check,
    failed: throttle.failed,
    succeeded: throttle.succeeded,

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
