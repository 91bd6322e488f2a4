import assert from 'node:assert/strict';
import { test } from 'node:test';
import { conversationItem, conversations, NO_CHROMIUM, startInbox, until, view } from '../helpers/browser.js';
import { openConversation } from '../helpers/conversations.js';

const inbox = await startInbox();
const PHONES = { Ahmed: '966501234567', Layla: '966507654321' };

/** Ahmed, then Layla wrote (Layla's is the newest); Sara reads All. */
async function twoConversations() {
  const { ws, channelId } = await inbox.setup();
  for (const name of ['Ahmed', 'Layla'] as const) {
    inbox.h.clock.advance(1000);
    await inbox.inbound(channelId, { from: PHONES[name], name, text: `Hello from ${name}` });
  }
  const { page, context } = await inbox.person(ws.id, { name: 'Sara', role: 1 });
  await view(page, 'All').click();
  const names = async () => (await conversations(page).getByRole('listitem').allTextContents()).map((t) => (t.includes('Ahmed') ? 'Ahmed' : t.includes('Layla') ? 'Layla' : t));
  await until('Layla (newest) first', async () => (await names()).join() === 'Layla,Ahmed');
  return { channelId, page, context, names, pane: page.getByRole('region', { name: 'Conversation' }) };
}

const unreadBadges = (page: Parameters<typeof conversationItem>[0], name: string) => conversationItem(page, name).locator('[aria-label$=" unread"]');

test('live re-sorting: a new message moves its conversation to the top, the open one stays selected', { skip: NO_CHROMIUM }, async () => {
  const { channelId, page, context, names, pane } = await twoConversations();
  await conversationItem(page, 'Ahmed').click();
  await pane.getByRole('heading', { name: 'Ahmed' }).waitFor();
  inbox.h.clock.advance(1000);
  await inbox.inbound(channelId, { from: PHONES.Ahmed, name: 'Ahmed', text: 'Any news?' });
  await until('Ahmed moves to the top', async () => (await names()).join() === 'Ahmed,Layla');
  assert.equal(await conversationItem(page, 'Ahmed').getByRole('link').getAttribute('aria-current'), 'true', 'still selected');
  await pane.getByRole('listitem').filter({ hasText: 'Any news?' }).waitFor();

  inbox.h.clock.advance(1000);
  await inbox.inbound(channelId, { from: PHONES.Layla, name: 'Layla', text: 'Me again' });
  await until('Layla back on top', async () => (await names()).join() === 'Layla,Ahmed');
  assert.equal(await conversationItem(page, 'Ahmed').getByRole('link').getAttribute('aria-current'), 'true', 'Ahmed still selected');
  await pane.getByRole('heading', { name: 'Ahmed' }).waitFor();
  await context.close();
});

test('“Unread only” lists the unread conversations', { skip: NO_CHROMIUM }, async () => {
  const { page, context, names, pane } = await twoConversations();
  await conversationItem(page, 'Layla').click();
  await pane.getByRole('heading', { name: 'Layla' }).waitFor();
  await until('Layla read', async () => (await unreadBadges(page, 'Layla').count()) === 0);
  await page.getByRole('checkbox', { name: 'Unread only' }).check();
  await until('only Ahmed', async () => (await names()).join() === 'Ahmed');
  await page.getByRole('checkbox', { name: 'Unread only' }).uncheck();
  await until('both again', async () => (await names()).join() === 'Layla,Ahmed');
  await context.close();
});

test(
  '“Mark unread” on the open conversation: back to the list, where it stays unread',
  { skip: NO_CHROMIUM },
  async () => {
    const { channelId, page, context, pane } = await twoConversations();
    await conversationItem(page, 'Ahmed').click();
    await pane.getByRole('heading', { name: 'Ahmed' }).waitFor();
    await until('Ahmed read', async () => (await unreadBadges(page, 'Ahmed').count()) === 0);
    let reads = 0;
    page.on('request', (r) => void (r.method() === 'POST' && r.url().endsWith('/read') && reads++));
    await pane.getByRole('button', { name: 'Mark unread' }).click();
    await unreadBadges(page, 'Ahmed').waitFor();
    // What the live stream brings next (here Layla's message) must not mark it read again.
    await inbox.inbound(channelId, { from: PHONES.Layla, name: 'Layla', text: 'Me again' });
    await conversationItem(page, 'Layla').locator('[aria-label="2 unread"]').waitFor();
    assert.equal(await unreadBadges(page, 'Ahmed').count(), 1, 'Ahmed still unread');
    assert.equal(reads, 0, 'no read sent for it');
    await context.close();
  },
);

test('a live refresh keeps every row loaded with “Load more” (past the API’s 100 a page)', { skip: NO_CHROMIUM }, async () => {
  const { ws, channelId } = await inbox.setup();
  for (let i = 0; i < 130; i++) {
    inbox.h.clock.advance(1000);
    await openConversation(ws, channelId, `+96650555${String(i).padStart(4, '0')}`, { ContactName: `Customer ${i}` });
  }
  const { page, context } = await inbox.person(ws.id, { name: 'Sara', role: 1 });
  await view(page, 'All').click();
  const rows = conversations(page).getByRole('listitem');
  await until('the first page', async () => (await rows.count()) === 50);
  await page.getByRole('button', { name: 'Load more' }).click();
  await until('two pages', async () => (await rows.count()) === 100);
  await page.getByRole('button', { name: 'Load more' }).click();
  await until('all 130', async () => (await rows.count()) === 130);
  await conversationItem(page, 'Customer 0').click();

  inbox.h.clock.advance(1000);
  await inbox.inbound(channelId, { from: '966505550000', text: 'still here?' });
  await until('the oldest moves to the top', async () => ((await rows.first().textContent()) ?? '').includes('Customer 0'));
  assert.equal(await rows.count(), 130, 'the refresh kept every row shown');
  assert.equal(await conversationItem(page, 'Customer 0').getByRole('link').getAttribute('aria-current'), 'true', 'still selected');
  assert.ok(((await rows.last().textContent()) ?? '').includes('Customer 1'), 'the oldest shown is now Customer 1');
  await context.close();
});
