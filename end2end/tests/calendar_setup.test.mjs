// The calendar set-up page on the demo clinic: rooms, appointment types,
// grid, a practitioner's hours and time off, reminders and the private
// calendar link, each with errors at the field and a status on success;
// other roles are told to ask their administrator. Accessible throughout.
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

/** YYYY-MM-DD, `days` from today (the browser's today; the demo clinic is in Europe/Lisbon). */
function day(days) {
  const d = new Date(Date.now() + days * 86_400_000);
  return d.toISOString().slice(0, 10);
}

test('calendar set-up: every section saves, refuses bad input at the field, and lists refresh', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, server.url, 'owner@harbour-clinic.example');
  await open(page, `${server.url}/app/settings/calendar`);
  await page.getByRole('heading', { name: 'Calendar set-up' }).waitFor();
  const rooms = page.getByTestId('room');
  await rooms.first().waitFor();
  assert.equal(await rooms.count(), 3, 'the demo clinic has three rooms');
  await expectAccessible(page, '/app/settings/calendar');

  // Rooms: add, rename, deactivate and reactivate.
  await page.getByLabel('New room').fill('Minor procedures');
  await page.getByRole('button', { name: 'Add room' }).click();
  await page.getByRole('status').getByText('Room Minor procedures added.').waitFor();
  const room = rooms.filter({ hasText: 'Minor procedures' });
  await room.waitFor();
  assert.doesNotMatch(await room.textContent(), /inactive/);
  await page.getByRole('button', { name: 'Rename Minor procedures' }).click();
  const rename = page.getByRole('form', { name: 'Rename Minor procedures' });
  // Spaces pass the browser's `required` but not the server's rule.
  await rename.getByLabel('Room name').fill('   ');
  await rename.getByRole('button', { name: 'Save name' }).click();
  await fieldError(page, 'rename-room-name').getByText('Name the room').waitFor();
  await rename.getByLabel('Room name').fill('Procedures room');
  await rename.getByRole('button', { name: 'Save name' }).click();
  await page.getByRole('status').getByText('Room renamed to Procedures room.').waitFor();
  await page.getByRole('button', { name: 'Deactivate Procedures room' }).click();
  await rooms.filter({ hasText: 'Procedures room' }).getByText('inactive, takes no new bookings').waitFor();
  await page.getByRole('button', { name: 'Reactivate Procedures room' }).click();
  await page.getByRole('status').getByText('Room Procedures room reactivated.').waitFor();
  assert.equal(await rooms.count(), 4);

  // Appointment types: a bad duration is refused at its field, then added.
  const addType = page.getByRole('form', { name: 'Add a type' });
  await addType.getByLabel('Name', { exact: true }).fill('Long review');
  await addType.getByLabel('Duration (minutes)').fill('forty');
  await addType.getByLabel('Colour').fill('#7c3aed');
  await addType.getByRole('button', { name: 'Add type' }).click();
  await fieldError(page, 'type-duration_minutes').getByText('Enter a duration').waitFor();
  assert.equal(await page.locator('#field-type-duration_minutes').getAttribute('aria-invalid'), 'true');
  await addType.getByLabel('Duration (minutes)').fill('45');
  await addType.getByLabel('Price in cents').fill('6000');
  await addType.getByLabel('Patients may book this type online').check();
  await addType.getByRole('button', { name: 'Add type' }).click();
  await page.getByRole('status').getByText('Appointment type Long review added.').waitFor();
  const typeRow = page.getByTestId('type').filter({ hasText: 'Long review' });
  await typeRow.waitFor();
  const cells = await typeRow.locator('td').allTextContents();
  assert.deepEqual(cells.slice(0, 6).map((c) => c.trim()), ['45 min', '0 min', '#7c3aed', '60.00', 'Yes', 'Active']);
  // Edited: the new duration shows in the list.
  await page.getByRole('button', { name: 'Edit Long review' }).click();
  const editType = page.getByRole('form', { name: 'Edit Long review' });
  await editType.getByLabel('Duration (minutes)').fill('50');
  await editType.getByRole('button', { name: 'Save type' }).click();
  await page.getByRole('status').getByText('Appointment type Long review saved.').waitFor();
  await typeRow.locator('td').first().getByText('50 min').waitFor();
  await page.getByRole('button', { name: 'Deactivate Long review' }).click();
  await typeRow.getByText('Inactive').waitFor();

  // Grid.
  await page.getByLabel('Calendar grid', { exact: true }).selectOption('10');
  await page.getByRole('button', { name: 'Save grid and hours' }).click();
  await page.getByRole('status').getByText('Calendar grid and opening hours saved.').waitFor();

  // A practitioner's weekly hours: a bad Monday, then a good one, kept.
  const picker = page.getByLabel('Practitioner', { exact: true });
  await picker.selectOption({ label: 'Sara Vieira' });
  const sara = await picker.inputValue();
  // Sara's own form has replaced the first practitioner's.
  await page.locator(`form[aria-label="Weekly hours"] input[name=practitioner_id][value="${sara}"]`).waitFor({ state: 'attached' });
  const monday = page.locator('#field-hours-hours_mon');
  assert.equal(await monday.inputValue(), '09:00-13:00, 14:00-18:00');
  await monday.fill('9 to 5');
  await page.getByRole('button', { name: 'Save weekly hours' }).click();
  await fieldError(page, 'hours-hours_mon').getByText('Use times like 09:00-13:00').waitFor();
  await monday.fill('08:00-12:00, 13:00-17:00');
  await page.getByRole('button', { name: 'Save weekly hours' }).click();
  await page.getByRole('status').getByText('Weekly hours saved.').waitFor();
  assert.equal(await fieldError(page, 'hours-hours_mon').textContent(), '');

  // Time off: added to the list, then removed from it.
  const timeOff = page.getByTestId('time-off');
  const addOff = page.getByRole('form', { name: 'Add time off' });
  await addOff.getByLabel('From date').fill(day(3));
  await addOff.getByLabel('To date').fill(day(2));
  await addOff.getByRole('button', { name: 'Add time off' }).click();
  await fieldError(page, 'off-to_date').getByText('The end date is before the start date.').waitFor();
  await addOff.getByLabel('To date').fill(day(4));
  await addOff.getByLabel('Reason').fill('Conference in Porto');
  await addOff.getByRole('button', { name: 'Add time off' }).click();
  await page.getByRole('status').getByText('Time off added.').waitFor();
  const entry = timeOff.filter({ hasText: 'Conference in Porto' });
  await entry.waitFor();
  assert.match(await entry.textContent(), /^Leave from \w{3} \d+ \w{3} \d{4} 00:00 to/);
  await entry.getByRole('button', { name: /^Remove Leave from/ }).click();
  await page.getByRole('status').getByText(/^Removed: Leave from/).waitFor();
  await entry.waitFor({ state: 'detached' });

  // Reminders: a bad offset at the field, then saved.
  const when = page.getByLabel('When');
  await when.fill('24h, 20d');
  await page.getByRole('button', { name: 'Save reminders' }).click();
  await fieldError(page, 'reminders-offsets').getByText('between 15 minutes and 14 days').waitFor();
  await when.fill('48h, 3h');
  await page.getByLabel('Email', { exact: true }).check();
  await page.getByLabel('SMS').check();
  await page.getByRole('button', { name: 'Save reminders' }).click();
  await page.getByRole('status').getByText('Reminders saved: 2 d, 3 h before, by email and SMS.').waitFor();

  // Calendar link: made (shown once, works), revoked (no longer works).
  await page.getByTestId('feed-status').getByText('No link').waitFor();
  await page.getByRole('button', { name: 'Create new link' }).click();
  const link = page.getByLabel('New calendar link');
  await link.waitFor();
  const url = await link.inputValue();
  assert.match(url, /\/calendar\/feeds\/[^/]+\.ics$/);
  assert.equal(await link.getAttribute('readonly'), '');
  await page.getByTestId('feed-status').getByText('A link exists').waitFor();
  assert.equal((await fetch(url)).status, 200);
  await expectAccessible(page, '/app/settings/calendar with forms open');
  await page.getByRole('button', { name: 'Revoke' }).click();
  await page.getByRole('status').getByText('Link revoked: it no longer works.').waitFor();
  await link.waitFor({ state: 'detached' });
  assert.equal((await fetch(url)).status, 404);

  // All of it was saved: a fresh load shows it.
  await open(page, `${server.url}/app/settings/calendar`);
  await rooms.filter({ hasText: 'Procedures room' }).waitFor();
  assert.equal(await page.getByLabel('Calendar grid', { exact: true }).inputValue(), '10');
  assert.equal(await page.getByLabel('When').inputValue(), '2 d, 3 h');
  assert.ok(await page.getByLabel('SMS').isChecked());
  await context.close();
});

test('calendar set-up: a nurse is told to ask the administrator', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, server.url, 'nurse.lee@harbour-clinic.example');
  await open(page, `${server.url}/app/settings/calendar`);
  await page.getByRole('alert').getByText("Ask your clinic's administrator").waitFor();
  assert.equal(await page.getByLabel('New room').count(), 0);
  await expectAccessible(page, '/app/settings/calendar as a nurse');
  await context.close();
});
