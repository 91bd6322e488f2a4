import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildApp } from '../../app.js';
import { loadConfig } from '../../config.js';
import { build, json } from '../../../test/helpers/build.js';
import { startReceiver } from '../../../test/helpers/receiver.js';

const h = await build(); // WEBHOOK_ALLOW_PRIVATE is false, as in production

const FORBIDDEN = [
  'http://127.0.0.1/hook',
  'http://localhost:8080/hook',
  'http://2130706433/hook',
  'http://0x7f000001/hook',
  'http://017700000001/hook',
  'http://127.1/hook',
  'http://[::1]/hook',
  'http://[::ffff:127.0.0.1]/hook',
  'http://10.0.0.8/hook',
  'http://172.16.4.4/hook',
  'http://192.168.1.10/hook',
  'http://100.64.0.1/hook',
  'http://169.254.169.254/latest/meta-data/',
  'http://[fe80::1]/hook',
  'http://[fd00:ec2::254]/hook',
  'http://0.0.0.0/hook',
  'http://user:pass@example.com/hook',
];

test('registration refuses every forbidden form, on channels and on the workspace events URL', async () => {
  const ws = await h.workspace();
  const created = await h.admin('POST', `/admin/v1/workspaces/${ws.id}/channels`, { name: 'c', type: 2 });
  const channelId = json(created).id;
  for (const url of FORBIDDEN) {
    for (const field of ['whatsAppWebhookUrl', 'postCallWebhookUrl']) {
      const res = await h.admin('PATCH', `/admin/v1/channels/${channelId}`, { [field]: url });
      assert.equal(res.statusCode, 400, `${field} ${url}: ${res.body}`);
      assert.deepEqual(json(res).error.validationErrors[0].members, [field]);
    }
    const onCreate = await h.admin('POST', `/admin/v1/workspaces/${ws.id}/channels`, { name: 'd', type: 1, postCallWebhookUrl: url });
    assert.equal(onCreate.statusCode, 400, `create ${url}`);
    const events = await h.admin('PATCH', `/admin/v1/workspaces/${ws.id}`, { eventsWebhookUrl: url });
    assert.equal(events.statusCode, 400, `events ${url}: ${events.body}`);
  }
  const metadata = await h.admin('PATCH', `/admin/v1/channels/${channelId}`, { whatsAppWebhookUrl: 'http://169.254.169.254/' });
  assert.match(json(metadata).error.validationErrors[0].message, /metadata/);
  const channel = json(await h.admin('GET', `/admin/v1/workspaces/${ws.id}/channels`)).items[0];
  assert.equal(channel.whatsAppWebhookUrl, null, 'nothing was stored');
  const fine = await h.admin('PATCH', `/admin/v1/channels/${channelId}`, { whatsAppWebhookUrl: 'https://hooks.example.com/wa' });
  assert.equal(fine.statusCode, 200, 'a public host (or one not resolvable yet) is accepted');
});

test('sending checks again: a URL that was allowed is refused when it now leads somewhere private', async () => {
  const receiver = await startReceiver();
  // A node that allows private addresses registers a loopback receiver (as DNS might have changed) …
  const permissive = await buildApp({
    config: loadConfig({ ...process.env, WASL_ADMIN_TOKEN: 'test-admin-token-0123456789', LOG_LEVEL: 'silent', WEBHOOK_ALLOW_PRIVATE: 'true', PUBLIC_URL: 'http://wasl.test' }),
    db: h.store.db,
    engine: h.store.engine,
    clock: h.clock,
    logger: false,
  });
  const ws = await h.workspace();
  const res = await permissive.inject({
    method: 'POST',
    url: `/admin/v1/workspaces/${ws.id}/channels`,
    headers: { authorization: 'Bearer test-admin-token-0123456789' },
    payload: { name: 'c', type: 2, whatsAppWebhookUrl: receiver.url() },
  });
  assert.equal(res.statusCode, 200, res.body);
  await permissive.close();
  // … and this node, which does not, is the one that sends.
  const [created] = await h.app.container.transaction((trx) =>
    h.app.container.webhooks.emit(trx, { workspaceId: ws.id, channelId: json(res).id, type: 'WhatsAppMessage', payload: { hi: 1 } }),
  );
  const worker = await h.worker({ pollMs: 50 });
  await worker.drain();
  await worker.stop(100);
  assert.equal(receiver.received.length, 0, 'no connection was made');
  const d = json(await h.admin('GET', `/admin/v1/webhooks/deliveries/${created!.id}`));
  assert.equal(d.status, 'failed', 'a refused address is not retried');
  assert.match(d.attemptLog[0].error, /loopback/);
});
