import assert from 'node:assert/strict';
import { test } from 'node:test';
import { authBattery } from '../../../test/helpers/auth-cases.js';
import { build, json } from '../../../test/helpers/build.js';

const h = await build();
const TAGS = '/v1/tags/service-account';
const MISSING = '01890000-0000-7000-8000-000000000000';

test('create → 200 TagDto in camelCase; list, update partially, delete → 204', async () => {
  const ws = await h.workspace();
  const created = await ws.api('POST', TAGS, { Name: 'VIP', Icon: 'star', Description: 'VIP customers', IsPinned: true });
  assert.equal(created.statusCode, 200, created.body);
  const tag = json(created);
  assert.deepEqual(Object.keys(tag).sort(), ['creationTime', 'description', 'icon', 'id', 'isPinned', 'name']);
  assert.match(tag.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.match(tag.creationTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.equal(tag.name, 'VIP');
  assert.equal(tag.isPinned, true);

  const updated = json(await ws.api('PUT', `${TAGS}/${tag.id}`, { icon: '👑', IsPinned: null }));
  assert.equal(updated.icon, '👑');
  assert.equal(updated.name, 'VIP', 'absent fields are kept');
  assert.equal(updated.isPinned, true, 'null means unchanged');
  assert.equal(updated.description, 'VIP customers');
  assert.equal(json(await ws.api('PUT', `${TAGS}/${tag.id}`, { description: '' })).description, null, '"" clears');

  const list = json(await ws.api('GET', TAGS));
  assert.deepEqual(list.items.map((t: { id: string }) => t.id), [tag.id]);
  assert.equal(list.totalCount, 1);

  const deleted = await ws.api('DELETE', `${TAGS}/${tag.id}`);
  assert.equal(deleted.statusCode, 204);
  assert.equal(deleted.body, '');
  assert.equal(json(await ws.api('GET', TAGS)).totalCount, 0);
  assert.equal((await ws.api('DELETE', `${TAGS}/${tag.id}`)).statusCode, 404);
});

test('request names are case-insensitive at any spelling', async () => {
  const ws = await h.workspace();
  const a = json(await ws.api('POST', TAGS, { Name: 'Pascal', IsPinned: true }));
  const b = json(await ws.api('POST', TAGS, { name: 'camel', isPinned: true }));
  const c = json(await ws.api('POST', TAGS, { NAME: 'UPPER', ISPINNED: true }));
  assert.deepEqual([a.name, b.name, c.name], ['Pascal', 'camel', 'UPPER']);
  assert.deepEqual([a.isPinned, b.isPinned, c.isPinned], [true, true, true]);

  const twice = await ws.api('POST', TAGS, { Name: 'x', name: 'y' });
  assert.equal(twice.statusCode, 400);
  assert.deepEqual(json(twice).error.validationErrors[0].members, ['name']);
});

test('paging: defaults, SkipCount/skipcount, MaxResultCount cap, Sorting', async () => {
  const ws = await h.workspace();
  for (const name of ['d', 'b', 'a', 'c', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l']) {
    assert.equal((await ws.api('POST', TAGS, { name, isPinned: name === 'k' })).statusCode, 200);
  }
  const first = json(await ws.api('GET', TAGS));
  assert.equal(first.totalCount, 12);
  assert.equal(first.items.length, 10, 'default page size is 10');
  assert.equal(first.items[0].name, 'a', 'default order is Name ASC');

  const names = (res: { items: { name: string }[] }) => res.items.map((t) => t.name).join('');
  assert.equal(names(json(await ws.api('GET', `${TAGS}?SkipCount=2&MaxResultCount=3`))), 'cde');
  assert.equal(names(json(await ws.api('GET', `${TAGS}?skipcount=2&maxresultcount=3`))), 'cde');
  assert.equal(names(json(await ws.api('GET', `${TAGS}?sorting=name%20desc&MaxResultCount=3`))), 'lkj');
  assert.equal(names(json(await ws.api('GET', `${TAGS}?Sorting=IsPinned%20DESC,%20Name%20ASC&MaxResultCount=2`))), 'ka');
  assert.equal(json(await ws.api('GET', `${TAGS}?MaxResultCount=1000`)).items.length, 12);
  assert.deepEqual(json(await ws.api('GET', `${TAGS}?SkipCount=50`)), { totalCount: 12, items: [] }, 'past the end, the total still comes');

  const tooMany = await ws.api('GET', `${TAGS}?MaxResultCount=1001`);
  assert.equal(tooMany.statusCode, 400);
  assert.deepEqual(json(tooMany).error.validationErrors[0].members, ['MaxResultCount']);
  for (const bad of ['Color%20ASC', 'Name%20SIDEWAYS', 'Name;drop%20table%20tags']) {
    const res = await ws.api('GET', `${TAGS}?Sorting=${bad}`);
    assert.equal(res.statusCode, 400, bad);
    assert.deepEqual(json(res).error.validationErrors[0].members, ['Sorting']);
  }
  assert.equal((await ws.api('GET', `${TAGS}?SkipCount=-1`)).statusCode, 400);
  assert.equal((await ws.api('GET', `${TAGS}?SkipCount=abc`)).statusCode, 400);
});

test('bad input is a 4xx naming the field, and writes nothing', async () => {
  const ws = await h.workspace();
  const cases: [unknown, number, string | null][] = [
    ['{"name": "broken"', 400, null],
    [{}, 400, 'name'],
    [{ name: 42 }, 400, 'name'],
    [{ name: '   ' }, 400, 'name'],
    [{ name: 'ok', isPinned: 'yes' }, 400, 'isPinned'],
    [{ name: 'x'.repeat(101) }, 400, 'name'],
    [{ name: 'ok', icon: 7 }, 400, 'icon'],
  ];
  for (const [body, status, member] of cases) {
    const res = await ws.api('POST', TAGS, body);
    assert.equal(res.statusCode, status, `${JSON.stringify(body)} → ${res.body}`);
    const error = json(res).error;
    assert.equal(typeof error.message, 'string');
    if (member) assert.deepEqual(error.validationErrors.flatMap((v: { members: string[] }) => v.members), [member]);
  }
  const huge = await ws.api('POST', TAGS, JSON.stringify({ name: 'big', description: 'x'.repeat(1024 * 1024) }));
  assert.equal(huge.statusCode, 413);
  assert.equal(json(huge).error.code, 'Wasl:PayloadTooLarge');
  const text = await ws.api('POST', TAGS, 'name=x', { 'content-type': 'text/plain' });
  assert.equal(text.statusCode, 415);
  assert.equal(json(await ws.api('GET', TAGS)).totalCount, 0, 'nothing was written');
});

test('duplicate names conflict (409), case-insensitively, also on rename', async () => {
  const ws = await h.workspace();
  json(await ws.api('POST', TAGS, { name: 'Gold' }));
  const dup = await ws.api('POST', TAGS, { name: 'gold' });
  assert.equal(dup.statusCode, 409);
  assert.equal(json(dup).error.code, 'Wasl:Tag:DuplicateName');
  const silver = json(await ws.api('POST', TAGS, { name: 'Silver' }));
  assert.equal((await ws.api('PUT', `${TAGS}/${silver.id}`, { name: 'GOLD' })).statusCode, 409);
  const other = await h.workspace();
  assert.equal((await other.api('POST', TAGS, { name: 'Gold' })).statusCode, 200, 'names are per workspace');
});

test("another workspace's tag answers 404, byte-for-byte like a missing one", async () => {
  const owner = await h.workspace();
  const stranger = await h.workspace();
  const tag = json(await owner.api('POST', TAGS, { name: 'Private' }));
  const strip = (body: string) => body.replaceAll(tag.id, '<id>').replaceAll(MISSING, '<id>');
  for (const [method, body] of [['PUT', { name: 'stolen' }], ['DELETE', undefined]] as const) {
    const foreign = await stranger.api(method, `${TAGS}/${tag.id}`, body);
    const missing = await stranger.api(method, `${TAGS}/${MISSING}`, body);
    assert.equal(foreign.statusCode, 404);
    assert.equal(strip(foreign.body), strip(missing.body));
    assert.equal(json(foreign).error.code, 'Wasl:Tag:NotFound');
  }
  assert.equal(json(await stranger.api('GET', TAGS)).totalCount, 0);
  assert.equal(json(await owner.api('GET', TAGS)).items[0].name, 'Private', 'untouched');
  const badId = await owner.api('DELETE', `${TAGS}/not-a-uuid`);
  assert.equal(badId.statusCode, 400);
  assert.deepEqual(json(badId).error.validationErrors[0].members, ['id']);
});

authBattery(h, async (ws) => {
  const tag = json(await ws.api('POST', TAGS, { name: 'battery' }));
  return [
    { method: 'GET', url: TAGS },
    { method: 'POST', url: TAGS, body: { name: 'nope' } },
    { method: 'PUT', url: `${TAGS}/${tag.id}`, body: { name: 'nope' } },
    { method: 'DELETE', url: `${TAGS}/${tag.id}` },
  ];
});
