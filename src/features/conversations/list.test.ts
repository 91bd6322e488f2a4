import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { assertError } from '../../../test/helpers/assert.js';
import { build, json } from '../../../test/helpers/build.js';
import { CONVERSATIONS, conversationSetup } from '../../../test/helpers/conversations.js';

// List Conversations (spec §3.26; the filter decisions are in README.md), checked against a model
// of the data that the test keeps itself as it builds it.

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

// The data spans days of the injected clock: one token lasts the whole file.
const h = await build({ TOKEN_TTL_SECONDS: String(30 * 24 * 3600) });
const LIST = `${CONVERSATIONS}/channels`;
const MISSING = '01890000-0000-7000-8000-000000000000';
const SEED = 8_0326;
const RUNS = 150;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Hatif reads a date without an offset as UTC+3. */
const RIYADH = 3 * HOUR;
const iso = (ms: number) => new Date(ms).toISOString();

type Params = Record<string, string | number | boolean | undefined>;

const query = (params: Params) => {
  const qs = new URLSearchParams(Object.entries(params).flatMap(([k, v]): [string, string][] => (v === undefined ? [] : [[k, String(v)]])));
  return qs.size ? `?${qs}` : '';
};

// ---------------------------------------------------------------------------------------------
// The model: what the test did, and so what each conversation must look like.

interface Ev {
  source: number;
  direction: number;
  status: string | null;
  body: string | null;
  at: number;
}
interface Conv {
  label: string;
  id: string;
  channelId: string;
  contactId: string;
  name: string;
  phone: string;
  status: 1 | 2;
  assigneeId: string | null;
  aiAgentId: string | null;
  tagIds: string[];
  creationTime: number;
  lastActivityAt: number;
  closedAt: number | null;
  unread: number;
  events: Ev[];
}

type Who = 'sara' | 'omar' | 'agent' | null;
/** label → contact name, phone, channel, assignee at creation (a phone seen before is the same contact). */
const PEOPLE: Record<string, [string, string, 'A' | 'B', Who]> = {
  c1: ['أحمد علي', '+966500100001', 'A', 'sara'],
  c2: ['احمد حسن', '+966500100002', 'A', null],
  c3: ['AHMED Khan', '+966511200003', 'A', 'agent'],
  c4: ['فاطمة الزهراء', '+966530300004', 'A', null],
  c5: ['فاطمه', '+966533400005', 'A', null],
  c6: ['Sara Smith', '+966544500006', 'A', 'omar'],
  c7: ['Zoë Adams', '+442071838750', 'A', 'omar'],
  c8: ['Omar 100%', '+966555600008', 'A', null],
  c9: ['ليلى', '+966566700009', 'A', 'agent'],
  c10: ['Net_Works', '+966577800010', 'A', null],
  c11: ['فاطمه', '+966533400005', 'A', 'sara'],
  c12: ['Yusuf Ali', '+966500100012', 'A', null],
  b1: ['أحمد علي', '+966500100001', 'B', 'sara'],
  b2: ['Layla', '+966588900013', 'B', null],
  b3: ['AHMED Khan', '+966511200003', 'B', 'agent'],
  b4: ['Closed B', '+966599000014', 'B', 'omar'],
};
type Step =
  | [string, 'create' | 'same' | 'in' | 'out' | 'close' | 'read']
  | [string, 'call', 'Answered' | 'Missed']
  | [string, 'assign', Who]
  | [string, 'tags', string[]];
/** Every step happens STEP after the one before ('same': a create at the very same instant). */
const SCRIPT: Step[] = [
  ...(['c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7'].map((c) => [c, 'create']) as Step[]),
  ['c8', 'same'],
  ...(['c9', 'c10', 'c12', 'b1', 'b2', 'b3', 'b4'].map((c) => [c, 'create']) as Step[]),
  ['c3', 'in'], ['c1', 'in'], ['c4', 'call', 'Answered'], ['c3', 'in'], ['c1', 'read'], ['c6', 'in'], ['c12', 'in'],
  ['b1', 'in'], ['c1', 'out'], ['c5', 'call', 'Missed'], ['c9', 'out'], ['c2', 'out'], ['c10', 'assign', 'sara'],
  ['c3', 'in'], ['c12', 'out'], ['c6', 'out'], ['c6', 'assign', 'sara'], ['b4', 'in'], ['c5', 'close'],
  ['c11', 'create'], ['c1', 'in'], ['c9', 'in'], ['c10', 'in'], ['c12', 'out'], ['b2', 'out'], ['c2', 'assign', 'omar'],
  ['c6', 'close'], ['c10', 'assign', null], ['c11', 'out'], ['b4', 'close'],
  ['c1', 'tags', ['VIP']], ['c3', 'tags', ['Sales']], ['c4', 'tags', ['Complaint']], ['c4', 'tags', ['VIP', 'Complaint']],
  ['c6', 'tags', ['Complaint']], ['c8', 'tags', ['Sales']], ['c9', 'tags', ['VIP']], ['b1', 'tags', ['VIP']], ['c11', 'tags', ['Complaint', 'Sales']],
];
/** 15 March 2026, 23:00 in UTC+3; steps of 97 minutes and 1.234 s spread activity over three days at odd clock times. */
const START = Date.parse('2026-03-15T20:00:00.000Z');
const STEP = 97 * MINUTE + 1_234;

const CUSTOMER = new Set([1, 2]);
/** The last customer event is inbound and is not an answered call. */
function isLost(c: Conv) {
  const last = c.events.findLast((e) => CUSTOMER.has(e.source));
  return !!last && last.direction === 1 && !(last.source === 1 && last.status === 'Answered');
}
/** How many events in a row, ending with the last, share its source and direction. */
function runOf(c: Conv) {
  const last = c.events.at(-1);
  let n = 0;
  for (let i = c.events.length - 1; i >= 0 && c.events[i]!.source === last!.source && c.events[i]!.direction === last!.direction; i--) n++;
  return n;
}

