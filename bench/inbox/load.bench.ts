import { createServer, request } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { parseArgs } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { cleanup, freePort, log, machineNote, onCleanup, percentile, sleep, spawnNode, tempDatabase } from '../webhooks-lib.js';

/**
 * The inbox's first load and time to interactive (issue 11; bench/inbox/README.md), PostgreSQL:
 * the real server (a `src/server.ts` child) with one workspace, a sandbox channel and N
 * conversations (customers' messages through the sandbox inbound route, processed by the server's
 * worker, then each assigned to the one signed-in person, so `/inbox` — view "Mine" — lists them).
 * First load: the bytes of `/inbox` (HTML + JS + CSS) with `Accept-Encoding: br, gzip`, compressed
 * and raw. Time to interactive, in headless Chromium (a new context each load, the cache off): from
 * navigation start to the list's first row, and to the app answering `J` (the first row selected;
 * J pressed in the page from a timer set when the row shows — so it waits for the main thread —
 * again every 10 ms until answered). Beside it, under the same conditions: an empty page (a bare
 * node:http server here: HTML + one tiny external script) and the page's API calls alone (the
 * `/v1/…` GETs one inbox load made, fetched at once from an already loaded `/inbox/not-a-page` of
 * the app's origin).
 *   node --import tsx bench/inbox/load.bench.ts [--loads=10] [--conversations=200] [--messages=3] [--throttle=both|off|on] [--pg=postgres://postgres@127.0.0.1:5432]
 * Smoke run: --loads=3.
 */
const { values: flags } = parseArgs({
  options: {
    loads: { type: 'string', default: '10' }, conversations: { type: 'string', default: '200' }, throttle: { type: 'string', default: 'both' },
    messages: { type: 'string', default: '3' }, pg: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432' },
  },
});
const LOADS = Number(flags.loads);
const CONVERSATIONS = Number(flags.conversations);
const MESSAGES = Number(flags.messages);
const PG = flags.pg!.replace(/\/+$/, '');
const CONDITIONS = ({ both: [false, true], off: [false], on: [true] } as Record<string, boolean[]>)[flags.throttle!];
if (!CONDITIONS || !(LOADS > 0) || !(CONVERSATIONS > 0)) throw new Error('usage: --loads=N --conversations=N --throttle=both|off|on');
const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const ADMIN = 'bench-admin-token-0123456789abcdef';
const PASSWORD = 'a long enough passphrase';
/** 1.6 Mbps each way (200,000 B/s), 150 ms latency, the CPU 4× slower. */
const THROTTLE = { latency: 150, downloadThroughput: 200_000, uploadThroughput: 200_000, cpu: 4 };
const began = new Date();

// --- the server and its data -------------------------------------------------------------------

async function startApp(databaseUrl: string) {
  const port = await freePort();
  const server = spawnNode(['--import', 'tsx', 'src/server.ts'], {
    DATABASE_URL: databaseUrl, PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: `http://127.0.0.1:${port}`, WASL_ADMIN_TOKEN: ADMIN, LOG_LEVEL: 'warn',
    WORKERS: '1', RATE_LIMIT_PER_MINUTE: String(1e9),
  });
  for (let i = 0; ; i++) {
    if (await fetch(`http://127.0.0.1:${port}/health/ready`).then((r) => r.ok, () => false)) break;
    if (i > 600 || server.child.exitCode !== null) throw new Error(`the server did not start:\n${server.tail.join('\n')}`);
    await sleep(100);
  }
  return `http://127.0.0.1:${port}`;
}

/** A JSON call: the admin token, or a person's cookie (with Origin, as a browser of the app sends). */
async function call(origin: string, method: string, path: string, body: unknown, auth: { admin: true } | { cookie: string } | null) {
  const headers: Record<string, string> = { origin, ...(body === undefined ? {} : { 'content-type': 'application/json' }) };
  if (auth && 'admin' in auth) headers.authorization = `Bearer ${ADMIN}`;
  if (auth && 'cookie' in auth) headers.cookie = `wasl_session=${auth.cookie}`;
  const res = await fetch(origin + path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith('wasl_session='));
  return { body: (await res.json()) as Record<string, unknown>, cookie: cookie && /^wasl_session=([^;]*)/.exec(cookie)![1]! };
}

