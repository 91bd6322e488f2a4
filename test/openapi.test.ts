import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BaseResolver, createConfig, lintFromString, type NormalizedProblem } from '@redocly/openapi-core';
import { Ajv2020 } from 'ajv/dist/2020.js';
import Fastify from 'fastify';
import { Type } from 'typebox';
import { documentRoutes } from '../src/http/openapi.js';
import { defineWebhook } from '../src/http/webhook-docs.js';
import { openApiDocument, WEBHOOKS } from '../src/openapi.js';
import addFormatsModule from 'ajv-formats';
import { ADMIN_TOKEN, build, json } from './helpers/build.js';
import { startReceiver } from './helpers/receiver.js';
import { ORIGIN, signIn } from './helpers/people.js';

/**
 * The API document is a contract (issue 6 §8): the document the app serves lints clean with
 * Redocly's recommended rules, every operation declares its id, its security and the errors its
 * flags imply, the server answers only statuses the document declares, and the webhooks section
 * describes the bodies and headers Wasl really sends.
 */

const h = await build({ WEBHOOK_ALLOW_PRIVATE: 'true' });
await h.worker();
const served = await h.app.inject({ method: 'GET', url: '/openapi.json' });
const doc = json(served);

type Operation = {
  operationId?: string;
  summary?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  parameters?: { in: string; name: string; required?: boolean; schema?: { format?: string } }[];
  requestBody?: unknown;
  responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }>; headers?: Record<string, unknown> }>;
};
const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;
const operations: { method: string; path: string; op: Operation }[] = Object.entries(doc.paths as Record<string, Record<string, Operation>>).flatMap(
  ([path, item]) => METHODS.filter((m) => item[m]).map((method) => ({ method, path, op: item[method]! })),
);

// The whole document as one schema resource, so `#/components/schemas/…` references resolve.
const ROOT = 'https://wasl.invalid/openapi.json';
const ajv = new Ajv2020({ strict: false, allErrors: true });
// ajv-formats is CommonJS; its default export arrives one level down under NodeNext.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (a: Ajv2020) => Ajv2020;
addFormats(ajv);
ajv.addSchema({ ...doc, $id: ROOT });
const validate = (name: string, value: unknown) => {
  const check = ajv.getSchema(`${ROOT}#/components/schemas/${name}`)!;
  assert.ok(check(value), `${name}: ${JSON.stringify(check.errors)}`);
};

test('registration refuses a documented route without operationId or config.auth, or with a taken operationId', async () => {
  const app = Fastify();
  documentRoutes(app, { bearer: [], admin: [], none: [] });
  assert.throws(() => app.get('/a', { config: { auth: 'none' }, schema: { summary: 'A' } }, () => 'a'), /GET \/a: declare schema.operationId/);
  assert.throws(() => app.get('/b', { schema: { operationId: 'getB' } }, () => 'b'), /GET \/b: declare config.auth/);
  app.get('/c', { config: { auth: 'none' }, schema: { operationId: 'same' } }, () => 'c');
  assert.throws(() => app.post('/d', { config: { auth: 'none' }, schema: { operationId: 'same' } }, () => 'd'), /operationId same is already used by GET \/c/);
  app.get('/hidden', { schema: { hide: true } }, () => 'not in the document');
  await app.ready();
  await app.close();
});

/**
 * Rules of the recommended set switched off here, each for a stated reason; anything else the
 * linter reports, error or warning, fails the test.
 */
const OFF = {
  // Wasl has not chosen a licence yet (package.json is private, no LICENSE file): the document
  // must not claim one. Turn these back on when the project has one.
  'info-license': 'off',
  'info-license-strict': 'off',
  // Hatif's own paths: `/v2/conversations/service-account/channels/{channelId}` beside
  // `…/{id}/assign`. `{id}` is a UUID (format-checked), so "channels" never matches it.
  'no-ambiguous-paths': 'off',
} as const;

