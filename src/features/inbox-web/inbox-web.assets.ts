import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';

/** One file of the inbox, kept in memory raw and precompressed. */
export interface Asset {
  type: string;
  etag: string;
  raw: Buffer;
  br: Buffer;
  gzip: Buffer;
}

export interface InboxBundle {
  /** The HTML shell, the same for every page of the app. */
  html: Asset;
  /** Hashed assets by file name (`app-<hash>.js`, `app-<hash>.css`), served immutable. */
  assets: Map<string, Asset>;
}

/** The client's entry: `src/inbox/main.tsx`. */
export const INBOX_ENTRY = fileURLToPath(new URL('../../inbox/main.tsx', import.meta.url));
export const ASSET_PREFIX = '/inbox/assets/';

const brotli = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

async function asset(type: string, raw: Buffer): Promise<Asset> {
  const [br, gz] = await Promise.all([
    brotli(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: raw.length } }),
    gzipAsync(raw, { level: 9 }),
  ]);
  return { type, etag: `"${hash(raw)}"`, raw, br, gzip: gz };
}

const hash = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex').slice(0, 16);

/** No inline script or style (the CSP allows neither): one stylesheet, one module. */
const shell = (js: string, css: string) =>
  '<!doctype html><html lang="en" dir="ltr"><head><meta charset="utf-8">' +
  '<meta name="viewport" content="width=device-width,initial-scale=1"><meta name="color-scheme" content="light">' +
  `<title>Wasl</title><link rel="icon" href="data:,"><link rel="stylesheet" href="${css}">` +
  `<script type="module" src="${js}"></script></head>` +
  '<body><noscript>Wasl’s inbox needs JavaScript. يحتاج صندوق وصل إلى JavaScript.</noscript><div id="app"></div></body></html>';

/** Bundles the client in memory (esbuild, loaded only now), names files by content, compresses them. */
export async function buildInbox(entry = INBOX_ENTRY): Promise<InboxBundle> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    minify: true,
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    outdir: '/out',
    entryNames: 'app',
    legalComments: 'none',
    charset: 'utf8',
    logLevel: 'silent',
  });
  const assets = new Map<string, Asset>();
  let js = '';
  let css = '';
  for (const file of result.outputFiles) {
    const raw = Buffer.from(file.contents);
    const ext = file.path.endsWith('.css') ? 'css' : 'js';
    const name = `app-${hash(raw)}.${ext}`;
    assets.set(name, await asset(ext === 'css' ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8', raw));
    if (ext === 'css') css = ASSET_PREFIX + name;
    else js = ASSET_PREFIX + name;
  }
  if (!js || !css) throw new Error('the inbox bundle has no script or no stylesheet');
  return { html: await asset('text/html; charset=utf-8', Buffer.from(shell(js, css))), assets };
}

/**
 * The bundle, built once per process and entry: the test suite's many apps in one process share
 * it. Nothing is built at import; the first caller (a server's start or a first request) does.
 */
const builds = new Map<string, Promise<InboxBundle>>();
export function inboxBundle(entry = INBOX_ENTRY): Promise<InboxBundle> {
  let build = builds.get(entry);
  if (!build) {
    build = buildInbox(entry);
    builds.set(entry, build);
    build.catch(() => builds.delete(entry)); // a failed build is tried again by the next request
  }
  return build;
}
