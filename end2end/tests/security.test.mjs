// The trust layer in a real browser: password reset by email (through a
// loopback SMTP sink), sessions with revoke and sign out everywhere,
// clinic switching, the security parts of the settings page. New pages are
// checked with axe, and no page may trip the CSP.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
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

  // Inês, signed in to her own clinic, joins as herself: an existing
  // account never joins through the link and a password alone.
  await open(ines.page, link);
  await ines.page.getByText(`You are signed in as ${user.email}`).waitFor();
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


/** A new person accepts an invitation link in their own browser session. */
async function join(s, link, name, password) {
  await open(s.page, link);
  await s.page.getByLabel('Your name').fill(name);
  await s.page.getByLabel('Choose a password').fill(password);
  await s.page.getByRole('button', { name: 'Join clinic' }).click();
  await s.page.waitForURL(`${server.url}/app`);
  await hydrated(s.page);
}

test('settings as owner: full load finishes, permission matrix, deactivation with confirmation, audit filter and CSV', async () => {
  const owner = await session();
  const { page } = owner;
  await signUp(page, { clinic: 'Lighthouse Clinic', name: 'Olga Faro', email: 'olga@lighthouse.example', password: 'beam across the bay' });
  const link = await invite(page, 'tiago@lighthouse.example', 'nurse');
  const nurse = await session();
  await join(nurse, link, 'Tiago Mar', 'waves on the rocks');

  // A full, non-browser load of the page finishes (SSR does not stall).
  const full = await page.request.get(`${server.url}/app/settings`, { timeout: 15_000 });
  assert.equal(full.status(), 200);
  const html = await full.text();
  assert.match(html, /What each role may do/);
  assert.match(html, /Audit trail/);

  await open(page, `${server.url}/app/settings`);
  await page.getByRole('heading', { name: 'Security', exact: true }).waitFor();
  await page.getByRole('heading', { name: 'Security events' }).waitFor();
  await page.getByRole('heading', { name: 'Audit trail' }).waitFor();
  const matrix = page.locator('table.matrix');
  assert.equal(await matrix.locator('tbody tr').count(), 14);
  for (const cell of await matrix.locator('tbody td').allTextContents()) {
    assert.match(cell, /^(✓Yes|—No)$/);
  }
  await expectAccessible(page, '/app/settings as owner');

  // Deactivate the nurse: a question first, then their session is gone.
  await page.getByRole('button', { name: 'Deactivate' }).click();
  await page.getByText('Deactivate Tiago Mar?').waitFor();
  await page.getByRole('button', { name: 'Yes, deactivate' }).click();
  await page.getByText('Deactivated. Their sessions have ended.').waitFor();
  await page.getByRole('row', { name: /Tiago Mar/ }).getByText('Deactivated', { exact: true }).waitFor();
  await nurse.page.goto(`${server.url}/app`);
  assert.equal(new URL(nurse.page.url()).pathname, '/sign-in');

  // The audit viewer, filtered by action; the export carries the same filter.
  await open(page, `${server.url}/app/settings`);
  await page.getByLabel('Action').selectOption('staff.deactivate');
  await page.getByRole('button', { name: 'Show entries' }).click();
  const audit = page.locator('table.audit');
  await page.waitForFunction(() => {
    const rows = [...document.querySelectorAll('table.audit tbody tr')];
    return rows.length > 0 && rows.every((r) => r.textContent.includes('staff.deactivate'));
  });
  assert.ok((await audit.locator('tbody tr').count()) >= 1);
  const href = await page.getByRole('link', { name: 'Export CSV' }).getAttribute('href');
  assert.match(href, /action=staff\.deactivate/);
  const csv = await page.request.get(new URL(href, server.url).href);
  assert.equal(csv.status(), 200);
  assert.match(csv.headers()['content-type'], /text\/csv/);
  const body = await csv.text();
  assert.match(body, /staff\.deactivate/);
  assert.doesNotMatch(body, /clinic\.create/);
  await expectAccessible(page, '/app/settings audit viewer');
  await nurse.close();
  await owner.close();
});

// ---- Two-step sign-in ----

