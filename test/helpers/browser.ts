import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { after } from 'node:test';
import axe from 'axe-core';
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from 'playwright-core';
import { ar, en } from '../../src/inbox/messages.js';
import { build, json, type Harness, type Workspace } from './build.js';
import type { DrainableWorker } from './drain.js';

/**
 * Browser tests of the inbox (`/inbox`): Debian Chromium driven by playwright-core against the app
 * served on a real loopback port, PUBLIC_URL being that origin (the sign-in cookie's unsafe requests
 * need `Origin` = PUBLIC_URL). One browser a file, a context a person (cookies are per context).
 * Without Chromium at CHROMIUM_PATH (default /usr/bin/chromium) the tests skip, saying so.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
/** The `skip` option of every browser test: a message when Chromium is absent, else undefined. */
export const NO_CHROMIUM = existsSync(CHROMIUM_PATH) ? undefined : `Chromium not found at ${CHROMIUM_PATH}: browser tests skipped`;
export const PASSWORD = 'a long enough passphrase';
/** Longest wait on a DOM condition; no test sleeps a fixed time. */
export const WAIT_MS = 5000;

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export interface Inbox {
  h: Harness;
  /** `http://127.0.0.1:<port>`: the served origin and the app's PUBLIC_URL. */
  origin: string;
  worker: DrainableWorker;
  /** Undefined when Chromium is absent (every test then skips). */
  browser: Browser | undefined;
  /** A workspace with a sandbox WhatsApp channel. */
  setup(): Promise<{ ws: Workspace; channelId: string }>;
  /** Adds a person to the workspace (role 1 Owner, 2 Agent) and returns their invitation link. */
  invite(workspaceId: string, options?: { name?: string; email?: string; role?: number }): Promise<{ userId: string; email: string; url: string }>;
  /** An invited person with a password, signed in (the cookie put in a new context), the inbox open (on its default view). */
  person(workspaceId: string, options?: { name?: string; role?: number; locale?: string; language?: 'ar' | 'en'; context?: BrowserContext }): Promise<SignedIn>;
  /** A new browser context (a person's browser): `locale` sets navigator.language and Accept-Language. */
  context(locale?: string): Promise<BrowserContext>;
  /** A customer's WhatsApp message to a sandbox channel, processed by the worker before it resolves. */
  inbound(channelId: string, message: { from: string; text: string; name?: string }): Promise<void>;
  /** Moves the server's clock (sandbox statuses come 300 and 600 ms after a send) and runs what fell due. */
  advance(ms: number): Promise<void>;
  /** Calls the app over HTTP as a browser of this origin would (cookie given, Origin set). */
  call(method: string, path: string, body?: unknown, cookie?: string): Promise<{ status: number; body: string; cookie: string | undefined }>;
}

export interface SignedIn {
  userId: string;
  email: string;
  password: string;
  /** The `wasl_session` cookie's value. */
  token: string;
  context: BrowserContext;
  page: Page;
}

/** A free loopback port: PUBLIC_URL has to be known before the app is built. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * The app on a fresh store, listening on 127.0.0.1, with a running job worker, and Chromium (when
 * present). Everything closes when the file ends: the browser first, so no stream holds the server.
 */
