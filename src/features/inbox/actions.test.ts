import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { assertError } from '../../../test/helpers/assert.js';
import { authBattery } from '../../../test/helpers/auth-cases.js';
import { build, json, type Workspace } from '../../../test/helpers/build.js';
import { CONVERSATIONS, openConversation, type Json } from '../../../test/helpers/conversations.js';
import { signIn, type Person } from '../../../test/helpers/people.js';
import { openSse, type Frame } from '../../../test/helpers/sse.js';
import { PDF, startFileServer } from '../media/testing.js';

/** Mark unread, mentions read by a person's read, and the reply guard on sends (README.md). */

const h = await build({ TOKEN_TTL_SECONDS: String(7 * 86_400), WEBHOOK_ALLOW_PRIVATE: 'true' });
const worker = await h.worker({ pollMs: 60_000 });
const base = await h.app.listen({ port: 0, host: '127.0.0.1' });
const files = await startFileServer();
const MISSING = '01890000-0000-7000-8000-000000000000';
const SEND_TEXT = '/v1/whatsapp/service-account/sendText';
const SEND_TEMPLATE = '/v1/whatsapp/service-account/sendTemplate';
const SEND_FILE = '/v1/whatsapp/service-account/sendFile';
const data = (f: Frame) => JSON.parse(f.data!) as Json;

const add = async (url: string, body: Json): Promise<Json> => {
  const res = await h.admin('POST', url, body);
  assert.equal(res.statusCode, 200, res.body);
  return json(res);
};

/** A call answering 200; its JSON. */
async function call(who: Person | Workspace, method: 'GET' | 'POST', url: string, body?: unknown): Promise<Json> {
  const res = await who.api(method, url, body);
  assert.equal(res.statusCode, 200, `${method} ${url}: ${res.body}`);
  return json(res);
}

/** A workspace with a sandbox channel, two signed-in people, and a customer who has just written (unread 1, window open). */
async function setup(phone = '966500500001') {
  const ws = await h.workspace();
  const channel = await add(`/admin/v1/workspaces/${ws.id}/channels`, { name: 'Sandbox', type: 2, phoneNumber: '+966500000031', whatsApp: { provider: 'sandbox' } });
  const sara = await signIn(h, ws.id, { name: 'Sara' });
  const omar = await signIn(h, ws.id, { name: 'Omar' });
  assert.equal((await h.admin('POST', `/admin/v1/sandbox/channels/${channel.id}/inbound`, { from: phone, text: 'hello?' })).statusCode, 202);
  await worker.drain();
  const [conversation] = (await call(ws, 'GET', '/v1/inbox/conversations')).items as Json[];
  const timeline = await call(ws, 'GET', `${CONVERSATIONS}/${conversation!.id}/timeline`);
  return { ws, channel, sara, omar, conversation: conversation!, inboundEventId: timeline.items[0].eventId as string, phone };
}

const timelineOf = async (ws: Workspace, id: string) => (await call(ws, 'GET', `${CONVERSATIONS}/${id}/timeline?MaxResultCount=100`)) as Json;
const sendJobs = async () => (await sql<{ n: number }>`SELECT count(*)::int AS n FROM jobs WHERE name = 'whatsapp.send'`.execute(h.store.db)).rows[0]!.n;

