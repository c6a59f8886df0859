//! Param, metric and tag columns picked from runs, shared by `list` and `compare`.

use std::collections::BTreeSet;

use crate::error::{CliResult, usage_error};
use crate::tracking::Run;
use crate::ui::format::{number, number_exact};

/// A column picked from the runs' data.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Column {
    Param(String),
    Metric(String),
    Tag(String),
}

impl Column {
    pub fn qualified(&self) -> String {
        match self {
            Column::Param(k) => format!("params.{k}"),
            Column::Metric(k) => format!("metrics.{k}"),
            Column::Tag(k) => format!("tags.{k}"),
        }
    }

    pub fn key(&self) -> &str {
        match self {
            Column::Param(k) | Column::Metric(k) | Column::Tag(k) => k,
        }
    }

    pub fn value(&self, run: &Run, exact: bool) -> String {
        match self {
            Column::Param(k) => run.param(k).unwrap_or("").to_string(),
            Column::Tag(k) => run.tag(k).unwrap_or("").to_string(),
            Column::Metric(k) => run
                .metric(k)
                .map(|m| {
                    if exact {
                        number_exact(m.value)
                    } else {
                        number(m.value)
                    }
                })
                .unwrap_or_default(),
        }
    }
}

/// A column's header: the bare key, qualified only when a key names two kinds.
pub fn header(c: &Column, all: &[Column]) -> String {
    let clash = all.iter().filter(|o| o.key() == c.key()).count() > 1;
    if clash {
        c.qualified()
    } else {
        c.key().to_string()
    }
}

/// Params then metrics (then tags when asked), picked by the `--columns` globs.
pub fn pick_columns(runs: &[Run], globs: &[String]) -> CliResult<Vec<Column>> {
    let mut params = BTreeSet::new();
    let mut metrics = BTreeSet::new();
    let mut tags = BTreeSet::new();
    for run in runs {
        params.extend(run.data.params.iter().map(|p| Column::Param(p.key.clone())));
        metrics.extend(
            run.data
                .metrics
                .iter()
                .map(|m| Column::Metric(m.key.clone())),
        );
        tags.extend(run.data.tags.iter().map(|t| Column::Tag(t.key.clone())));
    }
    let globs: Vec<&str> = globs
        .iter()
        .map(|g| g.trim())
        .filter(|g| !g.is_empty())
        .collect();
    if globs.is_empty() {
        return Ok(params.into_iter().chain(metrics).collect());
    }
    let mut out = Vec::new();
    for glob in globs {
        if glob.contains(['[', ']', '{', '}']) {
            return Err(usage_error(format!(
                "column pattern `{glob}` uses brackets or braces: only `*` and `?` are supported"
            )));
        }
        let candidates = params.iter().chain(&metrics).chain(&tags);
        for c in candidates {
            // Bare globs match param and metric keys; tags are picked with `tags.` only.
            let bare = !matches!(c, Column::Tag(_)) && glob_match(glob, c.key());
            if (bare || glob_match(glob, &c.qualified())) && !out.contains(c) {
                out.push(c.clone());
            }
        }
    }
    Ok(out)
}

/// `*` matches any run of characters, `?` one character.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// Keeps only the columns whose values are not all the same across `runs`.
pub fn changed_only(cols: Vec<Column>, runs: &[Run]) -> Vec<Column> {
    cols.into_iter()
        .filter(|c| {
            let mut values = runs.iter().map(|r| c.raw(r));
            let first = values.next();
            values.any(|v| Some(v) != first)
        })
        .collect()
}

impl Column {
    /// The exact stored value (None when missing), for comparisons.
    pub fn raw(&self, run: &Run) -> Option<String> {
        match self {
            Column::Param(k) => run.param(k).map(str::to_string),
            Column::Tag(k) => run.tag(k).map(str::to_string),
            Column::Metric(k) => run.metric(k).map(|m| number_exact(m.value)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn globs() {
        assert!(glob_match("metrics.*", "metrics.loss"));
        assert!(glob_match("l?", "lr"));
        assert!(glob_match("*acc*", "val_acc_top1"));
        assert!(!glob_match("lr", "lr2"));
        assert!(glob_match("*", ""));
    }
}
