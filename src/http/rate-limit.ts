/**
 * Token buckets, kept in this process: with several API nodes each node enforces its limits on
 * its own share of the traffic (decisions.md). `now` is in milliseconds (the injected clock or
 * `performance.now()`).
 */
export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  resetSeconds: number;
  retryAfterSeconds: number;
}

/**
 * Buckets keyed by string: each holds at most `capacity` tokens and refills at `perMinute`;
 * past `maxKeys` buckets the least recently used is dropped (it refills to full anyway).
 */
export function createBuckets(capacity: number, perMinute: number, now: () => number, maxKeys = 100_000) {
  const perMs = perMinute / 60_000;
  const buckets = new Map<string, { tokens: number; at: number }>();

  const level = (key: string, t: number) => {
    const bucket = buckets.get(key);
    return bucket ? Math.min(capacity, bucket.tokens + (t - bucket.at) * perMs) : capacity;
  };
  const secondsUntil = (tokens: number, needed: number) => Math.max(1, Math.ceil((needed - tokens) / perMs / 1000));

  return {
    /** Seconds until this key has a token again; 0 when it has one now. */
    wait(key: string): number {
      const tokens = level(key, now());
      return tokens >= 1 ? 0 : secondsUntil(tokens, 1);
    },

    /** Takes a token if there is one. */
    take(key: string): RateDecision {
      const t = now();
      let tokens = level(key, t);
      const allowed = tokens >= 1;
      if (allowed) tokens -= 1;
      buckets.delete(key);
      buckets.set(key, { tokens, at: t });
      if (buckets.size > maxKeys) buckets.delete(buckets.keys().next().value as string);
      return {
        allowed,
        limit: capacity,
        remaining: Math.floor(tokens),
        resetSeconds: Math.ceil((capacity - tokens) / perMs / 1000),
        retryAfterSeconds: allowed ? 0 : secondsUntil(tokens, 1),
      };
    },
  };
}

/**
 * Per-workspace limit of the Hatif API: `limit` requests a minute, refilled continuously, so a
 * workspace may burst up to its whole minute and then gets a steady rate.
 */
export function createRateLimiter(limit: number, now: () => number = () => performance.now()) {
  const buckets = createBuckets(limit, limit, now);
  return { take: (key: string): RateDecision => buckets.take(key) };
}
