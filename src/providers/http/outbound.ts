import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { performance } from 'node:perf_hooks';
import { StringDecoder } from 'node:string_decoder';
import { OutboundNetworkError, OutboundRefusedError, OutboundTimeoutError, OutboundTooLargeError } from './errors.js';
import { assertAllowedAddress, defaultLookup, parseTarget, type LookupFn } from './ssrf.js';

export { OutboundNetworkError, OutboundRefusedError, OutboundTimeoutError, OutboundTooLargeError } from './errors.js';

export interface OutboundResponse {
  status: number;
  headers: Record<string, string>;
  /** The first 1 KiB of the body as text, cut at a character boundary. */
  bodyExcerpt: string;
  /** The whole body, on requests that set `maxBodyBytes` (a provider's JSON answer, a media file). */
  body?: Buffer;
  latencyMs: number;
}

export interface OutboundRequest {
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Keep the whole body, up to this many bytes (more → OutboundTooLargeError); otherwise only the excerpt. */
  maxBodyBytes?: number;
  /** Names the URL in refusals for this request ("whatsApp.graphBaseUrl host … resolves to …"). */
  label?: string;
}

export interface OutboundOptions {
  /** Let requests reach loopback, private, link-local … addresses (WEBHOOK_ALLOW_PRIVATE, tests). */
  allowPrivate: boolean;
  /** Connect, send and read the whole response within this, or fail with OutboundTimeoutError. */
  timeoutMs?: number;
  lookup?: LookupFn;
  /** Starts refusal messages unless a request names its own: "webhook URL host … resolves to …". */
  label?: string;
  /** Sent unless a request sets its own User-Agent: which part of Wasl is calling. */
  userAgent?: string;
}

const EXCERPT_BYTES = 1024;
/** Past this much unread body the socket is dropped instead of drained: reuse is not worth the wait. */
const DRAIN_LIMIT = 64 * 1024;
const USER_AGENT = 'Wasl/1.0';

function withDefaults(headers: Record<string, string>, body: string | Buffer | undefined, userAgent: string): Record<string, string> {
  const given = new Set(Object.keys(headers).map((name) => name.toLowerCase()));
  const out = { ...headers };
  if (!given.has('user-agent')) out['user-agent'] = userAgent;
  if (body !== undefined && !given.has('content-length')) out['content-length'] = String(Buffer.byteLength(body));
  return out;
}

const flatten = (headers: IncomingHttpHeaders): Record<string, string> =>
  Object.fromEntries(
    Object.entries(headers).flatMap(([name, value]) =>
      value === undefined ? [] : [[name, Array.isArray(value) ? value.join(', ') : value]],
    ),
  );

function toOutboundError(err: unknown, host: string): Error {
  if (err instanceof OutboundRefusedError || err instanceof OutboundTimeoutError || err instanceof OutboundNetworkError || err instanceof OutboundTooLargeError) return err;
  // With several addresses, Node tries each and reports an AggregateError whose parts carry the codes.
  const failure = err as NodeJS.ErrnoException & { errors?: NodeJS.ErrnoException[] };
  const code = failure.code ?? failure.errors?.[0]?.code ?? 'UNKNOWN';
  return new OutboundNetworkError(code, `Request to ${host} failed: ${failure.message || code}`, { cause: err });
}

/**
 * The one way Wasl reaches a URL someone else chose — webhook receivers, provider APIs (Graph
 * API, telephony, model APIs), media URLs. A host name is resolved once, inside the socket's own
 * lookup, and every address is checked before Node connects to one of them, so a name that
 * resolved to a public address at registration cannot rebind to a private one now.
 */
