//! Calendar set-up (managers): the grid and opening hours, rooms,
//! appointment types, each practitioner's weekly hours, time off and
//! private calendar link, and the reminder schedule. Every form shows its
//! errors at the field and a status line on success; lists reload after a
//! change. Other roles get the 403's "ask your administrator".

use super::staff::error_view;
use crate::{
    components::{field_error, Field, FormAlert, SelectField},
    error::AppError,
    feeds_api::{calendar_feed_status, CalendarFeedRevoke, CalendarFeedRotate},
    setup_api::*,
};
use ambula_domain::scheduling::WeeklyHoursForm;
use leptos::{either::Either, prelude::*};
use leptos_meta::Title;

/// Form field name and label of each weekday, Monday first.
const DAYS: [(&str, &str); 7] = [
    ("hours_mon", "Monday"),
    ("hours_tue", "Tuesday"),
    ("hours_wed", "Wednesday"),
    ("hours_thu", "Thursday"),
    ("hours_fri", "Friday"),
    ("hours_sat", "Saturday"),
    ("hours_sun", "Sunday"),
];

const HOURS_HINT: &str = "Per day, times like 09:00-13:00, 14:00-18:00 (24-hour clock, comma between spans).";

fn day_values(form: WeeklyHoursForm) -> [String; 7] {
    [form.hours_mon, form.hours_tue, form.hours_wed, form.hours_thu, form.hours_fri, form.hours_sat, form.hours_sun]
}

/// A status line (`role=status`) that says `text` once the action succeeded.
fn saved<T: Clone + Send + Sync + 'static>(
    result: Signal<Option<Result<T, AppError>>>,
    text: impl Fn(&T) -> String + Send + Sync + 'static,
) -> impl IntoView {
    let message = move || result.with(|r| r.as_ref().and_then(|r| r.as_ref().ok()).map(&text));
    view! { <p class="status" role="status">{message}</p> }
}

/// Bumps `counter` each time `result` turns into a success, so lists keyed
/// on it reload.
fn on_success<T: Clone + Send + Sync + 'static>(result: Signal<Option<Result<T, AppError>>>, counter: RwSignal<u32>) {
    Effect::new(move |_| {
        if result.with(|r| matches!(r, Some(Ok(_)))) {
            counter.update(|n| *n += 1);
        }
    });
}

fn loading() -> impl IntoView {
    view! { <div class="skeleton" aria-busy="true">"Loading…"</div> }
}

#[component]
pub fn CalendarSetupPage() -> impl IntoView {
    let practitioners = Resource::new(|| (), |_| setup_practitioners());
    view! {
        <Title text="Calendar set-up · Ambula"/>
        <h1>"Calendar set-up"</h1>
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                match practitioners.await {
                    Ok(list) => Either::Left(view! {
                        <GridSection/>
                        <RoomsSection/>
                        <TypesSection/>
                        <PractitionerSection practitioners=list/>
                        <RemindersSection/>
                    }),
                    Err(error) => Either::Right(error_view(error)),
                }
            })}
        </Suspense>
    }
}

// ---- Grid and opening hours ----

