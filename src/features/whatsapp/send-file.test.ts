import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { assertError } from '../../../test/helpers/assert.js';
import { authBattery } from '../../../test/helpers/auth-cases.js';
import { build, json, type Harness, type Workspace } from '../../../test/helpers/build.js';
import type { DrainableWorker } from '../../../test/helpers/drain.js';
import { CONVERSATIONS, ok, type Json } from '../../../test/helpers/conversations.js';
import { startFakeGraph } from '../../../test/helpers/fake-graph.js';
import { startReceiver } from '../../../test/helpers/receiver.js';
import { metaSignature } from '../../providers/whatsapp/meta.js';
import { DOCX, HTML, JPEG, MOV, OPUS, PDF, startFileServer, tempDataDir, webp } from '../media/testing.js';

const SEND = '/v1/whatsapp/service-account/sendFile';
const MISSING = '01890000-0000-7000-8000-000000000000';
const TOKENS = String(7 * 86_400);
const APP_SECRET = 'meta-app-secret-0123456789';
const CUSTOMER = '966501234567';
const FILE_ID = /^http:\/\/wasl\.test\/v1\/files\/([0-9a-f-]{36})$/;
const SIGNED = /^http:\/\/wasl\.test\/files\/([0-9a-f-]{36})\?expires=(\d+)&signature=([\w-]{43})$/;

// The default storage of the store (local on PGlite, database on PostgreSQL), and the other one with a lower cap.
const h = await build({ WEBHOOK_ALLOW_PRIVATE: 'true', TOKEN_TTL_SECONDS: TOKENS, DATA_DIR: tempDataDir() });
const worker = await h.worker({ pollMs: 60_000 });
const other = await build({
  WEBHOOK_ALLOW_PRIVATE: 'true',
  TOKEN_TTL_SECONDS: TOKENS,
  DATA_DIR: tempDataDir(),
  FILE_STORAGE: h.config.fileStorage === 'local' ? 'database' : 'local',
  MEDIA_MAX_BYTES: '100000',
});
const otherWorker = await other.worker({ pollMs: 60_000 });
// A third that keeps Wasl's default: no private, loopback or link-local addresses.
const guarded = await build({ TOKEN_TTL_SECONDS: TOKENS, DATA_DIR: tempDataDir() });
const files = await startFileServer();
const harnesses: [Harness, DrainableWorker][] = [[h, worker], [other, otherWorker]];

/** The path and query of a URL on PUBLIC_URL, for app.inject. */
function pathOf(url: string): string {
  const parsed = new URL(url);
  assert.equal(parsed.origin, 'http://wasl.test');
  return parsed.pathname + parsed.search;
}

async function sandboxChannel(harness: Harness, ws: Workspace, whatsAppWebhookUrl?: string): Promise<Json> {
  const res = await harness.admin('POST', `/admin/v1/workspaces/${ws.id}/channels`, { name: 'WhatsApp', type: 2, phoneNumber: '+966500000001', whatsApp: { provider: 'sandbox' }, ...(whatsAppWebhookUrl && { whatsAppWebhookUrl }) });
  assert.equal(res.statusCode, 200, res.body);
  return json(res);
}

/** The customer writes first (the sandbox's inbound message): the 24-hour window opens. */
async function customerWrites(harness: Harness, w: DrainableWorker, channelId: string, from = CUSTOMER) {
  const res = await harness.admin('POST', `/admin/v1/sandbox/channels/${channelId}/inbound`, { from, text: 'Can you send the invoice?' });
  assert.equal(res.statusCode, 202, res.body);
  await w.drain();
}

/** Runs the paced send jobs until `done` (each waits for its number's slot on the test clock). */
async function deliverUntil(harness: Harness, w: DrainableWorker, done: () => boolean) {
  for (let round = 0; round < 100 && !done(); round++) {
    await w.drain(150);
    harness.clock.advance(13);
  }
  assert.ok(done(), 'delivered');
}

