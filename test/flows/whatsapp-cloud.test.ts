import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, test } from 'node:test';
import { sql } from 'kysely';
import { Webhook } from 'standardwebhooks';
import { build, json } from '../helpers/build.js';
import { CONVERSATIONS, ok, type Json } from '../helpers/conversations.js';
import { startFakeGraph, type FakeGraph } from '../helpers/fake-graph.js';
import { startReceiver } from '../helpers/receiver.js';
import { metaSignature } from '../../src/providers/whatsapp/meta.js';

/**
 * Issue 9's flow through Meta's wire format end to end: a customer writes (a signed Meta webhook),
 * the business replies inside the window, the fake Graph API takes the message and posts Meta's
 * signed status callbacks back to Wasl's webhook URL, and the channel's receiver gets every change
 * as a WhatsApp Message Webhook with valid signatures (Hatif's and Standard Webhooks').
 */
const h = await build({ WEBHOOK_ALLOW_PRIVATE: 'true' });
const worker = await h.worker({ pollMs: 50 });
await h.app.listen({ port: 0, host: '127.0.0.1' });
const base = `http://127.0.0.1:${(h.app.server.address() as { port: number }).port}`;
const APP_SECRET = 'meta-app-secret-flow-0123456789';
const HOOK_SECRET = 'whsec_' + Buffer.from('flow-webhook-secret-0123456789').toString('base64');
const channels: Record<string, string> = {};
const graph = await startFakeGraph({ callbacks: { webhookUrl: () => `${base}/webhooks/whatsapp/${channels.prompt}`, appSecret: APP_SECRET } });
// Answers the send only once Wasl has tried all three callbacks (each found no wamid yet and waits for its retry).
const triedCallbacks = async () => {
  const deadline = Date.now() + 10_000;
  const tried = () => h.store.db.selectFrom('jobs').select('id').where('name', '=', 'whatsapp.status').where('status', '=', 'pending').where('attempts', '>=', 1).where(sql<boolean>`payload->>'channelId' = ${channels.early!}`).execute();
  while ((await tried()).length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
};
const early = await startFakeGraph({ callbacks: { webhookUrl: () => `${base}/webhooks/whatsapp/${channels.early}`, appSecret: APP_SECRET, early: triedCallbacks } });
after(() => Promise.all([graph.close(), early.close()]));

test('Cloud API: inbound → conversation → reply in the window → Meta sends it and reports Sent, Delivered, Read → each a signed webhook, one event id', () => replyFlow('prompt', graph));

test("Meta's status callbacks outrun the send's commit (they arrive before the wamid is stored): they wait, and every step is still heard once, in order, whichever applies first", () => replyFlow('early', early));

async function replyFlow(name: 'prompt' | 'early', graph: FakeGraph) {
  const receiver = await startReceiver();
  const ws = await h.workspace();
  const res = await h.admin('POST', `/admin/v1/workspaces/${ws.id}/channels`, {
    name: 'Cloud',
    type: 2,
    phoneNumber: name === 'early' ? '+966500000089' : '+966500000088',
    whatsApp: { provider: 'cloud', phoneNumberId: name === 'early' ? '1089' : '1088', accessToken: graph.token, appSecret: APP_SECRET, graphBaseUrl: graph.baseUrl },
    whatsAppWebhookUrl: receiver.url('/wa'),
    webhookSecret: HOOK_SECRET,
  });
  assert.equal(res.statusCode, 200, res.body);
  const channelId = (channels[name] = json(res).id as string);

  // The customer writes, as Meta delivers it.
  const inbound = JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [{ id: 'WABA', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', contacts: [{ wa_id: '966501239999', profile: { name: 'Reem' } }], messages: [{ from: '966501239999', id: 'wamid.FLOW1', timestamp: String(Math.floor(h.clock.now().getTime() / 1000)), type: 'text', text: { body: 'Is my order ready?' } }] } }] }],
  });
  const posted = await fetch(`${base}/webhooks/whatsapp/${channelId}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': metaSignature(inbound, APP_SECRET) }, body: inbound });
  assert.equal(posted.status, 200);
  await receiver.waitFor(1);

  const sent = await ws.api('POST', '/v1/whatsapp/service-account/sendText', { ChannelId: channelId, Text: 'Yes — ready for pickup.', ToNumber: '966501239999' });
  assert.equal(sent.statusCode, 200, sent.body);
  const eventId = json(sent).conversationEventId;
  // Inbound, then Pending, Sent, Delivered, Read of the reply (Meta's own "sent" changes nothing).
  // A callback can outrun the send's commit (it then waits a second on the server's clock, and a
  // later one may apply first, implying the steps before it): the clock moves on until all five are heard.
  const deadline = Date.now() + 15_000;
  while (receiver.received.length < 5 && Date.now() < deadline) {
    await graph.settled();
    await worker.drain();
    h.clock.advance(1_000);
    await new Promise((r) => setTimeout(r, 20));
  }

  await receiver.waitFor(5, 1_000);
  await graph.settled();
  await worker.drain();
  assert.equal(receiver.received.length, 5, "Meta's sent callback after our own Sent is a duplicate: no webhook");

  assert.equal(graph.sends().length, 1);
  assert.deepEqual((graph.sends()[0]!.body as Json).text, { body: 'Yes — ready for pickup.', preview_url: false });
  const hooks = receiver.received.map((r) => ({ ...r, json: JSON.parse(r.body) as Json }));
  const verifier = new Webhook(HOOK_SECRET);
  for (const hook of hooks) {
    assert.equal(hook.headers['x-voxa-signature'], createHmac('sha256', HOOK_SECRET).update(hook.body).digest('hex'), "Hatif's signature");
    verifier.verify(hook.body, { 'webhook-id': String(hook.headers['webhook-id']), 'webhook-timestamp': String(hook.headers['webhook-timestamp']), 'webhook-signature': String(hook.headers['webhook-signature']) });
  }
  assert.deepEqual([hooks[0]!.json.direction, hooks[0]!.json.body, hooks[0]!.json.messageId], ['Inbound', 'Is my order ready?', 'wamid.FLOW1']);
  const reply = hooks.slice(1).map((x) => x.json);
  assert.deepEqual(reply.map((x) => x.status), ['Pending', 'Sent', 'Delivered', 'Read']);
  assert.ok(reply.every((x) => x.conversationEventId === eventId && x.direction === 'Outbound'), 'one event id throughout');
  assert.match(String(reply[1]!.messageId), /^wamid\.FAKE/, 'the wamid Meta gave');
  assert.equal(reply[3]!.isBillable, true, "Meta's pricing");
  if (name === 'early') {
    const waited = await h.store.db.selectFrom('jobs').select('attempts').where('name', '=', 'whatsapp.status').where(sql<boolean>`payload->>'channelId' = ${channelId}`).execute();
    assert.equal(waited.length, 3);
    assert.ok(waited.some((j) => j.attempts > 1), 'a callback came before the wamid was stored and waited');
  }
  const timeline = await ok(ws, 'GET', `${CONVERSATIONS}/${reply[0]!.conversationId}/timeline`);
  assert.deepEqual(timeline.items.map((e: Json) => [e.direction, e.status]), [[2, 'Read'], [1, 'Sent']]);
}
