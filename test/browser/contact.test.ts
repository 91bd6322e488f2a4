import assert from 'node:assert/strict';
import { test } from 'node:test';
import { conversationItem, NO_CHROMIUM, startInbox, until, view } from '../helpers/browser.js';

const inbox = await startInbox();

test(
  'a contact property edited beside the conversation, and its history',
  { skip: NO_CHROMIUM },
  async () => {
    const { ws, channelId } = await inbox.setup();
    const city = await ws.api('POST', '/v1/contact-property-definitions', { name: 'City', type: 'Text' });
    assert.equal(city.statusCode, 200, city.body);
    await inbox.inbound(channelId, { from: '966501234567', name: 'Ahmed', text: 'Hello' });
    const { page, context } = await inbox.person(ws.id, { name: 'Sara', role: 1 });
    await view(page, 'All').click();
    await conversationItem(page, 'Ahmed').click();
    const contact = page.getByRole('complementary', { name: 'Contact' });
    assert.equal(await contact.getByText('+966501234567').or(contact.getByText('966501234567')).first().evaluate((el) => getComputedStyle(el).direction), 'ltr', 'the phone reads left to right');

    const field = contact.getByRole('region', { name: 'Properties' }).getByRole('textbox', { name: 'City' });
    await field.fill('Riyadh');
    await field.press('Tab');
    const history = contact.getByRole('region', { name: 'History' });
    await history.getByRole('listitem').filter({ hasText: 'Riyadh' }).waitFor();
    await field.fill('Jeddah');
    await field.press('Tab');
    await history.getByRole('listitem').filter({ hasText: 'Jeddah' }).waitFor();
    await until('the history shows Riyadh → Jeddah', async () => (await history.getByRole('listitem').first().textContent())?.replace(/\s+/g, ' ').includes('Riyadh → Jeddah') ?? false);

    await page.reload();
    assert.equal(await page.getByRole('complementary', { name: 'Contact' }).getByRole('textbox', { name: 'City' }).inputValue(), 'Jeddah', 'saved');
    await context.close();
  },
);

test('search (/): a contact by name, and message text, open their conversation', { skip: NO_CHROMIUM }, async () => {
  const { ws, channelId } = await inbox.setup();
  await inbox.inbound(channelId, { from: '966501234567', name: 'Ahmed', text: 'Hello' });
  await inbox.inbound(channelId, { from: '966507654321', name: 'Layla', text: 'Hi there' });
  const { page, context } = await inbox.person(ws.id, { name: 'Sara', role: 1 });
  await page.keyboard.press('/');
  const box = page.getByRole('searchbox', { name: 'Search' });
  await until('/ focuses the search box', () => box.evaluate((el) => el === document.activeElement));
  await box.fill('Layl');
  await page.getByRole('list', { name: 'Contacts' }).getByRole('button', { name: /Layla/ }).click();
  await page.getByRole('region', { name: 'Conversation' }).getByRole('heading', { name: 'Layla' }).waitFor();
  const layla = /\/inbox\/c\/([0-9a-f-]{36})/.exec(page.url())?.[1];
  assert.ok(layla, page.url());

  // Message text, folded: "اهلا" finds "أهلاً" (hamza, tanween); the hit opens its conversation.
  await inbox.inbound(channelId, { from: '966507654321', text: 'أهلاً، متى تفتحون؟' });
  await page.keyboard.press('Escape');
  await page.keyboard.press('/');
  await box.fill('اهلا');
  const hit = page.getByRole('list', { name: 'Messages' }).getByRole('button', { name: /متى تفتحون/ });
  await hit.waitFor();
  assert.match((await hit.textContent()) ?? '', /Layla/, 'the hit names its contact');
  await page.keyboard.press('Escape');
  await view(page, 'All').click();
  await conversationItem(page, 'Ahmed').click();
  await page.getByRole('region', { name: 'Conversation' }).getByRole('heading', { name: 'Ahmed' }).waitFor();
  await page.keyboard.press('/');
  await box.fill('اهلا');
  await hit.click();
  await page.getByRole('region', { name: 'Conversation' }).getByRole('heading', { name: 'Layla' }).waitFor();
  assert.ok(page.url().includes(`/inbox/c/${layla}`), page.url());
  await context.close();
});
