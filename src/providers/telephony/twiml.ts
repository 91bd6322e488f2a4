import { createHmac, timingSafeEqual } from 'node:crypto';
import { ProviderError, providerJson } from '../errors.js';
import type { OutboundResponse } from '../http/outbound.js';
import type { AdapterContext } from '../registry.js';
import { DEFAULT_TWIML_URL, type TwimlSettings, type VoiceSecrets } from '../settings.js';
import type { CallbackStep, CallbackTelephony, PlaceRequest } from './port.js';

const PROVIDER = 'telephony/twiml';
/** A Calls.json answer is a small JSON object; a larger one is not the provider. */
const MAX_JSON_BYTES = 256 * 1024;

/**
 * Twilio's REST API and TwiML, or any provider that speaks them (SignalWire's LaML, …) at
 * `baseUrl`: a call is placed with `POST /2010-04-01/Accounts/{sid}/Calls.json` and the provider
 * then asks Wasl what to do at each step (the callback URLs), answered as TwiML. Callbacks are
 * verified with X-Twilio-Signature (HMAC-SHA1 of the URL and the sorted params, keyed with the
 * auth token).
 */
export function createTwimlTelephony(settings: TwimlSettings & VoiceSecrets, ctx: AdapterContext): CallbackTelephony {
  const base = (settings.baseUrl ?? DEFAULT_TWIML_URL).replace(/\/+$/, '');
  const token = settings.authToken ?? '';

  const account = `${base}/2010-04-01/Accounts/${encodeURIComponent(settings.accountSid)}`;

  /** One REST call with the account's Basic auth; the JSON answer, or the provider's error as a ProviderError. */
  async function rest(method: 'GET' | 'POST', path: string, form?: URLSearchParams): Promise<Record<string, unknown>> {
    if (!token) throw new ProviderError(PROVIDER, 'no_credentials', 'The channel has no voice.twiml.authToken.', 'never');
    return providerJson(
      ctx.http,
      {
        provider: PROVIDER,
        who: 'The provider',
        method,
        url: `${account}${path}`,
        init: {
          headers: { authorization: `Basic ${Buffer.from(`${settings.accountSid}:${token}`).toString('base64')}`, accept: 'application/json', ...(form && { 'content-type': 'application/x-www-form-urlencoded' }) },
          ...(form && { body: form.toString() }),
          maxBodyBytes: MAX_JSON_BYTES,
          label: 'voice.twiml.baseUrl',
        },
      },
      twilioError,
    );
  }

  async function place(request: PlaceRequest): Promise<{ providerCallId: string }> {
    const form = new URLSearchParams({
      To: request.to,
      From: settings.fromNumber ?? request.from,
      Url: `${request.callbackUrl}?ev=answer`,
      Method: 'POST',
      StatusCallback: `${request.callbackUrl}?ev=status`,
      StatusCallbackMethod: 'POST',
      Timeout: String(Math.max(1, Math.ceil(request.ringTimeoutMs / 1000))),
    });
    for (const event of ['initiated', 'ringing', 'answered', 'completed']) form.append('StatusCallbackEvent', event);
    const json = await rest('POST', '/Calls.json', form);
    if (typeof json.sid !== 'string' || !json.sid) throw new ProviderError(PROVIDER, 'no_call_sid', 'The provider accepted the call without a call sid.', 'later');
    return { providerCallId: json.sid };
  }

  const callPath = (sid: string) => `/Calls/${encodeURIComponent(sid)}.json`;

  async function status(sid: string) {
    const json = await rest('GET', callPath(sid));
    const seconds = Number(json.duration);
    const sipCode = Number(json.sip_response_code);
    return { status: String(json.status ?? ''), ...(json.duration != null && Number.isFinite(seconds) && { durationSeconds: seconds }), ...(sipCode > 0 && { sipCode }) };
  }

  return {
    mode: 'callback',
    provider: 'twiml',
    place,
    verify: (url, params, signature) => Boolean(token) && verifyTwilioSignature(token, url, params, signature),
    render: (step) => ({ contentType: 'text/xml; charset=utf-8', body: renderTwiml(step) }),
    status,
    async end(sid) {
      // Twilio: `completed` hangs up a call in progress; one still queued or ringing needs `canceled`.
      const now = (await status(sid)).status;
      if (['completed', 'busy', 'no-answer', 'failed', 'canceled'].includes(now)) return;
      await rest('POST', callPath(sid), new URLSearchParams({ Status: now === 'in-progress' ? 'completed' : 'canceled' }));
    },
  };
}

/** Twilio's error answer `{code, message, more_info, status}` as a ProviderError: 429 and 503 throttled, other 5xx later, other 4xx never. */
function twilioError(res: OutboundResponse, json: Record<string, unknown>): ProviderError {
  const code = typeof json.code === 'number' || typeof json.code === 'string' ? json.code : `http_${res.status}`;
  const reason = typeof json.message === 'string' && json.message ? json.message : `The provider answered HTTP ${res.status}.`;
  // 429 and 503: the provider did not take the request (Twilio: too many requests, or overloaded) — safe to send again.
  if (res.status === 429 || res.status === 503) {
    const after = Number(res.headers['retry-after']);
    return new ProviderError(PROVIDER, code, reason, 'throttled', Number.isFinite(after) && after > 0 ? after * 1000 : undefined);
  }
  return new ProviderError(PROVIDER, code, reason, res.status >= 500 ? 'later' : 'never');
}

/** X-Twilio-Signature: base64 HMAC-SHA1 over the full URL, then each POST param sorted by name as name+value. */
export function twilioSignature(authToken: string, url: string, params: Record<string, string>): string {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, name) => acc + name + params[name], url);
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}

export function verifyTwilioSignature(authToken: string, url: string, params: Record<string, string>, signature: string | undefined): boolean {
  if (!signature) return false;
  const expected = Buffer.from(twilioSignature(authToken, url, params));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const escapeXml = (s: string) => s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);

/** TwiML for one engine step (every URL and value XML-escaped). */
export function renderTwiml(step: CallbackStep): string {
  const head = '<?xml version="1.0" encoding="UTF-8"?>';
  if ('hangUp' in step) return `${head}<Response><Hangup/></Response>`;
  if ('play' in step) return `${head}<Response><Play>${escapeXml(step.play.url)}</Play><Redirect method="POST">${escapeXml(step.next)}</Redirect></Response>`;
  const seconds = Math.max(1, Math.ceil(step.gather.timeoutMs / 1000));
  return `${head}<Response><Gather numDigits="1" timeout="${seconds}" action="${escapeXml(step.next)}" method="POST" actionOnEmptyResult="true"><Play>${escapeXml(step.gather.url)}</Play></Gather></Response>`;
}
