import { Type, type Static } from 'typebox';
import type { JWK } from 'jose';
import type { FastifyReply } from 'fastify';
import { registerFormParser } from '../../http/body.js';
import { errorResponse } from '../../http/openapi.js';
import type { App } from '../../http/types.js';
import { API_SCOPE, type ServiceAccountsService } from '../service-accounts/service-accounts.service.js';
import type { KeysService } from './keys.service.js';
import type { TokenGuard } from './token-guard.js';
import type { TokensService } from './tokens.service.js';

const TokenRequest = Type.Object(
  {
    grant_type: Type.Optional(Type.String({ maxLength: 100, examples: ['client_credentials'] })),
    client_id: Type.Optional(Type.String({ maxLength: 200 })),
    client_secret: Type.Optional(Type.String({ maxLength: 1000 })),
    scope: Type.Optional(Type.String({ maxLength: 1000, examples: [API_SCOPE] })),
  },
  { description: 'Form-encoded (or JSON). The client may authenticate with HTTP Basic instead of the two client fields.' },
);

const TokenResponse = Type.Object({
  access_token: Type.String(),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer(),
  scope: Type.String(),
});

const Jwks = Type.Object(
  {
    keys: Type.Array(
      Type.Unsafe<JWK>(Type.Object({ kty: Type.String(), kid: Type.String(), alg: Type.String(), use: Type.String(), n: Type.String(), e: Type.String() })),
    ),
  },
  { description: 'RFC 7517 JWK Set: the public keys that sign access tokens (RS256).' },
);

const ServerMetadata = Type.Object(
  {
    issuer: Type.String(),
    token_endpoint: Type.String(),
    jwks_uri: Type.String(),
    grant_types_supported: Type.Array(Type.String()),
    token_endpoint_auth_methods_supported: Type.Array(Type.String()),
    scopes_supported: Type.Array(Type.String()),
    response_types_supported: Type.Array(Type.String()),
    id_token_signing_alg_values_supported: Type.Array(Type.String()),
  },
  { description: 'RFC 8414 authorization server metadata.' },
);

type OAuthErrorCode = 'invalid_request' | 'invalid_client' | 'unsupported_grant_type' | 'invalid_scope';

function fail(reply: FastifyReply, code: OAuthErrorCode, description: string, basic = false) {
  reply.code(code === 'invalid_client' ? 401 : 400).header('cache-control', 'no-store');
  if (code === 'invalid_client') reply.header('www-authenticate', basic ? 'Basic realm="wasl"' : 'Bearer realm="wasl"');
  return reply.send({ error: code, error_description: description });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** RFC 6749 §2.3.1: Basic credentials are form-encoded, then base64; null when they are not UTF-8 text without NUL. */
function basicCredentials(header: string | undefined): { id: string; secret: string } | null | undefined {
  if (!header || !/^basic /i.test(header)) return undefined;
  try {
    const decoded = utf8.decode(Buffer.from(header.slice(6).trim(), 'base64'));
    const colon = decoded.indexOf(':');
    if (colon < 0) return null;
    const unform = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
    const id = unform(decoded.slice(0, colon));
    const secret = unform(decoded.slice(colon + 1));
    return id.includes('\u0000') || secret.includes('\u0000') ? null : { id, secret };
  } catch {
    return null;
  }
}

export function tokenRoutes(
  app: App,
  deps: { serviceAccounts: ServiceAccountsService; tokens: TokensService; keys: KeysService; tokenGuard: TokenGuard; config: { publicUrl: string } },
) {
  const { serviceAccounts, tokens, keys, tokenGuard: guard } = deps;
  const issuer = deps.config.publicUrl;

  // Form bodies are accepted here only; the Hatif API itself speaks JSON.
  app.register(async (scope) => {
    registerFormParser(scope);
    (scope as unknown as App).post(
      '/connect/token',
      {
        // Every error here, parser and limits included, is RFC 6749's {error, error_description}.
        config: { auth: 'none', errorFormat: 'oauth', caseInsensitive: false },
        schema: {
          operationId: 'requestToken',
          tags: ['Account'],
          summary: 'Service Login (OAuth2 client credentials)',
          consumes: ['application/x-www-form-urlencoded', 'application/json'],
          body: TokenRequest,
          response: { 200: TokenResponse, 400: errorResponse(400, 'oauth'), 401: errorResponse(401, 'oauth'), 429: errorResponse(429, 'oauth') },
        },
      },
      async (req, reply) => {
        const body: Static<typeof TokenRequest> = req.body;
        const basic = basicCredentials(req.headers.authorization);
        if (basic === null) return fail(reply, 'invalid_client', 'The Basic credentials are malformed.', true);
        if (basic && (body.client_id || body.client_secret)) {
          return fail(reply, 'invalid_request', 'Authenticate the client one way: HTTP Basic or client_id/client_secret, not both.');
        }
        if (!body.grant_type) return fail(reply, 'invalid_request', 'grant_type is required.');
        if (body.grant_type !== 'client_credentials') {
          return fail(reply, 'unsupported_grant_type', `grant_type ${body.grant_type} is not supported; use client_credentials.`);
        }
        const clientId = basic?.id ?? body.client_id;
        const clientSecret = basic?.secret ?? body.client_secret;
        if (!clientId || !clientSecret) return fail(reply, 'invalid_client', 'client_id and client_secret are required.', Boolean(basic));
        guard.check(clientId, req.ip);
        const account = await guard.verify(() => serviceAccounts.authenticate(clientId, clientSecret));
        if (!account) {
          guard.failed(clientId, req.ip);
          return fail(reply, 'invalid_client', 'The client credentials are invalid or the client is disabled.', Boolean(basic));
        }
        guard.succeeded(clientId, req.ip);
        const requested = (body.scope ?? '').split(' ').filter(Boolean);
        const unknown = requested.filter((s) => !account.scopes.includes(s));
        if (unknown.length) return fail(reply, 'invalid_scope', `Scope ${unknown.join(' ')} is not available to this client.`);
        const granted = requested.length ? [...new Set(requested)] : account.scopes;
        reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
        return tokens.issue(account, granted);
      },
    );
  });

  app.get(
    '/.well-known/jwks.json',
    { config: { auth: 'none' }, schema: { operationId: 'getJwks', tags: ['Account'], summary: 'Token signing keys (JWKS)', response: { 200: Jwks } } },
    () => keys.jwks(),
  );

  app.get(
    '/.well-known/openid-configuration',
    { config: { auth: 'none' }, schema: { operationId: 'getOpenIdConfiguration', tags: ['Account'], summary: 'Token server metadata', response: { 200: ServerMetadata } } },
    () => ({
      issuer,
      token_endpoint: `${issuer}/connect/token`,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      grant_types_supported: ['client_credentials'],
      token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
      scopes_supported: [API_SCOPE],
      response_types_supported: ['token'],
      id_token_signing_alg_values_supported: ['RS256'],
    }),
  );
}
