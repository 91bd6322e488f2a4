import { queuedJob, type JobDefinition } from '../../jobs/queue.js';
import { SEND_JOB, SendPayload, STATUS_JOB, StatusPayload, type WhatsAppService } from './whatsapp.service.js';
import { INBOUND_JOB, InboundPayload, type WhatsAppInbound } from './inbound.service.js';

/**
 * The WhatsApp feature's jobs, listed by container.ts: `whatsapp.send` (keyed per conversation,
 * paced per number), `whatsapp.status` (one status callback) and `whatsapp.inbound` (one inbound
 * message, keyed per channel so a customer's messages land in the order they came).
 */
export function whatsAppJobs({ whatsApp, inbound }: { whatsApp: WhatsAppService; inbound: WhatsAppInbound }): JobDefinition[] {
  return [
    queuedJob({ name: INBOUND_JOB, payload: InboundPayload, maxAttempts: 8, handler: (payload) => inbound.receive(payload) }),
    queuedJob({ name: SEND_JOB, payload: SendPayload, maxAttempts: 8, timeoutMs: 30_000, handler: (payload, ctx) => whatsApp.deliver(payload, ctx) }),
    queuedJob({ name: STATUS_JOB, payload: StatusPayload, maxAttempts: 5, handler: (payload, ctx) => whatsApp.applyStatus(payload, ctx) }),
  ];
}
