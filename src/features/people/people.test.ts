import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { assertError } from '../../../test/helpers/assert.js';
import { build, json } from '../../../test/helpers/build.js';
import { browser, cookieFrom, linkFor, login, ORIGIN, PASSWORD, signIn, tokenOf } from '../../../test/helpers/people.js';
import { hashPassword } from './passwords.js';

/** Sign-in for people through HTTP: invitations, passwords, sign-ins, the cookie and its rules. */

const h = await build();
const anonymous = browser(h, null);
let address = 0;
/** Each throttling test signs in from an address of its own (the guard counts per address too). */
const from = () => `10.0.${Math.floor(++address / 250)}.${address % 250}`;
const loginFrom = (ip: string, email: string, password: string, headers: Record<string, string> = { origin: ORIGIN }) =>
  h.app.inject({ method: 'POST', url: '/v1/auth/login', remoteAddress: ip, headers, payload: { email, password } });

async function addUser(workspaceId: string, body: Record<string, unknown>) {
  const res = await h.admin('POST', `/admin/v1/workspaces/${workspaceId}/users`, body);
  assert.equal(res.statusCode, 200, res.body);
  return json(res);
}

test('an invitation link → a password → signed in: the cookie, me, and the link used once', async () => {
  const ws = await h.workspace();
  const user = await addUser(ws.id, { name: 'Sara', email: 'Sara.Invited@Example.com', role: 1 });
  const link = await linkFor(h, user.id);
  assert.match(link.url, /^http:\/\/wasl\.test\/inbox\/welcome#token=[A-Za-z0-9_-]{43}$/);
  assert.equal(link.email, 'sara.invited@example.com');
  assert.equal(link.purpose, 'invitation');
  assert.equal(new Date(link.expiresAt).getTime() - h.clock.now().getTime(), 72 * 3_600_000);

  const info = json(await anonymous('POST', '/v1/auth/link', { token: tokenOf(link.url) }));
  assert.deepEqual({ ...info, expiresAt: undefined }, { purpose: 'invitation', name: 'Sara', email: 'sara.invited@example.com', emailRequired: false, workspaceName: json(await h.admin('GET', '/admin/v1/workspaces?MaxResultCount=1000')).items.find((w: { id: string }) => w.id === ws.id).name, expiresAt: undefined });

  const res = await anonymous('POST', '/v1/auth/password', { token: tokenOf(link.url), password: PASSWORD });
  assert.equal(res.statusCode, 200, res.body);
  const setCookie = String(res.headers['set-cookie']);
  assert.match(setCookie, /^wasl_session=[A-Za-z0-9_-]{43}; Max-Age=2592000; Path=\/; HttpOnly; SameSite=Lax$/, 'no Secure on http');
  assert.equal(res.headers['cache-control'], 'no-store');
  const me = json(res);
  assert.equal(me.userId, user.id);
  assert.equal(me.workspaceId, ws.id);
  assert.equal(me.email, 'sara.invited@example.com');
  assert.equal(me.role, 1);
  assert.equal(me.language, null);

  const person = browser(h, cookieFrom(res)!);
  assert.deepEqual(json(await person('GET', '/v1/auth/me')), me, 'GET /v1/auth/me answers the same');
  assertError(await anonymous('POST', '/v1/auth/password', { token: tokenOf(link.url), password: PASSWORD }), 410, 'Wasl:Auth:LinkUsed');
  assertError(await anonymous('POST', '/v1/auth/link', { token: tokenOf(link.url) }), 410, 'Wasl:Auth:LinkUsed');
  assertError(await anonymous('POST', '/v1/auth/password', { token: 'x'.repeat(43), password: PASSWORD }), 400, 'Wasl:ValidationFailed', ['token']);

  // The cookie is stored hashed: the token appears nowhere in the store.
  const token = cookieFrom(res)!;
  const rows = await sql<{ j: string }>`SELECT to_jsonb(s)::text AS j FROM person_sessions s WHERE user_id = ${user.id}`.execute(h.store.db);
  assert.equal(rows.rows.length, 1);
  assert.ok(!rows.rows[0]!.j.includes(token));
});

test('links: a newer link replaces the older one, an expired one is 410, an AI agent or an unknown user cannot get one', async () => {
  const ws = await h.workspace();
  const user = await addUser(ws.id, { name: 'Omar', email: 'omar.links@example.com' });
  const first = await linkFor(h, user.id);
  const second = await linkFor(h, user.id, 'password-reset');
  assertError(await anonymous('POST', '/v1/auth/password', { token: tokenOf(first.url), password: PASSWORD }), 410, 'Wasl:Auth:LinkUsed');
  h.clock.advance(72 * 3_600_000);
  assertError(await anonymous('POST', '/v1/auth/password', { token: tokenOf(second.url), password: PASSWORD }), 410, 'Wasl:Auth:LinkExpired');
  const third = await linkFor(h, user.id);
  h.clock.advance(72 * 3_600_000 - 1000);
  assert.equal((await anonymous('POST', '/v1/auth/password', { token: tokenOf(third.url), password: PASSWORD })).statusCode, 200, 'valid until 72 h');

  const agent = await addUser(ws.id, { name: 'Bot', isAiAgent: true });
  assertError(await h.admin('POST', `/admin/v1/users/${agent.id}/invitation`), 422, 'Wasl:User:IsAiAgent');
  assertError(await h.admin('POST', '/admin/v1/users/01890000-0000-7000-8000-000000000000/invitation'), 404, 'Wasl:User:NotFound');
  assertError(await h.admin('POST', '/admin/v1/users/not-a-uuid/password-reset'), 400, 'Wasl:ValidationFailed', ['id']);
});

test('a weak password → 400 naming the rule; nothing is used up', async () => {
  const ws = await h.workspace();
  const user = await addUser(ws.id, { name: 'Nour', email: 'nour.weak@example.com' });
  const token = tokenOf((await linkFor(h, user.id)).url);
  const cases: [string, RegExp][] = [
    ['short', /at least 10 characters/],
    ['x'.repeat(257), /at most 256 characters/],
    ['aaaaaaaaaaaa', /one character repeated/],
    ['nour.weak@example.com', /not be your email/],
  ];
  for (const [password, rule] of cases) {
    const res = await anonymous('POST', '/v1/auth/password', { token, password });
    assertError(res, 400, 'Wasl:ValidationFailed', ['password']);
    assert.match(json(res).error.validationErrors[0].message, rule);
  }
  assert.equal((await anonymous('POST', '/v1/auth/password', { token, password: 'كلمة مرور عربية' })).statusCode, 200, 'an Arabic passphrase of 15 characters');
});

test('login, me, sessions (the current one marked), revoking one, logout and sign out everywhere', async () => {
  const ws = await h.workspace();
  const sara = await signIn(h, ws.id, { name: 'Sara' });
  const res = await login(h, sara, { 'user-agent': 'Firefox/140' });
  assert.equal(res.statusCode, 200, res.body);
  const second = browser(h, cookieFrom(res)!);
  assert.equal(json(res).userId, sara.userId);

  const list = json(await second('GET', '/v1/auth/sessions'));
  assert.equal(list.totalCount, 2);
  assert.deepEqual(list.items.map((s: { current: boolean }) => s.current), [true, false], 'newest first, this one marked');
  assert.equal(list.items[0].userAgent, 'Firefox/140');
  assert.equal(list.items[0].ip, '127.0.0.1');
  const firstId = list.items[1].id;

  // Another person's sign-in is not theirs to end: 404, as a missing one.
  const omar = await signIn(h, ws.id, { name: 'Omar' });
  assertError(await omar.api('DELETE', `/v1/auth/sessions/${firstId}`), 404, 'Wasl:Session:NotFound');
  assertError(await omar.api('DELETE', '/v1/auth/sessions/01890000-0000-7000-8000-000000000000'), 404, 'Wasl:Session:NotFound');
  assert.equal((await sara.api('GET', '/v1/auth/me')).statusCode, 200);

  assert.equal((await second('DELETE', `/v1/auth/sessions/${firstId}`)).statusCode, 204);
  assertError(await sara.api('GET', '/v1/auth/me'), 401, 'Wasl:Unauthorized');
  assert.equal(json(await second('GET', '/v1/auth/sessions')).totalCount, 1);

  const out = await second('POST', '/v1/auth/logout');
  assert.equal(out.statusCode, 204);
  assert.equal(cookieFrom(out), '', 'the cookie is cleared');
  assert.match(String(out.headers['set-cookie']), /Max-Age=0/);
  assertError(await second('GET', '/v1/auth/me'), 401, 'Wasl:Unauthorized');
  assert.equal((await second('POST', '/v1/auth/logout')).statusCode, 204, 'signing out again is harmless');
  assert.equal((await anonymous('POST', '/v1/auth/logout')).statusCode, 204, 'so is signing out without a cookie');

  // Everywhere: three sign-ins, all end.
  const a = browser(h, cookieFrom(await login(h, sara))!);
  const b = browser(h, cookieFrom(await login(h, sara))!);
  const everywhere = await a('POST', '/v1/auth/logout-everywhere');
  assert.equal(everywhere.statusCode, 204);
  assert.equal(cookieFrom(everywhere), '');
  for (const call of [a, b]) assertError(await call('GET', '/v1/auth/me'), 401, 'Wasl:Unauthorized');
  assert.equal((await omar.api('GET', '/v1/auth/me')).statusCode, 200, "another person's sign-in is untouched");
});

test('a wrong password and an unknown email get one 401 body, in about the same time', async () => {
  const ws = await h.workspace();
  const sara = await signIn(h, ws.id);
  const ip = from();
  const wrong = await loginFrom(ip, sara.email, 'not the password at all');
  const unknown = await loginFrom(ip, 'nobody-here@example.com', 'not the password at all');
  assertError(wrong, 401, 'Wasl:Auth:InvalidCredentials');
  assert.equal(wrong.body, unknown.body);
  assert.equal(wrong.headers['set-cookie'], undefined);
  assert.equal(unknown.statusCode, 401);
  // Both verify an argon2id hash; neither answers much faster than the other.
  const timed = async (email: string) => {
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const start = performance.now();
      await loginFrom(from(), email, 'not the password at all');
      times.push(performance.now() - start);
    }
    return times.sort((x, y) => x - y)[1]!;
  };
  const [known, stranger] = [await timed(sara.email), await timed('nobody-else@example.com')];
  assert.ok(stranger > known / 3 && known > stranger / 3, `median ${known.toFixed(1)} ms vs ${stranger.toFixed(1)} ms`);
  // A disabled person with the right password: the same answer again.
  assert.equal((await h.admin('POST', `/admin/v1/users/${sara.userId}/disable`)).statusCode, 204);
  assert.equal((await loginFrom(from(), sara.email, sara.password)).body, wrong.body);
  assert.equal((await h.admin('POST', `/admin/v1/users/${sara.userId}/enable`)).statusCode, 204);
  assert.equal((await loginFrom(from(), sara.email, sara.password)).statusCode, 200);
});

