// More billing in a real browser against the seeded demo clinic (EUR):
// insurance (coverage, a claim submitted, accepted and part-paid by the
// payer, the patient's share still due, the clinic's claims list), a
// partial refund shown on the receipt, one payment split across two
// invoices from the account page, a package sold and a session used, a
// draft's lines edited then issued, and a refund larger than the payment
// refused at its field with nothing changed. axe on the new screens and no
// Content-Security-Policy violations throughout.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, launchBrowser, open, hydrated, expectAccessible, signIn, fieldError } from './helpers.mjs';

let server;
let browser;
const owner = 'owner@harbour-clinic.example';

before(async () => {
  server = await startServer({ args: ['--demo'] });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function newPage() {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
  await context.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  const page = await context.newPage();
  await signIn(page, server.url, owner);
  return { context, page };
}

async function expectNoCspViolations(page) {
  assert.deepEqual(await page.evaluate(() => window.__csp), [], 'CSP violations');
}

/** "45.00 EUR" → 4500 (minor units of a two-decimal currency). */
function minor(text) {
  const m = /(-?)(\d+)\.(\d{2}) EUR/.exec(text);
  assert.ok(m, `an amount in ${JSON.stringify(text)}`);
  return (m[1] ? -1 : 1) * (Number(m[2]) * 100 + Number(m[3]));
}

/** The id at the end of the current URL. */
function idOf(url) {
  return url.split('/').pop();
}

/** A draft typed on the new invoice page for the patient found by `surname`; returns its id. */
async function draftInvoice(page, surname, description, price) {
  await open(page, `${server.url}/app/billing/new`);
  await page.getByLabel('Find patient').fill(surname);
  await page.getByRole('button', { name: 'Search patients' }).click();
  await page.locator('ul.patient-results button', { hasText: surname }).first().click();
  await page.getByText(/^Chosen: /).waitFor();
  await page.getByLabel('Description, line 1').fill(description);
  await page.getByLabel(/^Unit price \(EUR\), line 1/).fill(price);
  await page.getByRole('button', { name: 'Save draft' }).click();
  await page.waitForURL(/\/app\/billing\/invoices\/[0-9a-f-]+$/);
  await hydrated(page);
  await page.getByRole('heading', { name: /Invoice Draft/ }).waitFor();
  return idOf(page.url());
}

/** Issues the draft open on `page`; returns its number ("INV-000123"). */
async function issue(page) {
  await page.getByRole('button', { name: 'Issue invoice' }).click();
  const heading = page.getByRole('heading', { name: /Invoice INV-\d{6}/ });
  await heading.waitFor();
  return /INV-\d{6}/.exec(await heading.innerText())[0];
}

async function issuedInvoice(page, surname, description, price) {
  const id = await draftInvoice(page, surname, description, price);
  const label = await issue(page);
  return { id, label, url: `${server.url}/app/billing/invoices/${id}` };
}

/** The patient's account page, from the invoice open on `page`. */
async function accountOf(page) {
  const href = await page.locator('p.lead a').first().getAttribute('href');
  assert.match(href, /^\/app\/billing\/patients\/[0-9a-f-]+$/);
  return `${server.url}${href}`;
}

/** Takes a cash payment on the invoice open on `page`; returns the receipt page's URL. */
async function payCash(page, amount) {
  await page.getByLabel('Method').selectOption('cash');
  await page.getByLabel(/^Amount \(EUR\)/).fill(amount);
  await page.getByRole('button', { name: 'Record payment' }).click();
  const status = page.locator('.status[role="status"]');
  await status.getByText(/Payment of .* recorded, receipt RCT-\d{6}/).waitFor();
  return `${server.url}${await status.getByRole('link', { name: 'View receipt' }).getAttribute('href')}`;
}

test('insurance: coverage, claim submitted, accepted, part-paid; the patient share stays due', async () => {
  const { context, page } = await newPage();
  // A payer, on the fee schedule screen.
  await open(page, `${server.url}/app/billing/settings`);
  await page.locator('#field-payer-name').fill('Saúde Mútua');
  await page.locator('#field-payer-kind').selectOption('insurer');
  await page.getByRole('button', { name: 'Add payer' }).click();
  await page.getByText('Saúde Mútua (insurer)').waitFor();

  const inv = await issuedInvoice(page, 'Popescu', 'Consultation', '60');
  const account = await accountOf(page);

  // The patient's coverage, on their account.
  await open(page, account);
  await page.locator('#field-coverage-payer_id').selectOption({ label: 'Saúde Mútua' });
  await page.locator('#field-coverage-member_id').fill('SM-0077');
  await page.locator('#field-coverage-valid_from').fill('2026-01-01');
  await page.locator('#field-coverage-covered_percent').fill('80');
  await page.getByRole('button', { name: 'Add coverage' }).click();
  await page.locator('ul.coverages li', { hasText: 'member SM-0077' }).waitFor();

  // A claim from the invoice: 80 % of 60.00 is claimed.
  await open(page, inv.url);
  await page.locator('#field-claim-diagnosis_codes').fill('J06.9');
  // Lines typed by hand have no codes: the procedure is given here.
  await page.locator('#field-claim-procedure_codes').fill('99213');
  await page.getByRole('button', { name: 'Create claim' }).click();
  const claim = page.locator('li.claim').first();
  await claim.getByText(/· draft · claimed 48\.00 EUR/).waitFor();
  await claim.getByRole('button', { name: 'Submit claim' }).click();
  await claim.getByText(/· submitted ·/).waitFor();
  await claim.getByRole('button', { name: 'Payer accepted' }).click();
  await claim.getByText(/· accepted ·/).waitFor();
  // The payer pays part of it: 30.00 of the 48.00 claimed.
  await claim.getByLabel('Amount the payer paid').fill('30');
  await claim.getByLabel('Remittance reference (optional)').fill('ERA-77');
  await claim.getByRole('button', { name: 'Post remittance' }).click();
  await claim.getByText(/· paid · claimed 48\.00 EUR · paid 30\.00 EUR/).waitFor();
  await page.locator('h1 .badge', { hasText: 'Partially paid' }).waitFor();
  assert.equal(minor(await page.getByTestId('invoice-paid').innerText()), 3000);
  assert.equal(minor(await page.getByTestId('invoice-due').innerText()), 3000, "the patient's share stays due");
  await expectAccessible(page, 'invoice with a paid claim');

  // The clinic's claims list, filtered by status, links to the invoice.
  await open(page, `${server.url}/app/billing/claims?status=paid`);
  const row = page.locator('table.claims tbody tr', { hasText: inv.label });
  await row.waitFor();
  assert.match(await row.innerText(), /Saúde Mútua · member SM-0077/);
  await expectAccessible(page, '/app/billing/claims');
  await open(page, `${server.url}/app/billing/claims?status=draft`);
  assert.equal(await page.locator('table.claims tbody tr', { hasText: inv.label }).count(), 0);
  await open(page, `${server.url}/app/billing/claims?status=paid`);
  await page.locator('table.claims tbody tr', { hasText: inv.label }).getByRole('link', { name: inv.label }).click();
  await page.waitForURL(inv.url);
  await page.getByRole('heading', { name: new RegExp(`Invoice ${inv.label}`) }).waitFor();
  await expectNoCspViolations(page);
  await context.close();
});

test('a refund of part of a payment shows on the receipt and its PDF', async () => {
  const { context, page } = await newPage();
  const inv = await issuedInvoice(page, 'Mensah', 'Physiotherapy', '50');
  const receipt = await payCash(page, '50');
  await open(page, receipt);
  assert.equal(await page.getByTestId('receipt-amount').innerText(), '50.00 EUR');
  await page.getByLabel('Amount to refund').fill('15');
  await page.getByLabel('Reason').fill('Session shortened');
  await page.getByRole('button', { name: 'Refund' }).click();
  await page.locator('dl.totals dd', { hasText: '15.00 EUR' }).waitFor();
  const refunded = page.locator('dl.totals dt', { hasText: 'Refunded' }).locator('xpath=following-sibling::dd[1]');
  assert.equal(await refunded.innerText(), '15.00 EUR');
  // The receipt PDF says so too.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download receipt PDF' }).click()]);
  const pdf = readFileSync(await download.path()).toString('latin1');
  assert.ok(pdf.includes('(Refunded) Tj') && pdf.includes('(15.00 EUR) Tj'), 'the refund is on the receipt PDF');
  // The refunded money is owed again on the invoice.
  await open(page, inv.url);
  assert.equal(minor(await page.getByTestId('invoice-due').innerText()), 1500);
  await expectNoCspViolations(page);
  await context.close();
});

test('one payment split across two invoices from the account page', async () => {
  const { context, page } = await newPage();
  const first = await issuedInvoice(page, 'Bondar', 'Consultation', '30');
  const second = await issuedInvoice(page, 'Bondar', 'Follow-up', '40');
  await open(page, await accountOf(page));
  await page.locator('#field-account-method').selectOption('card');
  await page.locator('#field-account-amount').fill('50');
  await page.locator(`#field-alloc-${first.id}`).check();
  await page.locator(`#field-alloc-${second.id}`).check();
  await page.locator(`#field-alloc-${first.id}-amount`).fill('30');
  await page.locator(`#field-alloc-${second.id}-amount`).fill('20');
  await page.getByRole('button', { name: 'Record payment' }).click();
  await page.locator('.status[role="status"]').getByText(/Payment of 50\.00 EUR recorded, receipt RCT-\d{6}/).waitFor();
  await expectAccessible(page, 'account page after a split payment');

  await open(page, first.url);
  await page.locator('h1 .badge', { hasText: /^Paid$/ }).waitFor();
  assert.equal(minor(await page.getByTestId('invoice-due').innerText()), 0);
  await open(page, second.url);
  await page.locator('h1 .badge', { hasText: 'Partially paid' }).waitFor();
  assert.equal(minor(await page.getByTestId('invoice-due').innerText()), 2000);
  // The same receipt pays both.
  const receiptHref = await page.locator('table.payments tbody tr a').first().getAttribute('href');
  await open(page, `${server.url}${receiptHref}`);
  const applied = await page.locator('main ul li, ul li').allInnerTexts();
  assert.ok(applied.some((t) => t.includes(`${first.label} · 30.00 EUR`)), `${first.label} on the receipt`);
  assert.ok(applied.some((t) => t.includes(`${second.label} · 20.00 EUR`)), `${second.label} on the receipt`);
  await expectNoCspViolations(page);
  await context.close();
});

test('sell a package and use a session for a visit', async () => {
  const { context, page } = await newPage();
  // A completed visit not yet invoiced: its type and its patient (found by
  // making a draft from it, which is then deleted, freeing the visit again).
  await open(page, `${server.url}/app/billing`);
  const visit = page.locator('table.visits tbody tr').first();
  await visit.waitFor();
  const kind = (await visit.locator('td').nth(3).innerText()).trim();
  await visit.getByRole('button', { name: /^Invoice visit of/ }).click();
  await page.waitForURL(/\/app\/billing\/invoices\/[0-9a-f-]+$/);
  await hydrated(page);
  await page.getByRole('heading', { name: /Invoice Draft/ }).waitFor();
  const account = await accountOf(page);
  await page.getByRole('button', { name: 'Delete draft' }).click();
  await page.waitForURL(`${server.url}/app/billing`);

  // The service that bills that type, and a package of three sessions of it.
  await open(page, `${server.url}/app/billing/settings`);
  await page.locator('#field-service-code').fill('PKG-1');
  await page.locator('#field-service-description').fill(`${kind} session`);
  await page.locator('#field-service-price').fill('50');
  await page.locator('#field-service-appointment_type_id').selectOption({ label: kind });
  await page.getByRole('button', { name: 'Add service' }).click();
  await page.locator('table.services tbody tr', { hasText: 'PKG-1' }).getByText(kind, { exact: true }).waitFor();
  await page.locator('#field-package-service_id option', { hasText: 'PKG-1' }).waitFor({ state: 'attached' });
  await page.locator('#field-package-name').fill('Three sessions');
  await page.locator('#field-package-service_id').selectOption({ label: `PKG-1 · ${kind} session` });
  await page.locator('#field-package-sessions').fill('3');
  await page.locator('#field-package-price').fill('120');
  await page.getByRole('button', { name: 'Add package' }).click();
  await page.getByText('Three sessions: 3 × PKG-1 for 120.00 EUR').waitFor();
  await expectAccessible(page, '/app/billing/settings');

  // Sold from the account page: an issued invoice of its price.
  await open(page, account);
  await page.locator('#field-package-sell').selectOption({ label: 'Three sessions · 3 sessions · 120.00 EUR' });
  await page.getByRole('button', { name: 'Sell package' }).click();
  await page.waitForURL(/\/app\/billing\/invoices\/[0-9a-f-]+$/);
  await hydrated(page);
  await page.getByRole('heading', { name: /Invoice INV-\d{6}/ }).waitFor();
  assert.equal(minor(await page.getByTestId('invoice-total').innerText()), 12000);
  assert.match(await page.locator('table.lines tbody').innerText(), /Three sessions \(3 sessions\)/);

  // A session used for the visit.
  await open(page, account);
  const row = page.locator('table.packages tbody tr', { hasText: 'Three sessions' });
  await row.getByText('0 of 3').waitFor();
  const choice = page.getByLabel('Appointment');
  const options = await choice.locator('option').allInnerTexts();
  assert.ok(options.length >= 1 && options.every((o) => o.includes(kind)), `appointments of ${kind}: ${options}`);
  await page.getByRole('button', { name: 'Use a session' }).click();
  await page.locator('.status[role="status"]', { hasText: 'Three sessions: 1 of 3 sessions used' }).waitFor();
  await row.getByText('1 of 3').waitFor();
  assert.equal((await row.locator('td').nth(2).innerText()).trim(), '2');
  // The appointment used is offered no more.
  const after = await page.getByLabel('Appointment').locator('option').allInnerTexts().catch(() => []);
  assert.ok(!after.includes(options[0]), 'the covered appointment is not offered again');
  await expectAccessible(page, 'account page with a package');
  await expectNoCspViolations(page);
  await context.close();
});

test("a draft's lines are edited, then it is issued", async () => {
  const { context, page } = await newPage();
  await draftInvoice(page, 'Cohen', 'Consultation', '40');
  assert.equal(minor(await page.getByTestId('invoice-total').innerText()), 4000);
  // Change the price, add a line, save.
  await page.locator('#field-line-0-unit_price').fill('55');
  await page.getByRole('button', { name: 'Add a line' }).click();
  await page.locator('#field-line-1-description').fill('Dressing');
  await page.locator('#field-line-1-unit_price').fill('5');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.getByText('Draft saved.').waitFor();
  await page.locator('table.lines tbody tr', { hasText: 'Dressing' }).waitFor();
  assert.equal(minor(await page.getByTestId('invoice-total').innerText()), 6000);
  await expectAccessible(page, 'draft editor');

  // A bad price on line 2: refused at that field, the draft unchanged.
  await page.locator('#field-line-1-unit_price').fill('1.234');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await fieldError(page, 'line-1-unit_price').getByText('EUR takes at most 2 decimals.').waitFor();
  assert.equal(await page.locator('#field-line-1-unit_price').getAttribute('aria-invalid'), 'true');
  assert.equal(minor(await page.getByTestId('invoice-total').innerText()), 6000);

  // Remove line 2 and save: one line again.
  await page.getByRole('button', { name: 'Remove line 2' }).click();
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.locator('table.lines tbody tr', { hasText: 'Dressing' }).waitFor({ state: 'detached' });
  assert.equal(await page.locator('table.lines tbody tr').count(), 1);
  assert.equal(minor(await page.getByTestId('invoice-total').innerText()), 5500);

  // Issued: the saved lines, and no editor any more.
  await issue(page);
  assert.equal(minor(await page.getByTestId('invoice-total').innerText()), 5500);
  assert.equal(await page.getByRole('button', { name: 'Save changes' }).count(), 0);
  await expectNoCspViolations(page);
  await context.close();
});

test('a refund larger than the payment is refused at its field and changes nothing', async () => {
  const { context, page } = await newPage();
  const inv = await issuedInvoice(page, 'Haddad', 'Vaccination', '20');
  const receipt = await payCash(page, '20');
  await open(page, receipt);
  await page.getByLabel('Amount to refund').fill('25');
  await page.getByLabel('Reason').fill('Mistake');
  await page.getByRole('button', { name: 'Refund' }).click();
  await fieldError(page, 'refund-amount').filter({ hasText: /\S/ }).waitFor();
  assert.equal(await page.locator('#field-refund-amount').getAttribute('aria-invalid'), 'true');
  await expectAccessible(page, 'receipt with a refund error');
  // Nothing changed: no refund on the receipt, the invoice still paid.
  await open(page, receipt);
  const refunded = page.locator('dl.totals dt', { hasText: 'Refunded' }).locator('xpath=following-sibling::dd[1]');
  assert.equal(await refunded.innerText(), '0.00 EUR');
  await open(page, inv.url);
  await page.locator('h1 .badge', { hasText: /^Paid$/ }).waitFor();
  assert.equal(minor(await page.getByTestId('invoice-due').innerText()), 0);
  await expectNoCspViolations(page);
  await context.close();
});
