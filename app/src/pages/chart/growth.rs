//! The growth chart of a child under five: the WHO centile curves (3rd,
//! 15th, 50th, 85th, 97th) over age in months, the 3rd–97th band shaded as
//! the normal range, and the child's measurements on it, circles inside
//! the band and triangles outside it (shape as well as colour). Like the
//! trend chart: rendered on the server, no inline styles, a `<title>` and
//! `<desc>`, and a table of the same measurements with their centiles.

use super::trend::{band_key, nice_step, outside_key, tick_text, triangle, value_axis, H, PLOT_BOTTOM, PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, W};
use crate::vitals_api::GrowthData;
use leptos::{either::Either, prelude::*};

/// Where everything goes. Pure, so it is unit-tested without rendering.
#[derive(Debug, Clone, PartialEq)]
pub struct GrowthLayout {
    /// (label, polyline points, (x, y) of the label) per centile curve.
    pub curves: Vec<(String, String, (f64, f64))>,
    /// The shaded band: the lowest curve forward, the highest back.
    pub band: String,
    /// (x, y, outside) per measurement.
    pub points: Vec<(f64, f64, bool)>,
    pub y_ticks: Vec<(f64, String)>,
    /// (x, label) every 6 months (24-month chart) or every year.
    pub x_ticks: Vec<(f64, String)>,
}

/// Room on the right for the centile labels.
const LABELS: f64 = 34.0;

pub fn layout(chart: &GrowthData) -> GrowthLayout {
    let values = chart
        .curves
        .iter()
        .flat_map(|(_, pts)| pts.iter().map(|(_, v)| *v))
        .chain(chart.points.iter().map(|p| p.value));
    let (mut low, mut high) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if !low.is_finite() || !high.is_finite() || high - low < f64::EPSILON {
        (low, high) = (0.0, 1.0);
    }
    let step = nice_step(high - low, 5.0);
    let (y_min, y_max) = ((low / step).floor() * step, (high / step).ceil() * step);
    let y_of = |v: f64| PLOT_BOTTOM - (v - y_min) / (y_max - y_min) * (PLOT_BOTTOM - PLOT_TOP);
    let last = f64::from(chart.last_month.max(1));
    let right = PLOT_RIGHT - LABELS;
    let x_of = |months: f64| PLOT_LEFT + months.clamp(0.0, last) / last * (right - PLOT_LEFT);
    let line = |pts: &[(f64, f64)]| pts.iter().map(|(m, v)| format!("{:.1},{:.1}", x_of(*m), y_of(*v))).collect::<Vec<_>>().join(" ");
    let curves = chart
        .curves
        .iter()
        .map(|(label, pts)| {
            let end = pts.last().map(|(m, v)| (x_of(*m) + 4.0, y_of(*v) + 4.0)).unwrap_or((right, PLOT_TOP));
            (label.clone(), line(pts), end)
        })
        .collect();
    let band = match (chart.curves.first(), chart.curves.last()) {
        (Some((_, lowest)), Some((_, highest))) => {
            let back: Vec<(f64, f64)> = highest.iter().rev().copied().collect();
            format!("{} {}", line(lowest), line(&back))
        }
        _ => String::new(),
    };
    let points = chart.points.iter().map(|p| (x_of(p.months), y_of(p.value), p.outside)).collect();
    let mut y_ticks = Vec::new();
    let mut tick = y_min;
    while tick <= y_max + step / 2.0 {
        y_ticks.push((y_of(tick), tick_text(tick, step)));
        tick += step;
    }
    let every = if chart.last_month <= 24 { 6 } else { 12 };
    let x_ticks = (0..=chart.last_month)
        .step_by(every)
        .map(|m| {
            let label = match m {
                0 => "Birth".to_owned(),
                m if every == 12 => format!("{} y", m / 12),
                m => format!("{m} mo"),
            };
            (x_of(f64::from(m)), label)
        })
        .collect();
    GrowthLayout { curves, band, points, y_ticks, x_ticks }
}

/// One sentence for screen readers: the latest measurement and its
/// centile, and how many fall outside the 3rd–97th band.
pub fn describe(chart: &GrowthData) -> String {
    let Some(latest) = chart.points.last() else {
        return "No measurements yet.".to_owned();
    };
    let outside = chart.points.iter().filter(|p| p.outside).count();
    format!(
        "{} measurement{}; latest {} {} at {}, {}.{} Centile curves 3rd to 97th; the band between them is shaded.",
        chart.points.len(),
        if chart.points.len() == 1 { "" } else { "s" },
        latest.text,
        chart.unit,
        latest.age,
        latest.centile,
        if outside > 0 { format!(" {outside} outside the 3rd–97th centiles.") } else { String::new() }
    )
}

