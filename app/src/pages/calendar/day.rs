//! The day view: a column per practitioner (or room) on the clinic's grid,
//! working hours shaded, time off labelled, the current time marked, and
//! appointments placed by their local times.

use super::{dialogs, error_view, load_choices, parse_date, ColourBy, DateJump, Query};
use crate::scheduling_api::{calendar_day, calendar_day_live, Appointment, Column, DayData};
use chrono::Duration;
use leptos::{either::Either, prelude::*};
use leptos_router::{components::A, hooks::use_navigate};

/// Where a new booking starts, from the slot that was clicked.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BookingStart {
    pub date: String,
    pub time: String,
    pub practitioner_id: String,
    pub room_id: String,
}

/// While a card is dragged, the column under the pointer: its key and its
/// title (provided by the grid; the card reads it to move across columns).
/// Keys: "p:<practitioner id>", "r:<room id>", "r:none" (no room), or in the
/// week "d:<date>".
#[derive(Debug, Clone, Copy)]
pub struct ColumnDrop {
    pub over: RwSignal<Option<(String, String)>>,
}

/// The key of a day view's column (see `ColumnDrop`).
pub fn column_key(column: &Column) -> String {
    if !column.practitioner_id.is_empty() {
        format!("p:{}", column.practitioner_id)
    } else if !column.room_id.is_empty() {
        format!("r:{}", column.room_id)
    } else {
        "r:none".to_owned()
    }
}

pub fn hhmm(minutes: u32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// The rows shown: working hours and appointments, widened to whole hours
/// and at least 08:00–18:00.
pub(super) fn range<'a>(columns: impl Iterator<Item = (&'a [crate::scheduling_api::Span], &'a [Appointment])>) -> (u32, u32) {
    let (mut first, mut last) = (8 * 60, 18 * 60);
    for (working, appointments) in columns {
        for s in working {
            first = first.min(s.start_min);
            last = last.max(s.end_min);
        }
        for a in appointments {
            first = first.min(a.start_min);
            last = last.max(a.end_min);
        }
    }
    (first / 60 * 60, last.div_ceil(60).saturating_mul(60).min(24 * 60))
}

/// Grid classes for minutes `start..end` of a view starting at `first`.
pub fn place(first: u32, start: u32, end: u32) -> String {
    let row = start.saturating_sub(first) / 5 + 1;
    let span = (end.saturating_sub(start.max(first)) / 5).max(1);
    format!("r{row} h{span}")
}

/// Side-by-side lanes for overlapping appointments (an override, or a
/// cancelled one under its replacement): (lane, lanes) per appointment.
pub fn lanes(appointments: &[Appointment]) -> Vec<(usize, usize)> {
    let mut order: Vec<usize> = (0..appointments.len()).collect();
    order.sort_by_key(|&i| (appointments[i].start_min, appointments[i].end_min));
    let mut result = vec![(0, 1); appointments.len()];
    let mut cluster: Vec<usize> = Vec::new();
    let mut lane_end: Vec<u32> = Vec::new();
    let mut cluster_end = 0;
    let finish = |cluster: &[usize], lanes: usize, result: &mut Vec<(usize, usize)>| {
        for &j in cluster {
            result[j].1 = lanes.min(4);
            result[j].0 = result[j].0.min(3);
        }
    };
    for &i in &order {
        let a = &appointments[i];
        let (start, end) = (a.start_min, a.end_min.max(a.start_min + 5));
        if !cluster.is_empty() && start >= cluster_end {
            finish(&cluster, lane_end.len(), &mut result);
            cluster.clear();
            lane_end.clear();
            cluster_end = 0;
        }
        let lane = match lane_end.iter().position(|&e| e <= start) {
            Some(lane) => lane,
            None => {
                lane_end.push(0);
                lane_end.len() - 1
            }
        };
        lane_end[lane] = end;
        result[i].0 = lane;
        cluster.push(i);
        cluster_end = cluster_end.max(end);
    }
    finish(&cluster, lane_end.len(), &mut result);
    result
}