/** In batches of `size`, `fn(i)` for i < n. */
async function batched(n: number, size: number, fn: (i: number) => Promise<unknown>) {
  for (let i = 0; i < n; i += size) await Promise.all(Array.from({ length: Math.min(size, n - i) }, (_, k) => fn(i + k)));
}

/** Workspace, sandbox channel, a signed-in Agent, N conversations of MESSAGES inbound messages each, all assigned to the Agent. */
async function seed(origin: string) {
  const admin = (method: string, path: string, body?: unknown) => call(origin, method, path, body, { admin: true }).then((r) => r.body);
  const ws = await admin('POST', '/admin/v1/workspaces', { name: `inbox-load-${process.pid}` });
  const channel = await admin('POST', `/admin/v1/workspaces/${String(ws.id)}/channels`, { name: 'Main Line', type: 2 });
  const user = await admin('POST', `/admin/v1/workspaces/${String(ws.id)}/users`, { name: 'Sara', email: `sara-${process.pid}@example.com`, role: 2 });
  const link = await admin('POST', `/admin/v1/users/${String(user.id)}/invitation`);
  const set = await call(origin, 'POST', '/v1/auth/password', { token: new URL(String(link.url)).hash.replace(/^#token=/, ''), password: PASSWORD }, null);
  const cookie = set.cookie;
  if (!cookie) throw new Error('POST /v1/auth/password set no wasl_session cookie');
  const person = { cookie };
  const t0 = performance.now();
  for (let m = 1; m <= MESSAGES; m++) {
    await batched(CONVERSATIONS, 20, (i) =>
      admin('POST', `/admin/v1/sandbox/channels/${String(channel.id)}/inbound`, { from: `+9665${String(10_000_000 + i).slice(-8)}`, name: `Customer ${i + 1}`, text: `Hello, message ${m} of ${MESSAGES}` }),
    );
  }
  log(`seed: ${CONVERSATIONS * MESSAGES} inbound messages queued in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  // Every conversation there and the list still for 2 s (the worker has processed every message; it may take them out of order).
  let ids: string[] = [];
  let before = '';
  for (let i = 0; ; i++) {
    const items: { id: string; lastActivityAt: string; lastEventBody: string | null }[] = [];
    for (let cursor: string | null = null, first = true; first || cursor; first = false) {
      const page = await call(origin, 'GET', `/v1/inbox/conversations?view=all&limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, undefined, person);
      items.push(...(page.body.items as typeof items));
      cursor = page.body.nextCursor as string | null;
    }
    ids = items.map((c) => c.id);
    const now = JSON.stringify(items.map((c) => [c.id, c.lastActivityAt, c.lastEventBody]));
    if (items.length === CONVERSATIONS && now === before) break;
    before = now;
    if (i > 150) throw new Error(`the messages were not processed within 5 minutes (${items.length} conversations; e.g. ${JSON.stringify(items[0])})`);
    await sleep(2000);
  }
  await batched(ids.length, 10, (i) => call(origin, 'POST', `/v2/conversations/service-account/${ids[i]!}/assign`, { assignedUserId: user.id }, person));
  const counts = await call(origin, 'GET', '/v1/inbox/counts', undefined, person);
  log(`seed: ${ids.length} conversations of ${MESSAGES} messages each, assigned to the person (Mine: ${JSON.stringify(counts.body.mine)}) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return cookie;
}

// --- first load: bytes ---------------------------------------------------------------------------

/** One GET with Chromium's Accept-Encoding: the body's bytes as sent and decoded. */
function getBytes(url: string, cookie: string) {
  return new Promise<{ sent: number; raw: Buffer; encoding: string }>((resolve, reject) => {
    request(url, { headers: { 'accept-encoding': 'br, gzip', cookie: `wasl_session=${cookie}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        const encoding = String(res.headers['content-encoding'] ?? 'identity');
        if (res.statusCode !== 200) return reject(new Error(`GET ${url}: ${res.statusCode}`));
        resolve({ sent: body.length, raw: encoding === 'br' ? brotliDecompressSync(body) : encoding === 'gzip' ? gunzipSync(body) : body, encoding });
      });
    })
      .on('error', reject)
      .end();
  });
}

