//! The compare page's plots, drawn on the server as inline SVG (no script, nothing to load):
//! parallel coordinates of the params to a metric, and a scatter plot of any two columns. A
//! column whose values are all numbers gets a linear axis; any other, one position per
//! distinct value (sorted). Every label is escaped here, as the markup is written by hand.

use std::fmt::Write;

/// A column: its label and each run's value (none: the run lacks it).
pub struct Column {
    pub label: String,
    pub values: Vec<Option<String>>,
}

const W: f64 = 860.0;
const H: f64 = 320.0;
const PAD: f64 = 40.0;

/// Text for SVG: `&`, `<`, `>`, quotes escaped.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Where each value sits on an axis, in 0..=1, and the ticks to label (position, text).
struct Scale {
    pos: Vec<Option<f64>>,
    ticks: Vec<(f64, String)>,
}

fn scale(values: &[Option<String>]) -> Scale {
    let nums: Vec<Option<f64>> = values
        .iter()
        .map(|v| v.as_deref().and_then(|s| s.trim().parse::<f64>().ok()))
        .collect();
    let numeric = values
        .iter()
        .zip(&nums)
        .all(|(v, n)| v.is_none() || n.is_some_and(f64::is_finite));
    if numeric && nums.iter().any(Option::is_some) {
        let lo = nums.iter().flatten().copied().fold(f64::INFINITY, f64::min);
        let hi = nums
            .iter()
            .flatten()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        let span = if hi > lo { hi - lo } else { 1.0 };
        let at = |v: f64| if hi > lo { (v - lo) / span } else { 0.5 };
        let mut ticks = vec![(at(lo), short(lo))];
        if hi > lo {
            ticks.push((at(hi), short(hi)));
        }
        return Scale {
            pos: nums.iter().map(|n| n.map(at)).collect(),
            ticks,
        };
    }
    let mut distinct: Vec<&str> = values.iter().flatten().map(String::as_str).collect();
    distinct.sort_unstable();
    distinct.dedup();
    let n = distinct.len();
    let at = |i: usize| {
        if n > 1 {
            i as f64 / (n - 1) as f64
        } else {
            0.5
        }
    };
    Scale {
        pos: values
            .iter()
            .map(|v| {
                v.as_deref()
                    .and_then(|s| distinct.iter().position(|d| *d == s))
                    .map(at)
            })
            .collect(),
        ticks: distinct
            .iter()
            .enumerate()
            .map(|(i, d)| (at(i), clip(d)))
            .collect(),
    }
}

fn short(v: f64) -> String {
    crate::ui::format::number(v)
}

fn clip(s: &str) -> String {
    if s.chars().count() > 14 {
        format!("{}…", s.chars().take(13).collect::<String>())
    } else {
        s.to_string()
    }
}

/// From blue (low) to red (high).
fn color(t: Option<f64>) -> String {
    match t {
        None => "#999999".into(),
        Some(t) => {
            let t = t.clamp(0.0, 1.0);
            let r = (31.0 + t * (214.0 - 31.0)) as u8;
            let g = (119.0 + t * (39.0 - 119.0)) as u8;
            let b = (180.0 + t * (40.0 - 180.0)) as u8;
            format!("#{r:02x}{g:02x}{b:02x}")
        }
    }
}

fn open(out: &mut String, id: &str, label: &str) {
    let _ = write!(
        out,
        r#"<svg class="plot-svg" id="{id}" viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img" aria-label="{}">"#,
        esc(label)
    );
}

