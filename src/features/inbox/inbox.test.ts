import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { assertError } from '../../../test/helpers/assert.js';
import { authBattery } from '../../../test/helpers/auth-cases.js';
import { build, json, type Workspace } from '../../../test/helpers/build.js';
import { CONVERSATIONS, ok, openConversation, type Json } from '../../../test/helpers/conversations.js';
import { signIn, type Person } from '../../../test/helpers/people.js';

/** The inbox's list and counts across channels (README.md), through HTTP on a real store. */

const h = await build({ TOKEN_TTL_SECONDS: String(7 * 86_400) });
const worker = await h.worker({ pollMs: 60_000 });
const LIST = '/v1/inbox/conversations';
const COUNTS = '/v1/inbox/counts';
const MISSING = '01890000-0000-7000-8000-000000000000';

const add = async (url: string, body: Json): Promise<Json> => {
  const res = await h.admin('POST', url, body);
  assert.equal(res.statusCode, 200, res.body);
  return json(res);
};

/** The person's call answering 200 (GET: no Origin needed). */
async function get(who: Person | Workspace, url: string): Promise<Json> {
  const res = await who.api('GET', url);
  assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
  return json(res);
}
const ids = (page: Json) => page.items.map((c: Json) => c.id);

/** The customer writes on a sandbox channel (a new conversation, or a closed one reopened): unread, lost. */
async function inbound(channelId: string, from: string) {
  const res = await h.admin('POST', `/admin/v1/sandbox/channels/${channelId}/inbound`, { from, text: 'مرحبا' });
  assert.equal(res.statusCode, 202, res.body);
  await worker.drain();
}

/**
 * A workspace with two sandbox channels, a signed-in person (Sara), another person (Omar), a tag,
 * and five conversations, each a second later than the one before:
 * c1 (A, Sara's), c2 (B, unassigned, tagged), c3 (A, Omar's, a note mentioning Sara),
 * c4 (A, the customer wrote: unread and lost, unassigned), c5 (A, closed).
 */
async function inbox() {
  const ws = await h.workspace();
  const channelA = await add(`/admin/v1/workspaces/${ws.id}/channels`, { name: 'A', type: 2, phoneNumber: '+966500000011', whatsApp: { provider: 'sandbox' } });
  const channelB = await add(`/admin/v1/workspaces/${ws.id}/channels`, { name: 'B', type: 2, phoneNumber: '+966500000012', whatsApp: { provider: 'sandbox' } });
  const sara = await signIn(h, ws.id, { name: 'Sara' });
  const omar = await add(`/admin/v1/workspaces/${ws.id}/users`, { name: 'Omar', email: `omar-${ws.id}@example.com`, role: 2 });
  const tag = await ok(ws, 'POST', '/v1/tags/service-account', { name: 'VIP' });
  const step = () => h.clock.advance(1000);
  const { conversation: c1 } = await openConversation(ws, channelA.id, '+966500300001', { AssignToUserId: sara.userId });
  step();
  const { conversation: c2 } = await openConversation(ws, channelB.id, '+966500300002');
  await ok(ws, 'POST', `${CONVERSATIONS}/${c2.id}/tags`, { tagIds: [tag.id] });
  step();
  const { conversation: c3 } = await openConversation(ws, channelA.id, '+966500300003', { AssignToUserId: omar.id });
  await ok(ws, 'POST', `${CONVERSATIONS}/${c3.id}/notes`, { text: `please look @${sara.userId}` });
  step();
  await inbound(channelA.id, '966500300004');
  step();
  const { conversation: c5 } = await openConversation(ws, channelA.id, '+966500300005');
  await ok(ws, 'POST', `${CONVERSATIONS}/${c5.id}/close`);
  step();
  const all = await get(ws, `${LIST}?view=all`);
  const c4 = all.items.find((c: Json) => c.phoneNumber === '+966500300004');
  assert.ok(c4, JSON.stringify(all));
  return { ws, channelA, channelB, sara, omar, tag, c1, c2, c3, c4, c5 };
}

