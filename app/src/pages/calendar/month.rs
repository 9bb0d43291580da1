//! The month overview: how many appointments each day has, each day a
//! link to its day view.

use super::{error_view, parse_date, Query};
use crate::scheduling_api::{calendar_month, calendar_month_live};
use chrono::{Datelike, Months};
use leptos::{either::Either, prelude::*};
use leptos_router::components::A;

#[component]
pub fn MonthTab(q: Memo<Query>) -> impl IntoView {
    let key = Memo::new(move |_| parse_date(&q.get().date).map(|d| (d.year(), d.month())).unwrap_or((0, 0)));
    let live = StoredValue::new(false);
    let data = Resource::new(move || key.get(), move |(y, m)| {
        let background = live.get_value();
        live.set_value(false);
        async move { if background { calendar_month_live(y, m).await } else { calendar_month(y, m).await } }
    });
    super::live::live_refresh(Signal::stored(false), move || {
        live.set_value(true);
        data.refetch();
    });
    view! {
        <Transition fallback=|| view! { <div class="skeleton" aria-busy="true">"Loading the month…"</div> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(m) => {
                        let first = chrono::NaiveDate::from_ymd_opt(m.year, m.month, 1);
                        let link = move |months: i32| {
                            let date = first
                                .and_then(|f| if months < 0 { f.checked_sub_months(Months::new(1)) } else { f.checked_add_months(Months::new(1)) })
                                .map(|d| d.to_string())
                                .unwrap_or_default();
                            q.get_untracked().with(|n| n.date = date).href()
                        };
                        let lead = m.days.first().map(|d| d.1).unwrap_or(0) as usize;
                        let mut cells: Vec<Option<(String, u32)>> = vec![None; lead];
                        cells.extend(m.days.iter().map(|(d, _, n)| Some((d.clone(), *n))));
                        while !cells.len().is_multiple_of(7) {
                            cells.push(None);
                        }
                        let rows = cells.chunks(7).map(|week| {
                            let tds = week.iter().map(|cell| match cell {
                                Some((date, n)) => {
                                    let href = q.get_untracked().with(|x| { x.view = String::new(); x.date = date.clone(); }).href();
                                    let day = parse_date(date).map(|d| d.day()).unwrap_or(0);
                                    let text = match n { 0 => "no appointments".to_owned(), 1 => "1 appointment".to_owned(), n => format!("{n} appointments") };
                                    Either::Left(view! { <td><A href=href>{day} <span class="count">{text}</span></A></td> })
                                }
                                None => Either::Right(view! { <td></td> }),
                            }).collect_view();
                            view! { <tr>{tds}</tr> }
                        }).collect_view();
                        Either::Left(view! {
                            <h2>{m.title.clone()}</h2>
                            <div class="cal-toolbar">
                                <A href=link(-1) attr:class="button secondary">"← Previous month"</A>
                                <A href=link(1) attr:class="button secondary">"Next month →"</A>
                            </div>
                            <table class="month">
                                <caption class="visually-hidden">"Appointments per day in " {m.title.clone()}</caption>
                                <thead><tr>
                                    {["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].map(|d| view! { <th scope="col">{d}</th> }).collect_view()}
                                </tr></thead>
                                <tbody>{rows}</tbody>
                            </table>
                        })
                    }
                    Err(e) => Either::Right(error_view(e)),
                }
            })}
        </Transition>
    }
}
