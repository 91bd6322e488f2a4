import type { Db } from '../../db/store.js';
import type { Transaction } from '../../db/transaction.js';
import type { DeliveryStatus, WebhookAttemptRow, WebhookDeliveryRow, WebhookTargetRow } from '../../db/types.js';
import { errors } from '../../lib/errors.js';
import type { Clock } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';
import type { PageRequest } from '../../lib/paging.js';
import { signingSecrets } from '../../lib/webhook-secret.js';
import type { JobQueue, JobResult } from '../../jobs/queue.js';
import { OutboundRefusedError, type OutboundHttp, type OutboundResponse } from '../../providers/http/outbound.js';
import { createBatcher } from '../../lib/batcher.js';
import { signatureHeaders } from './signing.js';
import type { WebhookSettingsCache } from './settings-cache.js';
import type { ClaimedDelivery, DeliveryFilter, WebhooksRepo } from './webhooks.repo.js';
import { createTargetsCache } from './targets-cache.js';
import type { RecordEvents } from '../events/events.service.js';

const DISABLE_AFTER_MS = 5 * 86_400_000;
const MAX_RETRY_AFTER_MS = 86_400_000;
/** Attempts lost with their worker (claimed, never recorded) past the schedule before giving up. */
const MAX_LOST_RUNS = 3;

/** Which channel URL each event goes to; every event also goes to the workspace events URL. */
const CHANNEL_URL = {
  WhatsAppMessage: 'whatsAppWebhookUrl',
  Call: 'postCallWebhookUrl',
  OutboundIvrCompleted: null,
  AssignedUserIdChanged: null,
  ContactCreated: null,
  ContactUpdated: null,
  ContactDeleted: null,
  ContactsImported: null,
  ConversationCreated: null,
  ConversationStatusChanged: null,
  ConversationTagsChanged: null,
} as const;
export type EventType = keyof typeof CHANNEL_URL;
/** Every event a webhook may carry (the event stream records each of them too). */
export const WEBHOOK_EVENT_TYPES = Object.keys(CHANNEL_URL) as EventType[];

interface Secrets {
  webhook_secret: string | null;
  previous_webhook_secret: string | null;
  webhook_secret_rotated_at: Date | null;
}
export interface ChannelHooks {
  workspaceId: string;
  whatsAppWebhookUrl: string | null;
  postCallWebhookUrl: string | null;
  secrets: Secrets;
}
export interface WorkspaceHooks {
  eventsWebhookUrl: string | null;
  secrets: Secrets;
}

export const toDelivery = (d: WebhookDeliveryRow) => ({
  id: d.id,
  workspaceId: d.workspace_id,
  channelId: d.channel_id,
  url: d.url,
  eventType: d.event_type,
  status: d.status,
  attempts: d.attempts,
  nextAttemptAt: d.next_attempt_at,
  lastStatusCode: d.last_status_code,
  lastError: d.last_error,
  creationTime: d.creation_time,
  deliveredAt: d.delivered_at,
});
const toAttempt = (a: WebhookAttemptRow) => ({
  attemptedAt: a.attempted_at,
  statusCode: a.status_code,
  latencyMs: a.latency_ms,
  error: a.error,
  responseExcerpt: a.response_excerpt,
});
export const toTarget = (t: WebhookTargetRow) => ({
  id: t.id,
  workspaceId: t.workspace_id,
  url: t.url,
  failingSince: t.failing_since,
  lastSuccessAt: t.last_success_at,
  lastFailureAt: t.last_failure_at,
  disabledAt: t.disabled_at,
  disabledReason: t.disabled_reason,
});

/** Retry-After in seconds or as an HTTP date, as a delay in ms (capped at a day). */
function retryAfterMs(response: OutboundResponse | undefined, now: Date): number | null {
  const value = response?.headers['retry-after'];
  if (!value) return null;
  const ms = /^\d+$/.test(value.trim()) ? Number(value) * 1000 : Date.parse(value) - now.getTime();
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS) : null;
}

