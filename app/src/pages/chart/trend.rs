//! The trend chart: an SVG line chart of values over time, rendered on the
//! server (and hydrated like any view). A time axis with dates, the unit in
//! the title and on the value axis, the normal range shaded, values outside
//! it drawn as triangles (circles otherwise) as well as in another colour,
//! a `<title>` and `<desc>` for screen readers, and a table of the same
//! points. No inline styles (the CSP forbids them): classes and SVG
//! attributes only. Used by Vitals (one chart per measure; blood pressure
//! draws two lines) and Results (one chart per repeated test).

use leptos::{either::Either, prelude::*};

pub(crate) const W: f64 = 640.0;
pub(crate) const H: f64 = 240.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 20.0;
const BOTTOM: f64 = 36.0;
/// Space between the plot's edges and the first and last points.
const INSET: f64 = 14.0;

#[derive(Debug, Clone, PartialEq)]
pub struct TrendPoint {
    /// Seconds since the epoch: the position on the time axis.
    pub t: i64,
    pub value: f64,
    /// When, as shown ("2026-11-24 09:15", clinic time).
    pub when: String,
    /// The value as shown ("37.2").
    pub text: String,
    pub abnormal: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TrendSeries {
    pub name: String,
    /// CSS class for the line and points ("s1", "s2").
    pub class: &'static str,
    pub points: Vec<TrendPoint>,
}

/// A normal range to shade, in the chart's units.
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    pub low: f64,
    pub high: f64,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Trend {
    /// Prefix of element ids, unique on the page ("trend-pulse").
    pub id: String,
    pub title: String,
    pub unit: String,
    pub bands: Vec<Band>,
    pub series: Vec<TrendSeries>,
}

/// A point placed in the SVG's coordinates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placed {
    pub x: f64,
    pub y: f64,
    pub abnormal: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    pub series: Vec<Vec<Placed>>,
    /// (y of the top edge, height) per band, clipped to the plot.
    pub bands: Vec<(f64, f64)>,
    pub y_ticks: Vec<(f64, String)>,
    /// (x, label, text-anchor).
    pub x_ticks: Vec<(f64, String, &'static str)>,
}

pub const PLOT_LEFT: f64 = LEFT;
pub const PLOT_RIGHT: f64 = W - RIGHT;
pub const PLOT_TOP: f64 = TOP;
pub const PLOT_BOTTOM: f64 = H - BOTTOM;

/// A "nice" tick step (1, 2 or 5 × 10^k) giving about `count` ticks over `span`.
pub(crate) fn nice_step(span: f64, count: f64) -> f64 {
    let raw = (span / count).max(f64::MIN_POSITIVE);
    let power = 10_f64.powf(raw.log10().floor());
    let fraction = raw / power;
    let nice = if fraction <= 1.0 {
        1.0
    } else if fraction <= 2.0 {
        2.0
    } else if fraction <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * power
}

pub(crate) fn tick_text(value: f64, step: f64) -> String {
    if step >= 1.0 {
        format!("{value:.0}")
    } else if step >= 0.1 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    }
}

/// The date part of a "YYYY-MM-DD HH:MM" time.
fn date_of(when: &str) -> String {
    when.split(' ').next().unwrap_or(when).to_owned()
}

