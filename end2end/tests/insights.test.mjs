// The scheduling insights page on the demo clinic: charts with text
// alternatives and tables, a date range with field errors, accessible.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, open, expectAccessible, fieldError, signIn } from './helpers.mjs';

let server;
let browser;

before(async () => {
  server = await startServer({ args: ['--demo'] });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('insights: last 30 days by default, a chosen range, errors at the field', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, server.url, 'owner@harbour-clinic.example');
  // The navigation link is there; the page itself is opened directly (a
  // client-side navigation does not reset the hydration marker).
  await page.getByRole('link', { name: 'Insights' }).waitFor();
  await open(page, `${server.url}/app/insights`);

  // Thirty days ending today; the demo week has appointments in it.
  const rows = page.locator('table.per-day-table tbody tr');
  await rows.first().waitFor({ state: 'attached' });
  assert.equal(await rows.count(), 30);
  const chart = page.getByRole('img', { name: 'Appointments per day' });
  await chart.waitFor();
  const description = await page.locator('#per-day-svg-desc').textContent();
  assert.match(description, /the busiest day was \d{4}-\d{2}-\d{2} with [1-9]/);
  // Every bar carries its figures as text.
  assert.equal(await page.locator('svg.per-day g.bar > title').count(), 30);
  // Utilization: one row per demo practitioner, with a percentage.
  const util = page.locator('table.utilization-table tbody tr');
  assert.ok((await util.count()) >= 2);
  assert.match(await util.first().locator('td').last().textContent(), /^\d+ %$|^–$/);
  await expectAccessible(page, '/app/insights');

  // A backwards range is refused at the "To" field; the figures stay.
  await page.locator('#field-insights-from').fill('2026-03-10');
  await page.locator('#field-insights-to').fill('2026-03-01');
  await page.getByRole('button', { name: 'Show' }).click();
  await fieldError(page, 'insights-to').getByText('on or after').waitFor();
  assert.equal(await rows.count(), 30);

  // A chosen week shows seven days.
  await page.locator('#field-insights-to').fill('2026-03-16');
  await page.getByRole('button', { name: 'Show' }).click();
  await page.getByText('2026-03-10 to 2026-03-16').waitFor();
  assert.equal(await rows.count(), 7);
  await context.close();
});

test('the insights answer carries counts, never patients', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, server.url, 'owner@harbour-clinic.example');
  const res = await page.request.post(`${server.url}/api/scheduling_insights`, {
    form: { from: '', to: '' },
    headers: { Origin: server.url },
  });
  assert.equal(res.status(), 200);
  const body = await res.json();
  assert.deepEqual(Object.keys(body).sort(),
    ['cancellation_bp', 'cancelled', 'days', 'from', 'no_show', 'no_show_bp', 'to', 'total', 'utilization']);
  assert.equal(body.days.length, 30);
  assert.deepEqual(Object.keys(body.days[0]).sort(), ['attended', 'cancelled', 'date', 'no_show', 'upcoming']);
  await context.close();
});
