// The chart's Vitals, Results and Documents tabs on the demo clinic, as the
// nurse: vitals recorded twice draw a trend with both points (the abnormal
// one a triangle) and a table; an impossible pulse is refused at its field;
// a repeated lab test draws a trend; a PNG chosen with the file picker is
// previewed; a ".png" that is really text is refused at the file field.
// A toddler's weight and height are drawn on the WHO growth centiles.
// Accessible throughout.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
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

// A valid 1×1 PNG, so the preview really renders.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

/** `YYYY-MM-DDTHH:MM`, `hours` before now, in the clinic's zone (Europe/Lisbon). */
function hoursAgo(hours) {
  const at = new Date(Date.now() - hours * 3_600_000);
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Europe/Lisbon', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).formatToParts(at);
  const get = (type) => parts.find((p) => p.type === type).value;
  return `${get('year')}-${get('month')}-${get('day')}T${get('hour')}:${get('minute')}`;
}

async function newPatient(page) {
  const response = await page.request.post(`${server.url}/api/patient_create`, {
    form: { given_name: 'Vera', family_name: 'Vitals', date_of_birth: '1975-06-15' },
  });
  assert.equal(response.status(), 200);
  return (await response.json()).id;
}

test('vitals: two readings make a trend with both points and a table; impossible values are refused at the field', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, server.url, 'nurse.lee@harbour-clinic.example');
  const patient = await newPatient(page);
  await open(page, `${server.url}/app/patients/${patient}/vitals`);
  await page.getByRole('heading', { name: 'Vitals', exact: true }).waitFor();
  await page.getByText('No vitals recorded yet.').waitFor();

  // An impossible pulse: the message sits at the field, nothing is stored.
  await page.getByRole('textbox', { name: 'Pulse (beats/min) (optional)' }).fill('900');
  await page.getByRole('button', { name: 'Record vitals' }).click();
  await fieldError(page, 'vitals-pulse').getByText('A pulse of 900 beats/min is not possible').waitFor();
  assert.equal(await page.locator('#field-vitals-pulse').getAttribute('aria-invalid'), 'true');
  await expectAccessible(page, 'vitals with an error');

  // First reading, yesterday, with blood pressure and a temperature in °F.
  await page.getByLabel('Taken at').fill(hoursAgo(24));
  await page.getByLabel('Systolic').fill('120');
  await page.getByLabel('Diastolic').fill('80');
  await page.getByRole('textbox', { name: 'Pulse (beats/min) (optional)' }).fill('72');
  await page.getByLabel(/^Temperature \(optional\)$/).fill('98.6');
  await page.getByLabel('Temperature unit').selectOption('f');
  await page.getByRole('button', { name: 'Record vitals' }).click();
  await page.getByRole('status').getByText('Vitals recorded.').waitFor();
  const pulse = page.locator('#trend-pulse');
  await pulse.locator('svg.trend-chart .point').first().waitFor();
  assert.equal(await pulse.locator('svg.trend-chart .point').count(), 1);

  // Second reading, now: a fast pulse, drawn as a triangle.
  await page.getByLabel('Taken at').fill('');
  await page.getByRole('textbox', { name: 'Pulse (beats/min) (optional)' }).fill('130');
  await page.getByLabel(/^Temperature \(optional\)$/).fill('');
  await page.getByRole('button', { name: 'Record vitals' }).click();
  await page.waitForFunction(() => document.querySelectorAll('#trend-pulse svg.trend-chart .point').length === 2);
  assert.equal(await pulse.locator('svg.trend-chart circle.point').count(), 1, 'the normal value is a circle');
  assert.equal(await pulse.locator('svg.trend-chart path.point.abnormal').count(), 1, 'the high value is a triangle');
  assert.match(await pulse.locator('svg.trend-chart desc').textContent(), /2 values.*latest 130 beats\/min, 1 outside the normal range/);
  await pulse.getByText('Pulse as a table').click();
  const rows = pulse.locator('table tbody tr');
  assert.equal(await rows.count(), 2, 'a table row per point');
  assert.match(await rows.nth(1).textContent(), /130.*outside normal range/);
  // The latest values, with "High" in words.
  const latest = page.getByRole('list', { name: 'Latest vitals' });
  await latest.getByText('High').waitFor();
  // 98.6 °F was stored as 37.0 °C; blood pressure has both lines.
  assert.match(await latest.textContent(), /37\.0/);
  assert.equal(await page.locator('#trend-bp svg.trend-chart .series').count(), 2);
  assert.equal(await page.locator('.growth-charts').count(), 0, 'no growth charts for an adult');
  await expectAccessible(page, '/app/patients/:id/vitals');
  await context.close();
});

