import { createTtlCache, type TtlCache } from '../../lib/ttl-cache.js';

/**
 * Channel and workspace webhook settings (URLs and signing secrets) as emitting and sending read
 * them: at most once a second per channel or workspace, instead of once per event and delivery
 * (lib/ttl-cache.ts). Keyed by id: channel and workspace ids never collide.
 */
export const createWebhookSettingsCache = (ttlMs = 1000, maxEntries = 10_000) => createTtlCache(ttlMs, maxEntries);
export type WebhookSettingsCache = TtlCache;
