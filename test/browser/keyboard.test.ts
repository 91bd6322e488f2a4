import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { assertAxeClean, conversationItem, conversations, LAYOUTS, NO_CHROMIUM, pressKey, startInbox, until, view, words } from '../helpers/browser.js';

const inbox = await startInbox();

/** Ahmed, Layla and Karim wrote, in that order (Karim's is the newest, first in the list); Sara reads All. */
async function threeConversations(language: 'ar' | 'en') {
  const { ws, channelId } = await inbox.setup();
  for (const [i, name] of ['Ahmed', 'Layla', 'Karim'].entries()) {
    inbox.h.clock.advance(1000);
    await inbox.inbound(channelId, { from: `96650123456${i}`, name, text: `A message from ${name}` });
  }
  const { page, context } = await inbox.person(ws.id, { name: 'Sara', role: 1, language });
  await view(page, words(language).all, language).click();
  for (const name of ['Ahmed', 'Layla', 'Karim']) await conversationItem(page, name, language).waitFor();
  return { page, context };
}

const focused = (page: Page) => page.evaluate(() => {
  const el = document.activeElement;
  return el ? `${el.tagName.toLowerCase()}${el.getAttribute('aria-label') ? `[${el.getAttribute('aria-label')}]` : ''}` : '';
});

for (const [language, layout] of [['en', 'us'], ['ar', 'arabic']] as const) {
  test(`every shortcut, ${language === 'ar' ? 'Arabic UI (dir=rtl) on an Arabic keyboard layout' : 'English UI on a US layout'}; never inside a text field; axe-core clean`, { skip: NO_CHROMIUM }, async () => {
    const w = words(language);
    const { page, context } = await threeConversations(language);
    const keys = LAYOUTS[layout];
    const press = (code: Exclude<keyof typeof keys, 'ShiftSlash'>) => pressKey(page, code, keys[code]);
    const pane = page.getByRole('region', { name: w.conversation });
    const showing = (name: string) => until(`${name}'s conversation open`, async () => (await pane.getByRole('heading', { level: 2 }).textContent().catch(() => null)) === name);
    const isFocused = async (locator: ReturnType<Page['getByRole']>) => locator.evaluate((el) => el === document.activeElement);

    // The language: Arabic sets dir=rtl on <html> and lays the columns out from the right.
    assert.deepEqual(await page.evaluate(() => [document.documentElement.lang, document.documentElement.dir]), language === 'ar' ? ['ar', 'rtl'] : ['en', 'ltr']);
    const nav = (await page.getByRole('navigation', { name: w.views }).boundingBox())!;
    const list = (await conversations(page, language).boundingBox())!;
    assert.ok(language === 'ar' ? nav.x > list.x : nav.x < list.x, `the views are at the ${language === 'ar' ? 'right' : 'left'} of the list (${nav.x} vs ${list.x})`);
    await assertAxeClean(page, `the list (${language})`);

    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await press('KeyJ');
    await showing('Karim');
    await press('KeyJ');
    await showing('Layla');
    await press('KeyJ');
    await showing('Ahmed');
    await press('KeyK');
    await showing('Layla');
    assert.match(page.url(), /\/inbox\/c\/[0-9a-f-]{36}/);

    // R: the reply box; keys typed there are text, not shortcuts; Esc leaves it.
    const reply = pane.getByRole('textbox', { name: w.reply });
    await press('KeyR');
    await until('R focuses the reply box', () => isFocused(reply));
    await press('KeyJ');
    assert.equal(await reply.inputValue(), keys.KeyJ, 'J typed in the box');
    await showing('Layla');
    await reply.fill('');
    await press('Escape');
    await until('Esc leaves the box', async () => !(await isFocused(reply)));

    // N: the note box.
    const note = pane.getByRole('textbox', { name: w.note });
    await press('KeyN');
    await until('N focuses the note box', () => isFocused(note));
    await press('Escape');
    await until('Esc leaves the note box', async () => !(await isFocused(note)));

    // A and T: their panels; Esc closes each and gives focus back to its button.
    for (const [code, name] of [['KeyA', w.assign], ['KeyT', w.tags]] as const) {
      await press(code);
      const panel = pane.getByRole('group', { name });
      await panel.waitFor();
      await until(`the focus moves into ${name}`, () => panel.evaluate((el) => el.contains(document.activeElement)));
      await press('Escape');
      await panel.waitFor({ state: 'detached' });
      await until(`the focus back on ${name}`, () => isFocused(pane.getByRole('button', { name, exact: true })));
    }

    // E: close, and again: reopen.
    await press('KeyE');
    await pane.getByRole('button', { name: w.reopen }).waitFor();
    await press('KeyE');
    await pane.getByRole('button', { name: w.close, exact: true }).waitFor();

    // /: the search box.
    await press('Slash');
    await until('/ focuses the search box', () => isFocused(page.getByRole('searchbox', { name: w.search })));
    await press('Escape');
    await until('Esc leaves the search box', async () => (await focused(page)) !== 'input');

    // ?: the list of shortcuts, closed by Esc.
    await pressKey(page, 'Slash', keys.ShiftSlash, { shift: true });
    const help = page.getByRole('dialog', { name: w.shortcuts });
    await help.waitFor();
    const listed = await help.locator('kbd').allTextContents();
    for (const k of ['J', 'K', 'R', 'N', 'A', 'T', 'E', 'Esc', '?']) assert.ok(listed.includes(k), `? lists ${k}: ${listed.join(' ')}`);
    await assertAxeClean(page, `the shortcuts dialog (${language})`);
    await press('Escape');
    await help.waitFor({ state: 'detached' });

    await assertAxeClean(page, `a conversation (${language})`);
    await context.close();
  });
}
