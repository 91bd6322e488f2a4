import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { startFakeTwilio, signTwilio, twilioError } from '../../../test/helpers/fake-twilio.js';
import { systemClock } from '../../lib/clock.js';
import { ProviderError } from '../errors.js';
import { createOutboundHttp } from '../http/outbound.js';
import { createTwimlTelephony, renderTwiml } from './twiml.js';

const fake = await startFakeTwilio({
  script: () => ({ hold: true }),
  answer: (form) => {
    const to = form.To?.[0];
    if (to === '+15005550001') return [400, twilioError(400, 21211, "The 'To' number +15005550001 is not a valid phone number.")];
    if (to === '+15005550500') return [500, twilioError(500, 20500, 'Internal Server Error')];
    if (to === '+15005550503') return [503, twilioError(503, 20503, 'Service Unavailable')];
    if (to === '+15005550429') return [429, twilioError(429, 20429, 'Too Many Requests')];
    return undefined;
  },
});
const http = createOutboundHttp({ allowPrivate: true });
after(async () => {
  http.close();
  await fake.close();
});

const adapter = (over: { authToken?: string; baseUrl?: string } = {}, client = http) =>
  createTwimlTelephony({ baseUrl: fake.baseUrl, accountSid: fake.accountSid, authToken: fake.authToken, fromNumber: '+966110000000', ...over }, { channelId: 'c', phoneNumber: '+966110000001', http: client, clock: systemClock });
const request = (to: string) => ({ callId: 'call-1', from: '+966110000001', to, ringTimeoutMs: 45_500, callbackUrl: 'https://wasl.example/webhooks/voice/ch/twiml/call-1' });

async function rejects(promise: Promise<unknown>, expected: Partial<ProviderError>) {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof ProviderError, String(err));
    for (const [k, v] of Object.entries(expected)) assert.equal((err as unknown as Record<string, unknown>)[k], v, k);
    return true;
  });
}

test('place: POST Calls.json with Basic auth and the form Twilio documents; answers the CA… sid', async () => {
  const placed = await adapter().place(request('+966500111222'));
  assert.match(placed.providerCallId, /^CA[0-9a-f]{32}$/);
  const r = fake.requests.at(-1)!;
  assert.equal(r.path, `/2010-04-01/Accounts/${fake.accountSid}/Calls.json`);
  assert.equal(r.headers['content-type'], 'application/x-www-form-urlencoded');
  assert.equal(r.headers.authorization, `Basic ${Buffer.from(`${fake.accountSid}:${fake.authToken}`).toString('base64')}`);
  assert.deepEqual(r.form, {
    To: ['+966500111222'],
    From: ['+966110000000'],
    Url: ['https://wasl.example/webhooks/voice/ch/twiml/call-1?ev=answer'],
    Method: ['POST'],
    StatusCallback: ['https://wasl.example/webhooks/voice/ch/twiml/call-1?ev=status'],
    StatusCallbackMethod: ['POST'],
    Timeout: ['46'],
    StatusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
  });
});

test("Twilio's errors: 4xx never (its code and message), 5xx and the network later, 429 and 503 throttled (nothing placed), a wrong token never", async () => {
  await rejects(adapter().place(request('+15005550001')), { code: 21211, retry: 'never', reason: "The 'To' number +15005550001 is not a valid phone number." });
  await rejects(adapter().place(request('+15005550500')), { code: 20500, retry: 'later' });
  await rejects(adapter().place(request('+15005550503')), { code: 20503, retry: 'throttled' });
  await rejects(adapter().place(request('+15005550429')), { code: 20429, retry: 'throttled' });
  await rejects(adapter({ authToken: 'wrong' }).place(request('+966500111222')), { code: 20003, retry: 'never' });
  await rejects(adapter({ baseUrl: 'http://127.0.0.1:1' }).place(request('+966500111222')), { code: 'transport', retry: 'later' });
});

test('a base URL pointing inside is refused at use when private addresses are not allowed (also a name that rebinds)', async () => {
  const guarded = createOutboundHttp({ allowPrivate: false });
  const rebinding = createOutboundHttp({ allowPrivate: false, lookup: async () => ['169.254.169.254'] });
  after(() => {
    guarded.close();
    rebinding.close();
  });
  const before = fake.requests.length;
  await rejects(adapter({}, guarded).place(request('+966500111222')), { code: 'url_refused', retry: 'never' });
  await rejects(adapter({ baseUrl: `http://api.example.test:${fake.port}` }, rebinding).place(request('+966500111222')), { code: 'url_refused', retry: 'never' });
  assert.equal(fake.requests.length, before, 'nothing reached the fake');
});

test('verify: X-Twilio-Signature over the URL and the sorted params; wrong, missing, other params or another URL are refused', () => {
  const a = adapter();
  const url = 'https://wasl.example/webhooks/voice/ch/twiml/call-1?ev=gather&s=2';
  const params = { CallSid: 'CA1', Digits: '1', AccountSid: fake.accountSid };
  const good = signTwilio(fake.authToken, url, params);
  assert.equal(a.verify(url, params, good), true);
  assert.equal(a.verify(url, params, undefined), false);
  assert.equal(a.verify(url, params, good.slice(0, -2) + 'AA'), false);
  assert.equal(a.verify(url, { ...params, Digits: '2' }, good), false);
  assert.equal(a.verify(url.replace('s=2', 's=3'), params, good), false);
  assert.equal(adapter({ authToken: 'other-token' }).verify(url, params, good), false);
});

test('render: <Play> + <Redirect>, <Gather> with actionOnEmptyResult, <Hangup/>, everything XML-escaped', () => {
  assert.equal(
    renderTwiml({ play: { url: 'https://x/a.wav?x=1&y=<2>' }, next: 'https://w/cb?ev=played&p=welcome&s=1' }),
    '<?xml version="1.0" encoding="UTF-8"?><Response><Play>https://x/a.wav?x=1&amp;y=&lt;2&gt;</Play><Redirect method="POST">https://w/cb?ev=played&amp;p=welcome&amp;s=1</Redirect></Response>',
  );
  assert.equal(
    renderTwiml({ gather: { url: 'https://x/m.wav', timeoutMs: 2500 }, next: 'https://w/cb?ev=gather&s=2' }),
    '<?xml version="1.0" encoding="UTF-8"?><Response><Gather numDigits="1" timeout="3" action="https://w/cb?ev=gather&amp;s=2" method="POST" actionOnEmptyResult="true"><Play>https://x/m.wav</Play></Gather></Response>',
  );
  assert.equal(renderTwiml({ hangUp: true }), '<?xml version="1.0" encoding="UTF-8"?><Response><Hangup/></Response>');
});
