import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatNameAddr, parseCSeq, parseNameAddr, parseUri, parseVia } from './address.js';
import { header, headerAll, parseSipMessage, serializeSipMessage, SipParseError, takeSipFrame, type SipRequest } from './message.js';

const crlf = (lines: string[]) => lines.join('\r\n');

test('a request with compact headers, a folded line, a multi-value Via and a body', () => {
  const sdp = 'v=0\r\no=- 1 1 IN IP4 10.0.0.2\r\n';
  const raw = crlf([
    'INVITE sip:+966500111222@trunk.example.com SIP/2.0',
    'v: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKa;rport, SIP/2.0/TCP proxy.example.com;branch=z9hG4bKb',
    'Via: SIP/2.0/UDP [2001:db8::1]:5070;branch=z9hG4bKc',
    'f: "Acme, Inc." <sip:+966500000001@example.com>;tag=1928',
    't: <sip:+966500111222@trunk.example.com>',
    'i: a84b4c76e66710@pc33',
    'CSeq: 314159 INVITE',
    'm: <sip:wasl@10.0.0.1:5060>',
    'Subject: a long',
    '  folded subject',
    'c: application/sdp',
    `l: ${Buffer.byteLength(sdp)}`,
    '',
    sdp,
  ]);
  const m = parseSipMessage(raw) as SipRequest;
  assert.equal(m.kind, 'request');
  assert.equal(m.method, 'INVITE');
  assert.equal(m.uri, 'sip:+966500111222@trunk.example.com');
  assert.deepEqual(headerAll(m, 'Via').map((v) => parseVia(v).host), ['10.0.0.1', 'proxy.example.com', '[2001:db8::1]']);
  assert.deepEqual(parseVia(headerAll(m, 'via')[0]!), { transport: 'UDP', host: '10.0.0.1', port: 5060, params: { branch: 'z9hG4bKa', rport: null } });
  assert.equal(parseVia(headerAll(m, 'Via')[2]!).port, 5070);
  assert.equal(header(m, 'Call-ID'), 'a84b4c76e66710@pc33');
  assert.equal(header(m, 'i'), 'a84b4c76e66710@pc33', 'a compact name finds the header too');
  assert.equal(header(m, 'Subject'), 'a long folded subject');
  const from = parseNameAddr(header(m, 'From')!);
  assert.deepEqual(from, { display: 'Acme, Inc.', uri: 'sip:+966500000001@example.com', params: { tag: '1928' } });
  assert.deepEqual(parseCSeq(header(m, 'CSeq')!), { seq: 314159, method: 'INVITE' });
  assert.equal(m.body, sdp);
});

test('a response: status line, reason with spaces, body cut at Content-Length', () => {
  const m = parseSipMessage(crlf(['SIP/2.0 486 Busy Here', 'Via: SIP/2.0/UDP h;branch=z9hG4bKx', 'Content-Length: 3', '', 'abcdef']));
  assert.equal(m.kind, 'response');
  assert.equal(m.kind === 'response' && m.status, 486);
  assert.equal(m.kind === 'response' && m.reason, 'Busy Here');
  assert.equal(m.body, 'abc');
});

test('bare LF line ends, leading CRLF keep-alives and no Content-Length on a datagram are read', () => {
  const m = parseSipMessage('\r\n\r\nSIP/2.0 200 OK\nCall-ID: x\n\nbody');
  assert.equal(header(m, 'Call-ID'), 'x');
  assert.equal(m.body, 'body');
});

test('junk and truncated messages are refused with SipParseError', () => {
  assert.throws(() => parseSipMessage('hello world\r\n\r\n'), SipParseError);
  assert.throws(() => parseSipMessage('SIP/2.0 200 OK\r\nBroken header\r\n\r\n'), SipParseError);
  assert.throws(() => parseSipMessage('SIP/2.0 200 OK\r\nContent-Length: 10\r\n\r\nabc'), /shorter than Content-Length/);
  assert.throws(() => parseSipMessage('SIP/2.0 200 OK\r\nContent-Length: x\r\n\r\n'), /Bad Content-Length/);
  assert.throws(() => parseSipMessage(''), SipParseError);
});

test('serialising writes full names, CRLFs and a Content-Length in bytes, and parses back the same', () => {
  const m: SipRequest = {
    kind: 'request',
    method: 'BYE',
    uri: 'sip:callee@127.0.0.1:5070',
    headers: [['Via', 'SIP/2.0/UDP 127.0.0.1:4000;branch=z9hG4bK1'], ['Via', 'SIP/2.0/UDP 127.0.0.1:4001;branch=z9hG4bK2'], ['Content-Length', '999'], ['Subject', 'مرحبا']],
    body: 'é',
  };
  const wire = serializeSipMessage(m).toString();
  assert.match(wire, /^BYE sip:callee@127\.0\.0\.1:5070 SIP\/2\.0\r\n/);
  assert.match(wire, /\r\nContent-Length: 2\r\n\r\né$/);
  assert.equal((wire.match(/Content-Length/g) ?? []).length, 1);
  const back = parseSipMessage(wire);
  assert.deepEqual(headerAll(back, 'Via'), ['SIP/2.0/UDP 127.0.0.1:4000;branch=z9hG4bK1', 'SIP/2.0/UDP 127.0.0.1:4001;branch=z9hG4bK2']);
  assert.equal(back.body, 'é');
});

test('stream framing: messages split across chunks and packed together come out whole', () => {
  const one = serializeSipMessage({ kind: 'response', status: 200, reason: 'OK', headers: [['Call-ID', 'a']], body: 'hello' });
  const two = serializeSipMessage({ kind: 'response', status: 180, reason: 'Ringing', headers: [['Call-ID', 'b']], body: '' });
  const stream = Buffer.concat([Buffer.from('\r\n\r\n'), one, two]);
  assert.equal(takeSipFrame(stream.subarray(0, 20)), null, 'an incomplete head waits for more');
  assert.equal(takeSipFrame(stream.subarray(0, 4 + one.length - 2)), null, 'an incomplete body waits for more');
  const first = takeSipFrame(stream)!;
  assert.equal(header(first.message, 'Call-ID'), 'a');
  assert.equal(first.message.body, 'hello');
  const second = takeSipFrame(first.rest)!;
  assert.equal(header(second.message, 'Call-ID'), 'b');
  assert.equal(second.rest.length, 0);
  assert.throws(() => takeSipFrame(Buffer.from('SIP/2.0 200 OK\r\nCall-ID: c\r\n\r\n')), /Content-Length is required/);
});

test('URIs and name-addr: user, host, port, params, IPv6, bare addr-spec', () => {
  assert.deepEqual(parseUri('sip:+966500111222@10.0.0.9:5080;transport=tcp;lr'), {
    scheme: 'sip',
    user: '+966500111222',
    host: '10.0.0.9',
    port: 5080,
    params: { transport: 'tcp', lr: null },
  });
  assert.deepEqual(parseUri('sips:[2001:db8::2]'), { scheme: 'sips', host: '[2001:db8::2]', params: {} });
  assert.throws(() => parseUri('tel:+966500111222'), SipParseError);
  assert.deepEqual(parseNameAddr('sip:bob@h;tag=9'), { uri: 'sip:bob@h', params: { tag: '9' } });
  assert.equal(formatNameAddr({ display: 'Bob', uri: 'sip:bob@h', params: { tag: '9' } }), '"Bob" <sip:bob@h>;tag=9');
});