test('throttling: failures per email and address → 429 with Retry-After, even for the right password; time lets it through', async () => {
  const ws = await h.workspace();
  const sara = await signIn(h, ws.id);
  const ip = from();
  const limit = h.config.signInFailuresPerMinute;
  for (let i = 0; i < limit; i++) assert.equal((await loginFrom(ip, sara.email, `wrong password ${i}`)).statusCode, 401);
  const throttled = await loginFrom(ip, sara.email, sara.password);
  assertError(throttled, 429, 'Wasl:Auth:TooManyFailures');
  assert.ok(Number(throttled.headers['retry-after']) >= 1);
  assertError(await loginFrom(ip, sara.email.toUpperCase(), sara.password), 429, 'Wasl:Auth:TooManyFailures', );
  assert.equal((await loginFrom(from(), sara.email, sara.password)).statusCode, 200, 'another address is not held back');
  h.clock.advance(Number(throttled.headers['retry-after']) * 1000);
  assert.equal((await loginFrom(ip, sara.email, sara.password)).statusCode, 200);

  // One address spraying many emails is held back too (3× the per-pair limit).
  const sprayer = from();
  let status = 0;
  for (let i = 0; i < limit * 3 + 1 && status !== 429; i++) status = (await loginFrom(sprayer, `spray-${i}@example.com`, 'wrong password')).statusCode;
  assert.equal(status, 429);
});

