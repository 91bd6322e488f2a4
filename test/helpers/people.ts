import assert from 'node:assert/strict';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { json, type Harness } from './build.js';

/** What build() sets PUBLIC_URL to: the Origin the inbox's own pages send. */
export const ORIGIN = 'http://wasl.test';
export const PASSWORD = 'a long enough passphrase';

export interface Person {
  userId: string;
  workspaceId: string;
  email: string;
  password: string;
  /** The cookie's value (`wasl_session=<token>`). */
  token: string;
  /** Calls with this person's cookie and, unless `headers.origin` says otherwise (null drops it), our Origin. */
  api(method: InjectOptions['method'], url: string, body?: unknown, headers?: Record<string, string | null>): Promise<LightMyRequestResponse>;
}

/** The value the answer's Set-Cookie gives `wasl_session` (empty when it clears it). */
export function cookieFrom(res: LightMyRequestResponse): string | undefined {
  const header = [res.headers['set-cookie'] ?? []].flat().find((c) => String(c).startsWith('wasl_session='));
  return header === undefined ? undefined : /^wasl_session=([^;]*)/.exec(String(header))![1];
}

/** The token in a link's fragment (`…/inbox/welcome#token=…`). */
export const tokenOf = (url: string) => new URL(url).hash.replace(/^#token=/, '');

/** Calls as a browser would: the cookie (when given) and headers; `null` drops a header. */
export function browser(h: Harness, token: string | null) {
  return (method: InjectOptions['method'], url: string, body?: unknown, headers: Record<string, string | null> = {}) => {
    const all: Record<string, string> = { origin: ORIGIN, ...(token === null ? {} : { cookie: `wasl_session=${token}` }) };
    for (const [name, value] of Object.entries(headers)) {
      if (value === null) delete all[name];
      else all[name] = value;
    }
    return h.app.inject({ method, url, headers: all, ...(body === undefined ? {} : { payload: body as object }) });
  };
}

/** A link for a workspace user from the admin API. */
export async function linkFor(h: Harness, userId: string, purpose: 'invitation' | 'password-reset' = 'invitation') {
  const res = await h.admin('POST', `/admin/v1/users/${userId}/${purpose}`);
  assert.equal(res.statusCode, 200, res.body);
  return json(res) as { url: string; email: string | null; expiresAt: string; purpose: string };
}

/**
 * A new person in the workspace, invited, with a password set, signed in: their cookie and an
 * `api` that sends it. `role` 1 is an Owner.
 */
export async function signIn(h: Harness, workspaceId: string, options: { name?: string; email?: string; role?: number; password?: string } = {}): Promise<Person> {
  const email = options.email ?? `p-${Math.random().toString(36).slice(2)}@example.com`;
  const password = options.password ?? PASSWORD;
  const added = await h.admin('POST', `/admin/v1/workspaces/${workspaceId}/users`, { name: options.name ?? 'Sara', email, role: options.role ?? 2 });
  assert.equal(added.statusCode, 200, added.body);
  const userId = json(added).id as string;
  const link = await linkFor(h, userId);
  const res = await browser(h, null)('POST', '/v1/auth/password', { token: tokenOf(link.url), password });
  assert.equal(res.statusCode, 200, res.body);
  const token = cookieFrom(res)!;
  return { userId, workspaceId, email, password, token, api: browser(h, token) };
}

/** Signs in again with email and password: a second sign-in of the same person. */
export async function login(h: Harness, person: { email: string; password: string }, headers: Record<string, string | null> = {}) {
  return browser(h, null)('POST', '/v1/auth/login', { email: person.email, password: person.password }, headers);
}