test('views × status, newest activity first, each item Get Conversation plus mentionsUnread (a person)', async () => {
  const s = await inbox();
  const { sara } = s;
  assert.deepEqual(ids(await get(sara, LIST)), [s.c4.id, s.c3.id, s.c2.id, s.c1.id], 'default: all, open');
  assert.deepEqual(ids(await get(sara, `${LIST}?view=mine`)), [s.c1.id]);
  assert.deepEqual(ids(await get(sara, `${LIST}?view=unassigned`)), [s.c4.id, s.c2.id]);
  assert.deepEqual(ids(await get(sara, `${LIST}?view=all&status=closed`)), [s.c5.id]);
  assert.deepEqual(ids(await get(sara, `${LIST}?view=unassigned&status=closed`)), [s.c5.id]);
  assert.deepEqual(ids(await get(sara, `${LIST}?view=mine&status=closed`)), []);
  const mentions = await get(sara, `${LIST}?view=mentions`);
  assert.deepEqual(ids(mentions), [s.c3.id]);
  assert.equal(mentions.items[0].mentionsUnread, 1);
  assert.equal(mentions.nextCursor, null);

  // The same object as GET /v2/conversations/service-account/{id}, plus mentionsUnread.
  const page = await get(sara, LIST);
  for (const item of page.items) {
    const { mentionsUnread, ...rest } = item;
    assert.deepEqual(rest, await ok(s.ws, 'GET', `${CONVERSATIONS}/${item.id}`));
    assert.equal(mentionsUnread, item.id === s.c3.id ? 1 : 0);
  }
  const c4 = page.items[0];
  assert.equal(c4.unreadCount, 1);
  assert.equal(c4.status, 'Open');
});

test('filters: channel, tag, assignee, dates, lost, unread only; the counts with them', async () => {
  const s = await inbox();
  const { sara } = s;
  assert.deepEqual(ids(await get(sara, `${LIST}?channelId=${s.channelB.id}`)), [s.c2.id]);
  assert.deepEqual(ids(await get(sara, `${LIST}?channelId=${s.channelA.id}`)), [s.c4.id, s.c3.id, s.c1.id]);
  assert.deepEqual(ids(await get(sara, `${LIST}?TagId=${s.tag.id}`)), [s.c2.id], 'any casing of the names');
  assert.deepEqual(ids(await get(sara, `${LIST}?assigneeId=${s.omar.id}`)), [s.c3.id]);
  assert.deepEqual(ids(await get(sara, `${LIST}?lost=true`)), [s.c4.id]);
  assert.deepEqual(ids(await get(sara, `${LIST}?lost=false`)), [s.c4.id, s.c3.id, s.c2.id, s.c1.id], 'lost=false filters nothing');
  assert.deepEqual(ids(await get(sara, `${LIST}?unreadOnly=true`)), [s.c4.id]);
  const at = (c: Json) => encodeURIComponent(c.lastActivityAt);
  assert.deepEqual(ids(await get(sara, `${LIST}?from=${at(s.c2)}&to=${at(s.c3)}`)), [s.c3.id, s.c2.id], 'inclusive bounds on lastActivityAt');
  assert.deepEqual(ids(await get(sara, `${LIST}?from=${at(s.c4)}`)), [s.c4.id]);
  assert.deepEqual(ids(await get(sara, `${LIST}?view=mine&channelId=${s.channelB.id}`)), [], 'filters and view together');

  assert.deepEqual(await get(sara, COUNTS), {
    mine: { open: 1, closed: 0 },
    unassigned: { open: 2, closed: 1 },
    all: { open: 4, closed: 1 },
    mentions: { open: 1, closed: 0 },
    unread: 1,
    capped: [],
  });
  assert.deepEqual(await get(sara, `${COUNTS}?channelId=${s.channelA.id}`), {
    mine: { open: 1, closed: 0 },
    unassigned: { open: 1, closed: 1 },
    all: { open: 3, closed: 1 },
    mentions: { open: 1, closed: 0 },
    unread: 1,
    capped: [],
  });
  const tagged = await get(sara, `${COUNTS}?tagId=${s.tag.id}`);
  assert.deepEqual([tagged.all, tagged.unassigned, tagged.unread], [{ open: 1, closed: 0 }, { open: 1, closed: 0 }, 0]);
  const lost = await get(sara, `${COUNTS}?lost=true&assigneeId=${s.omar.id}`);
  assert.deepEqual([lost.all, lost.mine, lost.unread], [{ open: 0, closed: 0 }, { open: 0, closed: 0 }, 0]);
  const dated = await get(sara, `${COUNTS}?from=${at(s.c3)}`);
  assert.deepEqual([dated.all, dated.unread], [{ open: 2, closed: 1 }, 1]);
});

