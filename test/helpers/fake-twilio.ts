import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** What the simulated callee does with a call. */
export type CallScript =
  /** Never answered: rings (except `failed`), then this final CallStatus. */
  | { outcome: 'busy' | 'no-answer' | 'failed' | 'canceled'; sipResponseCode?: number }
  /** Answered; at each <Gather> the next key (null: none, so the gather times out; past the end: none). */
  | { keys: (string | null)[] }
  /** Accepted and then nothing: the test drives the callbacks itself. */
  | { hold: true };

/** One callback the fake posted to Wasl and what Wasl answered. */
export interface Callback {
  url: string;
  params: Record<string, string>;
  status: number;
  body: string;
}

export interface FakeTwilioOptions {
  accountSid?: string;
  authToken?: string;
  /** The callee's behaviour, by the destination number (default: answers and presses 1). */
  script?: (to: string) => CallScript;
  /** A Calls.json answer by its form: a tuple answers that status and body (Twilio's error JSON, …) instead. */
  answer?: (form: Record<string, string[]>) => [number, unknown] | undefined;
}

/** Twilio's X-Twilio-Signature, written here from Twilio's documentation (not Wasl's code): base64 HMAC-SHA1 of URL + sorted name+value. */
export function signTwilio(authToken: string, url: string, params: Record<string, string>): string {
  let data = url;
  for (const name of Object.keys(params).sort()) data += name + params[name];
  return createHmac('sha1', authToken).update(data).digest('base64');
}

export const twilioError = (status: number, code: number, message: string) => ({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });

const unescapeXml = (s: string) => s.replace(/&lt;|&gt;|&quot;|&apos;|&amp;/g, (e) => ({ '&lt;': '<', '&gt;': '>', '&quot;': '"', '&apos;': "'", '&amp;': '&' })[e]!);
const attr = (tag: string, name: string) => unescapeXml(new RegExp(`${name}="([^"]*)"`).exec(tag)?.[1] ?? '');

/**
 * A fake Twilio REST API on 127.0.0.1 speaking Twilio's wire format: `POST
 * /2010-04-01/Accounts/{sid}/Calls.json` (Basic auth checked; Twilio's call JSON with a CA… sid,
 * or its error JSON), then the call simulated per its script: status callbacks (ringing,
 * in-progress, then completed / busy / no-answer / failed / canceled), the voice URL's TwiML
 * followed (<Play> fetched and checked to be a WAV, <Gather> answered with a key or nothing,
 * <Redirect>, <Hangup/>), every callback signed with X-Twilio-Signature as Twilio does; the call
 * resource (`GET|POST …/Calls/{sid}.json`) reads and ends a call.
 */
