import assert from 'node:assert/strict';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { assertError } from '../../../test/helpers/assert.js';
import { authBattery } from '../../../test/helpers/auth-cases.js';
import { build, json, type Harness, type Workspace } from '../../../test/helpers/build.js';
import { parseWav } from '../../lib/wav.js';
import type { FilesTable } from '../media/files.repo.js';
import { sample, SAMPLES, type SampleKind } from '../../providers/audio/testing.js';
import { multipartBody, type FormPart } from './testing.js';

/**
 * POST /v1/support/upload-audio and GET /audio/{token}.wav through HTTP, on the store the suite
 * runs on (its default file storage), plus a second app with lowered limits on the database storage.
 */
const h = await build();
// Lowered limits, on the database file storage (the PostgreSQL default) whichever store runs;
// built before the first test, as every harness must be (see contacts/count.test.ts).
const small = await build({ AUDIO_MAX_BYTES: '30000', AUDIO_MAX_SECONDS: '2', FILE_STORAGE: 'database' });
const UPLOAD = '/v1/support/upload-audio';

const send = (ws: Workspace, parts: FormPart[]) => {
  const { payload, headers } = multipartBody(parts);
  return ws.api('POST', UPLOAD, payload, headers);
};
const upload = (ws: Workspace, bytes: Buffer, filename = 'clip.bin') => send(ws, [{ name: 'audioFile', filename, data: bytes }]);
/** The public URL's path (the app answers `http://wasl.test/...`, PUBLIC_URL of the harness). */
const pathOf = (url: string) => new URL(url).pathname;
const filesOf = (harness: Harness, workspaceId: string) =>
  harness.store.db.withTables<{ files: FilesTable }>().selectFrom('files').select(['id', 'source', 'mime_type']).where('workspace_id', '=', workspaceId).execute();

test('every accepted format: WAV 8 kHz mono 16-bit of the same length (±60 ms), served without a token at the answered URL', async () => {
  const ws = await h.workspace();
  const kinds = Object.keys(SAMPLES) as SampleKind[];
  await Promise.all(
    kinds.map(async (kind) => {
      const res = await upload(ws, await sample(kind, 1), `greeting ${kind}.${SAMPLES[kind].file.split('.').pop()}`);
      assert.equal(res.statusCode, 200, `${kind}: ${res.body}`);
      const body = json(res);
      assert.deepEqual(Object.keys(body).sort(), ['durationSeconds', 'fileName', 'format', 'sizeBytes', 'url']);
      assert.match(body.url, /^http:\/\/wasl\.test\/audio\/[0-9a-f]{48}\.wav$/, kind);
      assert.equal(body.format, 'wav');
      assert.equal(body.fileName, `greeting ${kind}.wav`);
      assert.ok(Math.abs(body.durationSeconds - 1) <= 0.06, `${kind}: ${body.durationSeconds} s`);

      const wav = await h.app.inject({ method: 'GET', url: pathOf(body.url) });
      assert.equal(wav.statusCode, 200, kind);
      assert.equal(wav.headers['content-type'], 'audio/wav');
      assert.equal(wav.headers['content-length'], String(body.sizeBytes));
      assert.match(String(wav.headers['cache-control']), /max-age=\d+/);
      const info = parseWav(wav.rawPayload);
      assert.deepEqual([info.sampleRate, info.channels, info.bitsPerSample, info.format], [8000, 1, 16, 'pcm'], kind);
      assert.equal(info.durationMs / 1000, body.durationSeconds);
      assert.equal(wav.rawPayload.length, 44 + info.dataLength);
      assert.equal(info.dataLength % 2, 0);
      // The IVR engine reads the same bytes without HTTP.
      assert.ok((await h.app.container.audio.audioByUrl(body.url))!.equals(wav.rawPayload), kind);
    }),
  );
  const rows = await filesOf(h, ws.id);
  assert.equal(rows.length, kinds.length);
  assert.ok(rows.every((r) => r.source === 'audio' && r.mime_type === 'audio/wav'));
});

test('the same upload twice: identical WAV bytes, each behind its own URL', async () => {
  const ws = await h.workspace();
  const mp3 = await sample('mp3', 1);
  const [a, b] = [json(await upload(ws, mp3, 'a.mp3')), json(await upload(ws, mp3, 'a.mp3'))];
  assert.notEqual(a.url, b.url);
  const [wa, wb] = [await h.app.inject({ method: 'GET', url: pathOf(a.url) }), await h.app.inject({ method: 'GET', url: pathOf(b.url) })];
  assert.ok(wa.rawPayload.equals(wb.rawPayload));
  assert.equal(wa.headers.etag, wb.headers.etag);
});

test('the limit is AUDIO_MAX_BYTES, not BODY_LIMIT_BYTES: a 1.6 MB upload is converted', async () => {
  const ws = await h.workspace();
  const wav = await sample('wav µ-law 8 kHz', 200); // 1.6 MB, over the 1 MiB JSON body limit
  assert.ok(wav.length > h.config.bodyLimitBytes);
  const res = await upload(ws, wav, 'long.wav');
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(json(res).durationSeconds, 200);
});