test('growth: a toddler\'s weight is drawn on the WHO centiles; a weight far below them is a triangle', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, server.url, 'nurse.lee@harbour-clinic.example');
  // Born about 13 months ago.
  const born = new Date(Date.now() - 396 * 86_400_000).toISOString().slice(0, 10);
  const response = await page.request.post(`${server.url}/api/patient_create`, {
    form: {
      given_name: 'Mia', family_name: 'Growth', date_of_birth: born, sex_at_birth: 'female',
      guardian_name: 'Rosa Growth', guardian_relation: 'Mother', guardian_phone: '+351 910 000 123',
    },
  });
  assert.equal(response.status(), 200, await response.text());
  const patient = (await response.json()).id;
  await open(page, `${server.url}/app/patients/${patient}/vitals`);
  await page.getByRole('heading', { name: 'Vitals', exact: true }).waitFor();

  // 9.1 kg and 75 cm at 13 months: near the middle for a girl.
  await page.getByLabel('Taken at').fill(hoursAgo(2));
  await page.getByLabel(/^Weight \(optional\)$/).fill('9.1');
  await page.getByLabel(/^Height \(optional\)$/).fill('75');
  await page.getByRole('button', { name: 'Record vitals' }).click();
  await page.getByRole('status').getByText('Vitals recorded.').waitFor();
  const weight = page.locator('#growth-weight');
  await weight.locator('svg.trend-chart .point').first().waitFor();
  assert.match(await weight.locator('svg.trend-chart title').first().textContent(), /Weight-for-age \(girls, WHO\) \(kg\)/);
  assert.equal(await weight.locator('svg.trend-chart polyline.centile').count(), 5, 'the 3rd, 15th, 50th, 85th and 97th centiles');
  assert.equal(await weight.locator('svg.trend-chart circle.point').count(), 1);
  await page.locator('#growth-height svg.trend-chart circle.point').waitFor();

  // 6.0 kg now: below the 3rd centile, a triangle, and said in words.
  await page.getByLabel('Taken at').fill('');
  await page.getByLabel(/^Weight \(optional\)$/).fill('6.0');
  await page.getByLabel(/^Height \(optional\)$/).fill('');
  await page.getByRole('button', { name: 'Record vitals' }).click();
  await page.waitForFunction(() => document.querySelectorAll('#growth-weight svg.trend-chart .point').length === 2);
  assert.equal(await weight.locator('svg.trend-chart path.point.abnormal').count(), 1);
  assert.match(await weight.locator('svg.trend-chart desc').textContent(), /2 measurements; latest 6\.0 kg at 1\d? months?, below the 1st centile\. 1 outside/);
  await weight.getByText('Weight-for-age (girls, WHO) as a table').click();
  const rows = weight.locator('table tbody tr');
  assert.equal(await rows.count(), 2);
  assert.match(await rows.nth(0).textContent(), /9\.1.*\d+(st|nd|rd|th) centile/);
  assert.match(await rows.nth(1).textContent(), /6\.0.*outside 3rd–97th/);
  await expectAccessible(page, '/app/patients/:id/vitals (growth)');
  await context.close();
});

test('results: a repeated test draws a trend and an abnormal value is flagged in words', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, server.url, 'nurse.lee@harbour-clinic.example');
  const patient = await newPatient(page);
  await open(page, `${server.url}/app/patients/${patient}/results`);
  await page.getByRole('heading', { name: 'Results', exact: true }).waitFor();
  await page.getByLabel('Test', { exact: true }).fill('Potassium');
  await page.getByLabel('Ordered at').fill(hoursAgo(48));
  await page.getByRole('button', { name: 'Order test' }).click();
  await page.getByRole('heading', { name: 'Enter a result' }).waitFor();
  for (const [value, ago] of [['4.2', 24], ['5.6', 1]]) {
    await page.getByLabel('Analyte').fill('Potassium');
    await page.getByLabel('Value', { exact: true }).fill(value);
    await page.getByLabel(/^Unit/).fill('mmol/L');
    await page.getByLabel(/^Low/).fill('3.5');
    await page.getByLabel(/^High/).fill('5.1');
    await page.getByLabel('Resulted at').fill(hoursAgo(ago));
    await page.getByRole('button', { name: 'Save result' }).click();
    await page.locator('table.results tbody tr', { hasText: value }).waitFor();
  }
  await page.locator('table.results tr', { hasText: '5.6' }).getByText('High (H)').waitFor();
  const trend = page.locator('#trend-result-0');
  await trend.waitFor();
  assert.equal(await trend.locator('svg.trend-chart .point').count(), 2);
  assert.equal(await trend.locator('svg.trend-chart path.point.abnormal').count(), 1);
  await expectAccessible(page, '/app/patients/:id/results');
  await context.close();
});

test('documents: a PNG from the file picker is previewed; a text file named .png is refused at the field', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, server.url, 'nurse.lee@harbour-clinic.example');
  const patient = await newPatient(page);
  await open(page, `${server.url}/app/patients/${patient}/documents`);
  await page.getByRole('heading', { name: 'Documents', exact: true }).waitFor();
  await page.getByText('No documents yet.').waitFor();
  const picker = page.getByLabel('Choose a file');
  assert.equal(await page.locator('#upload-camera').getAttribute('capture'), 'environment', 'tablets open the camera');

  await picker.setInputFiles({ name: 'wound.png', mimeType: 'image/png', buffer: PNG });
  const preview = page.getByRole('img', { name: 'Preview of wound.png' });
  await preview.waitFor();
  await page.waitForFunction(() => document.querySelector('img.preview-image')?.naturalWidth === 1);
  const row = page.locator('table.documents tbody tr', { hasText: 'wound.png' });
  await row.waitFor();
  assert.match(await row.textContent(), /PNG image/);
  assert.match(await row.textContent(), /Hana Lee/);

  // Text dressed up as a PNG: refused by content, at the file field.
  await picker.setInputFiles({ name: 'fake.png', mimeType: 'image/png', buffer: Buffer.from('just text, not a picture') });
  await page.locator('#upload-error').getByText('Upload a PDF, PNG or JPEG file').waitFor();
  assert.equal(await page.locator('#upload-file').getAttribute('aria-invalid'), 'true');
  assert.equal(await page.locator('table.documents tbody tr').count(), 1, 'nothing was stored');
  await expectAccessible(page, '/app/patients/:id/documents');
  await context.close();
});