#[component]
fn GridSection() -> impl IntoView {
    let current = Resource::new(|| (), |_| setup_schedule());
    view! {
        <section class="setup-section" aria-labelledby="grid-heading">
            <h2 id="grid-heading">"Calendar grid and opening hours"</h2>
            <Suspense fallback=loading>
                {move || Suspend::new(async move {
                    match current.await {
                        Ok(view) => Either::Left(view! { <GridForm current=view/> }),
                        Err(error) => Either::Right(error_view(error)),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn GridForm(current: ScheduleView) -> impl IntoView {
    let save = ServerAction::<SetupSaveSchedule>::new();
    let result = Signal::derive(move || save.value().get());
    let grid_options = [5, 10, 15].map(|m| (m.to_string(), format!("{m} minutes"))).to_vec();
    view! {
        <ActionForm action=save attr:class="setup-form">
            <SelectField label="Calendar grid" name="grid_minutes" form="clinic" options=grid_options
                selected=current.grid_minutes.to_string() server_error=field_error(result, "grid_minutes")/>
            <fieldset>
                <legend>"Opening hours"</legend>
                <p class="hint">{HOURS_HINT}" Leave every day empty for no clinic-wide limit (only each practitioner's hours count); an empty day is closed when others are set."</p>
                <DayFields form="clinic" values=day_values(current.hours) result/>
            </fieldset>
            <FormAlert value=result/>
            <button type="submit">"Save grid and hours"</button>
            {saved(result, |_| "Calendar grid and opening hours saved.".to_owned())}
        </ActionForm>
    }
}

/// The seven day fields of a weekly-hours form, with their errors.
#[component]
fn DayFields<T: Clone + Send + Sync + 'static>(
    form: &'static str,
    values: [String; 7],
    result: Signal<Option<Result<T, AppError>>>,
) -> impl IntoView {
    DAYS.into_iter()
        .zip(values)
        .map(|((name, label), value)| {
            view! { <Field label name form value required=false server_error=field_error(result, name)/> }
        })
        .collect_view()
}

// ---- Rooms ----

#[component]
fn RoomsSection() -> impl IntoView {
    let changed = RwSignal::new(0u32);
    let add = ServerAction::<SetupAddRoom>::new();
    let added = Signal::derive(move || add.value().get());
    on_success(added, changed);
    let rooms = Resource::new(move || changed.get(), |_| setup_rooms());
    let renaming = RwSignal::new(None::<RoomItem>);
    let status = RwSignal::new(None::<String>);
    view! {
        <section class="setup-section" aria-labelledby="rooms-heading">
            <h2 id="rooms-heading">"Rooms"</h2>
            <p class="status" role="status">{move || status.get()}</p>
            <Suspense fallback=loading>
                {move || Suspend::new(async move {
                    match rooms.await {
                        Ok(list) => Either::Left(view! { <RoomList list renaming changed status/> }),
                        Err(error) => Either::Right(error_view(error)),
                    }
                })}
            </Suspense>
            {move || renaming.get().map(|room| view! { <RenameRoom room renaming changed status/> })}
            <ActionForm action=add attr:class="setup-form inline">
                <Field label="New room" name="name" form="room" hint="For example Room 1 or Treatment room." server_error=field_error(added, "name")/>
                <FormAlert value=added/>
                <button type="submit">"Add room"</button>
                {saved(added, |room: &RoomItem| format!("Room {} added.", room.name))}
            </ActionForm>
        </section>
    }
}

#[component]
fn RoomList(list: Vec<RoomItem>, renaming: RwSignal<Option<RoomItem>>, changed: RwSignal<u32>, status: RwSignal<Option<String>>) -> impl IntoView {
    if list.is_empty() {
        return Either::Left(view! { <p>"No rooms yet."</p> });
    }
    Either::Right(view! {
        <ul class="setup-list" aria-label="Rooms">
            {list.into_iter().map(|room| view! { <RoomRow room renaming changed status/> }).collect_view()}
        </ul>
    })
}

#[component]
fn RoomRow(room: RoomItem, renaming: RwSignal<Option<RoomItem>>, changed: RwSignal<u32>, status: RwSignal<Option<String>>) -> impl IntoView {
    let toggle = ServerAction::<SetupSetRoomActive>::new();
    let toggled = Signal::derive(move || toggle.value().get());
    let (name, active) = (room.name.clone(), room.active);
    Effect::new(move |_| {
        if toggled.with(|r| matches!(r, Some(Ok(_)))) {
            status.set(Some(format!("Room {name} {}.", if active { "deactivated" } else { "reactivated" })));
            changed.update(|n| *n += 1);
        }
    });
    let state = if room.active { "active" } else { "inactive, takes no new bookings" };
    let toggle_text = if room.active { "Deactivate" } else { "Reactivate" };
    let for_rename = room.clone();
    view! {
        <li data-testid="room">
            <span class="item-name">{room.name.clone()}</span>" — "{state}
            <button type="button" class="secondary" aria-label=format!("Rename {}", room.name)
                on:click=move |_| renaming.set(Some(for_rename.clone()))>"Rename"</button>
            <ActionForm action=toggle attr:class="inline">
                <input type="hidden" name="room_id" value=room.id.clone()/>
                <input type="hidden" name="active" value=(!room.active).to_string()/>
                <button type="submit" class="secondary" aria-label=format!("{toggle_text} {}", room.name)>{toggle_text}</button>
            </ActionForm>
            <FormAlert value=toggled/>
        </li>
    }
}

#[component]
fn RenameRoom(room: RoomItem, renaming: RwSignal<Option<RoomItem>>, changed: RwSignal<u32>, status: RwSignal<Option<String>>) -> impl IntoView {
    let rename = ServerAction::<SetupRenameRoom>::new();
    let result = Signal::derive(move || rename.value().get());
    Effect::new(move |_| {
        if let Some(Ok(room)) = result.get() {
            status.set(Some(format!("Room renamed to {}.", room.name)));
            renaming.set(None);
            changed.update(|n| *n += 1);
        }
    });
    let label = format!("Rename {}", room.name);
    view! {
        <ActionForm action=rename attr:class="setup-form inline" attr:aria-label=label>
            <input type="hidden" name="room_id" value=room.id/>
            <Field label="Room name" name="name" form="rename-room" value=room.name server_error=field_error(result, "name")/>
            <FormAlert value=result/>
            <button type="submit">"Save name"</button>
            <button type="button" class="secondary" on:click=move |_| renaming.set(None)>"Cancel"</button>
        </ActionForm>
    }
}

// ---- Appointment types ----

fn price_text(minor: Option<i64>) -> String {
    match minor {
        Some(m) => format!("{}.{:02}", m / 100, (m % 100).abs()),
        None => "No set price".to_owned(),
    }
}

#[component]
fn TypesSection() -> impl IntoView {
    let changed = RwSignal::new(0u32);
    let add = ServerAction::<SetupAddType>::new();
    let added = Signal::derive(move || add.value().get());
    on_success(added, changed);
    let types = Resource::new(move || changed.get(), |_| setup_types());
    let editing = RwSignal::new(None::<TypeItem>);
    let status = RwSignal::new(None::<String>);
    view! {
        <section class="setup-section" aria-labelledby="types-heading">
            <h2 id="types-heading">"Appointment types"</h2>
            <p class="status" role="status">{move || status.get()}</p>
            <Suspense fallback=loading>
                {move || Suspend::new(async move {
                    match types.await {
                        Ok(list) => Either::Left(view! { <TypeTable list editing changed status/> }),
                        Err(error) => Either::Right(error_view(error)),
                    }
                })}
            </Suspense>
            {move || editing.get().map(|item| view! { <EditType item editing changed status/> })}
            <h3>"Add a type"</h3>
            <ActionForm action=add attr:class="setup-form" attr:aria-label="Add a type">
                <TypeFields form="type" item=None result=added/>
                <FormAlert value=added/>
                <button type="submit">"Add type"</button>
                {saved(added, |t: &TypeItem| format!("Appointment type {} added.", t.name))}
            </ActionForm>
        </section>
    }
}

/// The fields of a type, empty or prefilled.
#[component]
fn TypeFields<T: Clone + Send + Sync + 'static>(
    form: &'static str,
    item: Option<TypeItem>,
    result: Signal<Option<Result<T, AppError>>>,
) -> impl IntoView {
    let value = |f: fn(&TypeItem) -> String| item.as_ref().map(f);
    let online = item.as_ref().is_some_and(|t| t.online_booking);
    let online_id = format!("field-{form}-online_booking");
    view! {
        <Field label="Name" name="name" form value=value(|t| t.name.clone()).unwrap_or_default() server_error=field_error(result, "name")/>
        <Field label="Duration (minutes)" name="duration_minutes" form kind="text" hint="Whole minutes, e.g. 30."
            value=value(|t| t.duration_minutes.to_string()).unwrap_or_default() server_error=field_error(result, "duration_minutes")/>
        <Field label="Buffer after (minutes)" name="buffer_minutes" form required=false hint="Time kept free after each appointment; empty for none."
            value=value(|t| t.buffer_minutes.to_string()).unwrap_or_default() server_error=field_error(result, "buffer_minutes")/>
        <Field label="Colour" name="colour" form hint="A hex colour like #1d4ed8; shown with the name, never alone."
            value=value(|t| t.colour.clone()).unwrap_or_else(|| "#1d4ed8".to_owned()) server_error=field_error(result, "colour")/>
        <Field label="Price in cents" name="price_minor" form required=false hint="Whole cents, e.g. 4500 for 45.00; empty for no set price."
            value=value(|t| t.price_minor.map(|p| p.to_string()).unwrap_or_default()).unwrap_or_default() server_error=field_error(result, "price_minor")/>
        <div class="field checkbox">
            <input type="checkbox" id=online_id.clone() name="online_booking" value="on" checked=online/>
            <label for=online_id>"Patients may book this type online"</label>
            <p class="error" aria-live="polite">{move || field_error(result, "online_booking").get()}</p>
        </div>
    }
}

#[component]
fn TypeTable(list: Vec<TypeItem>, editing: RwSignal<Option<TypeItem>>, changed: RwSignal<u32>, status: RwSignal<Option<String>>) -> impl IntoView {
    if list.is_empty() {
        return Either::Left(view! { <p>"No appointment types yet."</p> });
    }
    Either::Right(view! {
        <table class="setup-table">
            <caption class="visually-hidden">"Appointment types"</caption>
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Duration"</th>
                    <th scope="col">"Buffer"</th>
                    <th scope="col">"Colour"</th>
                    <th scope="col">"Price"</th>
                    <th scope="col">"Online booking"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col">"Actions"</th>
                </tr>
            </thead>
            <tbody>
                {list.into_iter().map(|item| view! { <TypeRow item editing changed status/> }).collect_view()}
            </tbody>
        </table>
    })
}

#[component]
fn TypeRow(item: TypeItem, editing: RwSignal<Option<TypeItem>>, changed: RwSignal<u32>, status: RwSignal<Option<String>>) -> impl IntoView {
    let toggle = ServerAction::<SetupSetTypeActive>::new();
    let toggled = Signal::derive(move || toggle.value().get());
    let (name, active) = (item.name.clone(), item.active);
    Effect::new(move |_| {
        if toggled.with(|r| matches!(r, Some(Ok(_)))) {
            status.set(Some(format!("Appointment type {name} {}.", if active { "deactivated" } else { "reactivated" })));
            changed.update(|n| *n += 1);
        }
    });
    let toggle_text = if item.active { "Deactivate" } else { "Reactivate" };
    let for_edit = item.clone();
    view! {
        <tr data-testid="type">
            <th scope="row">{item.name.clone()}</th>
            <td>{format!("{} min", item.duration_minutes)}</td>
            <td>{format!("{} min", item.buffer_minutes)}</td>
            <td>
                // An SVG fill, not a style attribute: the CSP allows no inline styles.
                <svg class="type-swatch" width="16" height="16" viewBox="0 0 16 16" aria-hidden="true">
                    <rect width="16" height="16" rx="3" fill=item.colour.clone()></rect>
                </svg>
                " "{item.colour.clone()}
            </td>
            <td>{price_text(item.price_minor)}</td>
            <td>{if item.online_booking { "Yes" } else { "No" }}</td>
            <td>{if item.active { "Active" } else { "Inactive" }}</td>
            <td>
                <button type="button" class="secondary" aria-label=format!("Edit {}", item.name)
                    on:click=move |_| editing.set(Some(for_edit.clone()))>"Edit"</button>
                <ActionForm action=toggle attr:class="inline">
                    <input type="hidden" name="type_id" value=item.id.clone()/>
                    <input type="hidden" name="active" value=(!item.active).to_string()/>
                    <button type="submit" class="secondary" aria-label=format!("{toggle_text} {}", item.name)>{toggle_text}</button>
                </ActionForm>
                <FormAlert value=toggled/>
            </td>
        </tr>
    }
}

#[component]
fn EditType(item: TypeItem, editing: RwSignal<Option<TypeItem>>, changed: RwSignal<u32>, status: RwSignal<Option<String>>) -> impl IntoView {
    let update = ServerAction::<SetupUpdateType>::new();
    let result = Signal::derive(move || update.value().get());
    Effect::new(move |_| {
        if let Some(Ok(t)) = result.get() {
            status.set(Some(format!("Appointment type {} saved.", t.name)));
            editing.set(None);
            changed.update(|n| *n += 1);
        }
    });
    let heading = format!("Edit {}", item.name);
    view! {
        <h3>{heading.clone()}</h3>
        <p class="hint">"New durations and buffers apply to new bookings; booked appointments keep theirs."</p>
        <ActionForm action=update attr:class="setup-form" attr:aria-label=heading>
            <input type="hidden" name="type_id" value=item.id.clone()/>
            <input type="hidden" name="practitioners" value=item.practitioners.clone()/>
            <TypeFields form="edit-type" item=Some(item) result/>
            <FormAlert value=result/>
            <button type="submit">"Save type"</button>
            <button type="button" class="secondary" on:click=move |_| editing.set(None)>"Cancel"</button>
        </ActionForm>
    }
}

// ---- Per practitioner: weekly hours, time off, calendar link ----

#[component]
fn PractitionerSection(practitioners: Vec<PractitionerItem>) -> impl IntoView {
    let Some(first) = practitioners.first().map(|p| p.id.clone()) else {
        return Either::Left(view! {
            <section class="setup-section" aria-labelledby="practitioner-heading">
                <h2 id="practitioner-heading">"Practitioners"</h2>
                <p>"No practitioners yet."</p>
            </section>
        });
    };
    let chosen = RwSignal::new(first);
    Either::Right(view! {
        <section class="setup-section" aria-labelledby="practitioner-heading">
            <h2 id="practitioner-heading">"Practitioners"</h2>
            <div class="field">
                <label for="setup-practitioner">"Practitioner"</label>
                <p class="hint" id="setup-practitioner-hint">"Weekly hours, time off and calendar link below are for this practitioner."</p>
                <select id="setup-practitioner" aria-describedby="setup-practitioner-hint"
                    on:change=move |ev| chosen.set(event_target_value(&ev))>
                    {practitioners.into_iter().map(|p| view! { <option value=p.id>{p.name}</option> }).collect_view()}
                </select>
            </div>
            <HoursPanel chosen/>
            <TimeOffPanel chosen/>
            <FeedPanel chosen/>
        </section>
    })
}

#[component]
fn HoursPanel(chosen: RwSignal<String>) -> impl IntoView {
    let hours = Resource::new(move || chosen.get(), setup_practitioner_hours);
    view! {
        <h3>"Weekly hours"</h3>
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                let id = chosen.get_untracked();
                match hours.await {
                    Ok(form) => Either::Left(view! { <HoursForm practitioner_id=id values=day_values(form)/> }),
                    Err(error) => Either::Right(error_view(error)),
                }
            })}
        </Suspense>
    }
}

#[component]
fn HoursForm(practitioner_id: String, values: [String; 7]) -> impl IntoView {
    let save = ServerAction::<SetupSavePractitionerHours>::new();
    let result = Signal::derive(move || save.value().get());
    view! {
        <ActionForm action=save attr:class="setup-form" attr:aria-label="Weekly hours">
            <input type="hidden" name="practitioner_id" value=practitioner_id/>
            <p class="hint">{HOURS_HINT}" An empty day is a day off."</p>
            <DayFields form="hours" values result/>
            <FormAlert value=result/>
            <button type="submit">"Save weekly hours"</button>
            {saved(result, |_| "Weekly hours saved.".to_owned())}
        </ActionForm>
    }
}

#[component]
fn TimeOffPanel(chosen: RwSignal<String>) -> impl IntoView {
    let changed = RwSignal::new(0u32);
    let add = ServerAction::<SetupAddTimeOff>::new();
    let added = Signal::derive(move || add.value().get());
    on_success(added, changed);
    let status = RwSignal::new(None::<String>);
    let list = Resource::new(move || (chosen.get(), changed.get()), |(id, _)| setup_time_off(id));
    let kinds = vec![("leave".to_owned(), "Leave (away all of the time)".to_owned()), ("blocked".to_owned(), "Blocked time (e.g. a meeting)".to_owned())];
    view! {
        <h3>"Time off and blocked time"</h3>
        <p class="status" role="status">{move || status.get()}</p>
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(items) => Either::Left(view! { <TimeOffList items changed status/> }),
                    Err(error) => Either::Right(error_view(error)),
                }
            })}
        </Suspense>
        <ActionForm action=add attr:class="setup-form" attr:aria-label="Add time off">
            <input type="hidden" name="practitioner_id" value=move || chosen.get()/>
            <SelectField label="Kind" name="kind" form="off" options=kinds server_error=field_error(added, "kind")/>
            <Field label="From date" name="from_date" kind="date" form="off" server_error=field_error(added, "from_date")/>
            <Field label="From time" name="from_time" kind="time" form="off" required=false hint="Empty: from the start of the day."
                server_error=field_error(added, "from_time")/>
            <Field label="To date" name="to_date" kind="date" form="off" server_error=field_error(added, "to_date")/>
            <Field label="To time" name="to_time" kind="time" form="off" required=false hint="Empty: to the end of the day."
                server_error=field_error(added, "to_time")/>
            <Field label="Reason" name="reason" form="off" required=false hint="Shown to staff who try to book then."
                server_error=field_error(added, "reason")/>
            <p class="error" aria-live="polite">{move || field_error(added, "practitioner_id").get()}</p>
            <FormAlert value=added/>
            <button type="submit">"Add time off"</button>
            {saved(added, |_| "Time off added.".to_owned())}
        </ActionForm>
    }
}