export async function startInbox(overrides: Record<string, string> = {}): Promise<Inbox> {
  const browser = NO_CHROMIUM ? undefined : await chromium.launch({ executablePath: CHROMIUM_PATH, args: ARGS });
  if (browser) after(() => browser.close());
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const h = await build({ PUBLIC_URL: origin, ...overrides });
  await h.app.listen({ host: '127.0.0.1', port });
  const worker = await h.worker({ pollMs: 100 });

  const call: Inbox['call'] = async (method, path, body, cookie) => {
    const res = await fetch(origin + path, {
      method,
      headers: { origin, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(cookie ? { cookie: `wasl_session=${cookie}` } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const set = res.headers.getSetCookie().find((c) => c.startsWith('wasl_session='));
    return { status: res.status, body: await res.text(), cookie: set === undefined ? undefined : /^wasl_session=([^;]*)/.exec(set)![1] };
  };

  const admin = async (url: string, body?: object) => {
    const res = await h.admin('POST', url, body);
    assert.ok(res.statusCode === 200 || res.statusCode === 202, `POST ${url}: ${res.statusCode} ${res.body}`);
    return json(res);
  };

  const inbox: Inbox = {
    h,
    origin,
    worker,
    browser,
    async setup() {
      const ws = await h.workspace();
      const channel = await admin(`/admin/v1/workspaces/${ws.id}/channels`, { name: 'Main Line', type: 2, phoneNumber: '+966500000001' });
      return { ws, channelId: channel.id as string };
    },
    async invite(workspaceId, options = {}) {
      const email = options.email ?? `p-${Math.random().toString(36).slice(2)}@example.com`;
      const user = await admin(`/admin/v1/workspaces/${workspaceId}/users`, { name: options.name ?? 'Sara', email, role: options.role ?? 2 });
      const link = await admin(`/admin/v1/users/${user.id}/invitation`);
      assert.ok(String(link.url).startsWith(`${origin}/inbox/welcome#token=`), link.url);
      return { userId: user.id as string, email, url: link.url as string };
    },
    async person(workspaceId, options = {}) {
      const { userId, email, url } = await inbox.invite(workspaceId, options);
      const set = await call('POST', '/v1/auth/password', { token: new URL(url).hash.replace(/^#token=/, ''), password: PASSWORD });
      assert.equal(set.status, 200, set.body);
      const token = set.cookie!;
      if (options.language) {
        const res = await call('PATCH', '/v1/auth/me', { language: options.language }, token);
        assert.equal(res.status, 200, res.body);
      }
      const context = options.context ?? (await inbox.context(options.locale));
      await context.addCookies([{ name: 'wasl_session', value: token, url: origin }]);
      const page = await context.newPage();
      await page.goto(`${origin}/inbox`);
      await signedIn(page, options.language).waitFor({ timeout: WAIT_MS });
      return { userId, email, password: PASSWORD, token, context, page };
    },
    async context(locale = 'en-US') {
      assert.ok(browser, NO_CHROMIUM);
      const context = await browser.newContext({ baseURL: origin, locale });
      context.setDefaultTimeout(WAIT_MS);
      return context;
    },
    async inbound(channelId, message) {
      await admin(`/admin/v1/sandbox/channels/${channelId}/inbound`, message);
      await worker.drain();
    },
    async advance(ms) {
      h.clock.advance(ms);
      await worker.drain();
    },
    call,
  };
  return inbox;
}

/** Signs in through the form at /inbox; resolves once the inbox shows. */
export async function signInThroughUi(page: Page, origin: string, email: string, password: string) {
  await page.goto(`${origin}/inbox`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await signedIn(page)
    .waitFor({ timeout: WAIT_MS })
    .catch(async (err: Error) => assert.fail(`not signed in: the page says "${(await page.locator('body').innerText()).replace(/\s+/g, ' ')}" (${err.message.split('\n')[0]})`));
}

/** What shows once signed in, whether or not the list has conversations (an empty one is no list): the "Views" navigation. */
export const signedIn = (page: Page, language: 'ar' | 'en' = 'en') => page.getByRole('navigation', { name: words(language).views });

/** The app's words (its message catalogue) in a language: the accessible names to find things by (plural messages aside). */
export const words = (language: 'ar' | 'en') => (language === 'ar' ? ar : en) as Record<keyof typeof en, string>;

/** axe-core in the page (WCAG 2.1 A and AA): asserts no violation, listing each one when there are. */
export async function assertAxeClean(page: Page, what: string) {
  await page.evaluate(axe.source); // not a <script>: the app's CSP allows no inline script, and stays on
  const violations = await page.evaluate(async () => {
    const result = await (window as unknown as { axe: typeof axe }).axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => `${n.target.join(' ')}: ${n.failureSummary ?? ''}`) }));
  });
  assert.deepEqual(violations, [], `axe-core on ${what}:\n${violations.map((v) => `- ${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.join('\n    ')}`).join('\n')}`);
}

/**
 * A trusted key press (Chrome DevTools Protocol) with a given `key` and physical `code`: an Arabic
 * layout gives `key` 'ت' for `code` 'KeyJ'. The app must match on `code`.
 */
export async function pressKey(page: Page, code: string, key: string, options: { shift?: boolean } = {}) {
  let cdp = sessions.get(page);
  if (!cdp) sessions.set(page, (cdp = await page.context().newCDPSession(page)));
  const modifiers = options.shift ? 8 : 0;
  const keyCode = KEY_CODES[code] ?? 0;
  const text = key.length === 1 ? key : undefined;
  await cdp.send('Input.dispatchKeyEvent', { type: text ? 'keyDown' : 'rawKeyDown', key, code, modifiers, windowsVirtualKeyCode: keyCode, ...(text ? { text, unmodifiedText: text } : {}) });
  await cdp.send('Input.dispatchKeyEvent', { type: 'keyUp', key, code, modifiers, windowsVirtualKeyCode: keyCode });
}
const sessions = new WeakMap<Page, CDPSession>();

const KEY_CODES: Record<string, number> = { Escape: 27, Enter: 13, Slash: 191 };
for (const letter of 'ABCDEFGHIJKLMNOPQRSTUVWXYZ') KEY_CODES[`Key${letter}`] = letter.charCodeAt(0);

/** What each shortcut's key gives on a US and on an Arabic (101) layout, by physical key. */
export const LAYOUTS = {
  us: { KeyJ: 'j', KeyK: 'k', KeyR: 'r', KeyN: 'n', KeyA: 'a', KeyT: 't', KeyE: 'e', Slash: '/', ShiftSlash: '?', Escape: 'Escape' },
  arabic: { KeyJ: 'ت', KeyK: 'ن', KeyR: 'ق', KeyN: 'ى', KeyA: 'ش', KeyT: 'ف', KeyE: 'ث', Slash: 'ظ', ShiftSlash: '؟', Escape: 'Escape' },
} as const;

/** Polls `check` (in Node: locators, API calls) until it returns true, or fails after `timeoutMs` saying `what`. */
export async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = WAIT_MS) {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await check()) return;
      last = undefined;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) assert.fail(`not within ${timeoutMs} ms: ${what}${last ? ` (${String(last)})` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The entry of a view ("Mine", "Unassigned", "All", "Mentions") in the "Views" navigation. */
export function view(page: Page, name: string, language: 'ar' | 'en' = 'en') {
  const nav = page.getByRole('navigation', { name: words(language).views });
  const named = { name: new RegExp(`^\\s*${name}(?=\\s|$|[\\d٠-٩])`) };
  return nav.getByRole('link', named).or(nav.getByRole('button', named)).or(nav.getByRole('tab', named)).first();
}

/** The count a view's entry shows (0 when it shows none); Arabic-Indic digits read as digits. */
export async function viewCount(page: Page, name: string): Promise<number> {
  const text = (await view(page, name).textContent()) ?? '';
  const digits = text.replace(/[٠-٩]/g, (d) => String(d.charCodeAt(0) - 0x660)).replace(/\D+/g, '');
  return digits === '' ? 0 : Number(digits);
}

/** The list of conversations, and one item of it by the contact's name. */
export const conversations = (page: Page, language: 'ar' | 'en' = 'en') => page.getByRole('list', { name: words(language).conversations });
export const conversationItem = (page: Page, contactName: string, language: 'ar' | 'en' = 'en') => conversations(page, language).getByRole('listitem').filter({ hasText: contactName });
/** The open conversation's timeline, and one event of it by its text. */
export const timeline = (page: Page, language: 'ar' | 'en' = 'en') =>
  page.getByRole('region', { name: words(language).conversation }).getByRole('list', { name: words(language).timeline });
export const timelineItem = (page: Page, text: string, language: 'ar' | 'en' = 'en') => timeline(page, language).getByRole('listitem').filter({ hasText: text });
