//! A small SVG chart maker for the HTML report: line charts (with horizontal bound lines) and
//! bar charts, with a grid, tick labels and a legend. Colours come from CSS classes, so the
//! page's stylesheet decides them.

use std::fmt::Write as _;

use super::markup::escape;

/// Drawing size in user units; the page scales the SVG to its width.
const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 240.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 30.0;
const BOTTOM: f64 = 40.0;
/// Rules up to this many times the largest value are drawn; higher ones are only named.
const RULE_REACH: f64 = 4.0;

/// What every chart has: a CSS class naming it, a title, axis names and how values read.
pub struct Frame<'a> {
    /// Names the chart in the page (`percentiles-over-time`): styles and tests find it by it.
    pub class: &'a str,
    /// Shown above the plot.
    pub title: &'a str,
    /// Under the x axis.
    pub x_label: &'a str,
    /// How a value on the y axis reads (`12.5ms`, `340 req/s`).
    pub y_format: &'a dyn Fn(f64) -> String,
}

/// One line of a line chart: points `(x, y)`; a `None` y leaves a gap.
pub struct Line<'a> {
    /// In the legend.
    pub label: &'a str,
    /// CSS class of its stroke.
    pub class: &'a str,
    /// In x order.
    pub points: Vec<(f64, Option<f64>)>,
}

/// A horizontal line across the plot at `y`, such as a bound.
pub struct Rule {
    /// Written at its right end.
    pub label: String,
    /// Where it is drawn.
    pub y: f64,
}

/// One bar of a bar chart.
pub struct Bar {
    /// Under the bar (some labels are left out when bars are many).
    pub label: String,
    /// Its height.
    pub value: f64,
    /// Shown when the pointer rests on it.
    pub tip: String,
}

/// A line chart over numeric x values (seconds), rules included in the y range.
pub fn line_chart(frame: &Frame, lines: &[Line], rules: &[Rule]) -> String {
    let xs = lines.iter().flat_map(|l| l.points.iter().map(|p| p.0));
    let (x_min, x_max) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
        (lo.min(x), hi.max(x))
    });
    let (x_min, x_max) = if x_min.is_finite() {
        (x_min, x_max.max(x_min + 1.0))
    } else {
        (0.0, 1.0)
    };
    let data_max = lines
        .iter()
        .flat_map(|l| l.points.iter().filter_map(|p| p.1))
        .fold(0.0, f64::max);
    // A rule far above the data (a 5 s bound over 20 ms latencies) would flatten the lines
    // into the axis: such rules are named above the plot instead of drawn.
    let (drawn, above): (Vec<&Rule>, Vec<&Rule>) = rules
        .iter()
        .partition(|r| data_max <= 0.0 || r.y <= data_max * RULE_REACH);
    let y_max = drawn.iter().map(|r| r.y).fold(data_max, f64::max);
    let y_ticks = ticks(y_max);
    let y_top = *y_ticks.last().unwrap_or(&1.0);
    let sx = |x: f64| LEFT + (x - x_min) / (x_max - x_min) * plot_width();
    let sy = |y: f64| TOP + plot_height() - y / y_top * plot_height();

    let mut svg = open(frame);
    grid(&mut svg, frame, &y_ticks, y_top);
    for tick in ticks(x_max - x_min) {
        let x = x_min + tick;
        if x <= x_max {
            let _ = write!(
                svg,
                r#"<text class="tick" x="{:.1}" y="{:.1}" text-anchor="middle">{}s</text>"#,
                sx(x),
                TOP + plot_height() + 14.0,
                number(x)
            );
        }
    }
    for line in lines {
        for segment in line.points.split(|p| p.1.is_none()) {
            let points: Vec<(f64, f64)> = segment
                .iter()
                .filter_map(|&(x, y)| Some((sx(x), sy(y?))))
                .collect();
            if points.len() > 1 {
                let coords: Vec<String> = points
                    .iter()
                    .map(|(x, y)| format!("{x:.1},{y:.1}"))
                    .collect();
                let _ = write!(
                    svg,
                    r#"<polyline class="line {}" points="{}"/>"#,
                    line.class,
                    coords.join(" ")
                );
            } else if let Some((x, y)) = points.first() {
                let _ = write!(
                    svg,
                    r#"<circle class="dot {}" cx="{x:.1}" cy="{y:.1}" r="3"/>"#,
                    line.class
                );
            }
        }
    }
    if !above.is_empty() {
        let names: Vec<&str> = above.iter().map(|r| r.label.as_str()).collect();
        let _ = write!(
            svg,
            r#"<text class="rule-label" x="{:.1}" y="{:.1}" text-anchor="end">above the chart: {}</text>"#,
            LEFT + plot_width(),
            TOP - 2.0,
            escape(&names.join(", "))
        );
    }
    for rule in drawn {
        let y = sy(rule.y);
        let _ = write!(
            svg,
            r#"<line class="rule" x1="{LEFT}" x2="{:.1}" y1="{y:.1}" y2="{y:.1}"/><text class="rule-label" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            LEFT + plot_width(),
            LEFT + plot_width() - 4.0,
            y + 12.0,
            escape(&rule.label)
        );
    }
    let mut x = WIDTH - RIGHT;
    for line in lines.iter().rev() {
        let _ = write!(
            svg,
            r#"<text class="legend {}" x="{x:.1}" y="16" text-anchor="end">{}</text>"#,
            line.class,
            escape(line.label)
        );
        x -= 12.0 + 7.0 * line.label.chars().count() as f64;
    }
    close(svg)
}

