import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type { Assignation, ConversationRow } from '../src/db/types.js';
import { createConversationsRepo } from '../src/features/conversations/conversations.repo.js';
import { Direction, Source, Status } from '../src/features/conversations/events.service.js';
import { Source as ContactSource } from '../src/features/contacts/contacts.service.js';
import { AGENTS, CHANNELS, DEFAULT_DATA_DIR, DEFAULT_PG, MESSAGES_IN, MESSAGES_OUT, PEOPLE, TAGS, WORKSPACE_NAME } from './conversations-lib.js';
import { ADMIN_TOKEN, log, prng, storeFlags, storeOptions } from './lib.js';
import { idAt, loadContacts, resetStore, secs, seedWorkspace, tableSizes, withoutSecondaryIndexes } from './seed-lib.js';

/**
 * Fills a store with one workspace of N conversations (issue 8, "Every list query is
 * index-backed") as the app writes them. Through the admin and public API: the workspace, its
 * service account, 3 channels, 17 people and 3 AI agents, 10 tags. In bulk (`INSERT … SELECT FROM
 * unnest(…)`, batches of --batch conversations, one transaction each): N contacts as
 * contacts-generate.ts writes them (folded `search_name`), then N conversations in creation order
 * over the last year, each with a timeline of 2–6 events (customer WhatsApp messages and calls, an
 * Assignation when assigned, a StatusChange when closed) and the conversation's summary columns
 * computed from it as events.service.ts `append` does (`LastEvent*`, counts, unread, lost,
 * `lastActivityAt`); tags on ~30 %; plus one open conversation of --long events. Secondary
 * indexes and foreign keys are dropped for the load and made again, then VACUUM ANALYZE.
 * Before the indexes are made, --check conversations' timelines are replayed through the real
 * services (`conversationEvents.append`, `setStatus`) in a transaction that is rolled back, and
 * their summaries compared with the generated ones.
 *
 *   node --import tsx bench/conversations-generate.ts --store=postgres [--count=200000] [--pg=URL]
 *   node --import tsx bench/conversations-generate.ts --store=pglite --count=20000 [--data-dir=DIR]
 * PostgreSQL: the database is made when missing, its schema `public` dropped and made again.
 */
const { values: flags } = parseArgs({
  options: {
    ...storeFlags(DEFAULT_PG, DEFAULT_DATA_DIR),
    count: { type: 'string', default: '200000' },
    contacts: { type: 'string' },
    long: { type: 'string', default: '10000' },
    batch: { type: 'string', default: '5000' },
    check: { type: 'string', default: '200' },
    seed: { type: 'string', default: '8' },
  },
});
const N = Number(flags.count);
const CONTACTS = Number(flags.contacts ?? flags.count);
const LONG = Number(flags.long);
const BATCH = Number(flags.batch);
const options = storeOptions(flags.store!, flags.pg!, flags['data-dir']!);
const DAY = 24 * 3600 * 1000;
const YEAR = 365 * DAY;

await resetStore(options);
const started = performance.now();
const { store, app, workspace, account, token, call, q, close } = await seedWorkspace(options, WORKSPACE_NAME);
const channels: { id: string }[] = [];
for (const { share: _, ...c } of CHANNELS) channels.push(await call<{ id: string }>('POST', `/admin/v1/workspaces/${workspace.id}/channels`, c, ADMIN_TOKEN));
const usersUrl = `/admin/v1/workspaces/${workspace.id}/users`;
const people: { id: string; name: string }[] = [];
for (const [i, name] of PEOPLE.entries()) people.push(await call('POST', usersUrl, { name, email: `agent${i + 1}@conversations-bench.example`, role: i === 0 ? 1 : 2 }, ADMIN_TOKEN));
const agents: { id: string; name: string }[] = [];
for (const name of AGENTS) agents.push(await call('POST', usersUrl, { name, isAiAgent: true }, ADMIN_TOKEN));
const tags: { id: string }[] = [];
for (const name of TAGS) tags.push(await call('POST', '/v1/tags/service-account', { name }, token));
/** What a service account's actions write as their actor (apiActor: no user, its client id as name). */
const actorName = account.clientId;
log(`${store.engine}: workspace ${workspace.id}, ${channels.length} channels, ${people.length} people, ${agents.length} AI agents, ${tags.length} tags (${secs(started).toFixed(1)} s)`);

