import assert from 'node:assert/strict';
import { test } from 'node:test';
import { conversationItem, conversations, NO_CHROMIUM, startInbox, until, view, viewCount } from '../helpers/browser.js';

const inbox = await startInbox();

/** Two people of one workspace, each in a browser of their own; Sara has Ahmed's conversation open. */
async function twoPeople() {
  const { ws, channelId } = await inbox.setup();
  const tag = await ws.api('POST', '/v1/tags/service-account', { name: 'VIP' });
  assert.equal(tag.statusCode, 200, tag.body);
  await inbox.inbound(channelId, { from: '966501234567', name: 'Ahmed', text: 'Where is my order?' });
  // Omar first: a page loads the workspace's people once.
  const omar = await inbox.person(ws.id, { name: 'Omar', role: 2 });
  const sara = await inbox.person(ws.id, { name: 'Sara', role: 1 });
  await view(sara.page, 'All').click();
  await conversationItem(sara.page, 'Ahmed').click();
  const pane = sara.page.getByRole('region', { name: 'Conversation' });
  await pane.getByRole('heading', { name: 'Ahmed' }).waitFor();
  const done = async () => {
    await sara.context.close();
    await omar.context.close();
  };
  return { pane, o: omar.page, done };
}

const rowText = async (page: Parameters<typeof conversationItem>[0], name: string) => (await conversationItem(page, name).textContent()) ?? '';

test('assign, tag and close, done by one person, seen live in a second person’s browser', { skip: NO_CHROMIUM }, async () => {
  const { pane, o, done } = await twoPeople();
  assert.equal(await viewCount(o, 'Mine'), 0);

  // Assigned to Omar: his Mine view gets it.
  await pane.getByRole('button', { name: 'Assign' }).click();
  await pane.getByRole('group', { name: 'Assign' }).getByRole('button', { name: 'Omar' }).click();
  await conversationItem(o, 'Ahmed').waitFor();
  await until('Omar’s Mine counts 1', async () => (await viewCount(o, 'Mine')) === 1);
  await until('the row names Omar', async () => (await rowText(o, 'Ahmed')).includes('Omar'));

  // Tagged: Omar's row shows the tag.
  await pane.getByRole('button', { name: 'Tags' }).click();
  const tags = pane.getByRole('group', { name: 'Tags' });
  await tags.getByRole('checkbox', { name: 'VIP' }).check();
  await tags.getByRole('button', { name: 'Save' }).click();
  await until('Omar sees the tag', async () => (await rowText(o, 'Ahmed')).includes('VIP'));

  // Closed: it leaves Omar's open list and shows under Closed.
  await pane.getByRole('button', { name: 'Close', exact: true }).click();
  await pane.getByRole('button', { name: 'Reopen' }).waitFor();
  await until('gone from Omar’s open Mine', async () => (await conversations(o).getByRole('listitem').filter({ hasText: 'Ahmed' }).count()) === 0);
  await until('Omar’s Mine counts 0 open', async () => (await viewCount(o, 'Mine')) === 0);
  await o.getByRole('tab', { name: 'Closed' }).click();
  await conversationItem(o, 'Ahmed').waitFor();
  await done();
});

test(
  'an @mention in a note lands unread in the mentioned person’s Mentions view, live',
  { skip: NO_CHROMIUM },
  async () => {
    const { pane, o, done } = await twoPeople();
    await pane.getByRole('radio', { name: 'Note' }).check();
    const note = pane.getByRole('textbox', { name: 'Note' });
    await note.fill('Please call him back ');
    await pane.getByRole('button', { name: 'Mention' }).click();
    await pane.getByRole('list', { name: 'Mention' }).getByRole('button', { name: 'Omar' }).click();
    await until('the mention is in the note', async () => /@<?[0-9a-f-]{36}/.test(await note.inputValue()));
    await pane.getByRole('button', { name: 'Add note' }).click();
    await pane.getByRole('list', { name: 'Timeline' }).getByRole('listitem').filter({ hasText: 'Please call him back @Omar' }).waitFor();
    await until('Omar’s Mentions counts 1', async () => (await viewCount(o, 'Mentions')) === 1);
    await view(o, 'Mentions').click();
    await conversationItem(o, 'Ahmed').locator('[aria-label="1 unread mention"]').waitFor();
    await done();
  },
);
