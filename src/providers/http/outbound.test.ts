import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import {
  createOutboundHttp,
  OutboundNetworkError,
  OutboundRefusedError,
  OutboundTimeoutError,
  type OutboundOptions,
} from './outbound.js';
import { checkUrl } from './ssrf.js';

interface Received {
  method: string;
  url: string;
  rawHeaders: string[];
  body: Buffer;
}

/** A real server on 127.0.0.1 that records every request (body included) before `handle` answers. */
async function startServer(t: TestContext, handle: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end('ok')) {
  const received: Received[] = [];
  let connections = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', rawHeaders: req.rawHeaders, body: Buffer.concat(chunks) });
      handle(req, res);
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return { port, url: `http://127.0.0.1:${port}`, received, connections: () => connections };
}

function client(t: TestContext, options: OutboundOptions) {
  const http = createOutboundHttp(options);
  t.after(() => http.close());
  return http;
}

/** rawHeaders as [name, value] pairs, names as sent. */
const pairs = (raw: string[]) => raw.flatMap((value, i) => (i % 2 === 0 ? [[value, raw[i + 1]]] : []));

const BODY = JSON.stringify({ event: 'message.status', text: 'مرحبا 👋', conversationEventId: 'e-1' });
const HEADERS = {
  'Content-Type': 'application/json',
  'X-Voxa-Signature': 'ab12cd',
  'webhook-id': 'msg_2Q',
  'webhook-timestamp': '1767225600',
  'webhook-signature': 'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=',
};

test('POSTs the body and headers byte for byte and returns status, headers and a 1 KiB excerpt', async (t) => {
  const answer = '0123456789'.repeat(500);
  const server = await startServer(t, (_req, res) => res.writeHead(200, { 'content-type': 'text/plain', 'x-seen': 'yes' }).end(answer));
  const response = await client(t, { allowPrivate: true }).post(`${server.url}/hooks/in?k=1`, { headers: HEADERS, body: BODY });

  assert.equal(response.status, 200);
  assert.equal(response.headers['x-seen'], 'yes');
  assert.equal(response.headers['content-type'], 'text/plain');
  assert.equal(response.bodyExcerpt, answer.slice(0, 1024));
  assert.ok(response.latencyMs >= 0 && response.latencyMs < 5000);

  assert.equal(server.received.length, 1);
  const [request] = server.received;
  assert.equal(request?.method, 'POST');
  assert.equal(request?.url, '/hooks/in?k=1');
  assert.deepEqual(request?.body, Buffer.from(BODY, 'utf8'));
  const sent = pairs(request?.rawHeaders ?? []);
  for (const [name, value] of Object.entries(HEADERS)) assert.ok(sent.some(([n, v]) => n === name && v === value), `${name}: ${value}`);
  assert.deepEqual(sent.filter(([n]) => n?.toLowerCase() === 'user-agent'), [['user-agent', 'Wasl/1.0']], 'the default user agent names no feature');
  assert.deepEqual(sent.filter(([n]) => n?.toLowerCase() === 'content-length'), [['content-length', String(Buffer.byteLength(BODY))]]);
});

test('a User-Agent given in any case replaces the default', async (t) => {
  const server = await startServer(t);
  await client(t, { allowPrivate: true }).post(server.url, { headers: { 'User-Agent': 'Custom/2' }, body: '' });
  const sent = pairs(server.received[0]?.rawHeaders ?? []);
  assert.deepEqual(sent.filter(([n]) => n?.toLowerCase() === 'user-agent'), [['User-Agent', 'Custom/2']]);
});

test('the user agent is an option: each part of Wasl says who is calling', async (t) => {
  const server = await startServer(t);
  await client(t, { allowPrivate: true, userAgent: 'Wasl-Webhooks/1.0' }).post(server.url, { headers: {}, body: '' });
  const sent = pairs(server.received[0]?.rawHeaders ?? []);
  assert.deepEqual(sent.filter(([n]) => n?.toLowerCase() === 'user-agent'), [['user-agent', 'Wasl-Webhooks/1.0']]);
});