#[component]
pub fn GrowthChart(chart: GrowthData) -> impl IntoView {
    let GrowthLayout { curves, band, points, y_ticks, x_ticks } = layout(&chart);
    let id = chart.id.clone();
    let (title_id, desc_id) = (format!("{id}-title"), format!("{id}-desc"));
    let title = format!("{} ({})", chart.title, chart.unit);
    let description = describe(&chart);
    let unit = chart.unit.clone();
    let marks = chart
        .points
        .iter()
        .zip(points)
        .map(|(p, (x, y, outside))| {
            let label = format!("{} {} at {} ({}), {}", p.text, unit, p.age, p.when, p.centile);
            if outside {
                Either::Left(view! { <path class="point abnormal s1" d=triangle(x, y)><title>{label}</title></path> })
            } else {
                Either::Right(view! {
                    <circle class="point s1" cx=format!("{x:.1}") cy=format!("{y:.1}") r="4.5"><title>{label}</title></circle>
                })
            }
        })
        .collect_view();
    let rows = chart.points.clone();
    view! {
        <figure class="trend growth" id=id.clone()>
            <svg class="trend-chart" viewBox=format!("0 0 {W} {H}") role="img" aria-labelledby=format!("{title_id} {desc_id}")>
                <title id=title_id.clone()>{title.clone()}</title>
                <desc id=desc_id.clone()>{description}</desc>
                <polygon class="normal-band" points=band></polygon>
                {value_axis(y_ticks, PLOT_RIGHT - LABELS, chart.unit.clone())}
                {curves.into_iter().map(|(label, line, (x, y))| view! {
                    <polyline class=if label == "50th" { "centile median" } else { "centile" } points=line fill="none"></polyline>
                    <text class="tick centile-label" x=format!("{x:.1}") y=format!("{y:.1}")>{label}</text>
                }).collect_view()}
                {x_ticks.into_iter().map(|(x, text)| view! {
                    <text class="tick" x=format!("{x:.1}") y=H - 12.0 text-anchor="middle">{text}</text>
                }).collect_view()}
                <g class="series s1">{marks}</g>
            </svg>
            <figcaption>
                <ul class="legend">
                    <li><svg class="key" viewBox="0 0 14 14" aria-hidden="true"><circle class="point s1" cx="7" cy="7" r="4.5"></circle></svg>"Measurement"</li>
                    {outside_key("Outside the 3rd–97th centiles")}
                    {band_key("3rd–97th centiles".to_owned())}
                </ul>
            </figcaption>
            <details class="trend-table">
                <summary>{format!("{} as a table", chart.title)}</summary>
                <table class="data">
                    <caption class="visually-hidden">{title}</caption>
                    <thead>
                        <tr>
                            <th scope="col">"Time"</th>
                            <th scope="col">"Age"</th>
                            <th scope="col">{format!("{} ({})", chart.title, chart.unit)}</th>
                            <th scope="col">"Centile"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {rows.into_iter().map(|p| view! {
                            <tr class:abnormal=p.outside>
                                <th scope="row">{p.when}</th>
                                <td>{p.age}</td>
                                <td>{p.text}</td>
                                <td>{p.centile}{p.outside.then(|| view! { " " <span class="flag">"(outside 3rd–97th)"</span> })}</td>
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
    use crate::vitals_api::GrowthPoint;

    fn chart(points: Vec<(f64, f64, bool)>) -> GrowthData {
        let curve = |base: f64| (0..=24).map(|m| (f64::from(m), base + f64::from(m) * 0.4)).collect::<Vec<_>>();
        GrowthData {
            id: "growth-weight".into(),
            title: "Weight-for-age (girls, WHO)".into(),
            unit: "kg".into(),
            last_month: 24,
            curves: vec![("3rd".into(), curve(2.4)), ("50th".into(), curve(3.2)), ("97th".into(), curve(4.2))],
            points: points
                .into_iter()
                .map(|(months, value, outside)| GrowthPoint {
                    months,
                    value,
                    when: "2026-11-24 09:00".into(),
                    age: format!("{} months", months as u32),
                    text: format!("{value:.1}"),
                    centile: if outside { "below the 1st centile".into() } else { "50th centile".into() },
                    outside,
                })
                .collect(),
        }
    }

    #[test]
    fn points_and_curves_fall_inside_the_plot_older_is_further_right() {
        let c = chart(vec![(1.0, 3.6, false), (6.0, 5.6, false), (12.0, 5.0, true)]);
        let l = layout(&c);
        let inside = |(x, y): (f64, f64)| (PLOT_LEFT..=PLOT_RIGHT).contains(&x) && (PLOT_TOP..=PLOT_BOTTOM).contains(&y);
        assert!(l.points.iter().all(|(x, y, _)| inside((*x, *y))), "{:?}", l.points);
        assert!(l.points.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(l.points.iter().map(|p| p.2).collect::<Vec<_>>(), [false, false, true]);
        assert_eq!(l.curves.len(), 3);
        // The band is the 3rd curve forward and the 97th back: 50 points.
        assert_eq!(l.band.split(' ').count(), 50);
        assert_eq!(l.x_ticks.iter().map(|(_, t)| t.as_str()).collect::<Vec<_>>(), ["Birth", "6 mo", "12 mo", "18 mo", "24 mo"]);
        let text = describe(&c);
        assert!(text.contains("3 measurements") && text.contains("1 outside"), "{text}");
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn renders_curves_band_shapes_and_a_table_row_per_measurement() {
        let c = chart(vec![(1.0, 3.6, false), (12.0, 5.0, true)]);
        let owner = Owner::new();
        let html = owner.with(|| view! { <GrowthChart chart=c/> }.to_html());
        assert_eq!(html.matches("<polyline").count(), 3, "one line per centile");
        assert!(html.contains("class=\"normal-band\""));
        assert_eq!(html.matches("class=\"point s1\"><title>").count(), 1);
        assert_eq!(html.matches("class=\"point abnormal s1\"><title>").count(), 1, "outside the band: a triangle");
        assert!(html.contains("<title id=\"growth-weight-title\">Weight-for-age (girls, WHO) (kg)</title>"));
        let body = html.split("<tbody>").nth(1).unwrap_or_default();
        assert_eq!(body.matches("<tr").count(), 2);
        assert!(!html.contains("style="), "no inline styles (CSP)");
    }
}
