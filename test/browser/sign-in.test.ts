import assert from 'node:assert/strict';
import { test } from 'node:test';
import { conversationItem, NO_CHROMIUM, PASSWORD, signedIn, signInThroughUi, startInbox, view } from '../helpers/browser.js';

const inbox = await startInbox();

test('an invitation link → a password set on the welcome page → signed in (the inbox shows); signing out, then in again', { skip: NO_CHROMIUM }, async () => {
  const { ws, channelId } = await inbox.setup();
  await inbox.inbound(channelId, { from: '966501234567', name: 'Ahmed', text: 'Hello' });
  const { email, url } = await inbox.invite(ws.id, { name: 'Sara', role: 1 });
  const context = await inbox.context();
  const page = await context.newPage();

  await page.goto(url);
  assert.equal(await page.getByLabel('Email').count(), 0, 'the invitation names the email: the welcome page does not ask for it');
  await page.getByLabel('New password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Set password' }).click();
  await signedIn(page).waitFor();
  await view(page, 'All').click();
  await conversationItem(page, 'Ahmed').waitFor();
  assert.equal(new URL(page.url()).hash, '', 'the token leaves the address bar');
  const cookie = (await context.cookies()).find((c) => c.name === 'wasl_session');
  assert.ok(cookie?.httpOnly, 'signed in with the HttpOnly cookie');

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  assert.equal((await context.cookies()).find((c) => c.name === 'wasl_session'), undefined, 'the cookie is gone');
  assert.equal((await inbox.call('GET', '/v1/auth/me', undefined, cookie.value)).status, 401, 'that sign-in ended on the server');

  await signInThroughUi(page, inbox.origin, email, PASSWORD);
  await page.reload();
  await signedIn(page).waitFor();
  await view(page, 'All').click();
  await conversationItem(page, 'Ahmed').waitFor();
  await context.close();
});

test('a wrong password: the form says so and stays; the link used twice: the welcome page says it is used', { skip: NO_CHROMIUM }, async () => {
  const { ws } = await inbox.setup();
  const { email, url } = await inbox.invite(ws.id);
  const context = await inbox.context();
  const page = await context.newPage();
  await page.goto(url);
  await page.getByLabel('New password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Set password' }).click();
  await signedIn(page).waitFor();
  await page.getByRole('button', { name: 'Sign out' }).click();

  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('not the passphrase at all');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').waitFor();
  assert.equal(await signedIn(page).count(), 0, 'still signed out');

  await page.goto(url);
  await page.getByRole('alert').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Set password' }).count(), 0, 'a used link offers no form');
  await context.close();
});
