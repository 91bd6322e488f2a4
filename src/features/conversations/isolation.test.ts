import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertError } from '../../../test/helpers/assert.js';
import { authBattery } from '../../../test/helpers/auth-cases.js';
import { build, json, type Harness, type Workspace } from '../../../test/helpers/build.js';
import { CONVERSATIONS, conversationSetup, ok, openConversation, THREADS, type Json } from '../../../test/helpers/conversations.js';

/** Auth and cross-workspace isolation of every conversation route. */

const h = await build();
const MISSING = '01890000-0000-7000-8000-000000000000';

/** A workspace with a tagged, assigned conversation holding an unread customer message and a note with an open thread. */
async function populated(harness: Harness) {
  const setup = await conversationSetup(harness);
  const { ws, channel, sara, omar } = setup;
  const tag = await ok(ws, 'POST', '/v1/tags/service-account', { name: 'Secret' });
  const { conversation, contactId } = await openConversation(ws, channel.id, '+966500200001', { ContactName: 'Private Person', AssignToUserId: sara.id });
  await ok(ws, 'POST', `${CONVERSATIONS}/${conversation.id}/tags`, { tagIds: [tag.id] });
  const c = harness.app.container;
  await c.transaction((trx) => c.conversationEvents.append(trx, { workspaceId: ws.id, conversationId: conversation.id, sourceType: 2, direction: 1, body: 'private hello', status: 'Received', messageType: 'Text' }));
  const note = await ok(ws, 'POST', `${CONVERSATIONS}/${conversation.id}/notes`, { text: `call back @${omar.id}` });
  await ok(ws, 'POST', `${THREADS(note.eventId)}/messages`, { messageBody: 'on it' });
  return { ...setup, tag, conversation, contactId, note };
}

/** What the owner sees of everything a stranger could touch. */
async function snapshot(ws: Workspace, o: { channel: Json; conversation: Json; note: Json }) {
  return {
    conversation: await ok(ws, 'GET', `${CONVERSATIONS}/${o.conversation.id}`),
    list: await ok(ws, 'GET', `${CONVERSATIONS}/channels/${o.channel.id}`),
    timeline: await ok(ws, 'GET', `${CONVERSATIONS}/${o.conversation.id}/timeline?MaxResultCount=100`),
    thread: await ok(ws, 'GET', `${THREADS(o.note.eventId)}/messages`),
    contacts: await ok(ws, 'GET', '/v1/contacts'),
  };
}

test("another workspace's ids answer 404, exactly as a missing id does, and change nothing", async () => {
  const owner = await populated(h);
  const stranger = await conversationSetup(h);
  const strangerTag = await ok(stranger.ws, 'POST', '/v1/tags/service-account', { name: 'Mine' });
  const before = await snapshot(owner.ws, owner);
  const { conversation: c, note, channel } = owner;

  const byId = (verb: string, body?: unknown): [string, string, string, unknown, string] => [
    'POST',
    `${CONVERSATIONS}/${c.id}/${verb}`,
    `${CONVERSATIONS}/${MISSING}/${verb}`,
    body,
    'Wasl:Conversation:NotFound',
  ];
  const byEvent = (method: string, path: string, body?: unknown): [string, string, string, unknown, string] => [
    method,
    `${THREADS(note.eventId)}/${path}`,
    `${THREADS(MISSING)}/${path}`,
    body,
    'Wasl:ConversationEvent:NotFound',
  ];
  const pairs: [string, string, string, unknown, string][] = [
    ['GET', `${CONVERSATIONS}/${c.id}`, `${CONVERSATIONS}/${MISSING}`, undefined, 'Wasl:Conversation:NotFound'],
    ['GET', `${CONVERSATIONS}/${c.id}/timeline`, `${CONVERSATIONS}/${MISSING}/timeline`, undefined, 'Wasl:Conversation:NotFound'],
    // The stranger's own user, agent and tag: valid bodies, so only the conversation can refuse.
    byId('assign', { assignedUserId: stranger.omar.id }),
    byId('assign', { assignedAiAgentId: stranger.agent.id }),
    byId('assign', {}),
    byId('tags', { tagIds: [strangerTag.id] }),
    byId('tags', { tagIds: [] }),
    byId('close'),
    byId('reopen'),
    byId('read'),
    byId('notes', { text: 'planted' }),
    byEvent('POST', 'messages', { messageBody: 'planted' }),
    byEvent('GET', 'messages'),
    byEvent('PUT', 'resolve'),
    byEvent('PUT', 'unresolve'),
    ['GET', `${CONVERSATIONS}/channels/${channel.id}`, `${CONVERSATIONS}/channels/${MISSING}`, undefined, 'Wasl:Channel:NotFound'],
    ['GET', `${CONVERSATIONS}/channels/${channel.id}?Status=1&Name=private`, `${CONVERSATIONS}/channels/${MISSING}?Status=1&Name=private`, undefined, 'Wasl:Channel:NotFound'],
    [
      'POST',
      `${CONVERSATIONS}/create`,
      `${CONVERSATIONS}/create`,
      { ChannelId: channel.id, PhoneNumber: '+966500200001' },
      'Wasl:Channel:NotFound',
    ],
  ];
  const strip = (body: string) => [c.id, note.eventId, channel.id, MISSING].reduce((b, id) => b.replaceAll(id, '<id>'), body);
  for (const [method, foreignUrl, missingUrl, body, code] of pairs) {
    const missingBody = foreignUrl === missingUrl ? { ...(body as object), ChannelId: MISSING } : body;
    const foreign = await stranger.ws.api(method as 'GET', foreignUrl, body);
    const missing = await stranger.ws.api(method as 'GET', missingUrl, missingBody);
    assertError(foreign, 404, code);
    assertError(missing, 404, code);
    assert.equal(strip(foreign.body), strip(missing.body), `${method} ${foreignUrl}`);
  }
  assert.deepEqual(await snapshot(owner.ws, owner), before, 'the owner sees no change');
  assert.equal(before.conversation.unreadCount, 1, 'an unread message a foreign …/read would have cleared');
  assert.equal(before.thread.thread.isResolved, false, 'an open thread a foreign …/resolve would have resolved');
  assert.equal((await ok(stranger.ws, 'GET', '/v1/contacts')).totalCount, 0, 'a refused create made no contact for the stranger');
  assert.equal((await ok(stranger.ws, 'GET', `${CONVERSATIONS}/channels/${stranger.channel.id}`)).totalCount, 0);
});

