import { createBuckets } from './rate-limit.js';
import type { AppError } from '../lib/errors.js';

/** How long an address that authenticated as a subject stays trusted for it. */
const TRUSTED_MS = 24 * 3_600_000;

/**
 * Throttles guessing a secret (a client secret at /connect/token, a password at sign-in), per
 * node; only failures cost, a caller with the right secret is never counted.
 * - (subject, address): `perMinute` failures, refilled at `perMinute` a minute: one guesser, one place.
 * - address (any subject): `addressFactor` ×, against one address spraying many subjects.
 * - subject (any address): `subjectFactor` ×, against many addresses guessing one subject. An
 *   address that authenticated as this subject within a day skips these two, so an attack from
 *   elsewhere does not lock the real owner out where they usually come from (a new address of
 *   theirs waits until the attack subsides).
 * `perMinute` 0 turns it off.
 */
export function createFailureThrottle(options: {
  perMinute: number;
  addressFactor: number;
  subjectFactor: number;
  now: () => number;
  /** The 429 to throw, given the seconds to wait. */
  limited: (retryAfterSeconds: number) => AppError;
}) {
  const { perMinute, now } = options;
  const pairs = createBuckets(perMinute, perMinute, now);
  const addresses = createBuckets(perMinute * options.addressFactor, perMinute * options.addressFactor, now);
  const subjects = createBuckets(perMinute * options.subjectFactor, perMinute * options.subjectFactor, now);
  const trusted = new Map<string, number>();
  const pairKey = (subject: string, address: string) => `${subject}\n${address}`;
  const isTrusted = (key: string) => {
    const at = trusted.get(key);
    return at !== undefined && now() - at < TRUSTED_MS;
  };

  return {
    /** Throws the 429 (with Retry-After) when this subject may not be tried from this address now. */
    check(subject: string, address: string): void {
      if (perMinute <= 0) return;
      const key = pairKey(subject, address);
      let wait = pairs.wait(key);
      if (!wait && !isTrusted(key)) wait = Math.max(addresses.wait(address), subjects.wait(subject));
      if (wait) throw options.limited(wait);
    },
    failed(subject: string, address: string): void {
      if (perMinute <= 0) return;
      pairs.take(pairKey(subject, address));
      addresses.take(address);
      subjects.take(subject);
    },
    succeeded(subject: string, address: string): void {
      const key = pairKey(subject, address);
      trusted.delete(key);
      trusted.set(key, now());
      if (trusted.size > 100_000) trusted.delete(trusted.keys().next().value as string);
    },
  };
}
export type FailureThrottle = ReturnType<typeof createFailureThrottle>;