#[component]
fn TimeOffList(items: Vec<TimeOffItem>, changed: RwSignal<u32>, status: RwSignal<Option<String>>) -> impl IntoView {
    if items.is_empty() {
        return Either::Left(view! { <p>"No time off from today on."</p> });
    }
    Either::Right(view! {
        <ul class="setup-list" aria-label="Upcoming time off">
            {items.into_iter().map(|item| view! { <TimeOffRow item changed status/> }).collect_view()}
        </ul>
    })
}

#[component]
fn TimeOffRow(item: TimeOffItem, changed: RwSignal<u32>, status: RwSignal<Option<String>>) -> impl IntoView {
    let remove = ServerAction::<SetupRemoveTimeOff>::new();
    let removed = Signal::derive(move || remove.value().get());
    let kind = if item.kind == "leave" { "Leave" } else { "Blocked time" };
    let text = format!("{kind} from {} to {}", item.from, item.to);
    let done = text.clone();
    Effect::new(move |_| {
        if removed.with(|r| matches!(r, Some(Ok(_)))) {
            status.set(Some(format!("Removed: {done}.")));
            changed.update(|n| *n += 1);
        }
    });
    view! {
        <li data-testid="time-off">
            <span>{text.clone()}{item.reason.map(|r| format!(" ({r})"))}</span>
            <ActionForm action=remove attr:class="inline">
                <input type="hidden" name="time_off_id" value=item.id/>
                <button type="submit" class="secondary" aria-label=format!("Remove {text}")>"Remove"</button>
            </ActionForm>
            <FormAlert value=removed/>
        </li>
    }
}

