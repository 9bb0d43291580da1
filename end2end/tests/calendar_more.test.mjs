// The rest of the calendar in a real browser against the seeded demo
// clinic (Europe/Lisbon): the waitlist screen (add someone, book them into
// a slot freed by a cancellation, book from the free times found), dragging
// an appointment to another practitioner's column and the dialog that does
// the same without a pointer, the week as a time grid, and a patient's
// reminder choices on the chart; axe on each new screen and no
// Content-Security-Policy violations.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, open, expectAccessible, signIn } from './helpers.mjs';

let server;
let browser;
const desk = 'desk@harbour-clinic.example';
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

/** A weekday `daysAhead` or more days ahead in the clinic's zone: past the
 * demo's seeded week, so the day starts empty. With `beforeFriday`, Monday
 * to Thursday (the next day is a working day too). */
function futureWeekday(daysAhead, beforeFriday = false) {
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Lisbon' }).format(new Date());
  const d = new Date(`${today}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + daysAhead);
  const off = beforeFriday ? [0, 5, 6] : [0, 6];
  while (off.includes(d.getUTCDay())) d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

function addDays(date, days) {
  const d = new Date(`${date}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

async function newContext() {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
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

/** Books `patient` by clicking `practitioner`'s slot at `time` on the open day. */
async function bookBySlot(page, practitioner, time, query, patient, type = 'Consultation (30 min)') {
  await column(page, practitioner).locator(`button.slot[data-time="${time}"]`).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Find patient').fill(query);
  await dialog.getByRole('button', { name: 'Search', exact: true }).click();
  await dialog.getByLabel(new RegExp(patient)).check();
  await dialog.getByLabel('Appointment type').selectOption({ label: type });
  await dialog.getByRole('button', { name: 'Book appointment' }).click();
  await status(page).getByText('Appointment booked').waitFor();
  await card(page, practitioner, patient).waitFor();
}

/** Drags a card by the pointer to the point (x, y). */
async function drag(page, locator, x, y) {
  const box = await locator.boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + 8);
  await page.mouse.down();
  await page.mouse.move(x, y, { steps: 10 });
  await page.mouse.up();
}

test('waitlist: add a patient, book them into a slot freed by a cancellation, book from free times', async () => {
  const context = await newContext();
  const page = await context.newPage();
  await signIn(page, server.url, desk);
  const day = futureWeekday(8);
  await open(page, `${server.url}/app/calendar?date=${day}`);
  await bookBySlot(page, SILVA, '09:00', 'Costa', 'Costa, Ana');

  // The calendar links to the waitlist.
  await page.getByRole('link', { name: 'Waitlist' }).click();
  await page.getByRole('heading', { name: 'Waitlist', level: 1 }).waitFor();
  await page.waitForFunction(() => document.body?.dataset.hydrated === '/app/calendar/waitlist');
  await expectAccessible(page, '/app/calendar/waitlist');

  // No patient chosen: said at the patient field, nothing added.
  const form = page.locator('section', { has: page.getByRole('heading', { name: 'Add to the waitlist' }) });
  await form.getByLabel('Appointment type').selectOption({ label: 'Consultation (30 min)' });
  await form.getByLabel('Earliest date').fill(day);
  await form.getByLabel('Latest date').fill(addDays(day, 3));
  await form.getByRole('button', { name: 'Add to waitlist' }).click();
  await page.locator('#field-wait-patient_id-error').getByText('Choose a patient from the list.').waitFor();
  // A last date before the first: at that field.
  await form.getByLabel('Find patient').fill('Mendes');
  await form.getByRole('button', { name: 'Search', exact: true }).click();
  await form.getByLabel(/Mendes, Carla/).check();
  await form.getByLabel('Latest date').fill(addDays(day, -1));
  await form.getByRole('button', { name: 'Add to waitlist' }).click();
  await page.locator('#field-wait-latest-error').getByText('The last date is before the first.').waitFor();
  // Now right, with markup in the note (shown as text, never run).
  await form.getByLabel('Latest date').fill(addDays(day, 3));
  await form.getByLabel(/Preferred times/).fill('Mornings only <b>please</b>');
  await form.getByRole('button', { name: 'Add to waitlist' }).click();
  await status(page).getByText('Mendes, Carla is on the waitlist for Consultation.').waitFor();
  const waiting = page.locator('.waitlist-entries > li', { hasText: 'Mendes, Carla' });
  await waiting.getByText('Mornings only <b>please</b>').waitFor();
  assert.equal(await waiting.locator('b').count(), 0, 'markup in a note is text');
  await expectAccessible(page, '/app/calendar/waitlist with an entry');

  // Ana cancels: the calendar says who is waiting for such a slot.
  await open(page, `${server.url}/app/calendar?date=${day}`);
  await card(page, SILVA, 'Costa, Ana').click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Reason for cancelling').fill('Patient is travelling');
  await dialog.getByRole('button', { name: /Cancel appointment/ }).click();
  await status(page).getByText('Waiting for a slot like this: Mendes, Carla · Consultation').waitFor();

  // The freed slot is offered on the waitlist; one click books it.
  await page.getByRole('link', { name: 'Waitlist' }).click();
  const freed = page.locator('.freed-slot', { hasText: `09:00–09:30 · Consultation · ${SILVA}` });
  await freed.waitFor();
  await freed.getByRole('button', { name: 'Book Mendes, Carla into this slot' }).click();
  await status(page).getByText(`Booked Mendes, Carla on ${day} at 09:00 with ${SILVA}, and taken off the waitlist.`).waitFor();
  await freed.waitFor({ state: 'detached' });
  assert.equal(await page.locator('.waitlist-entries > li', { hasText: 'Mendes, Carla' }).count(), 0);
  await open(page, `${server.url}/app/calendar?date=${day}`);
  await card(page, SILVA, 'Mendes, Carla').getByText('09:00–09:30').waitFor();

  // The demo's waiting patient: free times found for the entry, one booked.
  await open(page, `${server.url}/app/calendar/waitlist`);
  const filipe = page.locator('.waitlist-entries > li', { hasText: 'Santos, Filipe' });
  await filipe.getByRole('button', { name: 'Find free times' }).click();
  const times = filipe.getByRole('list', { name: 'Free times' });
  await times.getByRole('button').first().waitFor();
  await expectAccessible(page, '/app/calendar/waitlist with free times');
  await times.getByRole('button').first().click();
  await status(page).getByText(/Booked Santos, Filipe on .* and taken off the waitlist\./).waitFor();
  await filipe.waitFor({ state: 'detached' });
  await expectNoCspViolations(page);
  await context.close();
});

test('drag an appointment to another practitioner\'s column; the dialog does the same without a pointer', async () => {
  const context = await newContext();
  const page = await context.newPage();
  await signIn(page, server.url, desk);
  const day = futureWeekday(10);
  await open(page, `${server.url}/app/calendar?date=${day}`);
  await bookBySlot(page, SILVA, '10:00', 'Costa', 'Costa, Ana');
  await bookBySlot(page, OKAFOR, '11:00', 'Almeida', 'Almeida, Bruno');

  // Across to Dr. Okafor at the same height: same time, his column.
  const target = await column(page, OKAFOR).locator('button.slot[data-time="10:00"]').boundingBox();
  const ana = await card(page, SILVA, 'Costa, Ana').boundingBox();
  await drag(page, card(page, SILVA, 'Costa, Ana'), target.x + target.width / 2, ana.y + 8);
  await status(page).getByText(`Appointment moved to 10:00, ${OKAFOR}.`).waitFor();
  await card(page, OKAFOR, 'Costa, Ana').getByText('10:00–10:30').waitFor();
  // Still there after a reload.
  await open(page, `${server.url}/app/calendar?date=${day}`);
  await card(page, OKAFOR, 'Costa, Ana').getByText('10:00–10:30').waitFor();
  assert.equal(await card(page, SILVA, 'Costa, Ana').count(), 0);

  // Without a pointer: the dialog moves it back to Dr. Silva, into Room 2,
  // at 11:00.
  await card(page, OKAFOR, 'Costa, Ana').click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Move to practitioner').selectOption({ label: SILVA });
  await dialog.getByLabel('Move to room').selectOption({ label: 'Room 2' });
  await dialog.getByLabel('New start time').fill('11:00');
  await expectAccessible(page, 'appointment dialog with practitioner and room');
  await dialog.getByRole('button', { name: 'Move appointment' }).focus();
  await page.keyboard.press('Enter');
  await status(page).getByText(`Appointment moved to ${day} at 11:00 with ${SILVA}.`).waitFor();
  await card(page, SILVA, 'Costa, Ana').getByText('11:00–11:30').waitFor();
  await card(page, SILVA, 'Costa, Ana').getByText('Room 2').waitFor();
  await open(page, `${server.url}/app/calendar?date=${day}&by=room`);
  await card(page, 'Room 2', 'Costa, Ana').waitFor();

  // Onto Dr. Okafor at 11:00, where he has Bruno: refused with the clash
  // named, and nothing moves.
  await open(page, `${server.url}/app/calendar?date=${day}`);
  const busy = await card(page, OKAFOR, 'Almeida, Bruno').boundingBox();
  const from = await card(page, SILVA, 'Costa, Ana').boundingBox();
  await drag(page, card(page, SILVA, 'Costa, Ana'), busy.x + busy.width / 2, from.y + 8);
  await status(page).getByText(`Not moved: ${OKAFOR} already has an appointment from 11:00 to 11:30`).waitFor();
  await card(page, SILVA, 'Costa, Ana').getByText('11:00–11:30').waitFor();
  assert.equal(await card(page, OKAFOR, 'Costa, Ana').count(), 0);

  // By room: dragged from Room 2 to Room 1.
  await open(page, `${server.url}/app/calendar?date=${day}&by=room`);
  const room1 = await column(page, 'Room 1').locator('button.slot[data-time="11:00"]').boundingBox();
  const inRoom2 = await card(page, 'Room 2', 'Costa, Ana').boundingBox();
  await drag(page, card(page, 'Room 2', 'Costa, Ana'), room1.x + room1.width / 2, inRoom2.y + 8);
  await status(page).getByText('Appointment moved to 11:00, Room 1.').waitFor();
  await card(page, 'Room 1', 'Costa, Ana').waitFor();
  await expectAccessible(page, '/app/calendar by room after moves');
  await expectNoCspViolations(page);
  await context.close();
});

test('the week is a time grid: appointments at their times, a table of the same, drag to another day', async () => {
  const context = await newContext();
  const page = await context.newPage();
  await signIn(page, server.url, desk);
  const day = futureWeekday(12, true);
  await open(page, `${server.url}/app/calendar?date=${day}`);
  await bookBySlot(page, OKAFOR, '14:00', 'Popescu', 'Popescu, Elena', 'Follow-up (15 min)');

  await open(page, `${server.url}/app/calendar?view=week&date=${day}`);
  await page.getByLabel('Practitioner').selectOption({ label: OKAFOR });
  const dayColumn = page.locator(`section.cal-col[data-column="d:${day}"]`);
  const elena = dayColumn.locator('.appt', { hasText: 'Popescu, Elena' });
  await elena.getByText('14:00–14:15').waitFor();
  // Positioned by time: its top is the 14:00 row's top, as in the day view.
  const slot = await dayColumn.locator('button.slot[data-time="14:00"]').boundingBox();
  const box = await elena.boundingBox();
  assert.ok(Math.abs(box.y - slot.y) <= 2, `card at ${box.y}, 14:00 row at ${slot.y}`);
  assert.equal(await page.locator('section.cal-col').count(), 7);
  // Working hours are shaded: 13:00 (lunch) is not a working slot, 14:00 is.
  assert.ok(await dayColumn.locator('button.slot[data-time="14:00"]').evaluate((b) => b.classList.contains('working')));
  assert.ok(!(await dayColumn.locator('button.slot[data-time="13:00"]').evaluate((b) => b.classList.contains('working'))));
  // The same week as a table.
  await page.getByText('The week as a table').click();
  await page.locator('.week-table td', { hasText: '14:00–14:15 Popescu, Elena · Follow-up' }).waitFor();
  await expectAccessible(page, '/app/calendar (week grid)');

  // Dragged to the next day's column, same time.
  const next = addDays(day, 1);
  const nextColumn = page.locator(`section.cal-col[data-column="d:${next}"]`);
  const nextSlot = await nextColumn.locator('button.slot[data-time="14:00"]').boundingBox();
  // Measured now: opening the table may have scrolled the page.
  await drag(page, elena, nextSlot.x + nextSlot.width / 2, nextSlot.y + 8);
  await status(page).getByText(/Appointment moved to 14:00, /).waitFor();
  await nextColumn.locator('.appt', { hasText: 'Popescu, Elena' }).getByText('14:00–14:15').waitFor();
  assert.equal(await dayColumn.locator('.appt', { hasText: 'Popescu, Elena' }).count(), 0);
  await expectNoCspViolations(page);
  await context.close();
});

test('a patient opted out of SMS reminders stays opted out', async () => {
  const context = await newContext();
  const page = await context.newPage();
  await signIn(page, server.url, desk);
  await open(page, `${server.url}/app/patients`);
  await page.getByRole('link', { name: 'Costa, Ana' }).click();
  await page.waitForURL(/\/app\/patients\/[0-9a-f-]+$/);
  const chart = page.url();
  await page.waitForFunction(() => /^\/app\/patients\/[0-9a-f-]+$/.test(document.body?.dataset.hydrated ?? ''));
  const section = page.locator('section.reminder-prefs');
  await section.getByRole('heading', { name: 'Appointment reminders' }).waitFor();
  assert.ok(await section.getByLabel('Email').isChecked());
  assert.ok(await section.getByLabel('SMS (text message)').isChecked());
  await expectAccessible(page, 'chart summary with reminder choices');
  await section.getByLabel('SMS (text message)').uncheck();
  await section.getByRole('button', { name: 'Save reminder choices' }).click();
  await section.getByText('Saved: reminders by email on, by SMS off.').waitFor();

  await open(page, chart);
  await section.getByRole('heading', { name: 'Appointment reminders' }).waitFor();
  assert.ok(await section.getByLabel('Email').isChecked());
  assert.ok(!(await section.getByLabel('SMS (text message)').isChecked()));
  await expectNoCspViolations(page);
  await context.close();
});
