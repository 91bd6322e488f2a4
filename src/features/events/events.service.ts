import type { Db } from '../../db/store.js';
import type { Transaction } from '../../db/transaction.js';
import type { Clock } from '../../lib/clock.js';
import { atMostEvery, coalesced } from '../../lib/throttle.js';
import { WEBHOOK_EVENT_TYPES, type EventType } from '../webhooks/webhooks.service.js';
import type { EventsRepo, NewLoggedEvent } from './events.repo.js';

/** Events only the stream carries (no webhook sends them). */
export const STREAM_ONLY_TYPES = ['ConversationRead', 'NoteCreated', 'MentionCreated', 'ConversationUnread'] as const; // ConversationUnread
export type StreamEventType = EventType | (typeof STREAM_ONLY_TYPES)[number];
/** Every name `?types=` accepts: the webhooks' events, then the stream's own. */
export const STREAM_EVENT_TYPES: readonly StreamEventType[] = [...WEBHOOK_EVENT_TYPES, ...STREAM_ONLY_TYPES];

export interface RecordedEvent {
  workspaceId: string;
  type: StreamEventType;
  /** The webhook body's shape (what `data:` carries). */
  payload: object;
  /** For `?conversationId=`; taken from the payload (`conversationId`, or `id` of a Conversation… event) when absent. */
  conversationId?: string | null;
  /** The one workspace user it is for (MentionCreated): only that person's streams get it (README.md). */
  audienceUserId?: string | null;
}
export type RecordEvents = (trx: Db, events: RecordedEvent | RecordedEvent[]) => Promise<void>;

/** Rows a sequencer run numbers at most; more wait for the next run, which follows at once. */
const SEQUENCE_BATCH = 5000;
/**
 * Runs of one node start at least this far apart under load (one right after a quiet spell): at
 * 500 commits a second, 100 statements instead of 500, for at most this much more latency.
 */
const SEQUENCE_SPACING_MS = 10;
const PRUNE_EVERY_MS = 60_000;
const PRUNE_BATCH = 10_000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const uuidOrNull = (v: unknown) => (typeof v === 'string' && UUID.test(v) ? v : null);

/** The conversation an event is about, for `?conversationId=`: never anything but a UUID (a payload is not trusted to hold one). */
function conversationOf(e: RecordedEvent): string | null {
  if (e.conversationId !== undefined) return uuidOrNull(e.conversationId);
  const p = e.payload as { conversationId?: unknown; id?: unknown };
  return uuidOrNull(p.conversationId) ?? (e.type.startsWith('Conversation') ? uuidOrNull(p.id) : null);
}

/**
 * The event log streams read (README.md): `record(trx, …)` writes the events of a change in its
 * transaction (one INSERT for all of them, sent with the COMMIT); once that commits, the sequencer gives them their stream positions
 * (one statement under an advisory lock, so one sequencer runs at a time on any node, with a
 * NOTIFY to the other nodes on PostgreSQL) and tells this process's streams.
 */
export function createEventLog(deps: {
  repo: EventsRepo;
  transaction: Transaction;
  clock: Clock;
  /** PostgreSQL: tell other nodes (NOTIFY) when positions are given. PGlite has one process. */
  notifyNodes: boolean;
  /** EVENTS_RETENTION_HOURS: events are kept at least this long. */
  retentionMs: number;
}) {
  const { repo, clock } = deps;
  const listeners = new Set<(last: number) => void>();
  const batches = new WeakMap<Db, NewLoggedEvent[]>();
  const prune = atMostEvery(PRUNE_EVERY_MS, (now) => repo.prune(new Date(now.getTime() - deps.retentionMs), PRUNE_BATCH));

  /** One sequencer run (one statement): numbers what has committed, notifies, then tells local streams. */
  async function sequenceOnce(): Promise<number> {
    const result = await repo.sequence(SEQUENCE_BATCH, deps.notifyNodes);
    if (result.count) for (const listener of listeners) listener(result.last!);
    return result.count;
  }

  // Runs are coalesced: commits that ask while one runs wait for the spacing to pass, then one
  // run numbers them all; a full batch runs again at once.
  const sequence = coalesced(async () => (await sequenceOnce()) >= SEQUENCE_BATCH, { spacingMs: SEQUENCE_SPACING_MS });
  // A failed run (the store away) leaves rows unnumbered: the streams' sweep runs it again each second.
  const sequenceSoon = () => void sequence().catch(() => {});

  const record: RecordEvents = async (trx, events) => {
    const list = Array.isArray(events) ? events : [events];
    if (!list.length) return;
    const now = clock.now();
    const rows: NewLoggedEvent[] = list.map((e) => ({
      workspace_id: e.workspaceId,
      type: e.type,
      conversation_id: conversationOf(e),
      audience_user_id: e.audienceUserId ?? null,
      data: JSON.stringify(e.payload),
      created_at: now,
    }));
    // In a transaction of the transactor: one INSERT for all its events, sent with its COMMIT
    // (`beforeCommit`: no round trip of its own), positions given once it has committed.
    const batch = batches.get(trx);
    if (batch) batch.push(...rows);
    else if (trx.isTransaction && deps.transaction.afterCommit(trx, sequenceSoon)) {
      const mine = [...rows];
      batches.set(trx, mine);
      await deps.transaction.beforeCommit(trx, () => repo.insertStatement(mine));
    } else {
      // Not the transactor's (or no transaction): written now; the streams' sweep numbers it within a second.
      await repo.insert(rows, trx);
      if (!trx.isTransaction) sequenceSoon();
    }
    prune(now);
  };

  return {
    record,
    /** Numbers every committed event that has no position yet (the streams' sweep). */
    sequence,
    /** `fn(last)` after each sequencer run of this process that gave positions; answers the unsubscribe. */
    onSequenced(fn: (last: number) => void) {
      listeners.add(fn);
      return () => void listeners.delete(fn);
    },
    anyUnsequenced: repo.anyUnsequenced,
    bounds: repo.bounds,
    after: repo.after,
    workspaceAfter: repo.workspaceAfter,
    prune: (now: Date) => repo.prune(new Date(now.getTime() - deps.retentionMs), PRUNE_BATCH),
  };
}
export type EventLog = ReturnType<typeof createEventLog>;
