import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertError } from '../../../test/helpers/assert.js';
import { build, json, type Workspace } from '../../../test/helpers/build.js';
import { CONVERSATIONS, conversationSetup, ok, openConversation, THREADS, type Json } from '../../../test/helpers/conversations.js';

const h = await build();
const c = h.app.container;
const MISSING = '01890000-0000-7000-8000-000000000000';
const get = (ws: Workspace, id: string) => ok(ws, 'GET', `${CONVERSATIONS}/${id}`);
const timeline = async (ws: Workspace, id: string) => ok(ws, 'GET', `${CONVERSATIONS}/${id}/timeline?Sorting=CreationTime ASC&MaxResultCount=100`);
async function item(ws: Workspace, channelId: string, id: string): Promise<Json> {
  const found = (await ok(ws, 'GET', `${CONVERSATIONS}/channels/${channelId}?MaxResultCount=100`)).items.find((i: Json) => i.id === id);
  assert.ok(found, `conversation ${id} is listed`);
  return found;
}
const inbound = (ws: Workspace, conversationId: string, count = 1) =>
  c.transaction(async (trx) => {
    for (let i = 0; i < count; i++) await c.conversationEvents.append(trx, { workspaceId: ws.id, conversationId, sourceType: 2, direction: 1, body: `hi ${i}`, status: 'Received' });
  });
const mentions = (ws: Workspace) =>
  h.store.db.selectFrom('conversation_mentions').select(['user_id', 'conversation_id', 'event_id', 'thread_message_id']).where('workspace_id', '=', ws.id).orderBy('creation_time').orderBy('user_id').execute();
const tagOf = (t: Json) => ({ id: t.id, name: t.name, icon: t.icon, isPinned: t.isPinned, creationTime: t.creationTime });

test('tags: POST …/tags replaces the set (tagIds or TagIds), duplicates tolerated, [] clears; answers and shows tag objects', async () => {
  const { ws, channel } = await conversationSetup(h);
  const { conversation } = await openConversation(ws, channel.id, '+966500400001');
  const id = conversation.id;
  const tag = async (body: Json) => ok(ws, 'POST', '/v1/tags/service-account', body);
  const vip = await tag({ Name: 'VIP', Icon: '⭐', IsPinned: true });
  const lead = await tag({ name: 'Lead' });
  const hot = await tag({ name: 'Hot' });
  const setTags = (body: unknown) => ws.api('POST', `${CONVERSATIONS}/${id}/tags`, body);

  const set = await setTags({ tagIds: [vip.id, lead.id] });
  assert.equal(set.statusCode, 200, set.body);
  const answered = json(set);
  assert.deepEqual(answered.tags, [tagOf(lead), tagOf(vip)], 'tag objects {id, name, icon, isPinned, creationTime}, by name');
  assert.deepEqual({ ...answered, tags: [] }, { ...(await get(ws, id)), tags: [] }, 'the answer is the conversation');
  assert.deepEqual((await get(ws, id)).tags, answered.tags, 'Get Conversation shows them');
  assert.deepEqual((await item(ws, channel.id, id)).tags, answered.tags, 'and the list');

  const replaced = json(await setTags({ TagIds: [hot.id, hot.id, vip.id.toUpperCase()] }));
  assert.deepEqual(replaced.tags.map((t: Json) => t.name), ['Hot', 'VIP'], 'replaced, not added; a duplicate and upper case are the same tag');

  // Refused lists change nothing.
  const other = await h.workspace();
  const foreign = json(await other.api('POST', '/v1/tags/service-account', { name: 'Theirs' }));
  assertError(await setTags({ tagIds: [lead.id, MISSING] }), 400, 'Wasl:ValidationFailed', ['tagIds']);
  assertError(await setTags({ tagIds: [foreign.id] }), 400, 'Wasl:ValidationFailed', ['tagIds']);
  assertError(await setTags({ tagIds: ['not-a-uuid'] }), 400, 'Wasl:ValidationFailed');
  assertError(await setTags({}), 400, 'Wasl:ValidationFailed', ['tagIds']);
  assert.deepEqual((await get(ws, id)).tags.map((t: Json) => t.name), ['Hot', 'VIP']);
  assertError(await ws.api('POST', `${CONVERSATIONS}/${MISSING}/tags`, { tagIds: [] }), 404, 'Wasl:Conversation:NotFound');
  assertError(await other.api('POST', `${CONVERSATIONS}/${id}/tags`, { tagIds: [] }), 404, 'Wasl:Conversation:NotFound');

  const cleared = json(await setTags({ tagIds: [] }));
  assert.deepEqual(cleared.tags, []);
  assert.deepEqual((await get(ws, id)).tags, []);
});

