/**
 * Rows that rarely change (a channel's settings, a workspace's region and webhook settings) as hot
 * paths read them: at most once per `ttlMs` per key, instead of once per request, send or event.
 * A change made through this process is seen at once (its service calls `changed` after the
 * commit); one made on another node within `ttlMs` — the bound every caller accepts. A failed
 * load and a load that found nothing are not kept (the row may be being created).
 */
export function createTtlCache(ttlMs = 1000, maxEntries = 10_000) {
  const entries = new Map<string, { at: number; value: Promise<unknown> }>();
  return {
    read<T>(key: string, load: () => Promise<T>): Promise<T> {
      const hit = entries.get(key);
      // A load that fails (e.g. its transaction was aborted) is nobody else's failure: load again.
      if (hit && performance.now() - hit.at <= ttlMs) return (hit.value as Promise<T>).catch(load);
      if (entries.size >= maxEntries) entries.clear();
      const value = load();
      entries.set(key, { at: performance.now(), value });
      const forget = () => void (entries.get(key)?.value === value && entries.delete(key));
      value.then((found) => found ?? forget(), forget);
      return value;
    },
    /** Every key of `id` (`id` itself and `id:…`) is read again next time. */
    changed(id: string) {
      for (const key of entries.keys()) if (key === id || key.startsWith(`${id}:`)) entries.delete(key);
    },
  };
}
export type TtlCache = ReturnType<typeof createTtlCache>;
