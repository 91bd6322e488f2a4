import { queuedJob, type JobDefinition } from '../../jobs/queue.js';
import { SEND_JOB, SendPayload, STATUS_JOB, StatusPayload, type WhatsAppService } from './whatsapp.service.js';

/**
 * The WhatsApp feature's jobs, listed by container.ts: `whatsapp.send` (keyed per conversation,
 * paced per number) and `whatsapp.status` (one status callback).
 */
export function whatsAppJobs({ whatsApp }: { whatsApp: WhatsAppService }): JobDefinition[] {
  return [
    queuedJob({ name: SEND_JOB, payload: SendPayload, maxAttempts: 8, timeoutMs: 30_000, handler: (payload, ctx) => whatsApp.deliver(payload, ctx) }),
    queuedJob({ name: STATUS_JOB, payload: StatusPayload, maxAttempts: 5, handler: (payload, ctx) => whatsApp.applyStatus(payload, ctx) }),
  ];
}
