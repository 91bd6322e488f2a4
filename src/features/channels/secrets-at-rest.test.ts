import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { sql, type Kysely } from 'kysely';
import pino from 'pino';
import { buildApp } from '../../app.js';
import { ConfigError, loadConfig } from '../../config.js';
import * as m0005 from '../../db/migrations/0005_sealed_secrets.js';
import type { Db } from '../../db/store.js';
import { keyId, SecretKeyError } from '../../lib/secret-box.js';
import { metaSignature } from '../../providers/whatsapp/meta.js';
import { ADMIN_TOKEN, build, json, type Harness } from '../../../test/helpers/build.js';
import { startReceiver } from '../../../test/helpers/receiver.js';

const SEALED = /^v1:[\w-]{10}:[\w-]+:[\w-]*:[\w-]+$/;
const newKey = () => randomBytes(32).toString('base64');
const env = (extra: Record<string, string> = {}) =>
  loadConfig({ WASL_ADMIN_TOKEN: ADMIN_TOKEN, LOG_LEVEL: 'silent', PUBLIC_URL: 'http://wasl.test', WEBHOOK_ALLOW_PRIVATE: 'true', ...extra });

/** The rows exactly as stored, every column. */
async function rawRows(db: Db, table: 'channels' | 'workspaces', id: string) {
  const { rows } = await sql<Record<string, unknown>>`SELECT * FROM ${sql.table(table)} WHERE id = ${id}`.execute(db);
  assert.equal(rows.length, 1);
  return rows[0]!;
}

function assertNothingInClear(row: Record<string, unknown>, secrets: string[], sealedColumns: string[]) {
  const text = JSON.stringify(row);
  for (const secret of secrets) assert.ok(!text.includes(secret), `${secret} is not stored in clear`);
  for (const column of sealedColumns) assert.match(String(row[column]), SEALED, column);
}

/** A second app on the same store, as the next start of the server would be. */
async function restart(h: Harness, extra: Record<string, string> = {}) {
  const app = await buildApp({ config: env(extra), db: h.store.db, engine: h.store.engine, clock: h.clock, logger: false });
  return app;
}

