import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkUrl, classifyAddress, OutboundRefusedError, type LookupFn } from './ssrf.js';

/** A resolver from a table; a name not in it fails like getaddrinfo, so literals prove they skip DNS. */
const lookupFrom =
  (table: Record<string, string[]>): LookupFn =>
  async (hostname) => {
    const addresses = table[hostname];
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return addresses;
  };

const lookup = lookupFrom({
  localhost: ['127.0.0.1', '::1'],
  'mixed.example': ['93.184.216.34', '10.0.0.5'],
  'public.example': ['93.184.216.34', '2606:2800:220:1::1'],
  'example.com': ['93.184.216.34'],
});

const LOOPBACK_V4 = 'loopback (127.0.0.0/8)';
const MAPPED = 'via IPv4-mapped IPv6 (::ffff:0:0/96)';

/** [url, reason]; `addresses` is what allowPrivate lets through (absent: refused for its form, not its address). */
const forbidden: Array<{ url: string; reason: string; addresses?: string[] }> = [
  { url: 'http://127.0.0.1/', reason: LOOPBACK_V4, addresses: ['127.0.0.1'] },
  { url: 'http://localhost/', reason: LOOPBACK_V4, addresses: ['127.0.0.1', '::1'] },
  { url: 'http://2130706433/', reason: LOOPBACK_V4, addresses: ['127.0.0.1'] },
  { url: 'http://0x7f000001/', reason: LOOPBACK_V4, addresses: ['127.0.0.1'] },
  { url: 'http://017700000001/', reason: LOOPBACK_V4, addresses: ['127.0.0.1'] },
  { url: 'http://127.1/', reason: LOOPBACK_V4, addresses: ['127.0.0.1'] },
  { url: 'http://127.0.0.1./', reason: LOOPBACK_V4, addresses: ['127.0.0.1'] },
  { url: 'https://127.0.0.1:8443/hook', reason: LOOPBACK_V4, addresses: ['127.0.0.1'] },
  { url: 'http://[::1]/', reason: 'loopback (::1/128)', addresses: ['::1'] },
  { url: 'http://[::]/', reason: 'unspecified (::/128)', addresses: ['::'] },
  { url: 'http://[::ffff:127.0.0.1]/', reason: `${LOOPBACK_V4}, ${MAPPED}`, addresses: ['::ffff:7f00:1'] },
  { url: 'http://[::ffff:7f00:1]/', reason: `${LOOPBACK_V4}, ${MAPPED}`, addresses: ['::ffff:7f00:1'] },
  { url: 'http://10.1.2.3/', reason: 'private (10.0.0.0/8)', addresses: ['10.1.2.3'] },
  { url: 'http://172.16.0.1/', reason: 'private (172.16.0.0/12)', addresses: ['172.16.0.1'] },
  { url: 'http://192.168.1.1/', reason: 'private (192.168.0.0/16)', addresses: ['192.168.1.1'] },
  { url: 'http://100.64.0.1/', reason: 'carrier-grade NAT (100.64.0.0/10)', addresses: ['100.64.0.1'] },
  { url: 'http://169.254.169.254/latest/meta-data', reason: 'cloud metadata (169.254.169.254/32)', addresses: ['169.254.169.254'] },
  { url: 'http://[fe80::1]/', reason: 'link-local (fe80::/10)', addresses: ['fe80::1'] },
  { url: 'http://[fd00:ec2::254]/', reason: 'cloud metadata (fd00:ec2::254/128)', addresses: ['fd00:ec2::254'] },
  { url: 'http://0.0.0.0/', reason: 'unspecified (0.0.0.0/8)', addresses: ['0.0.0.0'] },
  { url: 'http://0/', reason: 'unspecified (0.0.0.0/8)', addresses: ['0.0.0.0'] },
  { url: 'http://[64:ff9b::a9fe:a9fe]/', reason: 'NAT64 (64:ff9b::/96)', addresses: ['64:ff9b::a9fe:a9fe'] },
  { url: 'http://[2002:7f00:1::]/', reason: `${LOOPBACK_V4}, via 6to4 (2002::/16)`, addresses: ['2002:7f00:1::'] },
  { url: 'http://mixed.example/', reason: 'private (10.0.0.0/8)', addresses: ['93.184.216.34', '10.0.0.5'] },
  { url: 'ftp://example.com/', reason: 'scheme ftp:' },
  { url: 'file:///etc/passwd', reason: 'scheme file:' },
  { url: 'http://user:pass@example.com/', reason: 'credentials in URL' },
  { url: 'http://user@example.com/', reason: 'credentials in URL' },
  { url: 'not a url', reason: 'invalid URL' },
  { url: 'http://nowhere.example/', reason: 'host not found (ENOTFOUND)' },
];

