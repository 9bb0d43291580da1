//! A practitioner's week, and the appointment card shared with the day
//! view (where it can also be dragged to move it or resized by its lower
//! edge; the card's dialog does the same from the keyboard).

use super::{colour_of, day::{hhmm, place, BookingStart}, dialogs, error_view, load_choices, parse_date, ColourBy, DateJump, Query};
use crate::scheduling_api::{appointment_reschedule, calendar_week, Appointment};
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

/// `drag`: in the day view, (first minute shown, grid, date, reload) so the
/// card can be moved or resized with the pointer.
#[component]
pub fn AppointmentCard(
    appointment: Appointment,
    #[prop(into)] class: String,
    colour: Memo<ColourBy>,
    opened: RwSignal<Option<Appointment>>,
    #[prop(optional)] drag: Option<(u32, u32, String, Callback<String>)>,
) -> impl IntoView {
    let a = appointment;
    let movable = matches!(a.status, AppointmentStatus::Booked | AppointmentStatus::Confirmed) && drag.is_some();
    let offset = RwSignal::new(0i32);
    let grow = RwSignal::new(0i32);
    let dragging = RwSignal::new(None::<(Drag, i32)>);
    let moved = RwSignal::new(false);
    let (first, grid) = drag.as_ref().map(|(f, g, _, _)| (*f, *g)).unwrap_or((0, 5));
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
        dragging.set(Some((mode, ev.client_y())));
    };
    let pointer_move = move |ev: leptos::ev::PointerEvent| {
        let Some((mode, y0)) = dragging.get_untracked() else { return };
        let delta = snap(ev.client_y() - y0);
        if (ev.client_y() - y0).abs() > 3 {
            moved.set(true);
        }
        match mode {
            Drag::Move => offset.set(delta),
            Drag::Resize => grow.set(delta.max(5 - (end_min as i32 - start_min as i32))),
        }
    };
    let id = a.id.clone();
    let version = a.version;
    let date = drag.as_ref().map(|(_, _, d, _)| d.clone()).unwrap_or_default();
    let reload = drag.as_ref().map(|(_, _, _, r)| *r);
    let duration = a.duration_minutes;
    let pointer_up = move |_ev: leptos::ev::PointerEvent| {
        let Some((mode, _)) = dragging.get_untracked() else { return };
        dragging.set(None);
        let (o, g) = (offset.get_untracked(), grow.get_untracked());
        if o == 0 && g == 0 {
            return;
        }
        let start = (start_min as i32 + o).clamp(0, 24 * 60 - 5) as u32;
        let form = RescheduleForm {
            date: date.clone(),
            time: hhmm(start),
            duration_minutes: if mode == Drag::Resize { ((duration as i32 + g).max(5)).to_string() } else { String::new() },
            expected_version: version.to_string(),
            ..Default::default()
        };
        let (id, reload) = (id.clone(), reload);
        leptos::task::spawn_local(async move {
            let message = match appointment_reschedule(id, form.clone(), NoExtraFields).await {
                Ok(_) if mode == Drag::Resize => format!("Appointment now ends {} minutes later than before.", g),
                Ok(_) => format!("Appointment moved to {}.", form.time),
                Err(e) => {
                    let detail = ["time", "room_id", "duration_minutes", "expected_version", "status"]
                        .iter()
                        .find_map(|f| e.field(f))
                        .unwrap_or_else(|| e.summary());
                    format!("Not moved: {detail}")
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
    let data = Resource::new(move || key.get(), |(p, d)| calendar_week(p, d));
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
    super::live::live_refresh(Signal::derive(move || booking.get().is_some() || opened.get().is_some()), move || data.refetch());
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
                        let practitioner = w.practitioner_id.clone();
                        let days = w.days.into_iter().map(|d| {
                            let day_href = q.get_untracked().with(|n| { n.view = String::new(); n.date = d.date.clone(); }).href();
                            let hours: Vec<String> = d.working.iter().map(|s| format!("{}–{}", hhmm(s.start_min), hhmm(s.end_min))).collect();
                            let hours = if hours.is_empty() { "Not working".to_owned() } else { hours.join(", ") };
                            let start = BookingStart { date: d.date.clone(), time: String::new(), practitioner_id: practitioner.clone(), room_id: String::new() };
                            let title = d.title.clone();
                            view! {
                                <section class="week-day" aria-label=title>
                                    <h3><A href=day_href>{d.title.clone()}</A></h3>
                                    <p class="off">{hours}</p>
                                    {d.blocked.iter().map(|b| view! { <p class="off">{format!("{}–{} {}", hhmm(b.start_min), hhmm(b.end_min), b.label)}</p> }).collect_view()}
                                    <ul>
                                        {d.appointments.into_iter().map(|a| view! { <li><AppointmentCard appointment=a class="" colour opened/></li> }).collect_view()}
                                    </ul>
                                    <button type="button" class="secondary" on:click=move |_| booking.set(Some(start.clone()))>"Book on this day"</button>
                                </section>
                            }
                        }).collect_view();
                        let c = choices.clone();
                        Either::Left(view! {
                            <h2>{w.practitioner_name.clone()} ", week of " {monday.map(|m| m.format("%-d %B %Y").to_string())}</h2>
                            <p class="cal-meta">"Times in " {w.time_zone.clone()}</p>
                            <div class="cal-toolbar">
                                <A href=shift(-7) attr:class="button secondary">"← Previous week"</A>
                                <A href=shift(7) attr:class="button secondary">"Next week →"</A>
                                <DateJump q value=Signal::derive(move || monday.map(|m| m.to_string()).unwrap_or_default())/>
                            </div>
                            <div class="week-grid">{days}</div>
                            {move || opened.get().map(|a| view! {
                                <dialogs::AppointmentDialog appointment=a can_override today=today.clone()
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