test('rows from before encryption (as 0005 leaves them) are sealed at the next start, and still sign, call and verify', async () => {
  const h = await build({ WEBHOOK_ALLOW_PRIVATE: 'true' });
  const worker = await h.worker({ pollMs: 60_000 });
  const receiver = await startReceiver();
  const ws = await h.workspace();
  const created = json(await h.admin('POST', `/admin/v1/workspaces/${ws.id}/channels`, { name: 'legacy', type: 2, whatsAppWebhookUrl: receiver.url('/wa') }));
  const legacy = { token: 'EAAG-legacy-token-in-clear', appSecret: 'legacy-app-secret-in-clear', verify: 'legacy-verify-in-clear', hook: 'legacy-webhook-secret-0123', old: 'legacy-previous-secret-0123', wsHook: 'legacy-ws-secret-0123456' };

  // The store as it was before 0005: credentials inside the whatsapp settings, secrets in clear.
  await m0005.down(h.store.db as unknown as Kysely<unknown>);
  await sql`UPDATE channels SET whatsapp = whatsapp || ${JSON.stringify({ provider: 'cloud', phoneNumberId: '1111', accessToken: legacy.token, appSecret: legacy.appSecret, verifyToken: legacy.verify })}::jsonb,
              webhook_secret = ${legacy.hook}, previous_webhook_secret = ${legacy.old}, webhook_secret_rotated_at = ${h.clock.now()} WHERE id = ${created.id}`.execute(h.store.db);
  await sql`UPDATE workspaces SET webhook_secret = ${legacy.wsHook} WHERE id = ${ws.id}`.execute(h.store.db);

  await m0005.up(h.store.db as unknown as Kysely<unknown>);
  const migrated = await rawRows(h.store.db, 'channels', created.id);
  assert.deepEqual(Object.keys(migrated.whatsapp as object).sort(), ['accountId', 'phoneNumberId', 'provider'], 'credentials left the settings');
  assert.deepEqual(JSON.parse(String(migrated.provider_secrets).replace(/^plain:/, '')), { whatsApp: { accessToken: legacy.token, appSecret: legacy.appSecret, verifyToken: legacy.verify } });
  assert.equal(migrated.webhook_secret, `plain:${legacy.hook}`);
  assert.equal((await rawRows(h.store.db, 'workspaces', ws.id)).webhook_secret, `plain:${legacy.wsHook}`);

  const next = await restart(h);
  try {
    assertNothingInClear(await rawRows(h.store.db, 'channels', created.id), Object.values(legacy), ['provider_secrets', 'webhook_secret', 'previous_webhook_secret']);
    assertNothingInClear(await rawRows(h.store.db, 'workspaces', ws.id), Object.values(legacy), ['webhook_secret']);

    const listed = json(await next.inject({ method: 'GET', url: `/admin/v1/workspaces/${ws.id}/channels`, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }));
    assert.deepEqual(listed.items[0].whatsApp, { provider: 'cloud', phoneNumberId: '1111', businessAccountId: null, graphBaseUrl: 'https://graph.facebook.com/v21.0', hasAccessToken: true, hasAppSecret: true, hasVerifyToken: true });
    assert.equal(listed.items[0].hasWebhookSecret, true);

    // The adapter gets the opened credentials: it checks Meta's signature with the app secret and answers the handshake with the verify token.
    const adapter = (await next.container.channels.whatsApp(created.id))!;
    const body = Buffer.from(JSON.stringify({ entry: [{ changes: [{ value: { statuses: [{ id: 'wamid.1', status: 'read', timestamp: '1767225600', recipient_id: '966500000001' }] } }] }] }));
    assert.equal(adapter.parseWebhook(body, metaSignature(body, legacy.appSecret)).statuses[0]?.status, 'read');
    assert.equal(adapter.verifySubscription({ mode: 'subscribe', verifyToken: legacy.verify, challenge: 'c-1' }), 'c-1');

    // And the webhook is signed with the opened secret, the previous one beside it.
    const sent = await next.inject({ method: 'POST', url: `/admin/v1/channels/${created.id}/webhooks/test`, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    assert.equal(sent.statusCode, 202, sent.body);
    await worker.drain();
    const [got] = await receiver.waitFor(1);
    assert.equal(got!.headers['x-voxa-signature'], createHmac('sha256', legacy.hook).update(got!.body).digest('hex'));
    assert.equal(got!.headers['x-voxa-signature-previous'], createHmac('sha256', legacy.old).update(got!.body).digest('hex'));
  } finally {
    await next.close();
  }
});

test('secrets set through the API are stored sealed, in channels and workspaces, rotations included; nothing in clear', async () => {
  const h = await build();
  const ws = await h.workspace();
  const secrets = ['EAAG-fresh-token-0123456789', 'fresh-app-secret-0123', 'fresh-verify-token-0123', 'fresh-webhook-secret-0123', 'fresh-webhook-secret-4567', 'fresh-ws-secret-0123456', 'fresh-ws-secret-7890123'];
  const channel = json(
    await h.admin('POST', `/admin/v1/workspaces/${ws.id}/channels`, {
      name: 'sealed',
      type: 3,
      phoneNumber: '+966500111222',
      whatsApp: { provider: 'cloud', phoneNumberId: '42', accessToken: secrets[0], appSecret: secrets[1], verifyToken: secrets[2] },
      webhookSecret: secrets[3],
    }),
  );
  assert.equal((await h.admin('PATCH', `/admin/v1/channels/${channel.id}`, { webhookSecret: secrets[4] })).statusCode, 200);
  assert.equal((await h.admin('PATCH', `/admin/v1/workspaces/${ws.id}`, { webhookSecret: secrets[5] })).statusCode, 200);
  assert.equal((await h.admin('PATCH', `/admin/v1/workspaces/${ws.id}`, { webhookSecret: secrets[6] })).statusCode, 200);

  assertNothingInClear(await rawRows(h.store.db, 'channels', channel.id), secrets, ['provider_secrets', 'webhook_secret', 'previous_webhook_secret']);
  assertNothingInClear(await rawRows(h.store.db, 'workspaces', ws.id), secrets, ['webhook_secret', 'previous_webhook_secret']);
  const hooks = await h.app.container.channels.webhookHooks(channel.id);
  assert.deepEqual([hooks?.secrets.webhook_secret, hooks?.secrets.previous_webhook_secret], [secrets[4], secrets[3]], 'opened for signing');

  // Setting the same secret again is no rotation: the previous one stays what it was.
  const before = await rawRows(h.store.db, 'workspaces', ws.id);
  assert.equal((await h.admin('PATCH', `/admin/v1/workspaces/${ws.id}`, { webhookSecret: secrets[6] })).statusCode, 200);
  assert.deepEqual(await rawRows(h.store.db, 'workspaces', ws.id), before);
});

test('a wrong key at start is a clear error naming the key ids; the old key in WASL_ENCRYPTION_KEYS_OLD rotates instead', async () => {
  const [a, b] = [newKey(), newKey()];
  const h = await build({ WASL_ENCRYPTION_KEY: a });
  const ws = await h.workspace();
  const channel = json(await h.admin('POST', `/admin/v1/workspaces/${ws.id}/channels`, { name: 'k', type: 2, webhookSecret: 'keyed-webhook-secret-0123' }));
  const sealedUnderA = await rawRows(h.store.db, 'channels', channel.id);
  const kidA = keyId(Buffer.from(a, 'base64'));
  const kidB = keyId(Buffer.from(b, 'base64'));
  assert.ok(String(sealedUnderA.webhook_secret).startsWith(`v1:${kidA}:`));

  await assert.rejects(restart(h, { WASL_ENCRYPTION_KEY: b }), (err: Error) => {
    assert.ok(err instanceof SecretKeyError, String(err));
    assert.match(err.message, new RegExp(`encrypted with key ${kidA}, which is neither WASL_ENCRYPTION_KEY \\(${kidB}\\) nor among WASL_ENCRYPTION_KEYS_OLD`));
    return true;
  });
  assert.deepEqual(await rawRows(h.store.db, 'channels', channel.id), sealedUnderA, 'nothing was touched');

  const rotated = await restart(h, { WASL_ENCRYPTION_KEY: b, WASL_ENCRYPTION_KEYS_OLD: a });
  await rotated.close();
  const row = await rawRows(h.store.db, 'channels', channel.id);
  assert.ok(String(row.webhook_secret).startsWith(`v1:${kidB}:`), 'sealed again under the new key');
  const next = await restart(h, { WASL_ENCRYPTION_KEY: b });
  try {
    assert.equal((await next.container.channels.webhookHooks(channel.id))?.secrets.webhook_secret, 'keyed-webhook-secret-0123', 'the new key alone opens it');
  } finally {
    await next.close();
  }

  for (const bad of ['short', randomBytes(16).toString('base64'), `${a},${b}`]) {
    assert.throws(() => env({ WASL_ENCRYPTION_KEY: bad }), ConfigError, bad);
  }
  assert.throws(() => env({ WASL_ENCRYPTION_KEYS_OLD: `${a},nope` }), /WASL_ENCRYPTION_KEYS_OLD \(key 2\) must be 32 random bytes/);
});

test('without WASL_ENCRYPTION_KEY a key is generated once, kept in the store, and every start warns; with it, no warning', async () => {
  const lines: { level: number; msg: string }[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const h = await build({}, { logger: pino({ level: 'warn' }, sink) });
  const stored = await h.app.container.settings.get<string>('encryption_key');
  assert.equal(Buffer.from(stored!, 'base64').length, 32);
  const warned = () => lines.filter((l) => l.level === 40 && /WASL_ENCRYPTION_KEY is not set/.test(l.msg)).length;
  assert.equal(warned(), 1);
  assert.ok(!lines.some((l) => JSON.stringify(l).includes(stored!)), 'the key itself is never logged');

  const again = await buildApp({ config: env(), db: h.store.db, engine: h.store.engine, clock: h.clock, logger: pino({ level: 'warn' }, sink) });
  await again.close();
  assert.equal(warned(), 2, 'a later start on the stored key warns too');
  assert.equal(await h.app.container.settings.get<string>('encryption_key'), stored, 'the same key');

  const configured = await buildApp({ config: env({ WASL_ENCRYPTION_KEY: newKey() }), db: h.store.db, engine: h.store.engine, clock: h.clock, logger: pino({ level: 'warn' }, sink) });
  await configured.close();
  assert.equal(warned(), 2, 'no warning with a configured key');
});
