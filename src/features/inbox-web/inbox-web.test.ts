import assert from 'node:assert/strict';
import { test } from 'node:test';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import type { LightMyRequestResponse } from 'fastify';
import { build, json } from '../../../test/helpers/build.js';
import { CSP, pickEncoding } from './inbox-web.routes.js';

/** The inbox web app at /inbox (issue 11): shell, hashed assets, compression, CSP, not-found. */
const h = await build();
const get = (url: string, headers: Record<string, string> = {}) => h.app.inject({ method: 'GET', url, headers });
const assetsOf = (html: string) => [...html.matchAll(/(?:src|href)="(\/inbox\/assets\/[^"]+)"/g)].map((m) => m[1]!);
const text = (res: LightMyRequestResponse) => {
  const enc = res.headers['content-encoding'];
  return (enc === 'br' ? brotliDecompressSync(res.rawPayload) : enc === 'gzip' ? gunzipSync(res.rawPayload) : res.rawPayload).toString('utf8');
};

test('first load (HTML + JS + CSS, compressed as a browser asks) stays within 80 KB', async () => {
  const sizes: Record<string, number> = {};
  for (const encoding of ['br, gzip', 'gzip', 'identity']) {
    const page = await get('/inbox', { 'accept-encoding': encoding });
    assert.equal(page.statusCode, 200);
    let total = page.rawPayload.length;
    const assets = assetsOf(text(page));
    assert.equal(assets.length, 2, 'one script, one stylesheet');
    for (const url of assets) {
      const res = await get(url, { 'accept-encoding': encoding });
      assert.equal(res.statusCode, 200, url);
      total += res.rawPayload.length;
    }
    sizes[encoding] = total;
  }
  assert.ok(sizes['br, gzip']! <= 80 * 1024, `first load ${sizes['br, gzip']} bytes > 80 KB`);
  assert.ok(sizes['br, gzip']! < sizes.gzip! && sizes.gzip! < sizes.identity!, JSON.stringify(sizes));
});

test('the shell: CSP, nosniff, no-referrer, no-cache, no inline script or style; every app page answers 200', async () => {
  for (const url of ['/inbox', '/inbox/', '/inbox/welcome', '/inbox/sign-in', '/inbox/settings', '/INBOX/Welcome', '/inbox/c/0190a5e3-7c1f-7a2b-9c3d-4e5f60718293', '/inbox?view=all&status=closed']) {
    const res = await get(url, { 'accept-encoding': 'br' });
    assert.equal(res.statusCode, 200, url);
    assert.equal(res.headers['content-security-policy'], CSP);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.headers['referrer-policy'], 'no-referrer');
    assert.equal(res.headers['cache-control'], 'no-cache');
    assert.match(String(res.headers['content-type']), /^text\/html; charset=utf-8/);
    assert.equal(res.headers['content-encoding'], 'br');
    const html = text(res);
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/i, 'no inline script');
    assert.doesNotMatch(html, /<style|\sstyle=|\son\w+=/i, 'no inline style or handler');
  }
  assert.match(CSP, /script-src 'self';/);
  assert.doesNotMatch(CSP, /unsafe-inline|unsafe-eval/);
  // The HTML revalidates: its ETag answers 304.
  const first = await get('/inbox');
  const again = await get('/inbox', { 'if-none-match': String(first.headers.etag) });
  assert.equal(again.statusCode, 304);
});

test('hashed assets are immutable, named by content, compressed by Accept-Encoding', async () => {
  const [js, css] = assetsOf(text(await get('/inbox'))).sort((a, b) => (a.endsWith('.js') ? -1 : b.endsWith('.js') ? 1 : 0));
  assert.match(js!, /^\/inbox\/assets\/app-[0-9a-f]{16}\.js$/);
  assert.match(css!, /^\/inbox\/assets\/app-[0-9a-f]{16}\.css$/);
  const raw = await get(js!);
  assert.equal(raw.headers['cache-control'], 'public, max-age=31536000, immutable');
  assert.match(String(raw.headers['content-type']), /^text\/javascript/);
  assert.equal(raw.headers['content-encoding'], undefined);
  assert.equal(raw.headers.vary, 'Accept-Encoding');
  for (const [accept, encoding] of [['gzip, deflate', 'gzip'], ['br;q=1, gzip;q=0.5', 'br'], ['br;q=0, gzip', 'gzip'], ['*', 'gzip']] as const) {
    const res = await get(js!, { 'accept-encoding': accept });
    assert.equal(res.headers['content-encoding'], encoding, accept);
    assert.equal(text(res), raw.body, accept);
  }
  const style = await get(css!, { 'accept-encoding': 'br' });
  assert.match(String(style.headers['content-type']), /^text\/css/);
  assert.doesNotMatch(text(style), /(?:^|[^-])(?:margin|padding)-(?:left|right)\b|[{;]\s*(?:left|right)\s*:|text-align:\s*(?:left|right)/, 'logical properties only');
  assert.equal(pickEncoding(undefined), null);
  assert.equal(pickEncoding('identity'), null);
});

test('an unknown /inbox path gets the shell with 404 (the app shows its not-found page); /v1 keeps the envelope', async () => {
  for (const url of ['/inbox/nope', '/inbox/c/not-a-uuid', '/inbox/assets/app-0000000000000000.js', '/inbox/welcome/extra']) {
    const res = await get(url);
    assert.equal(res.statusCode, 404, url);
    assert.match(String(res.headers['content-type']), /^text\/html/, url);
    assert.equal(res.headers['content-security-policy'], CSP, url);
    assert.match(res.body, /<div id="app">/, url);
  }
  const api = await get('/v1/nope');
  assert.equal(api.statusCode, 404);
  assert.match(String(api.headers['content-type']), /^application\/json/);
  assert.equal(typeof json(api).error.code, 'string');
});

test('the inbox is not in the OpenAPI document', async () => {
  const doc = json(await get('/openapi.json'));
  assert.deepEqual(Object.keys(doc.paths).filter((p) => p.toLowerCase().startsWith('/inbox')), []);
});
