//! Charts as SVG text, drawn from data alone, so the browser page and the
//! PDF certificate show the same picture. Every chart has axes with units,
//! a legend, the target drawn as a labelled line, readouts on hover (each
//! point carries a `<title>`), and a text description for screen readers.
//! Series differ by dash pattern as well as colour, so colour is never the
//! only signal.

use crate::targets::{format_ms, format_ratio, trim_number};
use std::fmt::Write;

/// What the values of a chart measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Ms,
    Ratio,
    PerSecond,
    Count,
}

impl Unit {
    pub fn format(self, value: f64) -> String {
        match self {
            Unit::Ms => format_ms(value),
            Unit::Ratio => format_ratio(value),
            Unit::PerSecond => format!("{}/s", trim_number(value, 1)),
            Unit::Count => trim_number(value, 0),
        }
    }
}

/// One line of a chart; `None` values leave a gap.
#[derive(Debug, Clone)]
pub struct Line {
    pub name: String,
    pub points: Vec<(f64, Option<f64>)>,
}

/// A stretch of the x axis to shade and name (a steady state, a spike).
#[derive(Debug, Clone)]
pub struct Band {
    pub from: f64,
    pub to: f64,
    pub label: String,
}

/// A moment to mark with a vertical line (a capacity knee).
#[derive(Debug, Clone)]
pub struct Marker {
    pub at: f64,
    pub label: String,
}

#[derive(Debug, Clone)]
pub struct Chart {
    /// Unique within a page: ids of the title and description derive from
    /// it.
    pub id: String,
    pub title: String,
    pub x_label: String,
    /// Labels of the x axis instead of numbers (for charts over runs).
    pub x_names: Option<Vec<(f64, String)>>,
    pub unit: Unit,
    pub lines: Vec<Line>,
    pub target: Option<(f64, String)>,
    pub bands: Vec<Band>,
    pub markers: Vec<Marker>,
}

/// Colours that keep 3:1 contrast on white, and dash patterns that tell
/// the lines apart without colour.
const STROKES: [(&str, &str); 4] = [
    ("#1f5fa8", ""),
    ("#b34700", "6 3"),
    ("#2f7d32", "2 3"),
    ("#6a3fa0", "8 3 2 3"),
];
const TARGET_STROKE: &str = "#b00020";

fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Round tick steps: 1, 2 or 5 times a power of ten.
fn nice_step(range: f64, ticks: f64) -> f64 {
    if range <= 0.0 || !range.is_finite() {
        return 1.0;
    }
    let raw = range / ticks;
    let power = 10f64.powf(raw.log10().floor());
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

const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 30.0;
const BOTTOM: f64 = 58.0;

/// The chart as an SVG document `width` by `height` user units; it scales
/// to its container.
pub fn render(chart: &Chart, width: f64, height: f64) -> String {
    let plot_w = width - LEFT - RIGHT;
    let plot_h = height - TOP - BOTTOM;
    let values = chart
        .lines
        .iter()
        .flat_map(|l| l.points.iter().filter_map(|(_, y)| *y))
        .filter(|v| v.is_finite());
    let xs: Vec<f64> = chart
        .lines
        .iter()
        .flat_map(|l| l.points.iter().map(|(x, _)| *x))
        .collect();
    let data_max = values.fold(0.0f64, f64::max);
    let target_y = chart.target.as_ref().map(|(y, _)| *y).unwrap_or(0.0);
    let y_top = (data_max.max(target_y) * 1.1).max(match chart.unit {
        Unit::Ratio => 0.001,
        _ => 1.0,
    });
    // A share never exceeds 100 %: the axis stops there.
    let y_top = if chart.unit == Unit::Ratio && data_max <= 1.0 && target_y <= 1.0 {
        y_top.min(1.0)
    } else {
        y_top
    };
    let y_step = nice_step(y_top, 5.0);
    let y_max = (y_top / y_step).ceil() * y_step;
    let x_min = xs.iter().copied().fold(f64::INFINITY, f64::min);
    let x_max = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (x_min, x_max) = if x_min.is_finite() && x_max > x_min {
        (x_min, x_max)
    } else if x_min.is_finite() {
        (x_min - 1.0, x_min + 1.0)
    } else {
        (0.0, 1.0)
    };
    let sx = |x: f64| LEFT + (x - x_min) / (x_max - x_min) * plot_w;
    let sy = |y: f64| TOP + plot_h - (y / y_max).clamp(0.0, 1.0) * plot_h;
    let title_id = format!("{}-title", chart.id);
    let desc_id = format!("{}-desc", chart.id);

    let mut svg = String::new();
    let _ = write!(
        svg,
        r###"<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" role="img" aria-labelledby="{title_id} {desc_id}" font-family="Liberation Sans, Arial, sans-serif" font-size="12">"###
    );
    let _ = write!(
        svg,
        r###"<title id="{title_id}">{}</title>"###,
        xml(&chart.title)
    );
    let _ = write!(
        svg,
        r###"<desc id="{desc_id}">{}</desc>"###,
        xml(&describe(chart))
    );
    let _ = write!(
        svg,
        r###"<text class="chart-title" x="{LEFT}" y="18" font-weight="bold" fill="#1a1d21">{}</text>"###,
        xml(&chart.title)
    );

    // Bands behind everything.
    for band in &chart.bands {
        let (x0, x1) = (sx(band.from.max(x_min)), sx(band.to.min(x_max)));
        if x1 > x0 {
            let _ = write!(
                svg,
                r###"<rect class="band" x="{x0:.1}" y="{TOP}" width="{:.1}" height="{plot_h}" fill="#dfe7f1" fill-opacity="0.6"><title>{}</title></rect><text class="band-label" x="{:.1}" y="{:.1}" font-size="11" fill="#33475b">{}</text>"###,
                x1 - x0,
                xml(&band.label),
                x0 + 3.0,
                TOP + 12.0,
                xml(&band.label)
            );
        }
    }

    // Grid and y axis.
    let mut tick = 0.0;
    while tick <= y_max + y_step / 2.0 {
        let y = sy(tick);
        let _ = write!(
            svg,
            r###"<line class="grid" x1="{LEFT}" x2="{:.1}" y1="{y:.1}" y2="{y:.1}" stroke="#d5d9de" stroke-width="1"/><text class="tick" x="{:.1}" y="{:.1}" text-anchor="end" fill="#555d66">{}</text>"###,
            LEFT + plot_w,
            LEFT - 6.0,
            y + 4.0,
            xml(&chart.unit.format(tick))
        );
        tick += y_step;
    }
    // x axis ticks.
    match &chart.x_names {
        Some(names) => {
            let every = (names.len() / 8).max(1);
            for (i, (x, name)) in names.iter().enumerate() {
                if i % every == 0 {
                    let _ = write!(
                        svg,
                        r###"<text class="tick" x="{:.1}" y="{:.1}" text-anchor="middle" fill="#555d66">{}</text>"###,
                        sx(*x),
                        TOP + plot_h + 16.0,
                        xml(name)
                    );
                }
            }
        }
        None => {
            let step = nice_step(x_max - x_min, 6.0);
            let mut x = (x_min / step).ceil() * step;
            while x <= x_max + step / 1000.0 {
                let _ = write!(
                    svg,
                    r###"<line class="grid" x1="{0:.1}" x2="{0:.1}" y1="{TOP}" y2="{1:.1}" stroke="#eceff2" stroke-width="1"/><text class="tick" x="{0:.1}" y="{2:.1}" text-anchor="middle" fill="#555d66">{3}</text>"###,
                    sx(x),
                    TOP + plot_h,
                    TOP + plot_h + 16.0,
                    trim_number(x, 1)
                );
                x += step;
            }
        }
    }
    let _ = write!(
        svg,
        r###"<line class="axis" x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{0:.1}" stroke="#555d66"/><line class="axis" x1="{LEFT}" x2="{1:.1}" y1="{0:.1}" y2="{0:.1}" stroke="#555d66"/><text class="axis-label" x="{2:.1}" y="{3:.1}" text-anchor="middle" fill="#555d66">{4}</text>"###,
        TOP + plot_h,
        LEFT + plot_w,
        LEFT + plot_w / 2.0,
        TOP + plot_h + 32.0,
        xml(&chart.x_label)
    );

    // Markers.
    for marker in &chart.markers {
        if marker.at >= x_min && marker.at <= x_max {
            let x = sx(marker.at);
            let _ = write!(
                svg,
                r###"<line class="marker" x1="{x:.1}" x2="{x:.1}" y1="{TOP}" y2="{0:.1}" stroke="#33475b" stroke-width="1.5" stroke-dasharray="3 2"><title>{1}</title></line><text class="marker-label" x="{2:.1}" y="{3:.1}" font-size="11" fill="#33475b">{1}</text>"###,
                TOP + plot_h,
                xml(&marker.label),
                x + 3.0,
                TOP + 24.0
            );
        }
    }

    // Target line, drawn above the grid and labelled in words.
    if let Some((value, label)) = &chart.target {
        let y = sy(*value);
        let _ = write!(
            svg,
            r###"<line class="target" x1="{LEFT}" x2="{0:.1}" y1="{y:.1}" y2="{y:.1}" stroke="{TARGET_STROKE}" stroke-width="2" stroke-dasharray="10 4"><title>target {1}</title></line><text class="target-label" x="{2:.1}" y="{3:.1}" text-anchor="end" font-size="11" fill="{TARGET_STROKE}">target {1}</text>"###,
            LEFT + plot_w,
            xml(label),
            LEFT + plot_w - 2.0,
            y - 4.0
        );
    }

    // Lines, then their points with readouts.
    for (i, line) in chart.lines.iter().enumerate() {
        let (colour, dash) = STROKES[i % STROKES.len()];
        let mut path = String::new();
        let mut pen_down = false;
        for (x, y) in &line.points {
            match y {
                Some(y) if y.is_finite() => {
                    let _ = write!(
                        path,
                        "{}{:.1},{:.1} ",
                        if pen_down { "L" } else { "M" },
                        sx(*x),
                        sy(*y)
                    );
                    pen_down = true;
                }
                _ => pen_down = false,
            }
        }
        let dash_attr = if dash.is_empty() {
            String::new()
        } else {
            format!(r###" stroke-dasharray="{dash}""###)
        };
        let _ = write!(
            svg,
            r###"<path class="line line-{i}" d="{}" fill="none" stroke="{colour}" stroke-width="2"{dash_attr}/>"###,
            path.trim_end()
        );
        for (x, y) in &line.points {
            if let Some(y) = y.filter(|y| y.is_finite()) {
                let x_text = match &chart.x_names {
                    Some(names) => names
                        .iter()
                        .find(|(nx, _)| *nx == *x)
                        .map(|(_, n)| n.clone())
                        .unwrap_or_default(),
                    None => format!("{} {}", trim_number(*x, 1), chart.x_label),
                };
                let _ = write!(
                    svg,
                    r###"<circle class="point point-{i}" cx="{:.1}" cy="{:.1}" r="2.5" fill="{colour}"><title>{}: {} at {}</title></circle>"###,
                    sx(*x),
                    sy(y),
                    xml(&line.name),
                    xml(&chart.unit.format(y)),
                    xml(&x_text)
                );
            }
        }
    }

    // Legend, under the axis label: a sample of each line's pattern and its
    // name.
    let mut lx = LEFT;
    let ly = height - 10.0;
    for (i, line) in chart.lines.iter().enumerate() {
        let (colour, dash) = STROKES[i % STROKES.len()];
        let dash_attr = if dash.is_empty() {
            String::new()
        } else {
            format!(r###" stroke-dasharray="{dash}""###)
        };
        let _ = write!(
            svg,
            r###"<line class="legend line-{i}" x1="{lx:.1}" x2="{:.1}" y1="{:.1}" y2="{:.1}" stroke="{colour}" stroke-width="2"{dash_attr}/><text class="legend-label" x="{:.1}" y="{ly:.1}" fill="#1a1d21">{}</text>"###,
            lx + 22.0,
            ly - 4.0,
            ly - 4.0,
            lx + 26.0,
            xml(&line.name)
        );
        lx += 34.0 + 7.0 * line.name.chars().count() as f64;
    }
    svg.push_str("</svg>");
    svg
}

/// A sentence a screen reader can read instead of the picture.
fn describe(chart: &Chart) -> String {
    let mut parts = Vec::new();
    for line in &chart.lines {
        let values: Vec<f64> = line
            .points
            .iter()
            .filter_map(|(_, y)| *y)
            .filter(|v| v.is_finite())
            .collect();
        if values.is_empty() {
            parts.push(format!("{}: no data", line.name));
            continue;
        }
        let min = values.iter().copied().fold(f64::INFINITY, f64::min);
        let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let mut part = format!(
            "{}: {} points from {} to {}",
            line.name,
            values.len(),
            chart.unit.format(min),
            chart.unit.format(max)
        );
        if let Some((target, label)) = &chart.target {
            let over = values.iter().filter(|v| *v > target).count();
            part.push_str(&format!("; {over} above the target {label}"));
        }
        parts.push(part);
    }
    parts.join(". ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart() -> Chart {
        Chart {
            id: "p95".to_owned(),
            title: "p95 latency over time".to_owned(),
            x_label: "s".to_owned(),
            x_names: None,
            unit: Unit::Ms,
            lines: vec![Line {
                name: "p95".to_owned(),
                points: vec![(0.0, Some(100.0)), (10.0, None), (20.0, Some(700.0))],
            }],
            target: Some((500.0, "p95 < 500 ms".to_owned())),
            bands: vec![Band {
                from: 0.0,
                to: 10.0,
                label: "steady state".to_owned(),
            }],
            markers: vec![Marker {
                at: 20.0,
                label: "knee".to_owned(),
            }],
        }
    }

    #[test]
    fn a_chart_has_its_target_readouts_and_description() {
        let svg = render(&chart(), 640.0, 240.0);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains(r###"role="img""###));
        assert!(svg.contains("target p95 &lt; 500 ms"));
        assert!(svg.contains("<title>p95: 700 ms at 20 s</title>"));
        assert!(svg.contains("1 above the target p95 &lt; 500 ms"));
        assert!(svg.contains("steady state") && svg.contains("knee"));
        // The gap at 10 s starts a new segment rather than joining across.
        assert_eq!(svg.matches(" M").count() + svg.matches("\"M").count(), 2);
    }

    #[test]
    fn ticks_are_round_numbers() {
        assert_eq!(nice_step(1000.0, 5.0), 200.0);
        assert_eq!(nice_step(0.003, 5.0), 0.001);
        assert_eq!(nice_step(37.0, 6.0), 10.0);
    }

    #[test]
    fn an_empty_chart_still_renders() {
        let mut empty = chart();
        empty.lines.clear();
        empty.target = None;
        let svg = render(&empty, 300.0, 200.0);
        assert!(svg.contains("</svg>"));
    }
}
