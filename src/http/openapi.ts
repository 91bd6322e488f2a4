import type { FastifyInstance, RouteOptions } from 'fastify';
import { Type } from 'typebox';
import { errors, type AppError } from '../lib/errors.js';
import { envelope, oauthError } from './error-handler.js';
import type { RouteEdge } from './route-config.js';
import { ErrorEnvelope } from './schemas.js';

/**
 * The OpenAPI side of the route flags: an `onRoute` hook that turns each route's `config`
 * (`auth`, `errors`, its input) into the operation's `security` and its error responses, and
 * refuses at registration a documented route without an `operationId` or `config.auth`, or with
 * an `operationId` already taken. The error responses are real response schemas: the envelope
 * also filters what is serialised for those statuses.
 */

export type SecurityRequirement = Record<string, string[]>;
/** What `security` each `auth` flag declares; the schemes themselves are in src/openapi.ts. */
export type SecurityByAuth = Record<RouteEdge['auth'], SecurityRequirement[]>;

export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 500 | 502 | 503;

/** What each status means on this API, as the docs page and generated clients show it. */
const MEANING: Record<ErrorStatus, string> = {
  400: 'The request is not valid: `validationErrors` names each field (`Wasl:ValidationFailed`), or the body is not JSON (`Wasl:MalformedJson`).',
  401: 'No valid token: missing, malformed, expired or revoked (`Wasl:Unauthorized`); `WWW-Authenticate` says why.',
  403: 'The token is valid but lacks the `VoxaAPI` scope (`Wasl:Forbidden`).',
  404: 'Nothing with that id in this workspace (`Wasl:<Entity>:NotFound`).',
  409: 'The change conflicts with the current state: a duplicate, or something still in use (`error.code` says which).',
  413: 'The body is larger than the configured limit (`Wasl:PayloadTooLarge`).',
  415: 'The body is not `application/json` (`Wasl:UnsupportedMediaType`).',
  422: 'Well-formed, but it cannot be done in the current state (`error.code` says why).',
  429: "The workspace's request budget is spent (`Wasl:RateLimited`); retry after `Retry-After` seconds.",
  500: 'An unexpected error (`Wasl:InternalError`); the body says nothing internal. Quote `X-Request-Id` when reporting it.',
  502: 'A provider Wasl called on your behalf failed (`error.code` says which).',
  503: 'This node is shutting down (`Wasl:ShuttingDown`) or busy (`Wasl:Busy`, with `Retry-After`); retry, another node answers.',
};

/** One real error per status, rendered as the error handler renders it: the docs page's example bodies. */
const ID = '3a1a4cb7-e7c1-f045-127b-ad2297847528';
const SAMPLE: Partial<Record<ErrorStatus, AppError>> = {
  400: errors.invalidField('name', 'The Name field is required.'),
  401: errors.unauthorized('The access token has expired.'),
  403: errors.forbidden('The access token lacks the VoxaAPI scope.'),
  404: errors.notFound('Tag', ID),
  409: errors.tagNameTaken('VIP'),
  413: errors.tooLarge(1_048_576),
  415: errors.unsupportedMediaType('text/plain'),
  422: errors.noWebhookUrl(ID),
  429: errors.rateLimited(3000, 12),
  500: errors.internal(),
  503: errors.draining(),
};
const OAUTH_SAMPLE: Partial<Record<ErrorStatus, AppError>> = {
  ...SAMPLE,
  400: errors.badRequest('grant_type is required.'),
  401: errors.unauthorized('The client credentials are invalid or the client is disabled.'),
  429: errors.tooManyAuthFailures(60),
};

const header = (description: string, schema: object = { type: 'string' }) => ({ ...schema, description });
const REQUEST_ID = header('The request id, also in the server log; generated unless the request sent a sane one.');
const RETRY_AFTER = header('Seconds until a request will be accepted again.', { type: 'integer' });
const HEADERS: Partial<Record<ErrorStatus, Record<string, object>>> = {
  401: { 'WWW-Authenticate': header('`Bearer error="invalid_token", error_description="…"`.') },
  429: {
    'Retry-After': RETRY_AFTER,
    'X-RateLimit-Limit': header('Requests a minute this workspace may make.', { type: 'integer' }),
    'X-RateLimit-Remaining': header('Requests left in the current window.', { type: 'integer' }),
  },
  503: { 'Retry-After': header('Sent when the node is busy: seconds to wait.', { type: 'integer' }) },
};
const OAUTH_HEADERS: typeof HEADERS = {
  401: { 'WWW-Authenticate': header('`Basic realm="wasl"` when the client authenticated with HTTP Basic, else `Bearer realm="wasl"`.') },
  429: { 'Retry-After': RETRY_AFTER },
  503: HEADERS[503],
};

/** What `/connect/token` answers instead (RFC 6749 §5.2; `oauthError` of error-handler.ts). */
const OAUTH_MEANING: Partial<Record<ErrorStatus, string>> = {
  400: '`invalid_request`, `unsupported_grant_type` or `invalid_scope`.',
  401: '`invalid_client`: unknown client, wrong secret or a disabled account.',
  413: '`invalid_request`: the body is larger than the configured limit.',
  415: '`invalid_request`: send `application/x-www-form-urlencoded` or `application/json`.',
  429: '`slow_down`: too many failed attempts for this client or from this address; retry after `Retry-After` seconds.',
  500: '`server_error`: an unexpected error; quote `X-Request-Id` when reporting it.',
  503: '`temporarily_unavailable`: this node is shutting down; retry, another node answers.',
};

