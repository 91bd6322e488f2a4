import type { ServerResponse } from 'node:http';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Store } from '../../db/store.js';
import type { Clock } from '../../lib/clock.js';
import { errors } from '../../lib/errors.js';
import { coalesced } from '../../lib/throttle.js';
import { EVENTS_CHANNEL, type LoggedEvent } from './events.repo.js';
import type { EventLog } from './events.service.js';

/** A stream's memory bound: past this many bytes waiting in its socket's buffer, a slow client is dropped. */
export const STREAM_BUFFER_BYTES = 64 * 1024;
/** How often each stream's credential is checked again (clock time): a stream ends ≤ this + TICK_MS after it lapses. */
export const RECHECK_MS = 3000;
/** The node's one timer: heartbeats, rechecks and the sweep run on it. */
const TICK_MS = 1000;
/** Rows a resume reads at a time (from the store or the node's recent events). */
const REPLAY_BATCH = 25;
/** Rows the node's reader takes per query. */
const READ_BATCH = 1000;
/** Recent events the node keeps, so a client back after a short drop resumes from memory, not the store. */
const RECENT_MAX = 4096;
const RECENT_MAX_BYTES = 4 * 1024 * 1024;
/** How long the store's oldest and newest positions are taken as read. */
const BOUNDS_TTL_MS = 1000;

export interface StreamLimits {
  perNode: number;
  perWorkspace: number;
  heartbeatMs: number;
}

/** Who a stream is for and what it asked for. */
export interface StreamSpec {
  workspaceId: string;
  /** A person's workspace user id: they get the events addressed to them (MentionCreated). Null: a service account. */
  userId: string | null;
  /** `?types=`, or null for all. */
  types: ReadonlySet<string> | null;
  conversationId: string | null;
  /** Throws (a 401) when the credential the stream was opened with no longer holds. */
  recheck: () => Promise<void>;
}

/** Where a new stream starts: live from now, after `from` (Last-Event-ID), or with a reset (older than kept). */
export type StartAt = { kind: 'now' } | { kind: 'after'; from: number } | { kind: 'reset'; lastEventId: number };

interface Stream extends StreamSpec {
  res: ServerResponse;
  /** The last position delivered to it or passed over (frames go out only above it). */
  cursor: number;
  live: boolean;
  /** What the reader fanned out while it was resuming (delivered once it catches up), unless too much came. */
  pending: LoggedEvent[];
  pendingBytes: number;
  overflowed: boolean;
  lastWriteAt: number;
  recheckAt: number;
  closed: boolean;
}

type Framed = LoggedEvent & { frame?: Buffer };
const frameOf = (e: Framed) => (e.frame ??= Buffer.from(`id: ${e.seq}\nevent: ${e.type}\ndata: ${e.data}\n\n`));

/** Whether stream `s` gets event `e` (README.md "Who gets what"). */
function wants(s: StreamSpec, e: LoggedEvent): boolean {
  if (s.types && !s.types.has(e.type)) return false;
  if (s.conversationId && e.conversationId !== s.conversationId) return false;
  // Addressed to one person: theirs only; a service account only when it names the type.
  if (e.audienceUserId) return s.userId ? s.userId === e.audienceUserId : Boolean(s.types?.has(e.type));
  return true;
}

/**
 * A node's event streams (README.md): one reader follows the log for every stream of the node
 * (woken by this process's sequencer, by NOTIFY from other nodes, and once a tick), keeps the
 * recent events, and writes each event's frame — built once — to every stream that wants it.
 * One timer for all streams sends heartbeats and checks credentials again.
 */