#[component]
pub fn DayTab(q: Memo<Query>) -> impl IntoView {
    let key = Memo::new(move |_| {
        let q = q.get();
        (q.date, q.by)
    });
    let live = StoredValue::new(false);
    let data = Resource::new(move || key.get(), move |(date, by)| {
        let background = live.get_value();
        live.set_value(false);
        async move { if background { calendar_day_live(date, by).await } else { calendar_day(date, by).await } }
    });
    let choices = Resource::new(|| (), |_| load_choices());
    let booking = RwSignal::new(None::<BookingStart>);
    let opened = RwSignal::new(None::<Appointment>);
    let notice = RwSignal::new(None::<String>);
    let colour = Memo::new(move |_| q.get().colour_by());
    let reload = Callback::new(move |message: String| {
        notice.set(Some(message));
        booking.set(None);
        opened.set(None);
        data.refetch();
    });
    // A colleague's change shows here too (after any open dialog closes).
    super::live::live_refresh(Signal::derive(move || booking.get().is_some() || opened.get().is_some()), move || {
        live.set_value(true);
        data.refetch();
    });
    view! {
        <div class="status" role="status">{move || notice.get().map(|m| view! { <p>{m}</p> })}</div>
        <Transition fallback=|| view! { <div class="skeleton" aria-busy="true">"Loading the day…"</div> }>
            {move || Suspend::new(async move {
                match (data.await, choices.await) {
                    (Ok(d), Ok(c)) => {
                        let can_override = d.can_override;
                        let date = d.date.clone();
                        let c2 = c.clone();
                        Either::Left(view! {
                            <DayToolbar q data=d.clone() booking/>
                            <DayGrid data=d colour booking opened reload only=q.get_untracked().practitioner/>
                            {move || booking.get().map(|start| view! {
                                <dialogs::BookingDialog start choices=c.clone() can_override
                                    on_close=Callback::new(move |_| booking.set(None)) on_done=reload/>
                            })}
                            {move || opened.get().map(|a| view! {
                                <dialogs::AppointmentDialog appointment=a can_override today=date.clone() choices=c2.clone()
                                    on_close=Callback::new(move |_| opened.set(None)) on_done=reload/>
                            })}
                        })
                    }
                    (Err(e), _) | (_, Err(e)) => Either::Right(error_view(e)),
                }
            })}
        </Transition>
    }
}

#[component]
fn DayToolbar(q: Memo<Query>, data: DayData, booking: RwSignal<Option<BookingStart>>) -> impl IntoView {
    let day = parse_date(&data.date);
    let shift = move |days: i64| {
        let date = day.map(|d| (d + Duration::days(days)).to_string()).unwrap_or_default();
        q.get_untracked().with(|n| n.date = date).href()
    };
    let (prev, next) = (shift(-1), shift(1));
    let today = q.get_untracked().with(|n| n.date = String::new()).href();
    let by_room = data.by == ambula_domain::scheduling::CalendarBy::Room;
    let switch_by = q.get_untracked().with(|n| n.by = if by_room { String::new() } else { "room".into() }).href();
    let navigate = use_navigate();
    let on_colour = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        navigate(&q.get_untracked().with(|n| n.colour = value).href(), Default::default());
    };
    let colour_now = q.get_untracked().colour;
    let sheet_now = q.get_untracked().practitioner;
    let navigate_sheet = use_navigate();
    let on_sheet = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        navigate_sheet(&q.get_untracked().with(|n| n.practitioner = value).href(), Default::default());
    };
    let sheets = data
        .columns
        .iter()
        .filter(|c| !c.practitioner_id.is_empty())
        .map(|c| {
            let selected = c.practitioner_id == sheet_now;
            view! { <option value=c.practitioner_id.clone() selected=selected>{c.title.clone()}</option> }
        })
        .collect_view();
    let date = data.date.clone();
    let new_booking = move |_| booking.set(Some(BookingStart { date: date.clone(), ..Default::default() }));
    let print = move |_| {
        let _ = window().print();
    };
    view! {
        <h2 class="day-title">{data.title.clone()}</h2>
        <p class="cal-meta">"Times in " {data.time_zone.clone()} " · grid " {data.grid_minutes} " minutes"</p>
        <div class="cal-toolbar">
            <A href=prev attr:class="button secondary">"← Previous day"</A>
            <A href=today attr:class="button secondary">"Today"</A>
            <A href=next attr:class="button secondary">"Next day →"</A>
            <DateJump q value=Signal::derive(move || data.date.clone())/>
            <A href=switch_by attr:class="button secondary">{if by_room { "Columns by practitioner" } else { "Columns by room" }}</A>
            <div class="field">
                <label for="cal-colour">"Colour by"</label>
                <select id="cal-colour" on:change=on_colour>
                    <option value="" selected=colour_now.is_empty()>"Practitioner"</option>
                    <option value="type" selected=colour_now == "type">"Appointment type"</option>
                    <option value="status" selected=colour_now == "status">"Status"</option>
                </select>
            </div>
            {(!by_room).then(|| view! {
                <div class="field">
                    <label for="cal-sheet">"Show"</label>
                    <select id="cal-sheet" on:change=on_sheet>
                        <option value="" selected=sheet_now.is_empty()>"Every practitioner"</option>
                        {sheets}
                    </select>
                </div>
            })}
            <button type="button" on:click=new_booking>"New appointment"</button>
            <button type="button" class="secondary" on:click=print>"Print day sheet"</button>
        </div>
    }
}

