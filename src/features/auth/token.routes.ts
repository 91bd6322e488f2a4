import formbody from '@fastify/formbody';
import { Type, type Static } from 'typebox';
import type { FastifyReply } from 'fastify';
import type { App } from '../../http/types.js';
import { API_SCOPE, type ServiceAccountsService } from '../service-accounts/service-accounts.service.js';
import type { KeysService } from './keys.service.js';
import type { TokensService } from './tokens.service.js';

const TokenRequest = Type.Object(
  {
    grant_type: Type.Optional(Type.String({ examples: ['client_credentials'] })),
    client_id: Type.Optional(Type.String()),
    client_secret: Type.Optional(Type.String()),
    scope: Type.Optional(Type.String({ examples: [API_SCOPE] })),
  },
  { description: 'Form-encoded (or JSON). The client may authenticate with HTTP Basic instead of the two client fields.' },
);

const TokenResponse = Type.Object({
  access_token: Type.String(),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer(),
  scope: Type.String(),
});

const OAuthError = Type.Object({ error: Type.String(), error_description: Type.String() });

type OAuthErrorCode = 'invalid_request' | 'invalid_client' | 'unsupported_grant_type' | 'invalid_scope';

function fail(reply: FastifyReply, code: OAuthErrorCode, description: string, basic = false) {
  reply.code(code === 'invalid_client' ? 401 : 400).header('cache-control', 'no-store');
  if (code === 'invalid_client') reply.header('www-authenticate', basic ? 'Basic realm="wasl"' : 'Bearer realm="wasl"');
  return reply.send({ error: code, error_description: description });
}

/** RFC 6749 §2.3.1: Basic credentials are form-encoded, then base64. */
function basicCredentials(header: string | undefined): { id: string; secret: string } | null | undefined {
  if (!header || !/^basic /i.test(header)) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  try {
    const unform = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
    return { id: unform(decoded.slice(0, colon)), secret: unform(decoded.slice(colon + 1)) };
  } catch {
    return null;
  }
}

export function tokenRoutes(app: App, deps: { serviceAccounts: ServiceAccountsService; tokens: TokensService; keys: KeysService; issuer: string }) {
  const { serviceAccounts, tokens, keys, issuer } = deps;

  // Form bodies are accepted here only; the Hatif API itself speaks JSON.
  app.register(async (scope) => {
    await scope.register(formbody);
    scope.post(
      '/connect/token',
      {
        attachValidation: true,
        schema: {
          tags: ['Account'],
          summary: 'Service Login (OAuth2 client credentials)',
          consumes: ['application/x-www-form-urlencoded', 'application/json'],
          body: TokenRequest,
          response: { 200: TokenResponse, 400: OAuthError, 401: OAuthError },
        },
      },
      async (req, reply) => {
        const body: Static<typeof TokenRequest> = req.validationError || !req.body || typeof req.body !== 'object' ? {} : req.body;
        if (req.validationError) return fail(reply, 'invalid_request', 'The request parameters must be strings.');
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
        const account = await serviceAccounts.authenticate(clientId, clientSecret);
        if (!account) return fail(reply, 'invalid_client', 'The client credentials are invalid or the client is disabled.', Boolean(basic));
        const requested = (body.scope ?? '').split(' ').filter(Boolean);
        const unknown = requested.filter((s) => !account.scopes.includes(s));
        if (unknown.length) return fail(reply, 'invalid_scope', `Scope ${unknown.join(' ')} is not available to this client.`);
        const granted = requested.length ? [...new Set(requested)] : account.scopes;
        reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
        return tokens.issue(account, granted);
      },
    );
  });

  app.get('/.well-known/jwks.json', { schema: { tags: ['Account'], summary: 'Token signing keys (JWKS)' } }, () => keys.jwks());

  app.get('/.well-known/openid-configuration', { schema: { tags: ['Account'], summary: 'Token server metadata' } }, () => ({
    issuer,
    token_endpoint: `${issuer}/connect/token`,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    grant_types_supported: ['client_credentials'],
    token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
    scopes_supported: [API_SCOPE],
    response_types_supported: ['token'],
    id_token_signing_alg_values_supported: ['RS256'],
  }));
}