const TABLES = ['contacts', 'conversations', 'conversation_events', 'conversation_tags'];
const restoreIndexes = await withoutSecondaryIndexes(q, TABLES, store.engine);

const random = prng(Number(flags.seed));
const now = Date.now();
const CONTACT_SPAN = 2 * YEAR;
const contactSecs = await loadContacts(q, { workspaceId: workspace.id, creatorId: account.id, count: CONTACTS, batch: 10_000, random, from: now - CONTACT_SPAN, span: CONTACT_SPAN });
const contactIds = ((await q('SELECT id FROM contacts ORDER BY creation_time, id')).rows as { id: string }[]).map((r) => r.id);

const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
/** An index by weights (need not sum to 1). */
const weighted = (weights: readonly number[]) => {
  const total = weights.reduce((a, b) => a + b, 0);
  let r = random() * total;
  for (const [i, w] of weights.entries()) if ((r -= w) < 0) return i;
  return weights.length - 1;
};
const zipf = (n: number, s: number) => Array.from({ length: n }, (_, k) => 1 / (k + 1) ** s);
const PEOPLE_W = zipf(PEOPLE.length, 0.9);
const TAG_W = zipf(TAGS.length, 1);
const hex = (n: number) => Array.from({ length: n }, () => Math.floor(random() * 16).toString(16)).join('');

/** One event as a producer hands it to `conversationEvents.append` (plus `read`: the agent opened the conversation first). */
interface Spec {
  sourceType: number;
  direction: number;
  at: Date;
  status?: string | null;
  isAi?: boolean;
  ownerUserId?: string | null;
  aiAgentId?: string | null;
  durationSeconds?: number | null;
  ringingSeconds?: number | null;
  body?: string | null;
  handlerName?: string | null;
  messageType?: string | null;
  externalId?: string | null;
  assignation?: Assignation | null;
  /** `POST …/read` just before this event (unread back to 0). */
  read?: boolean;
}
type Summary = Pick<ConversationRow,
  'status' | 'last_activity_at' | 'last_event_source_type' | 'last_event_direction' | 'last_event_status' | 'last_event_preview' | 'last_event_at' |
  'last_events_count' | 'events_count' | 'unread_count' | 'is_lost' | 'last_inbound_at' | 'closed_at'> & { last_event_index: number };

const ANSWERED = new Set(['answered', 'completed']);
const customerFacing = (sourceType: number) => sourceType === Source.Call || sourceType === Source.WhatsApp;
/**
 * The conversation's summary columns after its events, each applied as events.service.ts `after()`
 * does (the events come in time order, so each becomes the last event); a StatusChange sets
 * status and closed_at first (`setStatus`). The --check replay compares this with the service.
 */