#[component]
fn DayGrid(
    data: DayData,
    colour: Memo<ColourBy>,
    booking: RwSignal<Option<BookingStart>>,
    opened: RwSignal<Option<Appointment>>,
    reload: Callback<String>,
    /// A practitioner's id: only their column (their day sheet).
    only: String,
) -> impl IntoView {
    let mut data = data;
    if !only.is_empty() {
        data.columns.retain(|c| c.practitioner_id == only);
    }
    let (first, last) = range(data.columns.iter().map(|c| (c.working.as_slice(), c.appointments.as_slice())));
    if data.columns.is_empty() {
        return Either::Right(view! {
            <p class="notice" role="note">"No practitioners or rooms are set up yet. Add them in Settings to start booking."</p>
        });
    }
    let hours: Vec<u32> = (first / 60..last.div_ceil(60)).collect();
    provide_context(ColumnDrop { over: RwSignal::new(None) });
    let heads = data
        .columns
        .iter()
        .map(|c| {
            let colour = (!c.colour.is_empty()).then(|| c.colour.clone());
            view! {
                <div class="col-head">
                    {colour.map(|fill| view! { <svg class="swatch" aria-hidden="true" viewBox="0 0 10 10"><rect width="10" height="10" fill=fill/></svg> })}
                    {c.title.clone()}
                </div>
            }
        })
        .collect_view();
    let columns = data
        .columns
        .into_iter()
        .map(|c| {
            let key = column_key(&c);
            view! { <DayColumn column=c key date=data.date.clone() grid=data.grid_minutes first last now=data.now_min colour booking opened reload/> }
        })
        .collect_view();
    Either::Left(view! {
        <div class="day-scroll">
            <div class="day-head" aria-hidden="true"><div class="axis-head"></div>{heads}</div>
            <div class="day-grid">
                <div class="axis" aria-hidden="true">
                    {hours.into_iter().map(|h| view! { <div class=format!("hour {}", place(first, h * 60, h * 60 + 60))>{hhmm(h * 60)}</div> }).collect_view()}
                </div>
                {columns}
            </div>
        </div>
    })
}

