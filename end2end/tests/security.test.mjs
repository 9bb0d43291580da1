// The trust layer in a real browser: password reset by email (through a
// loopback SMTP sink), sessions with revoke and sign out everywhere,
// clinic switching. New pages are checked with axe, and no page may trip
// the CSP. (MFA, settings, patients, audit viewer and idle-warning tests
// are not here yet: see the branch report.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, startSmtpSink, launchBrowser, open, hydrated, expectAccessible, fieldError } from './helpers.mjs';

let server;
let sink;
let browser;

before(async () => {
  sink = await startSmtpSink();
  server = await startServer({ env: { AMBULA_SMTP_URL: sink.url, AMBULA_MAIL_FROM: 'Ambula <no-reply@ambula.example>' } });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await sink?.stop();
});

/** A browser context that collects Content-Security-Policy violations across navigations. */
async function session(options = {}) {
  const context = await browser.newContext(options);
  const violations = [];
  await context.exposeFunction('reportCspViolation', (v) => violations.push(v));
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.reportCspViolation(`${e.violatedDirective} blocked ${e.blockedURI} at ${location.pathname}`);
    });
  });
  const page = await context.newPage();
  return {
    context,
    page,
    async close() {
      assert.deepEqual(violations, [], 'no Content-Security-Policy violations');
      await context.close();
    },
  };
}

// ---- Accounts ----

async function signUp(page, { clinic, name = 'Ana Costa', email, password }) {
  await open(page, `${server.url}/sign-up`);
  await page.getByLabel('Clinic name').fill(clinic);
  await page.getByLabel('Time zone').selectOption('Europe/Lisbon');
  await page.getByLabel('Your name').fill(name);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByLabel('I confirm that I am 18 or older.').check();
  await page.getByRole('button', { name: 'Create clinic account' }).click();
  await page.waitForURL(`${server.url}/app`);
  await hydrated(page);
}

/** Enters email and password; returns the path the server sent us to. */
async function passwordStep(page, { email, password }) {
  await open(page, `${server.url}/sign-in`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.pathname !== '/sign-in');
  await hydrated(page);
  return new URL(page.url()).pathname;
}

async function signOut(page) {
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await page.waitForURL(`${server.url}/sign-in`);
}

/** Invites `email` as `role` from the settings page; returns the invitation link. */
async function invite(page, email, role) {
  await open(page, `${server.url}/app/settings`);
  const staff = page.locator('section', { has: page.getByRole('heading', { name: 'Staff', exact: true }) });
  await staff.getByLabel('Email').fill(email);
  await staff.getByLabel('Role', { exact: true }).selectOption(role);
  await staff.getByRole('button', { name: 'Send invitation' }).click();
  const box = page.getByLabel('Invitation link');
  await box.waitFor();
  return (await box.inputValue()).replace(/^https?:\/\/[^/]+/, server.url);
}

// ---- Tests ----

test('password reset through the emailed link; unknown emails get the same answer and no mail', async () => {
  const s = await session();
  const { page } = s;
  const user = { email: 'rui@ferry.example', password: 'ferry crossing at noon' };
  await signUp(page, { clinic: 'Ferry Clinic', ...user });
  await signOut(page);

  await hydrated(page);
  await page.getByRole('link', { name: 'Forgot your password?' }).click();
  await page.getByRole('heading', { name: 'Reset your password' }).waitFor();
  await open(page, `${server.url}/forgot-password`);
  await expectAccessible(page, '/forgot-password');
  const answer = /If an Ambula account uses that email/;
  await page.getByLabel('Email').fill('nobody@ferry.example');
  await page.getByRole('button', { name: 'Send reset link' }).click();
  await page.getByText(answer).waitFor();

  await open(page, `${server.url}/forgot-password`);
  await page.getByLabel('Email').fill(user.email);
  await page.getByRole('button', { name: 'Send reset link' }).click();
  await page.getByText(answer).waitFor();
  const mail = await sink.waitFor(user.email, /reset-password/);
  assert.equal(sink.messages.filter((m) => m.to.some((t) => t.includes('nobody@ferry.example'))).length, 0);
  const link = /https?:\/\/\S+\/reset-password\/[A-Za-z0-9_-]+/.exec(mail.text)[0];

  await open(page, link);
  await expectAccessible(page, '/reset-password/:token');
  await page.getByLabel('New password').fill('short');
  await page.getByRole('button', { name: 'Change password' }).click();
  await fieldError(page, 'password').getByText('at least 12 characters').waitFor();
  await page.getByLabel('New password').fill('a brand new ferry song');
  await page.getByRole('button', { name: 'Change password' }).click();
  await page.getByText('Your password has been changed').waitFor();

  // The link works once.
  await open(page, link);
  await page.getByLabel('New password').fill('yet another ferry song');
  await page.getByRole('button', { name: 'Change password' }).click();
  await fieldError(page, 'password').waitFor();

  assert.equal(await passwordStep(page, { email: user.email, password: 'a brand new ferry song' }), '/app');
  await s.close();
});