test('GET with maxBodyBytes returns the whole body as bytes, sends no body, and refuses a larger one', async (t) => {
  const json = JSON.stringify({ data: 'x'.repeat(5000), text: 'مرحبا' });
  const server = await startServer(t, (req, res) => (req.url === '/big' ? res.end(Buffer.alloc(70_000, 'y')) : res.writeHead(200, { 'content-type': 'application/json' }).end(json)));
  const http = client(t, { allowPrivate: true });
  const response = await http.get(`${server.url}/v21.0/123?fields=a,b`, { headers: { authorization: 'Bearer t' }, maxBodyBytes: 64 * 1024 });
  assert.equal(response.status, 200);
  assert.equal(response.body?.toString('utf8'), json);
  assert.equal(response.bodyExcerpt, json.slice(0, 1024));
  const [request] = server.received;
  assert.equal(request?.method, 'GET');
  assert.equal(request?.url, '/v21.0/123?fields=a,b');
  assert.equal(request?.body.length, 0);
  assert.ok(!pairs(request?.rawHeaders ?? []).some(([n]) => n?.toLowerCase() === 'content-length'), 'no body, no content-length');
  await assert.rejects(http.get(`${server.url}/big`, { maxBodyBytes: 64 * 1024 }), { name: 'OutboundTooLargeError', maxBytes: 65536 });
  const excerptOnly = await http.get(`${server.url}/big`);
  assert.equal(excerptOnly.body, undefined, 'without maxBodyBytes only the excerpt is kept');
  assert.equal(excerptOnly.bodyExcerpt.length, 1024);
});

test('a request names the setting its URL came from in refusals', async (t) => {
  const http = client(t, { allowPrivate: false, label: 'webhook URL', lookup: async () => ['169.254.169.254'] });
  await assert.rejects(http.get('http://graph.example.test/v21.0/1', { label: 'whatsApp.graphBaseUrl' }), {
    name: 'OutboundRefusedError',
    message: 'whatsApp.graphBaseUrl host graph.example.test resolves to 169.254.169.254, a cloud metadata address (169.254.169.254/32).',
  });
  await assert.rejects(http.post('http://169.254.169.254/', { body: '' }), { message: 'webhook URL host 169.254.169.254 is a cloud metadata address (169.254.169.254/32).' });
});

test('the excerpt is cut at a character boundary', async (t) => {
  // 1 + 2 × 511 = 1023 bytes, so byte 1024 is the first half of the next 'ب'.
  const server = await startServer(t, (_req, res) => res.end(`a${'ب'.repeat(600)}`));
  const response = await client(t, { allowPrivate: true }).post(server.url, { headers: {}, body: '{}' });
  assert.equal(response.bodyExcerpt, `a${'ب'.repeat(511)}`);
});

test('a body that will not end is dropped after 64 KiB instead of waited for', async (t) => {
  const server = await startServer(t, (_req, res) => {
    res.writeHead(200);
    res.write(Buffer.alloc(200 * 1024, 'z')); // and never end
  });
  const response = await client(t, { allowPrivate: true, timeoutMs: 3000 }).post(server.url, { headers: {}, body: '{}' });
  assert.equal(response.status, 200);
  assert.equal(response.bodyExcerpt, 'z'.repeat(1024));
});

test('a 302 is returned as it is and its Location is not followed', async (t) => {
  const target = await startServer(t);
  const server = await startServer(t, (_req, res) => res.writeHead(302, { location: `${target.url}/elsewhere` }).end());
  const response = await client(t, { allowPrivate: true }).post(server.url, { headers: {}, body: '{}' });
  assert.equal(response.status, 302);
  assert.equal(response.headers.location, `${target.url}/elsewhere`);
  assert.equal(server.received.length, 1);
  assert.equal(target.received.length, 0);
  assert.equal(target.connections(), 0);
});

test('a server that never answers → OutboundTimeoutError after timeoutMs', async (t) => {
  const server = await startServer(t, () => {});
  const started = Date.now();
  await assert.rejects(client(t, { allowPrivate: true, timeoutMs: 300 }).post(server.url, { headers: {}, body: '{}' }), (err: unknown) => {
    assert.ok(err instanceof OutboundTimeoutError, String(err));
    assert.equal(err.timeoutMs, 300);
    return true;
  });
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 250 && elapsed < 2000, `${elapsed} ms`);
  assert.equal(server.received.length, 1);
});

test('a lookup that never returns is covered by the same time-out', async (t) => {
  const http = client(t, { allowPrivate: true, timeoutMs: 200, lookup: () => new Promise<string[]>(() => {}) });
  await assert.rejects(http.post('http://hangs.test/', { headers: {}, body: '' }), OutboundTimeoutError);
});

test('a closed port → OutboundNetworkError with ECONNREFUSED', async (t) => {
  const server = await startServer(t);
  const closedUrl = `${server.url.replace(/:\d+$/, '')}:${await freePort()}`;
  await assert.rejects(client(t, { allowPrivate: true }).post(closedUrl, { headers: {}, body: '' }), (err: unknown) => {
    assert.ok(err instanceof OutboundNetworkError, String(err));
    assert.equal(err.code, 'ECONNREFUSED');
    return true;
  });
});