test('tags: deleting a tag in use → 409 Wasl:Tag:InUse; once detached → 204', async () => {
  const { ws, channel } = await conversationSetup(h);
  const a = await openConversation(ws, channel.id, '+966500400002');
  const b = await openConversation(ws, channel.id, '+966500400003');
  const tag = await ok(ws, 'POST', '/v1/tags/service-account', { name: 'Billing' });
  for (const { conversation } of [a, b]) await ok(ws, 'POST', `${CONVERSATIONS}/${conversation.id}/tags`, { tagIds: [tag.id] });

  assertError(await ws.api('DELETE', `/v1/tags/service-account/${tag.id}`), 409, 'Wasl:Tag:InUse');
  await ok(ws, 'POST', `${CONVERSATIONS}/${a.conversation.id}/tags`, { tagIds: [] });
  assertError(await ws.api('DELETE', `/v1/tags/service-account/${tag.id}`), 409, 'Wasl:Tag:InUse');
  assert.deepEqual((await get(ws, b.conversation.id)).tags.map((t: Json) => t.id), [tag.id], 'a refused delete leaves it attached');
  await ok(ws, 'POST', `${CONVERSATIONS}/${b.conversation.id}/tags`, { tagIds: [] });
  assert.equal((await ws.api('DELETE', `/v1/tags/service-account/${tag.id}`)).statusCode, 204);
  assertError(await ws.api('POST', `${CONVERSATIONS}/${a.conversation.id}/tags`, { tagIds: [tag.id] }), 400, 'Wasl:ValidationFailed', ['tagIds']);
});

test('close / reopen: idempotent, status strings, closedAt, one StatusChange event per change; create after close makes a new conversation', async () => {
  const { ws, channel } = await conversationSetup(h);
  const { conversation, contactId } = await openConversation(ws, channel.id, '+966500400004');
  const id = conversation.id;

  h.clock.advance(60_000);
  const closedAt = h.clock.now().toISOString();
  const closed = await ok(ws, 'POST', `${CONVERSATIONS}/${id}/close`);
  assert.equal(closed.status, 'Closed');
  assert.deepEqual({ ...closed, status: 'x', lastActivityAt: 'x' }, { ...(await get(ws, id)), status: 'x', lastActivityAt: 'x' }, 'the answer is the conversation');
  assert.equal(closed.lastActivityAt, closedAt, 'closing is activity');
  let listed = await item(ws, channel.id, id);
  assert.deepEqual([listed.status, listed.closedAt], [2, closedAt]);

  h.clock.advance(1000);
  assert.equal((await ok(ws, 'POST', `${CONVERSATIONS}/${id}/close`)).status, 'Closed', 'closing twice is fine');
  assert.equal((await item(ws, channel.id, id)).closedAt, closedAt, 'and changes nothing');
  assert.equal((await timeline(ws, id)).totalCount, 1);

  const closedList = await ok(ws, 'GET', `${CONVERSATIONS}/channels/${channel.id}?Status=Closed`);
  assert.deepEqual(closedList.items.map((i: Json) => i.id), [id]);

  h.clock.advance(1000);
  const reopenedAt = h.clock.now().toISOString();
  const reopened = await ok(ws, 'POST', `${CONVERSATIONS}/${id}/reopen`);
  assert.equal(reopened.status, 'Open');
  listed = await item(ws, channel.id, id);
  assert.deepEqual([listed.status, listed.closedAt], [1, null]);
  assert.equal((await ok(ws, 'POST', `${CONVERSATIONS}/${id}/reopen`)).status, 'Open', 'reopening twice is fine');

  const events = (await timeline(ws, id)).items;
  assert.deepEqual(
    events.map((e: Json) => [e.sourceType, e.direction, e.status, e.handlerName, e.ownerUserId, e.creationTime]),
    [
      [5, 3, 'Closed', ws.clientId, null, closedAt],
      [5, 3, 'Open', ws.clientId, null, reopenedAt],
    ],
    'one StatusChange event per change, by the service account',
  );
  assert.equal(listed.lastEventSourceType, 5);

  // Closed, a new conversation for the same contact; the old one cannot reopen while that one is open.
  await ok(ws, 'POST', `${CONVERSATIONS}/${id}/close`);
  const next = await openConversation(ws, channel.id, '+966500400004');
  assert.notEqual(next.conversation.id, id, 'create after close makes a new conversation');
  assert.equal(next.contactId, contactId);
  assert.equal(next.conversation.status, 'Open');
  const refused = await ws.api('POST', `${CONVERSATIONS}/${id}/reopen`);
  assertError(refused, 409, 'Wasl:Conversation:AlreadyOpen');
  assert.deepEqual(json(refused).error.data, { conversationId: next.conversation.id });
  assert.equal((await get(ws, id)).status, 'Closed', 'nothing changed');
  assert.equal((await timeline(ws, id)).totalCount, 3);

  await ok(ws, 'POST', `${CONVERSATIONS}/${next.conversation.id}/close`);
  assert.equal((await ok(ws, 'POST', `${CONVERSATIONS}/${id}/reopen`)).status, 'Open', 'free again: it reopens');

  const other = await h.workspace();
  for (const verb of ['close', 'reopen', 'read']) {
    assertError(await ws.api('POST', `${CONVERSATIONS}/${MISSING}/${verb}`), 404, 'Wasl:Conversation:NotFound');
    assertError(await other.api('POST', `${CONVERSATIONS}/${id}/${verb}`), 404, 'Wasl:Conversation:NotFound');
  }
});

