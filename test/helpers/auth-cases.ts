import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeJwt, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { assertError } from './assert.js';
import { type Harness, type Workspace } from './build.js';
import { browser, linkFor, signIn, tokenOf } from './people.js';

export interface RouteCall {
  method: InjectOptions['method'];
  url: string;
  body?: unknown;
}

type Case = { name: string; status: 401 | 403; token: (ws: Workspace) => Promise<string | null> };

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A token like `ws.token` but with other claims, signed with the server's own key. */
async function resign(h: Harness, ws: Workspace, claims: Partial<JWTPayload>, header: Record<string, unknown> = {}) {
  const key = h.app.container.keys.signingKey();
  return new SignJWT({ ...decodeJwt(ws.token), ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: key.kid, ...header })
    .sign(key.privateKey);
}

function cases(h: Harness): Case[] {
  return [
    { name: 'no token', status: 401, token: async () => null },
    { name: 'garbage token', status: 401, token: async () => 'not.a.jwt' },
    {
      name: 'expired token',
      status: 401,
      token: (ws) => resign(h, ws, { iat: Math.floor(h.clock.now().getTime() / 1000) - 7200, exp: Math.floor(h.clock.now().getTime() / 1000) - 3600 }),
    },
    {
      name: 'token signed by another key with our kid',
      status: 401,
      token: async (ws) => {
        const { privateKey } = await generateKeyPair('RS256');
        return new SignJWT(decodeJwt(ws.token)).setProtectedHeader({ alg: 'RS256', kid: h.app.container.keys.signingKey().kid }).sign(privateKey);
      },
    },
    {
      name: 'alg:none token',
      status: 401,
      token: async (ws) => `${b64({ alg: 'none', kid: h.app.container.keys.signingKey().kid })}.${b64(decodeJwt(ws.token))}.`,
    },
    { name: 'token of another issuer', status: 401, token: (ws) => resign(h, ws, { iss: 'https://evil.example' }) },
    { name: 'token without the VoxaAPI scope', status: 403, token: (ws) => resign(h, ws, { scope: 'openid' }) },
    {
      name: 'token of a disabled service account',
      status: 401,
      token: async (ws) => {
        assert.equal((await h.admin('POST', `/admin/v1/service-accounts/${ws.serviceAccountId}/disable`)).statusCode, 204);
        return ws.token;
      },
    },
    {
      name: 'token issued before the secret was rotated',
      status: 401,
      token: async (ws) => {
        assert.equal((await h.admin('POST', `/admin/v1/service-accounts/${ws.serviceAccountId}/rotate-secret`)).statusCode, 200);
        return ws.token;
      },
    },
  ];
}

