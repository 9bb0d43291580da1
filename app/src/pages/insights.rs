//! Scheduling insights: appointments per day, cancellation and no-show
//! rates, practitioner utilization over a chosen range. Each chart is an
//! SVG with a title and a one-line description for screen readers, text
//! beside every colour, and a table with the same figures.

use super::staff::error_view;
use crate::{
    components::{field_error, Field, FormAlert},
    insights_api::{scheduling_insights, SchedulingInsights},
};
use ambula_domain::scheduling::insights::{percent_text, DayCount, Summary, Utilization};
use leptos::{either::Either, prelude::*};
use leptos_meta::Title;

/// The four parts of a day's bar, bottom up, with their legend text.
const PARTS: [(&str, &str); 4] = [
    ("attended", "Attended"),
    ("upcoming", "Booked or confirmed"),
    ("no-show", "No-show"),
    ("cancelled", "Cancelled"),
];

fn part_counts(day: &DayCount) -> [u32; 4] {
    [day.attended, day.upcoming, day.no_show, day.cancelled]
}

const CHART_W: f64 = 720.0;
const CHART_H: f64 = 220.0;
const LEFT: f64 = 36.0;
const BOTTOM: f64 = 24.0;
const TOP: f64 = 8.0;

/// One segment of a stacked bar: class, y and height in chart units.
#[derive(Debug, PartialEq)]
struct Segment {
    class: &'static str,
    y: f64,
    height: f64,
}

/// Stacks a day's parts from the baseline up, scaled so `max` fills the
/// plot; empty parts are left out.
fn stack(day: &DayCount, max: u32) -> Vec<Segment> {
    let plot = CHART_H - BOTTOM - TOP;
    let unit = plot / f64::from(max.max(1));
    let mut base = CHART_H - BOTTOM;
    let mut out = Vec::new();
    for ((class, _), n) in PARTS.iter().zip(part_counts(day)) {
        if n == 0 {
            continue;
        }
        let height = unit * f64::from(n);
        base -= height;
        out.push(Segment { class, y: base, height });
    }
    out
}

fn day_text(d: &DayCount) -> String {
    format!(
        "{}: {} appointments ({} attended, {} booked or confirmed, {} no-show, {} cancelled)",
        d.date,
        d.total(),
        d.attended,
        d.upcoming,
        d.no_show,
        d.cancelled
    )
}

