import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { build, json, type Harness } from '../../../test/helpers/build.js';
import { startReceiver } from '../../../test/helpers/receiver.js';
import type { EventType } from './webhooks.service.js';

const h = await build({ WEBHOOK_ALLOW_PRIVATE: 'true' });
const worker = await h.worker({ pollMs: 60_000 });
const SECRET = 'a-plain-text-secret-0123';
const SCHEDULE = [0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];

async function channelWith(hx: Harness, settings: Record<string, unknown>) {
  const ws = await hx.workspace();
  const res = await hx.admin('POST', `/admin/v1/workspaces/${ws.id}/channels`, { name: 'Hooks', type: 3, ...settings });
  assert.equal(res.statusCode, 200, res.body);
  return { ws, channel: json(res) as { id: string } };
}
const emit = (hx: Harness, event: { workspaceId: string; channelId?: string; type: EventType; payload: object; url?: string }) =>
  hx.app.container.transaction((trx) => hx.app.container.webhooks.emit(trx, event));
const delivery = async (id: string) => json(await h.admin('GET', `/admin/v1/webhooks/deliveries/${id}`));
const message = (n = 1) => ({ conversationId: 'c', direction: 'Inbound', messageType: 'Text', body: `hello ${n}`, status: 'Sent' });

test('signed so that standardwebhooks and a plain HMAC both verify; tampering or a stale timestamp fails', async () => {
  const receiver = await startReceiver();
  const { ws, channel } = await channelWith(h, { whatsAppWebhookUrl: receiver.url(), webhookSecret: SECRET });
  h.clock.set(new Date()); // the library checks the timestamp against the real time
  await emit(h, { workspaceId: ws.id, channelId: channel.id, type: 'WhatsAppMessage', payload: message() });
  await worker.drain();
  const [got] = await receiver.waitFor(1);
  const { headers, body } = got!;
  assert.deepEqual(JSON.parse(body), message());
  assert.equal(headers['content-type'], 'application/json');
  assert.equal(headers['x-voxa-signature'], createHmac('sha256', SECRET).update(body).digest('hex'));
  assert.match(String(headers['x-voxa-signature']), /^[0-9a-f]{64}$/);

  const verifier = new Webhook(`whsec_${Buffer.from(SECRET).toString('base64')}`);
  const std = { 'webhook-id': String(headers['webhook-id']), 'webhook-timestamp': String(headers['webhook-timestamp']), 'webhook-signature': String(headers['webhook-signature']) };
  const realTs = Math.floor(Date.now() / 1000);
  assert.equal(std['webhook-timestamp'], String(Math.floor(h.clock.now().getTime() / 1000)), 'the time of the attempt, by the app clock');
  const resigned = (ts: number, text = body) => {
    const sig = createHmac('sha256', Buffer.from(SECRET)).update(`${std['webhook-id']}.${ts}.${text}`).digest('base64');
    return { ...std, 'webhook-timestamp': String(ts), 'webhook-signature': `v1,${sig}` };
  };
  assert.deepEqual(verifier.verify(body, std), message(), 'the headers as sent verify');
  assert.deepEqual(verifier.verify(body, resigned(realTs)), message(), 'our scheme is the library scheme');
  assert.equal(resigned(Number(std['webhook-timestamp']))['webhook-signature'], std['webhook-signature'], 'byte-identical signature');
  assert.throws(() => verifier.verify(body.replace('hello', 'HELLO'), resigned(realTs, body)), 'a tampered body fails');
  assert.throws(() => verifier.verify(body, resigned(realTs - 3600)), 'a stale timestamp fails');
  assert.throws(() => new Webhook(`whsec_${Buffer.from('another-secret-0123').toString('base64')}`).verify(body, std), 'another secret fails');
  assert.equal(headers['x-voxa-signature-previous'], undefined, 'no rotation, no previous signature');
  assert.match(std['webhook-signature'], /^v1,[A-Za-z0-9+/]{43}=$/, 'one signature: no rotation');
});