function summarize(createdAt: Date, events: Spec[]): Summary {
  const c: Summary = {
    status: Status.Open, last_activity_at: createdAt, last_event_source_type: null, last_event_direction: null, last_event_status: null, last_event_preview: null,
    last_event_at: null, last_events_count: 0, events_count: 0, unread_count: 0, is_lost: false, last_inbound_at: null, closed_at: null, last_event_index: -1,
  };
  for (const [i, e] of events.entries()) {
    if (e.read) c.unread_count = 0;
    if (e.sourceType === Source.StatusChange) {
      c.status = e.status === 'Closed' ? Status.Closed : Status.Open;
      c.closed_at = c.status === Status.Closed ? e.at : null;
    }
    c.events_count++;
    if (e.at > c.last_activity_at) c.last_activity_at = e.at;
    const sameRun = c.last_event_source_type === e.sourceType && c.last_event_direction === e.direction;
    Object.assign(c, {
      last_event_index: i, last_event_source_type: e.sourceType, last_event_direction: e.direction, last_event_status: e.status ?? null,
      last_event_preview: e.body == null ? null : e.body.slice(0, 200).replace(/[\uD800-\uDBFF]$/, ''), last_event_at: e.at, last_events_count: sameRun ? c.last_events_count + 1 : 1,
    });
    if (customerFacing(e.sourceType)) {
      c.is_lost = e.direction === Direction.Inbound && !(e.sourceType === Source.Call && ANSWERED.has((e.status ?? '').toLowerCase()));
      if (e.direction === Direction.Inbound) {
        c.unread_count++;
        if (!c.last_inbound_at || e.at > c.last_inbound_at) c.last_inbound_at = e.at;
      }
    }
  }
  return c;
}

/**
 * A customer event: a WhatsApp message (80 %) or a call, from the customer or to them; `answered`
 * makes it an answered call, `unanswered` a message or a missed call. Replies are sent by the
 * assignee (an AI agent's are `isAi`), after the agent read the conversation.
 */
function customerEvent(at: Date, inbound: boolean, o: { kind?: 'answered' | 'unanswered'; person: { id: string; name: string } | null; agent: { id: string; name: string } | null }): Spec {
  const direction = inbound ? Direction.Inbound : Direction.Outbound;
  const by = inbound ? {} : o.agent ? { isAi: true, aiAgentId: o.agent.id, handlerName: o.agent.name } : o.person ? { ownerUserId: o.person.id, handlerName: o.person.name } : {};
  if (o.kind !== 'answered' && (random() < 0.8 || (!inbound && o.agent))) {
    return inbound
      ? { sourceType: Source.WhatsApp, direction, at, status: 'Received', body: pick(MESSAGES_IN), messageType: 'Text', externalId: `wamid.${hex(24)}` }
      : { sourceType: Source.WhatsApp, direction, at, status: pick(['Read', 'Read', 'Delivered', 'Sent']), body: pick(MESSAGES_OUT), messageType: 'Text', externalId: `wamid.${hex(24)}`, read: true, ...by };
  }
  const answered = o.kind === 'answered' || (o.kind !== 'unanswered' && random() < 0.5);
  return {
    sourceType: Source.Call, direction, at, status: answered ? 'Answered' : inbound ? 'Missed' : 'NoAnswer', ringingSeconds: 3 + Math.floor(random() * 25),
    durationSeconds: answered ? 20 + Math.floor(random() * 600) : 0, externalId: `call-${hex(20)}`, ...(!inbound && { read: true }), ...by,
  };
}

interface Generated {
  id: string; channel: number; contact: number; createdAt: Date; person: { id: string; name: string } | null; agent: { id: string; name: string } | null;
  events: Spec[]; tags: string[];
}

