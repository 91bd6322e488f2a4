import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { authBattery } from '../../../test/helpers/auth-cases.js';
import { build, json } from '../../../test/helpers/build.js';
import { assertError } from '../../../test/helpers/assert.js';

const h = await build();
const USERS = '/v1/workspaces/users';
const MISSING = '01890000-0000-7000-8000-000000000000';
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const USER_KEYS = ['creationTime', 'email', 'id', 'isAiAgent', 'logoUrl', 'name', 'phoneNumber', 'role', 'userId', 'workspaceId'];

type User = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const adminUsers = (workspaceId: string) => `/admin/v1/workspaces/${workspaceId}/users`;

async function addUser(workspaceId: string, body: Record<string, unknown>): Promise<User> {
  const res = await h.admin('POST', adminUsers(workspaceId), body);
  assert.equal(res.statusCode, 200, res.body);
  return json(res);
}

async function listUsers(ws: { api: (method: 'GET', url: string) => Promise<LightMyRequestResponse> }): Promise<User[]> {
  const res = await ws.api('GET', USERS);
  assert.equal(res.statusCode, 200, res.body);
  return json(res);
}


test('Get Workspace Users: a bare array of people and AI agents with the fields of spec §3.24', async () => {
  const ws = await h.workspace();
  assert.deepEqual(await listUsers(ws), [], 'a new workspace has nobody');
  const now = h.clock.now().toISOString();
  const owner = await addUser(ws.id, {
    name: 'Sara Ahmed',
    email: 'Sara.Ahmed@Example.com',
    role: 1,
    phoneNumber: '0500888777',
    logoUrl: 'https://cdn.example/sara.png',
  });
  h.clock.advance(1000);
  const member = await addUser(ws.id, { name: 'Omar' });
  h.clock.advance(1000);
  const agent = await addUser(ws.id, { name: 'Nour (AI)', isAiAgent: true });

  const res = await ws.api('GET', USERS);
  assert.equal(res.statusCode, 200, res.body);
  assert.match(String(res.headers['content-type']), /^application\/json/);
  const users = json(res);
  assert.ok(Array.isArray(users), 'a bare array, not {items}');
  assert.deepEqual(users, [owner, member, agent], 'oldest first, exactly as the admin API answered');

  for (const user of users as User[]) {
    assert.deepEqual(Object.keys(user).sort(), USER_KEYS);
    assert.match(user.id, UUID_V7);
    assert.equal(user.userId, user.id, 'decisions.md: userId equals id, so clients keyed by either one agree');
    assert.equal(user.workspaceId, ws.id);
    assert.ok(Number.isInteger(user.role));
    assert.equal(typeof user.isAiAgent, 'boolean');
    assert.match(user.creationTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  }
  assert.deepEqual(
    { ...owner, id: 'id', userId: 'userId' },
    {
      id: 'id',
      workspaceId: ws.id,
      userId: 'userId',
      email: 'sara.ahmed@example.com',
      name: 'Sara Ahmed',
      logoUrl: 'https://cdn.example/sara.png',
      role: 1,
      creationTime: now,
      isAiAgent: false,
      phoneNumber: '+966500888777',
    },
  );
  assert.deepEqual([member.role, member.email, member.phoneNumber, member.logoUrl, member.isAiAgent], [2, null, null, null, false], 'role defaults to Member');
  assert.deepEqual([agent.isAiAgent, agent.email, agent.phoneNumber, agent.role, agent.name], [true, null, null, 2, 'Nour (AI)']);
  assert.equal(new Set(users.map((u: User) => u.userId)).size, 3);
});

test('admin: role is 1, 2, "Owner" or "Member" in any casing; anything else → 400 naming role', async () => {
  const ws = await h.workspace();
  const cases = [[1, 1], [2, 2], ['Owner', 1], ['member', 2], ['OWNER', 1], ['Member', 2]] as const;
  for (const [role, expected] of cases) {
    assert.equal((await addUser(ws.id, { name: `role ${role}`, role })).role, expected, String(role));
  }
  assert.equal((await addUser(ws.id, { Name: 'any casing', ROLE: 'owner', IsAiAgent: false })).role, 1);
  for (const role of [0, 3, 'Admin', true, null, 1.5]) {
    assertError(await h.admin('POST', adminUsers(ws.id), { name: 'bad role', role }), 400, 'Wasl:ValidationFailed', ['role']);
  }
  assert.deepEqual((await listUsers(ws)).map((u) => u.role), [1, 2, 1, 2, 1, 2, 1], 'the bad ones were not added');
});

test('admin: phone numbers are read in the workspace region and stored in E.164; bad ones → 400', async () => {
  const ws = await h.workspace();
  const phoneOf = async (phoneNumber: string) => (await addUser(ws.id, { name: phoneNumber, phoneNumber })).phoneNumber;
  assert.equal(await phoneOf('0500888777'), '+966500888777');
  assert.equal(await phoneOf('+966 50 088 8777'), '+966500888777');
  assert.equal(await phoneOf('966500888777'), '+966500888777');
  assert.equal(await phoneOf('00966-50-088-8777'), '+966500888777');
  assert.equal(await phoneOf('+447400123456'), '+447400123456');

  const ae = json(await h.admin('POST', '/admin/v1/workspaces', { name: 'Dubai', defaultRegion: 'AE' }));
  assert.equal((await addUser(ae.id, { name: 'Dubai user', phoneNumber: '050 123 4567' })).phoneNumber, '+971501234567');

  for (const phoneNumber of ['not-a-phone', '123', '+966123', '05008887771234567']) {
    const res = await h.admin('POST', adminUsers(ws.id), { name: 'bad phone', phoneNumber });
    assertError(res, 400, 'Wasl:ValidationFailed', ['phoneNumber']);
  }
  assertError(await h.admin('POST', adminUsers(ws.id), { name: 'bad phone', phoneNumber: 500888777 }), 400, 'Wasl:ValidationFailed', ['phoneNumber']);
  assert.equal((await listUsers(ws)).length, 5, 'the bad ones were not added');
});

test('admin: an email is unique in a workspace, case-insensitively (409); other workspaces may reuse it', async () => {
  const ws = await h.workspace();
  const first = await addUser(ws.id, { name: 'Sara', email: 'sara@example.com' });
  for (const email of ['sara@example.com', 'SARA@Example.COM']) {
    const dup = await h.admin('POST', adminUsers(ws.id), { name: 'Sara again', email });
    assertError(dup, 409, 'Wasl:User:DuplicateEmail');
    assert.match(json(dup).error.message, /sara@example\.com/);
  }
  assert.deepEqual(await listUsers(ws), [first], 'nothing was added');
  const other = await h.workspace();
  assert.equal((await addUser(other.id, { name: 'Sara elsewhere', email: 'Sara@Example.com' })).email, 'sara@example.com');
  assert.equal((await addUser(ws.id, { name: 'No email' })).email, null);
  assert.equal((await addUser(ws.id, { name: 'No email either' })).email, null, 'people without email do not conflict');
});

test('admin: bad input is a 400 naming the field, and adds nobody', async () => {
  const ws = await h.workspace();
  const cases: [unknown, string][] = [
    [{}, 'name'],
    [{ name: '' }, 'name'],
    [{ name: '   ' }, 'name'],
    [{ name: 42 }, 'name'],
    [{ name: 'x'.repeat(201) }, 'name'],
    [{ name: 'ok', email: 'not-an-email' }, 'email'],
    [{ name: 'ok', isAiAgent: 'yes' }, 'isAiAgent'],
    [{ name: 'ok', logoUrl: 'javascript:alert(1)' }, 'logoUrl'],
    [{ name: 'ok', logoUrl: 'not a url' }, 'logoUrl'],
    [{ name: 'agent', isAiAgent: true, email: 'bot@example.com' }, 'email'],
    [{ name: 'agent', isAiAgent: true, phoneNumber: '+966500888777' }, 'phoneNumber'],
    [{ name: 'a', Name: 'b' }, 'name'],
  ];
  for (const [body, member] of cases) {
    assertError(await h.admin('POST', adminUsers(ws.id), body), 400, 'Wasl:ValidationFailed', [member]);
  }
  assert.deepEqual(await listUsers(ws), []);
  assert.equal((await addUser(ws.id, { name: '  Trimmed  ' })).name, 'Trimmed');
});

test("Get Workspace Users: a workspace sees only its own users, never another's", async () => {
  const a = await h.workspace();
  const b = await h.workspace();
  const sara = await addUser(a.id, { name: 'Sara', email: 'sara@a.example', role: 'Owner' });
  const bot = await addUser(a.id, { name: 'Bot', isAiAgent: true });
  const omar = await addUser(b.id, { name: 'Omar', email: 'omar@b.example' });
  assert.deepEqual(await listUsers(a), [sara, bot]);
  assert.deepEqual(await listUsers(b), [omar]);
  assert.deepEqual(await listUsers(await h.workspace()), []);
});

test('admin: adding to an unknown workspace → 404; a malformed id → 400', async () => {
  const res = await h.admin('POST', adminUsers(MISSING), { name: 'Nobody' });
  assertError(res, 404, 'Wasl:Workspace:NotFound');
  assert.match(json(res).error.message, new RegExp(MISSING));
  assertError(await h.admin('POST', adminUsers('not-a-uuid'), { name: 'Nobody' }), 400, 'Wasl:ValidationFailed', ['workspaceId']);
});

test('admin users route refuses a missing or wrong admin token, and a Hatif token; adds nobody', async () => {
  const ws = await h.workspace();
  const headers: Record<string, Record<string, string>> = {
    'no token': {},
    'wrong token': { authorization: 'Bearer not-the-admin-token' },
    'Hatif token': { authorization: `Bearer ${ws.token}` },
  };
  for (const [name, header] of Object.entries(headers)) {
    const res = await h.app.inject({ method: 'POST', url: adminUsers(ws.id), headers: header, payload: { name: 'intruder', role: 1 } });
    assertError(res, 401, 'Wasl:Unauthorized');
    assert.match(String(res.headers['www-authenticate']), /^Bearer/, name);
  }
  assert.deepEqual(await listUsers(ws), []);
});

authBattery(h, async (ws) => {
  await addUser(ws.id, { name: 'Someone', email: 'someone@example.com' });
  return [{ method: 'GET', url: USERS }];
});