test('bad input: malformed → 400, not JSON → 400, oversized → 413, a foreign Origin → 403', async () => {
  assertError(await anonymous('POST', '/v1/auth/login', { email: 'a@example.com' }), 400, 'Wasl:ValidationFailed', ['password']);
  assertError(await anonymous('POST', '/v1/auth/login', { email: 'a@example.com', password: 42 }), 400, 'Wasl:ValidationFailed', ['password']);
  const notJson = await h.app.inject({ method: 'POST', url: '/v1/auth/login', headers: { 'content-type': 'application/json', origin: ORIGIN }, payload: '{"email":' });
  assertError(notJson, 400, 'Wasl:MalformedJson');
  const huge = await h.app.inject({ method: 'POST', url: '/v1/auth/login', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ email: 'a@example.com', password: 'x'.repeat(2 * 1024 * 1024) }) });
  assertError(huge, 413, 'Wasl:PayloadTooLarge');

  const ws = await h.workspace();
  const sara = await signIn(h, ws.id);
  assertError(await login(h, sara, { origin: 'https://evil.example' }), 403, 'Wasl:Forbidden');
  assert.equal((await login(h, sara, { origin: null })).statusCode, 200, 'no Origin (curl): sign-in works; a browser always sends one');
  assertError(await sara.api('PATCH', '/v1/auth/me', { language: 'en' }, { origin: null }), 403, 'Wasl:Forbidden');
  assertError(await sara.api('POST', '/v1/auth/logout', undefined, { origin: 'http://wasl.test:8080' }), 403, 'Wasl:Forbidden');
  assert.equal((await sara.api('GET', '/v1/auth/me', undefined, { origin: null })).statusCode, 200, 'reads need no Origin');
});

