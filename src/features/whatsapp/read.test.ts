import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { build, json } from '../../../test/helpers/build.js';
import { CONVERSATIONS, ok } from '../../../test/helpers/conversations.js';
import { startFakeGraph } from '../../../test/helpers/fake-graph.js';
import { metaSignature } from '../../providers/whatsapp/meta.js';

const h = await build({ WEBHOOK_ALLOW_PRIVATE: 'true', TOKEN_TTL_SECONDS: String(7 * 86_400) });
const worker = await h.worker({ pollMs: 60_000 });
const graph = await startFakeGraph();
after(() => graph.close());
const APP_SECRET = 'meta-app-secret-0123456789';

/** A customer's message to a Cloud API channel, as Meta posts it (signed). */
async function customerWrites(channelId: string, wamid: string, from: string) {
  const body = JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [{ id: 'WABA', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', contacts: [{ wa_id: from, profile: { name: 'Huda' } }], messages: [{ from, id: wamid, timestamp: String(Math.floor(h.clock.now().getTime() / 1000)), type: 'text', text: { body: 'Hello?' } }] } }] }],
  });
  const res = await h.app.inject({ method: 'POST', url: `/webhooks/whatsapp/${channelId}`, payload: body, headers: { 'content-type': 'application/json', 'x-hub-signature-256': metaSignature(body, APP_SECRET) } });
  assert.equal(res.statusCode, 200, res.body);
  await worker.drain();
}

const reads = () => graph.requests.filter((r) => (r.body as { status?: string } | null)?.status === 'read').map((r) => [r.path, (r.body as { message_id: string }).message_id]);

test('reading a conversation with unread messages marks its latest inbound message read at Meta (blue ticks); reading it again sends nothing', async () => {
  const ws = await h.workspace();
  const res = await h.admin('POST', `/admin/v1/workspaces/${ws.id}/channels`, {
    name: 'Cloud',
    type: 2,
    phoneNumber: '+966500000077',
    whatsApp: { provider: 'cloud', phoneNumberId: '1077', accessToken: graph.token, appSecret: APP_SECRET, graphBaseUrl: graph.baseUrl },
  });
  assert.equal(res.statusCode, 200, res.body);
  const channel = json(res);
  await customerWrites(channel.id, 'wamid.R1', '966501230001');
  h.clock.advance(1000);
  await customerWrites(channel.id, 'wamid.R2', '966501230001');
  const { items } = await ok(ws, 'GET', `${CONVERSATIONS}/channels/${channel.id}`);
  assert.equal(items.length, 1);
  assert.equal(items[0].unreadCount, 2);

  const before = reads().length;
  await ok(ws, 'POST', `${CONVERSATIONS}/${items[0].id}/read`);
  await worker.drain();
  assert.deepEqual(reads().slice(before), [['1077/messages', 'wamid.R2']], 'the latest inbound message, through the channel number');

  await ok(ws, 'POST', `${CONVERSATIONS}/${items[0].id}/read`);
  await worker.drain();
  assert.equal(reads().length, before + 1, 'nothing unread: no receipt');
});
