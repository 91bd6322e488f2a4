import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import { sql } from 'kysely';
import { build, getToken, json, type Harness, type Workspace } from '../../../test/helpers/build.js';
import { conversationSetup, CONVERSATIONS, openConversation } from '../../../test/helpers/conversations.js';
import { startReceiver } from '../../../test/helpers/receiver.js';
import { voiceChannel } from '../../../test/helpers/voice.js';
import { openSse, type Frame, type SseClient } from '../../../test/helpers/sse.js';
import { signIn } from '../../../test/helpers/people.js';

const h = await build({ TOKEN_TTL_SECONDS: '60', WEBHOOK_ALLOW_PRIVATE: 'true' });
const postgres = h.store.engine === 'postgres';

// Events made before any stream opened on this node: a resume reaching back to them reads the store.
const early = await h.workspace();
const earlyContacts = [await contact(early, 'early-1'), await contact(early, 'early-2')];
await h.app.container.eventLog.sequence(); // (positions are given just after commit)
const earlySeq = Number((await sql<{ last: string }>`SELECT max(seq)::text AS last FROM event_log`.execute(h.store.db)).rows[0]!.last);

const base = await h.app.listen({ port: 0, host: '127.0.0.1' });

const stream = (ws: Workspace | string, query = '', headers: Record<string, string> = {}, at = base) =>
  openSse(`${at}/v1/events${query}`, { authorization: `Bearer ${typeof ws === 'string' ? ws : ws.token}`, ...headers });

async function contact(ws: Workspace, name: string): Promise<string> {
  const res = await ws.api('POST', '/v1/contacts', { name, phoneNumber: `+96650${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}` });
  assert.equal(res.statusCode, 200, res.body);
  return json(res).id;
}
/** The workspace with a new token (its first may have expired as the clock moved). */
async function refreshed(ws: Workspace): Promise<Workspace> {
  const token = await getToken(h.app, ws.clientId, ws.clientSecret);
  return { ...ws, token, api: (method, url, body) => h.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(body === undefined ? {} : { payload: body as object }) }) };
}
const data = (f: Frame) => JSON.parse(f.data!) as Record<string, unknown>;
const ids = (frames: Frame[]) => frames.map((f) => Number(f.id));

/** The stream is open and has written its first bytes: `retry:` and, starting live, the position to resume from. */
async function opened(s: SseClient) {
  assert.equal(s.status, 200, s.body);
  return s.next((f) => f.retry !== undefined);
}

/** Moves the clock a second at a time (each a tick of the streams' timer) until `s` ends; answers the seconds it took. */
async function secondsUntilClosed(harness: Harness, s: SseClient, max = 10) {
  for (let second = 1; second <= max; second++) {
    harness.clock.advance(1000);
    if (await s.closedWithin(300)) return second;
  }
  return Infinity;
}

test('no token, a bad one or an expired one → 401 in the envelope, before any byte of a stream', async () => {
  const ws = await h.workspace();
  for (const headers of [{}, { authorization: 'Bearer nope' }, { authorization: 'Basic abc' }] as Record<string, string>[]) {
    const res = await openSse(`${base}/v1/events`, headers);
    assert.equal(res.status, 401);
    assert.match(String(res.headers['content-type']), /application\/json/);
    assert.equal(JSON.parse(res.body).error.code, 'Wasl:Unauthorized');
    assert.ok(!res.body.includes('retry:'));
  }
  // Through Fastify's inject (no connection to hold) a stream opens and ends at once.
  const injected = await ws.api('GET', '/v1/events');
  assert.equal(injected.statusCode, 200);
  assert.match(injected.body, /^retry: \d+\n\n$/);
  // A token in the URL is not a credential.
  const inUrl = await openSse(`${base}/v1/events?access_token=${ws.token}`);
  assert.equal(inUrl.status, 401);
});

