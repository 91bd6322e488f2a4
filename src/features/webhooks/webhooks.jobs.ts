import { claimedJob, type JobDefinition } from '../../jobs/queue.js';
import type { ClaimedDelivery } from './webhooks.repo.js';
import type { WebhooksService } from './webhooks.service.js';

export const DELIVER_JOB = 'webhook.deliver';

/**
 * The webhooks feature's jobs, listed by container.ts. `webhook.deliver` is a claimed job kind:
 * the deliveries table is its queue (one row per delivery, one attempt count, the retry schedule
 * in `next_attempt_at`), so a delivery needs no job row beside it. One attempt per run.
 */
export function webhookJobs({ webhooks }: { webhooks: WebhooksService }): JobDefinition[] {
  return [
    claimedJob<ClaimedDelivery>({
      name: DELIVER_JOB,
      timeoutMs: 60_000,
      claim: webhooks.claim,
      run: (delivery, ctx) => webhooks.deliver(delivery, ctx.workerId, ctx.freeSlot),
      renew: webhooks.renew,
      release: webhooks.release,
      stats: webhooks.stats,
    }),
  ];
}