async function firstLoadBytes(origin: string, cookie: string) {
  const html = await getBytes(`${origin}/inbox`, cookie);
  const assets = [...html.raw.toString('utf8').matchAll(/(?:src|href)="(\/inbox\/assets\/[^"]+)"/g)].map((m) => m[1]!);
  const files = [{ path: '/inbox', ...html }, ...(await Promise.all(assets.map(async (path) => ({ path, ...(await getBytes(origin + path, cookie)) }))))];
  for (const f of files) log(`first load: ${f.path} ${f.encoding} ${f.sent} B (raw ${f.raw.length} B)`);
  return { sent: files.reduce((s, f) => s + f.sent, 0), raw: files.reduce((s, f) => s + f.raw.length, 0), files };
}

// --- the empty page -------------------------------------------------------------------------------

/** A bare node:http server: an HTML page with one tiny external script that marks itself loaded. */
async function startEmpty() {
  const server = createServer((req, res) => {
    const js = req.url === '/loaded.js';
    res.writeHead(200, { 'content-type': js ? 'text/javascript' : 'text/html; charset=utf-8', 'cache-control': 'no-cache' });
    res.end(js ? 'window.__loaded = performance.now();\n' : '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Empty</title><script src="/loaded.js" defer></script></head><body><p>Empty</p></body></html>\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(() => new Promise((resolve) => (server.closeAllConnections(), server.close(resolve))));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
}

// --- loads in Chromium ----------------------------------------------------------------------------

/**
 * Marks, in page time (ms since navigation start), the list's first row and the first selected row;
 * from the first row on, presses J in the page (a `keydown` on the body, as a user's would bubble to
 * the app's listener on the document) every 10 ms until a row is selected: so no driver round trip
 * is in the time. A string, not a function: tsx would wrap a named inner function in `__name(…)`,
 * which the page does not have.
 */
const MARKS = `(() => {
  const press = () => {
    if (window.__answered !== undefined) return;
    window.__keyAt = performance.now();
    window.__keys = (window.__keys ?? 0) + 1;
    document.body.dispatchEvent(new KeyboardEvent('keydown', { key: 'j', code: 'KeyJ', bubbles: true, cancelable: true }));
    setTimeout(press, 10);
  };
  const mark = () => {
    if (window.__firstRow === undefined && document.querySelector('#conversation-list ul > li')) {
      window.__firstRow = performance.now();
      setTimeout(press, 0);
    }
    if (window.__answered === undefined && document.querySelector('#conversation-list a[aria-current="true"]')) window.__answered = performance.now();
  };
  new MutationObserver(mark).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['aria-current'] });
})();`;

/** A page of a new context (cookie set, cache off, throttled or not): a first load every time. */
async function newPage(browser: Browser, origin: string, cookie: string, throttled: boolean, throttleNow = true) {
  const context = await browser.newContext({ locale: 'en-US' });
  await context.addCookies([{ name: 'wasl_session', value: cookie, url: origin }]);
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  const throttle = async () => {
    if (!throttled) return;
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: THROTTLE.latency, downloadThroughput: THROTTLE.downloadThroughput, uploadThroughput: THROTTLE.uploadThroughput });
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: THROTTLE.cpu });
  };
  if (throttleNow) await throttle();
  return { context, page, cdp, throttle };
}