test('a service account names its viewer with userId; without one, mine and mentions → 400 (list) or 0 (counts)', async () => {
  const s = await inbox();
  const { ws, sara } = s;
  for (const view of ['mine', 'mentions']) assertError(await ws.api('GET', `${LIST}?view=${view}`), 400, 'Wasl:ValidationFailed', ['userId']);
  assert.deepEqual(ids(await get(ws, `${LIST}?view=mine&userId=${sara.userId}`)), [s.c1.id]);
  const mentions = await get(ws, `${LIST}?view=mentions&UserId=${sara.userId.toUpperCase()}`);
  assert.deepEqual([ids(mentions), mentions.items[0].mentionsUnread], [[s.c3.id], 1]);
  assert.deepEqual(ids(await get(ws, `${LIST}?view=mine&userId=${s.omar.id}`)), [s.c3.id]);
  const all = await get(ws, LIST);
  assert.deepEqual(all.items.map((c: Json) => c.mentionsUnread), [0, 0, 0, 0], 'no viewer, no mentions counted');
  const counts = await get(ws, COUNTS);
  assert.deepEqual([counts.mine, counts.mentions, counts.all], [{ open: 0, closed: 0 }, { open: 0, closed: 0 }, { open: 4, closed: 1 }]);
  assert.deepEqual(await get(ws, `${COUNTS}?userId=${sara.userId}`), await get(sara, COUNTS), "with userId, exactly the person's counts");
  // A person is always themself.
  assertError(await sara.api('GET', `${LIST}?view=mine&userId=${s.omar.id}`), 400, 'Wasl:ValidationFailed', ['userId']);
  assert.deepEqual(ids(await get(sara, `${LIST}?view=mine&userId=${sara.userId}`)), [s.c1.id], 'their own id is accepted');
});

test("malformed or another workspace's ids → 400 naming the field; bad cursor, limit, view, dates → 400", async () => {
  const s = await inbox();
  const other = await inbox();
  const { ws } = s;
  const refusals: [string, string][] = [
    [`channelId=${other.channelA.id}`, 'channelId'],
    [`channelId=${MISSING}`, 'channelId'],
    [`channelId=nope`, 'channelId'],
    [`tagId=${other.tag.id}`, 'tagId'],
    [`assigneeId=${other.omar.id}`, 'assigneeId'],
    [`userId=${other.sara.userId}`, 'userId'],
    [`userId=${MISSING}&view=mine`, 'userId'],
    ['from=yesterday', 'from'],
    ['to=2026-02-30', 'to'],
    ['from=2026-03-02&to=2026-03-01', 'from'],
  ];
  for (const [query, member] of refusals) {
    for (const url of [LIST, COUNTS]) {
      const res = await ws.api('GET', `${url}?${query}`);
      assertError(res, 400, 'Wasl:ValidationFailed', [member]);
      assert.ok(!/Sara|Omar|VIP/.test(res.body), res.body);
    }
  }
  for (const [query, member] of [['cursor=abc', 'cursor'], ['limit=0', 'limit'], ['limit=101', 'limit'], ['view=everything', 'view'], ['status=archived', 'status'], ['unreadOnly=maybe', 'unreadOnly']]) {
    assertError(await ws.api('GET', `${LIST}?${query}`), 400, 'Wasl:ValidationFailed', [member!]);
  }
});