/// Where everything goes. Pure, so it is unit-tested without rendering.
pub fn layout(trend: &Trend) -> Layout {
    let points: Vec<&TrendPoint> = trend.series.iter().flat_map(|s| s.points.iter()).collect();
    // The value range covers the data and the shaded bands, so the normal
    // range is always in view for comparison.
    let values = points.iter().map(|p| p.value).chain(trend.bands.iter().flat_map(|b| [b.low, b.high]));
    let (mut low, mut high) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if !low.is_finite() || !high.is_finite() {
        (low, high) = (0.0, 1.0);
    }
    if (high - low).abs() < f64::EPSILON {
        let pad = if low.abs() > 1.0 { low.abs() * 0.1 } else { 1.0 };
        (low, high) = (low - pad, high + pad);
    }
    let step = nice_step(high - low, 4.0);
    let (y_min, y_max) = ((low / step).floor() * step, (high / step).ceil() * step);
    let y_of = |v: f64| PLOT_BOTTOM - (v - y_min) / (y_max - y_min) * (PLOT_BOTTOM - PLOT_TOP);
    let mut y_ticks = Vec::new();
    let mut tick = y_min;
    while tick <= y_max + step / 2.0 {
        y_ticks.push((y_of(tick), tick_text(tick, step)));
        tick += step;
    }

    let (t_min, t_max) = points.iter().fold((i64::MAX, i64::MIN), |(lo, hi), p| (lo.min(p.t), hi.max(p.t)));
    let (x_start, x_end) = (PLOT_LEFT + INSET, PLOT_RIGHT - INSET);
    let x_of = |t: i64| {
        if t_max <= t_min {
            (x_start + x_end) / 2.0
        } else {
            x_start + (t - t_min) as f64 / (t_max - t_min) as f64 * (x_end - x_start)
        }
    };
    let series = trend
        .series
        .iter()
        .map(|s| s.points.iter().map(|p| Placed { x: x_of(p.t), y: y_of(p.value), abnormal: p.abnormal }).collect())
        .collect();
    let bands = trend
        .bands
        .iter()
        .map(|b| {
            let top = y_of(b.high).clamp(PLOT_TOP, PLOT_BOTTOM);
            let bottom = y_of(b.low).clamp(PLOT_TOP, PLOT_BOTTOM);
            (top, bottom - top)
        })
        .collect();
    let first = points.iter().min_by_key(|p| p.t);
    let last = points.iter().max_by_key(|p| p.t);
    let x_ticks = match (first, last) {
        (Some(f), Some(l)) if date_of(&f.when) != date_of(&l.when) => {
            vec![(x_start, date_of(&f.when), "start"), (x_end, date_of(&l.when), "end")]
        }
        (Some(f), Some(l)) if f.t != l.t => vec![(x_start, f.when.clone(), "start"), (x_end, l.when.clone(), "end")],
        (Some(f), _) => vec![(x_of(f.t), f.when.clone(), "middle")],
        _ => Vec::new(),
    };
    Layout { series, bands, y_ticks, x_ticks }
}

/// A triangle pointing up, centred on (x, y): the shape of a value
/// outside the normal range.
pub fn triangle(x: f64, y: f64) -> String {
    format!("M{:.1},{:.1} L{:.1},{:.1} L{:.1},{:.1} Z", x, y - 6.5, x + 6.0, y + 4.5, x - 6.0, y + 4.5)
}

/// One sentence for screen readers: how many, the span, the latest, and
/// how many fall outside the normal range.
pub fn describe(trend: &Trend) -> String {
    let mut parts = Vec::new();
    for s in &trend.series {
        let (Some(first), Some(last)) = (s.points.first(), s.points.last()) else {
            continue;
        };
        let outside = s.points.iter().filter(|p| p.abnormal).count();
        parts.push(format!(
            "{}: {} value{} from {} to {}, latest {} {}{}",
            s.name,
            s.points.len(),
            if s.points.len() == 1 { "" } else { "s" },
            first.when,
            last.when,
            last.text,
            trend.unit,
            if outside > 0 { format!(", {outside} outside the normal range") } else { String::new() }
        ));
    }
    if parts.is_empty() {
        return "No values yet.".to_owned();
    }
    let bands: Vec<String> = trend.bands.iter().map(|b| b.label.clone()).collect();
    let normal = if bands.is_empty() { String::new() } else { format!(" Normal range shaded: {}.", bands.join("; ")) };
    format!("{}.{normal}", parts.join(". "))
}

/// The table rows: one per distinct time, a cell per series.
pub fn table_rows(trend: &Trend) -> Vec<(String, Vec<Option<(String, bool)>>)> {
    let mut times: Vec<(i64, String)> = trend.series.iter().flat_map(|s| s.points.iter().map(|p| (p.t, p.when.clone()))).collect();
    times.sort();
    times.dedup();
    times
        .into_iter()
        .map(|(t, when)| {
            let cells = trend
                .series
                .iter()
                .map(|s| s.points.iter().find(|p| p.t == t).map(|p| (p.text.clone(), p.abnormal)))
                .collect();
            (when, cells)
        })
        .collect()
}

/// The value axis shared by the trend and growth charts: grid lines and
/// ticks up to `right`, both axes, and the unit at the top left.
pub(crate) fn value_axis(y_ticks: Vec<(f64, String)>, right: f64, unit: String) -> impl IntoView {
    view! {
        {y_ticks.into_iter().map(|(y, text)| view! {
            <line class="grid" x1=PLOT_LEFT y1=format!("{y:.1}") x2=right y2=format!("{y:.1}")></line>
            <text class="tick" x=PLOT_LEFT - 6.0 y=format!("{:.1}", y + 4.0) text-anchor="end">{text}</text>
        }).collect_view()}
        <line class="axis" x1=PLOT_LEFT y1=PLOT_TOP x2=PLOT_LEFT y2=PLOT_BOTTOM></line>
        <line class="axis" x1=PLOT_LEFT y1=PLOT_BOTTOM x2=right y2=PLOT_BOTTOM></line>
        <text class="unit-label" x=4.0 y=12.0>{unit}</text>
    }
}