test("another workspace's users, AI agents and tags are refused with 400 naming the field, and nothing is written", async () => {
  const owner = await populated(h);
  const stranger = await populated(h);
  const before = await snapshot(owner.ws, owner);
  const { ws } = owner;
  const id = owner.conversation.id;
  const refusals: [string, string, unknown, string][] = [
    ['POST', `${CONVERSATIONS}/${id}/assign`, { assignedUserId: stranger.sara.id }, 'assignedUserId'],
    ['POST', `${CONVERSATIONS}/${id}/assign`, { AssignedUserId: stranger.sara.userId }, 'assignedUserId'],
    ['POST', `${CONVERSATIONS}/${id}/assign`, { assignedAiAgentId: stranger.agent.id }, 'assignedAiAgentId'],
    ['POST', `${CONVERSATIONS}/create`, { ChannelId: owner.channel.id, PhoneNumber: '+966500200002', AssignToUserId: stranger.omar.id }, 'assignToUserId'],
    ['POST', `${CONVERSATIONS}/create`, { ChannelId: owner.channel.id, PhoneNumber: '+966500200002', AssignToAiAgentId: stranger.agent.id }, 'assignToAiAgentId'],
    ['POST', `${CONVERSATIONS}/${id}/tags`, { tagIds: [stranger.tag.id] }, 'tagIds'],
    ['POST', `${CONVERSATIONS}/${id}/tags`, { tagIds: [owner.tag.id, stranger.tag.id] }, 'tagIds'],
    ['POST', `${CONVERSATIONS}/${id}/notes`, { text: `see @${stranger.sara.id}` }, 'text'],
    ['POST', `${CONVERSATIONS}/${id}/notes`, { text: `@${owner.sara.id} and @${stranger.omar.id}` }, 'text'],
    ['POST', `${CONVERSATIONS}/${id}/notes`, { text: 'in their name', authorUserId: stranger.sara.id }, 'authorUserId'],
    ['POST', `${THREADS(owner.note.eventId)}/messages`, { messageBody: `ping @${stranger.sara.id}` }, 'messageBody'],
    ['POST', `${THREADS(owner.note.eventId)}/messages`, { messageBody: 'in their name', authorUserId: stranger.omar.id }, 'authorUserId'],
  ];
  for (const [method, url, body, member] of refusals) {
    const res = await ws.api(method as 'POST', url, body);
    assertError(res, 400, 'Wasl:ValidationFailed', [member]);
    assert.ok(!/Private Person|Sara|Omar|Nour|Mine|Secret/.test(res.body), `the refusal names nothing of the other workspace: ${res.body}`);
  }
  assert.deepEqual(await snapshot(owner.ws, owner), before, 'nothing written');

  // Filters naming another workspace's ids match nothing (and answer 200).
  const list = (query: string) => ok(ws, 'GET', `${CONVERSATIONS}/channels/${owner.channel.id}?${query}`);
  assert.equal((await list(`AssigneeUserIds=${stranger.sara.id}`)).totalCount, 0);
  assert.equal((await list(`TagIds=${stranger.tag.id}`)).totalCount, 0);
  assert.equal((await list(`ContactIds=${stranger.contactId}`)).totalCount, 0);
  assert.equal((await list(`AssigneeUserIds=${owner.sara.id}&TagIds=${owner.tag.id}&ContactIds=${owner.contactId}`)).totalCount, 1, 'the same filters with its own ids match');
});

