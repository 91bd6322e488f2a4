import assert from 'node:assert/strict';
import { test } from 'node:test';
import { digestAuthorization, digestResponse, parseAuthParams, parseChallenge, verifyDigest } from './digest.js';

test('RFC 2617 §3.5: MD5, qop=auth, the published response', () => {
  const challenge = parseChallenge('Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"')!;
  assert.deepEqual(challenge, { realm: 'testrealm@host.com', nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093', opaque: '5ccc069c403ebaf9f0171e9517f40e41', algorithm: 'MD5', qop: ['auth', 'auth-int'], stale: false });
  const answer = { challenge, method: 'GET', uri: '/dir/index.html', username: 'Mufasa', password: 'Circle Of Life', cnonce: '0a4f113b', nc: 1 };
  assert.equal(digestResponse(answer).response, '6629fae49393a05397450978507c4ef1');
  const header = digestAuthorization(answer);
  const p = parseAuthParams(header.replace(/^Digest /, ''));
  assert.deepEqual(p, {
    username: 'Mufasa',
    realm: 'testrealm@host.com',
    nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
    uri: '/dir/index.html',
    response: '6629fae49393a05397450978507c4ef1',
    algorithm: 'MD5',
    opaque: '5ccc069c403ebaf9f0171e9517f40e41',
    qop: 'auth',
    nc: '00000001',
    cnonce: '0a4f113b',
  });
});

test('RFC 7616 §3.9.1 (the algorithms RFC 8760 brings to SIP): MD5 and SHA-256 responses', () => {
  const base = 'realm="http-auth@example.org", qop="auth, auth-int", nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"';
  const answer = { method: 'GET', uri: '/dir/index.html', username: 'Mufasa', password: 'Circle of Life', cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ', nc: 1 };
  assert.equal(digestResponse({ ...answer, challenge: parseChallenge(`Digest ${base}, algorithm=MD5`)! }).response, '8ca523f5e9506fed4657c9700eebdbec');
  assert.equal(digestResponse({ ...answer, challenge: parseChallenge(`Digest ${base}, algorithm=SHA-256`)! }).response, '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
});

test('a challenge without qop gets an RFC 2069 answer (no nc, no cnonce)', () => {
  const challenge = parseChallenge('Digest realm="asterisk",nonce="5f1c2a3b"')!;
  assert.deepEqual(challenge.qop, []);
  const header = digestAuthorization({ challenge, method: 'INVITE', uri: 'sip:+966500111222@10.0.0.9', username: '1001', password: 's3cret' });
  assert.doesNotMatch(header, /qop=|nc=|cnonce=/);
  assert.ok(verifyDigest(header, { method: 'INVITE', username: '1001', password: 's3cret', realm: 'asterisk', nonce: '5f1c2a3b' }));
  assert.ok(!verifyDigest(header, { method: 'INVITE', username: '1001', password: 'wrong', realm: 'asterisk', nonce: '5f1c2a3b' }), 'a wrong password fails');
  assert.ok(!verifyDigest(header, { method: 'BYE', username: '1001', password: 's3cret', realm: 'asterisk', nonce: '5f1c2a3b' }), 'another method fails');
});

test('stale, MD5-sess, quoted commas and escapes; unknown schemes and algorithms are not answered', () => {
  const c = parseChallenge('Digest realm="a, \\"b\\"", nonce="n", algorithm=md5-sess, stale=TRUE, qop=auth')!;
  assert.equal(c.realm, 'a, "b"');
  assert.equal(c.algorithm, 'MD5-sess');
  assert.equal(c.stale, true);
  const header = digestAuthorization({ challenge: c, method: 'INVITE', uri: 'sip:x@h', username: 'u', password: 'p' });
  assert.ok(verifyDigest(header, { method: 'INVITE', username: 'u', password: 'p', realm: 'a, "b"', nonce: 'n' }));
  assert.equal(parseChallenge('Basic realm="x"'), null);
  assert.equal(parseChallenge('Digest realm="x"'), null, 'no nonce');
  assert.equal(parseChallenge('Digest realm="x", nonce="y", algorithm=SHA-1'), null);
});