/** Conversation i of N: who, when, its timeline (2–6 events) and tags. */
function conversation(i: number, createdAt: Date, channel: number, contact: number): Generated {
  // Recent conversations are more often still open: 15 % a year ago, 65 % today (40 % overall).
  const open = random() < 0.15 + (0.5 * i) / N;
  const lost = random() < (open ? 0.3 : 0.05);
  const assigned = random() < 0.7;
  const agent = assigned && random() < 0.15 ? pick(agents) : null;
  const person = assigned && !agent ? people[weighted(PEOPLE_W)]! : null;
  const n = 2 + Math.floor(random() * 5);
  const customer = Math.max(1, n - (assigned ? 1 : 0) - (open ? 0 : 1));
  let t = createdAt.getTime();
  const later = () => new Date((t += 30_000 + Math.floor(random() ** 2 * 6 * 3600_000)));
  const events: Spec[] = [];
  let inbound = random() < 0.9;
  for (let k = 0; k < customer; k++) {
    // The last customer event decides the lost flag: unanswered from the customer, or a reply / an answered call.
    const last = k === customer - 1;
    if (last) inbound = lost || random() < 0.3;
    const kind = !last ? undefined : lost ? 'unanswered' : inbound ? 'answered' : undefined;
    events.push(customerEvent(later(), inbound, { ...(kind && { kind }), person, agent }));
    if (k === 0 && assigned) {
      events.push({
        sourceType: Source.Assignation, direction: Direction.Internal, at: later(), ownerUserId: null, aiAgentId: agent?.id ?? null, handlerName: actorName,
        assignation: { assignedUserId: person?.id ?? null, assignedUserName: person?.name ?? null, assignedAiAgentId: agent?.id ?? null, assignedAiAgentName: agent?.name ?? null, assignedByUserId: null, assignedByUserName: actorName },
      });
    }
    inbound = random() < 0.5 ? !inbound : inbound;
  }
  if (!open) events.push({ sourceType: Source.StatusChange, direction: Direction.Internal, at: later(), status: 'Closed', ownerUserId: null, handlerName: actorName, read: true });
  const tagCount = random() < 0.3 ? 1 + weighted([0.6, 0.3, 0.1]) : 0;
  const tagSet = new Set<string>();
  while (tagSet.size < tagCount) tagSet.add(tags[weighted(TAG_W)]!.id);
  return { id: idAt(createdAt.getTime()), channel, contact, createdAt, person, agent, events, tags: [...tagSet] };
}

const INSERT_CONVERSATIONS = `
  INSERT INTO conversations (id, workspace_id, channel_id, contact_id, status, sentiment, assignee_id, ai_agent_id, last_activity_at, last_event_id,
    last_event_source_type, last_event_direction, last_event_status, last_event_preview, last_event_at, last_events_count, events_count, unread_count,
    is_lost, last_inbound_at, creation_time, creator_id, closed_at)
  SELECT u.id, $1, u.channel_id, u.contact_id, u.status, NULL, u.assignee_id, u.ai_agent_id, u.last_activity_at, u.last_event_id, u.source_type, u.direction,
    u.event_status, u.preview, u.last_event_at, u.last_events_count, u.events_count, u.unread_count, u.is_lost, u.last_inbound_at, u.creation_time, NULL, u.closed_at
  FROM unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::smallint[], $6::uuid[], $7::uuid[], $8::timestamptz[], $9::uuid[], $10::smallint[], $11::smallint[],
              $12::text[], $13::text[], $14::timestamptz[], $15::int[], $16::int[], $17::int[], $18::bool[], $19::timestamptz[], $20::timestamptz[], $21::timestamptz[])
    AS u(id, channel_id, contact_id, status, assignee_id, ai_agent_id, last_activity_at, last_event_id, source_type, direction, event_status, preview,
         last_event_at, last_events_count, events_count, unread_count, is_lost, last_inbound_at, creation_time, closed_at)`;
const INSERT_EVENTS = `
  INSERT INTO conversation_events (id, workspace_id, conversation_id, contact_id, channel_id, source_type, source_id, direction, creation_time, status,
    error_code, failure_reason, is_ai, attachment, owner_user_id, ai_agent_id, duration_seconds, size_bytes, ringing_seconds, body, handler_name,
    message_type, mime_type, external_id, ai_summary, reply_to_event_id, location, assignation, data, thread_id, last_modification_time)
  SELECT u.id, $1, u.conversation_id, u.contact_id, u.channel_id, u.source_type, NULL, u.direction, u.t, u.status, NULL, NULL, u.is_ai, NULL,
    u.owner_user_id, u.ai_agent_id, u.duration_seconds, NULL, u.ringing_seconds, u.body, u.handler_name, u.message_type, NULL, u.external_id,
    NULL, NULL, NULL, u.assignation::jsonb, NULL, NULL, NULL
  FROM unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::uuid[], $6::smallint[], $7::smallint[], $8::timestamptz[], $9::text[], $10::bool[], $11::uuid[],
              $12::uuid[], $13::int[], $14::int[], $15::text[], $16::text[], $17::text[], $18::text[], $19::text[])
    AS u(id, conversation_id, contact_id, channel_id, source_type, direction, t, status, is_ai, owner_user_id, ai_agent_id, duration_seconds,
         ringing_seconds, body, handler_name, message_type, external_id, assignation)`;