test('language and digits per person: PATCH /v1/auth/me sets them, null resets, other values → 400', async () => {
  const ws = await h.workspace();
  const sara = await signIn(h, ws.id);
  const omar = await signIn(h, ws.id);
  const changed = json(await sara.api('PATCH', '/v1/auth/me', { language: 'ar', digits: 'arab' }));
  assert.equal(changed.language, 'ar');
  assert.equal(changed.digits, 'arab');
  assert.equal(json(await sara.api('PATCH', '/v1/auth/me', { Digits: 'latn' })).language, 'ar', 'fields left out stay; names fold');
  assert.equal(json(await sara.api('GET', '/v1/auth/me')).digits, 'latn');
  assert.equal(json(await omar.api('GET', '/v1/auth/me')).language, null, 'per person');
  assertError(await sara.api('PATCH', '/v1/auth/me', { language: 'fr' }), 400, 'Wasl:ValidationFailed', ['language']);
  assertError(await sara.api('PATCH', '/v1/auth/me', { digits: 'roman' }), 400, 'Wasl:ValidationFailed', ['digits']);
  assert.equal(json(await sara.api('PATCH', '/v1/auth/me', { language: null })).language, null);
});

test('the cookie on the Hatif API: reads, and the person recorded as the actor of a note, an assignment and a contact change', async () => {
  const ws = await h.workspace();
  const sara = await signIn(h, ws.id, { name: 'Sara Ahmed' });
  const tag = json(await sara.api('POST', '/v1/tags/service-account', { name: 'VIP' }));
  assert.deepEqual(json(await sara.api('GET', '/v1/tags/service-account', undefined, { origin: null })).items.map((t: { id: string }) => t.id), [tag.id]);
  assert.ok(json(await ws.api('GET', '/v1/tags/service-account')).items.some((t: { id: string }) => t.id === tag.id), 'the same workspace');

  const channel = json(await h.admin('POST', `/admin/v1/workspaces/${ws.id}/channels`, { name: 'Main', type: 3 }));
  const created = json(await sara.api('POST', '/v2/conversations/service-account/create', { ChannelId: channel.id, PhoneNumber: '+966500300001', ContactName: 'Customer' }));
  const id = created.conversation.id;
  assert.equal(json(await sara.api('POST', `/v2/conversations/service-account/${id}/notes`, { text: 'calling back' })).ownerUserId, sara.userId);
  assert.equal((await sara.api('POST', `/v2/conversations/service-account/${id}/assign`, { assignedUserId: sara.userId })).statusCode, 200);
  assert.equal(json(await sara.api('GET', `/v2/conversations/service-account/${id}`, undefined, { origin: null })).assigneeId, sara.userId);
  const timeline = json(await sara.api('GET', `/v2/conversations/service-account/${id}/timeline?Sorting=CreationTime ASC`, undefined, { origin: null }));
  const note = timeline.items.find((e: { body: string | null }) => e.body === 'calling back');
  assert.equal(note.ownerUserId, sara.userId);
  assert.equal(note.handlerName, 'Sara Ahmed');
  const assignation = timeline.items.find((e: { assignation: unknown }) => e.assignation);
  assert.equal(assignation.assignation.assignedByUserId, sara.userId);
  assert.equal(assignation.assignation.assignedByUserName, 'Sara Ahmed');

  await sara.api('PUT', `/v1/contacts/${created.contactId}`, { name: 'Customer Renamed' });
  const history = json(await sara.api('GET', `/v1/contacts/${created.contactId}/history`, undefined, { origin: null }));
  const renamed = history.items.find((item: { propertyName: string }) => item.propertyName === 'Name');
  assert.equal(renamed.creatorId, sara.userId);
  const contact = json(await sara.api('GET', `/v1/contacts/${created.contactId}`, undefined, { origin: null }));
  assert.equal(contact.creatorId, sara.userId, 'the contact made by the conversation records the person');
});

