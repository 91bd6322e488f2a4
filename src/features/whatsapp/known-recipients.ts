/** A recipient as a committed send left it: the live contact with the number and its open conversation on the channel. */
export interface KnownRecipient {
  contactId: string;
  conversationId: string;
}

/** Recipients this process keeps at most; past that it starts again from none (a hint costs one send the long way). */
const MAX_KNOWN = 50_000;

/**
 * Where this process's recent sends went, by (workspace, channel, E.164 number): a hint, never
 * a fact. A send that uses one has the database check it in the send's first statement (migration
 * 0023) and goes the long way when it is stale (README.md "A known recipient"), so nodes need not
 * share it and nothing need clear it when a conversation closes or a contact goes.
 */
export function createKnownRecipients(max = MAX_KNOWN) {
  const known = new Map<string, KnownRecipient>();
  const keyOf = (workspaceId: string, channelId: string, phone: string) => `${workspaceId} ${channelId} ${phone}`;
  return {
    get: (workspaceId: string, channelId: string, phone: string) => known.get(keyOf(workspaceId, channelId, phone)),
    remember(workspaceId: string, channelId: string, phone: string, recipient: KnownRecipient) {
      if (known.size >= max) known.clear();
      known.set(keyOf(workspaceId, channelId, phone), recipient);
    },
    forget: (workspaceId: string, channelId: string, phone: string) => void known.delete(keyOf(workspaceId, channelId, phone)),
  };
}
export type KnownRecipients = ReturnType<typeof createKnownRecipients>;
