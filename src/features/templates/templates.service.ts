import type { Db } from '../../db/store.js';
import type { Transaction } from '../../db/transaction.js';
import type { JobContext, JobQueue, JobResult } from '../../jobs/queue.js';
import type { Clock } from '../../lib/clock.js';
import { errors } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import type { PageRequest } from '../../lib/paging.js';
import { ProviderError } from '../../providers/errors.js';
import type { TemplateInfo, WhatsAppPort } from '../../providers/whatsapp/port.js';
import { definitionIssues, describeDefinition, type MetaComponent } from './definition.js';
import type { TemplateRow, TemplatesRepo } from './templates.repo.js';
import type { AddTemplateInput } from './templates.schemas.js';

export const SYNC_JOB = 'whatsapp.templates.sync';
/** How often a Cloud API channel's catalogue is synced again, once it has synced once. */
export const SYNC_EVERY_MS = 6 * 3_600_000;

interface ChannelInfo {
  id: string;
  workspaceId: string;
  whatsAppProvider: string | null;
}

export function toTemplate(row: TemplateRow) {
  return {
    id: row.id,
    channelId: row.channel_id,
    name: row.name,
    language: row.language,
    status: row.status,
    category: row.category,
    components: row.components,
    source: row.source,
    creationTime: row.creation_time,
    lastModificationTime: row.last_modification_time,
  };
}

/** Meta's language codes compare as one: `en_US` = `en-us`. */
const sameLanguage = (a: string, b: string) => a.replace(/-/g, '_').toLowerCase() === b.replace(/-/g, '_').toLowerCase();
// PostgreSQL cannot store NUL in jsonb text; Meta sends none, but a sync must not fail on one.
const clean = <T>(value: T): T => JSON.parse(JSON.stringify(value), (_, v: unknown) => (typeof v === 'string' ? v.replaceAll('\u0000', '') : v));

/**
 * The WhatsApp template catalogue, per channel: entries the admin API adds, those a sync brings
 * (a Cloud API channel's from the Graph API, on demand and every 6 hours once synced; a sandbox
 * channel's built-in ones, seeded the first time its catalogue is used), and the lookup a send
 * validates against.
 */