test('sessions: the list shows this device, another can be revoked, sign out everywhere', async () => {
  const user = { email: 'lea@harbour-two.example', password: 'seagulls over the pier' };
  const laptop = await session();
  await signUp(laptop.page, { clinic: 'Harbour Two', ...user });
  const phone = await session({ userAgent: 'Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36' });
  assert.equal(await passwordStep(phone.page, user), '/app');

  await open(laptop.page, `${server.url}/app/account`);
  const table = laptop.page.getByRole('table', { name: 'Your active sessions' });
  await table.getByText('Chrome on Android').waitFor();
  assert.equal(await table.locator('tbody tr').count(), 2);
  await table.getByRole('row', { name: /This device/ }).waitFor();
  await table.getByRole('button', { name: /Sign out Chrome on Android/ }).click();
  await table.getByText('Chrome on Android').waitFor({ state: 'detached' });
  await phone.page.goto(`${server.url}/app`);
  assert.equal(new URL(phone.page.url()).pathname, '/sign-in');

  await laptop.page.getByRole('button', { name: 'Sign out everywhere' }).click();
  await laptop.page.waitForURL(`${server.url}/sign-in`);
  await laptop.page.goto(`${server.url}/app`);
  assert.equal(new URL(laptop.page.url()).pathname, '/sign-in');
  await phone.close();
  await laptop.close();
});

test('a person in two clinics switches between them', async () => {
  const user = { email: 'ines@two-clinics.example', password: 'two clinics one person' };
  const ines = await session();
  await signUp(ines.page, { clinic: 'North Clinic', name: 'Inês Luz', ...user });
  const other = await session();
  await signUp(other.page, { clinic: 'South Clinic', name: 'Sara Sul', email: 'sara@south.example', password: 'southern breeze today' });
  const link = await invite(other.page, user.email, 'nurse');

  // Inês accepts with her existing password.
  await open(ines.page, link);
  await ines.page.getByLabel('Your existing Ambula password').fill(user.password);
  await ines.page.getByRole('button', { name: 'Join clinic' }).click();
  await ines.page.waitForURL(`${server.url}/app`);
  await open(ines.page, `${server.url}/app`);
  const current = async () => (await ines.page.locator('.clinic-name').textContent()).trim();
  const switcher = ines.page.getByLabel('Clinic', { exact: true });
  await switcher.waitFor();
  const before = await current();
  const target = before === 'North Clinic' ? 'South Clinic' : 'North Clinic';
  await switcher.selectOption({ label: target === 'North Clinic' ? 'North Clinic (Owner)' : 'South Clinic (Nurse)' });
  await ines.page.getByRole('button', { name: 'Switch' }).click();
  await ines.page.waitForFunction((name) => document.querySelector('.clinic-name')?.textContent === name, target);
  await hydrated(ines.page);
  await expectAccessible(ines.page, '/app with the clinic switcher');
  await other.close();
  await ines.close();
});