#[component]
pub fn InsightsPage() -> impl IntoView {
    let initial = Resource::new(|| (), |_| scheduling_insights(String::new(), String::new()));
    let filter = ServerAction::<SchedulingInsights>::new();
    let result = Signal::derive(move || filter.value().get());
    view! {
        <Title text="Insights · Ambula"/>
        <h1>"Scheduling insights"</h1>
        <ActionForm action=filter attr:class="filters" attr:aria-label="Date range">
            <Field label="From" name="from" kind="date" form="insights" required=false
                hint="Leave both dates empty for the last 30 days." server_error=field_error(result, "from")/>
            <Field label="To" name="to" kind="date" form="insights" required=false server_error=field_error(result, "to")/>
            <button type="submit">"Show"</button>
        </ActionForm>
        <FormAlert value=result/>
        <Suspense fallback=|| view! { <div class="skeleton" aria-busy="true">"Loading…"</div> }>
            {move || {
                // Read before awaiting, so a new range re-renders this.
                let chosen = filter.value().get();
                Suspend::new(async move {
                    let first = initial.await;
                    let shown = match chosen {
                        Some(Ok(summary)) => Ok(summary),
                        _ => first,
                    };
                    match shown {
                        Ok(summary) => Either::Left(view! { <Figures summary/> }),
                        Err(error) => Either::Right(error_view(error)),
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
fn Figures(summary: Summary) -> impl IntoView {
    let Summary { from, to, days, total, cancelled, no_show, cancellation_bp, no_show_bp, utilization } = summary;
    view! {
        <p class="lead" data-testid="insights-range">{format!("{from} to {to}")}</p>
        <ul class="cards" aria-label="Totals">
            <li class="card"><span class="figure">{total}</span><span class="caption">"appointments"</span></li>
            <li class="card">
                <span class="figure">{percent_text(cancellation_bp)}</span>
                <span class="caption">{format!("cancellation rate ({cancelled} cancelled)")}</span>
            </li>
            <li class="card">
                <span class="figure">{percent_text(no_show_bp)}</span>
                <span class="caption">{format!("no-show rate ({no_show} no-shows)")}</span>
            </li>
        </ul>
        <section class="chart-block" aria-labelledby="per-day-heading">
            <h2 id="per-day-heading">"Appointments per day"</h2>
            <PerDayChart days=days.clone()/>
            <ul class="legend" aria-label="Legend">
                {PARTS.iter().map(|(class, label)| view! {
                    <li><span class=format!("swatch {class}") aria-hidden="true"></span>{*label}</li>
                }).collect_view()}
            </ul>
            <details>
                <summary>"Appointments per day as a table"</summary>
                <PerDayTable days/>
            </details>
        </section>
        <section class="chart-block" aria-labelledby="utilization-heading">
            <h2 id="utilization-heading">"Practitioner utilization"</h2>
            <p class="hint">"Booked time (not cancelled) as a share of working hours, less time off."</p>
            <UtilizationChart rows=utilization.clone()/>
            <details>
                <summary>"Utilization as a table"</summary>
                <UtilizationTable rows=utilization/>
            </details>
        </section>
    }
}

#[component]
fn PerDayChart(days: Vec<DayCount>) -> impl IntoView {
    let max = days.iter().map(DayCount::total).max().unwrap_or(0);
    let busiest = days.iter().max_by_key(|d| d.total()).filter(|d| d.total() > 0);
    let description = match busiest {
        Some(d) => format!(
            "{} appointments over {} days; the busiest day was {} with {}.",
            days.iter().map(DayCount::total).sum::<u32>(),
            days.len(),
            d.date,
            d.total()
        ),
        None => format!("No appointments in these {} days.", days.len()),
    };
    let slot = (CHART_W - LEFT) / days.len().max(1) as f64;
    let bar = (slot * 0.8).max(1.0);
    let labels: Vec<(f64, String)> = match (days.first(), days.last()) {
        (Some(first), Some(last)) if days.len() > 1 => vec![
            (LEFT, first.date.format("%d %b").to_string()),
            (CHART_W, last.date.format("%d %b").to_string()),
        ],
        (Some(only), _) => vec![(LEFT, only.date.format("%d %b").to_string())],
        _ => Vec::new(),
    };
    let anchors = ["start", "end"];
    view! {
        <svg class="chart per-day" viewBox=format!("0 0 {CHART_W} {CHART_H}") role="img"
            aria-labelledby="per-day-svg-title per-day-svg-desc" preserveAspectRatio="none">
            <title id="per-day-svg-title">"Appointments per day"</title>
            <desc id="per-day-svg-desc">{description}</desc>
            <line class="axis" x1=LEFT y1=CHART_H - BOTTOM x2=CHART_W y2=CHART_H - BOTTOM></line>
            <text class="tick" x=LEFT - 4.0 y=TOP + 10.0 text-anchor="end">{max}</text>
            <text class="tick" x=LEFT - 4.0 y=CHART_H - BOTTOM text-anchor="end">"0"</text>
            {days.iter().enumerate().map(|(i, d)| {
                let x = LEFT + slot * i as f64 + (slot - bar) / 2.0;
                view! {
                    <g class="bar">
                        <title>{day_text(d)}</title>
                        {stack(d, max).into_iter().map(|s| view! {
                            <rect class=s.class x=x y=s.y width=bar height=s.height></rect>
                        }).collect_view()}
                    </g>
                }
            }).collect_view()}
            {labels.into_iter().zip(anchors).map(|((x, text), anchor)| view! {
                <text class="tick" x=x y=CHART_H - 6.0 text-anchor=anchor>{text}</text>
            }).collect_view()}
        </svg>
    }
}

#[component]
fn PerDayTable(days: Vec<DayCount>) -> impl IntoView {
    view! {
        <table class="data per-day-table">
            <thead>
                <tr>
                    <th scope="col">"Date"</th>
                    <th scope="col">"Total"</th>
                    <th scope="col">"Attended"</th>
                    <th scope="col">"Booked or confirmed"</th>
                    <th scope="col">"No-show"</th>
                    <th scope="col">"Cancelled"</th>
                </tr>
            </thead>
            <tbody>
                {days.into_iter().map(|d| view! {
                    <tr>
                        <th scope="row">{d.date.to_string()}</th>
                        <td>{d.total()}</td>
                        <td>{d.attended}</td>
                        <td>{d.upcoming}</td>
                        <td>{d.no_show}</td>
                        <td>{d.cancelled}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

const ROW_H: f64 = 28.0;
const NAME_W: f64 = 180.0;

#[component]
fn UtilizationChart(rows: Vec<Utilization>) -> impl IntoView {
    if rows.is_empty() {
        return Either::Left(view! { <p class="empty">"No practitioners yet."</p> });
    }
    let height = ROW_H * rows.len() as f64 + 4.0;
    let track = CHART_W - NAME_W - 70.0;
    let description = rows
        .iter()
        .map(|u| format!("{}: {}", u.name, u.percent().map_or("no working hours".to_owned(), |p| format!("{p} %"))))
        .collect::<Vec<_>>()
        .join("; ");
    Either::Right(view! {
        <svg class="chart utilization" viewBox=format!("0 0 {CHART_W} {height}") role="img"
            aria-labelledby="utilization-svg-title utilization-svg-desc">
            <title id="utilization-svg-title">"Practitioner utilization"</title>
            <desc id="utilization-svg-desc">{description}</desc>
            {rows.into_iter().enumerate().map(|(i, u)| {
                let y = ROW_H * i as f64 + 4.0;
                // Over 100 % (booked over hours with an override) is drawn full.
                let share = f64::from(u.percent().unwrap_or(0).min(100)) / 100.0;
                let text = u.percent().map_or("no hours".to_owned(), |p| format!("{p} %"));
                view! {
                    <g>
                        <text class="name" x=NAME_W - 8.0 y=y + 16.0 text-anchor="end">{u.name}</text>
                        <rect class="track" x=NAME_W y=y + 4.0 width=track height=ROW_H - 10.0></rect>
                        <rect class="used" x=NAME_W y=y + 4.0 width=track * share height=ROW_H - 10.0></rect>
                        <text class="value" x=NAME_W + track * share + 6.0 y=y + 16.0>{text}</text>
                    </g>
                }
            }).collect_view()}
        </svg>
    })
}

fn hours(minutes: u32) -> String {
    format!("{}:{:02}", minutes / 60, minutes % 60)
}

#[component]
fn UtilizationTable(rows: Vec<Utilization>) -> impl IntoView {
    view! {
        <table class="data utilization-table">
            <thead>
                <tr>
                    <th scope="col">"Practitioner"</th>
                    <th scope="col">"Booked (h:mm)"</th>
                    <th scope="col">"Working (h:mm)"</th>
                    <th scope="col">"Utilization"</th>
                </tr>
            </thead>
            <tbody>
                {rows.into_iter().map(|u| {
                    let share = u.percent().map_or("–".to_owned(), |p| format!("{p} %"));
                    view! {
                        <tr>
                            <th scope="row">{u.name}</th>
                            <td>{hours(u.booked_minutes)}</td>
                            <td>{hours(u.working_minutes)}</td>
                            <td>{share}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(attended: u32, upcoming: u32, no_show: u32, cancelled: u32) -> DayCount {
        DayCount { date: "2027-03-01".parse().expect("date"), attended, upcoming, cancelled, no_show }
    }

    #[test]
    fn bars_stack_from_the_baseline_and_the_busiest_day_fills_the_plot() {
        let busiest = stack(&day(2, 1, 1, 0), 4);
        assert_eq!(busiest.iter().map(|s| s.class).collect::<Vec<_>>(), ["attended", "upcoming", "no-show"]);
        let plot = CHART_H - BOTTOM - TOP;
        assert!((busiest.iter().map(|s| s.height).sum::<f64>() - plot).abs() < 1e-9);
        assert!((busiest[0].y + busiest[0].height - (CHART_H - BOTTOM)).abs() < 1e-9, "first part sits on the axis");
        assert!((busiest[2].y - TOP).abs() < 1e-9, "top of the busiest bar meets the top of the plot");
        assert!(stack(&day(0, 0, 0, 0), 0).is_empty());
    }

    #[test]
    fn every_bar_has_a_text_alternative() {
        assert_eq!(
            day_text(&day(1, 2, 0, 1)),
            "2027-03-01: 4 appointments (1 attended, 2 booked or confirmed, 0 no-show, 1 cancelled)"
        );
    }
}
