import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One request the fake Graph API received. */
export interface GraphRequest {
  method: string;
  /** The path and query after the version segment, e.g. `109876543210/messages`. */
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
  /** `performance.now()` when the request arrived (pacing checks). */
  at: number;
}

/** A template as Meta's `message_templates` lists it. */
export interface GraphTemplate {
  id?: string;
  name: string;
  language: string;
  status: string;
  category: string;
  components: unknown[];
}

export interface FakeGraphOptions {
  /** The bearer token the fake accepts (others get Meta's OAuth error 190). */
  token?: string;
  /**
   * A send's answer, by its request body: `undefined` accepts it (200 with a new wamid); a tuple
   * answers that status and body (Meta's `{error: {...}}` envelope, or anything).
   */
  answer?: (body: Record<string, unknown>) => [number, unknown] | undefined | Promise<[number, unknown] | undefined>;
  /** The templates `GET /{waba}/message_templates` lists (paged by `limit`, cursor `after`). */
  templates?: GraphTemplate[];
  /** Media the fake holds: `GET /{id}` describes it, its `url` serves the bytes (bearer required). */
  media?: Record<string, { bytes: Buffer; mimeType: string }>;
  /**
   * Statuses posted back to Wasl as Meta does, signed with `appSecret`: after each accepted send,
   * `sent`, `delivered`, `read` to `webhookUrl` (a function, so a test may start Wasl afterwards).
   */
  /**
   * Post signed status webhooks back to Wasl after each message send. `early`: post them (and wait
   * for Wasl's answers) before answering the send, as Meta sometimes does in effect — the callbacks
   * then arrive before the sender has stored the wamid; a function is awaited too before the answer
   * (a test waits there until Wasl has tried the callbacks).
   */
  callbacks?: { webhookUrl: () => string; appSecret: string; statuses?: Array<'sent' | 'delivered' | 'read'>; early?: boolean | (() => Promise<void>) };
}

const metaError = (code: number, message: string, details?: string) => ({ error: { message, type: 'OAuthException', code, ...(details && { error_data: { details } }), fbtrace_id: 'AfakeTrace' } });

/**
 * A fake Meta Graph API on 127.0.0.1 that speaks Meta's wire format: `POST /{phone-number-id}/messages`
 * (text, template, media, reaction, and `status: read` marks), `GET /{waba-id}/message_templates`
 * (cursor paging), `GET /{media-id}` then the media URL it names, `GET /{phone-number-id}?fields=…`,
 * Meta's error envelope for a wrong token or an unknown path, and signed status webhooks posted back
 * to Wasl when `callbacks` is set. Every request is recorded in `requests`. Close it when done
 * (`after(() => graph.close())` in a test file): an open server keeps the test process alive.
 */