test('bad input → 400 naming it, another workspace\'s conversation → 404; nothing streamed', async () => {
  const { ws, channel } = await conversationSetup(h);
  const other = await conversationSetup(h);
  const { conversation: foreign } = await openConversation(other.ws, other.channel.id, '+966501230001');
  const cases: [string, Record<string, string>, number, string][] = [
    ['?types=Nope', {}, 400, 'types'],
    ['?types=ContactCreated,,WhatsAppMesage', {}, 400, 'types'],
    ['?conversationId=not-a-uuid', {}, 400, 'conversationId'],
    ['', { 'last-event-id': 'abc' }, 400, 'Last-Event-ID'],
    ['', { 'last-event-id': '-1' }, 400, 'Last-Event-ID'],
    ['', { 'last-event-id': '1.5' }, 400, 'Last-Event-ID'],
    ['', { 'last-event-id': '999999999999999' }, 400, 'Last-Event-ID'],
    [`?conversationId=${foreign.id}`, {}, 404, ''],
  ];
  for (const [query, headers, status, member] of cases) {
    const res = await stream(ws, query, headers);
    assert.equal(res.status, status, `${query} ${JSON.stringify(headers)}: ${res.body}`);
    assert.match(String(res.headers['content-type']), /application\/json/);
    const body = JSON.parse(res.body);
    if (status === 404) assert.equal(body.error.code, 'Wasl:Conversation:NotFound');
    else assert.ok(JSON.stringify(body.error.validationErrors).toLowerCase().includes(member.toLowerCase()), res.body);
  }
  // A known conversation and known types open.
  const { conversation } = await openConversation(ws, channel.id, '+966501230002');
  const ok = await stream(ws, `?conversationId=${conversation.id}&types=conversationstatuschanged, WhatsAppMessage`);
  await opened(ok);
  ok.close();
});

test('frames: retry and the position at open, then each event once with an increasing id, its webhook name and body; filters; workspaces apart', async () => {
  const { ws, channel } = await conversationSetup(h);
  const other = await h.workspace();
  const receiver = await startReceiver();
  assert.equal((await h.admin('PATCH', `/admin/v1/workspaces/${ws.id}`, { eventsWebhookUrl: receiver.url('/events') })).statusCode, 200);

  const all = await stream(ws, '', { 'accept-encoding': 'gzip, br' });
  assert.match(String(all.headers['content-type']), /^text\/event-stream/);
  assert.equal(all.headers['content-encoding'], undefined, 'never compressed');
  assert.match(String(all.headers['cache-control']), /no-cache/);
  assert.ok(all.headers['x-request-id']);
  const first = await opened(all);
  assert.ok(first.retry! >= 2000 && first.retry! < 3000, `retry ${first.retry}`);
  assert.match(first.id ?? '', /^\d+$/, 'the position to resume from comes with the first bytes');
  assert.ok(all.raw().startsWith('retry: '));

  const contacts = await stream(ws, '?types=contactcreated');
  await opened(contacts);
  const outsider = await stream(other);
  await opened(outsider);

  const { conversation, contactId } = await openConversation(ws, channel.id, '+966501110001');
  const byConversation = await stream(ws, `?conversationId=${conversation.id}`);
  await opened(byConversation);
  assert.equal((await ws.api('POST', `${CONVERSATIONS}/${conversation.id}/close`)).statusCode, 200);
  const { conversation: second } = await openConversation(ws, channel.id, '+966501110002');
  assert.equal((await ws.api('POST', `${CONVERSATIONS}/${second.id}/close`)).statusCode, 200);

  const seen = [await all.next(), await all.next(), await all.next(), await all.next(), await all.next(), await all.next()];
  assert.deepEqual(seen.map((f) => f.event), ['ContactCreated', 'ConversationCreated', 'ConversationStatusChanged', 'ContactCreated', 'ConversationCreated', 'ConversationStatusChanged']);
  const positions = ids(seen);
  assert.ok(positions.every((p, i) => p > (i ? positions[i - 1]! : Number(first.id))), `increasing: ${positions}`);
  assert.equal(data(seen[0]!).id, contactId);
  assert.equal(data(seen[1]!).id, conversation.id);
  assert.equal(data(seen[2]!).conversationId, conversation.id);
  assert.deepEqual(await all.drain(), [], 'each once');

  assert.deepEqual((await contacts.drain(300)).map((f) => f.event), ['ContactCreated', 'ContactCreated']);
  // (It may also get that conversation's ConversationCreated: a position is given just after commit, maybe after the stream opened.)
  const ofConversation = await byConversation.drain();
  assert.ok(ofConversation.every((f) => (data(f).conversationId ?? data(f).id) === conversation.id));
  assert.deepEqual(ofConversation.filter((f) => f.event !== 'ConversationCreated').map((f) => f.event), ['ConversationStatusChanged']);
  assert.deepEqual(await outsider.drain(), []);

  // The same names and bodies the workspace's events webhook got.
  const worker = await h.worker({ pollMs: 60_000 });
  await worker.drain();
  await receiver.waitFor(6);
  const hooks = receiver.received.map((r) => JSON.parse(r.body) as { eventType: string; data: unknown });
  for (const frame of seen) {
    const hook = hooks.find((e) => e.eventType === frame.event && JSON.stringify(e.data) === frame.data);
    assert.ok(hook, `${frame.event}: the stream's data is the webhook's data (${frame.data})`);
  }
  for (const s of [all, contacts, outsider, byConversation]) s.close();
});