/// A bar chart, one bar per entry from left to right.
pub fn bar_chart(frame: &Frame, bars: &[Bar]) -> String {
    let y_ticks = ticks(bars.iter().map(|b| b.value).fold(0.0, f64::max));
    let y_top = *y_ticks.last().unwrap_or(&1.0);
    let mut svg = open(frame);
    grid(&mut svg, frame, &y_ticks, y_top);
    let slot = plot_width() / bars.len().max(1) as f64;
    let gap = if slot > 4.0 { slot * 0.15 } else { 0.0 };
    let every = bars.len().div_ceil(8).max(1);
    for (i, bar) in bars.iter().enumerate() {
        let height = bar.value / y_top * plot_height();
        let x = LEFT + i as f64 * slot;
        let _ = write!(
            svg,
            r#"<rect class="bar" x="{:.1}" y="{:.1}" width="{:.1}" height="{height:.1}"><title>{}</title></rect>"#,
            x + gap / 2.0,
            TOP + plot_height() - height,
            (slot - gap).max(0.5),
            escape(&bar.tip)
        );
        if i % every == 0 {
            let _ = write!(
                svg,
                r#"<text class="tick" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                x + slot / 2.0,
                TOP + plot_height() + 14.0,
                escape(&bar.label)
            );
        }
    }
    close(svg)
}

fn plot_width() -> f64 {
    WIDTH - LEFT - RIGHT
}

fn plot_height() -> f64 {
    HEIGHT - TOP - BOTTOM
}

fn open(frame: &Frame) -> String {
    format!(
        r#"<svg class="chart {}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{}"><title>{}</title><text class="chart-title" x="{LEFT}" y="16">{}</text><text class="axis-label" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
        frame.class,
        escape(frame.title),
        escape(frame.title),
        escape(frame.title),
        LEFT + plot_width() / 2.0,
        HEIGHT - 6.0,
        escape(frame.x_label),
    )
}

fn close(mut svg: String) -> String {
    svg.push_str("</svg>");
    svg
}

/// Horizontal grid lines with their values, and the x axis.
fn grid(svg: &mut String, frame: &Frame, y_ticks: &[f64], y_top: f64) {
    for &tick in y_ticks {
        let y = TOP + plot_height() - tick / y_top * plot_height();
        let _ = write!(
            svg,
            r#"<line class="grid" x1="{LEFT}" x2="{:.1}" y1="{y:.1}" y2="{y:.1}"/><text class="tick" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            LEFT + plot_width(),
            LEFT - 6.0,
            y + 4.0,
            escape(&(frame.y_format)(tick))
        );
    }
    let _ = write!(
        svg,
        r#"<line class="axis" x1="{LEFT}" x2="{:.1}" y1="{:.1}" y2="{:.1}"/>"#,
        LEFT + plot_width(),
        TOP + plot_height(),
        TOP + plot_height()
    );
}

/// Round tick values from 0 to at least `max`: steps of 1, 2 or 5 times a power of ten, about
/// five of them. `[0, 1]` when `max` is not positive.
fn ticks(max: f64) -> Vec<f64> {
    if !max.is_finite() || max <= 0.0 {
        return vec![0.0, 1.0];
    }
    let rough = max / 5.0;
    let magnitude = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= rough)
        .unwrap_or(10.0 * magnitude);
    let count = (max / step).ceil().max(1.0) as usize;
    (0..=count).map(|i| i as f64 * step).collect()
}

/// `x` without a fraction when it has none.
fn number(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_maximum() {
        assert_eq!(ticks(9.0), vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        assert_eq!(ticks(0.0), vec![0.0, 1.0]);
        assert_eq!(ticks(f64::NAN), vec![0.0, 1.0]);
        let t = ticks(0.37);
        assert_eq!(t.len(), 5);
        assert!((t[4] - 0.4).abs() < 1e-9, "{t:?}");
        assert_eq!(ticks(1234.0), vec![0.0, 500.0, 1000.0, 1500.0]);
    }

    #[test]
    fn gaps_split_lines_and_lone_points_become_dots() {
        let y_format = |v: f64| format!("{v}");
        let frame = Frame {
            class: "demo",
            title: "a <title>",
            x_label: "time",
            y_format: &y_format,
        };
        let line = Line {
            label: "p50",
            class: "p50",
            points: vec![
                (0.0, Some(1.0)),
                (1.0, Some(2.0)),
                (2.0, None),
                (3.0, Some(1.5)),
            ],
        };
        let rules = [
            Rule {
                label: "p50 bound 2ms".into(),
                y: 2.5,
            },
            Rule {
                label: "p99 bound 5s".into(),
                y: 5000.0,
            },
        ];
        let svg = line_chart(&frame, &[line], &rules);
        assert!(svg.starts_with(r#"<svg class="chart demo""#), "{svg}");
        assert_eq!(svg.matches("<polyline").count(), 1, "{svg}");
        assert_eq!(svg.matches("<circle").count(), 1, "{svg}");
        assert_eq!(svg.matches(r#"<line class="rule""#).count(), 1, "{svg}");
        assert!(svg.contains("p50 bound 2ms") && svg.contains("above the chart: p99 bound 5s"));
        assert!(svg.contains("a &lt;title&gt;") && !svg.contains("<title>a <"));
        assert!(svg.ends_with("</svg>"));

        let bars: Vec<Bar> = (0..20)
            .map(|i| Bar {
                label: format!("{i}s"),
                value: f64::from(i),
                tip: format!("{i} errors"),
            })
            .collect();
        let svg = bar_chart(&frame, &bars);
        assert_eq!(svg.matches("<rect").count(), 20);
        // Five y ticks (0 to 20 by 5), and a label under every third of the 20 bars.
        assert_eq!(svg.matches(r#"class="tick""#).count(), 5 + 7, "{svg}");
    }
}
