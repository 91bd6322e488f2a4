/**
 * Per-workspace token bucket: `limit` requests a minute, refilled continuously, so a workspace
 * may burst up to its whole minute and then gets a steady rate. Buckets live in this process:
 * with several API nodes each node enforces the limit on its own share of the traffic.
 */
export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  resetSeconds: number;
  retryAfterSeconds: number;
}

export function createRateLimiter(limit: number, now: () => number = () => performance.now()) {
  const perMs = limit / 60_000;
  const buckets = new Map<string, { tokens: number; at: number }>();

  return {
    take(key: string): RateDecision {
      const t = now();
      const bucket = buckets.get(key) ?? { tokens: limit, at: t };
      bucket.tokens = Math.min(limit, bucket.tokens + (t - bucket.at) * perMs);
      bucket.at = t;
      const allowed = bucket.tokens >= 1;
      if (allowed) bucket.tokens -= 1;
      buckets.set(key, bucket);
      if (buckets.size > 100_000) buckets.delete(buckets.keys().next().value as string);
      return {
        allowed,
        limit,
        remaining: Math.floor(bucket.tokens),
        resetSeconds: Math.ceil((limit - bucket.tokens) / perMs / 1000),
        retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000)),
      };
    },
  };
}
