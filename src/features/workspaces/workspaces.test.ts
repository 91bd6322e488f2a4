import assert from 'node:assert/strict';
import { test } from 'node:test';
import { build, getToken, json } from '../../../test/helpers/build.js';
import { assertError } from '../../../test/helpers/assert.js';

const WORKSPACE_KEYS = ['creationTime', 'defaultRegion', 'eventsWebhookUrl', 'hasWebhookSecret', 'id', 'name'];
const h = await build();
const WORKSPACES = '/admin/v1/workspaces';
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

interface Workspace {
  id: string;
  name: string;
  defaultRegion: string;
  creationTime: string;
}

async function createWorkspace(body: Record<string, unknown>): Promise<Workspace> {
  const res = await h.admin('POST', WORKSPACES, body);
  assert.equal(res.statusCode, 200, res.body);
  return json(res);
}

async function listWorkspaces(query = ''): Promise<{ totalCount: number; items: Workspace[] }> {
  const res = await h.admin('GET', `${WORKSPACES}${query}`);
  assert.equal(res.statusCode, 200, res.body);
  return json(res);
}


/** The newest workspaces first: what a test just created (or failed to) is among them. */
const recent = async () => (await listWorkspaces('?MaxResultCount=1000&Sorting=CreationTime%20DESC')).items;

const unique = (label: string) => `${label}-${Math.random().toString(36).slice(2)}`;

/**
 * On PostgreSQL other test files add workspaces at the same time; a check that reads several
 * pages is retried when the total moved while it ran.
 */
async function stable(check: () => Promise<number[]>) {
  for (let attempt = 1; ; attempt++) {
    const totals = await check().catch((err: unknown) => {
      if (attempt >= 5) throw err;
      return null;
    });
    if (totals && new Set(totals).size === 1) return;
    if (attempt >= 5) assert.fail(`the workspace count kept moving: ${totals}`);
  }
}

test('create → {id, name, defaultRegion, creationTime, eventsWebhookUrl, hasWebhookSecret}; defaultRegion defaults to SA', async () => {
  const now = h.clock.now().toISOString();
  const res = await h.admin('POST', WORKSPACES, { name: '  Acme Trading  ' });
  assert.equal(res.statusCode, 200, res.body);
  const ws = json(res);
  assert.deepEqual(Object.keys(ws).sort(), WORKSPACE_KEYS);
  assert.match(ws.id, UUID_V7);
  assert.deepEqual({ ...ws, id: 'id' }, { id: 'id', name: 'Acme Trading', defaultRegion: 'SA', creationTime: now, eventsWebhookUrl: null, hasWebhookSecret: false });

  assert.equal((await createWorkspace({ name: 'Dubai', defaultRegion: 'AE' })).defaultRegion, 'AE');
  assert.equal((await createWorkspace({ name: 'Cairo', defaultRegion: 'eg' })).defaultRegion, 'EG', 'upper-cased');
  assert.equal((await createWorkspace({ Name: 'Casing', DEFAULTREGION: 'gb' })).defaultRegion, 'GB', 'names are case-insensitive');
  const listed = await recent();
  assert.deepEqual(listed.find((w) => w.id === ws.id), ws, 'the list shows it as created');
});

test('create: a bad name or region → 400 naming the field, and nothing is created', async () => {
  const marker = unique('never-created');
  const cases: [unknown, string][] = [
    [{}, 'name'],
    [{ name: '' }, 'name'],
    [{ name: '   ' }, 'name'],
    [{ name: 7 }, 'name'],
    [{ name: 'x'.repeat(201) }, 'name'],
    [{ name: marker, defaultRegion: 'XX' }, 'defaultRegion'],
    [{ name: marker, defaultRegion: 'SAU' }, 'defaultRegion'],
    [{ name: marker, defaultRegion: 'S1' }, 'defaultRegion'],
    [{ name: marker, defaultRegion: '' }, 'defaultRegion'],
    [{ name: marker, defaultRegion: 966 }, 'defaultRegion'],
    [{ name: marker, Name: 'twice' }, 'name'],
  ];
  for (const [body, member] of cases) {
    assertError(await h.admin('POST', WORKSPACES, body), 400, 'Wasl:ValidationFailed', [member]);
  }
  const unknownRegion = json(await h.admin('POST', WORKSPACES, { name: marker, defaultRegion: 'xx' }));
  assert.match(unknownRegion.error.validationErrors[0].message, /XX/);
  assert.ok(!(await recent()).some((w) => w.name === marker));
});

