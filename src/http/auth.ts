import type { FastifyReply, FastifyRequest } from 'fastify';
import { safeEqualHex, sha256Hex } from '../lib/crypto.js';
import { errors } from '../lib/errors.js';
import type { PersonPrincipal, ServiceAccountPrincipal } from '../lib/principal.js';
import type { createRateLimiter } from './rate-limit.js';

const bearerOf = (req: FastifyRequest): string | undefined => {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
};

/** The sign-in cookie of people (features/people): its name, and what unsafe requests must carry. */
export const SESSION_COOKIE = 'wasl_session';
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The value of the sign-in cookie in the request, if it has one. */
export function sessionCookieOf(req: FastifyRequest): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
  }
  return undefined;
}

/**
 * How the edge reads and writes the sign-in cookie. `verify` (the people feature's) answers the
 * person a cookie value signs in, or throws 401; `touch: false` checks without recording a use.
 */
export function createCookieAuth(deps: { verify: (token: string, options?: { touch?: boolean }) => Promise<PersonPrincipal>; publicUrl: string }) {
  const url = new URL(deps.publicUrl);
  const origin = url.origin;
  const secure = url.protocol === 'https:';
  const attributes = `Path=/; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
  return {
    verify: deps.verify,
    origin,
    /**
     * A request authenticated by the cookie changes nothing unless it comes from our own pages:
     * unsafe methods need `Origin` equal to PUBLIC_URL's origin (absent → 403 too). SameSite=Lax
     * already keeps the cookie off cross-site POSTs; this is the second lock.
     */
    assertOrigin(req: FastifyRequest, options: { allowAbsent?: boolean } = {}): void {
      if (!UNSAFE.has(req.method)) return;
      const given = req.headers.origin;
      if (given === undefined && options.allowAbsent) return;
      if (given !== origin) throw errors.forbidden(given === undefined ? `A signed-in change needs the Origin header (${origin}).` : `Origin ${given} may not make signed-in changes; only ${origin} may.`);
    },
    /** Sets the cookie for `maxAgeSeconds` (the sign-in's absolute lifetime; the server ends it sooner when idle). */
    set(reply: FastifyReply, token: string, maxAgeSeconds: number): void {
      reply.header('set-cookie', `${SESSION_COOKIE}=${token}; Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}; ${attributes}`);
    },
    clear(reply: FastifyReply): void {
      reply.header('set-cookie', `${SESSION_COOKIE}=; Max-Age=0; ${attributes}`);
    },
  };
}
export type CookieAuth = ReturnType<typeof createCookieAuth>;

/** Signs the request in with the cookie: Origin first (no store read for a forged request), then the sign-in. */
async function signInByCookie(req: FastifyRequest, cookie: CookieAuth, token: string): Promise<PersonPrincipal> {
  cookie.assertOrigin(req);
  const principal = await cookie.verify(token);
  req.principal = principal;
  req.recheck = async () => {
    await cookie.verify(token, { touch: false });
  };
  return principal;
}

/**
 * The onRequest hook of every `auth: 'bearer'` route: a valid token with the API scope, or (when
 * there is no Authorization header at all) a person's sign-in cookie; then the workspace's rate
 * limit. A bearer header always wins over a cookie, and bearer requests need no Origin. Runs
 * before the body is read, so a bad credential costs no parsing.
 */
export function createBearerAuth(deps: {
  verify: (token: string) => Promise<ServiceAccountPrincipal>;
  scope: string;
  limiter: ReturnType<typeof createRateLimiter> | null;
  /** People's sign-in cookie; without it only bearer tokens are taken. */
  cookie?: CookieAuth;
}) {
  return async function authenticate(req: FastifyRequest, reply: FastifyReply) {
    const cookieValue = deps.cookie && !req.headers.authorization ? sessionCookieOf(req) : undefined;
    let workspaceId: string;
    if (deps.cookie && cookieValue !== undefined) {
      workspaceId = (await signInByCookie(req, deps.cookie, cookieValue)).workspaceId;
    } else {
      const token = bearerOf(req);
      if (!token) throw errors.unauthorized('An access token is required: Authorization: Bearer <token>.');
      const principal = await deps.verify(token);
      if (!principal.scopes.includes(deps.scope)) throw errors.forbidden(`The access token lacks the ${deps.scope} scope.`);
      req.principal = principal;
      req.recheck = async () => {
        await deps.verify(token);
      };
      workspaceId = principal.workspaceId;
    }
    if (!deps.limiter) return;
    const decision = deps.limiter.take(workspaceId);
    reply.header('x-ratelimit-limit', decision.limit);
    reply.header('x-ratelimit-remaining', decision.remaining);
    reply.header('x-ratelimit-reset', decision.resetSeconds);
    if (!decision.allowed) throw errors.rateLimited(decision.limit, decision.retryAfterSeconds);
  };
}

/** The onRequest hook of the routes only a signed-in person calls (`/v1/auth/me` …): the cookie, never a token. */
export function createPersonAuth(cookie: CookieAuth) {
  return async function authenticatePerson(req: FastifyRequest) {
    const value = sessionCookieOf(req);
    if (value === undefined) throw errors.unauthorized('Sign in first: this route takes the sign-in cookie.');
    await signInByCookie(req, cookie, value);
  };
}

/** The admin API's bearer: compared as SHA-256 digests in constant time. */
export function createAdminAuth(adminTokenHash: () => string | null) {
  return async function authenticateAdmin(req: FastifyRequest) {
    const token = bearerOf(req);
    const expected = adminTokenHash();
    if (!token || !expected || !safeEqualHex(sha256Hex(token), expected)) {
      throw errors.unauthorized('The admin API needs Authorization: Bearer <WASL_ADMIN_TOKEN>.');
    }
  };
}
