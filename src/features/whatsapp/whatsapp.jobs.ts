import { queuedJob, type JobDefinition } from '../../jobs/queue.js';
import { SEND_JOB, SendPayload, type WhatsAppService } from './whatsapp.service.js';

/** The WhatsApp feature's jobs, listed by container.ts: `whatsapp.send`, keyed per conversation and paced per number. */
export function whatsAppJobs({ whatsApp }: { whatsApp: WhatsAppService }): JobDefinition[] {
  return [queuedJob({ name: SEND_JOB, payload: SendPayload, maxAttempts: 8, timeoutMs: 30_000, handler: (payload, ctx) => whatsApp.deliver(payload, ctx) })];
}
