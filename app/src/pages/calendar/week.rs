//! A practitioner's week as a time grid (a column per day, like the day
//! view's columns, with a table of the same week for screen readers and
//! print), and the appointment card shared with the day view: it can be
//! dragged to move it (also across columns) or resized by its lower edge;
//! the card's dialog does the same from the keyboard.

use super::{
    colour_of,
    day::{hhmm, place, range, BookingStart, ColumnDrop, DayColumn},
    dialogs, error_view, load_choices, parse_date, ColourBy, DateJump, Query,
};
use crate::scheduling_api::{appointment_reschedule, calendar_week, calendar_week_live, Appointment, Column, WeekData, WeekDayData};
use ambula_domain::{accounts::NoExtraFields, scheduling::{AppointmentStatus, RescheduleForm}};
use chrono::Duration;
use leptos::{either::Either, prelude::*};
use leptos_router::{components::A, hooks::use_navigate};

/// Pixels per 5-minute row (matches `grid-auto-rows` in the stylesheet).
const ROW_PX: i32 = 6;

#[derive(Clone, Copy, PartialEq)]
enum Drag {
    Move,
    Resize,
}

/// What a card needs to be dragged: the first minute shown, the grid, the
/// column's date and key (see `day::ColumnDrop`), and what to do after.
#[derive(Clone)]
pub struct DragSetup {
    pub first: u32,
    pub grid: u32,
    pub date: String,
    pub column: String,
    pub reload: Callback<String>,
}

/// The key and title of the grid column under a point, if any.
fn column_at(x: i32, y: i32) -> Option<(String, String)> {
    let element = document().element_from_point(x as f32, y as f32)?;
    let column = element.closest(".cal-col").ok()??;
    Some((column.get_attribute("data-column")?, column.get_attribute("aria-label").unwrap_or_default()))
}

/// The move that dropping on column `key` means: another practitioner, room
/// (or none) or day.
fn across(form: &mut RescheduleForm, key: &str) {
    if let Some(p) = key.strip_prefix("p:") {
        form.practitioner_id = p.to_owned();
    } else if let Some(r) = key.strip_prefix("r:") {
        // "none" takes it out of its room (see `RescheduleForm::room_id`).
        form.room_id = r.to_owned();
    } else if let Some(d) = key.strip_prefix("d:") {
        form.date = d.to_owned();
    }
}

