import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeJwt, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { assertError } from './assert.js';
import { type Harness, type Workspace } from './build.js';

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

/**
 * The auth battery for protected routes: every case on every route, each answering the right
 * status in the error envelope and changing nothing. `routes` may use `{id}` for a real id.
 */
export function authBattery(h: Harness, routes: (ws: Workspace) => Promise<RouteCall[]> | RouteCall[]) {
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
