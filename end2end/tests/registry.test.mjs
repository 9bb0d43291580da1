// The patient registry on the demo clinic: registering a patient who
// looks like an existing one (the warning, then "register anyway"), the
// guardian's fields for a minor, finding a patient by a misspelt name,
// editing the chart's Summary, a CSV import whose check reports a bad row
// at its line before a good import, and a name holding markup shown as
// text. Accessible throughout.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, open, hydrated, expectAccessible, fieldError, signIn } from '../tests/helpers.mjs';

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

const CHART = /\/app\/patients\/[0-9a-f-]{36}$/;
const MARKUP = '<img src=x onerror=window.__pwned=1>';

async function register(page, given, family, dob) {
  await open(page, `${server.url}/app/patients/new`);
  await page.getByLabel('Given name').fill(given);
  await page.getByLabel('Family name').fill(family);
  await page.getByLabel('Date of birth').fill(dob);
}

test('registry: duplicate warning, typo search, summary edit, CSV import, markup as text', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, server.url, 'owner@harbour-clinic.example');

  // The list links to registration and import.
  await open(page, `${server.url}/app/patients`);
  await page.getByRole('link', { name: 'Register a patient' }).waitFor();
  await expectAccessible(page, '/app/patients');

  // Ana Costa, born 1984-03-12, is in the demo clinic: a warning first,
  // nothing saved, then an explicit "register anyway".
  await register(page, 'Ana', 'Costa', '1984-03-12');
  await expectAccessible(page, '/app/patients/new');
  await page.getByRole('button', { name: 'Register patient' }).click();
  const warning = page.getByRole('alert').filter({ hasText: 'This patient may already be registered' });
  await warning.waitFor();
  assert.match(await warning.textContent(), /Costa, Ana/);
  assert.match(await warning.textContent(), /same date of birth and a similar name/);
  assert.match(page.url(), /\/app\/patients\/new$/, 'still on the form');
  await page.getByLabel('None of these is this patient: register a new record anyway').check();
  await page.getByLabel('Phone').first().fill('+351 912 000 111');
  await page.getByRole('button', { name: 'Register patient' }).click();
  await page.waitForURL(CHART);
  await hydrated(page);
  await page.getByRole('heading', { name: 'Costa, Ana' }).waitFor();

  // The Summary tab: edit the city; the new value shows.
  await page.getByRole('button', { name: 'Edit details' }).click();
  await page.getByLabel('City').fill('Porto');
  await page.getByRole('button', { name: 'Save details' }).click();
  await page.locator('dl.facts').getByText('Porto').waitFor();
  await expectAccessible(page, 'chart summary');

  // A minor: the guardian's fields appear, and the server insists on them.
  await register(page, 'Tomás', 'Reis', `${new Date().getFullYear() - 8}-02-02`);
  const guardian = page.getByRole('group', { name: 'Parent or guardian' });
  await guardian.waitFor();
  await page.getByRole('button', { name: 'Register patient' }).click();
  await fieldError(page, 'guardian-guardian_name').getByText('under 18').waitFor();
  await guardian.getByLabel('Name').fill('Marta Reis');
  await guardian.getByLabel('Relation').fill('mother');
  await guardian.getByLabel('Email').fill('marta.reis@mail.example');
  await page.getByRole('button', { name: 'Register patient' }).click();
  await page.waitForURL(CHART);
  await hydrated(page);
  await page.getByRole('heading', { name: 'Reis, Tomás' }).waitFor();

  // A name holding markup is shown as text and never runs.
  await register(page, MARKUP, 'Okafor', '1990-02-02');
  await page.getByRole('button', { name: 'Register patient' }).click();
  await page.waitForURL(CHART);
  await hydrated(page);
  const heading = page.locator('.chart-header h1');
  await heading.waitFor();
  assert.equal(await heading.textContent(), `Okafor, ${MARKUP}`);
  assert.equal(await page.locator('.chart-header img, .chart-tab img').count(), 0);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);

  // Found by a misspelt name.
  await open(page, `${server.url}/app/patients`);
  await page.getByLabel('Search', { exact: true }).fill('Okafro');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  const row = page.locator('table.patients tbody tr').filter({ hasText: 'Okafor' });
  // The unfiltered list may already show the new patient: wait for the
  // search's answer (one row), not just for a row naming Okafor.
  await page.waitForFunction(() => document.querySelectorAll('table.patients tbody tr').length === 1);
  await row.waitFor();
  assert.match(await row.textContent(), /Okafor, <img src=x onerror=window.__pwned=1>/);
  assert.equal(await page.locator('table.patients img').count(), 0);

  // CSV import: the check names the bad row's line; nothing is imported
  // until the file is clean; then all rows are.
  await open(page, `${server.url}/app/patients/import`);
  await expectAccessible(page, '/app/patients/import');
  const bad = 'given_name,family_name,date_of_birth,email\nLena,Varga,1981-04-04,lena@mail.example\nMilo,Brandt,2999-01-01,not-an-email\n';
  await page.getByLabel('CSV text').fill(bad);
  await page.getByRole('button', { name: 'Check the file' }).click();
  const problems = page.getByRole('table', { name: 'Problems by line' });
  await problems.waitFor();
  const cells = await problems.locator('tbody tr').first().locator('td').allTextContents();
  assert.equal(cells[0], '3');
  assert.equal(cells[1], 'date_of_birth');
  await page.getByRole('button', { name: 'Import' }).click();
  await page.getByText('nothing was imported').waitFor();
  const good = 'given_name,family_name,date_of_birth,email\nLena,Varga,1981-04-04,lena@mail.example\n"Milo, Jr",Brandt,1979-01-01,\n';
  await page.getByLabel('CSV text').fill(good);
  await page.getByRole('button', { name: 'Check the file' }).click();
  await page.getByText('2 patient(s) ready to import').waitFor();
  await page.getByRole('button', { name: 'Import' }).click();
  await page.getByText('2 patient(s) imported.').waitFor();
  await open(page, `${server.url}/app/patients`);
  await page.getByLabel('Search', { exact: true }).fill('Varga');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await page.locator('table.patients tbody tr').filter({ hasText: 'Varga, Lena' }).waitFor();
  await context.close();
});