test('the display name: the last path segment, no control characters, .wav; never a path; made up when absent', async () => {
  const ws = await h.workspace();
  const flac = await sample('flac', 0.5);
  assert.equal(json(await upload(ws, flac, '../../etc/passwd.flac')).fileName, 'passwd.wav');
  assert.equal(json(await upload(ws, flac, 'C:\\Users\\me\\تحية\u202e.FLAC')).fileName, 'تحية.wav');
  const unnamed = json(await send(ws, [{ name: 'audioFile', filename: '', data: flac }]));
  assert.match(unnamed.fileName, /^audio-\d{8}-\d{6}\.wav$/);
  assert.equal(json(await send(ws, [{ name: 'AUDIOFILE', filename: 'x.flac', data: flac }])).fileName, 'x.wav', 'the part name binds case-insensitively');
});

test('refused by what the bytes are: empty, junk, a text file renamed .wav, an image (415); broken audio of a known type (415 Undecodable); nothing stored', async () => {
  const ws = await h.workspace();
  const refused = async (bytes: Buffer, code: string, message: RegExp, filename = 'prompt.wav') => {
    const res = await send(ws, [{ name: 'audioFile', filename, type: 'audio/wav', data: bytes }]);
    assertError(res, 415, code, ['audioFile']);
    assert.match(json(res).error.message, message);
  };
  await refused(Buffer.alloc(0), 'Wasl:Audio:UnsupportedType', /empty/);
  await refused(Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 7919 + 13) % 251)), 'Wasl:Audio:UnsupportedType', /not a recognised audio format/);
  await refused(Buffer.from('Please press 1 to confirm.\n'.repeat(40)), 'Wasl:Audio:UnsupportedType', /text, not audio/);
  await refused(Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64'), 'Wasl:Audio:UnsupportedType', /image\/png/, 'a.png');
  await refused((await sample('mp3', 1)).subarray(0, 120), 'Wasl:Audio:Undecodable', /could not be decoded/, 'cut.mp3');
  await refused((await sample('m4a aac', 1)).subarray(0, 2000), 'Wasl:Audio:Undecodable', /moov atom not found/, 'cut.m4a');
  assert.deepEqual(await filesOf(h, ws.id), []);
});

test('the body: no audioFile part → 400 naming it; not multipart (JSON, text, none) → 415 saying multipart; a broken form → 400', async () => {
  const ws = await h.workspace();
  assertError(await send(ws, [{ name: 'note', data: 'no file here' }]), 400, 'Wasl:ValidationFailed', ['audioFile']);
  const wrongName = await send(ws, [{ name: 'file', filename: 'a.mp3', data: await sample('mp3', 0.5) }]);
  assertError(wrongName, 400, 'Wasl:ValidationFailed', ['audioFile']);
  assert.match(json(wrongName).error.validationErrors[0].message, /"file"/);
  const two = await send(ws, [{ name: 'audioFile', filename: 'a.mp3', data: await sample('mp3', 0.5) }, { name: 'audioFile', filename: 'b.mp3', data: await sample('mp3', 0.5) }]);
  assertError(two, 400, 'Wasl:ValidationFailed', ['audioFile']);
  for (const res of [
    await ws.api('POST', UPLOAD, { audioFile: 'aGVsbG8=' }),
    await ws.api('POST', UPLOAD, 'hello', { 'content-type': 'text/plain' }),
    await ws.api('POST', UPLOAD, await sample('mp3', 0.5), { 'content-type': 'audio/mpeg' }),
    await ws.api('POST', UPLOAD),
  ]) {
    assertError(res, 415, 'Wasl:UnsupportedMediaType');
    assert.match(json(res).error.message, /send multipart\/form-data/);
  }
  assertError(await ws.api('POST', UPLOAD, '--x\r\nContent-Disposition: form-data; name="audioFile"; filename="a"\r\n\r\nabc', { 'content-type': 'multipart/form-data; boundary=x' }), 400, 'Wasl:MalformedBody');
  assertError(await ws.api('POST', UPLOAD, 'abc', { 'content-type': 'multipart/form-data' }), 400, 'Wasl:MalformedBody');
  // Only this route reads multipart: the rest of the API still refuses it.
  const { payload, headers } = multipartBody([{ name: 'name', data: 'x' }]);
  const contact = await ws.api('POST', '/v1/contacts', payload, headers);
  assertError(contact, 415, 'Wasl:UnsupportedMediaType');
  assert.match(json(contact).error.message, /application\/json/);
});

