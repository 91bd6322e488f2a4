import assert from 'node:assert/strict';
import { test } from 'node:test';
import { build, json } from '../../test/helpers/build.js';
import { createLogger } from '../lib/logger.js';

const h = await build();
// A route that fails like a bug would; added before the app is ready, like any route.
h.app.get('/test/boom', { config: { auth: 'none' }, schema: { hide: true } }, () => {
  throw new Error('connection string postgres://secret@db');
});
const limited = await build({ RATE_LIMIT_PER_MINUTE: '3' });

test('X-Request-Id: generated when absent, kept when sane, replaced when not', async () => {
  const fresh = await h.app.inject({ method: 'GET', url: '/health/live' });
  assert.match(String(fresh.headers['x-request-id']), /^[0-9a-f-]{36}$/);
  const given = await h.app.inject({ method: 'GET', url: '/health/live', headers: { 'x-request-id': 'abc-123' } });
  assert.equal(given.headers['x-request-id'], 'abc-123');
  const hostile = await h.app.inject({ method: 'GET', url: '/health/live', headers: { 'x-request-id': 'x\ny'.repeat(100) } });
  assert.match(String(hostile.headers['x-request-id']), /^[0-9a-f-]{36}$/);
  const error = await h.app.inject({ method: 'GET', url: '/nowhere', headers: { 'x-request-id': 'err-1' } });
  assert.equal(error.headers['x-request-id'], 'err-1', 'errors carry it too');
});

test('unknown routes, malformed JSON and unknown errors answer the ABP envelope', async () => {
  const ws = await h.workspace();
  const missing = await h.app.inject({ method: 'GET', url: '/v1/nothing-here?x=1' });
  assert.equal(missing.statusCode, 404);
  assert.deepEqual(json(missing), {
    error: { code: 'Wasl:RouteNotFound', message: 'No route matches GET /v1/nothing-here.', details: null, data: {}, validationErrors: null },
    message: 'No route matches GET /v1/nothing-here.',
  });
  const malformed = await ws.api('POST', '/v1/tags/service-account', '{"name":');
  assert.equal(malformed.statusCode, 400);
  assert.equal(json(malformed).error.code, 'Wasl:MalformedJson');
  const boom = await h.app.inject({ method: 'GET', url: '/test/boom' });
  assert.equal(boom.statusCode, 500);
  assert.equal(json(boom).error.code, 'Wasl:InternalError');
  assert.doesNotMatch(boom.body, /secret|postgres|Error:/, 'a 5xx says nothing internal');
});

test('rate limit per workspace: 429 with Retry-After and X-RateLimit-* headers', async () => {
  const a = await limited.workspace();
  const b = await limited.workspace();
  const statuses: number[] = [];
  let last;
  for (let i = 0; i < 4; i++) {
    last = await a.api('GET', '/v1/tags/service-account');
    statuses.push(last.statusCode);
  }
  assert.deepEqual(statuses, [200, 200, 200, 429]);
  assert.ok(Number(last!.headers['retry-after']) >= 1);
  assert.equal(last!.headers['x-ratelimit-limit'], '3');
  assert.equal(last!.headers['x-ratelimit-remaining'], '0');
  assert.equal(json(last!).error.code, 'Wasl:RateLimited');
  assert.equal((await b.api('GET', '/v1/tags/service-account')).statusCode, 200, 'another workspace has its own budget');
});

test('/metrics counts requests and latency by route in Prometheus format', async () => {
  const ws = await h.workspace();
  await ws.api('GET', '/v1/tags/service-account');
  const res = await h.app.inject({ method: 'GET', url: '/metrics' });
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /text\/plain/);
  assert.match(res.body, /wasl_http_requests_total\{method="GET",route="\/v1\/tags\/service-account",status="200"\} [1-9]/);
  assert.match(res.body, /wasl_http_request_duration_seconds_bucket\{le="0\.005",method="GET",route="\/v1\/tags\/service-account"/);
});

test('health: live and ready; draining makes ready 503 and refuses new requests', async () => {
  const node = await build();
  assert.deepEqual(json(await node.app.inject({ method: 'GET', url: '/health/live' })), { status: 'ok' });
  const ready = json(await node.app.inject({ method: 'GET', url: '/health/ready' }));
  assert.equal(ready.status, 'ok');
  assert.ok(['pglite', 'postgres'].includes(ready.store));
  node.app.markDraining();
  const draining = await node.app.inject({ method: 'GET', url: '/v1/tags/service-account' });
  assert.equal(draining.statusCode, 503);
  assert.equal(json(draining).error.code, 'Wasl:ShuttingDown');
  assert.equal(draining.headers.connection, 'close');
});