/** The OAuth 2.0 error body (RFC 6749 §5.2), the error schema of routes with `errorFormat: 'oauth'`. */
export const OAuthError = Type.Object(
  { error: Type.String({ examples: ['invalid_client'] }), error_description: Type.String() },
  { $id: 'OAuthError', description: 'RFC 6749 §5.2 error.' },
);

const example = (sample: AppError | undefined, oauth: boolean) => (sample ? { example: oauth ? oauthError(sample) : envelope(sample) } : {});

/** One error response in Fastify's content form: it serialises the body and documents the status. */
export function errorResponse(status: ErrorStatus, format: RouteEdge['errorFormat'] = 'envelope') {
  const oauth = format === 'oauth';
  return {
    description: (oauth && OAUTH_MEANING[status]) || MEANING[status],
    headers: { 'X-Request-Id': REQUEST_ID, ...(oauth ? OAUTH_HEADERS : HEADERS)[status] },
    content: {
      'application/json': {
        schema: { $ref: oauth ? 'OAuthError#' : 'ErrorEnvelope#' },
        ...example(oauth ? OAUTH_SAMPLE[status] : SAMPLE[status], oauth),
      },
    },
  };
}

/**
 * Installs the hook on the root instance, before any route of the API is registered, with the
 * error bodies as shared schemas (one component each in the document).
 */
export function documentRoutes(app: FastifyInstance, security: SecurityByAuth): void {
  for (const schema of [ErrorEnvelope, OAuthError]) app.addSchema(schema);
  app.addHook('onRoute', routeDocumenter(security));
}

interface RouteSchema {
  operationId?: string;
  hide?: boolean;
  tags?: string[];
  body?: unknown;
  querystring?: unknown;
  query?: unknown;
  params?: unknown;
  headers?: unknown;
  security?: SecurityRequirement[];
  response?: Record<string, unknown>;
}

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/**
 * The error statuses a route can answer, from its flags: 400 where it takes input (and 413/415
 * where it takes a body: the parser answers those before any handler), 401/403/429 for a
 * service-account token, 401 for the admin token, the route's own `config.errors`, and 500/503
 * everywhere (an unexpected error; a node that is shutting down).
 */
function impliedErrors(method: string, schema: RouteSchema, edge: Pick<RouteEdge, 'auth' | 'errors'>): ErrorStatus[] {
  const statuses = new Set<ErrorStatus>();
  const takesBody = schema.body !== undefined || BODY_METHODS.has(method);
  if (takesBody || schema.querystring || schema.query || schema.params || schema.headers) statuses.add(400);
  if (takesBody) for (const s of [413, 415] as const) statuses.add(s);
  if (edge.auth === 'bearer') for (const s of [401, 403, 429] as const) statuses.add(s);
  if (edge.auth === 'admin') statuses.add(401);
  for (const s of edge.errors ?? []) statuses.add(s);
  statuses.add(500).add(503);
  return [...statuses].sort((a, b) => a - b);
}

/** Routes the document leaves out (the docs page's own, `/openapi.json`): no contract to check. */
const isHidden = (schema: RouteSchema | undefined) => Boolean(schema?.hide || schema?.tags?.includes('X-HIDDEN'));

/**
 * The `onRoute` hook, one per app (it remembers the operationIds it has seen). Hidden routes and
 * the HEAD twins Fastify adds to GET routes are left alone.
 */
function routeDocumenter(security: SecurityByAuth) {
  const operationIds = new Map<string, string>();
  return function documentRoute(route: RouteOptions): void {
    const schema = route.schema as RouteSchema | undefined;
    if (route.method === 'HEAD' || isHidden(schema)) return;
    const methods = [route.method].flat();
    const where = `${methods.join(',')} ${route.url}`;
    if (methods.length !== 1) throw new Error(`${where}: a documented route has one method (one operation, one operationId).`);
    const method = methods[0]!;
    const config = route.config as Partial<RouteEdge> | undefined;
    if (!config?.auth) throw new Error(`${where}: declare config.auth ('bearer' | 'admin' | 'none'); hide it with schema.hide if it is not part of the API.`);
    const operationId = schema?.operationId;
    if (!schema || !operationId) throw new Error(`${where}: declare schema.operationId (camelCase, unique), e.g. listTags.`);
    const taken = operationIds.get(operationId);
    if (taken) throw new Error(`${where}: operationId ${operationId} is already used by ${taken}.`);
    operationIds.set(operationId, where);

    // A route may name its own (the person routes: the sign-in cookie only); otherwise its `auth` flag's.
    schema.security ??= security[config.auth];
    // What the route declares itself wins (e.g. /connect/token's own 400 and 401).
    const declared = schema.response ?? {};
    const added: Record<string, unknown> = {};
    for (const status of impliedErrors(method, schema, { auth: config.auth, errors: config.errors })) {
      if (!(status in declared)) added[status] = errorResponse(status, config.errorFormat);
    }
    schema.response = { ...declared, ...added };
  };
}