/// Parallel coordinates: one vertical axis per column (the last one the metric the lines are
/// coloured by), one line per run.
pub fn parallel(columns: &[Column], names: &[String]) -> String {
    let mut out = String::new();
    let Some(last) = columns.last() else {
        return out;
    };
    open(
        &mut out,
        "parallel",
        &format!("parallel coordinates to {}", last.label),
    );
    let scales: Vec<Scale> = columns.iter().map(|c| scale(&c.values)).collect();
    let n = columns.len();
    let x = |i: usize| {
        if n > 1 {
            PAD + i as f64 * (W - 2.0 * PAD - 60.0) / (n - 1) as f64 + 30.0
        } else {
            W / 2.0
        }
    };
    let y = |p: f64| H - PAD - p * (H - 2.0 * PAD);
    let metric = &scales[n - 1];
    for (r, name) in names.iter().enumerate() {
        let mut d = String::new();
        let mut pen = false;
        for (i, s) in scales.iter().enumerate() {
            match s.pos[r] {
                Some(p) => {
                    let _ = write!(d, "{}{:.1},{:.1} ", if pen { "L" } else { "M" }, x(i), y(p));
                    pen = true;
                }
                None => pen = false,
            }
        }
        if !d.is_empty() {
            let _ = write!(
                out,
                r#"<path class="line" d="{}" stroke="{}"><title>{}</title></path>"#,
                d.trim_end(),
                color(metric.pos[r]),
                esc(name)
            );
        }
    }
    for (i, (c, s)) in columns.iter().zip(&scales).enumerate() {
        let _ = write!(
            out,
            r#"<line class="axis" x1="{0:.1}" y1="{1}" x2="{0:.1}" y2="{2}"/><text x="{0:.1}" y="{3}" text-anchor="middle">{4}</text>"#,
            x(i),
            PAD,
            H - PAD,
            PAD - 12.0,
            esc(&clip(&c.label))
        );
        for (p, t) in &s.ticks {
            let _ = write!(
                out,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="start">{}</text>"#,
                x(i) + 4.0,
                y(*p) + 4.0,
                esc(t)
            );
        }
    }
    out.push_str("</svg>");
    out
}

/// A scatter plot of two columns, one dot per run that has both.
pub fn scatter(xc: &Column, yc: &Column, names: &[String]) -> String {
    let mut out = String::new();
    open(
        &mut out,
        "scatter",
        &format!("{} against {}", yc.label, xc.label),
    );
    let (sx, sy) = (scale(&xc.values), scale(&yc.values));
    let left = PAD + 50.0;
    let x = |p: f64| left + p * (W - left - PAD);
    let y = |p: f64| H - PAD - p * (H - 2.0 * PAD);
    let _ = write!(
        out,
        r#"<line class="axis" x1="{left}" y1="{b}" x2="{r}" y2="{b}"/><line class="axis" x1="{left}" y1="{t}" x2="{left}" y2="{b}"/><text x="{cx}" y="{ly}" text-anchor="middle">{xl}</text><text x="12" y="{t}" text-anchor="start">{yl}</text>"#,
        b = H - PAD,
        r = W - PAD,
        t = PAD - 10.0,
        cx = (left + W - PAD) / 2.0,
        ly = H - 6.0,
        xl = esc(&xc.label),
        yl = esc(&yc.label),
    );
    for (p, t) in &sx.ticks {
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{}" text-anchor="middle">{}</text>"#,
            x(*p),
            H - PAD + 14.0,
            esc(t)
        );
    }
    for (p, t) in &sy.ticks {
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            left - 4.0,
            y(*p) + 4.0,
            esc(t)
        );
    }
    for (r, name) in names.iter().enumerate() {
        if let (Some(px), Some(py)) = (sx.pos[r], sy.pos[r]) {
            let _ = write!(
                out,
                r#"<circle class="dot" cx="{:.1}" cy="{:.1}" r="5"><title>{}: {}, {}</title></circle>"#,
                x(px),
                y(py),
                esc(name),
                esc(xc.values[r].as_deref().unwrap_or("")),
                esc(yc.values[r].as_deref().unwrap_or(""))
            );
        }
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(label: &str, values: &[Option<&str>]) -> Column {
        Column {
            label: label.into(),
            values: values.iter().map(|v| v.map(str::to_string)).collect(),
        }
    }

    #[test]
    fn numbers_get_a_linear_axis_and_words_a_position_each() {
        let s = scale(&col("lr", &[Some("0.1"), Some("0.3"), None]).values);
        assert_eq!(s.pos, vec![Some(0.0), Some(1.0), None]);
        let s = scale(&col("opt", &[Some("sgd"), Some("adam"), Some("sgd")]).values);
        assert_eq!(s.pos, vec![Some(1.0), Some(0.0), Some(1.0)]);
    }

    #[test]
    fn labels_and_names_are_escaped() {
        let names = vec!["<script>alert(1)</script>".to_string()];
        let a = col("<b>", &[Some("1")]);
        let svg = scatter(&a, &a, &names) + &parallel(&[a], &names);
        assert!(!svg.contains("<script>") && !svg.contains("<b>"), "{svg}");
        assert!(svg.contains("&lt;script&gt;"));
    }
}
