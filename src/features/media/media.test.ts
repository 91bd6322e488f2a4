import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertError } from '../../../test/helpers/assert.js';
import { authBattery } from '../../../test/helpers/auth-cases.js';
import { build, json, type Workspace } from '../../../test/helpers/build.js';
import { CONVERSATIONS, ok, type Json } from '../../../test/helpers/conversations.js';
import { JPEG, startFileServer, tempDataDir } from './testing.js';

const h = await build({ WEBHOOK_ALLOW_PRIVATE: 'true', TOKEN_TTL_SECONDS: String(7 * 86_400), DATA_DIR: tempDataDir() });
const worker = await h.worker({ pollMs: 60_000 });
const files = await startFileServer();
const c = h.app.container;
const MISSING = '01890000-0000-7000-8000-000000000000';
const HOUR = 3_600_000;

/** A workspace that sent one photo: the file's id, its workspace URL, and Meta's signed link. */
async function sentPhoto(ws?: Workspace) {
  ws ??= await h.workspace();
  const channel = json(await h.admin('POST', `/admin/v1/workspaces/${ws.id}/channels`, { name: 'WhatsApp', type: 2, phoneNumber: '+966500000001', whatsApp: { provider: 'sandbox' } }));
  assert.equal((await h.admin('POST', `/admin/v1/sandbox/channels/${channel.id}/inbound`, { from: '966501234567', text: 'hi' })).statusCode, 202);
  await worker.drain();
  const sent = await ok(ws, 'POST', '/v1/whatsapp/service-account/sendFile', { channelId: channel.id, toNumber: '966501234567', fileUrl: files.serve(`/photos/${ws.id}.jpg`, JPEG), fileName: 'صورة المنتج.jpg' });
  const event = (await ok(ws, 'GET', `${CONVERSATIONS}/${sent.conversationId}/timeline`)).items[0] as Json;
  const url = new URL(event.attachment as string);
  const id = url.pathname.split('/').pop()!;
  const stored = await h.store.db.selectFrom('conversation_events').select('data').where('id', '=', sent.conversationEventId).executeTakeFirstOrThrow();
  const link = new URL((stored.data as Json).content.media.link as string);
  return { ws, id, path: url.pathname, link: link.pathname + link.search };
}

test('GET /v1/files/{id}: the bytes with their type, length and an inline disposition (the display name in UTF-8); HEAD too; another workspace or no such file → 404', async () => {
  const { ws, id, path } = await sentPhoto();
  assert.equal(path, `/v1/files/${id}`);
  const res = await ws.api('GET', path);
  assert.equal(res.statusCode, 200);
  assert.ok(res.rawPayload.equals(JPEG));
  assert.deepEqual([res.headers['content-type'], res.headers['content-length']], ['image/jpeg', String(JPEG.length)]);
  assert.equal(res.headers['content-disposition'], `inline; filename="____ ______.jpg"; filename*=UTF-8''${encodeURIComponent('صورة المنتج.jpg')}`);
  assert.equal(res.headers['x-content-type-options'], 'nosniff');
  const head = await ws.api('HEAD', path);
  assert.deepEqual([head.statusCode, head.headers['content-length']], [200, String(JPEG.length)]);

  const stranger = await h.workspace();
  assertError(await stranger.api('GET', path), 404, 'Wasl:File:NotFound');
  assertError(await ws.api('GET', `/v1/files/${MISSING}`), 404, 'Wasl:File:NotFound');
  assertError(await ws.api('GET', '/v1/files/not-an-id'), 400, 'Wasl:ValidationFailed', ['id']);
});

test('signed links: no token needed; valid until `expires` (24 hours for a send), then 403 LinkExpired; a changed signature, expiry or id → 403 LinkInvalid; a valid link to no file → 404', async () => {
  const { ws, id, link } = await sentPhoto();
  const get = (url: string) => h.app.inject({ method: 'GET', url });
  const ok1 = await get(link);
  assert.equal(ok1.statusCode, 200);
  assert.ok(ok1.rawPayload.equals(JPEG));

  const url = new URL(link, 'http://wasl.test');
  const expires = Number(url.searchParams.get('expires'));
  const signature = url.searchParams.get('signature')!;
  assert.ok(Math.abs(expires * 1000 - (h.clock.now().getTime() + 24 * HOUR)) < 2000, 'a send link lasts 24 hours');
  const other = await sentPhoto();
  const flipped = (signature[0] === 'A' ? 'B' : 'A') + signature.slice(1);
  assertError(await get(`/files/${id}?expires=${expires}&signature=${flipped}`), 403, 'Wasl:File:LinkInvalid');
  assertError(await get(`/files/${id}?expires=${expires + 3600}&signature=${signature}`), 403, 'Wasl:File:LinkInvalid');
  assertError(await get(`/files/${other.id}?expires=${expires}&signature=${signature}`), 403, 'Wasl:File:LinkInvalid');
  assertError(await get(`/files/${id}?expires=${expires}`), 400, 'Wasl:ValidationFailed', ['signature']);

  // A webhook link: MEDIA_LINK_TTL_SECONDS (an hour by default).
  const short = new URL(await c.media.webhookLink(id));
  h.clock.advance(HOUR - 1000);
  assert.equal((await get(short.pathname + short.search)).statusCode, 200);
  h.clock.advance(2000);
  assertError(await get(short.pathname + short.search), 403, 'Wasl:File:LinkExpired');
  assert.equal((await get(link)).statusCode, 200, 'the send link still works');
  h.clock.advance(23 * HOUR);
  assertError(await get(link), 403, 'Wasl:File:LinkExpired');
  assert.equal((await ws.api('GET', `/v1/files/${id}`)).statusCode, 200, 'the workspace still reads it with its token');

  const nowhere = new URL(await c.media.sendLink(MISSING));
  assertError(await get(nowhere.pathname + nowhere.search), 404, 'Wasl:File:NotFound');
});

// A real file of another workspace (made on first use, inside a test).
let shared: ReturnType<typeof sentPhoto> | undefined;
authBattery(h, async () => [{ method: 'GET', url: `/v1/files/${(await (shared ??= sentPhoto())).id}` }]);