test('malformed ids in paths → 400 naming the parameter', async () => {
  const { ws, channel } = await conversationSetup(h);
  const bad = ['not-a-uuid', '123', `${MISSING}x`];
  for (const id of bad) {
    const calls: [string, string, unknown, string][] = [
      ['GET', `${CONVERSATIONS}/${id}`, undefined, 'id'],
      ['GET', `${CONVERSATIONS}/${id}/timeline`, undefined, 'id'],
      ['POST', `${CONVERSATIONS}/${id}/assign`, {}, 'id'],
      ['POST', `${CONVERSATIONS}/${id}/tags`, { tagIds: [] }, 'id'],
      ['POST', `${CONVERSATIONS}/${id}/close`, undefined, 'id'],
      ['POST', `${CONVERSATIONS}/${id}/reopen`, undefined, 'id'],
      ['POST', `${CONVERSATIONS}/${id}/read`, undefined, 'id'],
      ['POST', `${CONVERSATIONS}/${id}/notes`, { text: 'x' }, 'id'],
      ['GET', `${CONVERSATIONS}/channels/${id}`, undefined, 'channelId'],
      ['POST', `${THREADS(id)}/messages`, { messageBody: 'x' }, 'eventId'],
      ['GET', `${THREADS(id)}/messages`, undefined, 'eventId'],
      ['PUT', `${THREADS(id)}/resolve`, undefined, 'eventId'],
      ['PUT', `${THREADS(id)}/unresolve`, undefined, 'eventId'],
    ];
    for (const [method, url, body, member] of calls) assertError(await ws.api(method as 'GET', url, body), 400, 'Wasl:ValidationFailed', [member]);
  }
  assertError(await ws.api('POST', `${CONVERSATIONS}/create`, { ChannelId: 'not-a-uuid', PhoneNumber: '+966500200003' }), 400, 'Wasl:ValidationFailed', ['channelId']);
  assert.equal((await ok(ws, 'GET', `${CONVERSATIONS}/channels/${channel.id}`)).totalCount, 0);
});

authBattery(h, async (ws) => {
  const add = async (url: string, body: Json) => json(await h.admin('POST', url, body));
  const channel = await add(`/admin/v1/workspaces/${ws.id}/channels`, { name: 'Battery', type: 2, phoneNumber: '+966500000009' });
  const user = await add(`/admin/v1/workspaces/${ws.id}/users`, { name: 'Battery', email: `battery-${ws.id}@example.com` });
  const tag = await ok(ws, 'POST', '/v1/tags/service-account', { name: 'Battery' });
  const { conversation } = await openConversation(ws, channel.id, '+966500200010');
  const note = await ok(ws, 'POST', `${CONVERSATIONS}/${conversation.id}/notes`, { text: 'battery' });
  await ok(ws, 'POST', `${THREADS(note.eventId)}/messages`, { messageBody: 'battery' });
  const id = conversation.id;
  return [
    { method: 'POST', url: `${CONVERSATIONS}/create`, body: { ChannelId: channel.id, PhoneNumber: '+966500200011' } },
    { method: 'GET', url: `${CONVERSATIONS}/${id}` },
    { method: 'GET', url: `${CONVERSATIONS}/channels/${channel.id}` },
    { method: 'GET', url: `${CONVERSATIONS}/channels/${channel.id}?Status=1&SkipCount=0&MaxResultCount=10` },
    { method: 'POST', url: `${CONVERSATIONS}/${id}/assign`, body: { AssignedUserId: user.id } },
    { method: 'POST', url: `${CONVERSATIONS}/${id}/tags`, body: { tagIds: [tag.id] } },
    { method: 'GET', url: `${CONVERSATIONS}/${id}/timeline?Sorting=CreationTime ASC` },
    { method: 'POST', url: `${CONVERSATIONS}/${id}/close` },
    { method: 'POST', url: `${CONVERSATIONS}/${id}/reopen` },
    { method: 'POST', url: `${CONVERSATIONS}/${id}/read` },
    { method: 'POST', url: `${CONVERSATIONS}/${id}/notes`, body: { text: 'nope' } },
    { method: 'POST', url: `${THREADS(note.eventId)}/messages`, body: { messageBody: 'nope' } },
    { method: 'GET', url: `${THREADS(note.eventId)}/messages` },
    { method: 'PUT', url: `${THREADS(note.eventId)}/resolve` },
    { method: 'PUT', url: `${THREADS(note.eventId)}/unresolve` },
  ];
});