test('WHATWG URL parsing turns decimal, hex, octal and short IPv4 forms into 127.0.0.1', () => {
  for (const url of ['http://2130706433/', 'http://0x7f000001/', 'http://017700000001/', 'http://127.1/']) {
    assert.equal(new URL(url).hostname, '127.0.0.1', url);
  }
});

for (const { url, reason } of forbidden) {
  test(`checkUrl refuses ${url}: ${reason}`, async () => {
    await assert.rejects(checkUrl(url, { allowPrivate: false, lookup }), (err: unknown) => {
      assert.ok(err instanceof OutboundRefusedError, String(err));
      assert.equal(err.reason, reason);
      return true;
    });
  });
}

test('the message names the label, the host, the address and its range', async () => {
  await assert.rejects(checkUrl('https://mixed.example/hook', { allowPrivate: false, lookup, label: 'webhook URL' }), {
    name: 'OutboundRefusedError',
    message: 'webhook URL host mixed.example resolves to 10.0.0.5, a private address (10.0.0.0/8).',
  });
  await assert.rejects(checkUrl('http://[::1]:8080/', { allowPrivate: false, lookup, label: 'webhook URL' }), {
    message: 'webhook URL host ::1 is a loopback address (::1/128).',
  });
});

test('the refusal message never echoes credentials from the URL', async () => {
  await assert.rejects(checkUrl('http://admin:hunter2@example.com/', { allowPrivate: false, lookup }), (err: Error) => {
    assert.doesNotMatch(err.message, /hunter2|admin/);
    return true;
  });
});

test('a host resolving only to public addresses is allowed, with every address returned', async () => {
  const { url, addresses } = await checkUrl('https://public.example/hooks?x=1', { allowPrivate: false, lookup });
  assert.equal(url.href, 'https://public.example/hooks?x=1');
  assert.deepEqual(addresses, ['93.184.216.34', '2606:2800:220:1::1']);
  const literal = await checkUrl('http://[2606:2800:220:1::1]:8080/', { allowPrivate: false, lookup });
  assert.deepEqual(literal.addresses, ['2606:2800:220:1::1']);
});

for (const { url, addresses } of forbidden.filter((entry) => entry.addresses)) {
  test(`allowPrivate lets ${url} through`, async () => {
    const checked = await checkUrl(url, { allowPrivate: true, lookup });
    assert.deepEqual(checked.addresses, addresses);
  });
}

test('allowPrivate does not relax the form of the URL', async () => {
  for (const url of ['ftp://example.com/', 'http://user:pass@example.com/']) {
    await assert.rejects(checkUrl(url, { allowPrivate: true, lookup }), OutboundRefusedError);
  }
});

const refused = (ip: string) => {
  const verdict = classifyAddress(ip);
  return verdict.allowed ? 'allowed' : verdict.reason;
};