test('a bearer token wins over a cookie; admin routes never take the cookie; person routes never take a token', async () => {
  const ws = await h.workspace();
  const sara = await signIn(h, ws.id);
  const both = await h.app.inject({ method: 'POST', url: '/v1/tags/service-account', headers: { authorization: `Bearer ${ws.token}`, cookie: `wasl_session=${sara.token}` }, payload: { name: 'By token' } });
  assert.equal(both.statusCode, 200, 'no Origin needed: the token, not the cookie, authenticated it');
  const badToken = await h.app.inject({ method: 'GET', url: '/v1/tags/service-account', headers: { authorization: 'Bearer nope', cookie: `wasl_session=${sara.token}` } });
  assertError(badToken, 401, 'Wasl:Unauthorized');
  assertError(await sara.api('GET', '/admin/v1/workspaces'), 401, 'Wasl:Unauthorized');
  assertError(await sara.api('POST', `/admin/v1/users/${sara.userId}/invitation`), 401, 'Wasl:Unauthorized');
  assertError(await ws.api('GET', '/v1/auth/me'), 401, 'Wasl:Unauthorized');
  assertError(await ws.api('GET', '/v1/auth/sessions'), 401, 'Wasl:Unauthorized');
});

test('an email signs in to one workspace: an invitation for the same email elsewhere → 409', async () => {
  const [one, two] = [await h.workspace(), await h.workspace()];
  const sara = await signIn(h, one.id, { email: 'one.workspace@example.com' });
  const twin = await addUser(two.id, { name: 'Sara again', email: 'One.Workspace@example.com' });
  assertError(await h.admin('POST', `/admin/v1/users/${twin.id}/invitation`), 409, 'Wasl:Auth:EmailInUse');
  const found = json(await h.admin('GET', '/admin/v1/users?email=ONE.workspace@example.com'));
  assert.deepEqual(found.items.map((p: { userId: string; hasPassword: boolean }) => [p.userId, p.hasPassword]).sort(), [[sara.userId, true], [twin.id, false]].sort());
});

