// Billing in a real browser against the seeded demo clinic (EUR): invoice a
// completed visit, issue it, take a partial cash payment, download its
// receipt, issue a credit note, and see the aging report and the revenue
// chart change; a price with too many decimals is refused at its field.
// axe on each screen and no Content-Security-Policy violations throughout.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, launchBrowser, open, hydrated, expectAccessible, signIn } from './helpers.mjs';

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

async function newContext() {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
  await context.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  return context;
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

async function reportFigures(page) {
  await open(page, `${server.url}/app/billing/reports`);
  await page.getByTestId('aging-total').waitFor();
  return {
    aging: minor(await page.getByTestId('aging-total').innerText()),
    revenue: minor(await page.getByTestId('revenue-total').innerText()),
    bars: await page.locator('#revenue-period svg g.bar').count(),
    chartText: await page.locator('#revenue-period svg').innerHTML(),
  };
}

test('invoice a visit, part-pay in cash, receipt, credit note, reports change', async () => {
  const context = await newContext();
  const page = await context.newPage();
  await signIn(page, server.url, owner);

  const before = await reportFigures(page);
  await expectAccessible(page, '/app/billing/reports');
  // The revenue chart is an image with a title and a description, and a table.
  const chart = page.locator('#revenue-period svg[role="img"]');
  assert.match(await chart.locator('title').first().textContent(), /Net revenue by period/);
  assert.ok(await page.locator('#revenue-period details table').count() === 1);

  // A completed visit of the demo week, not yet invoiced.
  await open(page, `${server.url}/app/billing`);
  const visits = page.locator('table.visits');
  await visits.waitFor();
  await expectAccessible(page, '/app/billing');
  await visits.getByRole('button', { name: /^Invoice visit of/ }).first().click();
  await page.waitForURL(/\/app\/billing\/invoices\/[0-9a-f-]+$/);
  await hydrated(page);
  await page.getByRole('heading', { name: /Invoice Draft/ }).waitFor();
  // The visit's service is on the line already.
  assert.equal(await page.locator('table.lines tbody tr').count(), 1);
  const total = minor(await page.getByTestId('invoice-total').innerText());
  assert.ok(total > 0);

  await page.getByRole('button', { name: 'Issue invoice' }).click();
  await page.getByRole('heading', { name: /Invoice INV-\d{6}/ }).waitFor();
  const invoiceUrl = page.url();
  await expectAccessible(page, 'invoice page');

  // A partial cash payment: 10.00 of the total.
  await page.getByLabel('Method').selectOption('cash');
  await page.getByLabel(/^Amount \(EUR\)/).fill('10');
  await page.getByRole('button', { name: 'Record payment' }).click();
  const status = page.locator('.status[role="status"]');
  await status.getByText(/Payment of 10\.00 EUR recorded, receipt RCT-\d{6}/).waitFor();
  await page.locator('h1 .badge', { hasText: 'Partially paid' }).waitFor();
  assert.equal(minor(await page.getByTestId('invoice-due').innerText()), total - 1000);

  // The receipt, as a PDF download.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    status.getByRole('link', { name: 'Download receipt PDF' }).click(),
  ]);
  assert.match(download.suggestedFilename(), /^receipt-RCT-\d{6}-\d{4}-\d{2}-\d{2}\.pdf$/);
  const pdf = readFileSync(await download.path());
  assert.equal(pdf.subarray(0, 8).toString(), '%PDF-1.4');
  assert.ok(pdf.toString('latin1').includes('(10.00 EUR) Tj'), 'the amount is on the receipt');
  // And its page.
  const receiptHref = await status.getByRole('link', { name: 'View receipt' }).getAttribute('href');
  assert.match(receiptHref, /^\/app\/billing\/receipts\/[0-9a-f-]+$/);
  await open(page, `${server.url}${receiptHref}`);
  await expectAccessible(page, 'receipt page');
  assert.equal(await page.getByTestId('receipt-amount').innerText(), '10.00 EUR');

  // A credit note of 5.00 against the invoice.
  await open(page, invoiceUrl);
  await page.getByLabel('Reason', { exact: true }).fill('Goodwill discount');
  await page.getByLabel(/Credit the whole invoice/).uncheck();
  await page.getByLabel('What is credited').fill('Goodwill');
  await page.getByLabel('Amount', { exact: true }).fill('5');
  await page.getByRole('button', { name: 'Issue credit note' }).click();
  await page.getByRole('heading', { name: /Credit note CN-\d{6}/ }).waitFor();
  assert.equal(minor(await page.getByTestId('invoice-total').innerText()), -500);
  await open(page, invoiceUrl);
  assert.equal(minor(await page.getByTestId('invoice-due').innerText()), total - 1000 - 500);

  // The reports moved: more owed (the new invoice less what was paid and
  // credited), more revenue (net of tax, less the credit note).
  const after = await reportFigures(page);
  assert.equal(after.aging - before.aging, total - 1000 - 500, 'aging total grows by what is still due');
  assert.ok(after.revenue > before.revenue, `revenue grows (${before.revenue} → ${after.revenue})`);
  assert.notEqual(after.chartText, before.chartText, 'the revenue chart is redrawn');
  assert.ok(after.bars >= 1);
  await expectNoCspViolations(page);
  await context.close();
});

test('a price with too many decimals is refused at its field', async () => {
  const context = await newContext();
  const page = await context.newPage();
  await signIn(page, server.url, owner);
  await open(page, `${server.url}/app/billing/new`);
  await page.getByLabel('Find patient').fill('Costa');
  await page.getByRole('button', { name: 'Search patients' }).click();
  await page.locator('ul.patient-results button').first().click();
  await page.getByText(/^Chosen: /).waitFor();
  await page.getByLabel('Description, line 1').fill('Dressing');
  await page.getByLabel(/^Unit price \(EUR\), line 1/).fill('12.345');
  await page.getByRole('button', { name: 'Save draft' }).click();
  const error = page.locator('#field-line-0-unit_price-error');
  await error.getByText('EUR takes at most 2 decimals.').waitFor();
  assert.equal(await page.locator('#field-line-0-unit_price').getAttribute('aria-invalid'), 'true');
  // Nothing was saved: still on the form.
  assert.match(page.url(), /\/app\/billing\/new$/);
  await expectAccessible(page, '/app/billing/new with an error');
  await expectNoCspViolations(page);
  await context.close();
});