test('mark unread: 1 when it was 0 (ConversationUnread on the stream, with who), unchanged when above', async () => {
  const s = await setup();
  const id = s.conversation.id;
  const stream = await openSse(`${base}/v1/events?types=ConversationUnread`, { authorization: `Bearer ${s.ws.token}` });
  assert.equal(stream.status, 200, stream.body);
  assert.equal((await call(s.sara, 'POST', `${CONVERSATIONS}/${id}/read`)).unreadCount, 0);
  const marked = await call(s.sara, 'POST', `${CONVERSATIONS}/${id}/unread`);
  assert.equal(marked.unreadCount, 1);
  assert.deepEqual({ ...marked, unreadCount: 0 }, { ...(await call(s.ws, 'GET', `${CONVERSATIONS}/${id}`)), unreadCount: 0 }, 'the conversation object');
  const frame = await stream.next();
  assert.equal(frame.event, 'ConversationUnread');
  assert.deepEqual([data(frame).conversationId, data(frame).unreadCount, data(frame).userId], [id, 1, s.sara.userId]);
  // Already unread: unchanged, no event.
  assert.equal((await call(s.ws, 'POST', `${CONVERSATIONS}/${id}/unread`)).unreadCount, 1);
  assert.deepEqual(await stream.drain(300), []);
  // A service account's mark names no user.
  await call(s.ws, 'POST', `${CONVERSATIONS}/${id}/read`);
  await call(s.ws, 'POST', `${CONVERSATIONS}/${id}/unread`);
  assert.equal(data(await stream.next()).userId, null);
  // More than one unread stays as it is.
  assert.equal((await h.admin('POST', `/admin/v1/sandbox/channels/${s.channel.id}/inbound`, { from: s.phone, text: 'again' })).statusCode, 202);
  await worker.drain();
  assert.equal((await call(s.sara, 'POST', `${CONVERSATIONS}/${id}/unread`)).unreadCount, 2);
  const listed = (await call(s.sara, 'GET', '/v1/inbox/conversations?unreadOnly=true')).items as Json[];
  assert.deepEqual(listed.map((c) => [c.id, c.unreadCount]), [[id, 2]]);
  stream.close();
});

test("a person's read marks their unread mentions in it read; a service account's read and others' mentions stay", async () => {
  const s = await setup();
  const id = s.conversation.id;
  await call(s.ws, 'POST', `${CONVERSATIONS}/${id}/notes`, { text: `@${s.sara.userId} @${s.omar.userId} have a look` });
  const note = await call(s.ws, 'POST', `${CONVERSATIONS}/${id}/notes`, { text: `and this @${s.sara.userId}` });
  await call(s.ws, 'POST', `/v1/conversations/events/${note.eventId}/threads/messages`, { messageBody: `@${s.sara.userId} ping` });
  const mentionsOf = async (p: Person) => ((await call(p, 'GET', '/v1/inbox/conversations?view=mentions')).items as Json[]).map((c) => c.mentionsUnread);
  assert.deepEqual(await mentionsOf(s.sara), [3]);
  assert.deepEqual(await mentionsOf(s.omar), [1]);
  await call(s.ws, 'POST', `${CONVERSATIONS}/${id}/read`);
  assert.deepEqual(await mentionsOf(s.sara), [3], "a service account's read reads nobody's mentions");
  await call(s.sara, 'POST', `${CONVERSATIONS}/${id}/read`);
  assert.deepEqual(await mentionsOf(s.sara), [], 'read, gone from her Mentions view');
  assert.deepEqual((await call(s.sara, 'GET', '/v1/inbox/counts')).mentions, { open: 0, closed: 0 });
  assert.deepEqual(await mentionsOf(s.omar), [1], "Omar's mention is still his to read");
  assert.equal(((await call(s.sara, 'GET', '/v1/inbox/conversations')).items as Json[])[0]!.mentionsUnread, 0);
});