test('a whsec_ secret is used as Standard Webhooks issues it; no secret means no signature', async () => {
  const receiver = await startReceiver();
  const key = Buffer.from('0123456789abcdef0123456789abcdef');
  const whsec = `whsec_${key.toString('base64')}`;
  const { ws, channel } = await channelWith(h, { whatsAppWebhookUrl: receiver.url(), webhookSecret: whsec });
  await emit(h, { workspaceId: ws.id, channelId: channel.id, type: 'WhatsAppMessage', payload: message() });
  const unsigned = await channelWith(h, { whatsAppWebhookUrl: receiver.url('/plain') });
  await emit(h, { workspaceId: unsigned.ws.id, channelId: unsigned.channel.id, type: 'WhatsAppMessage', payload: message(2) });
  await worker.drain();
  const [signed, plain] = await receiver.waitFor(2);
  const ts = String(signed!.headers['webhook-timestamp']);
  const expected = createHmac('sha256', key).update(`${signed!.headers['webhook-id']}.${ts}.${signed!.body}`).digest('base64');
  assert.equal(signed!.headers['webhook-signature'], `v1,${expected}`);
  assert.equal(plain!.headers['x-voxa-signature'], undefined);
  assert.equal(plain!.headers['webhook-signature'], undefined);
  assert.match(String(plain!.headers['webhook-id']), /^[0-9a-f-]{36}$/, 'the id is always there, for deduplication');
});

test('events go to the URL that wants them: channel URL by type, an explicit URL, and the workspace as {eventType, data}', async () => {
  const receiver = await startReceiver();
  const { ws, channel } = await channelWith(h, { whatsAppWebhookUrl: receiver.url('/wa'), postCallWebhookUrl: receiver.url('/calls') });
  assert.equal((await h.admin('PATCH', `/admin/v1/workspaces/${ws.id}`, { eventsWebhookUrl: receiver.url('/events') })).statusCode, 200);
  await emit(h, { workspaceId: ws.id, channelId: channel.id, type: 'WhatsAppMessage', payload: { kind: 'wa' } });
  await emit(h, { workspaceId: ws.id, channelId: channel.id, type: 'Call', payload: { kind: 'call' } });
  await emit(h, { workspaceId: ws.id, channelId: channel.id, type: 'OutboundIvrCompleted', payload: { kind: 'ivr' }, url: receiver.url('/ivr') });
  await emit(h, { workspaceId: ws.id, type: 'AssignedUserIdChanged', payload: { kind: 'assign' } });
  await worker.drain();
  const got = (await receiver.waitFor(7)).map((r) => JSON.stringify(JSON.parse(r.body))).sort();
  assert.deepEqual(got, [
    '{"eventType":"AssignedUserIdChanged","data":{"kind":"assign"}}',
    '{"eventType":"Call","data":{"kind":"call"}}',
    '{"eventType":"OutboundIvrCompleted","data":{"kind":"ivr"}}',
    '{"eventType":"WhatsAppMessage","data":{"kind":"wa"}}',
    '{"kind":"call"}',
    '{"kind":"ivr"}',
    '{"kind":"wa"}',
  ]);
  const rolledBack = h.store.db.transaction().execute(async (trx) => {
    await h.app.container.webhooks.emit(trx, { workspaceId: ws.id, channelId: channel.id, type: 'Call', payload: {} });
    throw new Error('the change failed');
  });
  await assert.rejects(rolledBack);
  await worker.drain();
  assert.equal(receiver.received.length, 7, 'an event of a rolled-back change is never sent');
});

