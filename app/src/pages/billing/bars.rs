//! A horizontal bar chart in plain SVG, drawn on the server and kept by
//! hydration: a `<title>` and a `<desc>` that states the figures in words,
//! the amount written beside every bar (colour is never the only cue), and
//! the same figures as a table under it.

use crate::billing_api::Bar;
use leptos::prelude::*;

const W: f64 = 720.0;
const LABEL_W: f64 = 200.0;
const VALUE_W: f64 = 130.0;
const ROW: f64 = 22.0;
const BAR: f64 = 14.0;

/// Bar widths in chart units: proportional to the largest magnitude; a
/// negative amount (more credited than invoiced) draws from the left too,
/// marked by its class and its text.
pub fn widths(bars: &[Bar]) -> Vec<f64> {
    let max = bars.iter().map(|b| b.minor.unsigned_abs()).max().unwrap_or(0);
    let room = W - LABEL_W - VALUE_W;
    bars.iter()
        .map(|b| if max == 0 { 0.0 } else { room * b.minor.unsigned_abs() as f64 / max as f64 })
        .collect()
}

pub fn describe(title: &str, bars: &[Bar]) -> String {
    if bars.is_empty() {
        return format!("{title}: nothing in this period.");
    }
    let top = bars.iter().max_by_key(|b| b.minor).map(|b| format!("; highest {} with {}", b.label, b.text)).unwrap_or_default();
    format!("{title}: {} bars{top}.", bars.len())
}

#[component]
pub fn BarChart(id: &'static str, title: &'static str, bars: Vec<Bar>) -> impl IntoView {
    let title_id = format!("{id}-title");
    let desc_id = format!("{id}-desc");
    let height = (bars.len().max(1) as f64) * ROW + 4.0;
    let description = describe(title, &bars);
    let sizes = widths(&bars);
    let rows = bars.clone();
    view! {
        <figure class="bar-chart" id=id>
            // Width and height attributes give the aspect ratio (CSS scales
            // it to the column); an inline style would break the CSP.
            <svg class="chart bars" viewBox=format!("0 0 {W} {height}") width=W height=height role="img" aria-labelledby=format!("{title_id} {desc_id}")>
                <title id=title_id.clone()>{title}</title>
                <desc id=desc_id.clone()>{description}</desc>
                {bars.iter().zip(sizes).enumerate().map(|(i, (b, w))| {
                    let y = i as f64 * ROW + 2.0;
                    let class = if b.minor < 0 { "bar-value negative" } else { "bar-value" };
                    view! {
                        <g class="bar">
                            <title>{format!("{}: {}", b.label, b.text)}</title>
                            <text class="name" x=LABEL_W - 6.0 y=y + BAR - 2.0 text-anchor="end">{b.label.clone()}</text>
                            <rect class=class x=LABEL_W y=y width=format!("{w:.1}") height=BAR></rect>
                            <text class="value" x=LABEL_W + w + 6.0 y=y + BAR - 2.0>{b.text.clone()}</text>
                        </g>
                    }
                }).collect_view()}
            </svg>
            <details>
                <summary>{format!("{title} as a table")}</summary>
                <table class="data">
                    <caption class="visually-hidden">{title}</caption>
                    <thead><tr><th scope="col">"Group"</th><th scope="col" class="num">"Net revenue"</th></tr></thead>
                    <tbody>
                        {rows.into_iter().map(|b| view! { <tr><th scope="row">{b.label}</th><td class="num">{b.text}</td></tr> }).collect_view()}
                    </tbody>
                </table>
            </details>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(label: &str, minor: i64) -> Bar {
        Bar { label: label.into(), minor, text: format!("{minor}") }
    }

    #[test]
    fn widths_are_proportional_to_the_largest() {
        let w = widths(&[bar("a", 100), bar("b", 50), bar("c", -25), bar("d", 0)]);
        let room = W - LABEL_W - VALUE_W;
        assert_eq!(w, vec![room, room / 2.0, room / 4.0, 0.0]);
        assert_eq!(widths(&[bar("z", 0)]), vec![0.0]);
    }

    #[test]
    fn description_names_the_highest() {
        assert_eq!(describe("Revenue by week", &[bar("2026-11-16", 10), bar("2026-11-23", 30)]), "Revenue by week: 2 bars; highest 2026-11-23 with 30.");
        assert_eq!(describe("Revenue", &[]), "Revenue: nothing in this period.");
    }
}