test('rehash on sign-in when the parameters changed', async () => {
  const ws = await h.workspace();
  const sara = await signIn(h, ws.id);
  const old = await hashPassword(sara.password, { m: 8192, t: 1, p: 1 });
  await sql`UPDATE people SET password_hash = ${old} WHERE user_id = ${sara.userId}`.execute(h.store.db);
  assert.equal((await login(h, sara)).statusCode, 200, 'the old hash still verifies');
  const { rows } = await sql<{ password_hash: string }>`SELECT password_hash FROM people WHERE user_id = ${sara.userId}`.execute(h.store.db);
  assert.match(rows[0]!.password_hash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
  assert.notEqual(rows[0]!.password_hash, old);
  assert.equal((await login(h, sara)).statusCode, 200, 'and the new one too');
});

test('a password reset: the new password works, the old one and every earlier sign-in do not', async () => {
  const ws = await h.workspace();
  const sara = await signIn(h, ws.id);
  const link = await linkFor(h, sara.userId, 'password-reset');
  const res = await anonymous('POST', '/v1/auth/password', { token: tokenOf(link.url), password: 'a brand new passphrase' });
  assert.equal(res.statusCode, 200, res.body);
  assertError(await sara.api('GET', '/v1/auth/me'), 401, 'Wasl:Unauthorized');
  assert.equal((await browser(h, cookieFrom(res)!)('GET', '/v1/auth/me')).statusCode, 200, 'the reset signs in');
  assertError(await loginFrom(from(), sara.email, sara.password), 401, 'Wasl:Auth:InvalidCredentials');
  assert.equal((await loginFrom(from(), sara.email, 'a brand new passphrase')).statusCode, 200);
});

test("the first start's Owner link: a person without an email gives one with the password; printed once", async () => {
  const report = await h.app.container.bootstrap.run();
  assert.ok(report.created.includes('owner'));
  const url = report.printed.ownerInvitation!;
  assert.match(url, /^http:\/\/wasl\.test\/inbox\/welcome#token=/);
  const token = tokenOf(url);
  assert.equal(json(await anonymous('POST', '/v1/auth/link', { token })).emailRequired, true);
  assertError(await anonymous('POST', '/v1/auth/password', { token, password: PASSWORD }), 400, 'Wasl:ValidationFailed', ['email']);
  assertError(await anonymous('POST', '/v1/auth/password', { token, password: PASSWORD, email: 'not an email' }), 400, 'Wasl:ValidationFailed', ['email']);
  const res = await anonymous('POST', '/v1/auth/password', { token, password: PASSWORD, email: 'Owner@Example.org' });
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(json(res).email, 'owner@example.org');
  assert.equal(json(res).role, 1);
  assert.equal(json(res).workspaceId, report.defaultWorkspaceId);
  assert.equal((await loginFrom(from(), 'owner@example.org', PASSWORD)).statusCode, 200);
  const again = await h.app.container.bootstrap.run();
  assert.equal(again.printed.ownerInvitation, undefined, 'not printed again');
});