test('a name that does not resolve → OutboundNetworkError with the resolver code', async (t) => {
  const lookup = async (hostname: string): Promise<string[]> => {
    throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
  };
  await assert.rejects(client(t, { allowPrivate: true, lookup }).post('http://gone.test/', { headers: {}, body: '' }), {
    name: 'OutboundNetworkError',
    code: 'ENOTFOUND',
  });
});

test('without allowPrivate a 127.0.0.1 URL is refused and the server sees nothing', async (t) => {
  const server = await startServer(t);
  await assert.rejects(client(t, { allowPrivate: false, label: 'webhook URL' }).post(`${server.url}/hook`, { headers: {}, body: '{}' }), {
    name: 'OutboundRefusedError',
    reason: 'loopback (127.0.0.0/8)',
    message: 'webhook URL host 127.0.0.1 is a loopback address (127.0.0.0/8).',
  });
  assert.equal(server.connections(), 0);
});

test('DNS rebinding: a name allowed at registration is refused when it resolves to 127.0.0.1 at send time', async (t) => {
  const server = await startServer(t);
  const url = `http://rebind.test:${server.port}/hook`;
  const registered = await checkUrl(url, { allowPrivate: false, lookup: async () => ['93.184.216.34'] });
  assert.deepEqual(registered.addresses, ['93.184.216.34']);

  const asked: string[] = [];
  const lookup = async (hostname: string) => {
    asked.push(hostname);
    return ['127.0.0.1'];
  };
  await assert.rejects(client(t, { allowPrivate: false, lookup }).post(url, { headers: {}, body: '{}' }), (err: unknown) => {
    assert.ok(err instanceof OutboundRefusedError, String(err));
    assert.equal(err.message, 'URL host rebind.test resolves to 127.0.0.1, a loopback address (127.0.0.0/8).');
    return true;
  });
  assert.deepEqual(asked, ['rebind.test']);
  assert.equal(server.connections(), 0);
});

test('one forbidden address among several refuses the send', async (t) => {
  const server = await startServer(t);
  const lookup = async () => ['93.184.216.34', '127.0.0.1'];
  await assert.rejects(client(t, { allowPrivate: false, lookup }).post(`http://two.test:${server.port}/`, { headers: {}, body: '' }), OutboundRefusedError);
  assert.equal(server.connections(), 0);
});

test('a host name is connected to the address its lookup returned, resolved once per connection', async (t) => {
  const server = await startServer(t);
  let lookups = 0;
  const lookup = async () => {
    lookups++;
    return ['127.0.0.1'];
  };
  const http = client(t, { allowPrivate: true, lookup });
  const response = await http.post(`http://hooks.test:${server.port}/in`, { headers: {}, body: 'a' });
  assert.equal(response.status, 200);
  assert.equal(lookups, 1);
  const host = pairs(server.received[0]?.rawHeaders ?? []).find(([n]) => n?.toLowerCase() === 'host');
  assert.equal(host?.[1], `hooks.test:${server.port}`);

  // Keep-alive: the second delivery reuses the checked connection, so no new lookup either.
  await http.post(`http://hooks.test:${server.port}/in`, { headers: {}, body: 'b' });
  assert.equal(server.connections(), 1);
  assert.equal(lookups, 1);
});

test('the URL form is checked at send time too', async (t) => {
  const http = client(t, { allowPrivate: true });
  await assert.rejects(http.post('ftp://example.com/', { headers: {}, body: '' }), { name: 'OutboundRefusedError', reason: 'scheme ftp:' });
  await assert.rejects(http.post('http://u:p@127.0.0.1:1/', { headers: {}, body: '' }), { reason: 'credentials in URL' });
});

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

test('a pooled keep-alive socket reset before any answer (the server closed it as idle) is tried once more on a new socket; a reset on a new socket is not', async (t) => {
  const served = new WeakSet<object>();
  let resetAll = false;
  const server = await startServer(t, (req, res) => {
    // A socket that already served a request is reset, as a server does that timed it out as idle.
    if (served.has(req.socket) || resetAll) return void req.socket.resetAndDestroy();
    served.add(req.socket);
    res.end('ok');
  });
  const http = client(t, { allowPrivate: true });
  assert.equal((await http.post(`${server.url}/a`, { body: 'one' })).status, 200);
  const second = await http.post(`${server.url}/b`, { body: 'two' });
  assert.equal(second.status, 200, 'answered on a new socket');
  assert.deepEqual(server.received.map((r) => r.url), ['/a', '/b', '/b']);
  assert.equal(server.connections(), 2);
  resetAll = true;
  await assert.rejects(http.post(`${server.url}/c`, { body: 'three' }), OutboundNetworkError, 'reset again on the new socket: an error, not a loop');
  assert.equal(server.received.filter((r) => r.url === '/c').length, 2, 'sent twice at most');
});
