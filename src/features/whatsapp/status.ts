/**
 * A WhatsApp message's status moves forward only: Pending < Sent < Delivered < Read. Failed is
 * final, and can only follow a message not yet delivered. Duplicates and late arrivals change
 * nothing, so any order and repetition of the same callbacks ends in the same state. A callback
 * that skips a step (Read on a Sent message: Meta's webhooks come in no guaranteed order) implies
 * it, so the steps between are reported too (`stepsTo`): an integrator hears Sent, Delivered, Read
 * in that order whatever order Meta's callbacks took.
 */
export type MessageStatus = 'Pending' | 'Sent' | 'Delivered' | 'Read' | 'Failed';

const RANK: Record<Exclude<MessageStatus, 'Failed'>, number> = { Pending: 0, Sent: 1, Delivered: 2, Read: 3 };

/** The status after `incoming` arrives at a message in `current`; `current` itself when nothing changes. */
export function nextStatus(current: MessageStatus, incoming: MessageStatus): MessageStatus {
  if (current === 'Failed' || incoming === current) return current;
  if (incoming === 'Failed') return RANK[current] < RANK.Delivered ? 'Failed' : current;
  return RANK[incoming] > RANK[current] ? incoming : current;
}

/** Every status a message passes through when `incoming` arrives in `current`, in order (none when nothing changes). */
export function stepsTo(current: MessageStatus, incoming: MessageStatus): MessageStatus[] {
  const next = nextStatus(current, incoming);
  if (next === current) return [];
  if (next === 'Failed' || current === 'Failed') return [next];
  const order = Object.keys(RANK) as Exclude<MessageStatus, 'Failed'>[];
  return order.slice(RANK[current] + 1, RANK[next] + 1);
}

/** Meta's status words (`sent`, `delivered`, `read`, `failed`) as the webhook's. */
export const STATUS_OF = { sent: 'Sent', delivered: 'Delivered', read: 'Read', failed: 'Failed' } as const satisfies Record<string, MessageStatus>;