const read = (page: Page, name: string) => page.evaluate((n) => (window as unknown as Record<string, number | undefined>)[n], name);

async function loadInbox(browser: Browser, origin: string, cookie: string, throttled: boolean) {
  const { context, page, cdp } = await newPage(browser, origin, cookie, throttled);
  try {
    await page.addInitScript({ content: MARKS });
    const apis = new Set<string>();
    let firstScreen = true; // the requests before the first row (J then opens a conversation)
    page.on('request', (r) => {
      const url = new URL(r.url());
      if (firstScreen && url.origin === origin && /^\/v[12]\//.test(url.pathname) && url.pathname !== '/v1/events') apis.add(url.pathname + url.search);
    });
    let transferred = 0;
    cdp.on('Network.loadingFinished', (e: { encodedDataLength: number }) => (transferred += firstScreen ? e.encodedDataLength : 0));
    await page.goto(`${origin}/inbox`, { waitUntil: 'commit', timeout: 30_000 });
    const answered = (name: string) => page.waitForFunction((n) => (window as unknown as Record<string, number | undefined>)[n] !== undefined, name, { timeout: 30_000, polling: 10 });
    await answered('__firstRow').catch(async (err: Error) => {
      throw new Error(`no first row at ${page.url()}: "${(await page.locator('body').innerText()).slice(0, 300)}" (${err.message.split('\n')[0]})`);
    });
    firstScreen = false;
    await answered('__answered').catch(async (err: Error) => {
      throw new Error(`the inbox did not answer J (${String(await read(page, '__keys'))} presses): ${err.message.split('\n')[0]}`);
    });
    const [firstRow, at, keyAt, keys] = await Promise.all(['__firstRow', '__answered', '__keyAt', '__keys'].map((n) => read(page, n)));
    return { firstRow: firstRow!, answered: at!, keyToAnswer: at! - keyAt!, keys: keys!, apis: [...apis], transferred };
  } finally {
    await context.close();
  }
}

async function loadEmpty(browser: Browser, url: string, throttled: boolean) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    if (throttled) {
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: THROTTLE.latency, downloadThroughput: THROTTLE.downloadThroughput, uploadThroughput: THROTTLE.uploadThroughput });
      await cdp.send('Emulation.setCPUThrottlingRate', { rate: THROTTLE.cpu });
    }
    await page.goto(url, { waitUntil: 'commit', timeout: 30_000 });
    await page.waitForFunction(() => (window as unknown as { __loaded?: number }).__loaded !== undefined, undefined, { timeout: 30_000, polling: 10 });
    return (await read(page, '__loaded'))!;
  } finally {
    await context.close();
  }
}

/** The first screen's API calls at once, from a loaded page of the app's origin, throttled after it loaded. */
async function loadApis(browser: Browser, origin: string, cookie: string, throttled: boolean, apis: string[]) {
  const { context, page, throttle } = await newPage(browser, origin, cookie, throttled, false);
  try {
    await page.goto(`${origin}/inbox/not-a-page`, { waitUntil: 'networkidle', timeout: 30_000 });
    await throttle();
    return await page.evaluate(async (urls) => {
      const t0 = performance.now();
      await Promise.all(urls.map((u) => fetch(u, { credentials: 'same-origin', cache: 'no-store', headers: { accept: 'application/json' } }).then((r) => r.text())));
      return performance.now() - t0;
    }, apis);
  } finally {
    await context.close();
  }
}

// --- the run --------------------------------------------------------------------------------------