test('list: {totalCount, items}, oldest first, 10 a page, SkipCount/MaxResultCount in any casing', async () => {
  const saved = h.clock.now();
  // A thousand years ahead, so these sort after every workspace other test files (and earlier
  // runs on the same database) create.
  h.clock.set(new Date(Date.now() + 1000 * 365 * 24 * 3600 * 1000));
  const mine: Workspace[] = [];
  try {
    for (let i = 0; i < 11; i++) {
      mine.push(await createWorkspace({ name: unique(`page-${i}`) }));
      h.clock.advance(1);
    }
  } finally {
    h.clock.set(saved);
  }
  const ids = (page: { items: Workspace[] }) => page.items.map((w) => w.id);

  const first = await listWorkspaces();
  assert.deepEqual(Object.keys(first).sort(), ['items', 'totalCount']);
  assert.ok(first.totalCount >= 11);
  assert.equal(first.items.length, 10, 'default page size is 10');
  for (const w of first.items) assert.deepEqual(Object.keys(w).sort(), WORKSPACE_KEYS);

  await stable(async () => {
    const total = (await listWorkspaces('?MaxResultCount=1')).totalCount;
    const tail = await listWorkspaces(`?SkipCount=${total - 11}&MaxResultCount=1000`);
    assert.deepEqual(ids(tail).slice(-11), mine.map((w) => w.id), 'oldest first: the newest are last');
    const pages = [
      ['SkipCount', 'MaxResultCount'],
      ['skipCount', 'maxResultCount'],
      ['skipcount', 'maxresultcount'],
      ['SKIPCOUNT', 'MAXRESULTCOUNT'],
    ];
    const totals = [total, tail.totalCount];
    for (const [skip, max] of pages) {
      const page = await listWorkspaces(`?${skip}=${total - 3}&${max}=2`);
      totals.push(page.totalCount);
      assert.deepEqual(ids(page), mine.slice(8, 10).map((w) => w.id), `${skip}/${max}`);
    }
    const last = await listWorkspaces(`?SkipCount=${total - 1}&MaxResultCount=5`);
    assert.deepEqual(ids(last), [mine[10]!.id]);
    return [...totals, last.totalCount];
  });

  const beyond = await listWorkspaces('?SkipCount=100000000');
  assert.deepEqual(beyond.items, []);
  for (const query of ['MaxResultCount=1001', 'maxresultcount=1001', 'MaxResultCount=0']) {
    assertError(await h.admin('GET', `${WORKSPACES}?${query}`), 400, 'Wasl:ValidationFailed', ['MaxResultCount']);
  }
  assertError(await h.admin('GET', `${WORKSPACES}?SkipCount=-1`), 400, 'Wasl:ValidationFailed', ['SkipCount']);
});

test('list: Sorting on Name and CreationTime; anything else → 400 naming Sorting', async () => {
  const tag = unique('sort');
  const made: Workspace[] = [];
  for (const letter of ['b', 'a', 'c']) {
    made.push(await createWorkspace({ name: `aaa-${tag}-${letter}` }));
    h.clock.advance(1000);
  }
  // The store may hold more than a page of workspaces: look where these three must be.
  const mineIn = async (sorting: string, where: 'first' | 'last') => {
    const total = (await listWorkspaces('?MaxResultCount=1')).totalCount;
    const skip = where === 'first' ? 0 : Math.max(0, total - 1000);
    return (await listWorkspaces(`?SkipCount=${skip}&MaxResultCount=1000&Sorting=${encodeURIComponent(sorting)}`)).items
      .filter((w) => w.name.includes(tag))
      .map((w) => w.name.slice(-1))
      .join('');
  };
  assert.equal(await mineIn('Name ASC', 'first'), 'abc');
  assert.equal(await mineIn('name desc', 'last'), 'cba');
  assert.equal(await mineIn('CreationTime DESC', 'first'), 'cab');
  assert.equal(await mineIn('creationtime', 'last'), 'bac');
  for (const bad of ['DefaultRegion ASC', 'Name UP', 'Name;drop table workspaces']) {
    assertError(await h.admin('GET', `${WORKSPACES}?Sorting=${encodeURIComponent(bad)}`), 400, 'Wasl:ValidationFailed', ['Sorting']);
  }
});

test('a new workspace is usable at once: a service account gets a token and sees the empty workspace', async () => {
  const ws = await createWorkspace({ name: unique('usable') });
  const sa = json(await h.admin('POST', `${WORKSPACES}/${ws.id}/service-accounts`, { name: 'integration' }));
  const token = await getToken(h.app, sa.clientId, sa.clientSecret);
  const channels = await h.app.inject({ method: 'GET', url: '/v1/channels/service-account', headers: { authorization: `Bearer ${token}` } });
  assert.equal(channels.statusCode, 200, channels.body);
  assert.deepEqual(json(channels), { totalCount: 0, items: [] });
  const users = await h.app.inject({ method: 'GET', url: '/v1/workspaces/users', headers: { authorization: `Bearer ${token}` } });
  assert.deepEqual(json(users), []);
});

test('workspace routes refuse a missing or wrong admin token, and a Hatif token; nothing is created', async () => {
  const ws = await h.workspace();
  const marker = unique('intruder');
  const headers: Record<string, Record<string, string>> = {
    'no token': {},
    'empty Bearer': { authorization: 'Bearer ' },
    'wrong token': { authorization: 'Bearer test-admin-token-0123456788' },
    'Hatif token': { authorization: `Bearer ${ws.token}` },
  };
  for (const [name, header] of Object.entries(headers)) {
    for (const route of [{ method: 'POST', url: WORKSPACES, payload: { name: marker } }, { method: 'GET', url: WORKSPACES }] as const) {
      const res = await h.app.inject({ ...route, headers: header });
      assertError(res, 401, 'Wasl:Unauthorized');
      assert.match(String(res.headers['www-authenticate']), /^Bearer/, `${name}: ${route.method}`);
      assert.ok(!res.body.includes('"items"'), 'no data leaks');
    }
  }
  assert.ok(!(await recent()).some((w) => w.name === marker));
});

test('an unknown admin route answers 404 in the envelope, not an admin resource', async () => {
  assertError(await h.admin('GET', `${WORKSPACES}/01890000-0000-7000-8000-000000000000`), 404, 'Wasl:RouteNotFound');
  assertError(await h.admin('DELETE', WORKSPACES), 404, 'Wasl:RouteNotFound');
});