/// The legend's key for a value outside the normal range (a triangle).
pub(crate) fn outside_key(label: &'static str) -> impl IntoView {
    view! { <li><svg class="key" viewBox="0 0 14 14" aria-hidden="true"><path class="point abnormal" d=triangle(7.0, 8.0)></path></svg>{label}</li> }
}

/// The legend's key for the shaded normal range.
pub(crate) fn band_key(label: String) -> impl IntoView {
    view! { <li><svg class="key" viewBox="0 0 14 14" aria-hidden="true"><rect class="normal-band" x="0" y="2" width="14" height="10"></rect></svg>{label}</li> }
}

#[component]
pub fn TrendChart(trend: Trend) -> impl IntoView {
    let Layout { series, bands, y_ticks, x_ticks } = layout(&trend);
    let id = trend.id.clone();
    let (title_id, desc_id) = (format!("{id}-title"), format!("{id}-desc"));
    let title = format!("{} ({})", trend.title, trend.unit);
    let description = describe(&trend);
    let rows = table_rows(&trend);
    let names: Vec<String> = trend.series.iter().map(|s| s.name.clone()).collect();
    let unit = trend.unit.clone();
    let legend_series: Vec<(String, &'static str)> = trend.series.iter().map(|s| (s.name.clone(), s.class)).collect();
    let band_labels: Vec<String> = trend.bands.iter().map(|b| b.label.clone()).collect();
    let plots = trend.series.into_iter().zip(series).map(|(s, placed)| {
        let line: String = placed.iter().map(|p| format!("{:.1},{:.1}", p.x, p.y)).collect::<Vec<_>>().join(" ");
        let class = s.class;
        let marks = s
            .points
            .into_iter()
            .zip(placed)
            .map(|(point, p)| {
                let label = format!(
                    "{}: {} {} at {}{}",
                    s.name,
                    point.text,
                    unit,
                    point.when,
                    if point.abnormal { " (outside the normal range)" } else { "" }
                );
                if p.abnormal {
                    Either::Left(view! {
                        <path class=format!("point abnormal {class}") d=triangle(p.x, p.y)><title>{label}</title></path>
                    })
                } else {
                    Either::Right(view! {
                        <circle class=format!("point {class}") cx=format!("{:.1}", p.x) cy=format!("{:.1}", p.y) r="4.5"><title>{label}</title></circle>
                    })
                }
            })
            .collect_view();
        view! {
            <g class=format!("series {class}")>
                <polyline class=format!("line {class}") points=line fill="none"></polyline>
                {marks}
            </g>
        }
    }).collect_view();
    view! {
        <figure class="trend" id=id.clone()>
            <svg class="trend-chart" viewBox=format!("0 0 {W} {H}") role="img" aria-labelledby=format!("{title_id} {desc_id}")>
                <title id=title_id.clone()>{title.clone()}</title>
                <desc id=desc_id.clone()>{description}</desc>
                {bands.into_iter().map(|(y, height)| view! {
                    <rect class="normal-band" x=PLOT_LEFT y=format!("{y:.1}") width=PLOT_RIGHT - PLOT_LEFT height=format!("{height:.1}")></rect>
                }).collect_view()}
                {value_axis(y_ticks, PLOT_RIGHT, trend.unit.clone())}
                {x_ticks.into_iter().map(|(x, text, anchor)| view! {
                    <text class="tick" x=format!("{x:.1}") y=H - 12.0 text-anchor=anchor>{text}</text>
                }).collect_view()}
                {plots}
            </svg>
            <figcaption>
                <ul class="legend">
                    {legend_series.into_iter().map(|(name, class)| view! {
                        <li><svg class="key" viewBox="0 0 14 14" aria-hidden="true"><circle class=format!("point {class}") cx="7" cy="7" r="4.5"></circle></svg>{name}</li>
                    }).collect_view()}
                    {outside_key("Outside the normal range")}
                    {band_labels.into_iter().map(|label| band_key(format!("Normal range {label}"))).collect_view()}
                </ul>
            </figcaption>
            <details class="trend-table">
                <summary>{format!("{} as a table", trend.title)}</summary>
                <table class="data">
                    <caption class="visually-hidden">{title}</caption>
                    <thead>
                        <tr>
                            <th scope="col">"Time"</th>
                            {names.into_iter().map(|n| view! { <th scope="col">{format!("{n} ({})", trend.unit)}</th> }).collect_view()}
                        </tr>
                    </thead>
                    <tbody>
                        {rows.into_iter().map(|(when, cells)| view! {
                            <tr>
                                <th scope="row">{when}</th>
                                {cells.into_iter().map(|cell| match cell {
                                    Some((text, true)) => Either::Left(view! {
                                        <td class="abnormal">{text}" "<span class="flag">"(outside normal range)"</span></td>
                                    }),
                                    Some((text, false)) => Either::Right(Either::Left(view! { <td>{text}</td> })),
                                    None => Either::Right(Either::Right(view! { <td>"–"</td> })),
                                }).collect_view()}
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </details>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(t: i64, value: f64, abnormal: bool) -> TrendPoint {
        TrendPoint { t, value, when: format!("2026-11-{:02} 09:00", 20 + t / 86_400), text: format!("{value}"), abnormal }
    }

    fn pulse(points: Vec<TrendPoint>) -> Trend {
        Trend {
            id: "trend-pulse".into(),
            title: "Pulse".into(),
            unit: "beats/min".into(),
            bands: vec![Band { low: 60.0, high: 100.0, label: "60–100 beats/min".into() }],
            series: vec![TrendSeries { name: "Pulse".into(), class: "s1", points }],
        }
    }

    fn inside(p: &Placed) -> bool {
        p.x >= PLOT_LEFT && p.x <= PLOT_RIGHT && p.y >= PLOT_TOP && p.y <= PLOT_BOTTOM
    }

    #[test]
    fn points_fall_inside_the_plot_in_time_order() {
        let trend = pulse(vec![point(0, 72.0, false), point(86_400, 130.0, true), point(3 * 86_400, 45.0, true)]);
        let l = layout(&trend);
        assert!(l.series[0].iter().all(inside), "{:?}", l.series);
        let xs: Vec<f64> = l.series[0].iter().map(|p| p.x).collect();
        assert!(xs.windows(2).all(|w| w[0] < w[1]), "later is further right: {xs:?}");
        // Higher values are higher up (smaller y).
        assert!(l.series[0][1].y < l.series[0][0].y && l.series[0][2].y > l.series[0][0].y);
        // The band lies within the plot and covers 60–100.
        let (top, height) = l.bands[0];
        assert!(top >= PLOT_TOP && top + height <= PLOT_BOTTOM && height > 0.0);
        assert_eq!(l.x_ticks.len(), 2);
        assert!(l.y_ticks.len() >= 3);
        // A single point and equal values still land inside.
        let one = layout(&pulse(vec![point(0, 72.0, false)]));
        assert!(inside(&one.series[0][0]));
        let flat = layout(&Trend { bands: Vec::new(), ..pulse(vec![point(0, 5.0, false), point(10, 5.0, false)]) });
        assert!(flat.series[0].iter().all(inside));
    }

    #[test]
    fn description_and_table_match_the_points() {
        let trend = pulse(vec![point(0, 72.0, false), point(86_400, 130.0, true)]);
        let text = describe(&trend);
        assert!(text.contains("2 values") && text.contains("latest 130 beats/min") && text.contains("1 outside"), "{text}");
        let rows = table_rows(&trend);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].1[0], Some(("130".to_owned(), true)));
        // Blood pressure: two series at the same times make one row per time.
        let bp = Trend {
            series: vec![
                TrendSeries { name: "Systolic".into(), class: "s1", points: vec![point(0, 120.0, false), point(60, 150.0, true)] },
                TrendSeries { name: "Diastolic".into(), class: "s2", points: vec![point(0, 80.0, false), point(60, 95.0, true)] },
            ],
            ..pulse(Vec::new())
        };
        let rows = table_rows(&bp);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].1.len(), 2);
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn renders_shapes_title_and_a_row_per_point() {
        let trend = pulse(vec![point(0, 72.0, false), point(86_400, 130.0, true), point(2 * 86_400, 80.0, false)]);
        let owner = Owner::new();
        let html = owner.with(|| view! { <TrendChart trend=trend/> }.to_html());
        // Plotted points carry a <title>; the legend's key shapes do not.
        assert_eq!(html.matches("class=\"point s1\"><title>").count(), 2, "{html}");
        assert!(html.matches("<circle ").count() >= 2);
        assert_eq!(html.matches("class=\"point abnormal s1\"><title>").count(), 1, "abnormal values are triangles");
        assert!(html.contains("<path d=\"M340.0,"), "the abnormal point is a path: {html}");
        assert!(html.contains("<title id=\"trend-pulse-title\">Pulse (beats/min)</title>"));
        assert!(html.contains("<desc id=\"trend-pulse-desc\">"));
        assert!(html.contains("class=\"normal-band\""));
        let body = html.split("<tbody>").nth(1).unwrap_or_default();
        assert_eq!(body.matches("<tr>").count(), 3, "one table row per point");
        assert!(!html.contains("style="), "no inline styles (CSP)");
    }
}