test('reply guard: a reply by someone else since the last event seen → 409 naming it, nothing written or queued', async () => {
  const s = await setup();
  const id = s.conversation.id;
  const text = (extra: Json = {}) => ({ channelId: s.channel.id, toNumber: s.phone, text: 'On it', ...extra });
  // Omar answers first (no guard: the send path as before).
  const omars = await call(s.omar, 'POST', SEND_TEXT, text({ text: 'Hi, Omar here' }));
  const before = { events: (await timelineOf(s.ws, id)).totalCount, jobs: await sendJobs() };

  for (const [url, body] of [
    [SEND_TEXT, text({ lastSeenEventId: s.inboundEventId })],
    [SEND_TEXT, text({ LastSeenEventId: s.inboundEventId.toUpperCase() })],
    [SEND_TEMPLATE, { channelId: s.channel.id, toNumber: s.phone, templateName: 'hello_world', language: 'en_US', lastSeenEventId: s.inboundEventId }],
    [SEND_FILE, { channelId: s.channel.id, toNumber: s.phone, fileUrl: files.serve('/guard.pdf', PDF), lastSeenEventId: s.inboundEventId }],
  ] as const) {
    const res = await s.sara.api('POST', url, body);
    assertError(res, 409, 'Wasl:Conversation:ReplyConflict');
    const { error } = json(res);
    assert.deepEqual(error.data, { eventId: omars.conversationEventId, authorName: 'Omar', creationTime: error.data.creationTime }, url);
    assert.ok(!Number.isNaN(Date.parse(error.data.creationTime)));
  }
  assert.deepEqual({ events: (await timelineOf(s.ws, id)).totalCount, jobs: await sendJobs() }, before, 'nothing written, nothing queued');

  // Having seen Omar's reply, Sara may send; her own later reply never blocks her.
  const saras = await call(s.sara, 'POST', SEND_TEXT, text({ lastSeenEventId: omars.conversationEventId }));
  await call(s.sara, 'POST', SEND_TEMPLATE, { channelId: s.channel.id, toNumber: s.phone, templateName: 'hello_world', language: 'en_US', lastSeenEventId: omars.conversationEventId });
  // A note by someone else is no reply.
  await call(s.omar, 'POST', `${CONVERSATIONS}/${id}/notes`, { text: 'I will call them' });
  await call(s.sara, 'POST', SEND_FILE, { channelId: s.channel.id, toNumber: s.phone, fileUrl: files.url('/guard.pdf'), lastSeenEventId: saras.conversationEventId });
  // The service account is another sender: the people's replies block it, the newest named.
  const res = await s.ws.api('POST', SEND_TEXT, text({ lastSeenEventId: omars.conversationEventId }));
  assertError(res, 409, 'Wasl:Conversation:ReplyConflict');
  assert.equal(json(res).error.data.authorName, 'Sara');
  const newest = (await timelineOf(s.ws, id)).items.find((e: Json) => e.direction === 2) as Json;
  assert.equal(json(res).error.data.eventId, newest.eventId);
  // Its own sends never block it.
  const its = await call(s.ws, 'POST', SEND_TEXT, text({ lastSeenEventId: newest.eventId }));
  await call(s.ws, 'POST', SEND_TEXT, text({ lastSeenEventId: newest.eventId }));
  assertError(await s.sara.api('POST', SEND_TEXT, text({ lastSeenEventId: newest.eventId })), 409, 'Wasl:Conversation:ReplyConflict');
  assert.equal(json(await s.sara.api('POST', SEND_TEXT, text({ lastSeenEventId: newest.eventId }))).error.data.authorName, s.ws.clientId);
  assert.ok(its.conversationEventId);
});

test('reply guard: two people answering the same message at once — one is sent, the other gets 409 naming it', async () => {
  const s = await setup('966500500004');
  const body = (text: string) => ({ channelId: s.channel.id, toNumber: s.phone, text, lastSeenEventId: s.inboundEventId });
  const jobs = await sendJobs();
  const [a, b] = await Promise.all([s.sara.api('POST', SEND_TEXT, body('Sara here')), s.omar.api('POST', SEND_TEXT, body('Omar here'))]);
  const statuses = [a.statusCode, b.statusCode].sort();
  assert.deepEqual(statuses, [200, 409], `${a.body} ${b.body}`);
  const [won, lost] = a.statusCode === 200 ? [a, b] : [b, a];
  assert.equal(json(lost).error.data.eventId, json(won).conversationEventId);
  assert.equal(json(lost).error.data.authorName, a.statusCode === 200 ? 'Sara' : 'Omar');
  assert.equal(await sendJobs(), jobs + 1, 'one message queued');
});