test('the served document lints clean: Redocly recommended rules, offline', async () => {
  assert.equal(served.statusCode, 200);
  const config = await createConfig({
    extends: ['recommended'],
    rules: {
      ...OFF,
      // Stricter than recommended: every tag an operation uses is declared, with its description.
      'operation-tag-defined': 'error',
    },
  });
  // Nothing may be fetched: the document has no external $ref, and a fetch would fail the test.
  const offline = new BaseResolver({
    http: {
      headers: [],
      customFetch: (url: string) => {
        throw new Error(`the linter tried to fetch ${url}`);
      },
    },
  });
  const problems = await lintFromString({ source: served.body, absoluteRef: '/openapi.json', config, externalRefResolver: offline });
  const excused = problems.filter(isExcused);
  assert.deepEqual(problems.filter((p) => !excused.includes(p)).map(describe), [], 'no errors and no warnings');
  // The excuses stay narrow: only the operations and examples they were written for.
  for (const p of excused) assert.match(String(p.location[0]?.pointer), /~1(health|metrics|\.well-known)|~1v1~1tags~1|~1v1~1contacts|~1v2~1conversations|~1v1~1conversations|~1v1~1whatsapp/, describe(p));
});

const describe = (p: NormalizedProblem) => `${p.severity} ${p.ruleId} at ${p.location[0]?.pointer ?? '?'}: ${p.message}`;

/** The node a Redocly location points at (`#/paths/~1v1~1tags/post/...`). */
function at(pointer: string): unknown {
  return pointer
    .replace(/^#\//, '')
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>((node, token) => (node as Record<string, unknown> | undefined)?.[token], doc);
}

/**
 * Warnings excused, each for a reason the test checks rather than trusts:
 * - `operation-4xx-response` on an operation that is public and takes no input (health, metrics,
 *   JWKS): nothing a client sends can make it answer 4xx; its 5xx are declared.
 * - `no-invalid-media-type-examples` where the example validates once its names are folded to the
 *   schema's spelling: request names are case-insensitive (http/casing.ts folds them before
 *   validation), and the examples keep Hatif's own PascalCase so integrators see what they send.
 */
function isExcused(p: NormalizedProblem): boolean {
  const pointer = p.location[0]?.pointer ?? '';
  if (p.ruleId === 'operation-4xx-response') {
    const op = at(pointer.replace(/\/responses$/, '')) as Operation;
    return JSON.stringify(op.security) === '[]' && !op.parameters?.length && op.requestBody === undefined;
  }
  if (p.ruleId === 'no-invalid-media-type-examples') {
    const media = pointer.slice(0, pointer.indexOf('/example'));
    const { example, schema } = at(media) as { example: unknown; schema: Schema };
    const strict = ajv.compile({ $ref: `${ROOT}${media}/schema`, unevaluatedProperties: false });
    return !strict(example) && strict(fold(example, schema));
  }
  return false;
}

type Schema = { properties?: Record<string, Schema>; items?: Schema };
/** The example as the request normaliser would pass it on: each name in the schema's spelling, at every depth. */
function fold(value: unknown, schema: Schema | undefined): unknown {
  if (Array.isArray(value)) return value.map((item) => fold(item, schema?.items));
  if (!value || typeof value !== 'object' || !schema?.properties) return value;
  const names = new Map(Object.keys(schema.properties).map((k) => [k.toLowerCase(), k]));
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => {
      const name = names.get(key.toLowerCase()) ?? key;
      return [name, fold(v, schema.properties![name])];
    }),
  );
}

test('every operation has a unique operationId, a summary, a tag and a security declaration', () => {
  assert.ok(operations.length >= 25, `the API is documented (${operations.length} operations)`);
  const ids = operations.map(({ op }) => op.operationId);
  for (const { method, path, op } of operations) {
    const where = `${method.toUpperCase()} ${path}`;
    assert.match(String(op.operationId), /^[a-z][A-Za-z0-9]+$/, `${where}: camelCase operationId`);
    assert.ok(op.summary, `${where}: summary`);
    assert.equal(op.tags?.length, 1, `${where}: one tag`);
    assert.ok(Array.isArray(op.security), `${where}: security is declared (an empty list for public routes)`);
  }
  assert.equal(new Set(ids).size, ids.length, 'operationIds are unique');
});

/** `auth` as the document states it: the bearer routes offer both forms of the service-account token; a person's own routes the sign-in cookie. */
function authOf(op: Operation): 'bearer' | 'admin' | 'person' | 'none' {
  const schemes = JSON.stringify(op.security);
  if (schemes === '[{"oauth2":["VoxaAPI"]},{"bearer":[]},{"signIn":[]}]') return 'bearer';
  if (schemes === '[{"adminToken":[]}]') return 'admin';
  if (schemes === '[{"signIn":[]}]') return 'person';
  if (schemes === '[{},{"signIn":[]}]') return 'none'; // sign-out: the cookie when there is one
  assert.equal(schemes, '[]', `unknown security ${schemes}`);
  return 'none';
}