/** What the store holds for a workspace: file rows, and WhatsApp events. */
async function written(harness: Harness, workspaceId: string) {
  const db = harness.store.db.withTables<{ files: { workspace_id: string; id: string } }>();
  const fileRows = await db.selectFrom('files').select('id').where('workspace_id', '=', workspaceId).execute();
  const events = await harness.store.db.selectFrom('conversation_events').select('id').where('workspace_id', '=', workspaceId).where('direction', '=', 2).execute();
  return { files: fileRows.length, sends: events.length };
}

for (const [harness, w] of harnesses) {
  test(`sendFile (${harness.config.fileStorage} storage): fetched, checked and stored; a Pending Document with the file's workspace URL; Meta's link and the webhook's mediaUrl serve the same bytes without a token`, async () => {
    const receiver = await startReceiver();
    const ws = await harness.workspace();
    const channel = await sandboxChannel(harness, ws, receiver.url('/wa'));
    await customerWrites(harness, w, channel.id);
    await receiver.waitFor(1);
    const url = files.serve('/invoices/INV-001.pdf', { body: PDF, type: 'application/octet-stream' });

    // Hatif's clients send camelCase; any casing binds.
    const res = await ws.api('POST', SEND, { ChannelId: channel.id, ToNumber: CUSTOMER, FileUrl: url, FileName: 'Invoice 001.pdf', Caption: 'Your invoice' });
    assert.equal(res.statusCode, 200, res.body);
    const sent = json(res);
    assert.deepEqual([sent.status, sent.messageId, sent.message], ['accepted', null, 'File message accepted for sending']);

    const event = (await ok(ws, 'GET', `${CONVERSATIONS}/${sent.conversationId}/timeline`)).items[0] as Json;
    assert.deepEqual([event.eventId, event.messageType, event.mimeType, event.body, event.durationOrSize], [sent.conversationEventId, 'Document', 'application/pdf', 'Your invoice', String(PDF.length)]);
    assert.ok(['Pending', 'Sent'].includes(event.status), `${event.status}: the worker, woken by the commit, may have sent it already`);
    const [, fileId] = FILE_ID.exec(event.attachment) ?? assert.fail(`attachment ${event.attachment}`);

    // The workspace reads it with its token.
    const got = await ws.api('GET', pathOf(event.attachment));
    assert.equal(got.statusCode, 200);
    assert.ok(got.rawPayload.equals(PDF));
    assert.deepEqual([got.headers['content-type'], got.headers['content-length'], got.headers['x-content-type-options']], ['application/pdf', String(PDF.length), 'nosniff']);
    assert.equal(got.headers['content-disposition'], `attachment; filename="Invoice 001.pdf"; filename*=UTF-8''Invoice%20001.pdf`);

    await deliverUntil(harness, w, () => receiver.received.length >= 3);
    const hooks = receiver.received.slice(1).map((r) => JSON.parse(r.body) as Json);
    assert.deepEqual(hooks.map((e) => [e.status, e.messageType, e.mimeType, e.conversationEventId]), [['Pending', 'Document', 'application/pdf', sent.conversationEventId], ['Sent', 'Document', 'application/pdf', sent.conversationEventId]]);
    for (const hook of hooks) {
      const [, linked] = SIGNED.exec(hook.mediaUrl) ?? assert.fail(`mediaUrl ${hook.mediaUrl}`);
      assert.equal(linked, fileId);
      const fetched = await harness.app.inject({ method: 'GET', url: pathOf(hook.mediaUrl) });
      assert.equal(fetched.statusCode, 200, fetched.body);
      assert.ok(fetched.rawPayload.equals(PDF), 'a receiver fetches the file without a token');
    }
    assert.equal(files.requests.filter((r) => r.path === '/invoices/INV-001.pdf').length >= 1, true, 'fetched from its URL');
  });
}