/// One column of the grid: a practitioner or a room (day view), or a day
/// (week view). `key`: see `ColumnDrop`.
#[component]
pub(super) fn DayColumn(
    column: Column,
    key: String,
    date: String,
    grid: u32,
    first: u32,
    last: u32,
    now: Option<u32>,
    colour: Memo<ColourBy>,
    booking: RwSignal<Option<BookingStart>>,
    opened: RwSignal<Option<Appointment>>,
    reload: Callback<String>,
) -> impl IntoView {
    let grid = grid.max(5);
    let inside = |m: u32, spans: &[crate::scheduling_api::Span]| spans.iter().any(|s| s.start_min <= m && m < s.end_min);
    let slots = (first..last)
        .step_by(grid as usize)
        .map(|m| {
            let working = inside(m, &column.working) && !inside(m, &column.blocked);
            let class = format!(
                "slot {}{}{}",
                place(first, m, m + grid),
                if working { " working" } else { "" },
                if m % 60 == 0 { " hour-start" } else { "" }
            );
            let label = format!("Book {} {}", hhmm(m), column.title);
            let start = BookingStart {
                date: date.clone(),
                time: hhmm(m),
                practitioner_id: column.practitioner_id.clone(),
                room_id: column.room_id.clone(),
            };
            view! { <button type="button" class=class aria-label=label data-time=hhmm(m) on:click=move |_| booking.set(Some(start.clone()))></button> }
        })
        .collect_view();
    let blocked = column
        .blocked
        .iter()
        .map(|b| view! { <div class=format!("blocked {}", place(first, b.start_min, b.end_min))>{b.label.clone()}</div> })
        .collect_view();
    let lanes = lanes(&column.appointments);
    let cards = column
        .appointments
        .into_iter()
        .zip(lanes)
        .map(|(a, (lane, count))| {
            let class = format!("{} lanes-{count} lane-{lane}", place(first, a.start_min, a.end_min));
            let drag = super::week::DragSetup { first, grid, date: date.clone(), column: key.clone(), reload };
            view! { <super::week::AppointmentCard appointment=a class colour opened drag/> }
        })
        .collect_view();
    let now_line = now.filter(|n| (first..last).contains(n)).map(|n| {
        view! { <div class=format!("now-line {}", place(first, n, n + 5))><span class="visually-hidden">"Now: " {hhmm(n)}</span></div> }
    });
    let drop = use_context::<ColumnDrop>();
    let this = key.clone();
    let is_target = move || drop.is_some_and(|d| d.over.with(|o| o.as_ref().is_some_and(|(k, _)| *k == this)));
    view! {
        <section class="cal-col" class:drop-target=is_target aria-label=column.title.clone() data-column=key
            data-practitioner=column.practitioner_id.clone() data-room=column.room_id.clone()>
            {slots}
            {blocked}
            {cards}
            {now_line}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ambula_domain::scheduling::AppointmentStatus;

    fn appt(start_min: u32, end_min: u32) -> Appointment {
        Appointment {
            id: String::new(),
            version: 1,
            patient_name: String::new(),
            practitioner_id: String::new(),
            practitioner_name: String::new(),
            practitioner_colour: String::new(),
            room_id: String::new(),
            room_name: String::new(),
            type_id: String::new(),
            type_name: String::new(),
            type_colour: String::new(),
            status: AppointmentStatus::Booked,
            series: false,
            date: String::new(),
            start: String::new(),
            end: String::new(),
            duration_minutes: end_min - start_min,
            start_min,
            end_min,
            notes: String::new(),
            cancel_reason: String::new(),
            override_reason: String::new(),
        }
    }

    #[test]
    fn places_on_five_minute_rows_from_the_first_hour_shown() {
        assert_eq!(place(480, 480, 510), "r1 h6");
        assert_eq!(place(480, 545, 560), "r14 h3");
        // Never a zero-height item, and clamped at the top.
        assert_eq!(place(480, 600, 600), "r25 h1");
        assert_eq!(place(480, 400, 490), "r1 h2");
        assert_eq!(hhmm(545), "09:05");
    }

    #[test]
    fn overlapping_appointments_get_lanes_side_by_side() {
        let list = [appt(540, 570), appt(555, 585), appt(600, 630), appt(540, 560)];
        let lanes = lanes(&list);
        assert_eq!(lanes[3], (0, 3));
        assert_eq!(lanes[0], (1, 3));
        assert_eq!(lanes[1], (2, 3));
        // After the cluster ends, back to one full-width lane.
        assert_eq!(lanes[2], (0, 1));
    }

    #[test]
    fn the_rows_cover_hours_and_appointments_in_whole_hours() {
        let working = [crate::scheduling_api::Span { start_min: 540, end_min: 1080, label: String::new() }];
        let late = [appt(1170, 1200)];
        assert_eq!(range([(&working[..], &[][..])].into_iter()), (480, 1080));
        assert_eq!(range([(&working[..], &late[..])].into_iter()), (480, 1200));
        let early = [appt(425, 445)];
        assert_eq!(range([(&[][..], &early[..])].into_iter()), (420, 1080));
    }
}