const INSERT_TAGS = `
  INSERT INTO conversation_tags (conversation_id, tag_id, creation_time) SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[])`;

let conversationRows = 0;
let eventRows = 0;
let tagRows = 0;
/** Writes generated conversations with their events and tags in one transaction. */
async function write(batch: Generated[]) {
  const conv: unknown[][] = Array.from({ length: 20 }, () => []);
  const ev: unknown[][] = Array.from({ length: 18 }, () => []);
  const tg: unknown[][] = [[], [], []];
  for (const g of batch) {
    const s = summarize(g.createdAt, g.events);
    const ids = g.events.map((e) => idAt(e.at.getTime()));
    const row = [
      g.id, channels[g.channel]!.id, contactIds[g.contact], s.status, g.person?.id ?? null, g.agent?.id ?? null, s.last_activity_at, ids[s.last_event_index] ?? null,
      s.last_event_source_type, s.last_event_direction, s.last_event_status, s.last_event_preview, s.last_event_at, s.last_events_count, s.events_count,
      s.unread_count, s.is_lost, s.last_inbound_at, g.createdAt, s.closed_at,
    ];
    row.forEach((v, k) => conv[k]!.push(v));
    for (const [k, e] of g.events.entries()) {
      const values = [
        ids[k], g.id, contactIds[g.contact], channels[g.channel]!.id, e.sourceType, e.direction, e.at, e.status ?? null, e.isAi ?? false, e.ownerUserId ?? null,
        e.aiAgentId ?? null, e.durationSeconds ?? null, e.ringingSeconds ?? null, e.body ?? null, e.handlerName ?? null, e.messageType ?? null, e.externalId ?? null,
        e.assignation ? JSON.stringify(e.assignation) : null,
      ];
      values.forEach((v, j) => ev[j]!.push(v));
    }
    const taggedAt = new Date(Math.min(s.last_activity_at.getTime(), g.createdAt.getTime() + 600_000));
    for (const tag of g.tags) [g.id, tag, taggedAt].forEach((v, j) => tg[j]!.push(v));
  }
  await q('BEGIN');
  await q(INSERT_CONVERSATIONS, [workspace.id, ...conv]);
  for (let from = 0; from < ev[0]!.length; from += 20_000) await q(INSERT_EVENTS, [workspace.id, ...ev.map((col) => col.slice(from, from + 20_000))]);
  if (tg[0]!.length) await q(INSERT_TAGS, tg);
  await q('COMMIT');
  conversationRows += batch.length;
  eventRows += ev[0]!.length;
  tagRows += tg[0]!.length;
}