/** RFC 4648 base32 (no padding; spaces ignored) to bytes. */
function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of text.replace(/[\s=]/g, '').toUpperCase()) {
    const index = alphabet.indexOf(ch);
    if (index < 0) throw new Error(`not base32: ${ch}`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** RFC 6238 TOTP: HMAC-SHA-1, 30-second steps, 6 digits; `offset` in steps. */
function totp(manualKey, offset = 0) {
  const step = Math.floor(Date.now() / 1000 / 30) + offset;
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', base32Decode(manualKey)).update(counter).digest();
  const at = mac[mac.length - 1] & 0x0f;
  const number = (mac.readUInt32BE(at) & 0x7fffffff) % 1_000_000;
  return String(number).padStart(6, '0');
}

/** Sets up two-step sign-in from the shown key; returns the key and the recovery codes. */
async function enrolMfa(page) {
  const key = (await page.locator('#manual-key').textContent()).trim();
  const qr = page.getByRole('img', { name: /QR code/ });
  await qr.waitFor();
  assert.match(await qr.getAttribute('src'), /^data:image\/svg\+xml,/);
  await page.getByLabel('Code from your app').fill(totp(key));
  await page.getByRole('button', { name: 'Turn on two-step sign-in' }).click();
  await page.getByRole('heading', { name: 'Your recovery codes' }).waitFor();
  const codes = (await page.locator('.recovery-codes code').allTextContents()).map((c) => c.trim());
  assert.equal(codes.length, 10);
  return { key, codes };
}

async function codeStep(page, code) {
  await page.getByLabel('Code').fill(code);
  await page.getByRole('button', { name: 'Continue' }).click();
}

test('two-step sign-in: set up from the account page, sign in with a code, then with a recovery code once', async () => {
  const s = await session();
  const { page } = s;
  const user = { email: 'maria@pharos.example', password: 'lantern in the fog' };
  await signUp(page, { clinic: 'Pharos Clinic', name: 'Maria Lume', ...user });
  await open(page, `${server.url}/app/account`);
  await page.getByRole('button', { name: 'Set up two-step sign-in' }).click();
  await page.locator('#manual-key').waitFor();
  await expectAccessible(page, '/app/account MFA set-up');
  const { key, codes } = await enrolMfa(page);
  await expectAccessible(page, '/app/account recovery codes');
  await open(page, `${server.url}/app/account`);
  await page.getByText('On: signing in asks for a code').waitFor();
  await page.locator('.recovery-codes').waitFor({ state: 'detached' });
  await signOut(page);

  // A code from the app (the next step's: the one just used is spent).
  assert.equal(await passwordStep(page, user), '/sign-in/code');
  await expectAccessible(page, '/sign-in/code');
  await codeStep(page, totp(key, 1));
  await page.waitForURL(`${server.url}/app`);
  await hydrated(page);
  await signOut(page);

  // A recovery code works once.
  assert.equal(await passwordStep(page, user), '/sign-in/code');
  await codeStep(page, codes[0]);
  await page.waitForURL(`${server.url}/app`);
  await hydrated(page);
  await signOut(page);
  assert.equal(await passwordStep(page, user), '/sign-in/code');
  await codeStep(page, codes[0]);
  await fieldError(page, 'code').filter({ hasText: /\S/ }).waitFor();
  assert.equal(new URL(page.url()).pathname, '/sign-in/code');
  await s.close();
});

test('a clinic that requires two-step sign-in sends staff without it to set it up', async () => {
  const owner = await session();
  await signUp(owner.page, { clinic: 'Strict Clinic', name: 'Rita Rigor', email: 'rita@strict.example', password: 'rules are rules ok' });
  const link = await invite(owner.page, 'bruno@strict.example', 'front_desk');
  const staff = await session();
  await join(staff, link, 'Bruno Porta', 'front desk all day');
  await signOut(staff.page);

  await open(owner.page, `${server.url}/app/settings`);
  await owner.page.getByLabel('Require two-step sign-in for all staff').check();
  await owner.page.getByRole('button', { name: 'Save security settings' }).click();
  await owner.page.getByText('Security settings saved.').waitFor();

  assert.equal(await passwordStep(staff.page, { email: 'bruno@strict.example', password: 'front desk all day' }), '/sign-in/set-up-mfa');
  await staff.page.locator('#manual-key').waitFor();
  await expectAccessible(staff.page, '/sign-in/set-up-mfa');
  await enrolMfa(staff.page);
  await staff.page.getByRole('link', { name: 'I have saved them, continue' }).click();
  await staff.page.waitForURL(`${server.url}/app`);
  await hydrated(staff.page);
  await staff.page.getByText('Bruno Porta').waitFor();
  await staff.close();
  await owner.close();
});

// ---- Patients: names are text; restricted records and break-glass ----

/** Registers a patient through the server function, as the signed-in user. */
async function registerPatient(page, fields) {
  const res = await page.request.post(`${server.url}/api/patient_create`, {
    form: { date_of_birth: '1980-05-17', phone: '', email: '', ...fields },
    headers: { Origin: server.url },
  });
  assert.equal(res.status(), 200, await res.text());
  return res.json();
}

async function search(page, text) {
  await page.locator('#patient-search').fill(text);
  await page.getByRole('button', { name: 'Search' }).click();
}

test('patient names that look like markup are shown as text and never run', async () => {
  const s = await session();
  const { page } = s;
  await signUp(page, { clinic: 'Markup Clinic', name: 'Xavier Safe', email: 'xavier@markup.example', password: 'angle brackets stay text' });
  const img = '<img src=x onerror=window.__xss=1>';
  const script = '<script>window.__xss=1</script>';
  await registerPatient(page, { given_name: img, family_name: 'Imgson' });
  await registerPatient(page, { given_name: script, family_name: 'Scriptson' });

  await open(page, `${server.url}/app/patients`);
  for (const [family, name] of [['Imgson', img], ['Scriptson', script]]) {
    await search(page, family);
    const cell = page.locator('table.patients td.name', { hasText: name });
    await cell.waitFor();
    assert.equal(await cell.textContent(), `${family}, ${name}`);
    assert.equal(await page.locator('table.patients img, table.patients script').count(), 0);
    assert.equal(await page.evaluate(() => window.__xss), undefined);
  }
  await expectAccessible(page, '/app/patients');
  await s.close();
});

test('a restricted record: hidden until break-glass with a reason, which the audit trail shows', async () => {
  const owner = await session();
  await signUp(owner.page, { clinic: 'Glass Clinic', name: 'Vera Vidro', email: 'vera@glass.example', password: 'handle with care now' });
  const patient = await registerPatient(owner.page, { given_name: 'Helena', family_name: 'Reservada', restricted: 'on' });
  const link = await invite(owner.page, 'duarte@glass.example', 'practitioner');
  const doctor = await session();
  await join(doctor, link, 'Duarte Cura', 'emergency room nights');

  const { page } = doctor;
  await open(page, `${server.url}/app/patients`);
  await search(page, patient.mrn);
  const row = page.getByRole('row', { name: new RegExp(patient.mrn) });
  await row.getByText('Restricted', { exact: true }).waitFor();
  assert.equal(await page.getByText('Reservada').count(), 0);
  await row.getByRole('button', { name: 'Break the glass' }).click();
  await expectAccessible(page, '/app/patients break-glass form');

  // No reason: refused at the field. (The browser's own required check is
  // lifted so the server's answer is what is tested.)
  await page.locator('#field-reason').evaluate((el) => el.removeAttribute('required'));
  await page.getByRole('button', { name: 'Open the record' }).click();
  await fieldError(page, 'reason').filter({ hasText: /\S/ }).waitFor();
  assert.equal(await page.getByText('Reservada').count(), 0);

  await page.getByLabel('Reason').fill('Unconscious in the waiting room, allergies needed');
  await page.getByRole('button', { name: 'Open the record' }).click();
  await page.getByRole('status').getByText(/Emergency access to/).waitFor();
  await page.locator('table.patients td.name', { hasText: 'Reservada' }).waitFor();

  await open(owner.page, `${server.url}/app/settings`);
  await owner.page.getByLabel('Action').selectOption('patient.break_glass');
  await owner.page.getByRole('button', { name: 'Show entries' }).click();
  await owner.page.locator('table.audit tbody tr', { hasText: 'Duarte Cura' }).getByText('Break-glass').waitFor();
  await doctor.close();
  await owner.close();
});

// ---- Idle logoff ----

test('idle logoff: a warning a minute before, "Stay signed in" keeps the session, then sign-in when time is up', async () => {
  const s = await session();
  const { page } = s;
  await signUp(page, { clinic: 'Quiet Clinic', name: 'Ivo Calmo', email: 'ivo@quiet.example', password: 'nothing happens here' });
  // The page's timers and clock are the test's from the first load on.
  await page.clock.install();
  await open(page, `${server.url}/app`);
  const dialog = page.getByRole('alertdialog', { name: 'Are you still there?' });
  assert.equal(await dialog.isVisible(), false);

  await page.clock.fastForward('14:01'); // the default: 15 minutes
  await dialog.waitFor();
  await dialog.getByText(/signed out in \d+ seconds/).waitFor();
  await expectAccessible(page, '/app with the idle warning');
  const kept = page.waitForResponse((r) => r.url().endsWith('/api/keep_alive') && r.status() === 200);
  await dialog.getByRole('button', { name: 'Stay signed in' }).click();
  await kept;
  await dialog.waitFor({ state: 'hidden' });
  assert.equal(new URL(page.url()).pathname, '/app');

  await page.clock.fastForward('14:01');
  await dialog.waitFor();
  await page.clock.fastForward('01:05');
  await page.waitForURL(`${server.url}/sign-in`);
  // The session is gone on the server too: /app now redirects to sign-in.
  // (Asked with the page's cookies but not by navigating the page, which
  // the sign-out's own redirect may still be doing.)
  const after = await page.request.get(`${server.url}/app`, { maxRedirects: 0 });
  assert.equal(after.status(), 303);
  assert.equal(after.headers().location, '/sign-in');
  await s.close();
});

// ---- Small screens ----

test('the account page does not scroll sideways at 320 px', async () => {
  const s = await session({ viewport: { width: 320, height: 640 } });
  const { page } = s;
  await signUp(page, { clinic: 'Narrow Clinic', name: 'Nuno Estreito', email: 'nuno@narrow.example', password: 'a slim phone screen' });
  await open(page, `${server.url}/app/account`);
  await page.getByRole('table', { name: 'Your active sessions' }).waitFor();
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 320, `page is ${width}px wide`);
  await s.close();
});