test('read: POST …/read sets unreadCount to 0 and answers the conversation', async () => {
  const { ws, channel } = await conversationSetup(h);
  const { conversation } = await openConversation(ws, channel.id, '+966500400005');
  await inbound(ws, conversation.id, 3);
  assert.equal((await get(ws, conversation.id)).unreadCount, 3);
  const read = await ok(ws, 'POST', `${CONVERSATIONS}/${conversation.id}/read`);
  assert.equal(read.unreadCount, 0);
  assert.equal(read.id, conversation.id);
  assert.equal((await item(ws, channel.id, conversation.id)).unreadCount, 0);
  assert.equal((await ok(ws, 'POST', `${CONVERSATIONS}/${conversation.id}/read`)).unreadCount, 0, 'twice is fine');
});

test('notes: a timeline event (sourceType 4, direction 3) by the caller or a named person; @mentions of workspace users are recorded', async () => {
  const { ws, channel, sara, omar, agent } = await conversationSetup(h);
  const { conversation } = await openConversation(ws, channel.id, '+966500400006');
  const id = conversation.id;
  const note = (body: unknown) => ws.api('POST', `${CONVERSATIONS}/${id}/notes`, body);

  h.clock.advance(1000);
  const plain = await note({ text: '  Wants a quote  ' });
  assert.equal(plain.statusCode, 200, plain.body);
  const event = json(plain);
  assert.deepEqual(
    [event.sourceType, event.direction, event.body, event.handlerName, event.ownerUserId, event.status, event.conversationId, event.creationTime],
    [4, 3, 'Wants a quote', ws.clientId, null, null, id, h.clock.now().toISOString()],
  );
  assert.deepEqual((await timeline(ws, id)).items, [event], 'the answer is the timeline event');
  assert.equal((await item(ws, channel.id, id)).lastEventSourceType, 4);

  const text = `Ask @${sara.id} or @${omar.userId.toUpperCase()}; again @${sara.id}`;
  const mentioned = json(await note({ Text: text, AuthorUserId: omar.id }));
  assert.deepEqual([mentioned.body, mentioned.ownerUserId, mentioned.handlerName], [text, omar.id, 'Omar'], "in Omar's name");
  const rows = await mentions(ws);
  assert.deepEqual(
    rows.map((r) => [r.user_id, r.conversation_id, r.event_id, r.thread_message_id]).sort(),
    [[sara.id, id, mentioned.eventId, null], [omar.id, id, mentioned.eventId, null]].sort(),
    'each person mentioned once',
  );

  const other = await h.workspace();
  const stranger = json(await h.admin('POST', `/admin/v1/workspaces/${other.id}/users`, { name: 'Stranger', email: `s-${other.id}@example.com`, role: 2 }));
  assertError(await note({ text: `ping @${MISSING}` }), 400, 'Wasl:ValidationFailed', ['text']);
  assertError(await note({ text: `ping @${stranger.id}` }), 400, 'Wasl:ValidationFailed', ['text']);
  assertError(await note({ text: 'from a robot', authorUserId: agent.id }), 400, 'Wasl:ValidationFailed', ['authorUserId']);
  assertError(await note({ text: 'from nobody', authorUserId: MISSING }), 400, 'Wasl:ValidationFailed', ['authorUserId']);
  assertError(await note({ text: 'from outside', authorUserId: stranger.id }), 400, 'Wasl:ValidationFailed', ['authorUserId']);
  assertError(await note({ text: '   ' }), 400, 'Wasl:ValidationFailed', ['text']);
  assertError(await note({}), 400, 'Wasl:ValidationFailed', ['text']);
  assert.equal((await timeline(ws, id)).totalCount, 2, 'refused notes write nothing');
  assert.equal((await mentions(ws)).length, 2);
  assertError(await ws.api('POST', `${CONVERSATIONS}/${MISSING}/notes`, { text: 'x' }), 404, 'Wasl:Conversation:NotFound');
  assertError(await other.api('POST', `${CONVERSATIONS}/${id}/notes`, { text: 'x' }), 404, 'Wasl:Conversation:NotFound');
});

