//! The staff calendar: a day in columns (by practitioner or room), a
//! practitioner's week and a month's counts, with booking, status changes
//! and moves in dialogs. What is shown lives in the URL's query
//! (`?view=day&date=2026-03-10&by=room&colour=type`), so every view can be
//! linked, reloaded and moved through with ordinary links.

mod day;
mod dialogs;
mod live;
mod month;
pub mod waitlist;
mod week;

pub(crate) use super::staff::error_view;

use crate::{
    error::AppError,
    scheduling_api::{appointment_types, practitioners_list, rooms_list, Appointment, Choice, TypeChoice},
};
use ambula_domain::scheduling::AppointmentStatus;
use chrono::{Datelike, Duration, NaiveDate};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};
use serde::{Deserialize, Serialize};

/// What the calendar shows, from the URL's query.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Query {
    pub view: String,
    pub date: String,
    pub by: String,
    /// The practitioner of the week view.
    pub practitioner: String,
    pub colour: String,
}

impl Query {
    pub fn href(&self) -> String {
        let mut parts = Vec::new();
        for (key, value) in [
            ("view", &self.view),
            ("date", &self.date),
            ("by", &self.by),
            ("p", &self.practitioner),
            ("colour", &self.colour),
        ] {
            if !value.is_empty() {
                parts.push(format!("{key}={value}"));
            }
        }
        if parts.is_empty() {
            "/app/calendar".to_owned()
        } else {
            format!("/app/calendar?{}", parts.join("&"))
        }
    }

    pub fn with(&self, f: impl FnOnce(&mut Query)) -> Query {
        let mut next = self.clone();
        f(&mut next);
        next
    }

    pub fn colour_by(&self) -> ColourBy {
        match self.colour.as_str() {
            "type" => ColourBy::Type,
            "status" => ColourBy::Status,
            _ => ColourBy::Practitioner,
        }
    }
}

/// Which colour the appointment's bar shows. Text always says the same
/// (practitioner, type, status with its icon), so colour is never the
/// only signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColourBy {
    Practitioner,
    Type,
    Status,
}

/// A status's colour, for "colour by status".
pub fn status_colour(status: AppointmentStatus) -> &'static str {
    match status {
        AppointmentStatus::Booked => "#1d4ed8",
        AppointmentStatus::Confirmed => "#047857",
        AppointmentStatus::Arrived => "#b45309",
        AppointmentStatus::InConsultation => "#7c3aed",
        AppointmentStatus::Completed => "#4a5563",
        AppointmentStatus::Cancelled => "#a3122a",
        AppointmentStatus::LateCancelled => "#9d174d",
        AppointmentStatus::NoShow => "#1b2430",
    }
}

pub fn colour_of(a: &Appointment, by: ColourBy) -> String {
    match by {
        ColourBy::Practitioner => a.practitioner_colour.clone(),
        ColourBy::Type => a.type_colour.clone(),
        ColourBy::Status => status_colour(a.status).to_owned(),
    }
}

/// The pickers' lists for the booking and move dialogs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Choices {
    pub types: Vec<TypeChoice>,
    pub rooms: Vec<Choice>,
    pub practitioners: Vec<Choice>,
}

async fn load_choices() -> Result<Choices, AppError> {
    Ok(Choices { types: appointment_types().await?, rooms: rooms_list().await?, practitioners: practitioners_list().await? })
}

pub fn parse_date(raw: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok()
}

/// The Monday on or before `date`: weeks start on Monday.
pub fn monday_of(date: NaiveDate) -> NaiveDate {
    date - Duration::days(date.weekday().num_days_from_monday().into())
}

#[component]
pub fn CalendarPage() -> impl IntoView {
    let query = use_query_map();
    let q = Memo::new(move |_| {
        let m = query.get();
        Query {
            view: m.get("view").unwrap_or_default(),
            date: m.get("date").unwrap_or_default(),
            by: m.get("by").unwrap_or_default(),
            practitioner: m.get("p").unwrap_or_default(),
            colour: m.get("colour").unwrap_or_default(),
        }
    });
    let view_kind = Memo::new(move |_| q.get().view);
    let tab = move |kind: &'static str, label: &'static str| {
        let href = move || q.get().with(|n| n.view = if kind == "day" { String::new() } else { kind.to_owned() }).href();
        let current = move || {
            let v = view_kind.get();
            (v == kind || (kind == "day" && v.is_empty())).then_some("page")
        };
        view! { <li><a href=href aria-current=current>{label}</a></li> }
    };
    view! {
        <Title text="Calendar · Ambula"/>
        <div class="page-head">
            <h1>"Calendar"</h1>
            // Rooms, types, hours, time off, reminders, feeds (managers).
            <a class="secondary-link" href="/app/settings/calendar">"Calendar set-up"</a>
            <a class="secondary-link" href="/app/calendar/waitlist">"Waitlist"</a>
        </div>
        <nav aria-label="Calendar views">
            <ul class="cal-tabs">
                {tab("day", "Day")}
                {tab("week", "Week")}
                {tab("month", "Month")}
            </ul>
        </nav>
        {move || match view_kind.get().as_str() {
            "week" => leptos::either::EitherOf3::B(view! { <week::WeekTab q/> }),
            "month" => leptos::either::EitherOf3::C(view! { <month::MonthTab q/> }),
            _ => leptos::either::EitherOf3::A(view! { <day::DayTab q/> }),
        }}
    }
}

/// A date input that opens the calendar on the chosen date.
#[component]
fn DateJump(q: Memo<Query>, #[prop(into)] value: Signal<String>) -> impl IntoView {
    let navigate = use_navigate();
    let on_change = move |ev: leptos::ev::Event| {
        let date = event_target_value(&ev);
        if parse_date(&date).is_some() {
            navigate(&q.get_untracked().with(|n| n.date = date).href(), Default::default());
        }
    };
    view! {
        <div class="field">
            <label for="cal-date">"Go to date"</label>
            <input id="cal-date" type="date" prop:value=move || value.get() on:change=on_change/>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_round_trips_to_links_without_empty_parts() {
        assert_eq!(Query::default().href(), "/app/calendar");
        let q = Query { view: "week".into(), date: "2026-03-10".into(), practitioner: "p1".into(), ..Default::default() };
        assert_eq!(q.href(), "/app/calendar?view=week&date=2026-03-10&p=p1");
        assert_eq!(q.with(|n| n.colour = "type".into()).colour_by(), ColourBy::Type);
        let tuesday = NaiveDate::from_ymd_opt(2026, 3, 10).unwrap();
        assert_eq!(monday_of(tuesday), NaiveDate::from_ymd_opt(2026, 3, 9).unwrap());
        assert_eq!(monday_of(NaiveDate::from_ymd_opt(2026, 3, 9).unwrap()), NaiveDate::from_ymd_opt(2026, 3, 9).unwrap());
    }
}