/** A workspace with two channels, three tags and the 16 conversations of the script. */
async function world() {
  h.clock.set(new Date(START));
  const { ws, channel, sara, omar, agent } = await conversationSetup(h);
  const api = ws.api;
  const second = json(await h.admin('POST', `/admin/v1/workspaces/${ws.id}/channels`, { name: 'Second Line', type: 3, phoneNumber: '+966500000002' }));
  const channels = { A: channel, B: second };
  const people = { sara, omar, agent };
  const tags: Record<string, Json> = {};
  for (const name of ['VIP', 'Complaint', 'Sales']) {
    const res = await api('POST', '/v1/tags/service-account', { Name: name, Icon: name === 'VIP' ? 'star' : null });
    assert.equal(res.statusCode, 200, res.body);
    tags[name] = json(res);
  }
  const convs: Conv[] = [];
  const byLabel = (label: string) => convs.find((c) => c.label === label)!;
  const c = h.app.container;
  const append = async (conv: Conv, e: Omit<Ev, 'at'>) => {
    await c.transaction((trx) =>
      c.conversationEvents.append(trx, { workspaceId: ws.id, conversationId: conv.id, sourceType: e.source, direction: e.direction, status: e.status, body: e.body, messageType: e.source === 2 ? 'Text' : null, durationSeconds: e.source === 1 ? 42 : null }),
    );
    const at = h.clock.now().getTime();
    conv.events.push({ ...e, at });
    conv.lastActivityAt = Math.max(conv.lastActivityAt, at);
    if (CUSTOMER.has(e.source) && e.direction === 1) conv.unread++;
  };
  const assigned = (conv: Conv, who: Who) => {
    const id = who ? people[who].id : null;
    const [user, ai] = who === 'agent' ? [null, id] : [id, null];
    if (conv.assigneeId === user && conv.aiAgentId === ai) return;
    Object.assign(conv, { assigneeId: user, aiAgentId: ai, lastActivityAt: h.clock.now().getTime() });
    conv.events.push({ source: 3, direction: 3, status: null, body: null, at: h.clock.now().getTime() });
  };

  let n = 0;
  for (const [label, action, arg] of SCRIPT) {
    if (action !== 'same') h.clock.set(new Date(START + ++n * STEP));
    const now = h.clock.now().getTime();
    if (action === 'create' || action === 'same') {
      const [name, phone, ch, who] = PEOPLE[label]!;
      const assign = who === 'agent' ? { AssignToAiAgentId: people.agent.id } : who ? { AssignToUserId: people[who].id } : {};
      const res = await api('POST', `${CONVERSATIONS}/create`, { ChannelId: channels[ch].id, PhoneNumber: phone, ContactName: name, ...assign });
      assert.equal(res.statusCode, 200, res.body);
      const { conversation, contactId } = json(res);
      const conv: Conv = { label, id: conversation.id, channelId: channels[ch].id, contactId, name, phone, status: 1, assigneeId: null, aiAgentId: null, tagIds: [], creationTime: now, lastActivityAt: now, closedAt: null, unread: 0, events: [] };
      convs.push(conv);
      assigned(conv, who);
      continue;
    }
    const conv = byLabel(label);
    const ok = (res: LightMyRequestResponse) => assert.equal(res.statusCode, 200, `${label} ${action}: ${res.body}`);
    if (action === 'in') await append(conv, { source: 2, direction: 1, status: 'Received', body: `${label}: customer says ${n}` });
    else if (action === 'out') await append(conv, { source: 2, direction: 2, status: 'Sent', body: `${label}: we answer ${n}` });
    else if (action === 'call') await append(conv, { source: 1, direction: 1, status: arg as string, body: null });
    else if (action === 'assign') {
      const who = arg as Who;
      await ok(await api('POST', `${CONVERSATIONS}/${conv.id}/assign`, who === 'agent' ? { AssignedAiAgentId: people.agent.id } : { AssignedUserId: who ? people[who].id : null }));
      assigned(conv, who);
    } else if (action === 'close') {
      await ok(await api('POST', `${CONVERSATIONS}/${conv.id}/close`));
      Object.assign(conv, { status: 2, closedAt: now, lastActivityAt: now });
      conv.events.push({ source: 5, direction: 3, status: 'Closed', body: null, at: now });
    } else if (action === 'read') {
      await ok(await api('POST', `${CONVERSATIONS}/${conv.id}/read`));
      conv.unread = 0;
    } else if (action === 'tags') {
      conv.tagIds = (arg as string[]).map((t) => tags[t]!.id);
      await ok(await api('POST', `${CONVERSATIONS}/${conv.id}/tags`, { tagIds: conv.tagIds }));
    }
  }
  const label = (id: string) => convs.find((x) => x.id === id)?.label ?? id;
  /** The labels a list answers, in its order. */
  const labels = async (params: Params, ch: 'A' | 'B' = 'A') => {
    const res = await api('GET', `${LIST}/${channels[ch].id}${query({ MaxResultCount: 100, ...params })}`);
    assert.equal(res.statusCode, 200, `${JSON.stringify(params)} → ${res.body}`);
    return (json(res).items as Json[]).map((i) => label(i.id));
  };
  return { ws, api, channels, people, tags, convs, byLabel, labels };
}
type World = Awaited<ReturnType<typeof world>>;

// ---------------------------------------------------------------------------------------------
// The in-memory evaluation of a list.