export function createWebhooksService(deps: {
  repo: WebhooksRepo;
  queue: Pick<JobQueue, 'wakeWorkers'>;
  transaction: Transaction;
  clock: Clock;
  outbound: OutboundHttp;
  /** Delay before each attempt: [0, 5 s, 5 min, …]; its length is the number of attempts. */
  schedule: number[];
  settings: WebhookSettingsCache;
  channelHooks: (channelId: string, trx?: Db) => Promise<ChannelHooks | undefined>;
  workspaceHooks: (workspaceId: string, trx?: Db) => Promise<WorkspaceHooks | undefined>;
  /** The event stream's log (features/events): every event but `Test` is recorded there too, in the same transaction. */
  record?: RecordEvents;
}) {
  const { repo, clock, settings, transaction } = deps;
  const channelHooks = (id: string, trx?: Db) => settings.read(id, () => deps.channelHooks(id, trx));
  const workspaceHooks = (id: string, trx?: Db) => settings.read(id, () => deps.workspaceHooks(id, trx));

  // A busy worker records many successes per statement. The request is over by then (its slot
  // is free), so waiting a few milliseconds to gather more costs no throughput.
  const recordSuccess = createBatcher(
    async (items: { workerId: string; record: Parameters<WebhooksRepo['recordSuccesses']>[1][number] }[]) => {
      for (const workerId of new Set(items.map((i) => i.workerId))) {
        await repo.recordSuccesses(workerId, items.filter((i) => i.workerId === workerId).map((i) => i.record), clock.now());
      }
      return items.map(() => undefined);
    },
    { lingerMs: 3, max: 500 },
  );

  const targets = createTargetsCache({ repo, transaction });

  /** The secrets that sign a delivery now: its channel's or its workspace's (the 24 h overlap judged at each send). */
  async function secretsFor(d: ClaimedDelivery): Promise<string[]> {
    const hooks = d.signer === 'channel' && d.channel_id ? await channelHooks(d.channel_id) : await workspaceHooks(d.workspace_id);
    return hooks ? signingSecrets(hooks.secrets, clock.now()) : [];
  }

  /** A failed attempt: the target's health, then retry on the schedule, or fail (and maybe disable the target). */
  async function failed(d: ClaimedDelivery, workerId: string, now: Date, latencyMs: number, response: OutboundResponse | undefined, failure: unknown): Promise<JobResult> {
    const error = failure
      ? (failure as Error).message
      : response!.status >= 300 && response!.status < 400
        ? `HTTP ${response!.status}: redirects are not followed`
        : `HTTP ${response!.status}`;
    const target = await repo.targetFailed(d.target_id, now);
    let next: Date | null = null;
    if (response?.status === 410) await targets.disable(d.target_id, `the receiver answered 410 Gone at ${now.toISOString()}`, now);
    else if (target.failing_since && now.getTime() - target.failing_since.getTime() >= DISABLE_AFTER_MS) {
      await targets.disable(d.target_id, `failing since ${target.failing_since.toISOString()} (5 days); last error: ${error}`, now);
    } else if (!(failure instanceof OutboundRefusedError) && d.attempts < deps.schedule.length) {
      next = new Date(now.getTime() + Math.max(deps.schedule[d.attempts]!, retryAfterMs(response, now) ?? 0));
    }
    const attempt = { id: d.id, at: now, code: response?.status ?? null, latencyMs, error, excerpt: response?.bodyExcerpt ?? null };
    await repo.recordFailure(workerId, attempt, next);
    const reason = `attempt ${d.attempts} failed: ${error}`;
    return next ? { retryAt: next, reason } : { giveUp: true, reason };
  }

  return {
    /**
     * One event → one delivery per URL that wants it, in the caller's transaction and in one
     * statement: the channel's URL for this event type, an explicit `url` (an IVR request's), and
     * the workspace events URL (as `{eventType, data}`). Workers are woken when it commits.
     */
    /**
     * `payload` may be a function: it is called (in `trx`) only when some URL will receive the
     * event or the event stream records it, so a feature need not build an event nobody listens to.
     * Every event but `Test` is also recorded for the event stream (`record`, one INSERT), with the
     * same name and payload; `conversationId` names its conversation there when the payload does not.
     */
    async emit(trx: Db, event: { workspaceId: string; channelId?: string; conversationId?: string; type: EventType | 'Test'; payload: object | (() => Promise<object>); url?: string }) {
      const channel = event.channelId ? await channelHooks(event.channelId, trx) : undefined;
      const field = event.type === 'Test' ? null : CHANNEL_URL[event.type];
      const channelUrls = new Set<string>();
      if (channel && field && channel[field]) channelUrls.add(channel[field]!);
      if (event.url) channelUrls.add(event.url);
      const workspace = await workspaceHooks(event.workspaceId, trx);
      const toWorkspace = Boolean(workspace?.eventsWebhookUrl) && event.type !== 'Test';
      const recorded = event.type !== 'Test' && deps.record !== undefined;
      if (!channelUrls.size && !toWorkspace && !recorded) return [];
      const payload = typeof event.payload === 'function' ? await event.payload() : event.payload;
      if (recorded) await deps.record!(trx, { workspaceId: event.workspaceId, type: event.type as EventType, payload, ...(event.conversationId && { conversationId: event.conversationId }) });
      if (!channelUrls.size && !toWorkspace) return [];
      const raw = event.type === 'Test' ? JSON.stringify({ eventType: event.type, data: payload }) : JSON.stringify(payload);
      const signer = event.channelId ? 'channel' : 'workspace';
      const wanted = [...channelUrls].map((url) => ({ url, body: raw, signer }) as const);
      if (toWorkspace) wanted.push({ url: workspace!.eventsWebhookUrl!, body: JSON.stringify({ eventType: event.type, data: payload }), signer: 'workspace' });
      const now = clock.now();
      const found = await targets.forEmit(event.workspaceId, wanted.map((w) => w.url), now, trx);
      const rows = wanted.map(({ url, body, signer }) => {
        const target = found.get(url)!;
        const status: DeliveryStatus = target.disabled_at ? 'skipped' : 'pending';
        return {
          id: newId(),
          workspace_id: event.workspaceId,
          channel_id: event.channelId ?? null,
          target_id: target.id,
          url,
          event_type: event.type,
          body,
          signer,
          status,
          next_attempt_at: status === 'pending' ? now : null,
          last_status_code: null,
          last_error: status === 'skipped' ? `target disabled: ${target.disabled_reason}` : null,
          creation_time: now,
          delivered_at: null,
        };
      });
      // Sent with the COMMIT (no round trip of its own): nothing in the transaction reads them.
      await transaction.beforeCommit(trx, () => repo.insertDeliveriesStatement(rows));
      if (rows.some((r) => r.status === 'pending')) await deps.queue.wakeWorkers(trx);
      return rows.map((r) => ({ id: r.id, url: r.url, status: r.status }));
    },

    claim: repo.claim,
    renew: repo.renew,
    release: repo.release,
    stats: repo.stats,

    /**
     * One attempt of one claimed delivery (the `webhook.deliver` job kind's run): send it signed
     * and record the outcome in its row; `sent` is told when the request is over (the worker may
     * start the next one meanwhile). Safe to run twice: the webhook-id lets receivers dedupe.
     */
    async deliver(d: ClaimedDelivery, workerId: string, sent: () => void = () => {}): Promise<JobResult> {
      if (d.target_disabled_at) return void (await repo.skip(workerId, d.id, 'target disabled before sending'));
      const now = clock.now();
      // Past the schedule (a replay, or the last attempt's worker died): go on unless runs keep
      // dying with their worker — claims without a recorded attempt — which would never end.
      if (d.attempts > deps.schedule.length && d.attempts - 1 - (await repo.recordedAttempts(d.id)) >= MAX_LOST_RUNS) {
        const error = `${MAX_LOST_RUNS} attempts ended with their worker: given up`;
        await repo.recordFailure(workerId, { id: d.id, at: now, code: null, latencyMs: 0, error, excerpt: null }, null);
        return { giveUp: true, reason: error };
      }
      const headers = { 'content-type': 'application/json', ...signatureHeaders(d.id, d.body, await secretsFor(d), now) };
      const started = performance.now();
      let response: OutboundResponse | undefined;
      let failure: unknown;
      try {
        response = await deps.outbound.post(d.url, { headers, body: d.body });
      } catch (err) {
        failure = err;
      }
      const latencyMs = Math.round(performance.now() - started);
      sent(); // recording the outcome needs no slot of the worker's
      if (response && response.status >= 200 && response.status < 300) {
        const record = { id: d.id, targetId: d.target_id, at: now, code: response.status, latencyMs, error: null, excerpt: response.bodyExcerpt };
        return void (await recordSuccess({ workerId, record }));
      }
      return failed(d, workerId, now, latencyMs, response, failure);
    },

    async list(filter: DeliveryFilter, page: PageRequest) {
      const result = await repo.list(filter, page);
      return { totalCount: result.totalCount, items: result.items.map(toDelivery) };
    },

    async get(id: string) {
      const d = await repo.find(id);
      if (!d) throw errors.notFound('WebhookDelivery', id);
      return { ...toDelivery(d), body: d.body, attemptLog: (await repo.attempts(id)).map(toAttempt) };
    },

    /** Sends a delivery again (same webhook-id, same body), re-enabling its target. */
    async replay(id: string) {
      return transaction(async (trx) => {
        const d = await repo.find(id, trx);
        if (!d) throw errors.notFound('WebhookDelivery', id);
        if (d.status === 'pending') throw errors.deliveryPending(id);
        await targets.enable(d.target_id, trx);
        await repo.reopen([id], clock.now(), trx);
        await deps.queue.wakeWorkers(trx);
        return toDelivery((await repo.find(id, trx))!);
      });
    },

    /** Sends again every failed or skipped delivery since `since` (re-enabling their targets). */
    async recover(since: Date, workspaceId?: string) {
      return transaction(async (trx) => {
        const unsent = await repo.unsent(since, workspaceId, trx);
        if (!unsent.length) return { recovered: 0 };
        for (const targetId of new Set(unsent.map((u) => u.target_id))) await targets.enable(targetId, trx);
        await repo.reopen(unsent.map((u) => u.id), clock.now(), trx);
        await deps.queue.wakeWorkers(trx);
        return { recovered: unsent.length };
      });
    },

    /** A signed `{eventType: "Test", data}` to each of the channel's webhook URLs. */
    async sendTest(channelId: string) {
      const channel = await deps.channelHooks(channelId);
      if (!channel) throw errors.notFound('Channel', channelId);
      const urls = [...new Set([channel.whatsAppWebhookUrl, channel.postCallWebhookUrl].filter((u): u is string => Boolean(u)))];
      if (!urls.length) throw errors.noWebhookUrl(channelId);
      const payload = { workspaceId: channel.workspaceId, channelId, message: 'A test event from Wasl: your receiver is reachable.', creationTime: clock.now() };
      const deliveries = await transaction(async (trx) => {
        const sent = [];
        for (const url of urls) sent.push(...(await this.emit(trx, { workspaceId: channel.workspaceId, channelId, type: 'Test', payload, url })));
        return sent;
      });
      return { deliveries };
    },

    targets: async (workspaceId: string) => (await repo.listTargets(workspaceId)).map(toTarget),

    async enableTarget(id: string) {
      const t = await targets.enable(id);
      if (!t) throw errors.notFound('WebhookTarget', id);
      return toTarget(t);
    },
  };
}
export type WebhooksService = ReturnType<typeof createWebhooksService>;