function call(h: Harness, route: RouteCall, token: string | null): Promise<LightMyRequestResponse> {
  return h.app.inject({
    method: route.method,
    url: route.url,
    headers: token === null ? {} : { authorization: `Bearer ${token}` },
    ...(route.body === undefined ? {} : { payload: route.body as object }),
  });
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The same battery for a person's sign-in cookie (features/people): what a case's `cookie` gives is
 * sent as `wasl_session` with `headers` (our Origin unless the case drops or changes it). A case
 * with `unsafeOnly` checks the unsafe methods only (Origin matters to them alone).
 */
type CookieCase = {
  name: string;
  status: 401 | 403;
  unsafeOnly?: boolean;
  cookie: (ws: Workspace) => Promise<{ token: string | null; headers?: Record<string, string | null>; after?: () => void }>;
};

function cookieCases(h: Harness): CookieCase[] {
  return [
    { name: 'a garbage cookie', status: 401, cookie: async () => ({ token: 'garbage' }) },
    { name: 'a well-formed cookie that is no sign-in', status: 401, cookie: async () => ({ token: 'A'.repeat(43) }) },
    {
      name: 'a sign-in expired after inactivity (SESSION_IDLE_MINUTES, the injected clock)',
      status: 401,
      cookie: async (ws) => {
        const person = await signIn(h, ws.id);
        const before = h.clock.now();
        h.clock.advance(h.config.sessionIdleMinutes * 60_000 + 60_000);
        // Nothing is written while the clock is ahead (every call is refused): it goes back after.
        return { token: person.token, after: () => h.clock.set(before) };
      },
    },
    {
      name: 'a signed-out sign-in',
      status: 401,
      cookie: async (ws) => {
        const person = await signIn(h, ws.id);
        assert.equal((await person.api('POST', '/v1/auth/logout')).statusCode, 204);
        return { token: person.token };
      },
    },
    {
      name: 'a sign-in ended by "sign out everywhere" elsewhere',
      status: 401,
      cookie: async (ws) => {
        const person = await signIn(h, ws.id);
        const other = await h.app.inject({ method: 'POST', url: '/v1/auth/login', headers: { origin: h.config.publicUrl }, payload: { email: person.email, password: person.password } });
        const otherToken = /wasl_session=([^;]+)/.exec(String(other.headers['set-cookie']))![1]!;
        assert.equal((await browser(h, otherToken)('POST', '/v1/auth/logout-everywhere')).statusCode, 204);
        return { token: person.token };
      },
    },
    {
      name: 'a sign-in ended by a password reset',
      status: 401,
      cookie: async (ws) => {
        const person = await signIn(h, ws.id);
        const link = await linkFor(h, person.userId, 'password-reset');
        assert.equal((await browser(h, null)('POST', '/v1/auth/password', { token: tokenOf(link.url), password: 'another long passphrase' })).statusCode, 200);
        return { token: person.token };
      },
    },
    {
      name: 'the sign-in of a disabled person',
      status: 401,
      cookie: async (ws) => {
        const person = await signIn(h, ws.id);
        assert.equal((await h.admin('POST', `/admin/v1/users/${person.userId}/disable`)).statusCode, 204);
        return { token: person.token };
      },
    },
    { name: 'a live sign-in without Origin (unsafe methods)', status: 403, unsafeOnly: true, cookie: async (ws) => ({ token: (await signIn(h, ws.id)).token, headers: { origin: null } }) },
    {
      name: 'a live sign-in from another Origin (unsafe methods)',
      status: 403,
      unsafeOnly: true,
      cookie: async (ws) => ({ token: (await signIn(h, ws.id)).token, headers: { origin: 'https://evil.example' } }),
    },
  ];
}

/**
 * The auth battery for protected routes: every case on every route, each answering the right
 * status in the error envelope and changing nothing. `routes` may use `{id}` for a real id.
 * Every route is also called with a person's sign-in cookie: the cookie cases above, a live
 * sign-in that must work where Origin does not matter, and a person of another workspace, who
 * must get exactly what that workspace's service account gets (404 for this workspace's ids).
 */
export function authBattery(h: Harness, routes: (ws: Workspace) => Promise<RouteCall[]> | RouteCall[]) {
  for (const c of cookieCases(h)) {
    test(`auth (cookie): ${c.name} → ${c.status} on every route`, async () => {
      const ws = await h.workspace();
      const calls = (await routes(ws)).filter((r) => !c.unsafeOnly || UNSAFE.has(String(r.method)));
      const { token, headers = {}, after } = await c.cookie(ws);
      try {
        for (const route of calls) {
          const res = await browser(h, token)(route.method, route.url, route.body, headers);
          assert.equal(res.statusCode, c.status, `${route.method} ${route.url}: ${res.body}`);
          assertError(res, c.status, c.status === 401 ? 'Wasl:Unauthorized' : 'Wasl:Forbidden');
        }
      } finally {
        after?.();
      }
    });
  }

  test('auth (cookie): a live sign-in works on every route; GET needs no Origin', async () => {
    const ws = await h.workspace();
    const calls = await routes(ws);
    const person = await signIn(h, ws.id);
    for (const route of calls) {
      const res = await person.api(route.method, route.url, route.body, route.method === 'GET' ? { origin: null } : {});
      assert.ok(res.statusCode !== 401 && res.statusCode !== 403, `${route.method} ${route.url}: ${res.statusCode} ${res.body}`);
    }
  });

  test("auth (cookie): a person of another workspace gets what that workspace's service account gets", async () => {
    const ws = await h.workspace();
    const calls = await routes(ws);
    const [theirs, twin] = [await h.workspace(), await h.workspace()];
    const stranger = await signIn(h, theirs.id);
    for (const route of calls) {
      const asPerson = await stranger.api(route.method, route.url, route.body);
      const asAccount = await twin.api(route.method, route.url, route.body);
      assert.equal(asPerson.statusCode, asAccount.statusCode, `${route.method} ${route.url}: ${asPerson.body} vs ${asAccount.body}`);
      if (asPerson.statusCode === 404) assert.equal(JSON.parse(asPerson.body).error.code, JSON.parse(asAccount.body).error.code);
    }
  });


  for (const c of cases(h)) {
    test(`auth: ${c.name} → ${c.status} on every route`, async () => {
      const ws = await h.workspace();
      const calls = await routes(ws);
      const token = await c.token(ws);
      for (const route of calls) {
        const res = await call(h, route, token);
        assert.equal(res.statusCode, c.status, `${route.method} ${route.url}: ${res.body}`);
        assertError(res, c.status, c.status === 401 ? 'Wasl:Unauthorized' : 'Wasl:Forbidden');
        if (c.status === 401) assert.match(String(res.headers['www-authenticate']), /^Bearer error="invalid_token"/);
      }
    });
  }
}
