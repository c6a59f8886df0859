//! `--capture-metrics`: turning lines a training script prints into metrics.
//!
//! Grammar of one line (documented in the README):
//!
//! ```text
//! line   := [prefix] pair (sep pair)*
//! prefix := ("epoch" | "step" | "iter" | "iteration") ws INT ["/" INT] [":" | "," | "-" | "|"]
//! pair   := KEY "=" NUMBER | KEY ":" ws? NUMBER | KEY ws NUMBER      (the last only after a prefix)
//! sep    := whitespace, ",", ";", "|", or a lone "-"
//! ```
//!
//! A line counts only when every token on it belongs to a pair, so ordinary log lines such as
//! `saved 3 files` are not taken for metrics. The keys `step`, `epoch`, `iter` and `iteration`
//! (in any pair form) set the step of the line instead of being logged. Without a step, each
//! key's points are numbered 0, 1, 2, … in the order they appear.

use std::collections::HashMap;

use super::validation::{KeyKind, validate_key};

const STEP_WORDS: &[&str] = &["epoch", "step", "iter", "iteration"];

/// A parsed metrics line.
#[derive(Debug, Clone, PartialEq)]
pub struct Captured {
    pub step: Option<i64>,
    pub values: Vec<(String, f64)>,
}

/// Parses one line; `None` when it is not a metrics line.
pub fn parse_line(line: &str) -> Option<Captured> {
    let mut tokens: Vec<&str> = line
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '|'))
        .filter(|t| !t.is_empty() && *t != "-")
        .collect();
    let mut step = None;
    let mut prefixed = false;
    if tokens.len() >= 2 && STEP_WORDS.contains(&tokens[0].to_ascii_lowercase().as_str()) {
        let n = tokens[1].trim_end_matches([':', '-']);
        let n = n.split_once('/').map_or(n, |(a, _)| a);
        if let Ok(v) = n.parse::<i64>() {
            step = Some(v);
            prefixed = true;
            tokens.drain(..2);
        }
    }
    let mut values = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let tok = tokens[i];
        let (key, value, used) = if let Some((k, v)) = tok.split_once('=') {
            (k, v, 1)
        } else if let Some(k) = tok.strip_suffix(':') {
            (k, *tokens.get(i + 1)?, 2)
        } else if let Some((k, v)) = tok.split_once(':').filter(|(_, v)| !v.is_empty()) {
            (k, v, 1)
        } else if prefixed {
            (tok, *tokens.get(i + 1)?, 2)
        } else {
            return None;
        };
        let value = parse_number(value)?;
        if !key.starts_with(|c: char| c.is_alphabetic() || c == '_')
            || validate_key(KeyKind::Metric, key).is_err()
        {
            return None;
        }
        if STEP_WORDS.contains(&key.to_ascii_lowercase().as_str()) {
            if value.fract() != 0.0 || !value.is_finite() {
                return None;
            }
            step = Some(value as i64);
        } else {
            values.push((key.to_string(), value));
        }
        i += used;
    }
    if values.is_empty() {
        None
    } else {
        Some(Captured { step, values })
    }
}

fn parse_number(s: &str) -> Option<f64> {
    let first = s.chars().next()?;
    // Words such as `inf` or `nan` alone are too likely to be prose; accept them only spelled
    // as MLflow spells them.
    if first.is_ascii_digit() || matches!(first, '-' | '+' | '.') || s == "NaN" || s == "Infinity" {
        s.parse::<f64>().ok()
    } else {
        None
    }
}

/// Numbers each key's points when a line carries no step.
#[derive(Debug, Default)]
pub struct StepCounter {
    next: HashMap<String, i64>,
}

impl StepCounter {
    /// The metric points of a captured line, with steps filled in.
    pub fn points(&mut self, captured: Captured) -> Vec<(String, f64, i64)> {
        captured
            .values
            .into_iter()
            .map(|(key, value)| {
                let next = self.next.entry(key.clone()).or_insert(0);
                let step = captured.step.unwrap_or(*next);
                *next = step + 1;
                (key, value, step)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Parsed = (Option<i64>, Vec<(String, f64)>);

    fn p(line: &str) -> Option<Parsed> {
        parse_line(line).map(|c| (c.step, c.values))
    }

    #[test]
    fn pairs() {
        assert_eq!(
            p("loss=0.31 acc=0.9"),
            Some((None, vec![("loss".into(), 0.31), ("acc".into(), 0.9)]))
        );
        assert_eq!(
            p("epoch 3: loss 0.31"),
            Some((Some(3), vec![("loss".into(), 0.31)]))
        );
        assert_eq!(
            p("Epoch 2/10 - loss: 0.5 - val_loss: 0.7"),
            Some((
                Some(2),
                vec![("loss".into(), 0.5), ("val_loss".into(), 0.7)]
            ))
        );
        assert_eq!(
            p("step=7, rmse=1e-3"),
            Some((Some(7), vec![("rmse".into(), 0.001)]))
        );
        let nan = parse_line("loss: NaN").unwrap();
        assert_eq!(nan.values.len(), 1);
        assert!(nan.values[0].1.is_nan());
    }

    #[test]
    fn prose_is_not_metrics() {
        for line in [
            "saved 3 files",
            "Downloading data...",
            "loss went down",
            "",
            "x = 3",
            "url=http://host",
            "training done: accuracy=0.9 overall",
            "count 3",
        ] {
            assert_eq!(p(line), None, "{line}");
        }
    }

    #[test]
    fn steps_count_per_key() {
        let mut c = StepCounter::default();
        let a = c.points(parse_line("loss=1").unwrap());
        let b = c.points(parse_line("loss=0.5 acc=0.1").unwrap());
        assert_eq!(a, vec![("loss".into(), 1.0, 0)]);
        assert_eq!(b, vec![("loss".into(), 0.5, 1), ("acc".into(), 0.1, 0)]);
    }
}