export async function startFakeGraph(options: FakeGraphOptions = {}) {
  const token = options.token ?? 'EAAG-good-token';
  const requests: GraphRequest[] = [];
  const sockets = new Set<Socket>();
  let counter = 0;
  const pendingCallbacks = new Set<Promise<unknown>>();

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = raw ? JSON.parse(raw) : null;
      } catch {
        body = raw;
      }
      const url = new URL(req.url ?? '/', 'http://graph');
      const path = url.pathname.replace(/^\/v\d+\.\d+\//, '') + url.search;
      requests.push({ method: req.method ?? '', path, headers: req.headers, body, at: performance.now() });
      const send = (status: number, json: unknown) => {
        res.setHeader('content-type', 'application/json');
        res.writeHead(status).end(JSON.stringify(json));
      };
      const segments = url.pathname.split('/').filter(Boolean);

      // The media file itself (its own path, as Meta's lookaside URLs are): bearer required.
      if (segments[0] === 'media-files') {
        const media = options.media?.[segments[1] ?? ''];
        if (req.headers.authorization !== `Bearer ${token}`) return send(401, metaError(190, 'Invalid OAuth access token.'));
        if (!media) return send(404, metaError(100, 'Unsupported get request.'));
        res.setHeader('content-type', media.mimeType);
        return void res.writeHead(200).end(media.bytes);
      }
      if (req.headers.authorization !== `Bearer ${token}`) return send(401, metaError(190, 'Invalid OAuth access token.'));
      const [, first, second] = segments;

      if (req.method === 'POST' && second === 'messages') {
        const message = (body ?? {}) as Record<string, unknown>;
        if (message.status === 'read') return send(200, { success: true });
        const scripted = await options.answer?.(message);
        if (scripted) return send(scripted[0], scripted[1]);
        const wamid = `wamid.FAKE${(++counter).toString().padStart(6, '0')}${randomBytes(4).toString('hex').toUpperCase()}`;
        const answer = () => send(200, { messaging_product: 'whatsapp', contacts: [{ input: message.to, wa_id: message.to }], messages: [{ id: wamid }] });
        if (!options.callbacks) return answer();
        if (!options.callbacks.early) return void (answer(), callBack(wamid, String(message.to)));
        await callBack(wamid, String(message.to));
        if (typeof options.callbacks.early === 'function') await options.callbacks.early();
        return answer();
      }
      if (req.method === 'GET' && second === 'message_templates') {
        const all = (options.templates ?? []).map((t, i) => ({ id: t.id ?? String(1000 + i), ...t }));
        const limit = Number(url.searchParams.get('limit') ?? 25);
        const start = Number(url.searchParams.get('after') ?? 0);
        const page = all.slice(start, start + limit);
        const next = start + limit < all.length ? String(start + limit) : null;
        return send(200, {
          data: page,
          paging: { cursors: { before: String(start), after: next ?? String(start + page.length) }, ...(next && { next: `${baseUrl()}/${first}/message_templates?limit=${limit}&after=${next}` }) },
        });
      }
      if (req.method === 'GET' && first && !second) {
        const media = options.media?.[first];
        if (media) {
          return send(200, {
            messaging_product: 'whatsapp',
            url: `${origin()}/media-files/${first}`,
            mime_type: media.mimeType,
            sha256: createHash('sha256').update(media.bytes).digest('hex'),
            file_size: media.bytes.length,
            id: first,
          });
        }
        if (url.searchParams.has('fields')) return send(200, { id: first, display_phone_number: '+966 50 011 1222', verified_name: 'Acme', quality_rating: 'GREEN' });
      }
      send(404, metaError(100, `Unsupported ${req.method} request: ${url.pathname}`));
    });
  });

  function callBack(wamid: string, to: string) {
    const cb = options.callbacks!;
    const job = (async () => {
      for (const status of cb.statuses ?? ['sent', 'delivered', 'read']) {
        const payload = {
          object: 'whatsapp_business_account',
          entry: [{ id: 'WABA', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { phone_number_id: 'PNID' }, statuses: [{ id: wamid, status, timestamp: String(Math.floor(Date.now() / 1000)), recipient_id: to, pricing: { billable: true, category: 'service' } }] } }] }],
        };
        const raw = JSON.stringify(payload);
        await fetch(cb.webhookUrl(), {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${createHmac('sha256', cb.appSecret).update(raw).digest('hex')}` },
          body: raw,
        }).catch(() => undefined);
      }
    })();
    pendingCallbacks.add(job);
    void job.finally(() => pendingCallbacks.delete(job));
    return job;
  }

  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = () => `http://127.0.0.1:${port}`;
  const baseUrl = () => `${origin()}/v21.0`;

  return {
    /** What a channel's `whatsApp.graphBaseUrl` should be. */
    baseUrl: baseUrl(),
    port,
    token,
    requests,
    /** The message sends received (not read marks), in arrival order. */
    sends: () => requests.filter((r) => r.method === 'POST' && r.path.endsWith('/messages') && (r.body as { status?: string } | null)?.status !== 'read'),
    /** Waits for the status callbacks posted so far. */
    settled: () => Promise.all([...pendingCallbacks]),
    async close() {
      sockets.forEach((s) => s.destroy());
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
export type FakeGraph = Awaited<ReturnType<typeof startFakeGraph>>;
