// The chart's notes, problems and timeline on the demo clinic: write a note
// from a template and sign it, amend it (the original stays visible), add a
// problem found by searching ICD-10-CM, and see both on the timeline.
// Markup typed into a note is shown as text and never runs. Accessible
// throughout (axe).
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

/** YYYY-MM-DD, `days` from today (UTC; the demo clinic is in Europe/Lisbon). */
function day(days) {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

const MARKUP = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script>';

test('notes: write from a template, sign, amend; problems via ICD-10 search; timeline', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, server.url, 'dr.silva@harbour-clinic.example');
  await open(page, `${server.url}/app/patients`);
  await page.getByRole('link', { name: 'Costa, Ana' }).click();
  await page.getByRole('heading', { name: 'Costa, Ana' }).waitFor();
  const chart = page.url().replace(/\/$/, '');

  // A new encounter from the "First consultation" template.
  await open(page, `${chart}/notes`);
  await page.getByRole('heading', { name: 'Encounters and notes' }).waitFor();
  await page.getByText('No encounters recorded yet.').waitFor();
  await expectAccessible(page, 'notes tab');
  await page.getByText('New encounter', { exact: true }).click();
  // A date in the future is refused at its field.
  await page.getByLabel('Date', { exact: true }).fill(day(3));
  await page.getByLabel('Time', { exact: true }).fill('09:00');
  await page.getByLabel('Template', { exact: true }).selectOption({ label: 'First consultation' });
  await page.getByRole('button', { name: 'Start the note' }).click();
  await fieldError(page, 'encounter-date').getByText('cannot be in the future').waitFor();
  await page.getByLabel('Date', { exact: true }).fill(day(-1));
  await page.getByRole('button', { name: 'Start the note' }).click();
  const encounter = page.getByTestId('encounter');
  await encounter.waitFor();
  await encounter.getByText('Draft', { exact: true }).waitFor();

  // Template fields are checked by kind, then land in their sections.
  await encounter.getByLabel('Heart rate (bpm) (Objective)', { exact: true }).fill('fast');
  await encounter.getByLabel('Presenting complaint (Subjective)', { exact: true }).fill(MARKUP);
  await encounter.getByLabel('Plan', { exact: true }).fill('Ibuprofen 400 mg, review in 1 week');
  await encounter.getByRole('button', { name: 'Save draft' }).click();
  await encounter.getByText('Enter a number for Heart rate (bpm).').waitFor();
  await encounter.getByLabel('Heart rate (bpm) (Objective)', { exact: true }).fill('72');
  await encounter.getByRole('button', { name: 'Save draft' }).click();
  await encounter.getByLabel('Objective', { exact: true }).and(page.locator('textarea')).waitFor();
  await page.waitForFunction(() => [...document.querySelectorAll('textarea')].some((t) => t.value.includes('Heart rate (bpm): 72')));
  await expectAccessible(page, 'draft note');

  // Sign and lock.
  await encounter.getByRole('button', { name: 'Sign and lock' }).click();
  await encounter.getByText(/Signed by Dr\. João Silva on/).waitFor();
  const original = encounter.getByTestId('original-note');
  await original.getByText('Ibuprofen 400 mg, review in 1 week').waitFor();
  await original.getByText('Heart rate (bpm): 72').waitFor();
  assert.equal(await encounter.getByRole('button', { name: 'Save draft' }).count(), 0, 'a signed note has no editor');

  // Markup is shown as text: no element was created from it, nothing ran.
  await original.getByText(`Presenting complaint: ${MARKUP}`).waitFor();
  assert.equal(await original.locator('img, script').count(), 0);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);

  // Amend: a reason is required; the original stays.
  await encounter.getByText('Amend this note').click();
  await encounter.getByLabel('Reason for the amendment').fill('   ');
  await encounter.getByLabel('Amendment', { exact: true }).fill('Review in 2 weeks, not 1.');
  await encounter.getByRole('button', { name: 'Add amendment' }).click();
  await encounter.getByText('Enter the reason for the amendment.').waitFor();
  await encounter.getByLabel('Reason for the amendment').fill('Wrong review interval');
  await encounter.getByRole('button', { name: 'Add amendment' }).click();
  const amendment = encounter.getByTestId('amendment');
  await amendment.getByText('Wrong review interval').waitFor();
  await amendment.getByText('Review in 2 weeks, not 1.').waitFor();
  await original.getByText('Ibuprofen 400 mg, review in 1 week').waitFor();
  await expectAccessible(page, 'signed and amended note');

  // Problems: search ICD-10-CM, pick, add.
  await open(page, `${chart}/problems`);
  await page.getByRole('heading', { name: 'Problem list' }).waitFor();
  await page.getByLabel('Search ICD-10-CM by code or words').fill('type 2 diabetes without');
  const pick = page.getByRole('button', { name: 'E11.9 — Type 2 diabetes mellitus without complications' });
  await pick.click();
  assert.equal(await page.getByLabel('ICD-10-CM code').inputValue(), 'E11.9');
  await page.getByLabel('Onset date (optional)').fill('2019-06-01');
  await page.getByRole('button', { name: 'Add problem' }).click();
  const problem = page.getByTestId('problem').filter({ hasText: 'E11.9' });
  await problem.waitFor();
  await problem.getByRole('cell', { name: 'Type 2 diabetes mellitus without complications', exact: true }).waitFor();
  // A code that is not in the list is refused at the field.
  await page.getByLabel('ICD-10-CM code').fill('E11.999');
  await page.getByRole('button', { name: 'Add problem' }).click();
  await fieldError(page, 'problem-code').getByText('not in the ICD-10-CM list').waitFor();
  await expectAccessible(page, 'problems tab');

  // Timeline: newest first, filterable.
  await open(page, `${chart}/timeline`);
  const items = page.getByTestId('timeline-item');
  await items.first().waitFor();
  const texts = await items.allTextContents();
  // Newest first (upcoming appointments of the demo sit above): the
  // problem, then the amendment, then the signed consultation of yesterday.
  const at = (re) => texts.findIndex((t) => re.test(t));
  const [problemAt, amendedAt, signedAt] = [at(/Problem: E11\.9/), at(/Note amended/), at(/Consultation.*Note signed/)];
  assert.ok(problemAt >= 0 && amendedAt > problemAt && signedAt > amendedAt, texts.join('\n'));
  await expectAccessible(page, 'timeline');
  await page.getByLabel('Show').selectOption('problem');
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="timeline-item"]')].every((li) => li.dataset.kind === 'problem'));
  assert.equal(await items.count(), 1);

  // The printable summary carries the problem and the signed note.
  await open(page, `${chart}/print`);
  await page.getByRole('heading', { name: 'Chart summary — Costa, Ana' }).waitFor();
  await page.getByText('E11.9 Type 2 diabetes mellitus without complications').waitFor();
  await page.getByText('Ibuprofen 400 mg, review in 1 week').waitFor();
  await expectAccessible(page, 'print summary');
  // The same summary as a PDF download.
  const href = await page.getByRole('link', { name: 'Download PDF' }).getAttribute('href');
  const pdf = await page.request.get(`${server.url}${href}`);
  assert.equal(pdf.status(), 200);
  assert.equal(pdf.headers()['content-type'], 'application/pdf');
  assert.match(pdf.headers()['content-disposition'], /^attachment; filename="chart-summary-/);
  assert.ok((await pdf.body()).subarray(0, 8).toString() === '%PDF-1.4');
  await context.close();
});

test('notes: front desk cannot read clinical notes', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, server.url, 'desk@harbour-clinic.example');
  await open(page, `${server.url}/app/patients`);
  await page.getByRole('link', { name: 'Costa, Ana' }).click();
  await page.getByRole('heading', { name: 'Costa, Ana' }).waitFor();
  await open(page, `${page.url().replace(/\/$/, '')}/notes`);
  await page.getByText('Your role does not allow this').first().waitFor();
  await hydrated(page);
  await context.close();
});