test('/openapi.json is OpenAPI 3.1 with every route, examples and the error envelope', async () => {
  const doc = json(await h.app.inject({ method: 'GET', url: '/openapi.json' }));
  assert.equal(doc.openapi, '3.1.0');
  const expected: [string, string][] = [
    ['post', '/connect/token'],
    ['get', '/.well-known/jwks.json'],
    ['get', '/.well-known/openid-configuration'],
    ['get', '/v1/tags/service-account'],
    ['post', '/v1/tags/service-account'],
    ['put', '/v1/tags/service-account/{id}'],
    ['delete', '/v1/tags/service-account/{id}'],
    ['get', '/v1/channels/service-account'],
    ['get', '/v1/workspaces/users'],
    ['post', '/admin/v1/workspaces'],
    ['get', '/admin/v1/workspaces'],
    ['post', '/admin/v1/workspaces/{workspaceId}/service-accounts'],
    ['post', '/admin/v1/service-accounts/{id}/rotate-secret'],
    ['post', '/admin/v1/service-accounts/{id}/disable'],
    ['post', '/admin/v1/workspaces/{workspaceId}/users'],
    ['post', '/admin/v1/workspaces/{workspaceId}/channels'],
    ['get', '/admin/v1/workspaces/{workspaceId}/channels'],
    ['patch', '/admin/v1/channels/{id}'],
    ['get', '/health/live'],
    ['get', '/health/ready'],
    ['get', '/metrics'],
  ];
  for (const [method, path] of expected) assert.ok(doc.paths[path]?.[method], `${method.toUpperCase()} ${path} is documented`);
  const createTag = doc.paths['/v1/tags/service-account'].post;
  assert.deepEqual(createTag.security, [{ oauth2: ['VoxaAPI'] }, { bearer: [] }, { signIn: [] }]);
  const example = JSON.stringify(createTag.requestBody.content['application/json']);
  assert.match(example, /"Name":"VIP"/, 'the spec example is shown');
  for (const status of ['400', '401', '403', '409', '429']) assert.ok(createTag.responses[status], `error ${status} is documented`);
  assert.ok(doc.components.securitySchemes.bearer);
  const listChannels = doc.paths['/v1/channels/service-account'].get;
  const type = listChannels.parameters.find((p: { name: string }) => p.name === 'type');
  assert.deepEqual(type.schema.enum, [1, 2, 3]);
  const itemRef = listChannels.responses['200'].content['application/json'].schema.properties.items.items.$ref;
  assert.equal(itemRef, '#/components/schemas/ChannelItem');
  assert.match(JSON.stringify(doc.components.schemas.ChannelItem.examples), /"phoneNumberId":"109876543210"/, 'responses carry examples too');
});

test('/docs serves the documentation page without the internet', async () => {
  const res = await h.app.inject({ method: 'GET', url: '/docs' });
  assert.equal(res.statusCode, 200);
  assert.match(res.body, /swagger-ui/i);
  assert.doesNotMatch(res.body, /https:\/\/(unpkg|cdn)/);
  const bundle = await h.app.inject({ method: 'GET', url: '/docs/static/swagger-ui-bundle.js' });
  assert.equal(bundle.statusCode, 200, 'its script is served locally');
});

test('logs are JSON with the request id, and never a secret or a token', async () => {
  const lines: string[] = [];
  const logger = createLogger('info', { write: (line: string) => void lines.push(line) });
  const node = await build({}, { logger });
  const ws = await node.workspace();
  await ws.api('GET', '/v1/tags/service-account', undefined, { 'x-request-id': 'trace-me-1' });
  const logged = lines.join('\n');
  assert.ok(lines.every((l) => JSON.parse(l)), 'every line is JSON');
  assert.ok(lines.some((l) => JSON.parse(l).reqId === 'trace-me-1'), 'the request id is on the request lines');
  assert.doesNotMatch(logged, new RegExp(ws.clientSecret.replace(/[-]/g, '\\-')), 'no client secret');
  assert.doesNotMatch(logged, new RegExp(ws.token.split('.')[2]!.slice(0, 40).replace(/[-]/g, '\\-')), 'no bearer token');
  assert.doesNotMatch(logged, /test-admin-token/, 'no admin token');
});