/// With `drag` (the day and week grids) the card can be moved with the
/// pointer, also across columns (to another practitioner, room or day),
/// or resized by its lower edge.
#[component]
pub fn AppointmentCard(
    appointment: Appointment,
    #[prop(into)] class: String,
    colour: Memo<ColourBy>,
    opened: RwSignal<Option<Appointment>>,
    #[prop(optional)] drag: Option<DragSetup>,
) -> impl IntoView {
    let a = appointment;
    let movable = matches!(a.status, AppointmentStatus::Booked | AppointmentStatus::Confirmed) && drag.is_some();
    let drop = use_context::<ColumnDrop>();
    let offset = RwSignal::new(0i32);
    let grow = RwSignal::new(0i32);
    // The mode and where the pointer went down.
    let dragging = RwSignal::new(None::<(Drag, i32, i32)>);
    let moved = RwSignal::new(false);
    let (first, grid) = drag.as_ref().map(|d| (d.first, d.grid)).unwrap_or((0, 5));
    let own_column = drag.as_ref().map(|d| d.column.clone()).unwrap_or_default();
    let (start_min, end_min) = (a.start_min, a.end_min);
    let base_class = class.clone();
    let lane_class: String = base_class.split(' ').filter(|c| c.starts_with("lane")).collect::<Vec<_>>().join(" ");
    let dragged_view = drag.is_some();
    let card_class = move || {
        let (o, g) = (offset.get(), grow.get());
        let placed = if dragged_view && (o != 0 || g != 0) {
            let start = (start_min as i32 + o).max(0) as u32;
            let end = (end_min as i32 + o + g).max(start as i32 + 5) as u32;
            format!("{} {lane_class}", place(first, start, end))
        } else {
            base_class.clone()
        };
        format!(
            "appt st-{} {placed}{}",
            a.status.as_str(),
            if dragging.get().is_some() { " dragging" } else { "" }
        )
    };
    let snap = move |dy: i32| {
        let minutes = (dy as f64 / ROW_PX as f64 * 5.0) as i32;
        let g = grid as i32;
        ((minutes as f64 / g as f64).round() as i32) * g
    };
    let pointer_down = move |mode: Drag, ev: leptos::ev::PointerEvent| {
        if !movable || ev.button() != 0 {
            return;
        }
        ev.stop_propagation();
        if let Some(target) = ev.current_target() {
            use leptos::wasm_bindgen::JsCast;
            if let Ok(el) = target.dyn_into::<leptos::web_sys::Element>() {
                let _ = el.set_pointer_capture(ev.pointer_id());
            }
        }
        moved.set(false);
        dragging.set(Some((mode, ev.client_x(), ev.client_y())));
    };
    let own = own_column.clone();
    let pointer_move = move |ev: leptos::ev::PointerEvent| {
        let Some((mode, x0, y0)) = dragging.get_untracked() else { return };
        let delta = snap(ev.client_y() - y0);
        if (ev.client_y() - y0).abs() > 3 || (ev.client_x() - x0).abs() > 3 {
            moved.set(true);
        }
        match mode {
            Drag::Move => {
                offset.set(delta);
                if let Some(drop) = drop {
                    // Another column under the pointer is the drop target.
                    let target = column_at(ev.client_x(), ev.client_y()).filter(|(key, _)| *key != own);
                    if drop.over.with_untracked(|o| *o != target) {
                        drop.over.set(target);
                    }
                }
            }
            Drag::Resize => grow.set(delta.max(5 - (end_min as i32 - start_min as i32))),
        }
    };
    let id = a.id.clone();
    let version = a.version;
    let date = drag.as_ref().map(|d| d.date.clone()).unwrap_or_default();
    let reload = drag.as_ref().map(|d| d.reload);
    let duration = a.duration_minutes;
    let pointer_up = move |_ev: leptos::ev::PointerEvent| {
        let Some((mode, _, _)) = dragging.get_untracked() else { return };
        dragging.set(None);
        let target = drop.and_then(|d| {
            let target = d.over.get_untracked();
            d.over.set(None);
            target
        });
        let target = target.filter(|_| mode == Drag::Move);
        let (o, g) = (offset.get_untracked(), grow.get_untracked());
        if o == 0 && g == 0 && target.is_none() {
            return;
        }
        let start = (start_min as i32 + o).clamp(0, 24 * 60 - 5) as u32;
        let mut form = RescheduleForm {
            date: date.clone(),
            time: hhmm(start),
            duration_minutes: if mode == Drag::Resize { ((duration as i32 + g).max(5)).to_string() } else { String::new() },
            expected_version: version.to_string(),
            ..Default::default()
        };
        if let Some((key, _)) = &target {
            across(&mut form, key);
        }
        let (id, reload) = (id.clone(), reload);
        leptos::task::spawn_local(async move {
            let message = match appointment_reschedule(id, form.clone(), NoExtraFields).await {
                Ok(_) if mode == Drag::Resize => format!("Appointment now ends {} minutes later than before.", g),
                Ok(_) => match &target {
                    Some((_, title)) => format!("Appointment moved to {}, {title}.", form.time),
                    None => format!("Appointment moved to {}.", form.time),
                },
                Err(e) => {
                    let detail = ["time", "practitioner_id", "room_id", "patient_id", "duration_minutes", "expected_version", "status"]
                        .iter()
                        .find_map(|f| e.field(f))
                        .unwrap_or_else(|| e.summary());
                    // A clash may be overridden, with a reason, from the
                    // appointment's dialog (for roles allowed to).
                    let hint = if ["time", "room_id", "patient_id"].iter().any(|f| e.field(f).is_some()) {
                        " Open the appointment to choose another time, or to move it anyway where your role allows."
                    } else {
                        ""
                    };
                    format!("Not moved: {detail}{hint}")
                }
            };
            offset.set(0);
            grow.set(0);
            if let Some(reload) = reload {
                reload.run(message);
            }
        });
    };
    let card = a.clone();
    let open = move |_| {
        if moved.get_untracked() {
            moved.set(false);
            return;
        }
        opened.set(Some(card.clone()));
    };
    let fill = Signal::derive({
        let a = a.clone();
        move || colour_of(&a, colour.get())
    });
    let room = (!a.room_name.is_empty()).then(|| format!(" · {}", a.room_name));
    view! {
        <button type="button" class=card_class on:click=open data-appointment=a.id.clone()
            on:pointerdown=move |ev| pointer_down(Drag::Move, ev) on:pointermove=pointer_move on:pointerup=pointer_up.clone()>
            <svg class="bar" aria-hidden="true" viewBox="0 0 6 10" preserveAspectRatio="none"><rect width="6" height="10" fill=fill/></svg>
            <span class="text">
                <strong class="who">{a.patient_name.clone()}</strong>
                {a.start.clone()} "–" {a.end.clone()} " · " {a.type_name.clone()} {room}
                <br/>
                <span class="status-text">{a.status.icon()} " " {a.status.label()}</span>
                {a.series.then_some(" · series")}
            </span>
            {movable.then(|| view! {
                <span class="resize-handle" aria-hidden="true" on:pointerdown=move |ev| pointer_down(Drag::Resize, ev)></span>
            })}
        </button>
    }
}

