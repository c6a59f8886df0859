//! Output formats and how times, durations and numbers are written for people.

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum OutputFormat {
    /// Aligned columns for people
    #[default]
    Table,
    /// Pretty JSON in MLflow's entity shapes (stable)
    Json,
    /// Comma-separated values with a header row
    Csv,
    /// A Markdown table (for reports and pull requests)
    Md,
}

/// `--format` for commands that show or list.
#[derive(Debug, Clone, clap::Args)]
pub struct OutputArgs {
    /// Output format
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

/// A time in ms since the epoch as local `YYYY-MM-DD HH:MM:SS`.
pub fn time(ms: i64) -> String {
    match jiff::Timestamp::from_millisecond(ms.div_euclid(1000) * 1000) {
        Ok(t) => t
            .to_zoned_datetime(jiff::tz::TimeZone::system())
            .strftime("%Y-%m-%d %H:%M:%S")
            .to_string(),
        Err(_) => ms.to_string(),
    }
}

/// A duration in ms as `850ms`, `12.3s`, `4m 05s`, `2h 03m`, `3d 04h`.
pub fn duration(ms: i64) -> String {
    let s = ms / 1000;
    if ms < 1000 {
        format!("{ms}ms")
    } else if s < 60 {
        format!("{:.1}s", ms as f64 / 1000.0)
    } else if s < 3600 {
        format!("{}m {:02}s", s / 60, s % 60)
    } else if s < 86400 {
        format!("{}h {:02}m", s / 3600, (s % 3600) / 60)
    } else {
        format!("{}d {:02}h", s / 86400, (s % 86400) / 3600)
    }
}

/// A metric value for a table: up to 6 significant digits, scientific when very large or small.
pub fn number(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if v == 0.0 {
        return "0".into();
    }
    let a = v.abs();
    if !(1e-4..1e9).contains(&a) {
        return format!("{v:.3e}");
    }
    let digits = 6 - (a.log10().floor() as i32 + 1);
    let s = format!("{v:.*}", digits.max(0) as usize);
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A metric value for JSON-like contexts (CSV): full precision, MLflow's spellings.
pub fn number_exact(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        }
    } else {
        format!("{v}")
    }
}

/// The first 8 characters of a run id.
pub fn short_id(id: &str) -> &str {
    &id[..id.len().min(8)]
}

/// A byte count as `512 B`, `1.5 KiB`, `3.2 MiB`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

/// Colours a rendered difference on a colour terminal: section titles bold, lines marked `+`
/// (added) green, `-` (removed) red and `~` (changed) yellow. Without colour, the text as is.
pub fn paint_diff(ui: &crate::ui::Ui, text: &str) -> String {
    if !ui.color_stdout {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 64);
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches('\n');
        let painted = if let Some(rest) = body.strip_prefix("  ") {
            match rest.get(..2) {
                Some("+ ") => ui.paint_out(body, "32"),
                Some("- ") => ui.paint_out(body, "31"),
                Some("~ ") => ui.paint_out(body, "33"),
                _ => body.to_string(),
            }
        } else if !body.is_empty() && !body.starts_with("a  ") && !body.starts_with("b  ") {
            ui.paint_out(body, "1")
        } else {
            body.to_string()
        };
        out.push_str(&painted);
        if line.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(number(0.31), "0.31");
        assert_eq!(number(0.1 + 0.2), "0.3");
        assert_eq!(number(1234.5678), "1234.57");
        assert_eq!(number(1e-7), "1.000e-7");
        assert_eq!(number(-2.0), "-2");
        assert_eq!(number(f64::NAN), "NaN");
    }

    #[test]
    fn durations() {
        assert_eq!(duration(850), "850ms");
        assert_eq!(duration(12_345), "12.3s");
        assert_eq!(duration(245_000), "4m 05s");
        assert_eq!(duration(7_380_000), "2h 03m");
    }
}