#[component]
fn FeedPanel(chosen: RwSignal<String>) -> impl IntoView {
    let changed = RwSignal::new(0u32);
    let rotate = ServerAction::<CalendarFeedRotate>::new();
    let revoke = ServerAction::<CalendarFeedRevoke>::new();
    let rotated = Signal::derive(move || rotate.value().get());
    let revoked = Signal::derive(move || revoke.value().get());
    // The new URL is shown once: until it is revoked or another
    // practitioner is chosen.
    let url = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(Ok(link)) = rotated.get() {
            url.set(Some(link.url));
            changed.update(|n| *n += 1);
        }
    });
    Effect::new(move |_| {
        if revoked.with(|r| matches!(r, Some(Ok(_)))) {
            url.set(None);
            changed.update(|n| *n += 1);
        }
    });
    Effect::new(move |previous: Option<String>| {
        let now = chosen.get();
        if previous.is_some_and(|p| p != now) {
            url.set(None);
        }
        now
    });
    let status = Resource::new(move || (chosen.get(), changed.get()), |(id, _)| calendar_feed_status(id));
    view! {
        <h3>"Private calendar link"</h3>
        <p class="hint">"A link the practitioner adds to their own calendar app to see their appointments (no patient names)."</p>
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                match status.await {
                    Ok(view) => Either::Left(match view.since {
                        Some(since) => Either::Left(view! { <p data-testid="feed-status">{format!("A link exists, made {since} (UTC).")}</p> }),
                        None => Either::Right(view! { <p data-testid="feed-status">"No link: nobody can subscribe to this calendar."</p> }),
                    }),
                    Err(error) => Either::Right(error_view(error)),
                }
            })}
        </Suspense>
        {move || url.get().map(|url| view! {
            <div class="field">
                <label for="feed-url">"New calendar link"</label>
                <p class="hint" id="feed-url-hint">"Shown only now: copy it (select it, then Ctrl+C or ⌘C) into the calendar app. Anyone with it can see this calendar."</p>
                <input id="feed-url" type="text" readonly=true value=url aria-describedby="feed-url-hint"/>
            </div>
        })}
        <div class="actions">
            <ActionForm action=rotate attr:class="inline">
                <input type="hidden" name="practitioner_id" value=move || chosen.get()/>
                <button type="submit">"Create new link"</button>
            </ActionForm>
            <ActionForm action=revoke attr:class="inline">
                <input type="hidden" name="practitioner_id" value=move || chosen.get()/>
                <button type="submit" class="secondary">"Revoke"</button>
            </ActionForm>
        </div>
        <FormAlert value=rotated/>
        <FormAlert value=revoked/>
        {saved(revoked, |ended: &bool| if *ended { "Link revoked: it no longer works.".to_owned() } else { "There was no link to revoke.".to_owned() })}
    }
}