test('resume: Last-Event-ID replays what came after it — from the store and from the node\'s recent events — then goes live, none twice', async () => {
  // From before the node's streams began: the store.
  const fromStore = await stream(early, '', { 'last-event-id': String(earlySeq - 2) });
  const first = await opened(fromStore);
  assert.equal(first.id, undefined, 'a resume keeps the client\'s position');
  const replayed = [await fromStore.next(), await fromStore.next()];
  assert.deepEqual(replayed.map((f) => data(f).id), earlyContacts);
  const live = await contact(early, 'early-3');
  assert.equal(data(await fromStore.next()).id, live);
  assert.deepEqual(await fromStore.drain(), []);
  fromStore.close();

  // A client that dropped: what it missed, in order, then live.
  const ws = await h.workspace();
  const s1 = await stream(ws);
  await opened(s1);
  const made = [await contact(ws, 'r1'), await contact(ws, 'r2')];
  const got = [await s1.next(), await s1.next()];
  s1.close();
  made.push(await contact(ws, 'r3'), await contact(ws, 'r4'));
  const s2 = await stream(ws, '', { 'last-event-id': got[0]!.id! });
  await opened(s2);
  const again = [await s2.next(), await s2.next(), await s2.next()];
  assert.deepEqual(again.map((f) => data(f).id), made.slice(1));
  assert.deepEqual(ids(again), [...ids(again)].sort((a, b) => a - b));
  assert.ok(Number(again[0]!.id) > Number(got[0]!.id));
  made.push(await contact(ws, 'r5'));
  assert.equal(data(await s2.next()).id, made[4]);
  assert.deepEqual(await s2.drain(), [], 'none twice');
  s2.close();
});

test('a transaction that took a lower id but commits last is delivered once, after the other, in order (PostgreSQL)', async (t) => {
  if (!postgres) return t.skip('PGlite has one connection: a transaction held open would block the other (run with DATABASE_URL)');
  const ws = await h.workspace();
  const s = await stream(ws);
  await opened(s);
  const c = h.app.container;
  let release!: () => void;
  let recorded!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const inserted = new Promise<void>((r) => (recorded = r));
  // A transaction the transactor did not open: its row is written (its id taken) at once, and
  // no sequencer hears of its commit — the streams' sweep (each tick) numbers it.
  const held = h.store.db.transaction().execute(async (trx) => {
    await c.eventLog.record(trx, { workspaceId: ws.id, type: 'ContactCreated', payload: { id: 'held', name: 'took the lower id' } });
    recorded();
    await gate;
  });
  await inserted;
  const quick = await contact(ws, 'commits first');
  const firstFrame = await s.next();
  assert.equal(data(firstFrame).id, quick, 'the committed event is not held back by the open transaction');
  release();
  await held;
  h.clock.advance(1000);
  const lastFrame = await s.next();
  assert.equal(data(lastFrame).id, 'held');
  assert.ok(Number(lastFrame.id) > Number(firstFrame.id), 'positions follow commit order');
  assert.deepEqual(await s.drain(), []);
  const rows = await sql<{ id: string; seq: string; data: string }>`SELECT id::text, seq::text, data FROM event_log WHERE workspace_id = ${ws.id} ORDER BY id`.execute(h.store.db);
  assert.equal(JSON.parse(rows.rows[0]!.data).id, 'held', 'the held transaction took the lower id');
  // A client resuming from before both gets them once each, in the same order.
  const resumed = await stream(ws, '', { 'last-event-id': String(Number(firstFrame.id) - 1) });
  await opened(resumed);
  assert.deepEqual([data(await resumed.next()).id, data(await resumed.next()).id], [quick, 'held']);
  assert.deepEqual(await resumed.drain(), []);
  s.close();
  resumed.close();
});

