//! The runs table's columns beyond the run's own: metrics, params and tags, picked by globs as
//! `mlf runs list --columns` does (`lr`, `metrics.*`, `params.opt*`, `tags.team`), with the
//! columns whose value is the same in every run shown hidden on request.

use std::collections::BTreeSet;

use crate::tracking::Run;
use crate::ui::format::number;

/// Most metric and most param columns shown when no globs are given.
const DEFAULT_MAX: usize = 12;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Metric,
    Param,
    Tag,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub kind: Kind,
    pub key: String,
}

impl Column {
    fn prefix(&self) -> &'static str {
        match self.kind {
            Kind::Metric => "metrics",
            Kind::Param => "params",
            Kind::Tag => "tags",
        }
    }

    /// The order-by key of the store's search.
    pub fn order_key(&self) -> String {
        format!("{}.`{}`", self.prefix(), self.key.replace('`', ""))
    }

    pub fn label(&self) -> String {
        match self.kind {
            Kind::Metric => self.key.clone(),
            Kind::Param => format!("{} (param)", self.key),
            Kind::Tag => format!("{} (tag)", self.key),
        }
    }

    pub fn numeric(&self) -> bool {
        self.kind == Kind::Metric
    }

    pub fn value(&self, run: &Run) -> String {
        match self.kind {
            Kind::Metric => run
                .data
                .metrics
                .iter()
                .find(|m| m.key == self.key)
                .map(|m| number(m.value))
                .unwrap_or_default(),
            Kind::Param => run.param(&self.key).unwrap_or("").to_string(),
            Kind::Tag => run.tag(&self.key).unwrap_or("").to_string(),
        }
    }
}

/// `*` matches any run of characters; everything else itself.
fn glob(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, rest)) => {
            let Some(tail) = text.strip_prefix(head) else {
                return false;
            };
            (0..=tail.len())
                .filter(|&i| tail.is_char_boundary(i))
                .any(|i| glob(rest, &tail[i..]))
        }
    }
}

/// The columns for `runs`: those the globs pick (comma-separated; none: the metrics, then the
/// params, of these runs), without the ones that are the same in every run when
/// `only_changed`.
pub fn choose(runs: &[Run], globs: &str, only_changed: bool) -> Vec<Column> {
    let mut all: BTreeSet<(Kind, &str)> = BTreeSet::new();
    for r in runs {
        all.extend(
            r.data
                .metrics
                .iter()
                .map(|m| (Kind::Metric, m.key.as_str())),
        );
        all.extend(r.data.params.iter().map(|p| (Kind::Param, p.key.as_str())));
        all.extend(r.data.tags.iter().map(|t| (Kind::Tag, t.key.as_str())));
    }
    let patterns: Vec<&str> = globs
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    let mut out: Vec<Column> = Vec::new();
    if patterns.is_empty() {
        for kind in [Kind::Metric, Kind::Param] {
            out.extend(
                all.iter()
                    .filter(|(k, _)| *k == kind)
                    .take(DEFAULT_MAX)
                    .map(|(kind, key)| Column {
                        kind: *kind,
                        key: key.to_string(),
                    }),
            );
        }
    } else {
        for p in patterns {
            for (kind, key) in &all {
                let c = Column {
                    kind: *kind,
                    key: key.to_string(),
                };
                let full = format!("{}.{key}", c.prefix());
                let bare = !p.contains('.') && *kind != Kind::Tag && glob(p, key);
                if (bare || glob(p, &full)) && !out.contains(&c) {
                    out.push(c);
                }
            }
        }
    }
    if only_changed && runs.len() > 1 {
        out.retain(|c| {
            let first = c.value(&runs[0]);
            runs.iter().any(|r| c.value(r) != first)
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn globs() {
        assert!(glob("metrics.*", "metrics.loss"));
        assert!(glob("params.opt*", "params.optimizer"));
        assert!(glob("lr", "lr"));
        assert!(!glob("lr", "lr2"));
        assert!(glob("*a*c", "xabc"));
        assert!(!glob("tags.*", "params.x"));
    }
}