export function createTemplatesService(deps: {
  repo: TemplatesRepo;
  transaction: Transaction;
  clock: Clock;
  queue: Pick<JobQueue, 'enqueue'>;
  channel: (id: string, trx?: Db) => Promise<ChannelInfo | undefined>;
  adapter: (channelId: string) => Promise<WhatsAppPort | undefined>;
}) {
  const { repo, transaction, clock } = deps;

  /** A channel with WhatsApp, for the admin API (any workspace's): 404 when missing, 422 without WhatsApp. */
  async function whatsAppChannel(id: string) {
    const channel = await deps.channel(id);
    if (!channel) throw errors.notFound('Channel', id);
    if (!channel.whatsAppProvider) throw errors.channelWithoutWhatsApp(id);
    return channel as ChannelInfo & { whatsAppProvider: string };
  }

  /** Queues the periodic sync due at `at` (one job per channel and due time). */
  const schedule = (trx: Db, channelId: string, at: Date) =>
    deps.queue.enqueue(trx, SYNC_JOB, { channelId, due: at.getTime() }, { runAt: at, idempotencyKey: `${SYNC_JOB}:${channelId}:${at.getTime()}` });

  /**
   * Replaces the channel's synced entries (a provider's, not the admin's) with `fetched`, and
   * records the sync; a Cloud API channel's next periodic sync is queued 6 hours on.
   */
  async function store(channel: ChannelInfo & { whatsAppProvider: string }, fetched: TemplateInfo[]) {
    const now = clock.now();
    const periodic = channel.whatsAppProvider === 'cloud';
    const nextSyncAt = periodic ? new Date(now.getTime() + SYNC_EVERY_MS) : null;
    const source = channel.whatsAppProvider === 'sandbox' ? 'sandbox' : 'sync';
    const unique = new Map(fetched.map((t) => [`${t.name}\u0001${t.language}`, t]));
    return transaction(async (trx) => {
      await repo.lockSync(channel.id, { provider: channel.whatsAppProvider, syncedAt: now, nextSyncAt }, trx);
      const kept: string[] = [];
      let added = 0;
      for (const t of unique.values()) {
        const row = await repo.upsert(channel.id, { id: newId(), ...clean({ name: t.name, language: t.language, status: t.status, category: t.category, components: t.components as Record<string, unknown>[] }), source, now }, trx);
        kept.push(row.id);
        if (row.inserted) added++;
      }
      const removed = await repo.removeSyncedExcept(channel.id, kept, trx);
      if (nextSyncAt) await schedule(trx, channel.id, nextSyncAt);
      return { channelId: channel.id, provider: channel.whatsAppProvider, fetched: fetched.length, added, updated: unique.size - added, removed, syncedAt: now, nextSyncAt: nextSyncAt?.toISOString() ?? null };
    });
  }

  /** The provider's catalogue; its failures as the adapter gives them (ProviderError). */
  async function fetchRaw(channelId: string): Promise<TemplateInfo[]> {
    const adapter = await deps.adapter(channelId);
    if (!adapter) throw errors.channelWithoutWhatsApp(channelId);
    return adapter.fetchTemplates();
  }

  /** The provider's catalogue, or its refusal as an AppError: 422 for a missing WABA id, else 502 naming Meta's code. */
  async function fetchFrom(channelId: string): Promise<TemplateInfo[]> {
    try {
      return await fetchRaw(channelId);
    } catch (err) {
      if (!(err instanceof ProviderError)) throw err;
      if (err.code === 'no_business_account') throw errors.channelWithoutBusinessAccount(channelId);
      throw errors.templateSyncFailed(channelId, err.code, err.reason);
    }
  }

  /** A sandbox channel's built-in catalogue, the first time its catalogue is used (and after it became a sandbox channel). */
  async function seed(channel: ChannelInfo & { whatsAppProvider: string }) {
    if (channel.whatsAppProvider !== 'sandbox') return;
    const state = await repo.syncState(channel.id);
    if (state?.provider === 'sandbox') return;
    await store(channel, await fetchFrom(channel.id));
  }

  /** The channel's catalogue, seeded first when it is a sandbox channel's. */
  async function listed(channel: ChannelInfo & { whatsAppProvider: string }, page: PageRequest) {
    await seed(channel);
    const found = await repo.list(channel.id, page);
    return { totalCount: found.totalCount, items: found.items.map(toTemplate) };
  }

  return {
    async list(channelId: string, page: PageRequest) {
      return listed(await whatsAppChannel(channelId), page);
    },

    /** A workspace's channel's catalogue as a sender sees it (another workspace's channel → 404). */
    async catalogue(workspaceId: string, channelId: string, page: PageRequest) {
      const channel = await deps.channel(channelId);
      if (channel?.workspaceId !== workspaceId) throw errors.notFound('Channel', channelId);
      if (!channel.whatsAppProvider) throw errors.channelWithoutWhatsApp(channel.id);
      const found = await listed({ ...channel, whatsAppProvider: channel.whatsAppProvider }, page);
      return { totalCount: found.totalCount, items: found.items.map((t) => ({ ...t, ...describeDefinition(t.components as unknown as MetaComponent[]) })) };
    },

    /** Adds a definition, or replaces the one of the same name and language (its source becomes admin). */
    async add(channelId: string, input: AddTemplateInput) {
      const issues = definitionIssues(input.components as MetaComponent[]);
      if (issues.length) throw errors.invalid(issues);
      const channel = await whatsAppChannel(channelId);
      await seed(channel);
      const { inserted: _, ...row } = await repo.upsert(channel.id, {
        id: newId(),
        name: input.name,
        language: input.language,
        category: input.category,
        status: input.status ?? 'APPROVED',
        components: input.components as Record<string, unknown>[],
        source: 'admin',
        now: clock.now(),
      });
      return toTemplate(row);
    },

    /** Fetches the catalogue through the channel's adapter now and replaces the synced entries. */
    async sync(channelId: string) {
      const channel = await whatsAppChannel(channelId);
      return store(channel, await fetchFrom(channel.id));
    },

    /**
     * The catalogue entry a send names, checked (language, APPROVED), or null when the catalogue
     * does not know the name and the send goes as given: a sandbox channel (ad-hoc), a Cloud API
     * channel that never synced (Meta decides). A Cloud API channel that synced → 422.
     */
    async resolve(channel: ChannelInfo & { whatsAppProvider: string }, name: string, language: string): Promise<TemplateRow | null> {
      await seed(channel);
      const rows = await repo.byName(channel.id, name);
      if (!rows.length) {
        if (channel.whatsAppProvider === 'sandbox') return null;
        const state = await repo.syncState(channel.id);
        if (state?.provider === channel.whatsAppProvider) throw errors.templateUnknown(name, channel.id);
        return null;
      }
      const row = rows.find((r) => sameLanguage(r.language, language));
      if (!row) throw errors.templateLanguageUnavailable(name, language, rows.map((r) => r.language));
      if (row.status.toUpperCase() !== 'APPROVED') throw errors.templateNotApproved(name, row.language, row.status);
      return row;
    },

    /**
     * The periodic sync (`whatsapp.templates.sync`): runs when it is still the channel's next one
     * (a sync since then queued a later one), then queues the next. A failure is retried a few
     * times, then recorded and tried again in 6 hours; a channel no longer on the Cloud API stops.
     */
    async syncJob(payload: { channelId: string; due: number }, ctx: JobContext): Promise<JobResult> {
      const channel = await deps.channel(payload.channelId);
      if (channel?.whatsAppProvider !== 'cloud') return;
      const state = await repo.syncState(channel.id);
      if (state?.next_sync_at?.getTime() !== payload.due) return;
      const cloud = channel as ChannelInfo & { whatsAppProvider: string };
      let fetched: TemplateInfo[];
      try {
        fetched = await fetchRaw(cloud.id);
      } catch (err) {
        if (!(err instanceof ProviderError)) throw err;
        // Transport errors, 5xx and throttling are worth a retry soon; a refusal waits for the next round.
        if (err.retry === 'throttled' && ctx.attempt < ctx.maxAttempts) return { retryAt: new Date(clock.now().getTime() + (err.retryAfterMs ?? 60_000)), reason: err.message };
        if (err.retry === 'later' && ctx.attempt < ctx.maxAttempts) throw err;
        const next = new Date(clock.now().getTime() + SYNC_EVERY_MS);
        await transaction(async (trx) => {
          await repo.syncFailed(cloud.id, { error: `${err.reason} (${err.code})`, at: clock.now(), nextSyncAt: next }, trx);
          await schedule(trx, cloud.id, next);
        });
        return;
      }
      await store(cloud, fetched);
    },
  };
}
export type TemplatesService = ReturnType<typeof createTemplatesService>;
