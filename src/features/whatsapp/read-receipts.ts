import { Type, type Static } from 'typebox';
import type { Db } from '../../db/store.js';
import { Uuid } from '../../http/schemas.js';
import type { JobQueue, JobResult } from '../../jobs/queue.js';
import { ProviderError } from '../../providers/errors.js';
import type { WhatsAppPort } from '../../providers/whatsapp/port.js';

export const READ_JOB = 'whatsapp.read';
export const ReadPayload = Type.Object({ channelId: Uuid, conversationId: Uuid });

/**
 * Blue ticks: when someone reads a conversation that had unread messages (the conversations
 * feature's mark-read, in its transaction), a `whatsapp.read` job tells the provider that the
 * latest inbound message was read — Meta then shows every earlier one read too. Keyed per
 * conversation so two reads in a row mark once each, in order; the sandbox's markRead does nothing.
 */
export function readReceipts(queue: Pick<JobQueue, 'enqueue'>) {
  return (trx: Db, read: { channelId: string; conversationId: string }) =>
    queue.enqueue(trx, READ_JOB, { channelId: read.channelId, conversationId: read.conversationId } satisfies Static<typeof ReadPayload>, { key: `whatsapp-read:${read.conversationId}` });
}

/** The job: the latest inbound wamid of the conversation, marked read through the channel's adapter. */
export function createReadReceiptSender(deps: {
  adapter: (channelId: string) => Promise<WhatsAppPort | undefined>;
  lastInboundMessageId: (conversationId: string) => Promise<string | null>;
}) {
  return async (payload: Static<typeof ReadPayload>): Promise<JobResult> => {
    const adapter = await deps.adapter(payload.channelId);
    if (!adapter) return { giveUp: true, reason: `channel ${payload.channelId} has no WhatsApp number` };
    const messageId = await deps.lastInboundMessageId(payload.conversationId);
    if (!messageId) return;
    try {
      await adapter.markRead(messageId);
    } catch (err) {
      // A read receipt Meta refuses for good (too old a message, a blocked number) is not worth retrying.
      if (err instanceof ProviderError && err.retry === 'never') return { giveUp: true, reason: `${err.code}: ${err.reason}` };
      throw err;
    }
  };
}