test('a heartbeat comment after 15 s without a frame', async () => {
  const ws = await h.workspace();
  const s = await stream(ws);
  await opened(s);
  h.clock.advance(14_000);
  await assert.rejects(s.next((f) => f.comment !== undefined, 200));
  h.clock.advance(1_000);
  assert.equal((await s.next((f) => f.comment !== undefined)).comment, 'keep-alive');
  s.close();
});

test('a stream ends within 5 s of its token expiring', async () => {
  const ws = await h.workspace();
  const token = await getToken(h.app, ws.clientId, ws.clientSecret); // expires in 60 s
  const s = await stream(token);
  await opened(s);
  h.clock.advance(55_000);
  assert.equal(await s.closedWithin(300), false);
  const seconds = await secondsUntilClosed(h, s);
  assert.ok(seconds <= 5 + 5, `closed ${seconds} s after 55 s (the token lapses at 60)`);
  assert.ok(seconds >= 4, 'not before it lapsed');
  // And it cannot come back with that token.
  assert.equal((await stream(token)).status, 401);
});

test('a stream ends within 5 s of its service account being disabled', async () => {
  const ws = await h.workspace();
  const s = await stream(ws);
  await opened(s);
  assert.equal((await h.admin('POST', `/admin/v1/service-accounts/${ws.serviceAccountId}/disable`)).statusCode, 204);
  const seconds = await secondsUntilClosed(h, s);
  assert.ok(seconds <= 5, `closed after ${seconds} s`);
});

test('Last-Event-ID older than what is kept → event: reset with the position to go on from, then live', async () => {
  h.clock.advance(25 * 3_600_000);
  const ws = await h.workspace();
  await contact(ws, 'after the day');
  // (Recording that event pruned in the background too, at most once a minute; this is the same, awaited.)
  await h.app.container.eventLog.prune(h.clock.now());
  const { first } = await h.app.container.eventLog.bounds();
  assert.ok(first! > earlySeq + 1, `the early events are gone (${first} > ${earlySeq + 1})`);
  const fresh = await refreshed(early);
  const s = await stream(fresh, '', { 'last-event-id': String(earlySeq) });
  await opened(s);
  const reset = await s.next();
  assert.equal(reset.event, 'reset');
  assert.match(reset.id ?? '', /^\d+$/);
  assert.equal(data(reset).lastEventId, String(earlySeq));
  const live = await contact(fresh, 'after the reset');
  const next = await s.next();
  assert.equal(data(next).id, live);
  assert.ok(Number(next.id) > Number(reset.id));
  assert.deepEqual(await s.drain(), []);
  s.close();
});

test('too many streams on a node or of a workspace → 429 with Retry-After; a place frees when a stream ends', async () => {
  const limited = await build({ EVENTS_MAX_STREAMS: '3', EVENTS_MAX_STREAMS_PER_WORKSPACE: '2' });
  const at = await limited.app.listen({ port: 0, host: '127.0.0.1' });
  const [a, b, c] = [await limited.workspace(), await limited.workspace(), await limited.workspace()];
  const a1 = await stream(a, '', {}, at);
  const a2 = await stream(a, '', {}, at);
  await opened(a1);
  await opened(a2);
  const a3 = await stream(a, '', {}, at);
  assert.equal(a3.status, 429, a3.body);
  assert.equal(a3.headers['retry-after'], '5');
  assert.equal(JSON.parse(a3.body).error.code, 'Wasl:Events:TooManyStreams');
  await opened(await stream(b, '', {}, at));
  const c1 = await stream(c, '', {}, at);
  assert.equal(c1.status, 429, 'the node is full');
  a1.close();
  let again: SseClient | undefined;
  for (let i = 0; i < 50 && again?.status !== 200; i++) {
    await new Promise((r) => setTimeout(r, 20));
    again = await stream(c, '', {}, at);
  }
  assert.equal(again?.status, 200);
});