export function createEventStreams(deps: {
  log: EventLog;
  clock: Clock;
  listen?: Store['listen'];
  limits: StreamLimits;
  registry?: Registry;
  logger?: { warn(obj: object, msg: string): void };
}) {
  const { log, clock, limits } = deps;
  const byWorkspace = new Map<string, Set<Stream>>();
  let count = 0;
  let position = 0;
  let recent: Framed[] = [];
  let recentBytes = 0;
  let started: Promise<void> | null = null;
  let stopped = false;
  const undo: (() => Promise<void> | void)[] = [];
  const ticking = new AbortController();

  const gauge = deps.registry && new Gauge({ name: 'wasl_event_streams', help: 'Event streams open on this node.', registers: [deps.registry] });
  const drops = deps.registry && new Counter({ name: 'wasl_event_stream_drops_total', help: 'Event streams this node ended, by reason.', labelNames: ['reason'], registers: [deps.registry] });

  function remember(rows: Framed[]) {
    for (const e of rows) {
      recent.push(e);
      recentBytes += e.data.length;
    }
    let cut = 0;
    while (recent.length - cut > RECENT_MAX || (recentBytes > RECENT_MAX_BYTES && recent.length - cut > 1)) recentBytes -= recent[cut++]!.data.length;
    if (cut) recent = recent.slice(cut);
  }

  // ---- writing ----------------------------------------------------------------------------
  function close(s: Stream, reason: 'client' | 'slow' | 'credential' | 'shutdown') {
    if (s.closed) return;
    s.closed = true;
    count--;
    gauge?.dec();
    const set = byWorkspace.get(s.workspaceId);
    set?.delete(s);
    if (set && !set.size) byWorkspace.delete(s.workspaceId);
    if (reason !== 'client') drops?.inc({ reason });
    s.pending = [];
    if (reason === 'slow') s.res.destroy();
    else s.res.end();
  }

  /** A live write: never waits; a client whose buffer passes the bound is dropped (it resumes). */
  function write(s: Stream, chunk: Buffer | string) {
    if (s.closed) return;
    s.res.write(chunk);
    s.lastWriteAt = clock.now().getTime();
    if (s.res.writableLength > STREAM_BUFFER_BYTES) close(s, 'slow');
  }

  /** A resume's write: waits while the socket's buffer is full (the store is read no faster than the client reads). */
  async function writeWaiting(s: Stream, chunk: Buffer) {
    if (s.closed) return;
    s.lastWriteAt = clock.now().getTime();
    if (s.res.write(chunk)) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        s.res.off('drain', done);
        s.res.off('close', done);
        resolve();
      };
      s.res.on('drain', done);
      s.res.on('close', done);
    });
  }

  function fanOut(rows: Framed[]) {
    for (const e of rows) {
      const set = byWorkspace.get(e.workspaceId);
      if (!set) continue;
      for (const s of set) {
        if (e.seq <= s.cursor) continue;
        if (!s.live) {
          if (s.overflowed || !wants(s, e)) continue;
          s.pending.push(e);
          s.pendingBytes += e.data.length;
          if (s.pendingBytes > STREAM_BUFFER_BYTES) {
            s.overflowed = true; // the resume reads on from the store instead
            s.pending = [];
            s.pendingBytes = 0;
          }
          continue;
        }
        s.cursor = e.seq;
        if (wants(s, e)) write(s, frameOf(e));
      }
    }
  }

  // ---- the node's reader ------------------------------------------------------------------
  // Wake-ups while a read runs make one more read after it.
  const read = coalesced(
    async () => {
      const rows: Framed[] = await log.after(position, READ_BATCH);
      if (!rows.length) return false;
      position = rows[rows.length - 1]!.seq;
      remember(rows);
      fanOut(rows);
      return rows.length === READ_BATCH;
    },
    { stopped: () => stopped },
  );
  const wake = (last?: number) => {
    if (stopped || (last !== undefined && last <= position)) return;
    read().catch((err: unknown) => deps.logger?.warn({ err }, 'reading the event log failed; the next tick reads again'));
  };

  // ---- the one timer ----------------------------------------------------------------------
  async function tick() {
    const now = clock.now().getTime();
    for (const set of byWorkspace.values()) {
      for (const s of set) {
        if (now - s.lastWriteAt >= limits.heartbeatMs) write(s, ': keep-alive\n\n');
        if (now >= s.recheckAt) {
          s.recheckAt = now + RECHECK_MS;
          s.recheck().catch(() => close(s, 'credential'));
        }
      }
    }
    // Rows whose commit no sequencer heard of (a process that died, a transaction not the transactor's), and a lost NOTIFY.
    try {
      if (await log.anyUnsequenced()) await log.sequence();
      await read();
    } catch (err) {
      deps.logger?.warn({ err }, 'the event streams sweep failed; it runs again next tick');
    }
  }
  async function loop() {
    while (!stopped) {
      try {
        await clock.sleep(TICK_MS, ticking.signal);
      } catch {
        return;
      }
      await tick();
    }
  }

  /** Starts the node's reader on the first stream: LISTEN, the position, the timer. */
  function start(): Promise<void> {
    started ??= (async () => {
      undo.push(log.onSequenced(wake));
      if (deps.listen) {
        const unlisten = await deps.listen(EVENTS_CHANNEL, (payload) => wake(/^\d+$/.test(payload) ? Number(payload) : undefined));
        undo.push(unlisten);
      }
      await log.sequence().catch(() => {});
      // From the newest event on; resumes from before it read the store (the recent events fill as the reader goes).
      position = (await log.bounds()).last ?? 0;
      void loop();
    })();
    return started.catch((err: unknown) => {
      started = null;
      throw err;
    });
  }

  // ---- resuming ---------------------------------------------------------------------------
  /** The oldest and newest positions the store keeps, read at most once a second (many clients resume at once after a drop). */
  let bounds: { first: number | null; last: number | null; at: number } | null = null;
  async function keptBounds(fresh = false) {
    const now = clock.now().getTime();
    if (fresh || !bounds || now - bounds.at >= BOUNDS_TTL_MS || now < bounds.at) bounds = { ...(await log.bounds()), at: now };
    return { first: bounds.first, last: bounds.last };
  }

  /** The index of the first recent event after `seq` (recent events are in position order). */
  function recentAfter(seq: number): number {
    let lo = 0;
    let hi = recent.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (recent[mid]!.seq <= seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Events of `s` after its cursor, up to REPLAY_BATCH, from the recent ones when they reach back that far. */
  async function nextBatch(s: Stream): Promise<{ rows: Framed[]; upTo: number; complete: boolean }> {
    const first = recent[0]?.seq;
    if (first !== undefined && s.cursor >= first - 1 && s.cursor <= position) {
      const rows: Framed[] = [];
      let i = recentAfter(s.cursor);
      for (; i < recent.length && rows.length < REPLAY_BATCH; i++) {
        const e = recent[i]!;
        if (e.workspaceId === s.workspaceId && wants(s, e)) rows.push(e);
      }
      return { rows, upTo: i > 0 ? recent[i - 1]!.seq : s.cursor, complete: i >= recent.length };
    }
    const rows = await log.workspaceAfter(s.workspaceId, s.cursor, { types: s.types ? [...s.types] : null, conversationId: s.conversationId }, REPLAY_BATCH);
    // Read past too (another person's mention): the next read starts after the last row read.
    return { rows: rows.filter((e) => wants(s, e)), upTo: rows.length ? rows[rows.length - 1]!.seq : s.cursor, complete: rows.length < REPLAY_BATCH };
  }

  /** Replays what `s` missed, then goes live with what the reader fanned out meanwhile. */
  async function resume(s: Stream) {
    for (;;) {
      if (s.closed) return;
      const { rows, upTo, complete } = await nextBatch(s);
      for (const e of rows) {
        if (e.seq <= s.cursor) continue;
        await writeWaiting(s, frameOf(e));
        s.cursor = e.seq;
        if (s.closed) return;
      }
      s.cursor = Math.max(s.cursor, upTo);
      if (!complete) continue;
      if (s.overflowed) {
        s.overflowed = false; // too much came meanwhile: read on from the store
        continue;
      }
      // Caught up: what the reader handed over since the resume began, then live (synchronously: nothing slips between).
      for (const e of s.pending) {
        if (e.seq > s.cursor) {
          write(s, frameOf(e));
          s.cursor = e.seq;
        }
      }
      s.pending = [];
      s.pendingBytes = 0;
      s.cursor = Math.max(s.cursor, position);
      s.live = true;
      return;
    }
  }

  return {
    start,
    /** The node's position: the last event its reader has fanned out. */
    position: () => position,
    /** How many streams this node holds. */
    count: () => count,

    /**
     * Where a stream resuming after `lastEventId` starts: the store's oldest kept position says
     * whether what follows it is whole (else a reset); an id past the newest event is refused (400).
     */
    async startAt(lastEventId: number | null): Promise<StartAt> {
      await start();
      if (lastEventId === null) return { kind: 'now' };
      let kept = await keptBounds();
      const newest = () => Math.max(kept.last ?? 0, position);
      if (lastEventId > newest()) kept = await keptBounds(true);
      if (lastEventId > newest()) throw errors.invalidField('Last-Event-ID', `Last-Event-ID ${lastEventId} is later than any event of this server.`);
      if (kept.first !== null && lastEventId < kept.first - 1) return { kind: 'reset', lastEventId };
      return { kind: 'after', from: lastEventId };
    },

    /** Takes a place for a new stream, or refuses with 429 (per node, per workspace on this node). */
    admit(workspaceId: string) {
      if (count >= limits.perNode) throw errors.tooManyStreams('this server', limits.perNode);
      if ((byWorkspace.get(workspaceId)?.size ?? 0) >= limits.perWorkspace) throw errors.tooManyStreams('this workspace on this server', limits.perWorkspace);
    },

    /** Runs a stream on `res` (its headers already sent) until the client leaves or it is ended. */
    open(spec: StreamSpec, res: ServerResponse, at: StartAt, retryMs: number) {
      const now = clock.now().getTime();
      const s: Stream = { ...spec, res, cursor: position, live: at.kind !== 'after', pending: [], pendingBytes: 0, overflowed: false, lastWriteAt: now, recheckAt: now + RECHECK_MS, closed: false };
      count++;
      gauge?.inc();
      let set = byWorkspace.get(spec.workspaceId);
      if (!set) byWorkspace.set(spec.workspaceId, (set = new Set()));
      set.add(s);
      res.on('close', () => close(s, 'client'));
      // Where to resume from is the client's to keep: the start position goes with the first bytes.
      if (at.kind === 'now') write(s, `retry: ${retryMs}\nid: ${position}\n\n`);
      else if (at.kind === 'reset') {
        write(s, `retry: ${retryMs}\n\n`);
        write(s, `id: ${position}\nevent: reset\ndata: ${JSON.stringify({ lastEventId: String(at.lastEventId), reason: 'The events after Last-Event-ID are no longer kept: reload what you show, then follow the stream.' })}\n\n`);
      } else {
        write(s, `retry: ${retryMs}\n\n`);
        s.cursor = at.from;
        resume(s).catch((err: unknown) => {
          deps.logger?.warn({ err }, 'resuming an event stream failed; the client reconnects');
          close(s, 'slow');
        });
      }
    },

    /** Ends every stream (their clients reconnect, to another node) and stops the reader. */
    async stop() {
      stopped = true;
      ticking.abort();
      for (const set of [...byWorkspace.values()]) for (const s of [...set]) close(s, 'shutdown');
      for (const fn of undo.splice(0).reverse()) await fn();
      await read.settled();
    },

    /** Runs the timer's work now (tests on a manual clock advance it instead). */
    tick,
  };
}
export type EventStreams = ReturnType<typeof createEventStreams>;
