// Accounts in a real browser: sign up, sign out, sign in, invite a staff
// member who joins, edit the clinic profile; axe on every page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, open, hydrated, expectAccessible, fieldError, signIn } from './helpers.mjs';

let server;
let browser;
const owner = { email: 'ana@harbour.example', password: 'tide pools at dawn' };

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function signUp(page, { clinic, email, password }) {
  await open(page, `${server.url}/sign-up`);
  await page.getByLabel('Clinic name').fill(clinic);
  await page.getByLabel('Time zone').selectOption('Europe/Lisbon');
  await page.getByLabel('Your name').fill('Ana Costa');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByLabel('I confirm that I am 18 or older.').check();
  await page.getByRole('button', { name: 'Create clinic account' }).click();
}

test('landing, sign-in and sign-up pages are accessible', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  for (const path of ['/', '/sign-in', '/sign-up']) {
    await open(page, server.url + path);
    await expectAccessible(page, path);
  }
  await context.close();
});

test('the wasm bundle is served compressed', async () => {
  const res = await fetch(`${server.url}/pkg/ambula.wasm`, { headers: { 'accept-encoding': 'gzip' } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-encoding'), 'gzip');
});

test("sign-up preselects the browser's time zone", async () => {
  const context = await browser.newContext({ timezoneId: 'America/New_York' });
  const page = await context.newPage();
  await open(page, `${server.url}/sign-up`);
  assert.equal(await page.getByLabel('Time zone').inputValue(), 'America/New_York');
  await context.close();
});

test('staff pages need a session', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const response = await page.goto(`${server.url}/app/settings`);
  assert.equal(new URL(page.url()).pathname, '/sign-in');
  assert.ok(response.ok());
  await context.close();
});

test('sign up a clinic, sign out, sign in', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();

  // Bad input first: every problem is shown at its field, input is kept.
  await open(page, `${server.url}/sign-up`);
  await page.getByLabel('Clinic name').fill('Harbour Physio');
  await page.getByLabel('Email').fill('not-an-email');
  await page.getByLabel('Password').fill('short');
  await page.getByLabel('Password').blur();
  await page.getByLabel('Email').focus();
  await page.getByLabel('Email').blur();
  await assert.doesNotReject(fieldError(page, 'password').getByText('at least 12 characters').waitFor());
  await assert.doesNotReject(fieldError(page, 'email').getByText('like name@example.com').waitFor());

  await signUp(page, { clinic: 'Harbour Physio', ...owner });
  await page.waitForURL(`${server.url}/app`);
  await hydrated(page);
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  assert.equal(await page.locator('.clinic-name').textContent(), 'Harbour Physio');
  await expectAccessible(page, '/app');

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(`${server.url}/sign-in`);
  // The old session is gone: staff pages send us back to sign-in.
  await page.goto(`${server.url}/app`);
  assert.equal(new URL(page.url()).pathname, '/sign-in');

  await hydrated(page);
  await page.getByLabel('Email').fill(owner.email);
  await page.getByLabel('Password').fill('wrong password here');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await fieldError(page, 'password').getByText('not right').waitFor();
  assert.equal(await page.getByLabel('Email').inputValue(), owner.email, 'input kept after an error');

  await page.getByLabel('Password').fill(owner.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${server.url}/app`);
  await context.close();
});

test('a second sign-up with the same email is refused at the email field', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signUp(page, { clinic: 'Copycat Clinic', ...owner });
  await fieldError(page, 'email').getByText('already exists').waitFor();
  assert.equal(new URL(page.url()).pathname, '/sign-up');
  await context.close();
});

test('invite a staff member, who joins with the emailed link', async () => {
  const ownerContext = await browser.newContext();
  const page = await ownerContext.newPage();
  await signIn(page, server.url, owner.email, owner.password);
  await page.getByRole('link', { name: 'Settings', exact: true }).click();
  await page.getByRole('heading', { name: 'Staff', exact: true }).waitFor();
  await expectAccessible(page, '/app/settings');

  const staffSection = page.locator('section', { has: page.getByRole('heading', { name: 'Staff', exact: true }) });
  await staffSection.getByLabel('Email').fill('joao@harbour.example');
  await staffSection.getByLabel('Role').selectOption('practitioner');
  await staffSection.getByRole('button', { name: 'Send invitation' }).click();
  const linkBox = page.getByLabel('Invitation link');
  await linkBox.waitFor();
  const link = await linkBox.inputValue();
  assert.match(link, /\/invite\/[A-Za-z0-9_-]{43}$/);
  await page.getByText('joao@harbour.example · Practitioner').waitFor();

  // The invited person, in their own browser.
  const staffContext = await browser.newContext();
  const staffPage = await staffContext.newPage();
  await open(staffPage, link.replace('http://127.0.0.1:3000', server.url));
  await staffPage.getByText('You are invited to join').waitFor();
  await expectAccessible(staffPage, '/invite/:token');
  await staffPage.getByLabel('Your name').fill('João Silva');
  await staffPage.getByLabel('Choose a password').fill('stethoscope on a hook');
  await staffPage.getByRole('button', { name: 'Join clinic' }).click();
  await staffPage.waitForURL(`${server.url}/app`);
  await hydrated(staffPage);
  await staffPage.getByText('Practitioner', { exact: true }).waitFor();

  // The link works once.
  const again = await staffContext.newPage();
  await open(again, link.replace('http://127.0.0.1:3000', server.url));
  await again.getByText(/expired or was already used/).waitFor();

  // A practitioner sees the profile but cannot edit it.
  await open(staffPage, `${server.url}/app/settings`);
  await staffPage.getByText('Only owners and administrators can change the clinic profile.').waitFor();
  await staffContext.close();
  await ownerContext.close();
});

test('edit the clinic profile, with a field error first', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, server.url, owner.email, owner.password);
  await open(page, `${server.url}/app/settings`);
  const profile = page.locator('section', { has: page.getByRole('heading', { name: 'Clinic profile' }) });

  await profile.getByLabel('Phone').fill('call me maybe');
  await profile.getByRole('button', { name: 'Save profile' }).click();
  await fieldError(page, 'phone').getByText('phone number').waitFor();

  await profile.getByLabel('Clinic name').fill('Harbour Physio & Rehab');
  await profile.getByLabel('Phone').fill('+351 21 123 4567');
  await profile.getByLabel('Time zone').selectOption('Europe/London');
  await profile.getByLabel('Address').fill('1 Quay Street\nLisbon');
  await profile.getByRole('button', { name: 'Save profile' }).click();
  await page.getByText('Profile saved.').waitFor();

  await open(page, `${server.url}/app/settings`);
  assert.equal(await profile.getByLabel('Clinic name').inputValue(), 'Harbour Physio & Rehab');
  assert.equal(await profile.getByLabel('Phone').inputValue(), '+351 21 123 4567');
  assert.equal(await profile.getByLabel('Time zone').inputValue(), 'Europe/London');
  await context.close();
});

test('keyboard only: focus order, Enter submits, skip link', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await open(page, `${server.url}/sign-in`);
  const focused = () => page.evaluate(() => document.activeElement?.id || document.activeElement?.textContent?.trim());
  await page.keyboard.press('Tab');
  assert.equal(await focused(), 'field-email');
  await page.keyboard.type(owner.email);
  await page.keyboard.press('Tab');
  assert.equal(await focused(), 'field-password');
  await page.keyboard.type(owner.password);
  await page.keyboard.press('Tab');
  assert.equal(await focused(), 'Sign in');
  await page.keyboard.press('Enter');
  await page.waitForURL(`${server.url}/app`);
  await hydrated(page);
  // On a freshly loaded staff page, the first Tab offers to skip the navigation.
  await open(page, `${server.url}/app`);
  await page.keyboard.press('Tab');
  assert.equal(await focused(), 'Skip to content');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => location.hash), '#main');
  await context.close();
});

test('pages reflow at phone width and keep 404s as 404s', async () => {
  const context = await browser.newContext({ viewport: { width: 320, height: 640 } });
  const page = await context.newPage();
  await signIn(page, server.url, owner.email, owner.password);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
  assert.equal(overflow, false, 'no horizontal scrolling at 320px');
  const response = await page.goto(`${server.url}/no-such-page`);
  assert.equal(response.status(), 404);
  await page.getByRole('heading', { name: 'Page not found' }).waitFor();
  await context.close();
});
