import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import { systemClock } from '../../lib/clock.js';
import { ProviderError, WebhookSignatureError } from '../errors.js';
import { createOutboundHttp } from '../http/outbound.js';
import type { WhatsAppChannelSettings } from '../settings.js';
import { createCloudApiWhatsApp } from './cloud-api.js';
import { metaSignature } from './meta.js';
import { startFakeGraph } from '../../../test/helpers/fake-graph.js';

/**
 * A fake Graph API on 127.0.0.1 speaking Meta's wire format: GET /{version}/{phone-number-id}
 * answers the number's fields for the right bearer token, and Meta's error envelope otherwise.
 */
async function fakeGraph(t: TestContext, answer?: (url: string, res: ServerResponse) => boolean) {
  const seen: { method: string; url: string; headers: IncomingHttpHeaders }[] = [];
  let connections = 0;
  const server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    res.setHeader('content-type', 'application/json');
    if (answer?.(req.url ?? '', res)) return;
    if (req.headers.authorization !== 'Bearer EAAG-good-token') {
      res.writeHead(401).end(JSON.stringify({ error: { message: 'Invalid OAuth access token.', type: 'OAuthException', code: 190, fbtrace_id: 'A1' } }));
      return;
    }
    const match = /^\/v21\.0\/(\d+)\?fields=/.exec(req.url ?? '');
    if (!match) return void res.writeHead(404).end(JSON.stringify({ error: { message: 'Unknown path', code: 803 } }));
    res.end(JSON.stringify({ id: match[1], display_phone_number: '+966 50 011 1222', verified_name: 'Acme', quality_rating: 'GREEN' }));
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const { port } = server.address() as AddressInfo;
  return { base: `http://127.0.0.1:${port}/v21.0`, port, seen, connections: () => connections };
}

function adapter(t: TestContext, settings: Partial<WhatsAppChannelSettings>, http = createOutboundHttp({ allowPrivate: true })) {
  t.after(() => http.close());
  const full: WhatsAppChannelSettings = { provider: 'cloud', accountId: 'acc', phoneNumberId: '109876543210', accessToken: 'EAAG-good-token', ...settings };
  return createCloudApiWhatsApp(full, { channelId: 'ch-1', phoneNumber: '+966500111222', http, clock: systemClock });
}

const rejectsWith = (promise: Promise<unknown>, expected: Partial<ProviderError>) =>
  assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof ProviderError, String(err));
    for (const [key, value] of Object.entries(expected)) assert.deepEqual(err[key as keyof ProviderError], value, key);
    return true;
  });

test('describeNumber: GET {graphBaseUrl}/{phoneNumberId} with the bearer token, answer mapped', async (t) => {
  const graph = await fakeGraph(t);
  const info = await adapter(t, { graphBaseUrl: `${graph.base}/` }).describeNumber();
  assert.deepEqual(info, { phoneNumberId: '109876543210', displayPhoneNumber: '+966 50 011 1222', verifiedName: 'Acme', qualityRating: 'GREEN' });
  assert.equal(graph.seen.length, 1);
  assert.equal(graph.seen[0]?.method, 'GET');
  assert.equal(graph.seen[0]?.url, '/v21.0/109876543210?fields=display_phone_number,verified_name,quality_rating');
  assert.equal(graph.seen[0]?.headers.authorization, 'Bearer EAAG-good-token');
  assert.equal(graph.seen[0]?.headers['user-agent'], 'Wasl/1.0');
});

test("Meta's error envelope becomes a ProviderError with its code, reason and retry advice", async (t) => {
  const answers: Record<string, [number, string]> = {
    '429': [400, JSON.stringify({ error: { message: 'Rate limit hit', code: 130429 } })],
    '500': [503, '<html>down</html>'],
    '204': [200, 'not json'],
  };
  const graph = await fakeGraph(t, (url, res) => {
    const answer = answers[url.slice('/v21.0/'.length, '/v21.0/'.length + 3)];
    if (answer) res.writeHead(answer[0]).end(answer[1]);
    return Boolean(answer);
  });
  await rejectsWith(adapter(t, { graphBaseUrl: graph.base, accessToken: 'EAAG-revoked' }).describeNumber(), { provider: 'whatsapp/cloud', code: 190, reason: 'Invalid OAuth access token.', retry: 'never' });
  await rejectsWith(adapter(t, { graphBaseUrl: graph.base, phoneNumberId: '429' }).describeNumber(), { code: 130429, retry: 'throttled', retryAfterMs: 60_000 });
  await rejectsWith(adapter(t, { graphBaseUrl: graph.base, phoneNumberId: '500' }).describeNumber(), { code: 'http_503', retry: 'later' });
  await rejectsWith(adapter(t, { graphBaseUrl: graph.base, phoneNumberId: '204' }).describeNumber(), { code: 'http_200', retry: 'later' });
  await rejectsWith(adapter(t, { graphBaseUrl: graph.base, accessToken: undefined }).describeNumber(), { code: 'no_credentials', retry: 'never' });
});

