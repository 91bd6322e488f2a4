import { queuedJob, type JobDefinition } from '../../jobs/queue.js';
import { SEND_JOB, SendPayload, STATUS_JOB, StatusPayload, type WhatsAppService } from './whatsapp.service.js';
import { INBOUND_JOB, InboundPayload, WEBHOOK_JOB, WebhookPayload, type WhatsAppInbound } from './inbound.service.js';
import { READ_JOB, ReadPayload } from './read-receipts.js';
import type { JobResult } from '../../jobs/queue.js';

/**
 * The WhatsApp feature's jobs, listed by container.ts: `whatsapp.webhook` (an accepted Meta webhook,
 * kept and fanned out), `whatsapp.send` (keyed per conversation,
 * paced per number), `whatsapp.status` (one status callback), `whatsapp.read` (a read receipt) and `whatsapp.inbound` (one inbound
 * message, keyed per channel so a customer's messages land in the order they came).
 */
export function whatsAppJobs({ whatsApp, inbound, markRead }: { whatsApp: WhatsAppService; inbound: WhatsAppInbound; markRead: (payload: { channelId: string; conversationId: string }) => Promise<JobResult> }): JobDefinition[] {
  return [
    queuedJob({ name: WEBHOOK_JOB, payload: WebhookPayload, maxAttempts: 8, handler: (payload) => inbound.fanOut(payload) }),
    queuedJob({ name: INBOUND_JOB, payload: InboundPayload, maxAttempts: 8, handler: (payload, ctx) => inbound.receive(payload, ctx) }),
    queuedJob({ name: SEND_JOB, payload: SendPayload, maxAttempts: 8, timeoutMs: 30_000, handler: (payload, ctx) => whatsApp.deliver(payload, ctx) }),
    queuedJob({ name: READ_JOB, payload: ReadPayload, maxAttempts: 5, handler: (payload) => markRead(payload) }),
    queuedJob({ name: STATUS_JOB, payload: StatusPayload, maxAttempts: 5, handler: (payload, ctx) => whatsApp.applyStatus(payload, ctx) }),
  ];
}
