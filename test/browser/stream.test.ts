import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Request } from 'playwright-core';
import { conversationItem, NO_CHROMIUM, startInbox, until, view, WAIT_MS } from '../helpers/browser.js';

const inbox = await startInbox();
const isStream = (r: Request) => new URL(r.url()).pathname === '/v1/events';

test(
  'offline, then online: a message that came meanwhile appears without a reload',
  { skip: NO_CHROMIUM },
  async () => {
    const { ws, channelId } = await inbox.setup();
    const { page, context } = await inbox.person(ws.id, { name: 'Sara', role: 1 });
    await view(page, 'All').click();
    await inbox.inbound(channelId, { from: '966501234567', name: 'Ahmed', text: 'First' });
    await conversationItem(page, 'Ahmed').waitFor();
    let loads = 0;
    page.on('load', () => loads++);

    await context.setOffline(true);
    await until('the page knows it is offline', () => page.evaluate(() => !navigator.onLine));
    // Meanwhile a message comes, and the page tries (and fails) to fetch what changed, or says it is offline.
    const tried = Promise.race([
      page.waitForEvent('requestfailed', { predicate: (r) => new URL(r.url()).pathname.startsWith('/v1/inbox/'), timeout: WAIT_MS }),
      page.getByText('Offline: live updates paused.').waitFor(),
    ]);
    await inbox.inbound(channelId, { from: '966507654321', name: 'Layla', text: 'While you were away' });
    await tried;
    await context.setOffline(false);
    await conversationItem(page, 'Layla').locator('[aria-label="1 unread"]').waitFor();
    await until('(2) in the title', async () => (await page.title()).startsWith('(2)'));
    assert.equal(loads, 0, 'no reload');
    await context.close();
  },
);

test('eight tabs of one browser share one stream: exactly one /v1/events open at a time, each tab live; closing its tab hands it on', { skip: NO_CHROMIUM }, async () => {
  const { ws, channelId } = await inbox.setup();
  const context = await inbox.context();
  const open = new Set<Request>();
  let most = 0;
  const opened = (r: Request) => {
    if (!isStream(r)) return;
    open.add(r);
    most = Math.max(most, open.size);
  };
  const ended = (r: Request) => void open.delete(r);
  context.on('request', opened);
  context.on('requestfinished', ended);
  context.on('requestfailed', ended);
  // A closed tab's stream ends with it (no event says so).
  context.on('page', (page) => page.on('close', () => [...open].filter((r) => r.frame().page() === page).forEach(ended)));
  const { page: first } = await inbox.person(ws.id, { name: 'Sara', role: 1, context });
  const pages = [first];
  for (let i = 1; i < 8; i++) {
    const page = await context.newPage();
    await page.goto(`${inbox.origin}/inbox`);
    pages.push(page);
  }
  for (const page of pages) await view(page, 'All').click();

  await inbox.inbound(channelId, { from: '966501234567', name: 'Ahmed', text: 'Hello to every tab' });
  for (const page of pages) await conversationItem(page, 'Ahmed').waitFor();
  assert.ok(most <= 1, `${most} streams were open at once`);

  // The tab holding the stream closes; another takes it over and every tab stays live.
  for (const page of pages.splice(0, 4)) await page.close();
  await inbox.inbound(channelId, { from: '966507654321', name: 'Layla', text: 'Still live' });
  for (const page of pages) await conversationItem(page, 'Layla').waitFor();
  assert.ok(most <= 1, `${most} streams were open at once`);
  await until('one stream open', () => open.size === 1);
  await context.close();
});