// Conversations in creation order over [now − 1 year, now − 3 days] (their timelines run on for
// up to a few days). A contact's conversation on a channel begins after the contact was made and
// after its previous conversation there was closed: only the latest of a pair may be open.
let t0 = performance.now();
const FIRST = now - YEAR;
const RANGE = YEAR - 3 * DAY;
const busyUntil = new Map<string, number>();
const samples: Generated[] = [];
const checkEvery = Number(flags.check) > 0 ? Math.max(1, Math.floor(N / Number(flags.check))) : Infinity;
let batch: Generated[] = [];
for (let i = 0; i < N; i++) {
  const createdAt = new Date(FIRST + Math.floor(((i + random()) * RANGE) / N));
  const channel = weighted(CHANNELS.map((c) => c.share));
  const madeBefore = Math.max(1, Math.floor(((createdAt.getTime() - (now - CONTACT_SPAN)) / CONTACT_SPAN) * CONTACTS));
  let contact = Math.floor(random() * madeBefore);
  while ((busyUntil.get(`${channel}:${contact}`) ?? 0) >= createdAt.getTime()) contact = Math.floor(random() * madeBefore);
  const g = conversation(i, createdAt, channel, contact);
  const last = g.events.at(-1)!;
  busyUntil.set(`${channel}:${contact}`, last.sourceType === Source.StatusChange ? last.at.getTime() : Infinity);
  if (i % checkEvery === 0) samples.push(g);
  batch.push(g);
  if (batch.length === BATCH) {
    await write(batch);
    batch = [];
    if ((i + 1) % (BATCH * 10) === 0) log(`  conversations ${i + 1} (${Math.round((i + 1) / secs(t0))}/s, ${eventRows} events)`);
  }
}
if (batch.length) await write(batch);

// The long conversation: open on the first channel, assigned to the first person, LONG events
// over the last 60 days — customer messages and replies, a call now and then, a note every 50th.
let longId = '';
if (LONG > 0) {
  let contact = 0;
  while (busyUntil.has(`0:${contact}`)) contact++;
  const createdAt = new Date(now - 60 * DAY);
  const person = people[0]!;
  const events: Spec[] = [{ sourceType: Source.Assignation, direction: Direction.Internal, at: new Date(createdAt.getTime() + 60_000), ownerUserId: null, aiAgentId: null, handlerName: actorName, assignation: { assignedUserId: person.id, assignedUserName: person.name, assignedAiAgentId: null, assignedAiAgentName: null, assignedByUserId: null, assignedByUserName: actorName } }];
  for (let k = 1; k < LONG; k++) {
    const at = new Date(createdAt.getTime() + 120_000 + Math.floor((k * (60 * DAY - 3600_000)) / LONG));
    events.push(k % 50 === 0 ? { sourceType: Source.Note, direction: Direction.Internal, at, body: `Note ${k}: customer asked again about order #${1000 + k}`, ownerUserId: person.id, handlerName: person.name } : customerEvent(at, k % 2 === 1, { person, agent: null }));
  }
  const g: Generated = { id: idAt(createdAt.getTime()), channel: 0, contact, createdAt, person, agent: null, events, tags: [tags[0]!.id] };
  await write([g]);
  longId = g.id;
}
const conversationSecs = secs(t0);
log(`conversations: ${conversationRows}, events ${eventRows}, tags ${tagRows} in ${conversationSecs.toFixed(1)} s`);

const indexSecs = await restoreIndexes();