test("sendFile to the Cloud API: Meta's media message by link (image with caption, document with filename, sticker without caption), and Meta can fetch each link", async () => {
  const graph = await startFakeGraph();
  after(() => graph.close());
  const ws = await h.workspace();
  const res = await h.admin('POST', `/admin/v1/workspaces/${ws.id}/channels`, {
    name: 'Cloud',
    type: 2,
    phoneNumber: '+966500000088',
    whatsApp: { provider: 'cloud', phoneNumberId: '1088', accessToken: graph.token, appSecret: APP_SECRET, graphBaseUrl: graph.baseUrl },
  });
  assert.equal(res.statusCode, 200, res.body);
  const channel = json(res);
  // The customer writes first, through Meta's signed webhook.
  const hello = JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [{ id: 'WABA', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', contacts: [{ wa_id: CUSTOMER, profile: { name: 'Huda' } }], messages: [{ from: CUSTOMER, id: 'wamid.HELLO1', timestamp: String(Math.floor(h.clock.now().getTime() / 1000)), type: 'text', text: { body: 'Hello' } }] } }] }],
  });
  assert.equal((await h.app.inject({ method: 'POST', url: `/webhooks/whatsapp/${channel.id}`, payload: hello, headers: { 'content-type': 'application/json', 'x-hub-signature-256': metaSignature(hello, APP_SECRET) } })).statusCode, 200);
  await worker.drain();

  const sticker = webp(2000);
  const sends: [string, Buffer, Json][] = [
    ['image', JPEG, { fileUrl: files.serve('/p/photo', { body: JPEG, type: 'text/plain' }), fileName: 'photo', caption: 'The product' }],
    ['document', DOCX, { fileUrl: files.serve('/p/report.docx', DOCX), fileName: 'التقرير.docx', caption: 'Report' }],
    ['sticker', sticker, { fileUrl: files.serve('/p/s.webp', sticker), fileName: 's.webp', caption: 'dropped' }],
  ];
  for (const [, , body] of sends) {
    const r = await ws.api('POST', SEND, { channelId: channel.id, toNumber: `+${CUSTOMER}`, ...body });
    assert.equal(r.statusCode, 200, r.body);
  }
  await deliverUntil(h, worker, () => graph.sends().length >= 3);
  await graph.settled();
  const bodies = graph.sends().map((s) => s.body as Json);
  assert.deepEqual(bodies.map((b) => [b.messaging_product, b.to, b.type]), sends.map(([kind]) => ['whatsapp', CUSTOMER, kind]));
  assert.deepEqual(Object.keys(bodies[0]!.image).sort(), ['caption', 'link']);
  assert.equal(bodies[0]!.image.caption, 'The product');
  assert.deepEqual([Object.keys(bodies[1]!.document).sort(), bodies[1]!.document.filename], [['caption', 'filename', 'link'], 'التقرير.docx']);
  assert.deepEqual(Object.keys(bodies[2]!.sticker), ['link'], 'no caption on a sticker');
  for (const [i, [kind, bytes]] of sends.entries()) {
    const link = bodies[i]![kind].link as string;
    assert.match(link, SIGNED);
    const fetched = await h.app.inject({ method: 'GET', url: pathOf(link) });
    assert.equal(fetched.statusCode, 200, fetched.body);
    assert.ok(fetched.rawPayload.equals(bytes), `${kind}: Meta gets the bytes`);
    assert.equal(fetched.headers['content-type'], { image: 'image/jpeg', document: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', sticker: 'image/webp' }[kind]);
  }
  const timeline = (await ok(ws, 'GET', `${CONVERSATIONS}/${(await ok(ws, 'GET', `${CONVERSATIONS}/channels/${channel.id}`)).items[0].id}/timeline?Sorting=CreationTime ASC`)).items as Json[];
  assert.deepEqual(timeline.filter((e) => e.direction === 2).map((e) => [e.messageType, e.status, e.body]), [['Image', 'Sent', 'The product'], ['Document', 'Sent', 'Report'], ['Sticker', 'Sent', null]]);
});

test('sendFile refuses on the bytes with 422 naming fileUrl, and writes nothing: HTML behind a .jpg, QuickTime, Ogg that is not Opus, oversize for the kind, unreachable, a redirect', async () => {
  const ws = await h.workspace();
  const channel = await sandboxChannel(h, ws);
  await customerWrites(h, worker, channel.id);
  const before = await written(h, ws.id);
  const send = (fileUrl: string, extra: Json = {}) => ws.api('POST', SEND, { channelId: channel.id, toNumber: CUSTOMER, fileUrl, fileName: 'x', ...extra });
  const refusals: [string, string, RegExp][] = [
    [files.serve('/bad/photo.jpg', { body: HTML, type: 'image/jpeg' }), 'Wasl:File:UnsupportedType', /fileUrl: the file is an HTML page/],
    [files.serve('/bad/clip.mp4', { body: MOV, type: 'video/mp4' }), 'Wasl:File:UnsupportedType', /video\/quicktime/],
    [files.serve('/bad/big.jpg', Buffer.concat([JPEG, Buffer.alloc(5_000_001)])), 'Wasl:File:TooLarge', /larger than 5000000 bytes \(5 MB\), the most for an image; it has 5000123/],
    [files.serve('/bad/sticker.webp', webp(500_001)), 'Wasl:File:TooLarge', /the most for a sticker/],
    [files.url('/nothing-here.pdf'), 'Wasl:File:Unreachable', /HTTP 404/],
    [files.serve('/bad/moved.pdf', { status: 302, body: Buffer.alloc(0), headers: { location: '/elsewhere.pdf' } }), 'Wasl:File:Unreachable', /redirect/],
    ['http://127.0.0.1:9/closed.pdf', 'Wasl:File:Unreachable', /could not be fetched/],
  ];
  for (const [url, code, message] of refusals) {
    const res = await send(url);
    assertError(res, 422, code, ['fileUrl']);
    assert.match(json(res).message, message, url);
    assert.equal(json(res).error.data.member, 'fileUrl');
  }
  // A voice note as Ogg/Opus is audio; fileName does not decide the type.
  const voice = await send(files.serve('/ok/voice.ogg', OPUS), { fileName: 'voice.pdf' });
  assert.equal(voice.statusCode, 200, voice.body);
  const after = await written(h, ws.id);
  assert.deepEqual(after, { files: before.files + 1, sends: before.sends + 1 }, 'only the voice note');
});

test('sendFile: MEDIA_MAX_BYTES caps below Meta (the fetch is cut off); a closed window → 422 and nothing written; unknown or foreign channel → 404 before any fetch', async () => {
  const ws = await other.workspace();
  const channel = await sandboxChannel(other, ws);
  await customerWrites(other, otherWorker, channel.id);
  const big = files.serve('/cap/big.pdf', Buffer.concat([PDF, Buffer.alloc(150_000)]));
  const capped = await ws.api('POST', SEND, { channelId: channel.id, toNumber: CUSTOMER, fileUrl: big, fileName: 'big.pdf' });
  assertError(capped, 422, 'Wasl:File:TooLarge', ['fileUrl']);
  assert.match(json(capped).message, /larger than 100000 bytes/);

  // The window: nobody wrote from this number; and 24 hours after the customer's message.
  const url = files.serve('/cap/ok.pdf', PDF);
  const never = await ws.api('POST', SEND, { channelId: channel.id, toNumber: '+966509998877', fileUrl: url, fileName: 'ok.pdf' });
  assertError(never, 422, 'Voxa:WhatsApp:ServiceWindowExpired');
  other.clock.advance(24 * 3_600_000);
  assertError(await ws.api('POST', SEND, { channelId: channel.id, toNumber: CUSTOMER, fileUrl: url, fileName: 'ok.pdf' }), 422, 'Voxa:WhatsApp:ServiceWindowExpired');
  assert.deepEqual(await written(other, ws.id), { files: 0, sends: 0 }, 'no file, no message');
  const contacts = json(await ws.api('GET', '/v1/contacts'));
  assert.deepEqual(contacts.items.map((x: Json) => x.phoneNumber), [`+${CUSTOMER}`], 'no contact made for the refused number');

  const fetched = files.requests.length;
  const theirs = await sandboxChannel(other, await other.workspace());
  assertError(await ws.api('POST', SEND, { channelId: MISSING, toNumber: CUSTOMER, fileUrl: url, fileName: 'ok.pdf' }), 404, 'Wasl:Channel:NotFound');
  assertError(await ws.api('POST', SEND, { channelId: theirs.id, toNumber: CUSTOMER, fileUrl: url, fileName: 'ok.pdf' }), 404, 'Wasl:Channel:NotFound');
  assert.equal(files.requests.length, fetched, 'no fetch for a channel that is not theirs');
  assertError(await ws.api('POST', SEND, { channelId: channel.id, toNumber: CUSTOMER, fileUrl: 'not a url', fileName: 'ok.pdf' }), 400, 'Wasl:ValidationFailed', ['fileUrl']);
  assertError(await ws.api('POST', SEND, { channelId: channel.id, toNumber: CUSTOMER }), 400, 'Wasl:ValidationFailed', ['fileUrl']);
});

test('sendFile with an Idempotency-Key: the same body again replays the answer and sends (and stores) nothing more; another body → 422', async () => {
  const ws = await h.workspace();
  const channel = await sandboxChannel(h, ws);
  await customerWrites(h, worker, channel.id);
  const body = { channelId: channel.id, toNumber: CUSTOMER, fileUrl: files.serve('/idem/a.png', JPEG), fileName: 'a.png' };
  const key = { 'idempotency-key': 'file-7781' };
  const first = await ws.api('POST', SEND, body, key);
  assert.equal(first.statusCode, 200, first.body);
  const again = await ws.api('POST', SEND, body, key);
  assert.equal(again.headers['idempotent-replayed'], 'true');
  assert.deepEqual(json(again), json(first));
  assert.deepEqual(await written(h, ws.id), { files: 1, sends: 1 });
  assertError(await ws.api('POST', SEND, { ...body, fileName: 'b.png' }, key), 422, 'Wasl:Idempotency:KeyReused');
});

test('sendFile through the SSRF guard: loopback, metadata, private and non-http URLs → 422 Wasl:File:UrlRefused naming the range; nothing fetched or written', async () => {
  const ws = await guarded.workspace();
  const channel = await sandboxChannel(guarded, ws);
  const fetched = files.requests.length;
  const refusals: [string, RegExp][] = [
    [files.serve('/ssrf/a.pdf', PDF), /^fileUrl host 127\.0\.0\.1 is a loopback address \(127\.0\.0\.0\/8\)/],
    [`http://localhost:${files.port}/ssrf/a.pdf`, /^fileUrl host localhost resolves to .*loopback/],
    ['http://169.254.169.254/latest/meta-data/iam', /169\.254\.169\.254 is a cloud metadata address/],
    ['http://[::ffff:10.0.0.1]/a.pdf', /private/],
    ['http://192.168.1.10/a.pdf', /private/],
    ['file:///etc/passwd', /http: or https:/],
    ['http://user:pass@example.com/a.pdf', /credentials/],
  ];
  for (const [url, message] of refusals) {
    const res = await ws.api('POST', SEND, { channelId: channel.id, toNumber: CUSTOMER, fileUrl: url, fileName: 'a.pdf' });
    assertError(res, 422, 'Wasl:File:UrlRefused', ['fileUrl']);
    assert.match(json(res).message, message, url);
  }
  assert.equal(files.requests.length, fetched, 'nothing reached the file server');
  assert.deepEqual(await written(guarded, ws.id), { files: 0, sends: 0 });
  assert.equal(json(await ws.api('GET', '/v1/contacts')).totalCount, 0);
});

authBattery(h, async () => [{ method: 'POST', url: SEND, body: { channelId: MISSING, toNumber: CUSTOMER, fileUrl: files.url('/x.pdf'), fileName: 'x.pdf' } }]);