#[component]
pub fn WeekTab(q: Memo<Query>) -> impl IntoView {
    let choices = Resource::new(|| (), |_| load_choices());
    view! {
        <Transition fallback=|| view! { <div class="skeleton" aria-busy="true">"Loading…"</div> }>
            {move || Suspend::new(async move {
                match choices.await {
                    Ok(c) => Either::Left(view! { <WeekBody q choices=c/> }),
                    Err(e) => Either::Right(error_view(e)),
                }
            })}
        </Transition>
    }
}

#[component]
fn WeekBody(q: Memo<Query>, choices: super::Choices) -> impl IntoView {
    let first = choices.practitioners.first().map(|p| p.id.clone()).unwrap_or_default();
    let key = Memo::new(move |_| {
        let q = q.get();
        (if q.practitioner.is_empty() { first.clone() } else { q.practitioner }, q.date)
    });
    let live = StoredValue::new(false);
    let data = Resource::new(move || key.get(), move |(p, d)| {
        let background = live.get_value();
        live.set_value(false);
        async move { if background { calendar_week_live(p, d).await } else { calendar_week(p, d).await } }
    });
    let opened = RwSignal::new(None::<Appointment>);
    let booking = RwSignal::new(None::<BookingStart>);
    let notice = RwSignal::new(None::<String>);
    let colour = Memo::new(move |_| q.get().colour_by());
    let reload = Callback::new(move |message: String| {
        notice.set(Some(message));
        opened.set(None);
        booking.set(None);
        data.refetch();
    });
    super::live::live_refresh(Signal::derive(move || booking.get().is_some() || opened.get().is_some()), move || {
        live.set_value(true);
        data.refetch();
    });
    let navigate = use_navigate();
    let on_practitioner = move |ev: leptos::ev::Event| {
        let p = event_target_value(&ev);
        navigate(&q.get_untracked().with(|n| n.practitioner = p).href(), Default::default());
    };
    let selected = key.get_untracked().0;
    let options = choices
        .practitioners
        .iter()
        .map(|p| view! { <option value=p.id.clone() selected=p.id == selected>{p.name.clone()}</option> })
        .collect_view();
    view! {
        <div class="cal-toolbar">
            <div class="field">
                <label for="week-practitioner">"Practitioner"</label>
                <select id="week-practitioner" on:change=on_practitioner>{options}</select>
            </div>
        </div>
        <div class="status" role="status">{move || notice.get().map(|m| view! { <p>{m}</p> })}</div>
        <Transition fallback=|| view! { <div class="skeleton" aria-busy="true">"Loading the week…"</div> }>
            {move || {
                let choices = choices.clone();
                Suspend::new(async move {
                match data.await {
                    Ok(w) => {
                        let monday = w.days.first().and_then(|d| parse_date(&d.date));
                        let shift = move |days: i64| {
                            let date = monday.map(|d| (d + Duration::days(days)).to_string()).unwrap_or_default();
                            q.get_untracked().with(|n| n.date = date).href()
                        };
                        let can_override = w.can_override;
                        let today = w.days.first().map(|d| d.date.clone()).unwrap_or_default();
                        let (c, c2) = (choices.clone(), choices.clone());
                        let table_days = w.days.clone();
                        let (name, time_zone, grid) = (w.practitioner_name.clone(), w.time_zone.clone(), w.grid_minutes);
                        Either::Left(view! {
                            <h2>{name} ", week of " {monday.map(|m| m.format("%-d %B %Y").to_string())}</h2>
                            <p class="cal-meta">"Times in " {time_zone} " · grid " {grid} " minutes"</p>
                            <div class="cal-toolbar">
                                <A href=shift(-7) attr:class="button secondary">"← Previous week"</A>
                                <A href=shift(7) attr:class="button secondary">"Next week →"</A>
                                <DateJump q value=Signal::derive(move || monday.map(|m| m.to_string()).unwrap_or_default())/>
                            </div>
                            <WeekGrid q week=w colour booking opened reload/>
                            <WeekTable days=table_days/>
                            {move || opened.get().map(|a| view! {
                                <dialogs::AppointmentDialog appointment=a can_override today=today.clone() choices=c2.clone()
                                    on_close=Callback::new(move |_| opened.set(None)) on_done=reload/>
                            })}
                            {move || booking.get().map(|start| view! {
                                <dialogs::BookingDialog start choices=c.clone() can_override
                                    on_close=Callback::new(move |_| booking.set(None)) on_done=reload/>
                            })}
                        })
                    }
                    Err(e) => Either::Right(error_view(e)),
                }
            })}}
        </Transition>
    }
}