test('threads: the first message opens an event\'s thread; list, resolve / unresolve (idempotent); a new message reopens it; mentions and authors', async () => {
  const { ws, channel, sara, omar, agent } = await conversationSetup(h);
  const { conversation } = await openConversation(ws, channel.id, '+966500400007');
  const id = conversation.id;
  await inbound(ws, id);
  const [message] = (await timeline(ws, id)).items;
  const eventId: string = message.eventId;
  assert.equal(message.internalThread, null);
  const post = (body: unknown) => ws.api('POST', `${THREADS(eventId)}/messages`, body);
  const threadOnTimeline = async () => (await timeline(ws, id)).items.find((e: Json) => e.eventId === eventId).internalThread;

  assertError(await ws.api('PUT', `${THREADS(eventId)}/resolve`), 404, 'Wasl:Thread:NotFound');
  assertError(await ws.api('PUT', `${THREADS(eventId)}/unresolve`), 404, 'Wasl:Thread:NotFound');
  assertError(await ws.api('GET', `${THREADS(eventId)}/messages`), 404, 'Wasl:Thread:NotFound');

  h.clock.advance(1000);
  const firstAt = h.clock.now().toISOString();
  const first = await post({ messageBody: ` Who can take this? @${sara.id} ` });
  assert.equal(first.statusCode, 200, first.body);
  const m1 = json(first);
  assert.deepEqual(Object.keys(m1).sort(), ['authorName', 'authorUserId', 'body', 'creationTime', 'eventId', 'id', 'mentionedUserIds', 'threadId']);
  assert.deepEqual(
    { ...m1, id: 'x', threadId: 'x' },
    { id: 'x', threadId: 'x', eventId, authorUserId: null, authorName: ws.clientId, body: `Who can take this? @${sara.id}`, mentionedUserIds: [sara.id], creationTime: firstAt },
  );
  assert.deepEqual(await threadOnTimeline(), { id: m1.threadId, isResolved: false, messageCount: 1 });

  h.clock.advance(1000);
  const m2 = json(await post({ MessageBody: `Me. cc @${omar.id}`, AuthorUserId: sara.id }));
  assert.deepEqual([m2.threadId, m2.authorUserId, m2.authorName, m2.mentionedUserIds], [m1.threadId, sara.id, 'Sara', [omar.id]]);
  const rows = (await mentions(ws)).map((r) => [r.user_id, r.conversation_id, r.event_id, r.thread_message_id]);
  assert.deepEqual(rows, [[sara.id, id, eventId, m1.id], [omar.id, id, eventId, m2.id]]);

  const listed = await ok(ws, 'GET', `${THREADS(eventId)}/messages`);
  assert.deepEqual(listed, { totalCount: 2, thread: { id: m1.threadId, eventId, conversationId: id, isResolved: false, messageCount: 2 }, items: [m1, m2] });
  const page = await ok(ws, 'GET', `${THREADS(eventId)}/messages?Sorting=CreationTime DESC&MaxResultCount=1`);
  assert.deepEqual([page.totalCount, page.items], [2, [m2]]);

  const resolved = await ok(ws, 'PUT', `${THREADS(eventId)}/resolve`);
  assert.deepEqual(resolved, { id: m1.threadId, eventId, conversationId: id, isResolved: true, messageCount: 2 });
  assert.deepEqual(await ok(ws, 'PUT', `${THREADS(eventId)}/resolve`), resolved, 'resolving twice is fine');
  assert.deepEqual(await threadOnTimeline(), { id: m1.threadId, isResolved: true, messageCount: 2 });
  assert.equal((await ok(ws, 'PUT', `${THREADS(eventId)}/unresolve`)).isResolved, false);
  assert.equal((await ok(ws, 'PUT', `${THREADS(eventId)}/unresolve`)).isResolved, false, 'unresolving twice is fine');
  await ok(ws, 'PUT', `${THREADS(eventId)}/resolve`);

  await post({ messageBody: 'Reopening: they called again' });
  assert.deepEqual(await threadOnTimeline(), { id: m1.threadId, isResolved: false, messageCount: 3 }, 'a new message reopens a resolved thread');
  assert.equal((await timeline(ws, id)).totalCount, 1, 'thread messages are not timeline events');

  // Refused messages write nothing.
  const other = await h.workspace();
  const stranger = json(await h.admin('POST', `/admin/v1/workspaces/${other.id}/users`, { name: 'Stranger', email: `s-${other.id}@example.com`, role: 2 }));
  assertError(await post({ messageBody: `@${MISSING} look` }), 400, 'Wasl:ValidationFailed', ['messageBody']);
  assertError(await post({ messageBody: `@${stranger.id} look` }), 400, 'Wasl:ValidationFailed', ['messageBody']);
  assertError(await post({ messageBody: 'hi', authorUserId: agent.id }), 400, 'Wasl:ValidationFailed', ['authorUserId']);
  assertError(await post({ messageBody: 'hi', authorUserId: MISSING }), 400, 'Wasl:ValidationFailed', ['authorUserId']);
  assertError(await post({ messageBody: ' ' }), 400, 'Wasl:ValidationFailed', ['messageBody']);
  assert.equal((await ok(ws, 'GET', `${THREADS(eventId)}/messages`)).totalCount, 3);
  assert.equal((await mentions(ws)).length, 2);

  // A missing event, or another workspace's, is not found on every thread route.
  for (const [who, target] of [[ws, MISSING], [other, eventId]] as const) {
    assertError(await who.api('POST', `${THREADS(target)}/messages`, { messageBody: 'x' }), 404, 'Wasl:ConversationEvent:NotFound');
    assertError(await who.api('GET', `${THREADS(target)}/messages`), 404, 'Wasl:ConversationEvent:NotFound');
    assertError(await who.api('PUT', `${THREADS(target)}/resolve`), 404, 'Wasl:ConversationEvent:NotFound');
    assertError(await who.api('PUT', `${THREADS(target)}/unresolve`), 404, 'Wasl:ConversationEvent:NotFound');
  }
  assert.equal((await ok(ws, 'GET', `${THREADS(eventId)}/messages`)).thread.isResolved, false);
});

test('threads: a thread on a note; each event keeps its own thread', async () => {
  const { ws, channel } = await conversationSetup(h);
  const { conversation } = await openConversation(ws, channel.id, '+966500400008');
  const n1 = await ok(ws, 'POST', `${CONVERSATIONS}/${conversation.id}/notes`, { text: 'first' });
  const n2 = await ok(ws, 'POST', `${CONVERSATIONS}/${conversation.id}/notes`, { text: 'second' });
  const t1 = await ok(ws, 'POST', `${THREADS(n1.eventId)}/messages`, { messageBody: 'on first' });
  const t2 = await ok(ws, 'POST', `${THREADS(n2.eventId)}/messages`, { messageBody: 'on second' });
  assert.notEqual(t1.threadId, t2.threadId);
  await ok(ws, 'PUT', `${THREADS(n1.eventId)}/resolve`);
  const threads = (await timeline(ws, conversation.id)).items.map((e: Json) => e.internalThread);
  assert.deepEqual(threads, [
    { id: t1.threadId, isResolved: true, messageCount: 1 },
    { id: t2.threadId, isResolved: false, messageCount: 1 },
  ]);
});
