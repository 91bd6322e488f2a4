/**
 * A WhatsApp message's status moves forward only: Pending < Sent < Delivered < Read. Failed is
 * final, and can only follow a message not yet delivered. Duplicates and late arrivals change
 * nothing, so any order and repetition of the same callbacks ends in the same state.
 */
export type MessageStatus = 'Pending' | 'Sent' | 'Delivered' | 'Read' | 'Failed';

const RANK: Record<Exclude<MessageStatus, 'Failed'>, number> = { Pending: 0, Sent: 1, Delivered: 2, Read: 3 };

/** The status after `incoming` arrives at a message in `current`; `current` itself when nothing changes. */
export function nextStatus(current: MessageStatus, incoming: MessageStatus): MessageStatus {
  if (current === 'Failed' || incoming === current) return current;
  if (incoming === 'Failed') return RANK[current] < RANK.Delivered ? 'Failed' : current;
  return RANK[incoming] > RANK[current] ? incoming : current;
}

/** Meta's status words (`sent`, `delivered`, `read`, `failed`) as the webhook's. */
export const STATUS_OF = { sent: 'Sent', delivered: 'Delivered', read: 'Read', failed: 'Failed' } as const satisfies Record<string, MessageStatus>;
