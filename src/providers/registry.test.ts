import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import { build, json } from '../../test/helpers/build.js';
import { metaSignature } from './whatsapp/meta.js';

const h = await build({ WEBHOOK_ALLOW_PRIVATE: 'true' });

// The Graph API as far as describeNumber goes: it echoes the token it was called with.
const tokens: string[] = [];
const graph = createServer((req, res) => {
  tokens.push(String(req.headers.authorization));
  res.setHeader('content-type', 'application/json').end(JSON.stringify({ id: '555', display_phone_number: '+966500111222', verified_name: 'Acme', quality_rating: 'YELLOW' }));
});
await new Promise<void>((resolve) => graph.listen(0, '127.0.0.1', resolve));
after(() => {
  graph.closeAllConnections();
  graph.close();
});
const graphBaseUrl = `http://127.0.0.1:${(graph.address() as AddressInfo).port}/v21.0`;

async function channel(workspaceId: string, body: Record<string, unknown>) {
  const res = await h.admin('POST', `/admin/v1/workspaces/${workspaceId}/channels`, body);
  assert.equal(res.statusCode, 200, res.body);
  return json(res) as { id: string; phoneNumber: { number: string } };
}
const whatsApp = (id: string) => h.app.container.channels.whatsApp(id);

test("each channel gets the adapter its settings name, with its credentials opened; a change of settings changes the adapter", async () => {
  const ws = await h.workspace();
  const cloud = await channel(ws.id, { name: 'cloud', type: 2, phoneNumber: '+966500111222', whatsApp: { provider: 'cloud', phoneNumberId: '555', accessToken: 'EAAG-first', graphBaseUrl } });
  const adapter = await whatsApp(cloud.id);
  assert.equal(adapter?.provider, 'cloud');
  assert.deepEqual(await adapter!.describeNumber(), { phoneNumberId: '555', displayPhoneNumber: '+966500111222', verifiedName: 'Acme', qualityRating: 'YELLOW' });
  assert.deepEqual(tokens, ['Bearer EAAG-first']);

  assert.equal((await h.admin('PATCH', `/admin/v1/channels/${cloud.id}`, { whatsApp: { accessToken: 'EAAG-second' } })).statusCode, 200);
  await (await whatsApp(cloud.id))!.describeNumber();
  assert.deepEqual(tokens, ['Bearer EAAG-first', 'Bearer EAAG-second'], 'the rotated token is used at once');

  assert.equal((await h.admin('PATCH', `/admin/v1/channels/${cloud.id}`, { whatsApp: { provider: 'sandbox' } })).statusCode, 200);
  const sandbox = await whatsApp(cloud.id);
  assert.equal(sandbox?.provider, 'sandbox');
  assert.equal((await sandbox!.describeNumber()).displayPhoneNumber, '+966500111222');
  assert.equal(tokens.length, 2, 'the sandbox calls nobody');
});

test('the sandbox adapter: sends get wamids, the built-in catalogue (one template per §3.4 form), signed inbound webhooks with the app secret', async () => {
  const ws = await h.workspace();
  const { id } = await channel(ws.id, { name: 'sandbox', type: 3, whatsApp: { provider: 'sandbox', appSecret: 'sandbox-app-secret', verifyToken: 'sandbox-verify' } });
  const sandbox = (await whatsApp(id))!;
  const first = await sandbox.sendText({ to: '966500000001', text: 'hi' });
  const second = await sandbox.sendTemplate({ to: '+966500000001', name: 'hello_world', language: 'en_US', components: [] });
  assert.match(first.messageId, /^wamid\.SANDBOX[0-9A-F]{24}$/);
  assert.notEqual(first.messageId, second.messageId);
  await assert.rejects(sandbox.sendText({ to: 'not-a-number', text: 'hi' }), { name: 'ProviderError', code: 131026, retry: 'never' });
  assert.deepEqual((await sandbox.fetchTemplates()).map((t) => `${t.name}/${t.language}/${t.status}`), [
    'hello_world/en_US/APPROVED',
    'order_update/ar/APPROVED',
    'order_shipped/en/APPROVED',
    'invoice_delivery/ar/APPROVED',
    'product_launch/en/APPROVED',
    'appointment_reminder/en/APPROVED',
  ]);
  const raw = Buffer.from(JSON.stringify({ entry: [{ changes: [{ value: { messages: [{ from: '966500000001', id: 'wamid.X', timestamp: '1767225600', type: 'text', text: { body: 'hi' } }] } }] }] }));
  assert.equal(sandbox.parseWebhook(raw, metaSignature(raw, 'sandbox-app-secret')).messages[0]?.text, 'hi');
  assert.throws(() => sandbox.parseWebhook(raw, metaSignature(raw, 'guess')), { name: 'WebhookSignatureError' });
  assert.equal(sandbox.verifySubscription({ mode: 'subscribe', verifyToken: 'sandbox-verify', challenge: 'ok' }), 'ok');
  const media = await sandbox.downloadMedia('sandbox-media-1', { maxBytes: 1000 });
  assert.equal(media.mimeType, 'image/png');
  await assert.rejects(sandbox.downloadMedia('sandbox-media-1', { maxBytes: 10 }), { name: 'ProviderError', code: 'too_large' });
});

test('a voice-only channel has no WhatsApp adapter, nor has an unknown channel', async () => {
  const ws = await h.workspace();
  const voice = await channel(ws.id, { name: 'voice', type: 1 });
  assert.equal(await whatsApp(voice.id), undefined);
  assert.equal(await whatsApp('01890000-0000-7000-8000-000000000000'), undefined);
});
