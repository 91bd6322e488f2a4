/**
 * Channel and workspace webhook settings (URLs and signing secrets) as emitting and sending read
 * them: at most once a second per channel or workspace, instead of once per event and delivery.
 * A change made through this process is seen at once (its service calls `changed`); one made
 * on another node within a second. Keyed by id: channel and workspace ids never collide.
 */
export function createWebhookSettingsCache(ttlMs = 1000, maxEntries = 10_000) {
  const entries = new Map<string, { at: number; value: Promise<unknown> }>();
  return {
    read<T>(id: string, load: () => Promise<T>): Promise<T> {
      const hit = entries.get(id);
      // A load that fails (e.g. its transaction was aborted) is nobody else's failure: load again.
      if (hit && performance.now() - hit.at <= ttlMs) return (hit.value as Promise<T>).catch(load);
      if (entries.size >= maxEntries) entries.clear();
      const value = load();
      entries.set(id, { at: performance.now(), value });
      // Nothing found is not kept either: the channel may be being created.
      const forget = () => void (entries.get(id)?.value === value && entries.delete(id));
      value.then((found) => found ?? forget(), forget);
      return value;
    },
    /** The channel or workspace `id` changed its webhook settings: read them again next time. */
    changed(id: string) {
      entries.delete(id);
    },
  };
}
export type WebhookSettingsCache = ReturnType<typeof createWebhookSettingsCache>;