test('at use, a graphBaseUrl that points inside is refused by the outbound client: nothing reaches it', async (t) => {
  const graph = await fakeGraph(t);
  const guarded = createOutboundHttp({ allowPrivate: false });
  await rejectsWith(adapter(t, { graphBaseUrl: graph.base }, guarded).describeNumber(), { code: 'url_refused', retry: 'never', reason: 'whatsApp.graphBaseUrl host 127.0.0.1 is a loopback address (127.0.0.0/8).' });
  // A name that passed at registration and now resolves to the metadata address (DNS rebinding).
  const rebinding = createOutboundHttp({ allowPrivate: false, lookup: async () => ['169.254.169.254'] });
  await rejectsWith(adapter(t, { graphBaseUrl: `http://graph.example.test:${graph.port}/v21.0` }, rebinding).describeNumber(), {
    code: 'url_refused',
    reason: 'whatsApp.graphBaseUrl host graph.example.test resolves to 169.254.169.254, a cloud metadata address (169.254.169.254/32).',
  });
  assert.equal(graph.connections(), 0);
});

test('parseWebhook checks X-Hub-Signature-256 over the raw bytes with the app secret before reading anything', (t) => {
  const cloud = adapter(t, { appSecret: 'meta-app-secret' });
  const payload = {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: 'WABA',
        changes: [
          {
            field: 'messages',
            value: {
              contacts: [{ wa_id: '966500000001', profile: { name: 'Sara' } }],
              messages: [{ from: '966500000001', id: 'wamid.IN1', timestamp: '1767225600', type: 'text', text: { body: 'مرحبا' }, context: { id: 'wamid.OUT0' } }],
              statuses: [{ id: 'wamid.OUT1', status: 'failed', timestamp: '1767225601', recipient_id: '966500000002', errors: [{ code: 131026, title: 'Undeliverable', error_data: { details: 'Message undeliverable' } }] }],
            },
          },
        ],
      },
    ],
  };
  const raw = Buffer.from(JSON.stringify(payload, null, 1));
  const batch = cloud.parseWebhook(raw, metaSignature(raw, 'meta-app-secret'));
  assert.deepEqual(batch.messages.map(({ raw: _, ...m }) => m), [
    { messageId: 'wamid.IN1', from: '966500000001', userId: null, profileName: 'Sara', timestamp: new Date('2026-01-01T00:00:00Z'), type: 'text', text: 'مرحبا', replyTo: 'wamid.OUT0' },
  ]);
  assert.deepEqual(batch.statuses, [
    { messageId: 'wamid.OUT1', recipient: '966500000002', status: 'failed', timestamp: new Date('2026-01-01T00:00:01Z'), billable: null, error: { code: 131026, reason: 'Message undeliverable' } },
  ]);

  const reserialised = Buffer.from(JSON.stringify(payload));
  const sha1 = `sha1=${'0'.repeat(40)}`;
  for (const [name, body, signature] of [
    ['wrong secret', raw, metaSignature(raw, 'another-secret')],
    ['missing', raw, undefined],
    ['sha1 only', raw, sha1],
    ['body re-serialised', reserialised, metaSignature(raw, 'meta-app-secret')],
    ['empty', raw, ''],
  ] as const) {
    assert.throws(() => cloud.parseWebhook(body, signature), WebhookSignatureError, name);
  }
  assert.throws(() => adapter(t, { appSecret: undefined }).parseWebhook(raw, metaSignature(raw, '')), WebhookSignatureError, 'no app secret: nothing verifies');
});