export function createOutboundHttp({ allowPrivate, timeoutMs = 15_000, lookup = defaultLookup, label: defaultLabel = 'URL', userAgent = USER_AGENT }: OutboundOptions) {
  // Keep-alive: webhooks and provider calls come in bursts to a few hosts, so reusing a connection saves a TCP
  // and TLS handshake per request. maxSockets bounds the connections per receiver so one slow
  // endpoint cannot take every file descriptor. The agents belong to this client, so close()
  // can end their sockets and a pooled socket was always checked under this client's policy.
  const agents = {
    http: new HttpAgent({ keepAlive: true, maxSockets: 50 }),
    https: new HttpsAgent({ keepAlive: true, maxSockets: 50 }),
  };

  async function resolveChecked(hostname: string, label: string): Promise<string[]> {
    let addresses: string[];
    try {
      addresses = await lookup(hostname);
    } catch (err) {
      throw toOutboundError(err, hostname);
    }
    if (!addresses.length) throw new OutboundNetworkError('ENOTFOUND', `${hostname} has no addresses.`);
    if (!allowPrivate) for (const address of addresses) assertAllowedAddress(address, { label, host: hostname });
    return addresses;
  }

  // Node asks for one address, or for all of them when it races IPv4 and IPv6 (autoSelectFamily).
  const checkedLookup = (label: string): LookupFunction => (hostname, options, callback) => {
    resolveChecked(hostname, label).then((all) => {
      const wanted = options.family === 4 || options.family === 6 ? all.filter((a) => isIP(a) === options.family) : all;
      const [first] = wanted;
      if (first === undefined) callback(new OutboundNetworkError('ENOTFOUND', `${hostname} has no IPv${options.family} address.`), '');
      else if (options.all) callback(null, wanted.map((address) => ({ address, family: isIP(address) })));
      else callback(null, first, isIP(first));
    }, (err: Error) => callback(err, ''));
  };

  // The lookup closes over the label so a refusal names the setting whose URL it was (one function per label).
  const lookups = new Map<string, LookupFunction>();
  const lookupFor = (label: string) => lookups.get(label) ?? lookups.set(label, checkedLookup(label)).get(label)!;

  /**
   * `retried`: a pooled keep-alive socket the server had just closed as idle resets the request
   * before any answer (Node's `reusedSocket` case); that one request is sent once more on a new
   * socket, since the server never took it.
   */
  function send(method: string, raw: string, init: OutboundRequest, retried = false): Promise<OutboundResponse> {
    const label = init.label ?? defaultLabel;
    const { body, maxBodyBytes } = init;
    return new Promise<OutboundResponse>((resolve, reject) => {
      const { url, host } = parseTarget(raw, label);
      // An IP literal never reaches the lookup, so it is checked here, before any socket exists.
      if (isIP(host) && !allowPrivate) assertAllowedAddress(host, { label, host });

      const started = performance.now();
      const secure = url.protocol === 'https:';
      const req = (secure ? httpsRequest : httpRequest)(url, {
        method,
        headers: withDefaults(init.headers ?? {}, body, userAgent),
        agent: secure ? agents.https : agents.http,
        lookup: lookupFor(label),
      });

      let settled = false;
      const settle = (finish: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        finish();
      };
      const fail = (err: unknown) => settle(() => reject(toOutboundError(err, url.host)));
      const timer = setTimeout(() => {
        fail(new OutboundTimeoutError(timeoutMs));
        req.destroy();
      }, timeoutMs);

      let answered = false;
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (!retried && !answered && req.reusedSocket && err.code === 'ECONNRESET') return settle(() => resolve(send(method, raw, init, true)));
        fail(err);
      });
      req.on('response', (res) => {
        answered = true;
        const decoder = new StringDecoder('utf8'); // holds back a character split at the 1 KiB cut
        let excerpt = '';
        let kept = 0;
        let discarded = 0;
        const whole: Buffer[] | null = maxBodyBytes === undefined ? null : [];
        let wholeBytes = 0;
        const done = () =>
          settle(() =>
            resolve({
              status: res.statusCode ?? 0,
              headers: flatten(res.headers),
              bodyExcerpt: excerpt,
              ...(whole && { body: Buffer.concat(whole) }),
              latencyMs: Math.round(performance.now() - started),
            }),
          );
        res.on('data', (chunk: Buffer) => {
          const part = chunk.subarray(0, Math.max(0, EXCERPT_BYTES - kept));
          kept += part.length;
          if (part.length) excerpt += decoder.write(part);
          if (whole) {
            wholeBytes += chunk.length;
            if (wholeBytes > maxBodyBytes!) {
              fail(new OutboundTooLargeError(maxBodyBytes!));
              res.destroy();
              return;
            }
            whole.push(chunk);
            return;
          }
          discarded += chunk.length - part.length;
          if (discarded > DRAIN_LIMIT) {
            done();
            res.destroy();
          }
        });
        res.on('end', done);
        res.on('error', fail);
      });
      req.end(body);
    });
  }

  return {
    request: (method: string, url: string, init: OutboundRequest = {}): Promise<OutboundResponse> => send(method, url, init),
    post: (url: string, init: OutboundRequest): Promise<OutboundResponse> => send('POST', url, init),
    get: (url: string, init: Omit<OutboundRequest, 'body'> = {}): Promise<OutboundResponse> => send('GET', url, init),
    /** Ends pooled sockets; requests still in flight fail with OutboundNetworkError. */
    close(): void {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}

export type OutboundHttp = ReturnType<typeof createOutboundHttp>;
