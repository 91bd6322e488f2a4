import type { Db } from '../../db/store.js';
import type { DeliveryStatus, WebhookAttemptRow, WebhookDeliveryRow, WebhookTargetRow } from '../../db/types.js';
import { AppError, errors } from '../../http/errors.js';
import type { Clock } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';
import { signingSecrets } from '../../lib/webhook-secret.js';
import { retryAt } from '../../jobs/queue.js';
import type { JobQueue } from '../../jobs/queue.js';
import { OutboundRefusedError, type OutboundHttp, type OutboundResponse } from '../../providers/http/outbound.js';
import { createBatcher } from '../../lib/batcher.js';
import { signatureHeaders } from './signing.js';
import type { DeliveryFilter, WebhooksRepo } from './webhooks.repo.js';

export const DELIVER_JOB = 'webhook.deliver';
const DISABLE_AFTER_MS = 5 * 86_400_000;
const MAX_RETRY_AFTER_MS = 86_400_000;

/** Which channel URL each event goes to; every event also goes to the workspace events URL. */
const CHANNEL_URL = {
  WhatsAppMessage: 'whatsAppWebhookUrl',
  Call: 'postCallWebhookUrl',
  OutboundIvrCompleted: null,
  AssignedUserIdChanged: null,
} as const;
export type EventType = keyof typeof CHANNEL_URL;

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
  queue: Pick<JobQueue, 'enqueue'>;
  clock: Clock;
  outbound: OutboundHttp;
  /** Delay before each attempt: [0, 5 s, 5 min, …]; its length is the number of attempts. */
  schedule: number[];
  channelHooks: (channelId: string, trx?: Db) => Promise<ChannelHooks | undefined>;
  workspaceHooks: (workspaceId: string, trx?: Db) => Promise<WorkspaceHooks | undefined>;
}) {
  const { repo, clock } = deps;

  async function createDelivery(trx: Db, input: { workspaceId: string; channelId: string | null; url: string; type: string; body: string; signer: 'channel' | 'workspace' }) {
    const now = clock.now();
    const target = await repo.target(trx, input.workspaceId, input.url, newId(), now);
    const id = newId();
    const status: DeliveryStatus = target.disabled_at ? 'skipped' : 'pending';
    await repo.insertDelivery(trx, {
      id,
      workspace_id: input.workspaceId,
      channel_id: input.channelId,
      target_id: target.id,
      url: input.url,
      event_type: input.type,
      body: input.body,
      signer: input.signer,
      status,
      next_attempt_at: status === 'pending' ? now : null,
      last_status_code: null,
      last_error: status === 'skipped' ? `target disabled: ${target.disabled_reason}` : null,
      creation_time: now,
      delivered_at: null,
    });
    if (status === 'pending') await deps.queue.enqueue(trx, DELIVER_JOB, { deliveryId: id });
    return { id, url: input.url, status };
  }

  // A busy worker reads many deliveries and records many successes per statement.
  const findForSending = createBatcher(async (ids: string[]) => {
    const rows = await repo.findForSending(ids);
    return ids.map((id) => rows.find((r) => r.id === id));
  });
  const recordSuccess = createBatcher((items: Parameters<WebhooksRepo['recordSuccesses']>[0]) => repo.recordSuccesses(items, clock.now()));

  // Signing settings are read at most once a second per channel or workspace: a changed secret
  // signs within a second. The row is kept, so the 24 h overlap is still judged at each send.
  const settings = new Map<string, { at: number; hooks: Promise<ChannelHooks | WorkspaceHooks | undefined> }>();
  async function secretsFor(d: WebhookDeliveryRow): Promise<string[]> {
    const byChannel = d.signer === 'channel' && d.channel_id;
    const key = byChannel ? `c:${d.channel_id}` : `w:${d.workspace_id}`;
    let hit = settings.get(key);
    if (!hit || performance.now() - hit.at > 1000) {
      if (settings.size > 10_000) settings.clear();
      hit = { at: performance.now(), hooks: byChannel ? deps.channelHooks(d.channel_id!) : deps.workspaceHooks(d.workspace_id) };
      settings.set(key, hit);
    }
    const hooks = await hit.hooks;
    return hooks ? signingSecrets(hooks.secrets, clock.now()) : [];
  }

  return {
    /**
     * One event → one delivery per URL that wants it, in the caller's transaction: the channel's
     * URL for this event type, an explicit `url` (an IVR request's), and the workspace events URL
     * (as `{eventType, data}`).
     */
    async emit(trx: Db, event: { workspaceId: string; channelId?: string; type: EventType | 'Test'; payload: object; url?: string }) {
      const created = [];
      const channel = event.channelId ? await deps.channelHooks(event.channelId, trx) : undefined;
      const field = event.type === 'Test' ? null : CHANNEL_URL[event.type];
      const channelUrls = new Set<string>();
      if (channel && field && channel[field]) channelUrls.add(channel[field]!);
      if (event.url) channelUrls.add(event.url);
      const raw = event.type === 'Test' ? JSON.stringify({ eventType: event.type, data: event.payload }) : JSON.stringify(event.payload);
      for (const url of channelUrls) {
        created.push(await createDelivery(trx, { workspaceId: event.workspaceId, channelId: event.channelId ?? null, url, type: event.type, body: raw, signer: event.channelId ? 'channel' : 'workspace' }));
      }
      const workspace = await deps.workspaceHooks(event.workspaceId, trx);
      if (workspace?.eventsWebhookUrl && event.type !== 'Test') {
        const body = JSON.stringify({ eventType: event.type, data: event.payload });
        created.push(await createDelivery(trx, { workspaceId: event.workspaceId, channelId: event.channelId ?? null, url: workspace.eventsWebhookUrl, type: event.type, body, signer: 'workspace' }));
      }
      return created;
    },

    /** One attempt of one delivery (the job handler). Safe to run twice: a sent delivery is left alone. */
    async deliver(deliveryId: string) {
      const d = await findForSending(deliveryId);
      if (!d || d.status !== 'pending') return;
      if (d.target_disabled_at) return void (await repo.setStatus(d.id, 'skipped', 'target disabled before sending'));
      const now = clock.now();
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
      if (response && response.status >= 200 && response.status < 300) {
        return void (await recordSuccess({ id: d.id, targetId: d.target_id, at: now, code: response.status, latencyMs, excerpt: response.bodyExcerpt }));
      }
      const attempt = d.attempts + 1;
      const error = failure
        ? (failure as Error).message
        : response!.status >= 300 && response!.status < 400
          ? `HTTP ${response!.status}: redirects are not followed`
          : `HTTP ${response!.status}`;
      const target = await repo.targetFailed(d.target_id, now);
      let next: Date | null = null;
      let status: DeliveryStatus = 'failed';
      if (response?.status === 410) await repo.disableTarget(d.target_id, `the receiver answered 410 Gone at ${now.toISOString()}`, now);
      else if (target.failing_since && now.getTime() - target.failing_since.getTime() >= DISABLE_AFTER_MS) {
        await repo.disableTarget(d.target_id, `failing since ${target.failing_since.toISOString()} (5 days); last error: ${error}`, now);
      } else if (!(failure instanceof OutboundRefusedError) && attempt < deps.schedule.length) {
        next = new Date(now.getTime() + Math.max(deps.schedule[attempt]!, retryAfterMs(response, now) ?? 0));
        status = 'pending';
      }
      await repo.recordAttempt(
        d.id,
        { attempted_at: now, status_code: response?.status ?? null, latency_ms: latencyMs, error, response_excerpt: response?.bodyExcerpt ?? null },
        { status, next_attempt_at: next, delivered_at: null },
      );
      if (next) throw retryAt(next, `attempt ${attempt} failed: ${error}`);
    },

    async list(filter: DeliveryFilter, skip: number, take: number) {
      const page = await repo.list(filter, skip, take);
      return { totalCount: page.totalCount, items: page.items.map(toDelivery) };
    },

    async get(id: string) {
      const d = await repo.find(id);
      if (!d) throw errors.notFound('WebhookDelivery', id);
      return { ...toDelivery(d), body: d.body, attemptLog: (await repo.attempts(id)).map(toAttempt) };
    },

    /** Sends a delivery again (same webhook-id, same body), re-enabling its target. */
    async replay(db: Db, id: string) {
      const d = await repo.find(id);
      if (!d) throw errors.notFound('WebhookDelivery', id);
      if (d.status === 'pending') throw errors.conflict('Wasl:WebhookDelivery:Pending', `Delivery ${id} is already waiting to be sent.`);
      await repo.enableTarget(d.target_id);
      await db.transaction().execute(async (trx) => {
        await repo.reopen(trx, [id], clock.now());
        await deps.queue.enqueue(trx, DELIVER_JOB, { deliveryId: id });
      });
      return toDelivery((await repo.find(id))!);
    },

    /** Sends again every failed or skipped delivery since `since` (re-enabling their targets). */
    async recover(db: Db, since: Date, workspaceId?: string) {
      const unsent = await repo.unsent(since, workspaceId);
      for (const targetId of new Set(unsent.map((u) => u.target_id))) await repo.enableTarget(targetId);
      await db.transaction().execute(async (trx) => {
        if (!unsent.length) return;
        await repo.reopen(trx, unsent.map((u) => u.id), clock.now());
        for (const u of unsent) await deps.queue.enqueue(trx, DELIVER_JOB, { deliveryId: u.id });
      });
      return { recovered: unsent.length };
    },

    /** A signed `{eventType: "Test", data}` to each of the channel's webhook URLs. */
    async sendTest(db: Db, channelId: string) {
      const channel = await deps.channelHooks(channelId);
      if (!channel) throw errors.notFound('Channel', channelId);
      const urls = [...new Set([channel.whatsAppWebhookUrl, channel.postCallWebhookUrl].filter((u): u is string => Boolean(u)))];
      if (!urls.length) {
        throw new AppError(422, 'Wasl:Channel:NoWebhookUrl', `Channel ${channelId} has no whatsAppWebhookUrl or postCallWebhookUrl to test.`);
      }
      const payload = { workspaceId: channel.workspaceId, channelId, message: 'A test event from Wasl: your receiver is reachable.', creationTime: clock.now() };
      const deliveries = await db.transaction().execute(async (trx) => {
        const sent = [];
        for (const url of urls) sent.push(...(await this.emit(trx, { workspaceId: channel.workspaceId, channelId, type: 'Test', payload, url })));
        return sent;
      });
      return { deliveries };
    },

    targets: async (workspaceId: string) => (await repo.listTargets(workspaceId)).map(toTarget),

    async enableTarget(id: string) {
      const t = await repo.enableTarget(id);
      if (!t) throw errors.notFound('WebhookTarget', id);
      return toTarget(t);
    },
  };
}
export type WebhooksService = ReturnType<typeof createWebhooksService>;
