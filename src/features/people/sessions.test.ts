import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { assertError } from '../../../test/helpers/assert.js';
import { build, json } from '../../../test/helpers/build.js';
import { login } from '../../../test/helpers/people.js';
import { AppError } from '../../lib/errors.js';

/** A sign-in's lifetimes on the injected clock, its last-seen writes, and `req.recheck` for the cookie. */

const h = await build({ SESSION_IDLE_MINUTES: '10', SESSION_MAX_DAYS: '1', PUBLIC_URL: 'https://inbox.example.com' });
const MINUTE = 60_000;

// What a long-lived response (the event stream) does: keep the request's recheck, call it later.
const rechecks: (() => Promise<void>)[] = [];
h.app.get('/test/recheck', { config: { auth: 'bearer' }, schema: { hide: true } }, async (req) => {
  rechecks.push(req.recheck);
  return { kind: req.principal.kind };
});

const lastSeen = async (userId: string) =>
  (await sql<{ last_seen_at: Date }>`SELECT last_seen_at FROM person_sessions WHERE user_id = ${userId}`.execute(h.store.db)).rows.map((r) => r.last_seen_at.getTime());
const origin = { origin: 'https://inbox.example.com' };

test('on https the cookie is Secure, and Origin must be the https origin', async () => {
  const ws = await h.workspace();
  // The helpers send http://wasl.test as Origin: refused here, as any other origin.
  assertError(await login(h, { email: 'nobody@example.com', password: 'whatever it is' }), 403, 'Wasl:Forbidden');
  assertError(await login(h, { email: 'nobody@example.com', password: 'whatever it is' }, origin), 401, 'Wasl:Auth:InvalidCredentials');
  const user = json(await h.admin('POST', `/admin/v1/workspaces/${ws.id}/users`, { name: 'Secure', email: 'secure@example.com' }));
  const link = json(await h.admin('POST', `/admin/v1/users/${user.id}/invitation`));
  assert.match(link.url, /^https:\/\/inbox\.example\.com\/inbox\/welcome#token=/);
  const set = await h.app.inject({ method: 'POST', url: '/v1/auth/password', headers: origin, payload: { token: new URL(link.url).hash.slice(7), password: 'a long enough passphrase' } });
  assert.equal(set.statusCode, 200, set.body);
  assert.match(String(set.headers['set-cookie']), /^wasl_session=[\w-]{43}; Max-Age=86400; Path=\/; HttpOnly; SameSite=Lax; Secure$/);
});

/** A person of this harness (whose Origin is https://inbox.example.com). */
async function person() {
  const ws = await h.workspace();
  const email = `p-${Math.random().toString(36).slice(2)}@example.com`;
  const user = json(await h.admin('POST', `/admin/v1/workspaces/${ws.id}/users`, { name: 'Nour', email }));
  const link = json(await h.admin('POST', `/admin/v1/users/${user.id}/invitation`));
  const res = await h.app.inject({ method: 'POST', url: '/v1/auth/password', headers: origin, payload: { token: new URL(link.url).hash.slice(7), password: 'a long enough passphrase' } });
  assert.equal(res.statusCode, 200, res.body);
  const token = /wasl_session=([^;]+)/.exec(String(res.headers['set-cookie']))![1]!;
  const get = (url: string) => h.app.inject({ method: 'GET', url, headers: { cookie: `wasl_session=${token}` } });
  return { userId: user.id as string, token, get };
}

test('idle: each use pushes the end back (last seen written at most once a minute); 10 idle minutes end it', async () => {
  const p = await person();
  const [start] = await lastSeen(p.userId);
  h.clock.advance(30_000);
  assert.equal((await p.get('/v1/auth/me')).statusCode, 200);
  assert.deepEqual(await lastSeen(p.userId), [start], 'not written within the minute');
  h.clock.advance(30_000);
  assert.equal((await p.get('/v1/tags/service-account')).statusCode, 200);
  const [touched] = await lastSeen(p.userId);
  assert.equal(touched, start! + MINUTE, 'written once a minute has passed');
  for (let i = 0; i < 5; i++) {
    h.clock.advance(9 * MINUTE);
    assert.equal((await p.get('/v1/auth/me')).statusCode, 200, 'used every 9 minutes, it lives on');
  }
  const me = json(await p.get('/v1/auth/me'));
  assert.equal(new Date(me.sessionExpiresAt).getTime(), h.clock.now().getTime() + 10 * MINUTE);
  h.clock.advance(10 * MINUTE);
  const expired = await p.get('/v1/auth/me');
  assertError(expired, 401, 'Wasl:Unauthorized');
  assert.match(json(expired).error.message, /inactivity/);
  assertError(await p.get('/v1/tags/service-account'), 401, 'Wasl:Unauthorized');
});

test('absolute: a day after sign-in it ends, however busy', async () => {
  const p = await person();
  for (let minutes = 0; minutes < 24 * 60 - 9; minutes += 9) {
    h.clock.advance(9 * MINUTE);
    assert.equal((await p.get('/v1/auth/me')).statusCode, 200);
  }
  const me = json(await p.get('/v1/auth/me'));
  assert.ok(new Date(me.sessionExpiresAt).getTime() - h.clock.now().getTime() <= 9 * MINUTE, 'the idle end never passes the absolute one');
  h.clock.advance(9 * MINUTE);
  const expired = await p.get('/v1/auth/me');
  assertError(expired, 401, 'Wasl:Unauthorized');
  assert.match(json(expired).error.message, /has expired/);
  assert.equal(json(await h.app.inject({ method: 'GET', url: '/v1/auth/sessions', headers: { cookie: `wasl_session=${p.token}` } })).error.code, 'Wasl:Unauthorized');
});

test('req.recheck with a cookie: holds while the sign-in lives, throws 401 once it is revoked, expired or its person disabled', async () => {
  const check = async (p: Awaited<ReturnType<typeof person>>) => {
    const res = await p.get('/test/recheck');
    assert.deepEqual(json(res), { kind: 'person' });
    return rechecks.at(-1)!;
  };
  const is401 = (err: unknown) => err instanceof AppError && err.statusCode === 401;

  const revoked = await person();
  const recheck1 = await check(revoked);
  await recheck1();
  assert.equal((await h.app.inject({ method: 'POST', url: '/v1/auth/logout', headers: { ...origin, cookie: `wasl_session=${revoked.token}` } })).statusCode, 204);
  await assert.rejects(recheck1(), is401);

  const disabled = await person();
  const recheck2 = await check(disabled);
  assert.equal((await h.admin('POST', `/admin/v1/users/${disabled.userId}/disable`)).statusCode, 204);
  await assert.rejects(recheck2(), is401);

  const idle = await person();
  const recheck3 = await check(idle);
  h.clock.advance(9 * MINUTE);
  await recheck3();
  h.clock.advance(2 * MINUTE);
  await assert.rejects(recheck3(), is401, 'a recheck does not count as a use: an open stream alone does not keep a sign-in alive');

  // A bearer request's recheck is unchanged.
  const ws = await h.workspace();
  assert.deepEqual(json(await ws.api('GET', '/test/recheck')), { kind: 'service-account' });
  await rechecks.at(-1)!();
});
