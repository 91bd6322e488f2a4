import type { FastifyReply, FastifyRequest } from 'fastify';
import { safeEqualHex, sha256Hex } from '../lib/crypto.js';
import { errors } from '../lib/errors.js';
import type { Principal } from '../lib/principal.js';
import type { createRateLimiter } from './rate-limit.js';

const bearerOf = (req: FastifyRequest): string | undefined => {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
};

/**
 * The onRequest hook of every `auth: 'bearer'` route: a valid token with the API scope, then the
 * workspace's rate limit. Runs before the body is read, so a bad token costs no parsing.
 */
export function createBearerAuth(deps: {
  verify: (token: string) => Promise<Principal>;
  scope: string;
  limiter: ReturnType<typeof createRateLimiter> | null;
}) {
  return async function authenticate(req: FastifyRequest, reply: FastifyReply) {
    const token = bearerOf(req);
    if (!token) throw errors.unauthorized('An access token is required: Authorization: Bearer <token>.');
    const principal = await deps.verify(token);
    if (!principal.scopes.includes(deps.scope)) throw errors.forbidden(`The access token lacks the ${deps.scope} scope.`);
    req.principal = principal;
    req.recheck = async () => {
      await deps.verify(token);
    };
    if (!deps.limiter) return;
    const decision = deps.limiter.take(principal.workspaceId);
    reply.header('x-ratelimit-limit', decision.limit);
    reply.header('x-ratelimit-remaining', decision.remaining);
    reply.header('x-ratelimit-reset', decision.resetSeconds);
    if (!decision.allowed) throw errors.rateLimited(decision.limit, decision.retryAfterSeconds);
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