interface Filter {
  Status?: 1 | 2;
  assignees?: string[];
  GetUnAssigned?: boolean;
  contactIds?: string[];
  tagIds?: string[];
  Name?: string;
  PhoneNumber?: string;
  from?: number;
  to?: number;
  IsLost?: boolean;
}
const folded = (s: string) => s.normalize('NFKD').replace(/\p{Mn}/gu, '').replace(/ى/g, 'ي').replace(/ة/g, 'ه').toLowerCase().trim();
/** The digits a phone filter looks for: a whole Saudi national number as its international digits. */
const wantedDigits = (q: string) => {
  const digits = q.replace(/\D/g, '');
  return !q.trim().startsWith('+') && /^0?5\d{8}$/.test(digits) ? `966${digits.replace(/^0/, '')}` : digits;
};
function holds(c: Conv, f: Filter) {
  if (f.Status !== undefined && c.status !== f.Status) return false;
  if (f.assignees || f.GetUnAssigned) {
    const mine = !!f.assignees?.some((id) => id === c.assigneeId || id === c.aiAgentId);
    const nobody = !!f.GetUnAssigned && c.assigneeId === null && c.aiAgentId === null;
    if (!mine && !nobody) return false;
  }
  if (f.contactIds && !f.contactIds.includes(c.contactId)) return false;
  if (f.tagIds && !c.tagIds.some((t) => f.tagIds!.includes(t))) return false;
  if (f.Name !== undefined && !folded(c.name).includes(folded(f.Name))) return false;
  if (f.PhoneNumber !== undefined && !c.phone.replace(/\D/g, '').includes(wantedDigits(f.PhoneNumber))) return false;
  if (f.from !== undefined && c.lastActivityAt < f.from) return false;
  if (f.to !== undefined && c.lastActivityAt > f.to) return false;
  if (f.IsLost !== undefined && isLost(c) !== f.IsLost) return false;
  return true;
}
/** The order of a Sorting (one field; the id breaks ties in its direction). */
function ordered(convs: Conv[], sorting = 'LastActivityAt DESC') {
  const [field, dir = 'ASC'] = sorting.trim().split(/\s+/) as [string, string?];
  const key = field.toLowerCase() === 'creationtime' ? 'creationTime' : 'lastActivityAt';
  const sign = dir.toUpperCase() === 'DESC' ? -1 : 1;
  return [...convs].sort((a, b) => sign * (a[key] - b[key] || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)));
}
const expected = (w: World, channel: 'A' | 'B', f: Filter, sorting?: string) =>
  ordered(w.convs.filter((c) => c.channelId === w.channels[channel].id && holds(c, f)), sorting).map((c) => c.label);

// ---------------------------------------------------------------------------------------------