export async function startFakeTwilio(options: FakeTwilioOptions = {}) {
  const accountSid = options.accountSid ?? `AC${'0'.repeat(30)}1`;
  const authToken = options.authToken ?? 'fake-twilio-auth-token-0123456789';
  const requests: { method: string; path: string; headers: IncomingHttpHeaders; form: Record<string, string[]> }[] = [];
  const callbacks: Callback[] = [];
  const plays: { url: string; wav: boolean }[] = [];
  const running = new Map<string, Promise<void>>();
  /** Every call placed, by sid: what `GET …/Calls/{sid}.json` reports (the simulation moves it; a test may set it). */
  const calls = new Map<string, { to: string; status: string; duration?: number }>();
  const sockets = new Set<Socket>();

  async function post(url: string, params: Record<string, string>): Promise<Callback> {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signTwilio(authToken, url, params) }, body: new URLSearchParams(params).toString() });
    const cb = { url, params, status: res.status, body: await res.text() };
    callbacks.push(cb);
    return cb;
  }

  async function simulate(sid: string, form: Record<string, string[]>) {
    const one = (name: string) => form[name]?.[0] ?? '';
    const base = { CallSid: sid, AccountSid: accountSid, From: one('From'), To: one('To'), Direction: 'outbound-api', ApiVersion: '2010-04-01' };
    const status = (CallStatus: string, extra: Record<string, string> = {}) => {
      Object.assign(calls.get(sid)!, { status: CallStatus, ...(extra.CallDuration && { duration: Number(extra.CallDuration) }) });
      return post(one('StatusCallback'), { ...base, CallStatus, ...extra });
    };
    const script = options.script?.(one('To')) ?? { keys: ['1'] };
    if ('hold' in script) return;
    if ('outcome' in script) {
      if (script.outcome !== 'failed') await status('ringing');
      await status(script.outcome, script.sipResponseCode ? { SipResponseCode: String(script.sipResponseCode) } : {});
      return;
    }
    await status('ringing');
    await status('in-progress');
    const keys = [...script.keys];
    let twiml = (await post(one('Url'), { ...base, CallStatus: 'in-progress' })).body;
    let seconds = 0;
    for (let hops = 0; hops < 50; hops++) {
      const verb = /<(Play|Gather|Redirect|Hangup)\b[^>]*?(\/>|>([\s\S]*?)<\/\1>)/.exec(twiml);
      if (!verb || verb[1] === 'Hangup') break;
      const tag = verb[0];
      const inner = verb[3] ?? '';
      if (verb[1] === 'Play') {
        await play(unescapeXml(inner));
        seconds += 1;
        const redirect = /<Redirect[^>]*>([\s\S]*?)<\/Redirect>/.exec(twiml);
        if (!redirect) break;
        twiml = (await post(unescapeXml(redirect[1]!), { ...base, CallStatus: 'in-progress' })).body;
      } else if (verb[1] === 'Redirect') {
        twiml = (await post(unescapeXml(inner), { ...base, CallStatus: 'in-progress' })).body;
      } else {
        const prompt = /<Play>([\s\S]*?)<\/Play>/.exec(inner);
        if (prompt) await play(unescapeXml(prompt[1]!));
        seconds += Number(attr(tag, 'timeout')) || 5;
        const key = keys.length ? keys.shift()! : null;
        if (!key && attr(tag, 'actionOnEmptyResult') !== 'true') break;
        twiml = (await post(attr(tag, 'action'), { ...base, CallStatus: 'in-progress', ...(key && { Digits: key }) })).body;
      }
    }
    await status('completed', { CallDuration: String(seconds) });
  }

  async function play(url: string) {
    const res = await fetch(url).catch(() => undefined);
    const bytes = res?.ok ? Buffer.from(await res.arrayBuffer()) : Buffer.alloc(0);
    plays.push({ url, wav: bytes.subarray(0, 4).toString('latin1') === 'RIFF' && bytes.subarray(8, 12).toString('latin1') === 'WAVE' });
  }

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const form: Record<string, string[]> = {};
      for (const [k, v] of new URLSearchParams(Buffer.concat(chunks).toString('utf8'))) (form[k] ??= []).push(v);
      const path = new URL(req.url ?? '/', 'http://twilio').pathname;
      requests.push({ method: req.method ?? '', path, headers: req.headers, form });
      const send = (status: number, json: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
      if (req.headers.authorization !== `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`) return send(401, twilioError(401, 20003, 'Authenticate'));
      const one = /^\/2010-04-01\/Accounts\/[^/]+\/Calls\/([^/]+)\.json$/.exec(path);
      const placed = one && path.startsWith(`/2010-04-01/Accounts/${accountSid}/`) ? calls.get(one[1]!) : undefined;
      if (placed) {
        // Twilio's call resource: GET reads it; POST Status=completed|canceled ends it (this fake sends no callback for that).
        if (req.method === 'POST' && ['completed', 'canceled'].includes(form.Status?.[0] ?? '')) placed.status = form.Status![0]!;
        return send(200, { sid: one![1], account_sid: accountSid, to: placed.to, status: placed.status, duration: placed.duration === undefined ? null : String(placed.duration), direction: 'outbound-api' });
      }
      if (req.method !== 'POST' || path !== `/2010-04-01/Accounts/${accountSid}/Calls.json`) return send(404, twilioError(404, 20404, `The requested resource ${path} was not found`));
      const scripted = options.answer?.(form);
      if (scripted) return send(scripted[0], scripted[1]);
      if (!form.To?.[0] || !form.Url?.[0]) return send(400, twilioError(400, 21201, 'No called number is specified'));
      const sid = `CA${randomBytes(16).toString('hex')}`;
      calls.set(sid, { to: form.To[0], status: 'queued' });
      send(201, { sid, account_sid: accountSid, to: form.To[0], from: form.From?.[0], status: 'queued', direction: 'outbound-api', api_version: '2010-04-01', uri: `/2010-04-01/Accounts/${accountSid}/Calls/${sid}.json` });
      // As Twilio does, the call goes on after the answer.
      running.set(sid, simulate(sid, form).catch(() => undefined));
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    /** What a channel's `voice.twiml.baseUrl` should be. */
    baseUrl: `http://127.0.0.1:${port}`,
    port,
    accountSid,
    authToken,
    requests,
    calls,
    callbacks,
    plays,
    /** Posts a signed callback as Twilio would (a test driving a held call). */
    post,
    /** Waits for every simulated call so far to end. */
    settled: () => Promise.all([...running.values()]),
    async close() {
      sockets.forEach((s) => s.destroy());
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
export type FakeTwilio = Awaited<ReturnType<typeof startFakeTwilio>>;
