import { Type } from 'typebox';
import type { JobQueue } from '../../jobs/queue.js';
import { DELIVER_JOB, type WebhooksService } from './webhooks.service.js';

/**
 * `webhook.deliver`: one attempt per run. The delivery row keeps its own attempt count and
 * schedule; the job gets a few extra attempts so a worker crash mid-attempt does not use one up.
 */
export function defineWebhookJobs(queue: JobQueue, webhooks: WebhooksService, attempts: number) {
  queue.define({
    name: DELIVER_JOB,
    payload: Type.Object({ deliveryId: Type.String({ format: 'uuid' }) }),
    maxAttempts: attempts + 3,
    timeoutMs: 60_000,
    handler: (payload) => webhooks.deliver(payload.deliveryId),
  });
}