test('GET /audio/{token}.wav: no token needed; HEAD gives the length; an unknown or malformed id → 404 in the envelope', async () => {
  const ws = await h.workspace();
  const { url, sizeBytes } = json(await upload(ws, await sample('ogg opus', 0.5), 'p.opus'));
  const head = await h.app.inject({ method: 'HEAD', url: pathOf(url) });
  assert.deepEqual([head.statusCode, head.headers['content-length'], head.headers['content-type']], [200, String(sizeBytes), 'audio/wav']);
  assertError(await h.app.inject({ method: 'GET', url: `/audio/${'0'.repeat(48)}.wav` }), 404, 'Wasl:Audio:NotFound');
  assertError(await h.app.inject({ method: 'GET', url: '/audio/not-a-token.wav' }), 404, 'Wasl:Audio:NotFound');
  const upper = pathOf(url).replace(/[0-9a-f]{48}/, (t) => t.toUpperCase());
  assert.equal((await h.app.inject({ method: 'GET', url: upper })).statusCode, 200, 'the id is hex: its case does not matter');
});

test('audioByUrl recognises only Wasl\'s own audio URLs', async () => {
  const ws = await h.workspace();
  const { url } = json(await upload(ws, await sample('amr-nb', 0.5), 'a.amr'));
  const { audio } = h.app.container;
  assert.ok(await audio.audioByUrl(url));
  assert.ok(await audio.audioByUrl(`${url}?cache=1`), 'a query string does not matter');
  for (const other of [url.replace('wasl.test', 'evil.test'), url.replace('http:', 'https:'), url.replace('/audio/', '/files/'), url.replace(/[0-9a-f]{4}\.wav$/, '0000.wav'), 'not a url', '']) {
    assert.equal(await audio.audioByUrl(other), undefined, other);
  }
});

test('the upload belongs to its workspace: the stored WAV is its file (GET /v1/files/{id}), another workspace gets 404', async () => {
  const ws = await h.workspace();
  const { sizeBytes } = json(await upload(ws, await sample('wav µ-law 8 kHz', 0.5), 'mulaw.wav'));
  const [row] = await filesOf(h, ws.id);
  const own = await ws.api('GET', `/v1/files/${row!.id}`);
  assert.deepEqual([own.statusCode, own.headers['content-type'], own.rawPayload.length], [200, 'audio/wav', sizeBytes]);
  assertError(await (await h.workspace()).api('GET', `/v1/files/${row!.id}`), 404, 'Wasl:File:NotFound');
});

authBattery(h, () => [{ method: 'POST', url: UPLOAD }]);

test('limits: more than AUDIO_MAX_BYTES → 413, unread when Content-Length says so, cut off while streaming otherwise; longer than AUDIO_MAX_SECONDS → 413; nothing stored', async () => {
  const ws = await small.workspace();
  const big = Buffer.concat([await sample('wav µ-law 8 kHz', 4), Buffer.alloc(0)]); // 32 KB: over 30,000 bytes, within the multipart allowance
  const huge = await sample('wav s16 44.1 kHz stereo', 1); // 176 KB: refused by its Content-Length
  for (const bytes of [big, huge]) {
    const res = await upload(ws, bytes, 'long.wav');
    assertError(res, 413, 'Wasl:Audio:TooLarge', ['audioFile']);
    assert.equal(json(res).error.data.limitBytes, 30000);
    assert.match(json(res).error.message, /larger than 30000 bytes \(0\.03 MB\)/);
    assert.equal(res.headers.connection, 'close', 'the rest of the body is not read');
  }
  const long = await upload(ws, await sample('ogg opus', 3), 'long.opus'); // ~12 KB of Opus: small, but 3 s
  assertError(long, 413, 'Wasl:Audio:TooLong', ['audioFile']);
  assert.equal(json(long).error.data.limitSeconds, 2);
  assert.deepEqual(await filesOf(small, ws.id), []);

  const fits = await upload(ws, await sample('ogg opus', 2), 'fits.opus');
  assert.equal(fits.statusCode, 200, fits.body);
  const wav = await small.app.inject({ method: 'GET', url: pathOf(json(fits).url) });
  assert.equal(wav.statusCode, 200);
  assert.equal(parseWav(wav.rawPayload).durationMs, 2000);
  assert.ok((await small.app.container.audio.audioByUrl(json(fits).url))!.equals(wav.rawPayload));
});

test('over real HTTP: a Content-Length past the limit is answered 413 before the body is sent, and the connection closed', { timeout: 15_000 }, async () => {
  const ws = await small.workspace();
  await small.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = small.app.server.address() as AddressInfo;
  const answer = await new Promise<{ status: number; connection: string | undefined; body: string }>((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method: 'POST', path: UPLOAD, headers: { authorization: `Bearer ${ws.token}`, 'content-type': 'multipart/form-data; boundary=x', 'content-length': '50000000' } },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection, body }));
      },
    );
    req.on('error', reject);
    // The headers and the first bytes only: the 50 MB never come.
    req.write('--x\r\n');
  });
  assert.equal(answer.status, 413);
  assert.equal(answer.connection, 'close');
  assert.equal(JSON.parse(answer.body).error.code, 'Wasl:Audio:TooLarge');
});