/// The week on the clinic's time grid: a column per day, hours shaded,
/// time off labelled, the current time marked, appointments at their
/// times (and draggable, also to another day).
#[component]
fn WeekGrid(
    q: Memo<Query>,
    week: WeekData,
    colour: Memo<ColourBy>,
    booking: RwSignal<Option<BookingStart>>,
    opened: RwSignal<Option<Appointment>>,
    reload: Callback<String>,
) -> impl IntoView {
    let (first, last) = range(week.days.iter().map(|d| (d.working.as_slice(), d.appointments.as_slice())));
    let hours: Vec<u32> = (first / 60..last.div_ceil(60)).collect();
    provide_context(ColumnDrop { over: RwSignal::new(None) });
    // Unlike the day view's, these heads are links (to the day), so they
    // stay visible to assistive technology.
    let heads = week
        .days
        .iter()
        .map(|d| {
            let href = q.get_untracked().with(|n| { n.view = String::new(); n.date = d.date.clone(); }).href();
            let today = (d.date == week.today).then_some(" (today)");
            let title = d.title.clone();
            view! { <div class="col-head"><A href=href>{title}</A>{today}</div> }
        })
        .collect_view();
    let (today, now_min, grid, practitioner) = (week.today.clone(), week.now_min, week.grid_minutes, week.practitioner_id.clone());
    let columns = week
        .days
        .into_iter()
        .map(|d| {
            let now = if d.date == today { now_min } else { None };
            let key = format!("d:{}", d.date);
            let column = Column {
                title: d.title,
                practitioner_id: practitioner.clone(),
                room_id: String::new(),
                colour: String::new(),
                working: d.working,
                blocked: d.blocked,
                appointments: d.appointments,
            };
            view! { <DayColumn column key date=d.date grid first last now colour booking opened reload/> }
        })
        .collect_view();
    view! {
        <div class="day-scroll week-scroll">
            <div class="day-head"><div class="axis-head"></div>{heads}</div>
            <div class="day-grid">
                <div class="axis" aria-hidden="true">
                    {hours.into_iter().map(|h| view! { <div class=format!("hour {}", place(first, h * 60, h * 60 + 60))>{hhmm(h * 60)}</div> }).collect_view()}
                </div>
                {columns}
            </div>
        </div>
    }
}

/// The same week as a table: hours, time off and appointments in text, for
/// screen readers and anyone who prefers a list.
#[component]
fn WeekTable(days: Vec<WeekDayData>) -> impl IntoView {
    let rows = days
        .into_iter()
        .map(|d| {
            let hours: Vec<String> = d.working.iter().map(|s| format!("{}–{}", hhmm(s.start_min), hhmm(s.end_min))).collect();
            let hours = if hours.is_empty() { "Not working".to_owned() } else { hours.join(", ") };
            let off: Vec<String> = d.blocked.iter().map(|b| format!("{}–{} {}", hhmm(b.start_min), hhmm(b.end_min), b.label)).collect();
            let appointments = if d.appointments.is_empty() {
                Either::Left(view! { "None" })
            } else {
                Either::Right(view! {
                    <ul>
                        {d.appointments.into_iter().map(|a| {
                            let room = (!a.room_name.is_empty()).then(|| format!(" · {}", a.room_name));
                            view! { <li>{format!("{}–{} {} · {}", a.start, a.end, a.patient_name, a.type_name)}{room}{format!(" · {}", a.status.label())}</li> }
                        }).collect_view()}
                    </ul>
                })
            };
            view! {
                <tr>
                    <th scope="row">{d.title}</th>
                    <td>{hours}{off.into_iter().map(|o| view! { <br/>{o} }).collect_view()}</td>
                    <td>{appointments}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <details class="week-table">
            <summary>"The week as a table"</summary>
            <table>
                <thead><tr><th scope="col">"Day"</th><th scope="col">"Hours"</th><th scope="col">"Appointments"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </details>
    }
}