test('verifySubscription echoes the challenge only for the channel verify token', (t) => {
  const cloud = adapter(t, { verifyToken: 'verify-me' });
  assert.equal(cloud.verifySubscription({ mode: 'subscribe', verifyToken: 'verify-me', challenge: '1158201444' }), '1158201444');
  assert.equal(cloud.verifySubscription({ mode: 'subscribe', verifyToken: 'verify-mE', challenge: 'x' }), null);
  assert.equal(cloud.verifySubscription({ mode: 'unsubscribe', verifyToken: 'verify-me', challenge: 'x' }), null);
  assert.equal(adapter(t, { verifyToken: undefined }).verifySubscription({ mode: 'subscribe', verifyToken: '', challenge: 'x' }), null);
});

test('sendTemplate, sendMedia, markRead: Meta\'s message shapes (button payloads, document filenames, no caption on audio)', async (t) => {
  const graph = await startFakeGraph();
  t.after(() => graph.close());
  const wa = adapter(t, { graphBaseUrl: graph.baseUrl });
  const sent = await wa.sendTemplate({
    to: '+966500111222',
    name: 'invoice_delivery',
    language: 'ar',
    components: [
      { type: 'header', values: [{ type: 'document', link: 'https://cdn.example.com/inv.pdf', filename: 'Invoice-001.pdf' }] },
      { type: 'body', values: [{ type: 'text', text: 'Ahmed' }, { type: 'text', text: '1,250.00 SAR' }] },
      { type: 'button', subType: 'url', index: 0, values: [{ type: 'text', text: 'INV-2026-001' }] },
      { type: 'button', subType: 'quick_reply', index: 1, values: [{ type: 'text', text: 'paid_INV001' }] },
    ],
  });
  assert.match(sent.messageId, /^wamid\.FAKE/);
  assert.deepEqual(graph.requests[0]?.body, {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to: '966500111222',
    type: 'template',
    template: {
      name: 'invoice_delivery',
      language: { code: 'ar' },
      components: [
        { type: 'header', parameters: [{ type: 'document', document: { link: 'https://cdn.example.com/inv.pdf', filename: 'Invoice-001.pdf' } }] },
        { type: 'body', parameters: [{ type: 'text', text: 'Ahmed' }, { type: 'text', text: '1,250.00 SAR' }] },
        { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: 'INV-2026-001' }] },
        { type: 'button', sub_type: 'quick_reply', index: '1', parameters: [{ type: 'payload', payload: 'paid_INV001' }] },
      ],
    },
  });
  await wa.sendMedia({ to: '966500111222', kind: 'document', link: 'https://files.example.com/a.pdf', caption: 'Your invoice', filename: 'a.pdf', replyTo: 'wamid.IN1' });
  await wa.sendMedia({ to: '966500111222', kind: 'audio', link: 'https://files.example.com/a.ogg', caption: 'ignored', filename: 'ignored.ogg' });
  assert.deepEqual(
    graph.requests.slice(1).map((r) => r.body),
    [
      { messaging_product: 'whatsapp', recipient_type: 'individual', to: '966500111222', type: 'document', document: { link: 'https://files.example.com/a.pdf', caption: 'Your invoice', filename: 'a.pdf' }, context: { message_id: 'wamid.IN1' } },
      { messaging_product: 'whatsapp', recipient_type: 'individual', to: '966500111222', type: 'audio', audio: { link: 'https://files.example.com/a.ogg' } },
    ],
  );
  await wa.markRead('wamid.IN9');
  assert.deepEqual(graph.requests.at(-1)?.body, { messaging_product: 'whatsapp', status: 'read', message_id: 'wamid.IN9' });
  assert.equal(graph.requests.at(-1)?.path, '109876543210/messages');
});