test('security follows config.auth: Hatif routes take the OAuth2 client credentials, admin routes the admin token', () => {
  const byAuth = (auth: string) => operations.filter(({ op }) => authOf(op) === auth).map(({ method, path }) => `${method} ${path}`);
  assert.ok(byAuth('bearer').includes('post /v1/tags/service-account'));
  assert.ok(byAuth('bearer').includes('get /v1/channels/service-account'));
  assert.ok(byAuth('admin').includes('post /admin/v1/workspaces'));
  assert.ok(byAuth('none').includes('post /connect/token'));
  assert.ok(byAuth('none').includes('get /health/live'));
  for (const route of byAuth('bearer')) assert.match(route, /^\w+ \/v\d\//, `${route}: only the Hatif API takes the service-account token`);
  for (const route of byAuth('admin')) assert.match(route, /^\w+ \/admin\/v1\//, `${route}: only the admin API takes the admin token`);
  assert.ok(byAuth('person').includes('get /v1/auth/me'), "a person's own routes say they take the sign-in cookie");
  for (const route of byAuth('person')) assert.match(route, /^\w+ \/v1\/auth\//, `${route}: only the person routes take the cookie alone`);

  const schemes = doc.components.securitySchemes;
  assert.deepEqual(schemes.oauth2.flows, { clientCredentials: { tokenUrl: '/connect/token', scopes: { VoxaAPI: 'Access Voxa API as a service account' } } });
  assert.equal(schemes.adminToken.scheme, 'bearer');
  assert.deepEqual([schemes.signIn.in, schemes.signIn.name], ['cookie', 'wasl_session'], "a person's sign-in cookie");
  assert.deepEqual(doc.servers.map((s: { url: string }) => s.url), ['/'], 'relative: the docs page calls the host that served it');
});

// config.errors (404, 409, 422…) is not in the document: the next test checks those by calling each operation.
test('every operation declares the error statuses its flags imply, each with the envelope and a description', () => {
  for (const { method, path, op } of operations) {
    const where = `${method.toUpperCase()} ${path}`;
    const auth = authOf(op);
    const statuses = Object.keys(op.responses);
    assert.ok(!statuses.some((s) => /X/i.test(s)), `${where}: statuses are declared one by one, not as ranges (${statuses})`);
    const expected = [500, 503];
    const takesBody = op.requestBody !== undefined || ['post', 'put', 'patch'].includes(method);
    if (takesBody || op.parameters?.length) expected.push(400);
    if (takesBody) expected.push(413, 415);
    if (auth === 'bearer') expected.push(401, 403, 429);
    if (auth === 'admin') expected.push(401);
    const oauth = path === '/connect/token';
    for (const status of expected) {
      const response = op.responses[status];
      assert.ok(response, `${where}: declares ${status}`);
      const expectedRef = oauth ? '#/components/schemas/OAuthError' : '#/components/schemas/ErrorEnvelope';
      const schema = response.content?.['application/json']?.schema as { $ref?: string; anyOf?: { $ref?: string }[] } | undefined;
      // The readiness probe's 503 is its own `{status}` body or, when draining, the envelope.
      const refs = [schema?.$ref, ...(schema?.anyOf ?? []).map((s) => s.$ref)];
      assert.ok(refs.includes(expectedRef), `${where} ${status}: error schema ${expectedRef} (${JSON.stringify(schema)})`);
      if (!schema?.anyOf) assert.ok(response.headers?.['X-Request-Id'], `${where} ${status}: X-Request-Id`);
    }
    if (auth === 'bearer') assert.ok(op.responses[429]!.headers?.['Retry-After'], `${where}: 429 says Retry-After`);
  }
  const token = doc.paths['/connect/token'].post as Operation;
  assert.deepEqual(token.responses[401]!.content!['application/json']!.schema, { $ref: '#/components/schemas/OAuthError' });
});

/** A value for a path parameter: an id that names nothing. */
const fill = (path: string) => path.replace(/\{[^}]+\}/g, '0195f7c1-5b0e-7000-8000-3a1a4cb7e7c1');

test('what the server answers is declared: every operation, called bare with a stranger id, answers a documented status', async () => {
  const ws = await h.workspace();
  const person = await signIn(h, ws.id);
  const headers = { none: {}, admin: { authorization: `Bearer ${ADMIN_TOKEN}` }, bearer: { authorization: `Bearer ${ws.token}` }, person: { cookie: `wasl_session=${person.token}`, origin: ORIGIN } };
  const undeclared: string[] = [];
  for (const { method, path, op } of operations) {
    const auth = authOf(op);
    const takesBody = op.requestBody !== undefined;
    const calls: { why: string; headers: Record<string, string>; payload?: object }[] = [
      { why: 'authorised', headers: headers[auth] },
      ...(takesBody ? [{ why: 'authorised, body {}', headers: headers[auth], payload: {} }] : []),
      ...(auth === 'none' ? [] : [{ why: 'no token', headers: {} }]),
      ...(auth === 'bearer' ? [{ why: 'the admin token', headers: headers.admin }] : []),
    ];
    for (const call of calls) {
      const res = await h.app.inject({ method: method.toUpperCase() as 'GET', url: fill(path), headers: call.headers, ...(call.payload ? { payload: call.payload } : {}) });
      if (!(String(res.statusCode) in op.responses)) undeclared.push(`${method.toUpperCase()} ${path} (${call.why}) → ${res.statusCode} ${res.body.slice(0, 120)}`);
    }
  }
  assert.deepEqual(undeclared, []);
});

test('webhooks: a feature adds its webhook by one line, and the workspace envelope lists it', async () => {
  const assigned = defineWebhook({
    name: 'CallCompleted',
    operationId: 'callCompletedWebhook',
    summary: 'A call ended',
    description: 'Sent to the workspace events URL.',
    payload: Type.Object({ callId: Type.String({ format: 'uuid' }), callLength: Type.Union([Type.String(), Type.Null()]) }),
  });
  const frame = openApiDocument([...WEBHOOKS, assigned]);
  const names = WEBHOOKS.map((w) => w.name);
  assert.deepEqual(Object.keys(frame.webhooks), [...names, 'CallCompleted', 'WorkspaceEvent']);
  const envelope = frame.components.schemas.WorkspaceEventWebhook as { properties: { eventType: unknown; data: { anyOf: unknown[] } } };
  assert.deepEqual(
    envelope.properties.data.anyOf,
    [...names.filter((n) => n !== 'Test'), 'CallCompleted'].map((n) => ({ $ref: `#/components/schemas/${n}Webhook` })),
    'Test is not sent to the events URL',
  );
  const check = new Ajv2020({ strict: false }).compile({ ...envelope.properties.eventType as object });
  assert.ok(check('CallCompleted') && !check('Test'));
  const config = await createConfig({ extends: ['recommended'], rules: OFF });
  const problems = await lintFromString({ source: JSON.stringify({ ...frame, paths: {} }), absoluteRef: '/frame.json', config });
  // The frame alone has no operations to use the security schemes.
  const unusedSchemes = (p: NormalizedProblem) => p.ruleId === 'no-unused-components' && /securitySchemes/.test(String(p.location[0]?.pointer));
  assert.deepEqual(problems.filter((p) => !unusedSchemes(p)).map(describe), []);
});

const pointer = (path: string, method: string) => `${ROOT}#/paths/${path.replace(/~/g, '~0').replace(/\//g, '~1')}/${method}`;

test('the docs page is Wasl’s, authorizes with client credentials, and loads nothing from elsewhere', async () => {
  const page = await h.app.inject({ method: 'GET', url: '/docs' });
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /<title>Wasl API<\/title>/);
  const assets = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
  assert.ok(assets.length >= 5, 'scripts, styles and the icon');
  for (const asset of assets) {
    assert.doesNotMatch(asset, /^(https?:)?\/\//, `${asset} is served here`);
    const url = asset.startsWith('/') ? asset : `/docs/${asset.replace(/^\.\//, '')}`;
    assert.equal((await h.app.inject({ method: 'GET', url })).statusCode, 200, `${url} is served`);
  }
  assert.ok(assets.some((a) => a.endsWith('/theme/favicon.svg')), "Wasl's icon");
  const init = (await h.app.inject({ method: 'GET', url: '/docs/static/swagger-initializer.js' })).body;
  assert.match(init, /validatorUrl: null/, 'no badge from the public validator');
  assert.match(init, /data:image\/svg\+xml;base64,/, "Wasl's logo, inline");
  assert.match(Buffer.from(/base64,([A-Za-z0-9+/=]+)/.exec(init)![1]!, 'base64').toString(), /aria-label="Wasl"/);
  assert.match(init, /"scopes":\["VoxaAPI"\]/, 'Authorize ticks the VoxaAPI scope');
  assert.doesNotMatch(init.replace(/https:\/\/stackoverflow\.com\S*/, ''), /https?:\/\//, 'no other URL');
  assert.deepEqual(json(await h.app.inject({ method: 'GET', url: '/docs/json' })), doc, 'the page shows the served document');
  assert.equal(doc.info.title, 'Wasl API');
});

test('the token URL the docs page uses works as Authorize sends it: HTTP Basic, form body, scope VoxaAPI', async () => {
  const ws = await h.workspace();
  const basic = Buffer.from(`${encodeURIComponent(ws.clientId)}:${encodeURIComponent(ws.clientSecret)}`).toString('base64');
  const tokenUrl = doc.components.securitySchemes.oauth2.flows.clientCredentials.tokenUrl;
  const res = await h.app.inject({
    method: 'POST',
    url: tokenUrl,
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    payload: 'grant_type=client_credentials&scope=VoxaAPI',
  });
  assert.equal(res.statusCode, 200, res.body);
  const listed = await h.app.inject({ method: 'GET', url: '/v1/tags/service-account', headers: { authorization: `Bearer ${json(res).access_token}` } });
  assert.equal(listed.statusCode, 200);
});

test('webhooks: the Test event Wasl sends matches its schema and carries the documented signature headers', async () => {
  const webhook = doc.webhooks.Test.post;
  assert.equal(webhook.operationId, 'testWebhook');
  const documented = webhook.parameters.map((p: { name: string }) => p.name.toLowerCase());
  assert.deepEqual(documented, ['webhook-id', 'webhook-timestamp', 'webhook-signature', 'x-voxa-signature', 'x-voxa-signature-previous']);
  assert.equal(webhook.requestBody.content['application/json'].schema.$ref, '#/components/schemas/TestWebhook');

  const receiver = await startReceiver();
  const ws = await h.workspace();
  const channel = json(await h.admin('POST', `/admin/v1/workspaces/${ws.id}/channels`, { name: 'Hooks', type: 3, whatsAppWebhookUrl: receiver.url(), webhookSecret: 'a-plain-text-secret-0123' }));
  assert.equal((await h.admin('POST', `/admin/v1/channels/${channel.id}/webhooks/test`)).statusCode, 202);
  const [got] = await receiver.waitFor(1);
  validate('TestWebhook', JSON.parse(got!.body));
  const sent = Object.keys(got!.headers).filter((k) => k.startsWith('webhook-') || k.startsWith('x-voxa-'));
  assert.deepEqual(sent.sort(), ['webhook-id', 'webhook-signature', 'webhook-timestamp', 'x-voxa-signature'], 'every signature header sent is documented');
  assert.ok(sent.every((k) => documented.includes(k)));
});

test('webhooks: the workspace events envelope matches what the events URL receives', async () => {
  assert.equal(doc.webhooks.WorkspaceEvent.post.requestBody.content['application/json'].schema.$ref, '#/components/schemas/WorkspaceEventWebhook');
  const receiver = await startReceiver();
  const ws = await h.workspace();
  assert.equal((await h.admin('PATCH', `/admin/v1/workspaces/${ws.id}`, { eventsWebhookUrl: receiver.url('/events') })).statusCode, 200);
  // A real event: creating a contact sends ContactCreated to the events URL.
  const contact = await ws.api('POST', '/v1/contacts', { name: 'Envelope', phoneNumber: '+966500000777' });
  assert.equal(contact.statusCode, 200, contact.body);
  const [got] = await receiver.waitFor(1);
  const body = JSON.parse(got!.body);
  assert.deepEqual(body, { eventType: 'ContactCreated', data: JSON.parse(contact.body) });
  validate('WorkspaceEventWebhook', body);
});

test('a draining node answers every operation 503, with the body its document declares', async () => {
  // Last in this file: from here on the app refuses everything.
  h.app.markDraining();
  for (const { method, path, op } of operations) {
    const where = `${method.toUpperCase()} ${path}`;
    const res = await h.app.inject({ method: method.toUpperCase() as 'GET', url: fill(path) });
    assert.equal(res.statusCode, 503, `${where}: ${res.body}`);
    assert.ok(op.responses[503], `${where}: 503 is declared`);
    const check = ajv.getSchema(`${pointer(path, method)}/responses/503/content/application~1json/schema`)!;
    assert.ok(check(JSON.parse(res.body)), `${where}: ${res.body} ${JSON.stringify(check.errors)}`);
  }
});