// The same timelines through the real services, in a transaction rolled back: the summaries must agree.
const conversationsRepo = createConversationsRepo(store.db);
const Rollback = new Error('rollback');
let checked = 0;
const mismatches: string[] = [];
for (const [n, g] of samples.entries()) {
  const c = app.container;
  await c
    .transaction(async (trx) => {
      const contact = await c.contacts.ensure(workspace.id, { phoneNumber: `+96611${2_000_000 + n}`, member: 'phoneNumber' }, { id: account.id, name: actorName, source: ContactSource.Api }, trx);
      let row = (await conversationsRepo.insertOpen({ id: idAt(g.createdAt.getTime()), workspace_id: workspace.id, channel_id: channels[g.channel]!.id, contact_id: contact.id, status: Status.Open, sentiment: null, assignee_id: null, ai_agent_id: null, last_activity_at: g.createdAt, last_event_id: null, last_event_source_type: null, last_event_direction: null, last_event_status: null, last_event_preview: null, last_event_at: null, last_inbound_at: null, creation_time: g.createdAt, creator_id: null, closed_at: null }, trx)).row;
      for (const e of g.events) {
        if (e.read) await conversationsRepo.update(workspace.id, row.id, { unread_count: 0 }, trx);
        if (e.sourceType === Source.StatusChange) row = await c.conversationEvents.setStatus(trx, await conversationsRepo.lock(workspace.id, row.id, trx).then((r) => r!), Status.Closed, { userId: null, name: actorName }, e.at);
        else {
          if (e.assignation) await conversationsRepo.update(workspace.id, row.id, { assignee_id: e.assignation.assignedUserId, ai_agent_id: e.assignation.assignedAiAgentId }, trx);
          // The provider's ids are unique per channel: the replay's must not meet the stored ones.
          const { read: _, ...event } = { ...e, externalId: e.externalId && `${e.externalId}-replay` };
          row = (await c.conversationEvents.appendAndRead(trx, { workspaceId: workspace.id, conversationId: row.id, ...event })).conversation;
        }
      }
      const want = summarize(g.createdAt, g.events);
      for (const key of Object.keys(want) as (keyof Summary)[]) {
        if (key === 'last_event_index') continue;
        const got = (row as unknown as Record<string, unknown>)[key];
        const norm = (v: unknown) => (v instanceof Date ? v.toISOString() : v);
        if (norm(got) !== norm(want[key])) mismatches.push(`${g.id} ${key}: service ${String(norm(got))}, generated ${String(norm(want[key]))}`);
      }
      if (row.assignee_id !== (g.person?.id ?? null) || row.ai_agent_id !== (g.agent?.id ?? null)) mismatches.push(`${g.id} assignee`);
      checked++;
      throw Rollback;
    })
    .catch((err: unknown) => {
      if (err !== Rollback) throw err;
    });
}
if (mismatches.length) throw new Error(`the generated summaries differ from the service's:\n${mismatches.slice(0, 20).join('\n')}`);
log(`check: ${checked} timelines replayed through conversationEvents — summaries agree`);

t0 = performance.now();
for (const table of [...TABLES, 'workspace_users', 'channels', 'tags']) await q(`VACUUM ANALYZE ${table}`);
const vacuumSecs = secs(t0);
const sizes = await tableSizes(q, TABLES);

// Read back through the API: the rows are what the app reads.
const sample = await app.inject({ method: 'GET', url: `/v2/conversations/service-account/channels/${channels[0]!.id}?Status=1&MaxResultCount=1`, headers: { authorization: `Bearer ${token}` } });
log(`sample: ${sample.statusCode} ${sample.body.slice(0, 1500)}`);
const timeline = await app.inject({ method: 'GET', url: `/v2/conversations/service-account/${longId}/timeline?MaxResultCount=1`, headers: { authorization: `Bearer ${token}` } });
log(`long timeline: ${timeline.statusCode} ${timeline.body.slice(0, 600)}`);

const counts = (await q(`SELECT count(*) FILTER (WHERE status = 1)::int AS open, count(*) FILTER (WHERE is_lost)::int AS lost, count(*) FILTER (WHERE assignee_id IS NULL AND ai_agent_id IS NULL)::int AS unassigned,
  (SELECT count(DISTINCT conversation_id)::int FROM conversation_tags) AS tagged FROM conversations`)).rows[0] as Record<string, number>;
const summary = {
  store: store.engine,
  contacts: CONTACTS,
  conversations: conversationRows,
  events: eventRows,
  conversationTags: tagRows,
  share: Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, +(v / conversationRows).toFixed(3)])),
  longConversation: longId,
  contactsSeconds: +contactSecs.toFixed(1),
  conversationsSeconds: +conversationSecs.toFixed(1),
  checkedTimelines: checked,
  indexSeconds: +indexSecs.toFixed(1),
  vacuumAnalyzeSeconds: +vacuumSecs.toFixed(1),
  totalSeconds: +secs(started).toFixed(1),
  sizes,
  loadAverage: loadavg().map((x) => +x.toFixed(2)),
};
process.stdout.write(`${JSON.stringify(summary)}\n`);
await close();