test('fetchTemplates follows Meta\'s cursor through every page; no business account id → permanent error', async (t) => {
  const templates = Array.from({ length: 230 }, (_, i) => ({ name: `t_${i}`, language: i % 2 ? 'ar' : 'en_US', status: 'APPROVED', category: 'UTILITY', components: [{ type: 'BODY', text: `Hi {{1}} #${i}` }] }));
  const graph = await startFakeGraph({ templates });
  t.after(() => graph.close());
  const got = await adapter(t, { graphBaseUrl: graph.baseUrl, businessAccountId: '555000' }).fetchTemplates();
  assert.equal(got.length, 230);
  assert.deepEqual(got[229], { name: 't_229', language: 'ar', status: 'APPROVED', category: 'UTILITY', components: [{ type: 'BODY', text: 'Hi {{1}} #229' }] });
  assert.deepEqual(graph.requests.map((r) => r.path.replace(/\?.*/, '')), ['555000/message_templates', '555000/message_templates', '555000/message_templates']);
  assert.match(graph.requests[1]!.path, /after=100/);
  await rejectsWith(adapter(t, { graphBaseUrl: graph.baseUrl }).fetchTemplates(), { code: 'no_business_account', retry: 'never' });
  assert.equal(graph.requests.length, 3);
});

test('downloadMedia: GET /{media-id}, then the file with the same token; over the limit → refused before or while reading', async (t) => {
  const bytes = Buffer.alloc(5000, 7);
  const graph = await startFakeGraph({ media: { '7001': { bytes, mimeType: 'image/jpeg' } } });
  t.after(() => graph.close());
  const wa = adapter(t, { graphBaseUrl: graph.baseUrl });
  const file = await wa.downloadMedia('7001', { maxBytes: 10_000 });
  assert.equal(file.mimeType, 'image/jpeg');
  assert.ok(file.bytes.equals(bytes));
  assert.deepEqual(graph.requests.map((r) => [r.path, r.headers.authorization]), [['7001', 'Bearer EAAG-good-token'], ['/media-files/7001', 'Bearer EAAG-good-token']]);
  await rejectsWith(wa.downloadMedia('7001', { maxBytes: 4000 }), { code: 'too_large', retry: 'never' });
  await rejectsWith(wa.downloadMedia('404404', { maxBytes: 4000 }), { code: 100, retry: 'never' });
});

test('sendText: POST {graphBaseUrl}/{phoneNumberId}/messages in Meta\'s shape; the wamid back; errors mapped to retry advice', async (t) => {
  const bodies: unknown[] = [];
  let reply: [number, object] = [200, {}];
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk) => (raw += chunk));
    req.on('end', () => {
      bodies.push({ method: req.method, url: req.url, auth: req.headers.authorization, body: JSON.parse(raw || 'null') });
      res.setHeader('content-type', 'application/json');
      res.writeHead(reply[0]).end(JSON.stringify(reply[1]));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v21.0`;
  const wa = adapter(t, { graphBaseUrl: base });

  reply = [200, { messaging_product: 'whatsapp', contacts: [{ input: '966500111222', wa_id: '966500111222' }], messages: [{ id: 'wamid.HBgM123' }] }];
  assert.deepEqual(await wa.sendText({ to: '+966500111222', text: 'مرحبا 👋', replyTo: 'wamid.IN1' }), { messageId: 'wamid.HBgM123' });
  assert.deepEqual(bodies[0], {
    method: 'POST',
    url: '/v21.0/109876543210/messages',
    auth: 'Bearer EAAG-good-token',
    body: { messaging_product: 'whatsapp', recipient_type: 'individual', to: '966500111222', type: 'text', text: { body: 'مرحبا 👋', preview_url: false }, context: { message_id: 'wamid.IN1' } },
  });

  reply = [400, { error: { message: '(#131026) Message undeliverable', type: 'OAuthException', code: 131026, error_data: { details: 'Receiver is incapable of receiving this message' } } }];
  await rejectsWith(wa.sendText({ to: '+966500111222', text: 'x' }), { code: 131026, retry: 'never', reason: 'Receiver is incapable of receiving this message' });
  reply = [400, { error: { message: '(#130429) Rate limit hit', code: 130429 } }];
  await rejectsWith(wa.sendText({ to: '+966500111222', text: 'x' }), { code: 130429, retry: 'throttled' });
  reply = [503, { error: { message: 'Service temporarily unavailable', code: 2 } }];
  await rejectsWith(wa.sendText({ to: '+966500111222', text: 'x' }), { retry: 'later' });
  reply = [200, { messaging_product: 'whatsapp', messages: [] }];
  await rejectsWith(wa.sendText({ to: '+966500111222', text: 'x' }), { code: 'no_message_id', retry: 'later' });
});