test('failures retry on the schedule with the same id and body, then fail; every attempt is visible', async () => {
  const receiver = await startReceiver(async (_r, res) => {
    await new Promise((resolve) => setTimeout(resolve, 20)); // a latency to see in the attempt log
    res.writeHead(500).end('receiver broke');
  });
  const { ws, channel } = await channelWith(h, { whatsAppWebhookUrl: receiver.url() });
  const [created] = await emit(h, { workspaceId: ws.id, channelId: channel.id, type: 'WhatsAppMessage', payload: message() });
  const start = h.clock.now().getTime();
  for (let attempt = 1; attempt <= SCHEDULE.length; attempt++) {
    if (attempt > 1) {
      h.clock.advance(SCHEDULE[attempt - 1]! - 1);
      await worker.drain();
      assert.equal(receiver.received.length, attempt - 1, `attempt ${attempt} waits for its time`);
      h.clock.advance(1);
    }
    await worker.drain();
    assert.equal(receiver.received.length, attempt, `attempt ${attempt}`);
  }
  h.clock.advance(86_400_000);
  await worker.drain();
  assert.equal(receiver.received.length, SCHEDULE.length, 'no attempt after the last');
  assert.equal(new Set(receiver.received.map((r) => r.headers['webhook-id'])).size, 1);
  assert.equal(new Set(receiver.received.map((r) => r.body)).size, 1);
  const d = await delivery(created!.id);
  assert.equal(d.status, 'failed');
  assert.equal(d.attempts, 8);
  assert.equal(d.attemptLog.length, 8);
  let elapsed = 0;
  d.attemptLog.forEach((a: { attemptedAt: string; statusCode: number; error: string; responseExcerpt: string; latencyMs: number }, i: number) => {
    elapsed += SCHEDULE[i]!;
    assert.equal(Date.parse(a.attemptedAt) - start, elapsed, `attempt ${i + 1} time`);
    assert.equal(a.statusCode, 500);
    assert.equal(a.error, 'HTTP 500');
    assert.equal(a.responseExcerpt, 'receiver broke');
    assert.ok(Number.isInteger(a.latencyMs) && a.latencyMs >= 19 && a.latencyMs < 5000, `latency ${a.latencyMs} ms`);
  });
});

test('Retry-After is honoured; a redirect is a failure and is not followed', async () => {
  const elsewhere = await startReceiver();
  const receiver = await startReceiver((r, res) => {
    if (r.body.includes('"redirect"')) res.writeHead(302, { location: elsewhere.url() }).end();
    else res.writeHead(503, { 'retry-after': '600' }).end();
  });
  const { ws, channel } = await channelWith(h, { whatsAppWebhookUrl: receiver.url() });
  const [busy] = await emit(h, { workspaceId: ws.id, channelId: channel.id, type: 'WhatsAppMessage', payload: { kind: 'busy' } });
  const [moved] = await emit(h, { workspaceId: ws.id, channelId: channel.id, type: 'WhatsAppMessage', payload: { kind: 'redirect' } });
  await worker.drain();
  const busyDelivery = await delivery(busy!.id);
  assert.equal(Date.parse(busyDelivery.nextAttemptAt) - h.clock.now().getTime(), 600_000, 'waits 600 s, not the 5 s of the schedule');
  const movedDelivery = await delivery(moved!.id);
  assert.equal(movedDelivery.attemptLog[0].statusCode, 302);
  assert.match(movedDelivery.attemptLog[0].error, /redirects are not followed/);
  assert.equal(elsewhere.received.length, 0);
});

test('410 stops that URL at once; 5 days of failures disable it; the operator sees why and can enable it', async () => {
  const gone = await startReceiver((_r, res) => void res.writeHead(410).end());
  const failing = await startReceiver((_r, res) => void res.writeHead(500).end());
  const a = await channelWith(h, { whatsAppWebhookUrl: gone.url() });
  const [first] = await emit(h, { workspaceId: a.ws.id, channelId: a.channel.id, type: 'WhatsAppMessage', payload: message() });
  await worker.drain();
  assert.equal((await delivery(first!.id)).status, 'failed');
  const [second] = await emit(h, { workspaceId: a.ws.id, channelId: a.channel.id, type: 'WhatsAppMessage', payload: message(2) });
  await worker.drain();
  assert.equal(second!.status, 'skipped');
  assert.equal(gone.received.length, 1, 'nothing more is sent to a 410 URL');
  const [goneTarget] = json(await h.admin('GET', `/admin/v1/workspaces/${a.ws.id}/webhook-targets`));
  assert.match(goneTarget.disabledReason, /410 Gone/);

  const b = await channelWith(h, { whatsAppWebhookUrl: failing.url() });
  await emit(h, { workspaceId: b.ws.id, channelId: b.channel.id, type: 'WhatsAppMessage', payload: message() });
  await worker.drain();
  h.clock.advance(5 * 86_400_000);
  await emit(h, { workspaceId: b.ws.id, channelId: b.channel.id, type: 'WhatsAppMessage', payload: message(2) });
  await worker.drain();
  const [target] = json(await h.admin('GET', `/admin/v1/workspaces/${b.ws.id}/webhook-targets`));
  assert.ok(target.disabledAt);
  assert.match(target.disabledReason, /failing since .* \(5 days\); last error: HTTP 500/);
  const before = failing.received.length;
  const [skipped] = await emit(h, { workspaceId: b.ws.id, channelId: b.channel.id, type: 'WhatsAppMessage', payload: message(3) });
  await worker.drain();
  assert.equal(skipped!.status, 'skipped');
  assert.equal(failing.received.length, before);

  failing.respond((_r, res) => void res.end('back'));
  const enabled = json(await h.admin('POST', `/admin/v1/webhook-targets/${target.id}/enable`));
  assert.equal(enabled.disabledAt, null);
  const [fresh] = await emit(h, { workspaceId: b.ws.id, channelId: b.channel.id, type: 'WhatsAppMessage', payload: message(4) });
  await worker.drain();
  assert.equal((await delivery(fresh!.id)).status, 'delivered');
});