test('reply guard: an event not of this contact on this channel → 400 naming lastSeenEventId; an earlier conversation of the pair counts', async () => {
  const s = await setup();
  const other = await setup('966500500002');
  const { conversation: elsewhere } = await openConversation(s.ws, s.channel.id, '+966500500003');
  const elsewhereEvent = (await call(s.ws, 'POST', `${CONVERSATIONS}/${elsewhere.id}/notes`, { text: 'another contact' })).eventId;
  const text = (lastSeenEventId: unknown) => ({ channelId: s.channel.id, toNumber: s.phone, text: 'Hello', lastSeenEventId });
  const jobs = await sendJobs();
  for (const seen of [MISSING, other.inboundEventId, elsewhereEvent]) {
    for (const [url, body] of [
      [SEND_TEXT, text(seen)],
      [SEND_TEMPLATE, { channelId: s.channel.id, toNumber: s.phone, templateName: 'hello_world', language: 'en_US', lastSeenEventId: seen }],
      [SEND_FILE, { channelId: s.channel.id, toNumber: s.phone, fileUrl: files.serve('/seen.pdf', PDF), lastSeenEventId: seen }],
    ] as const) {
      const res = await s.sara.api('POST', url, body);
      assertError(res, 400, 'Wasl:ValidationFailed', ['lastSeenEventId']);
      assert.ok(!res.body.includes('hello?'), res.body);
    }
  }
  assertError(await s.sara.api('POST', SEND_TEXT, text('not-a-uuid')), 400, 'Wasl:ValidationFailed', ['lastSeenEventId']);
  assert.equal(await sendJobs(), jobs, 'nothing queued');
  assert.equal((await timelineOf(s.ws, s.conversation.id)).totalCount, 1);

  // Closed: a send opens a new conversation, and the last event seen in the old one is still this pair's.
  await call(s.ws, 'POST', `${CONVERSATIONS}/${s.conversation.id}/close`);
  const sent = await call(s.sara, 'POST', SEND_TEXT, text(s.inboundEventId));
  assert.notEqual(sent.conversationId, s.conversation.id);
});

authBattery(h, async (ws) => {
  const channel = await add(`/admin/v1/workspaces/${ws.id}/channels`, { name: 'Battery', type: 2, phoneNumber: '+966500000039' });
  const { conversation } = await openConversation(ws, channel.id, '+966500500099');
  return [{ method: 'POST', url: `${CONVERSATIONS}/${conversation.id}/unread` }];
});

test("another workspace's conversation → 404 on …/unread, exactly as a missing one, and nothing changes", async () => {
  const s = await setup();
  const stranger = await h.workspace();
  const person = await signIn(h, stranger.id);
  await call(s.ws, 'POST', `${CONVERSATIONS}/${s.conversation.id}/read`);
  for (const who of [stranger, person] as (Workspace | Person)[]) {
    const foreign = await who.api('POST', `${CONVERSATIONS}/${s.conversation.id}/unread`);
    const missing = await who.api('POST', `${CONVERSATIONS}/${MISSING}/unread`);
    assertError(foreign, 404, 'Wasl:Conversation:NotFound');
    assertError(missing, 404, 'Wasl:Conversation:NotFound');
    assert.equal(foreign.body.replaceAll(s.conversation.id, '<id>'), missing.body.replaceAll(MISSING, '<id>'));
  }
  assertError(await s.ws.api('POST', `${CONVERSATIONS}/nope/unread`), 400, 'Wasl:ValidationFailed', ['id']);
  assert.equal((await call(s.ws, 'GET', `${CONVERSATIONS}/${s.conversation.id}`)).unreadCount, 0);
  // A stranger's guard names an event of this workspace: refused as unknown, nothing sent.
  const theirs = await add(`/admin/v1/workspaces/${stranger.id}/channels`, { name: 'Theirs', type: 2, phoneNumber: '+966500000032', whatsApp: { provider: 'sandbox' } });
  const res = await stranger.api('POST', SEND_TEMPLATE, { channelId: theirs.id, toNumber: s.phone, templateName: 'hello_world', language: 'en_US', lastSeenEventId: s.inboundEventId });
  assertError(res, 400, 'Wasl:ValidationFailed', ['lastSeenEventId']);
});
