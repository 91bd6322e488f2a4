import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildOffer, parseAnswer, SdpError } from './sdp.js';

const sdp = (lines: string[]) => `${lines.join('\r\n')}\r\n`;

test('the offer: the codecs in the channel order, telephone-event 101 0-16, ptime 20, sendrecv', () => {
  const offer = buildOffer({ address: '10.0.0.1', port: 40000, codecs: ['PCMA', 'PCMU'], sessionId: '42', version: 1 });
  assert.equal(
    offer,
    sdp([
      'v=0',
      'o=wasl 42 1 IN IP4 10.0.0.1',
      's=Wasl',
      'c=IN IP4 10.0.0.1',
      't=0 0',
      'm=audio 40000 RTP/AVP 8 0 101',
      'a=rtpmap:8 PCMA/8000',
      'a=rtpmap:0 PCMU/8000',
      'a=rtpmap:101 telephone-event/8000',
      'a=fmtp:101 0-16',
      'a=ptime:20',
      'a=sendrecv',
    ]),
  );
  assert.match(buildOffer({ address: '10.0.0.1', port: 40000, codecs: ['PCMU'], sessionId: '1', version: 1 }), /m=audio 40000 RTP\/AVP 0 101\r\n/);
  assert.match(buildOffer({ address: '::1', port: 4, codecs: [], sessionId: '1', version: 1 }), /c=IN IP6 ::1\r\nt=0 0\r\nm=audio 4 RTP\/AVP 0 8 101/);
});

test('an answer: the first of its formats we offered, its telephone-event type, media-level c= over session-level', () => {
  const answer = parseAnswer(
    sdp([
      'v=0',
      'o=- 1 1 IN IP4 192.0.2.1',
      's=-',
      'c=IN IP4 192.0.2.1',
      't=0 0',
      'm=audio 30000 RTP/AVP 18 0 8 96',
      'c=IN IP4 192.0.2.7',
      'a=rtpmap:18 G729/8000',
      'a=rtpmap:96 telephone-event/8000',
      'a=fmtp:96 0-15',
      'a=ptime:20',
      'a=sendrecv',
    ]),
    ['PCMA', 'PCMU'],
  );
  assert.deepEqual(answer, { address: '192.0.2.7', port: 30000, codec: { name: 'PCMU', payloadType: 0 }, telephoneEvent: 96, direction: 'sendrecv', ptime: 20 });
});

test('an A-law-only answer without telephone-event: PCMA, keys in-band only', () => {
  const answer = parseAnswer(sdp(['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', 'm=audio 6000 RTP/AVP 8', 'a=rtpmap:8 PCMA/8000']), ['PCMU', 'PCMA']);
  assert.deepEqual(answer.codec, { name: 'PCMA', payloadType: 8 });
  assert.equal(answer.telephoneEvent, null);
  assert.equal(answer.direction, 'sendrecv');
});

test('video lines and a rejected stream are skipped; a dynamic G.711 type is taken by name; session-level direction', () => {
  const answer = parseAnswer(
    sdp(['v=0', 'o=- 1 1 IN IP4 h', 's=-', 'c=IN IP4 198.51.100.1', 't=0 0', 'a=sendonly', 'm=video 5000 RTP/AVP 97', 'a=rtpmap:97 H264/90000', 'm=audio 0 RTP/AVP 0', 'm=audio 7000 RTP/AVP 110', 'a=rtpmap:110 PCMA/8000']),
    ['PCMA'],
  );
  assert.deepEqual(answer, { address: '198.51.100.1', port: 7000, codec: { name: 'PCMA', payloadType: 110 }, telephoneEvent: null, direction: 'sendonly', ptime: null });
});

test('answers we cannot use are SdpErrors: no codec in common, no audio, no address', () => {
  assert.throws(() => parseAnswer(sdp(['v=0', 'c=IN IP4 h', 'm=audio 6000 RTP/AVP 8']), ['PCMU']), (e: unknown) => e instanceof SdpError && /No codec in common/.test(e.message));
  assert.throws(() => parseAnswer(sdp(['v=0', 'c=IN IP4 h', 'm=audio 0 RTP/AVP 0']), ['PCMU']), /no active audio/);
  assert.throws(() => parseAnswer(sdp(['v=0', 'm=audio 6000 RTP/AVP 0']), ['PCMU']), /no connection address/);
  assert.throws(() => parseAnswer('', ['PCMU']), SdpError);
});