// ---- Reminders ----

#[component]
fn RemindersSection() -> impl IntoView {
    let current = Resource::new(|| (), |_| setup_reminders());
    view! {
        <section class="setup-section" aria-labelledby="reminders-heading">
            <h2 id="reminders-heading">"Appointment reminders"</h2>
            <Suspense fallback=loading>
                {move || Suspend::new(async move {
                    match current.await {
                        Ok(view) => Either::Left(view! { <RemindersForm current=view/> }),
                        Err(error) => Either::Right(error_view(error)),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn RemindersForm(current: RemindersView) -> impl IntoView {
    let save = ServerAction::<SetupSaveReminders>::new();
    let result = Signal::derive(move || save.value().get());
    view! {
        <ActionForm action=save attr:class="setup-form" attr:aria-label="Reminders">
            <Field label="When" name="offsets" form="reminders" value=current.offsets required=false
                hint="Times before the appointment, e.g. 24h, 2h (15 minutes to 14 days, at most 4). Empty: no reminders."
                server_error=field_error(result, "offsets")/>
            <fieldset>
                <legend>"Send by"</legend>
                <div class="field checkbox">
                    <input type="checkbox" id="field-reminders-email" name="email" value="on" checked=current.email/>
                    <label for="field-reminders-email">"Email"</label>
                </div>
                <div class="field checkbox">
                    <input type="checkbox" id="field-reminders-sms" name="sms" value="on" checked=current.sms/>
                    <label for="field-reminders-sms">"SMS"</label>
                </div>
            </fieldset>
            <FormAlert value=result/>
            <button type="submit">"Save reminders"</button>
            {saved(result, |r: &RemindersView| {
                let mut by = Vec::new();
                if r.email { by.push("email") }
                if r.sms { by.push("SMS") }
                match (r.offsets.is_empty(), by.is_empty()) {
                    (true, _) => "Reminders saved: none will be sent.".to_owned(),
                    (_, true) => format!("Reminders saved: {}, but no channel is ticked, so none will be sent.", r.offsets),
                    _ => format!("Reminders saved: {} before, by {}.", r.offsets, by.join(" and ")),
                }
            })}
        </ActionForm>
    }
}
