//! Line charts for the terminal: braille dots (2×4 per character) or marker characters, with a
//! y axis, a step axis and a legend.

/// How a chart is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Style {
    /// Braille dots: fine lines; series told apart by colour
    Braille,
    /// One marker character per series (`*`, `+`, `o`, `x`, `#`, `@`): readable without colour
    Markers,
}

/// One curve: a label and its (x, y) points.
pub struct Series {
    pub label: String,
    pub points: Vec<(f64, f64)>,
}

const COLORS: [&str; 6] = ["36", "35", "33", "32", "34", "31"];
const MARKERS: [char; 6] = ['*', '+', 'o', 'x', '#', '@'];

fn paint(on: bool, code: &str, text: &str) -> String {
    if on {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

fn label(v: f64) -> String {
    super::format::number(v)
}

/// Renders series into a chart `width` characters wide with a plot area `height` lines tall.
pub fn render(
    series: &[Series],
    title: &str,
    width: usize,
    height: usize,
    color: bool,
    style: Style,
) -> String {
    let finite = || {
        series
            .iter()
            .flat_map(|s| s.points.iter())
            .filter(|(x, y)| x.is_finite() && y.is_finite())
    };
    let (mut xmin, mut xmax, mut ymin, mut ymax) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for (x, y) in finite() {
        xmin = xmin.min(*x);
        xmax = xmax.max(*x);
        ymin = ymin.min(*y);
        ymax = ymax.max(*y);
    }
    if xmin > xmax {
        return format!("{title}: no finite points to draw\n");
    }
    if ymin == ymax {
        let pad = if ymin == 0.0 { 1.0 } else { ymin.abs() * 0.1 };
        ymin -= pad;
        ymax += pad;
    }
    if xmin == xmax {
        xmax = xmin + 1.0;
    }
    let ylabels = [label(ymax), label((ymax + ymin) / 2.0), label(ymin)];
    let lw = ylabels.iter().map(|l| l.chars().count()).max().unwrap_or(1);
    let w = width.saturating_sub(lw + 2).max(10);
    let h = height.max(3);
    // Per cell: braille bits, or a marker, and the index of the series drawn last there.
    let mut bits = vec![vec![0u8; w]; h];
    let mut owner: Vec<Vec<Option<usize>>> = vec![vec![None; w]; h];
    let (pw, ph) = match style {
        Style::Braille => (w * 2, h * 4),
        Style::Markers => (w, h),
    };
    let to_px = |x: f64, y: f64| -> (i64, i64) {
        let px = ((x - xmin) / (xmax - xmin) * (pw - 1) as f64).round() as i64;
        let py = ((ymax - y) / (ymax - ymin) * (ph - 1) as f64).round() as i64;
        (px, py)
    };
    for (si, s) in series.iter().enumerate() {
        let mut prev: Option<(i64, i64)> = None;
        for &(x, y) in &s.points {
            if !x.is_finite() || !y.is_finite() {
                prev = None;
                continue;
            }
            let p = to_px(x, y);
            let segment = match prev {
                Some(q) => line(q, p),
                None => vec![p],
            };
            for (px, py) in segment {
                if px < 0 || py < 0 || px >= pw as i64 || py >= ph as i64 {
                    continue;
                }
                let (cx, cy) = match style {
                    Style::Braille => ((px / 2) as usize, (py / 4) as usize),
                    Style::Markers => (px as usize, py as usize),
                };
                if style == Style::Braille {
                    bits[cy][cx] |= braille_bit((px % 2) as usize, (py % 4) as usize);
                }
                owner[cy][cx] = Some(si);
            }
            prev = Some(p);
        }
    }
    let mut out = format!("{}{title}\n", " ".repeat(lw + 2));
    for row in 0..h {
        let axis_label = if row == 0 {
            &ylabels[0]
        } else if row == h / 2 {
            &ylabels[1]
        } else if row == h - 1 {
            &ylabels[2]
        } else {
            ""
        };
        let tick = if axis_label.is_empty() { '│' } else { '┤' };
        out.push_str(&format!("{axis_label:>lw$} {tick}"));
        let mut line = String::new();
        for col in 0..w {
            match owner[row][col] {
                None => line.push(' '),
                Some(si) => {
                    let ch = match style {
                        Style::Braille => {
                            char::from_u32(0x2800 + u32::from(bits[row][col])).unwrap_or(' ')
                        }
                        Style::Markers => MARKERS[si % MARKERS.len()],
                    };
                    line.push_str(&paint(color, COLORS[si % COLORS.len()], &ch.to_string()));
                }
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out.push_str(&format!("{} └{}\n", " ".repeat(lw), "─".repeat(w)));
    let (left, right) = (label(xmin), label(xmax));
    let middle = "step";
    let gap = w.saturating_sub(left.len() + right.len());
    let before = gap.saturating_sub(middle.len()) / 2;
    let after = gap.saturating_sub(middle.len() + before);
    out.push_str(&format!(
        "{}  {left}{}{middle}{}{right}\n",
        " ".repeat(lw),
        " ".repeat(before),
        " ".repeat(after)
    ));
    for (si, s) in series.iter().enumerate() {
        let mark = match style {
            Style::Braille => "──".to_string(),
            Style::Markers => MARKERS[si % MARKERS.len()].to_string(),
        };
        let n = s.points.len();
        out.push_str(&format!(
            "{}  {} {} ({} point{})\n",
            " ".repeat(lw),
            paint(color, COLORS[si % COLORS.len()], &mark),
            s.label,
            n,
            if n == 1 { "" } else { "s" }
        ));
    }
    out
}

fn braille_bit(dx: usize, dy: usize) -> u8 {
    const BITS: [[u8; 4]; 2] = [[0x01, 0x02, 0x04, 0x40], [0x08, 0x10, 0x20, 0x80]];
    BITS[dx][dy]
}

/// Pixels from `a` to `b` inclusive (Bresenham).
fn line(a: (i64, i64), b: (i64, i64)) -> Vec<(i64, i64)> {
    let (mut x, mut y) = a;
    let (dx, dy) = ((b.0 - a.0).abs(), -(b.1 - a.1).abs());
    let (sx, sy) = (
        if a.0 < b.0 { 1 } else { -1 },
        if a.1 < b.1 { 1 } else { -1 },
    );
    let mut err = dx + dy;
    let mut out = Vec::with_capacity((dx - dy) as usize + 1);
    loop {
        out.push((x, y));
        if (x, y) == b {
            return out;
        }
        let e2 = 2 * err;
        if e2 >= dy {
            err += dy;
            x += sx;
        }
        if e2 <= dx {
            err += dx;
            y += sy;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_a_diagonal() {
        let s = Series {
            label: "a".into(),
            points: vec![(0.0, 0.0), (9.0, 9.0)],
        };
        let text = render(&[s], "m", 22, 5, false, Style::Markers);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[1].ends_with('*'), "{text}");
        assert!(lines[5].contains("┤*"), "{text}");
        assert!(text.contains("a (2 points)"));
    }

    #[test]
    fn bresenham_is_connected() {
        let pts = line((0, 0), (5, 2));
        assert_eq!(pts.first(), Some(&(0, 0)));
        assert_eq!(pts.last(), Some(&(5, 2)));
        assert_eq!(pts.len(), 6);
    }
}
