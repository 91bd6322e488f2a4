import assert from 'node:assert/strict';
import { test } from 'node:test';
import { freshStoreEnv, startServer } from '../helpers/process.js';
import { startReceiver } from '../helpers/receiver.js';

const ADMIN = 'split-admin-token-0123456789';

// Two processes on one store need PostgreSQL: the embedded store admits one process.
test('an API-only node (WORKERS=0) enqueues; a separate `npm run worker` process delivers', { skip: !process.env.DATABASE_URL }, async () => {
  const receiver = await startReceiver();
  const env = { ...(await freshStoreEnv()), WASL_ADMIN_TOKEN: ADMIN, WEBHOOK_ALLOW_PRIVATE: 'true', PUBLIC_URL: 'http://wasl.split' };
  const api = await startServer({ ...env, WORKERS: '0' });
  const admin = async (path: string, body?: object) => {
    const res = await fetch(`${api.base}${path}`, {
      method: body ? 'POST' : 'GET',
      headers: { authorization: `Bearer ${ADMIN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    assert.ok(res.ok, `${path}: ${res.status}`);
    return res.json() as Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  const ws = await admin('/admin/v1/workspaces', { name: 'split' });
  const channel = await admin(`/admin/v1/workspaces/${ws.id}/channels`, { name: 'c', type: 2, whatsAppWebhookUrl: receiver.url() });
  const sent = await admin(`/admin/v1/channels/${channel.id}/webhooks/test`, {});

  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(receiver.received.length, 0, 'the API-only node sends nothing');
  const pending = await admin(`/admin/v1/webhooks/deliveries/${sent.deliveries[0].id}`);
  assert.equal(pending.status, 'pending');

  const worker = await startServer(env, { script: 'src/worker.ts', npm: true }); // as a supervisor runs it: SIGTERM goes to npm
  const [got] = await receiver.waitFor(1);
  assert.equal(got!.headers['webhook-id'], sent.deliveries[0].id);
  // The receiver has the body before the worker records the run: wait for the count.
  const done = /wasl_jobs_runs_total\{name="webhook.deliver",outcome="done"\} 1/;
  let metrics = '';
  for (let i = 0; i < 50 && !done.test(metrics); i++) {
    metrics = await (await fetch(`${worker.base}/metrics`)).text();
    if (!done.test(metrics)) await new Promise((r) => setTimeout(r, 100));
  }
  assert.match(metrics, done);
  assert.equal((await fetch(`${worker.base}/health/ready`)).status, 200);
  assert.equal(await worker.stop(), 0, 'npm run worker drains and exits 0 on SIGTERM');
  assert.equal(await api.stop(), 0);
});