test('keyset paging: ties in lastActivityAt broken by id, every conversation once, nothing skipped by a change meanwhile', async () => {
  const ws = await h.workspace();
  const channel = await add(`/admin/v1/workspaces/${ws.id}/channels`, { name: 'A', type: 2, phoneNumber: '+966500000021' });
  const made: string[] = [];
  // Seven at one instant, then three a second apart.
  for (let i = 0; i < 7; i++) made.push((await openConversation(ws, channel.id, `+96650040000${i}`)).conversation.id);
  for (let i = 7; i < 10; i++) {
    h.clock.advance(1000);
    made.push((await openConversation(ws, channel.id, `+96650040000${i}`)).conversation.id);
  }
  const expected = [...made.slice(7).reverse(), ...made.slice(0, 7).sort().reverse()];
  const seen: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page: Json = await get(ws, `${LIST}?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    assert.ok(page.items.length <= 3);
    seen.push(...ids(page));
    cursor = page.nextCursor;
    pages++;
    if (pages === 2) {
      // A conversation already shown gets a new event: it moves up, and the walk goes on where it was.
      h.clock.advance(1000);
      await ok(ws, 'POST', `${CONVERSATIONS}/${made[9]}/notes`, { text: 'bump' });
    }
  } while (cursor && pages < 10);
  assert.equal(pages, 4);
  assert.deepEqual(seen, expected);
  const exact = await get(ws, `${LIST}?limit=10`);
  assert.equal(exact.nextCursor, null, 'a page that ends the list says so');
  assert.equal(exact.items.length, 10);
});

test('counts past the cap answer the cap and name themselves in capped (cap lowered to 3)', async () => {
  const s = await inbox();
  const options = h.app.container.inboxOptions;
  const before = options.countCap;
  options.countCap = 3;
  try {
    const counts = await get(s.sara, COUNTS);
    assert.deepEqual(counts.all, { open: 3, closed: 1 });
    assert.deepEqual(counts.unassigned, { open: 2, closed: 1 });
    assert.deepEqual(counts.capped, ['all.open']);
    await ok(s.ws, 'POST', `${CONVERSATIONS}/${s.c1.id}/assign`, {});
    const more = await get(s.sara, COUNTS);
    assert.deepEqual([more.unassigned.open, more.capped], [3, ['unassigned.open', 'all.open']]);
  } finally {
    options.countCap = before;
  }
  assert.deepEqual((await get(s.sara, COUNTS)).all, { open: 4, closed: 1 });
});

test('search: contacts by free text; messages by their folded text, newest first', async () => {
  const s = await inbox();
  await openConversation(s.ws, s.channelA.id, '+966500300009', { ContactName: 'Layla Haddad' });
  const found = await get(s.sara, '/v1/inbox/search?q=layla');
  assert.deepEqual(found.contacts, [{ id: found.contacts[0].id, name: 'Layla Haddad', phoneNumber: '+966500300009' }]);
  assert.deepEqual([found.messages, found.messagesTimedOut], [[], false]);
  assert.deepEqual((await get(s.ws, '/v1/inbox/search?q=nobody-here')).contacts, []);
  assertError(await s.ws.api('GET', '/v1/inbox/search'), 400, 'Wasl:ValidationFailed', ['q']);

  // Messages: inbound (tashkeel, hamza, ة), a reply, a note; LIKE's wildcards are plain text.
  const say = async (from: string, text: string) => {
    h.clock.advance(1000);
    const res = await h.admin('POST', `/admin/v1/sandbox/channels/${s.channelB.id}/inbound`, { from, text });
    assert.equal(res.statusCode, 202, res.body);
    await worker.drain();
  };
  await say('966500300021', 'أهلاً، أريد حجز موعد في المدرسة');
  await say('966500300022', 'Café booking: 100% sure, order_42');
  await say('966500300022', 'order 42 again');
  h.clock.advance(1000);
  const conversation = (await get(s.ws, `${LIST}?view=all`)).items.find((c: Json) => c.phoneNumber === '+966500300022');
  await ok(s.ws, 'POST', '/v1/whatsapp/service-account/sendText', { channelId: s.channelB.id, toNumber: '+966500300022', text: 'Your CAFE table is booked' });
  h.clock.advance(1000);
  await ok(s.ws, 'POST', `${CONVERSATIONS}/${conversation.id}/notes`, { text: 'Regular at the café, be kind' });
  const texts = async (q: string) => (await get(s.sara, `/v1/inbox/search?q=${encodeURIComponent(q)}`)).messages.map((m: Json) => m.body);

  assert.deepEqual(await texts('اهلا'), ['أهلاً، أريد حجز موعد في المدرسة'], 'hamza and tanween folded away');
  assert.deepEqual(await texts('المدرسه'), ['أهلاً، أريد حجز موعد في المدرسة'], 'ة and ه are one');
  assert.deepEqual(await texts('CAFE'), ['Regular at the café, be kind', 'Your CAFE table is booked', 'Café booking: 100% sure, order_42'], 'case and accents folded; newest first');
  assert.deepEqual(await texts('100%'), ['Café booking: 100% sure, order_42']);
  assert.deepEqual(await texts('r_4'), ['Café booking: 100% sure, order_42'], '_ is a character, not a wildcard');
  assert.deepEqual(await texts('%%%'), []);
  assert.deepEqual(await texts('ca'), [], 'under 3 folded characters: no message search');
  const [note, reply] = (await get(s.sara, '/v1/inbox/search?q=cafe&limit=2')).messages;
  assert.deepEqual(
    { ...note, eventId: undefined, creationTime: undefined },
    { eventId: undefined, conversationId: conversation.id, contactId: conversation.contactId, contactName: '+966500300022', channelId: s.channelB.id, sourceType: 4, direction: 3, body: 'Regular at the café, be kind', creationTime: undefined },
  );
  assert.deepEqual([reply.sourceType, reply.direction, reply.conversationId], [2, 2, conversation.id]);
  const timeline = await get(s.ws, `${CONVERSATIONS}/${conversation.id}/timeline?MaxResultCount=50`);
  assert.ok(timeline.items.some((e: Json) => e.eventId === note.eventId && e.creationTime === note.creationTime && e.body === note.body), 'the hit is the timeline event');
  assert.deepEqual(await texts('بالمدرسة اليوم'), []);
});

test(
  'a message search past its time answers messagesTimedOut and the contacts it found',
  { skip: h.store.engine === 'pglite' && 'PGlite has one connection: no second transaction can hold the timeline locked' },
  async () => {
    const s = await inbox();
    await openConversation(s.ws, s.channelA.id, '+966500300031', { ContactName: 'Mona Marhaba' });
    const options = h.app.container.inboxOptions;
    const before = options.messageSearchMs;
    options.messageSearchMs = 300;
    try {
      // The timeline held by another transaction: the search waits on its lock past its time.
      await h.store.db.transaction().execute(async (trx) => {
        await sql`LOCK TABLE conversation_events IN ACCESS EXCLUSIVE MODE`.execute(trx);
        const started = Date.now();
        const found = await get(s.sara, '/v1/inbox/search?q=marhaba');
        assert.deepEqual([found.messages, found.messagesTimedOut, found.contacts.map((c: Json) => c.name)], [[], true, ['Mona Marhaba']]);
        assert.ok(Date.now() - started < 5000, 'answered at its time, not when the lock went');
      });
    } finally {
      options.messageSearchMs = before;
    }
    const after = await get(s.sara, `/v1/inbox/search?q=${encodeURIComponent('مرحبا')}`);
    assert.deepEqual([after.messages.length, after.messagesTimedOut], [1, false]);
  },
);

test("another workspace sees none of it", async () => {
  const s = await inbox();
  const stranger = await h.workspace();
  const person = await signIn(h, stranger.id);
  assert.deepEqual((await get(stranger, LIST)).items, []);
  assert.deepEqual((await get(person, `${LIST}?view=all&status=closed`)).items, []);
  assert.deepEqual((await get(person, COUNTS)).all, { open: 0, closed: 0 });
  assert.deepEqual((await get(person, '/v1/inbox/search?q=966500300001')).contacts, []);
  assert.deepEqual((await get(person, `/v1/inbox/search?q=${encodeURIComponent('مرحبا')}`)).messages, []);
  assert.equal((await get(s.sara, `/v1/inbox/search?q=${encodeURIComponent('مرحبا')}`)).messages.length, 1);
  assert.equal((await get(s.ws, LIST)).items.length, 4);
});

authBattery(h, async (ws) => {
  const channel = await add(`/admin/v1/workspaces/${ws.id}/channels`, { name: 'Battery', type: 2, phoneNumber: '+966500000029' });
  await openConversation(ws, channel.id, '+966500400099');
  return [
    { method: 'GET', url: LIST },
    { method: 'GET', url: `${LIST}?view=unassigned&status=closed&limit=5` },
    { method: 'GET', url: `${COUNTS}?lost=true` },
    { method: 'GET', url: '/v1/inbox/search?q=9665' },
  ];
});