test('classifyAddress: IPv4 ranges and their edges', () => {
  for (const ip of ['93.184.216.34', '8.8.8.8', '1.1.1.1', '9.255.255.255', '11.0.0.0', '100.63.255.255', '100.128.0.0', '126.255.255.255', '128.0.0.0', '169.253.255.255', '169.255.0.0', '172.15.255.255', '172.32.0.0', '192.0.1.1', '192.167.255.255', '192.169.0.0', '198.17.255.255', '198.20.0.0', '223.255.255.255']) {
    assert.equal(refused(ip), 'allowed', ip);
  }
  const cases: Array<[string, string]> = [
    ['0.1.2.3', 'unspecified (0.0.0.0/8)'],
    ['10.255.255.255', 'private (10.0.0.0/8)'],
    ['100.127.255.255', 'carrier-grade NAT (100.64.0.0/10)'],
    ['127.255.255.254', 'loopback (127.0.0.0/8)'],
    ['169.254.0.1', 'link-local (169.254.0.0/16)'],
    ['169.254.169.254', 'cloud metadata (169.254.169.254/32)'],
    ['172.31.255.255', 'private (172.16.0.0/12)'],
    ['192.0.0.8', 'IETF protocol assignment (192.0.0.0/24)'],
    ['192.0.2.1', 'documentation (192.0.2.0/24)'],
    ['192.168.0.0', 'private (192.168.0.0/16)'],
    ['198.19.255.255', 'benchmarking (198.18.0.0/15)'],
    ['198.51.100.7', 'documentation (198.51.100.0/24)'],
    ['203.0.113.9', 'documentation (203.0.113.0/24)'],
    ['224.0.0.1', 'multicast (224.0.0.0/4)'],
    ['239.255.255.255', 'multicast (224.0.0.0/4)'],
    ['240.0.0.1', 'reserved (240.0.0.0/4)'],
    ['255.255.255.255', 'broadcast (255.255.255.255/32)'],
  ];
  for (const [ip, reason] of cases) assert.equal(refused(ip), reason, ip);
});

test('classifyAddress: IPv6 ranges, and IPv4 embedded in IPv6 judged as IPv4', () => {
  for (const ip of ['2606:2800:220:1::1', '2001:4860:4860::8888', '::ffff:93.184.216.34', '::ffff:5db8:d822', '2002:5db8:d822::1', '64:ff9a::1', '2001:1::1', '2001:db9::1', 'fbff::1', 'fe7f::1', 'fe00::1']) {
    assert.equal(refused(ip), 'allowed', ip);
  }
  const cases: Array<[string, string]> = [
    ['::', 'unspecified (::/128)'],
    ['::1', 'loopback (::1/128)'],
    ['0:0:0:0:0:0:0:1', 'loopback (::1/128)'],
    ['::ffff:10.0.0.1', `private (10.0.0.0/8), ${MAPPED}`],
    ['::ffff:a9fe:a9fe', `cloud metadata (169.254.169.254/32), ${MAPPED}`],
    ['::127.0.0.1', `${LOOPBACK_V4}, via IPv4-compatible IPv6 (::/96)`],
    ['::ffff:0:a00:1', 'private (10.0.0.0/8), via IPv4-translated IPv6 (::ffff:0:0:0/96)'],
    ['2002:a00:1::1', 'private (10.0.0.0/8), via 6to4 (2002::/16)'],
    ['64:ff9b::808:808', 'NAT64 (64:ff9b::/96)'],
    ['64:ff9b:1::1', 'NAT64 (64:ff9b:1::/48)'],
    ['2001:0:4136:e378::1', 'Teredo (2001::/32)'],
    ['2001:db8::1', 'documentation (2001:db8::/32)'],
    ['fc00::1', 'unique local (fc00::/7)'],
    ['fdff:ffff::1', 'unique local (fc00::/7)'],
    ['fe80::1', 'link-local (fe80::/10)'],
    ['FE80::1', 'link-local (fe80::/10)'],
    ['fe80::1%eth0', 'link-local (fe80::/10)'],
    ['febf::1', 'link-local (fe80::/10)'],
    ['fec0::1', 'site-local (fec0::/10)'],
    ['ff02::1', 'multicast (ff00::/8)'],
  ];
  for (const [ip, reason] of cases) assert.equal(refused(ip), reason, ip);
});

test('classifyAddress refuses what is not a canonical IP literal', () => {
  for (const text of ['', 'localhost', '127.1', '010.0.0.1', '1.2.3.256', '[::1]']) {
    assert.equal(refused(text), 'not an IP address', JSON.stringify(text));
  }
});