test('a client that stops reading is dropped once 64 KB wait for it (it comes back with Last-Event-ID)', async () => {
  const ws = await h.workspace();
  const { port } = new URL(base);
  const socket = connect(Number(port), '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  socket.write(`GET /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ws.token}\r\nAccept: text/event-stream\r\n\r\n`);
  await new Promise((r) => socket.once('data', r));
  socket.pause();
  const metric = async () => {
    const text = (await h.app.inject({ method: 'GET', url: '/metrics' })).body;
    return Number(/wasl_event_stream_drops_total\{reason="slow"\} (\d+)/.exec(text)?.[1] ?? 0);
  };
  const before = await metric();
  const big = 'x'.repeat(512 * 1024);
  const c = h.app.container;
  for (let i = 0; i < 40 && (await metric()) === before; i++) {
    await c.transaction((trx) => c.eventLog.record(trx, { workspaceId: ws.id, type: 'ContactUpdated', payload: { i, big } }));
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(await metric(), before + 1);
  socket.destroy();
});

test('two nodes: an event committed through one reaches a stream on the other; resume and closing there too (PostgreSQL)', async (t) => {
  const other = await h.node();
  if (!other) return t.skip('one process on PGlite: two nodes need PostgreSQL (run with DATABASE_URL)');
  const atB = await other.listen({ port: 0, host: '127.0.0.1' });
  const ws = await h.workspace();
  const onB = await stream(ws, '', {}, atB);
  await opened(onB);
  const id = await contact(ws, 'through node A');
  const frame = await onB.next(undefined, 2000);
  assert.equal(data(frame).id, id);
  const resumed = await stream(ws, '', { 'last-event-id': String(Number(frame.id) - 1) }, atB);
  await opened(resumed);
  assert.equal(data(await resumed.next()).id, id);
  // Disabled through node A: node B's streams end too (it re-reads the account within 2 s).
  assert.equal((await h.admin('POST', `/admin/v1/service-accounts/${ws.serviceAccountId}/disable`)).statusCode, 204);
  const seconds = await secondsUntilClosed(h, onB);
  assert.ok(seconds <= 5, `closed after ${seconds} s`);
  assert.ok(await resumed.closedWithin(1000));
});

test('the stream\'s own events: ConversationRead, NoteCreated, and MentionCreated only where asked for by name (a service account)', async () => {
  const ws = await h.workspace();
  const add = async (url: string, body: object) => {
    const res = await h.admin('POST', url, body);
    assert.equal(res.statusCode, 200, res.body);
    return json(res);
  };
  const channel = await add(`/admin/v1/workspaces/${ws.id}/channels`, { name: 'Sandbox', type: 2, phoneNumber: '+966500000009', whatsApp: { provider: 'sandbox' } });
  const sara = await add(`/admin/v1/workspaces/${ws.id}/users`, { name: 'Sara', email: `sara-ev-${ws.id}@example.com`, role: 1 });
  const all = await stream(ws);
  const mentions = await stream(ws, '?types=MentionCreated');
  await opened(all);
  await opened(mentions);
  assert.equal((await h.admin('POST', `/admin/v1/sandbox/channels/${channel.id}/inbound`, { from: '966501239876', text: 'مرحبا' })).statusCode, 202);
  const worker = await h.worker({ pollMs: 60_000 });
  await worker.drain();
  const inbound = await all.next((f) => f.event === 'WhatsAppMessage');
  const conversationId = data(inbound).conversationId as string;
  assert.equal(data(inbound).direction, 'Inbound');
  assert.equal((await ws.api('POST', `${CONVERSATIONS}/${conversationId}/read`)).statusCode, 200);
  const read = await all.next((f) => f.event === 'ConversationRead');
  assert.equal(data(read).conversationId, conversationId);
  assert.equal(data(read).previousUnreadCount, 1);
  const note = await ws.api('POST', `${CONVERSATIONS}/${conversationId}/notes`, { text: `@${sara.id} please call them back` });
  assert.equal(note.statusCode, 200, note.body);
  const noted = await all.next((f) => f.event === 'NoteCreated');
  assert.equal(data(noted).eventId, json(note).eventId);
  assert.ok(json(note).eventId);
  const mention = await mentions.next();
  assert.deepEqual([mention.event, data(mention).userId, data(mention).eventId], ['MentionCreated', sara.id, json(note).eventId]);
  const thread = await ws.api('POST', `/v1/conversations/events/${json(note).eventId}/threads/messages`, { messageBody: `@${sara.id} any news?` });
  assert.equal(thread.statusCode, 200, thread.body);
  const second = await mentions.next();
  assert.equal(data(second).threadMessageId, json(thread).id);
  assert.ok(!(await all.drain()).some((f) => f.event === 'MentionCreated'), 'a service account without types=MentionCreated does not get them');
  all.close();
  mentions.close();
});

test('?conversationId= finds a call of that conversation too (the Call event names its conversation)', async () => {
  const ws = await h.workspace();
  const channel = await voiceChannel(h, ws);
  const { conversation } = await openConversation(ws, channel.id as string, '+966501117777');
  const calls = await stream(ws, `?conversationId=${conversation.id}&types=Call`);
  await opened(calls);
  const { conversation: another } = await openConversation(ws, channel.id as string, '+966501117778');
  const other = await stream(ws, `?conversationId=${another.id}&types=Call`);
  await opened(other);
  assert.equal((await h.admin('POST', `/admin/v1/sandbox/channels/${channel.id}/inbound-call`, { from: '966501117777', answered: false })).statusCode, 202);
  const frame = await calls.next((f) => f.event === 'Call', 3000);
  assert.equal(frame.event, 'Call');
  assert.deepEqual(await other.drain(300), [], 'another conversation hears nothing of it');
});

test("a person's stream (the sign-in cookie): MentionCreated for them alone without asking; it ends within 5 s of that sign-in ending", async () => {
  const ws = await h.workspace();
  const channel = json(await h.admin('POST', `/admin/v1/workspaces/${ws.id}/channels`, { name: 'Sandbox', type: 2, phoneNumber: '+966500000019', whatsApp: { provider: 'sandbox' } }));
  const sara = await signIn(h, ws.id, { name: 'Sara' });
  const omar = await signIn(h, ws.id, { name: 'Omar' });
  const saraStream = await openSse(`${base}/v1/events`, { cookie: `wasl_session=${sara.token}` });
  const omarStream = await openSse(`${base}/v1/events`, { cookie: `wasl_session=${omar.token}` });
  await opened(saraStream);
  await opened(omarStream);
  assert.equal((await h.admin('POST', `/admin/v1/sandbox/channels/${channel.id}/inbound`, { from: '966501239877', text: 'hello' })).statusCode, 202);
  await (await h.worker({ pollMs: 60_000 })).drain();
  const conversationId = data(await saraStream.next((f) => f.event === 'WhatsAppMessage')).conversationId as string;
  const note = await ws.api('POST', `${CONVERSATIONS}/${conversationId}/notes`, { text: `@${sara.userId} can you take this?` });
  assert.equal(note.statusCode, 200, note.body);
  const mention = await saraStream.next((f) => f.event === 'MentionCreated');
  assert.deepEqual([data(mention).userId, data(mention).eventId], [sara.userId, json(note).eventId]);
  const omarSaw = await omarStream.drain(300);
  assert.ok(omarSaw.some((f) => f.event === 'NoteCreated'), 'the note itself reaches every stream of the workspace');
  assert.ok(!omarSaw.some((f) => f.event === 'MentionCreated'), "someone else's mention does not reach another person");

  assert.equal((await sara.api('POST', '/v1/auth/logout')).statusCode, 204);
  assert.ok((await secondsUntilClosed(h, saraStream)) <= 5, 'the stream of an ended sign-in closes within 5 s');
  assert.equal(omarStream.closed, false, "another person's stream goes on");
  omarStream.close();
});