test('admin: list with filters, replay with the same id and body, recover every failure since a time', async () => {
  const receiver = await startReceiver((_r, res) => void res.writeHead(500).end());
  const { ws, channel } = await channelWith(h, { whatsAppWebhookUrl: receiver.url(), postCallWebhookUrl: receiver.url('/calls') });
  const since = h.clock.now().toISOString();
  const [wa] = await emit(h, { workspaceId: ws.id, channelId: channel.id, type: 'WhatsAppMessage', payload: message() });
  const [call] = await emit(h, { workspaceId: ws.id, channelId: channel.id, type: 'Call', payload: { call: 1 } });
  await worker.drain();
  const listed = async (query: string) => json(await h.admin('GET', `/admin/v1/webhooks/deliveries?workspaceId=${ws.id}${query}`));
  assert.equal((await listed('')).totalCount, 2);
  assert.deepEqual((await listed('&eventType=Call')).items.map((d: { id: string }) => d.id), [call!.id]);
  assert.equal((await listed(`&channelId=${channel.id}&status=pending`)).totalCount, 2, 'both wait for their retry');
  assert.equal((await listed(`&from=${encodeURIComponent(new Date(h.clock.now().getTime() + 1).toISOString())}`)).totalCount, 0);
  assert.equal((await h.admin('GET', `/admin/v1/webhooks/deliveries?status=lost`)).statusCode, 400);

  assert.equal((await h.admin('POST', `/admin/v1/webhooks/deliveries/${wa!.id}/replay`)).statusCode, 409, 'still pending');
  h.clock.advance(86_400_000 * 2);
  for (let i = 0; i < 8; i++) {
    h.clock.advance(36_000_000);
    await worker.drain();
  }
  assert.equal((await listed('&status=failed')).totalCount, 2);
  receiver.respond((_r, res) => void res.end('fixed'));
  const replayed = await h.admin('POST', `/admin/v1/webhooks/deliveries/${wa!.id}/replay`);
  assert.equal(replayed.statusCode, 202);
  await worker.drain();
  const last = receiver.received.at(-1)!;
  assert.equal(last.headers['webhook-id'], wa!.id);
  assert.deepEqual(JSON.parse(last.body), message());
  assert.equal((await delivery(wa!.id)).status, 'delivered');

  const recovered = json(await h.admin('POST', '/admin/v1/webhooks/deliveries/recover', { since, workspaceId: ws.id }));
  assert.deepEqual(recovered, { recovered: 1 });
  await worker.drain();
  assert.equal((await delivery(call!.id)).status, 'delivered');
  assert.equal((await h.admin('GET', '/admin/v1/webhooks/deliveries/01890000-0000-7000-8000-000000000000')).statusCode, 404);
});