let browser: Browser | undefined;
try {
  const databaseUrl = await tempDatabase(PG, `wasl_bench_inbox_${process.pid}`);
  const origin = await startApp(databaseUrl);
  log(`server on ${origin}, database ${databaseUrl}`);
  const cookie = await seed(origin);
  const bytes = await firstLoadBytes(origin, cookie);
  const emptyUrl = await startEmpty();
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: ARGS });
  const warm = await loadInbox(browser, origin, cookie, false); // the build warmed, and the API calls of one load
  log(`warm-up load: first row ${warm.firstRow.toFixed(0)} ms, answered ${warm.answered.toFixed(0)} ms; ${(warm.transferred / 1024).toFixed(1)} KB transferred in all; API calls: ${warm.apis.join(' ')}`);

  const rows: string[] = [];
  for (const throttled of CONDITIONS) {
    const name = throttled ? 'throttled (1.6 Mbps, 150 ms, CPU 4×)' : 'loopback';
    const empty: number[] = [];
    const apis: number[] = [];
    const firstRow: number[] = [];
    const answered: number[] = [];
    const keyToAnswer: number[] = [];
    const keys: number[] = [];
    for (let i = 0; i < LOADS; i++) {
      empty.push(await loadEmpty(browser, emptyUrl, throttled));
      apis.push(await loadApis(browser, origin, cookie, throttled, warm.apis));
      const inbox = await loadInbox(browser, origin, cookie, throttled);
      firstRow.push(inbox.firstRow);
      answered.push(inbox.answered);
      keyToAnswer.push(inbox.keyToAnswer);
      keys.push(inbox.keys);
      log(`${name} ${i + 1}/${LOADS}: empty ${empty.at(-1)!.toFixed(0)} ms, API calls ${apis.at(-1)!.toFixed(0)} ms, inbox first row ${inbox.firstRow.toFixed(0)} ms, answered J ${inbox.answered.toFixed(0)} ms`);
    }
    const p = (xs: number[]) => `${percentile(xs, 50).toFixed(0)} / ${percentile(xs, 95).toFixed(0)}`;
    const target = throttled ? 2000 : 500;
    const ok = percentile(answered, 95) <= target ? '✓' : '✗';
    rows.push(`| ${name} | ${p(empty)} | ${p(apis)} | ${p(firstRow)} | **${p(answered)}** ${ok} | ${p(keyToAnswer)} | ${p(keys)} | ≤ ${target} |`);
  }

  const kb = (n: number) => (n / 1024).toFixed(1);
  process.stdout.write(
    [
      `## Inbox first load and time to interactive (issue 11), PostgreSQL — ${began.toISOString()}`,
      ...machineNote(),
      `Command: \`node --import tsx bench/inbox/load.bench.ts ${process.argv.slice(2).join(' ')}\`; ${CONVERSATIONS} conversations of ${MESSAGES} messages (+ an assignment) each, all in the person's "Mine"; headless Chromium (${CHROMIUM_PATH}), a new context each load, the cache off; ${LOADS} loads a condition, the three pages interleaved.`,
      '',
      `First load of \`/inbox\` (HTML + JS + CSS, \`Accept-Encoding: br, gzip\`): **${kb(bytes.sent)} KB** compressed (${bytes.files.map((f) => f.encoding).join(', ')}), ${kb(bytes.raw)} KB raw (target ≤ 80 KB) ${bytes.sent <= 80 * 1024 ? '✓' : '✗'}. One load in Chromium transferred ${kb(warm.transferred)} KB until its first row (headers and the first screen's API answers included).`,
      '',
      'ms from navigation start, p50 / p95:',
      '',
      '| condition | empty page (bare node:http, one script) | the API calls alone | inbox: first row | **inbox: answers J** | last J → answered | J presses | target p95 |',
      '|---|---:|---:|---:|---:|---:|---:|---:|',
      ...rows,
      '',
      `The API calls (from the network log of one load, fetched at once from a loaded \`/inbox/not-a-page\`, connections warm): ${warm.apis.map((u) => `\`${u}\``).join(', ')}.`,
      '"Answers J": the first row selected after a J pressed in the page (a keydown dispatched on the body as soon as the first row showed, then every 10 ms until answered; presses before the app listens are lost). The first row and the answer are marked by a MutationObserver from an init script, in page time.',
      '',
    ].join('\n'),
  );
} finally {
  await browser?.close().catch(() => {});
  await cleanup();
}
