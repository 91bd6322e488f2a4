import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../../http/types.js';
import { matchRoute } from '../../inbox/routes.js';
import type { Asset, InboxBundle } from './inbox-web.assets.js';

/** The shell's policy: only our own files; no inline script or style anywhere. */
export const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data: blob:; " +
  "font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export interface InboxWebDeps {
  /** The bundle (memoised per process by `inboxBundle`). */
  bundle: () => Promise<InboxBundle>;
}

/** `br` or `gzip` when the request accepts it (q > 0), else the raw bytes. */
export function pickEncoding(header: string | undefined): 'br' | 'gzip' | null {
  const accepted = new Set<string>();
  for (const part of (header ?? '').toLowerCase().split(',')) {
    const [name, ...params] = part.trim().split(';');
    const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    if (name && (q === undefined || Number(q) > 0)) accepted.add(name.trim());
  }
  if (accepted.has('br')) return 'br';
  if (accepted.has('gzip') || accepted.has('*')) return 'gzip';
  return null;
}

function send(req: FastifyRequest, reply: FastifyReply, file: Asset, status = 200) {
  const encoding = pickEncoding(req.headers['accept-encoding']);
  reply
    .code(status)
    .header('content-type', file.type)
    .header('vary', 'Accept-Encoding')
    .header('etag', file.etag)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer');
  if (status === 200 && req.headers['if-none-match'] === file.etag) return reply.code(304).send();
  if (encoding) reply.header('content-encoding', encoding);
  return reply.send(encoding === 'br' ? file.br : encoding === 'gzip' ? file.gzip : file.raw);
}

/**
 * `/inbox`: the web app's HTML shell for each of its pages (any other `/inbox/...` path gets the
 * same shell with 404, so the app shows its not-found page) and its hashed assets.
 */
export function inboxWebRoutes(app: App, deps: InboxWebDeps) {
  // A server warms the bundle as it starts listening; `inject`-only apps (tests) build on first use.
  app.addHook('onListen', async () => {
    deps.bundle().catch((err: unknown) => app.log.error({ err }, 'the inbox bundle failed to build'));
  });

  const config = { auth: 'none', caseInsensitive: false } as const;
  const schema = { hide: true };

  const page = async (req: FastifyRequest, reply: FastifyReply) => {
    const { html } = await deps.bundle();
    const path = req.url.split('?')[0]!;
    reply.header('content-security-policy', CSP).header('cache-control', 'no-cache');
    return send(req, reply, html, matchRoute(path).page === 'not-found' ? 404 : 200);
  };

  app.get('/inbox', { config, schema }, page);
  app.get('/inbox/*', { config, schema }, page);
  app.get<{ Params: { file: string } }>('/inbox/assets/:file', { config, schema }, async (req, reply) => {
    const { assets } = await deps.bundle();
    const file = assets.get(req.params.file.toLowerCase());
    if (!file) return page(req, reply);
    reply.header('cache-control', 'public, max-age=31536000, immutable');
    return send(req, reply, file);
  });
}