test('deliveries are listed newest first by default, and in the order Sorting asks', async () => {
  const receiver = await startReceiver((r, res) => void res.writeHead(r.body.includes('"fail"') ? 500 : 200).end());
  const { ws, channel } = await channelWith(h, { whatsAppWebhookUrl: receiver.url() });
  const ids: string[] = [];
  for (const kind of ['ok', 'fail', 'ok']) {
    const [d] = await emit(h, { workspaceId: ws.id, channelId: channel.id, type: 'WhatsAppMessage', payload: { kind } });
    ids.push(d!.id);
    h.clock.advance(1000);
  }
  await worker.drain();
  const order = async (sorting?: string) => {
    const res = await h.admin('GET', `/admin/v1/webhooks/deliveries?workspaceId=${ws.id}${sorting ? `&Sorting=${encodeURIComponent(sorting)}` : ''}`);
    assert.equal(res.statusCode, 200, res.body);
    return json(res).items.map((d: { id: string }) => ids.indexOf(d.id));
  };
  assert.deepEqual(await order(), [2, 1, 0], 'CreationTime DESC');
  assert.deepEqual(await order('CreationTime ASC'), [0, 1, 2]);
  assert.deepEqual(await order('Status ASC, CreationTime DESC'), [2, 0, 1], "'delivered' before 'pending'");
  assert.deepEqual(await order('status desc'), [1, 2, 0], 'names in any case; ties newest first, as the first field is DESC');
  const bad = await h.admin('GET', `/admin/v1/webhooks/deliveries?workspaceId=${ws.id}&Sorting=Body`);
  assert.equal(bad.statusCode, 400);
  assert.equal(json(bad).error.validationErrors[0].members[0], 'Sorting');
});

test("the test endpoint sends a signed Test event to the channel's URLs", async () => {
  const receiver = await startReceiver();
  const { channel } = await channelWith(h, { whatsAppWebhookUrl: receiver.url('/wa'), postCallWebhookUrl: receiver.url('/calls'), webhookSecret: SECRET });
  const res = await h.admin('POST', `/admin/v1/channels/${channel.id}/webhooks/test`);
  assert.equal(res.statusCode, 202, res.body);
  assert.equal(json(res).deliveries.length, 2);
  await worker.drain();
  for (const got of await receiver.waitFor(2)) {
    const body = JSON.parse(got.body);
    assert.equal(body.eventType, 'Test');
    assert.equal(body.data.channelId, channel.id);
    assert.equal(got.headers['x-voxa-signature'], createHmac('sha256', SECRET).update(got.body).digest('hex'));
  }
  const bare = await channelWith(h, {});
  const none = await h.admin('POST', `/admin/v1/channels/${bare.channel.id}/webhooks/test`);
  assert.equal(none.statusCode, 422);
  assert.equal(json(none).error.code, 'Wasl:Channel:NoWebhookUrl');
});

test('a rotated secret signs beside the new one for 24 hours', async () => {
  const receiver = await startReceiver();
  const { ws, channel } = await channelWith(h, { whatsAppWebhookUrl: receiver.url(), webhookSecret: 'old-secret-0123456789' });
  await h.admin('PATCH', `/admin/v1/channels/${channel.id}`, { webhookSecret: 'new-secret-0123456789' });
  await emit(h, { workspaceId: ws.id, channelId: channel.id, type: 'WhatsAppMessage', payload: message() });
  await worker.drain();
  const [during] = await receiver.waitFor(1);
  const hmac = (secret: string, body: string) => createHmac('sha256', secret).update(body).digest('hex');
  assert.equal(during!.headers['x-voxa-signature'], hmac('new-secret-0123456789', during!.body));
  assert.equal(during!.headers['x-voxa-signature-previous'], hmac('old-secret-0123456789', during!.body));
  assert.equal(String(during!.headers['webhook-signature']).split(' ').length, 2);
  h.clock.advance(24 * 3_600_000);
  await emit(h, { workspaceId: ws.id, channelId: channel.id, type: 'WhatsAppMessage', payload: message(2) });
  await worker.drain();
  const [, after] = await receiver.waitFor(2);
  assert.equal(after!.headers['x-voxa-signature-previous'], undefined);
  assert.equal(String(after!.headers['webhook-signature']).split(' ').length, 1);
});
