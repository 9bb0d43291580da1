// The staff calendar in a real browser against the seeded demo clinic
// (Europe/Lisbon): book by clicking a slot, a double booking refused with
// the clash named at the time field, one-click status, reschedule from the
// keyboard, drag to move, cancel with a reason, a weekly series; axe on the
// page and no Content-Security-Policy violations throughout.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, open, hydrated, expectAccessible, signIn } from './helpers.mjs';

let server;
let browser;
const desk = { email: 'desk@harbour-clinic.example', password: 'harbour-demo-2026' };
const SILVA = 'Dr. João Silva';
const OKAFOR = 'Dr. Ngozi Okafor';

before(async () => {
  server = await startServer({ args: ['--demo'] });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** A weekday at least 8 days ahead in the clinic's zone: past the demo's
 * seeded week, so the day starts empty, and never in the past. */
function futureWeekday(daysAhead = 8) {
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Lisbon' }).format(new Date());
  const d = new Date(`${today}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + daysAhead);
  while (d.getUTCDay() === 0 || d.getUTCDay() === 6) d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

function addDays(date, days) {
  const d = new Date(`${date}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

async function newContext() {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  // Every CSP violation in any page of this context is collected.
  await context.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  return context;
}

async function expectNoCspViolations(page) {
  assert.deepEqual(await page.evaluate(() => window.__csp), [], 'CSP violations');
}

const column = (page, name) => page.locator(`section.cal-col[aria-label="${name}"]`);
const card = (page, name, patient) => column(page, name).locator('.appt', { hasText: patient });
const status = (page) => page.locator('.status[role="status"]');

async function choosePatient(page, query, name) {
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Find patient').fill(query);
  await dialog.getByRole('button', { name: 'Search', exact: true }).click();
  await dialog.getByLabel(new RegExp(name)).check();
}

test('book, refuse a double booking, change status, reschedule, drag, cancel', async () => {
  const context = await newContext();
  const page = await context.newPage();
  await signIn(page, server.url, desk.email);
  const day = futureWeekday();
  await open(page, `${server.url}/app/calendar?date=${day}`);
  await column(page, SILVA).waitFor();
  await expectAccessible(page, '/app/calendar (day)');

  // Create by clicking an empty slot: practitioner, date and time come from it.
  await column(page, SILVA).locator('button.slot[data-time="09:00"]').click();
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('heading', { name: 'New appointment' }).waitFor();
  assert.equal(await dialog.getByLabel('Start time').inputValue(), '09:00');
  await expectAccessible(page, 'booking dialog');
  await choosePatient(page, 'Costa', 'Costa, Ana');
  await dialog.getByLabel('Appointment type').selectOption({ label: 'Consultation (30 min)' });
  await dialog.getByRole('button', { name: 'Book appointment' }).click();
  await status(page).getByText('Appointment booked').waitFor();
  const ana = card(page, SILVA, 'Costa, Ana');
  await ana.getByText('09:00–09:30').waitFor();
  await ana.getByText('Booked').waitFor();

  // The same practitioner at an overlapping time: refused, with the clash
  // named at the time field, and (front desk may override) "book anyway".
  await page.getByRole('button', { name: 'New appointment' }).click();
  await choosePatient(page, 'Almeida', 'Almeida, Bruno');
  await dialog.getByLabel('Appointment type').selectOption({ label: 'Consultation (30 min)' });
  await dialog.getByLabel('Practitioner').selectOption({ label: SILVA });
  await dialog.getByLabel('Start time').fill('09:15');
  await dialog.getByRole('button', { name: 'Book appointment' }).click();
  const timeError = page.locator('#field-book-time-error');
  await timeError.getByText(`${SILVA} already has an appointment from 09:00 to 09:30`).waitFor();
  await dialog.getByLabel(/Book anyway/).waitFor();
  await dialog.getByRole('button', { name: 'Cancel', exact: true }).click();
  await dialog.waitFor({ state: 'detached' });
  assert.equal(await column(page, SILVA).locator('.appt', { hasText: 'Almeida' }).count(), 0);

  // One click from the card: booked → confirmed.
  await ana.click();
  await dialog.getByRole('button', { name: /Confirm/ }).click();
  await status(page).getByText('Status changed to confirmed').waitFor();
  await ana.getByText('Confirmed').waitFor();

  // Reschedule from the keyboard: free times are offered, a time typed.
  await ana.click();
  await dialog.getByRole('button', { name: 'Find free times' }).click();
  await dialog.getByRole('list', { name: 'Free times' }).getByRole('button').first().waitFor();
  const time = dialog.getByLabel('New start time');
  await time.focus();
  await page.keyboard.type('1000');
  assert.equal(await time.inputValue(), '10:00');
  await dialog.getByRole('button', { name: 'Move appointment' }).focus();
  await page.keyboard.press('Enter');
  await status(page).getByText(`Appointment moved to ${day} at 10:00`).waitFor();
  await ana.getByText('10:00–10:30').waitFor();

  // Drag down by 30 minutes (6 px per 5 minutes).
  const box = await ana.boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + 8);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2, box.y + 8 + 36, { steps: 6 });
  await page.mouse.up();
  await status(page).getByText('Appointment moved to 10:30').waitFor();
  await ana.getByText('10:30–11:00').waitFor();

  // Change the length from the keyboard, then resize by the lower edge.
  await ana.click();
  await dialog.getByLabel('Length in minutes').fill('45');
  await dialog.getByRole('button', { name: 'Move appointment' }).click();
  await ana.getByText('10:30–11:15').waitFor();
  const sized = await ana.boundingBox();
  await page.mouse.move(sized.x + sized.width / 2, sized.y + sized.height - 2);
  await page.mouse.down();
  await page.mouse.move(sized.x + sized.width / 2, sized.y + sized.height - 2 + 18, { steps: 6 });
  await page.mouse.up();
  await status(page).getByText('now ends 15 minutes later').waitFor();
  await ana.getByText('10:30–11:30').waitFor();

  // Cancel: a reason is required, at its field; then the card says so.
  await ana.click();
  await dialog.getByRole('button', { name: /Cancel appointment/ }).click();
  await page.locator('#field-cancel-reason-error').getByText('Say why').waitFor();
  await dialog.getByLabel('Reason for cancelling').fill('Patient is travelling');
  await dialog.getByRole('button', { name: /Cancel appointment/ }).click();
  await status(page).getByText('Status changed to cancelled').waitFor();
  await ana.getByText('Cancelled').waitFor();

  await expectAccessible(page, '/app/calendar after changes');
  await expectNoCspViolations(page);
  await context.close();
});

test('a weekly series, the room columns, week and month views', async () => {
  const context = await newContext();
  const page = await context.newPage();
  await signIn(page, server.url, desk.email);
  const day = futureWeekday(9);
  await open(page, `${server.url}/app/calendar?date=${day}`);
  await column(page, OKAFOR).locator('button.slot[data-time="14:00"]').click();
  const dialog = page.getByRole('dialog');
  await choosePatient(page, 'Mendes', 'Mendes, Carla');
  await dialog.getByLabel('Appointment type').selectOption({ label: 'Follow-up (15 min)' });
  await dialog.getByLabel('Repeats').selectOption('weekly');
  await dialog.getByLabel('Number of appointments').fill('3');
  await dialog.getByRole('button', { name: 'Book appointment' }).click();
  await status(page).getByText('Booked a series of 3 appointments').waitFor();
  await card(page, OKAFOR, 'Mendes, Carla').getByText('series').waitFor();

  // No patient chosen: said at the patient field. Then a new patient is
  // registered from the dialog and is the one booked.
  await page.getByRole('button', { name: 'New appointment' }).click();
  await dialog.getByLabel('Appointment type').selectOption({ label: 'Consultation (30 min)' });
  await dialog.getByLabel('Practitioner').selectOption({ label: OKAFOR });
  await dialog.getByLabel('Start time').fill('16:00');
  await dialog.getByRole('button', { name: 'Book appointment' }).click();
  await page.locator('#field-book-patient_id-error').getByText('Choose a patient from the list.').waitFor();
  await dialog.getByText('New patient').click();
  await dialog.getByLabel('Given name').fill('Zed');
  await dialog.getByLabel('Family name').fill('Quickly');
  await dialog.getByLabel('Date of birth').fill('1990-02-02');
  await dialog.getByRole('button', { name: 'Register and choose' }).click();
  await dialog.getByLabel(/Quickly, Zed/).waitFor();
  assert.ok(await dialog.getByLabel(/Quickly, Zed/).isChecked());
  await dialog.getByRole('button', { name: 'Book appointment' }).click();
  await card(page, OKAFOR, 'Quickly, Zed').getByText('16:00–16:30').waitFor();

  // The next week's occurrence, at the same local time.
  await open(page, `${server.url}/app/calendar?date=${addDays(day, 7)}`);
  await card(page, OKAFOR, 'Mendes, Carla').getByText('14:00–14:15').waitFor();

  // Cancel this and the following ones of the series from the second.
  await card(page, OKAFOR, 'Mendes, Carla').click();
  await dialog.getByLabel('Reason for cancelling').fill('Course of treatment ended');
  await dialog.getByLabel('Which appointments of the series').first().selectOption('this_and_following');
  await dialog.getByRole('button', { name: /Cancel appointment/ }).click();
  await status(page).getByText('Status changed to cancelled').waitFor();
  await card(page, OKAFOR, 'Mendes, Carla').getByText('Cancelled').waitFor();
  await open(page, `${server.url}/app/calendar?date=${addDays(day, 14)}`);
  await card(page, OKAFOR, 'Mendes, Carla').getByText('Cancelled').waitFor();
  await open(page, `${server.url}/app/calendar?date=${day}`);
  await card(page, OKAFOR, 'Mendes, Carla').getByText('Booked').waitFor();

  // Columns by room: the demo's rooms.
  await page.getByRole('link', { name: 'Columns by room' }).click();
  await column(page, 'Room 1').waitFor();

  // Week of one practitioner, and the month's counts.
  await open(page, `${server.url}/app/calendar?view=week&date=${day}`);
  await page.getByLabel('Practitioner').selectOption({ label: OKAFOR });
  await page.locator('section.cal-col .appt', { hasText: 'Mendes, Carla' }).waitFor();
  await expectAccessible(page, '/app/calendar (week)');
  await open(page, `${server.url}/app/calendar?view=month&date=${day}`);
  await page.locator('table.month').getByText(/appointments?$/).first().waitFor();
  await expectAccessible(page, '/app/calendar (month)');
  await expectNoCspViolations(page);
  await context.close();
});

test('a booking by one person appears in a colleague\'s open calendar without a reload', async () => {
  // Two people, two browsers: the front desk books, the owner watches.
  const deskContext = await newContext();
  const ownerContext = await newContext();
  const deskPage = await deskContext.newPage();
  const ownerPage = await ownerContext.newPage();
  await signIn(deskPage, server.url, desk.email);
  await signIn(ownerPage, server.url, 'owner@harbour-clinic.example');

  const day = futureWeekday(15);
  await open(ownerPage, `${server.url}/app/calendar?date=${day}`);
  await column(ownerPage, OKAFOR).waitFor();
  // Count full page loads: a live update must not be one.
  await ownerPage.evaluate(() => { window.__sameDocument = true; });

  await open(deskPage, `${server.url}/app/calendar?date=${day}`);
  await column(deskPage, OKAFOR).locator('button.slot[data-time="11:00"]').click();
  await choosePatient(deskPage, 'Costa', 'Costa, Ana');
  const dialog = deskPage.getByRole('dialog');
  await dialog.getByLabel('Appointment type').selectOption({ label: 'Consultation (30 min)' });
  await dialog.getByRole('button', { name: 'Book appointment' }).click();
  await status(deskPage).getByText('Appointment booked').waitFor();

  // Within a couple of seconds (the stream delivers in well under one;
  // the rest is the refetch and render), with no navigation.
  await card(ownerPage, OKAFOR, 'Costa, Ana').getByText('11:00–11:30').waitFor({ timeout: 3000 });
  assert.equal(await ownerPage.evaluate(() => window.__sameDocument), true, 'no reload');

  // A cancellation reaches the colleague too.
  await card(deskPage, OKAFOR, 'Costa, Ana').click();
  const opened = deskPage.getByRole('dialog');
  await opened.getByLabel('Reason for cancelling').fill('Rescheduling by phone');
  await opened.getByRole('button', { name: /Cancel appointment/ }).click();
  await status(deskPage).getByText('Status changed to cancelled').waitFor();
  await card(ownerPage, OKAFOR, 'Costa, Ana').getByText('Cancelled').waitFor({ timeout: 3000 });
  assert.equal(await ownerPage.evaluate(() => window.__sameDocument), true, 'no reload');
  await expectNoCspViolations(ownerPage);
  await deskContext.close();
  await ownerContext.close();
});
