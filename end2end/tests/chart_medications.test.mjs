// The chart's "Allergies & medications" tab on the demo clinic, as a
// practitioner: record an allergy to penicillin, prescribe amoxicillin and
// get the allergy warning at the drug field, acknowledge it with a reason
// and prescribe, see the header's allergy badge, and download the
// prescription as a PDF. Accessible in each state.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, launchBrowser, open, expectAccessible, fieldError, signIn } from '../tests/helpers.mjs';

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

/** A new patient through the API, as the signed-in page's user. */
async function newPatient(page) {
  const response = await page.request.post(`${server.url}/api/patient_create`, {
    form: { given_name: 'Marta', family_name: 'Reis', date_of_birth: '1975-04-09' },
    headers: { Origin: server.url },
  });
  assert.equal(response.status(), 200);
  return (await response.json()).id;
}

test('medications tab: allergy, warning at the drug field, acknowledged prescription, PDF download', async () => {
  const context = await browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  await signIn(page, server.url, 'dr.silva@harbour-clinic.example');
  const id = await newPatient(page);
  await open(page, `${server.url}/app/patients/${id}/medications`);
  await page.getByRole('heading', { name: 'Allergies and intolerances' }).waitFor();
  await page.getByTestId('allergy-badge').getByText('Allergies not recorded').waitFor();
  await expectAccessible(page, 'medications tab, empty');

  // Record an allergy to penicillin.
  const allergy = page.getByRole('form', { name: 'Record an allergy' });
  await allergy.getByLabel('Substance').fill('Penicillin');
  await allergy.getByLabel('Reaction').fill('Hives and wheeze');
  await allergy.getByLabel('Severity').selectOption({ label: 'Severe' });
  await page.getByRole('button', { name: 'Record allergy' }).click();
  await page.getByRole('status').getByText('Allergy to Penicillin recorded.').waitFor();
  await page.getByRole('note', { name: 'Active allergies' }).getByText('Penicillin (Severe)').waitFor();
  await page.getByTestId('allergy-badge').getByText('Penicillin (Severe)').waitFor();

  // Prescribe amoxicillin: the warning comes back at the drug field.
  const rx = page.getByRole('form', { name: 'Prescribe' });
  await rx.getByLabel('Medicine').fill('Amoxicillin');
  await rx.locator('#field-rx-strength').fill('500');
  await rx.getByLabel('Dose', { exact: true }).fill('1');
  await rx.getByLabel('Dose unit').selectOption({ label: 'capsule(s)' });
  await rx.getByLabel('Route').selectOption({ label: 'By mouth' });
  await rx.getByLabel('How often').selectOption({ label: 'Three times a day' });
  await rx.getByLabel('Duration (days)').fill('7');
  await rx.getByLabel('Quantity to dispense').fill('21');
  await rx.getByRole('button', { name: 'Prescribe' }).click();
  const warning = fieldError(page, 'rx-drug');
  await warning.getByText('Allergy warning').waitFor();
  assert.match(await warning.textContent(), /Penicillin \(Severe\).*penicillins/);
  assert.equal(await page.locator('#field-rx-drug').getAttribute('aria-invalid'), 'true');
  assert.equal(await page.getByTestId('medication').count(), 0, 'nothing prescribed yet');
  await expectAccessible(page, 'medications tab, allergy warning');

  // Acknowledge with a reason: prescribed.
  await rx.getByLabel('I have checked the allergy warning').check();
  await rx.getByLabel('Why prescribe it despite the allergy').fill('Tolerated a supervised amoxicillin challenge in 2025.');
  await rx.getByRole('button', { name: 'Prescribe' }).click();
  await page.getByRole('status').getByText('Amoxicillin prescribed.').waitFor();
  const row = page.getByTestId('medication').filter({ hasText: 'Amoxicillin 500 mg' });
  await row.waitFor();
  await row.getByText('Allergy warning acknowledged').waitFor();

  // The prescription downloads as a PDF.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Print prescription for Amoxicillin 500 mg' }).click(),
  ]);
  assert.match(download.suggestedFilename(), /^prescription-.*\.pdf$/);
  const pdf = readFileSync(await download.path());
  assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-');
  assert.match(pdf.toString('latin1'), /\(Amoxicillin 500 mg\) Tj/);
  await expectAccessible(page, 'medications tab, prescribed');
  await context.close();
});

test('a nurse records medications but is not offered prescribing', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, server.url, 'nurse.lee@harbour-clinic.example');
  const id = await newPatient(page);
  await open(page, `${server.url}/app/patients/${id}/medications`);
  await page.getByRole('heading', { name: 'Record a medication the patient takes' }).waitFor();
  assert.equal(await page.getByRole('form', { name: 'Prescribe' }).count(), 0);
  const record = page.getByRole('form', { name: 'Record a medication' });
  await record.getByLabel('Medicine').fill('<b>Ibuprofen</b>');
  await record.getByLabel('Dose', { exact: true }).fill('-1');
  await record.getByLabel('Dose unit').selectOption({ label: 'tablet(s)' });
  await record.getByLabel('Route').selectOption({ label: 'By mouth' });
  await record.getByLabel('How often').selectOption({ label: 'When needed' });
  await record.getByRole('button', { name: 'Record medication' }).click();
  await fieldError(page, 'record-drug').getByText('plain text').waitFor();
  await fieldError(page, 'record-dose').getByText('cannot be negative').waitFor();
  await record.getByLabel('Medicine').fill('Ibuprofen');
  await record.getByLabel('Dose', { exact: true }).fill('1');
  await record.getByRole('button', { name: 'Record medication' }).click();
  await page.getByRole('status').getByText('Ibuprofen recorded.').waitFor();
  await page.getByTestId('medication').filter({ hasText: 'Ibuprofen' }).waitFor();
  await expectAccessible(page, 'medications tab as a nurse');
  await context.close();
});