test('every filter alone, then combined, returns what the data set says (and what the model says, in its order)', async () => {
  const w = await world();
  const { sara, omar, agent } = w.people;
  const [vip, complaint, sales] = [w.tags.VIP!.id, w.tags.Complaint!.id, w.tags.Sales!.id];
  const c = w.byLabel;
  const check = async (params: Params, filter: Filter, want: string[], ch: 'A' | 'B' = 'A') => {
    const got = await w.labels(params, ch);
    assert.deepEqual([...got].sort(), [...want].sort(), `${JSON.stringify(params)}: the conversations`);
    assert.deepEqual(got, expected(w, ch, filter), `${JSON.stringify(params)}: the model and its order`);
  };
  const ALL_A = ['c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'c8', 'c9', 'c10', 'c11', 'c12'];
  await check({}, {}, ALL_A);
  await check({}, {}, ['b1', 'b2', 'b3', 'b4'], 'B');

  // Status, as the integer or the name.
  await check({ Status: 2 }, { Status: 2 }, ['c5', 'c6']);
  await check({ Status: 'Closed' }, { Status: 2 }, ['c5', 'c6']);
  await check({ Status: 1 }, { Status: 1 }, ALL_A.filter((l) => l !== 'c5' && l !== 'c6'));
  await check({ Status: 2 }, { Status: 2 }, ['b4'], 'B');

  // AssigneeUserIds: users and AI agents, comma-separated, spaces and capitals tolerated.
  await check({ AssigneeUserIds: sara.id }, { assignees: [sara.id] }, ['c1', 'c6', 'c11']);
  await check({ AssigneeUserIds: omar.id }, { assignees: [omar.id] }, ['c2', 'c7']);
  await check({ AssigneeUserIds: agent.id }, { assignees: [agent.id] }, ['c3', 'c9']);
  await check({ AssigneeUserIds: ` ${sara.id} , ${agent.id.toUpperCase()},` }, { assignees: [sara.id, agent.id] }, ['c1', 'c6', 'c11', 'c3', 'c9']);
  await check({ AssigneeUserIds: MISSING }, { assignees: [MISSING] }, []);
  await check({ AssigneeUserIds: agent.id }, { assignees: [agent.id] }, ['b3'], 'B');

  // GetUnAssigned alone, false, and with AssigneeUserIds (either matches).
  await check({ GetUnAssigned: true }, { GetUnAssigned: true }, ['c4', 'c5', 'c8', 'c10', 'c12']);
  await check({ GetUnAssigned: false }, {}, ALL_A);
  await check({ GetUnAssigned: true, AssigneeUserIds: omar.id }, { GetUnAssigned: true, assignees: [omar.id] }, ['c2', 'c7', 'c4', 'c5', 'c8', 'c10', 'c12']);

  // ContactIds: one contact has two conversations on A (closed c5, open c11) and c1's contact one on B too.
  await check({ ContactIds: c('c5').contactId }, { contactIds: [c('c5').contactId] }, ['c5', 'c11']);
  await check({ ContactIds: `${c('c1').contactId},${c('c7').contactId}` }, { contactIds: [c('c1').contactId, c('c7').contactId] }, ['c1', 'c7']);
  await check({ ContactIds: c('c1').contactId }, { contactIds: [c('c1').contactId] }, ['b1'], 'B');

  // TagIds: any of them.
  await check({ TagIds: vip }, { tagIds: [vip] }, ['c1', 'c4', 'c9']);
  await check({ TagIds: complaint }, { tagIds: [complaint] }, ['c4', 'c6', 'c11']);
  await check({ TagIds: `${vip}, ${sales}` }, { tagIds: [vip, sales] }, ['c1', 'c4', 'c9', 'c3', 'c8', 'c11']);

  // Name: partial, case-insensitive, Arabic letter forms and Latin accents folded, LIKE wildcards literal.
  await check({ Name: 'احمد' }, { Name: 'احمد' }, ['c1', 'c2']);
  await check({ Name: 'أحمد' }, { Name: 'أحمد' }, ['c1', 'c2']);
  await check({ Name: 'aHmEd K' }, { Name: 'aHmEd K' }, ['c3']);
  await check({ Name: 'فاطمة' }, { Name: 'فاطمة' }, ['c4', 'c5', 'c11']);
  await check({ Name: 'ليلي' }, { Name: 'ليلي' }, ['c9']);
  await check({ Name: 'zoe' }, { Name: 'zoe' }, ['c7']);
  await check({ Name: '%' }, { Name: '%' }, ['c8']);
  await check({ Name: 'a_s' }, { Name: 'a_s' }, []);
  await check({ Name: 't_w' }, { Name: 't_w' }, ['c10']);
  await check({ Name: 'احمد' }, { Name: 'احمد' }, ['b1'], 'B');

  // PhoneNumber: partial digits, with or without +, a whole national number in the SA region.
  await check({ PhoneNumber: '+966500100001' }, { PhoneNumber: '+966500100001' }, ['c1']);
  await check({ PhoneNumber: '966500100001' }, { PhoneNumber: '966500100001' }, ['c1']);
  await check({ PhoneNumber: '0500100001' }, { PhoneNumber: '0500100001' }, ['c1']);
  await check({ PhoneNumber: '050 010 0002' }, { PhoneNumber: '050 010 0002' }, ['c2']);
  await check({ PhoneNumber: '5001000' }, { PhoneNumber: '5001000' }, ['c1', 'c2', 'c12']);
  await check({ PhoneNumber: '+4420' }, { PhoneNumber: '+4420' }, ['c7']);
  await check({ PhoneNumber: '00012' }, { PhoneNumber: '00012' }, ['c12']);
  await check({ PhoneNumber: '0599000014' }, { PhoneNumber: '0599000014' }, [], 'A');
  await check({ PhoneNumber: '0599000014' }, { PhoneNumber: '0599000014' }, ['b4'], 'B');

  // FromDate / ToDate on lastActivityAt, inclusive.
  const at = (l: string) => c(l).lastActivityAt;
  await check({ FromDate: iso(at('c12')) }, { from: at('c12') }, ['c2', 'c6', 'c10', 'c11', 'c12']);
  await check({ FromDate: iso(at('c12') + 1) }, { from: at('c12') + 1 }, ['c2', 'c6', 'c10', 'c11']);
  await check({ ToDate: iso(at('c7')) }, { to: at('c7') }, ['c7', 'c8']);
  await check({ FromDate: iso(at('c4')), ToDate: iso(at('c3')) }, { from: at('c4'), to: at('c3') }, ['c3', 'c4']);

  // IsLost: the last customer event is inbound and unanswered (an answered call is not; no customer event is not).
  await check({ IsLost: true }, { IsLost: true }, ['c1', 'c3', 'c5', 'c9', 'c10']);
  await check({ IsLost: false }, { IsLost: false }, ['c2', 'c4', 'c6', 'c7', 'c8', 'c11', 'c12']);
  await check({ IsLost: true }, { IsLost: true }, ['b1', 'b4'], 'B');

  // Combined.
  await check({ Status: 1, IsLost: true, TagIds: vip }, { Status: 1, IsLost: true, tagIds: [vip] }, ['c1', 'c9']);
  await check({ AssigneeUserIds: sara.id, Status: 2 }, { assignees: [sara.id], Status: 2 }, ['c6']);
  await check({ Name: 'احمد', PhoneNumber: '0500100002' }, { Name: 'احمد', PhoneNumber: '0500100002' }, ['c2']);
  await check({ GetUnAssigned: true, IsLost: true }, { GetUnAssigned: true, IsLost: true }, ['c5', 'c10']);
  await check({ GetUnAssigned: true, IsLost: true, Status: 1 }, { GetUnAssigned: true, IsLost: true, Status: 1 }, ['c10']);
  await check({ AssigneeUserIds: agent.id, GetUnAssigned: true, TagIds: sales }, { assignees: [agent.id], GetUnAssigned: true, tagIds: [sales] }, ['c3', 'c8']);
  await check({ ContactIds: c('c5').contactId, Status: 1 }, { contactIds: [c('c5').contactId], Status: 1 }, ['c11']);
  await check({ FromDate: iso(at('c3')), IsLost: false, Name: 'a' }, { from: at('c3'), IsLost: false, Name: 'a' }, ['c6', 'c12']);
  await check({ TagIds: complaint, Name: 'فاطمه', AssigneeUserIds: sara.id }, { tagIds: [complaint], Name: 'فاطمه', assignees: [sara.id] }, ['c11']);
});

test(`property: ${RUNS} random filter combinations return exactly the model's conversations, in order, paged`, async () => {
  const w = await world();
  const { sara, omar, agent } = w.people;
  const tagIds = Object.values(w.tags).map((t) => t.id as string);
  const contactIds = [...new Set(w.convs.map((c) => c.contactId))];
  // Instants around the data's: each conversation's last activity, a millisecond either side, and UTC+3 day edges.
  const instants = w.convs.flatMap((c) => [c.lastActivityAt - 1, c.lastActivityAt, c.lastActivityAt + 1]);
  for (let d = 15; d <= 20; d++) instants.push(Date.parse(`2026-03-${d}T00:00:00+03:00`));
  const local = (ms: number, offset: number) => iso(ms + offset).slice(0, 23);
  /** A date argument in one of Hatif's forms, and the instant it means. */
  const dateArg = fc.tuple(fc.constantFrom(...instants), fc.constantFrom('Z', 'riyadh', '+02:00', 'day')).map(([ms, form]) => ({ ms, form }));
  const asText = (d: { ms: number; form: string }, edge: 'from' | 'to') => {
    if (d.form === 'Z') return { text: iso(d.ms), ms: d.ms };
    if (d.form === 'riyadh') return { text: local(d.ms, RIYADH), ms: d.ms };
    if (d.form === '+02:00') return { text: `${local(d.ms, 2 * HOUR)}+02:00`, ms: d.ms };
    const day = local(d.ms, RIYADH).slice(0, 10);
    const start = Date.parse(`${day}T00:00:00+03:00`);
    return { text: day, ms: edge === 'from' ? start : start + DAY - 1 };
  };
  const maybe = <T>(arb: fc.Arbitrary<T>) => fc.oneof({ arbitrary: fc.constant(undefined), weight: 3 }, { arbitrary: arb, weight: 1 });
  const ids = (pool: string[]) => fc.tuple(fc.subarray(pool, { minLength: 1 }), fc.constantFrom(',', ', ', ' ,'), fc.boolean()).map(([xs, sep, upper]) => ({ xs, text: xs.map((x) => (upper ? x.toUpperCase() : x)).join(sep) }));
  const draw = fc.record({
    channel: fc.constantFrom<'A' | 'B'>('A', 'A', 'B'),
    Status: maybe(fc.constantFrom<1 | 2>(1, 2)),
    assignees: maybe(ids([sara.id, omar.id, agent.id, MISSING])),
    GetUnAssigned: maybe(fc.boolean()),
    contacts: maybe(ids([...contactIds, MISSING])),
    tags: maybe(ids(tagIds)),
    Name: maybe(fc.constantFrom('احمد', 'أحمد', 'AHMED', 'ahm', 'فاطمة', 'فاطمه', 'ليلي', 'zoe', 'Zoë', '100%', '%', 't_w', 'a_s', 'a', 'ي', 'Smith', 'layla')),
    PhoneNumber: maybe(fc.constantFrom('0500100001', '+966500100001', '966511200003', '5001000', '00012', '+4420', '442071838750', '0599000014', '5', '66')),
    from: maybe(dateArg),
    to: maybe(dateArg),
    IsLost: maybe(fc.boolean()),
    Sorting: fc.constantFrom(undefined, 'LastActivityAt DESC', 'LastActivityAt ASC', 'CreationTime ASC', 'CreationTime DESC', 'creationtime', 'lastActivityAt desc'),
    page: maybe(fc.record({ skip: fc.nat(6), take: fc.integer({ min: 1, max: 5 }) })),
    lower: fc.boolean(),
  });
  const seen = { empty: 0, some: 0, refused: 0, filters: 0 };
  await fc.assert(
    fc.asyncProperty(draw, async (t) => {
      const from = t.from && asText(t.from, 'from');
      const to = t.to && asText(t.to, 'to');
      const params: Params = {
        Status: t.Status,
        AssigneeUserIds: t.assignees?.text,
        GetUnAssigned: t.GetUnAssigned,
        ContactIds: t.contacts?.text,
        TagIds: t.tags?.text,
        Name: t.Name,
        PhoneNumber: t.PhoneNumber,
        FromDate: from?.text,
        ToDate: to?.text,
        IsLost: t.IsLost,
        Sorting: t.Sorting,
      };
      const filter: Filter = {
        Status: t.Status,
        assignees: t.assignees?.xs,
        GetUnAssigned: t.GetUnAssigned,
        contactIds: t.contacts?.xs,
        tagIds: t.tags?.xs,
        Name: t.Name,
        PhoneNumber: t.PhoneNumber,
        from: from?.ms,
        to: to?.ms,
        IsLost: t.IsLost,
      };
      seen.filters += Object.values(params).filter((v) => v !== undefined).length;
      const named = (p: Params) => Object.fromEntries(Object.entries(p).map(([k, v]) => [t.lower ? k[0]!.toLowerCase() + k.slice(1) : k, v]));
      const url = (p: Params) => `${LIST}/${w.channels[t.channel].id}${query(named(p))}`;
      if (from && to && from.ms > to.ms) {
        seen.refused++;
        return assertError(await w.api('GET', url(params)), 400, 'Wasl:ValidationFailed', ['FromDate']);
      }
      const want = expected(w, t.channel, filter, t.Sorting);
      if (want.length) seen.some++;
      else seen.empty++;
      // Most runs read the whole list (its order); the others one page of it.
      const res = await w.api('GET', url({ ...params, SkipCount: t.page?.skip, MaxResultCount: t.page?.take ?? 100 }));
      assert.equal(res.statusCode, 200, res.body);
      const got = json(res);
      const label = (i: Json) => w.convs.find((c) => c.id === i.id)!.label;
      const skip = t.page?.skip ?? 0;
      assert.deepEqual(got.items.map(label), want.slice(skip, skip + (t.page?.take ?? 100)), `${JSON.stringify(params)} ${JSON.stringify(t.page ?? {})}`);
      assert.deepEqual([got.totalCount, got.totalCountExact], [want.length, true]);
    }),
    { seed: SEED, numRuns: RUNS },
  );
  assert.ok(seen.some >= 20 && seen.empty >= 10 && seen.refused >= 1 && seen.filters >= RUNS, JSON.stringify(seen));
});

test('FromDate/ToDate: no offset is UTC+3, Z and +02:00 are honoured, a date alone is a whole UTC+3 day, bounds are inclusive to the millisecond', async () => {
  const day17 = Date.parse('2026-03-16T21:00:00.000Z'); // 17 March 00:00 in UTC+3
  h.clock.set(new Date(day17 - DAY));
  const { ws, channel } = await conversationSetup(h);
  const api = ws.api;
  const moments: Record<string, number> = {
    d1: day17 - 1, // 16 March 23:59:59.999 UTC+3
    d2: day17, // 17 March 00:00
    d3: Date.parse('2026-03-17T09:00:00.000Z'), // 17 March 12:00 UTC+3
    d4: day17 + DAY - 1, // 17 March 23:59:59.999
    d5: day17 + DAY, // 18 March 00:00
  };
  const byId = new Map<string, string>();
  for (const [label, ms] of Object.entries(moments)) {
    h.clock.set(new Date(ms));
    const res = await api('POST', `${CONVERSATIONS}/create`, { ChannelId: channel.id, PhoneNumber: `+96650020000${label.slice(1)}` });
    assert.equal(res.statusCode, 200, res.body);
    byId.set(json(res).conversation.id, label);
    assert.equal(json(res).conversation.lastActivityAt, iso(ms));
  }
  h.clock.set(new Date(day17 + 2 * DAY));
  const list = (params: Params) => api('GET', `${LIST}/${channel.id}${query({ Sorting: 'LastActivityAt ASC', ...params })}`);
  const check = async (params: Params, want: string[]) => {
    const res = await list(params);
    assert.equal(res.statusCode, 200, `${JSON.stringify(params)}: ${res.body}`);
    assert.deepEqual(json(res).items.map((i: Json) => byId.get(i.id)), want, JSON.stringify(params));
  };

  // No offset: UTC+3, so 12:00 is 09:00Z.
  await check({ FromDate: '2026-03-17T12:00:00' }, ['d3', 'd4', 'd5']);
  await check({ FromDate: '2026-03-17T12:00:00.001' }, ['d4', 'd5']);
  await check({ ToDate: '2026-03-17T12:00:00' }, ['d1', 'd2', 'd3']);
  await check({ ToDate: '2026-03-17T11:59:59.999' }, ['d1', 'd2']);
  await check({ FromDate: '2026-03-17T12:00', ToDate: '2026-03-17T12:00:00.000' }, ['d3']);
  await check({ FromDate: '2026-03-17 12:00:00' }, ['d3', 'd4', 'd5']);
  await check({ fromdate: '2026-03-17T12:00:00', TODATE: '2026-03-17T23:59:59.999' }, ['d3', 'd4']);
  // Z and +02:00 are taken as given.
  await check({ FromDate: '2026-03-17T09:00:00Z' }, ['d3', 'd4', 'd5']);
  await check({ FromDate: '2026-03-17T09:00:00.001Z' }, ['d4', 'd5']);
  await check({ ToDate: '2026-03-17T12:00:00Z' }, ['d1', 'd2', 'd3']);
  await check({ FromDate: '2026-03-17T11:00:00+02:00' }, ['d3', 'd4', 'd5']);
  await check({ FromDate: '2026-03-17T11:00:00.001+0200' }, ['d4', 'd5']);
  await check({ ToDate: '2026-03-17T10:59:59.999+02:00' }, ['d1', 'd2']);
  await check({ FromDate: '2026-03-17T11:00:00+02:00', ToDate: '2026-03-17T09:00:00.000Z' }, ['d3']);
  // A `+` sent without URL-encoding arrives as a space; the offset is still read.
  const raw = await api('GET', `${LIST}/${channel.id}?Sorting=LastActivityAt%20ASC&FromDate=2026-03-17T11:00:00+02:00`);
  assert.equal(raw.statusCode, 200, raw.body);
  assert.deepEqual(json(raw).items.map((i: Json) => byId.get(i.id)), ['d3', 'd4', 'd5']);
  // A date alone: from the start, to the end, of that day in UTC+3.
  await check({ FromDate: '2026-03-17', ToDate: '2026-03-17' }, ['d2', 'd3', 'd4']);
  await check({ FromDate: '2026-03-17' }, ['d2', 'd3', 'd4', 'd5']);
  await check({ FromDate: '2026-03-18' }, ['d5']);
  await check({ ToDate: '2026-03-16' }, ['d1']);
  await check({ ToDate: '2026-03-17' }, ['d1', 'd2', 'd3', 'd4']);
  await check({ FromDate: '2026-03-19' }, []);

  // Not a date → 400 naming the parameter; from after to → 400 naming FromDate.
  for (const bad of ['yesterday', '2026-02-30', '2026-13-01', '2026-03-17T25:00:00', '17/03/2026', '2026-03-17T12:00:00+25:00', '']) {
    assertError(await list({ FromDate: bad }), 400, 'Wasl:ValidationFailed', ['FromDate']);
  }
  assertError(await list({ ToDate: '2026-03-17T12:00:00 PM' }), 400, 'Wasl:ValidationFailed', ['ToDate']);
  assertError(await list({ FromDate: '2026-03-17T12:00:00.001', ToDate: '2026-03-17T12:00:00' }), 400, 'Wasl:ValidationFailed', ['FromDate']);
  assertError(await list({ FromDate: '2026-03-18', ToDate: '2026-03-17' }), 400, 'Wasl:ValidationFailed', ['FromDate']);
  assertError(await list({ FromDate: '2026-03-17T10:00:00Z', ToDate: '2026-03-17T12:00:00' }), 400, 'Wasl:ValidationFailed', ['FromDate']);
});

test('paging and sorting: LastActivityAt DESC by default, CreationTime ASC, Skip/MaxResultCount in either case, ties by id, exact totals, past the end', async () => {
  const w = await world();
  const A = w.channels.A.id;
  const page = async (params: Params) => {
    const res = await w.api('GET', `${LIST}/${A}${query(params)}`);
    assert.equal(res.statusCode, 200, `${JSON.stringify(params)}: ${res.body}`);
    const body = json(res);
    assert.deepEqual(Object.keys(body).sort(), ['items', 'totalCount', 'totalCountExact']);
    return { total: body.totalCount as number, exact: body.totalCountExact as boolean, labels: (body.items as Json[]).map((i) => w.convs.find((c) => c.id === i.id)!.label) };
  };
  const byActivity = expected(w, 'A', {});
  const byCreation = expected(w, 'A', {}, 'CreationTime ASC');
  assert.notDeepEqual(byActivity, [...byCreation].reverse(), 'activity and creation orders differ in the data');

  assert.deepEqual(await page({}), { total: 12, exact: true, labels: byActivity.slice(0, 10) }, 'default: LastActivityAt DESC, 10 a page');
  assert.deepEqual(await page({ SkipCount: 10 }), { total: 12, exact: true, labels: byActivity.slice(10) });
  assert.deepEqual(await page({ skipCount: 3, maxResultCount: 4 }), { total: 12, exact: true, labels: byActivity.slice(3, 7) });
  assert.deepEqual(await page({ skipcount: 9, MAXRESULTCOUNT: 2, sorting: 'CreationTime ASC' }), { total: 12, exact: true, labels: byCreation.slice(9, 11) });
  assert.deepEqual((await page({ Sorting: 'CreationTime ASC', MaxResultCount: 100 })).labels, byCreation);
  assert.deepEqual((await page({ Sorting: 'creationtime asc', MaxResultCount: 100 })).labels, byCreation);
  assert.deepEqual((await page({ Sorting: 'CreationTime', MaxResultCount: 100 })).labels, byCreation, 'ASC when no direction');
  assert.deepEqual((await page({ Sorting: 'LastActivityAt ASC', MaxResultCount: 100 })).labels, [...byActivity].reverse());
  assert.deepEqual((await page({ Sorting: 'CreationTime DESC, LastActivityAt ASC', MaxResultCount: 100 })).labels, [...byCreation].reverse());

  // c7 and c8 were made in one instant and never touched again: the id breaks the tie, in the sort's direction.
  const [c7, c8] = [w.byLabel('c7'), w.byLabel('c8')];
  assert.deepEqual([c7.creationTime, c7.lastActivityAt], [c8.creationTime, c8.lastActivityAt]);
  assert.ok(c7.id < c8.id);
  const pair = (labels: string[]) => labels.filter((l) => l === 'c7' || l === 'c8');
  assert.deepEqual(pair(byCreation), ['c7', 'c8']);
  assert.deepEqual(pair((await page({ Sorting: 'LastActivityAt DESC', MaxResultCount: 100 })).labels), ['c8', 'c7']);
  assert.deepEqual(pair((await page({ Sorting: 'LastActivityAt ASC', MaxResultCount: 100 })).labels), ['c7', 'c8']);
  // Pages of 1 to 5, walked to the end, make the whole list, with nothing repeated or skipped, every time.
  for (const sorting of ['LastActivityAt DESC', 'CreationTime ASC', 'CreationTime DESC']) {
    for (const size of [1, 5]) {
      const walked: string[] = [];
      for (let skip = 0; skip < 12; skip += size) walked.push(...(await page({ Sorting: sorting, SkipCount: skip, MaxResultCount: size })).labels);
      assert.deepEqual(walked, expected(w, 'A', {}, sorting), `${sorting} by ${size}`);
    }
  }
  // Past the end: no items, the same exact total; also with a filter.
  assert.deepEqual(await page({ SkipCount: 12 }), { total: 12, exact: true, labels: [] });
  assert.deepEqual(await page({ SkipCount: 5000, MaxResultCount: 1000 }), { total: 12, exact: true, labels: [] });
  assert.deepEqual(await page({ SkipCount: 5, IsLost: true }), { total: 5, exact: true, labels: [] });

  const bad = (params: Params) => w.api('GET', `${LIST}/${A}${query(params)}`);
  for (const Sorting of ['Name ASC', 'LastActivityAt sideways', 'LastActivityAt DESC extra', 'Id DESC', 'LastActivityAt DESC, Name', 'last_activity_at DESC']) {
    assertError(await bad({ Sorting }), 400, 'Wasl:ValidationFailed', ['Sorting']);
  }
  for (const [params, member] of [
    [{ MaxResultCount: 0 }, 'MaxResultCount'],
    [{ MaxResultCount: 1001 }, 'MaxResultCount'],
    [{ SkipCount: -1 }, 'SkipCount'],
    [{ maxResultCount: 'ten' }, 'MaxResultCount'],
  ] as const) {
    assertError(await bad(params), 400, 'Wasl:ValidationFailed', [member]);
  }
});

test("each item: integer enums, tag objects, LastEvent*, lastEventsCount, unreadCount (reset by …/read), isLost, the body's preview", async () => {
  const w = await world();
  const person = (id: string | null) => (id ? Object.values(w.people).find((p) => p.id === id)! : null);
  const tagOf = (id: string) => {
    const t = Object.values(w.tags).find((x) => x.id === id)!;
    return { id: t.id, name: t.name, icon: t.icon, isPinned: t.isPinned, creationTime: t.creationTime };
  };
  const channelOf = (id: string) => {
    const ch = id === w.channels.A.id ? w.channels.A : w.channels.B;
    return { id: ch.id, name: ch.name, type: ch.type, icon: ch.icon, phoneNumber: ch.phoneNumber.number };
  };
  /** What the model says an item is. */
  const item = (c: Conv) => {
    const last = c.events.at(-1);
    return {
      id: c.id,
      sentiment: null,
      status: c.status,
      lastActivityAt: iso(c.lastActivityAt),
      contactId: c.contactId,
      contactName: PEOPLE[w.convs.find((x) => x.contactId === c.contactId)!.label]![0],
      contactType: 1,
      phoneNumber: c.phone,
      channelId: c.channelId,
      assigneeId: c.assigneeId,
      assignedAiAgentId: c.aiAgentId,
      isAiAssignee: c.aiAgentId !== null,
      assigneeName: person(c.aiAgentId ?? c.assigneeId)?.name ?? null,
      channel: channelOf(c.channelId),
      lastEventSourceType: last?.source ?? null,
      lastEventDirection: last?.direction ?? null,
      lastEventStatus: last?.status ?? null,
      lastEventPreviewBody: last?.body ?? null,
      lastEventOccurredAt: last ? iso(last.at) : null,
      lastEventsCount: last ? runOf(c) : 0,
      tags: c.tagIds.map(tagOf).sort((a, b) => (a.name < b.name ? -1 : 1)),
      unreadCount: c.unread,
      creationTime: iso(c.creationTime),
      closedAt: c.closedAt === null ? null : iso(c.closedAt),
      isLost: isLost(c),
    };
  };
  const listed = async (ch: 'A' | 'B') => json(await w.api('GET', `${LIST}/${w.channels[ch].id}?MaxResultCount=100`)).items as Json[];
  for (const ch of ['A', 'B'] as const) {
    const items = await listed(ch);
    assert.equal(items.length, w.convs.filter((c) => c.channelId === w.channels[ch].id).length);
    for (const got of items) {
      const conv = w.convs.find((c) => c.id === got.id)!;
      assert.deepEqual(got, item(conv), conv.label);
    }
  }
  assert.equal(w.channels.A.type, 2);
  assert.equal(w.channels.B.type, 3);

  // A few of the model's claims, spelled out.
  const get = async (label: string) => (await listed(label.startsWith('b') ? 'B' : 'A')).find((i) => i.id === w.byLabel(label).id)!;
  const c3 = await get('c3');
  assert.deepEqual([c3.lastEventSourceType, c3.lastEventDirection, c3.lastEventStatus, c3.lastEventsCount, c3.unreadCount, c3.isLost], [2, 1, 'Received', 3, 3, true], 'three unanswered messages');
  assert.deepEqual((await get('c3')).tags.map((t: Json) => t.name), ['Sales']);
  const c4 = await get('c4');
  assert.deepEqual([c4.lastEventSourceType, c4.lastEventDirection, c4.lastEventStatus, c4.lastEventPreviewBody, c4.unreadCount, c4.isLost], [1, 1, 'Answered', null, 1, false], 'an answered call is not lost');
  assert.deepEqual(c4.tags.map((t: Json) => t.name), ['Complaint', 'VIP'], 'tag objects by name');
  assert.deepEqual(Object.keys(c4.tags[0]).sort(), ['creationTime', 'icon', 'id', 'isPinned', 'name']);
  const c5 = await get('c5');
  assert.deepEqual([c5.status, c5.lastEventSourceType, c5.lastEventDirection, c5.lastEventStatus, c5.isLost], [2, 5, 3, 'Closed', true], 'closing does not answer a missed call');
  const c2 = await get('c2');
  assert.deepEqual([c2.lastEventSourceType, c2.lastEventDirection, c2.lastEventsCount, c2.assigneeName, c2.isLost], [3, 3, 1, 'Omar', false], 'an assignment is the last event');
  assert.deepEqual([(await get('c12')).lastEventsCount, (await get('c12')).lastEventPreviewBody], [2, w.byLabel('c12').events.at(-1)!.body]);
  const c8 = await get('c8');
  assert.deepEqual([c8.lastEventSourceType, c8.lastEventDirection, c8.lastEventStatus, c8.lastEventOccurredAt, c8.lastEventsCount, c8.isLost], [null, null, null, null, 0, false], 'no event yet');

  // unreadCount: c1 was read after its first message; one came since. Reading resets it; a new inbound message counts again.
  const c1 = w.byLabel('c1');
  assert.equal((await get('c1')).unreadCount, 1);
  const read = await w.api('POST', `${CONVERSATIONS}/${c1.id}/read`);
  assert.equal(read.statusCode, 200, read.body);
  assert.equal(json(read).unreadCount, 0);
  assert.equal((await get('c1')).unreadCount, 0);
  assert.equal((await get('c1')).isLost, true, 'reading is not answering');
  const c = h.app.container;
  const long = `${'ا'.repeat(150)} ${'b'.repeat(120)}`;
  h.clock.advance(MINUTE);
  await c.transaction((trx) => c.conversationEvents.append(trx, { workspaceId: w.ws.id, conversationId: c1.id, sourceType: 2, direction: 1, body: 'again', status: 'Received', messageType: 'Text' }));
  h.clock.advance(MINUTE);
  await c.transaction((trx) => c.conversationEvents.append(trx, { workspaceId: w.ws.id, conversationId: c1.id, sourceType: 2, direction: 1, body: long, status: 'Received', messageType: 'Text' }));
  const after = await get('c1');
  assert.deepEqual([after.unreadCount, after.lastEventsCount, after.lastEventPreviewBody, after.lastActivityAt, after.lastEventOccurredAt], [2, 3, long.slice(0, 200), h.clock.now().toISOString(), h.clock.now().toISOString()]);
  h.clock.advance(MINUTE);
  await c.transaction((trx) => c.conversationEvents.append(trx, { workspaceId: w.ws.id, conversationId: c1.id, sourceType: 1, direction: 2, status: 'Answered', durationSeconds: 30 }));
  const called = await get('c1');
  assert.deepEqual([called.lastEventSourceType, called.lastEventDirection, called.lastEventPreviewBody, called.lastEventsCount, called.unreadCount, called.isLost], [1, 2, null, 1, 2, false], 'an outbound call answers them');
  const note = await w.api('POST', `${CONVERSATIONS}/${c1.id}/notes`, { text: 'called back' });
  assert.equal(note.statusCode, 200, note.body);
  const noted = await get('c1');
  assert.deepEqual([noted.lastEventSourceType, noted.lastEventDirection, noted.lastEventPreviewBody, noted.unreadCount, noted.isLost], [4, 3, 'called back', 2, false], 'a note is the last event but changes neither unread nor lost');
});

test('bad ids in the comma lists → 400 naming the parameter; another workspace\'s channel → the 404 of a missing one; an empty channel → 0', async () => {
  h.clock.set(new Date(START));
  const { ws, channel, sara } = await conversationSetup(h);
  const other = await conversationSetup(h);
  const api = ws.api;
  const res = await api('POST', `${CONVERSATIONS}/create`, { ChannelId: channel.id, PhoneNumber: '+966500300001' });
  assert.equal(res.statusCode, 200, res.body);
  const list = (channelId: string, params: Params = {}) => api('GET', `${LIST}/${channelId}${query(params)}`);

  for (const name of ['AssigneeUserIds', 'ContactIds', 'TagIds']) {
    for (const value of ['nope', `${sara.id},nope`, `${sara.id} ${sara.id}`, `${sara.id};${MISSING}`, '{}']) {
      assertError(await list(channel.id, { [name]: value }), 400, 'Wasl:ValidationFailed', [name]);
    }
    assertError(await list(channel.id, { [name.toLowerCase()]: 'x' }), 400, 'Wasl:ValidationFailed', [name]);
  }
  assertError(await list(channel.id, { Status: 3 }), 400, 'Wasl:ValidationFailed', ['Status']);
  assertError(await list(channel.id, { IsLost: 'maybe' }), 400, 'Wasl:ValidationFailed', ['IsLost']);
  assertError(await list(channel.id, { GetUnAssigned: 'sometimes' }), 400, 'Wasl:ValidationFailed', ['GetUnAssigned']);
  assertError(await list(channel.id, { PhoneNumber: 'abc' }), 400, 'Wasl:ValidationFailed', ['PhoneNumber']);
  assertError(await list('nope'), 400, 'Wasl:ValidationFailed', ['channelId']);

  // Ids of the other workspace in the lists match nothing; its channel is a 404 like a missing one.
  const theirs = await other.ws.api('POST', `${CONVERSATIONS}/create`, { ChannelId: other.channel.id, PhoneNumber: '+966500300001' });
  assert.equal(theirs.statusCode, 200, theirs.body);
  assert.equal(json(await list(channel.id, { ContactIds: json(theirs).contactId, AssigneeUserIds: other.sara.id })).totalCount, 0);
  assert.equal(json(await list(channel.id)).totalCount, 1);
  const foreign = await list(other.channel.id);
  const missing = await list(MISSING);
  assertError(foreign, 404, 'Wasl:Channel:NotFound');
  assertError(missing, 404, 'Wasl:Channel:NotFound');
  assert.equal(foreign.body.replaceAll(other.channel.id, '{id}'), missing.body.replaceAll(MISSING, '{id}'), 'the same body but for the id');

  // A channel of this workspace with no conversations (and the channel with one, filtered to none).
  const empty = json(await h.admin('POST', `/admin/v1/workspaces/${ws.id}/channels`, { name: 'Quiet Line', type: 1, phoneNumber: '+966500000009' }));
  assert.deepEqual(json(await list(empty.id)), { totalCount: 0, totalCountExact: true, items: [] });
  assert.deepEqual(json(await list(empty.id, { SkipCount: 20, Name: 'x', IsLost: true })), { totalCount: 0, totalCountExact: true, items: [] });
  assert.deepEqual(json(await list(channel.id, { Status: 2 })), { totalCount: 0, totalCountExact: true, items: [] });
});
