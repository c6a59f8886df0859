//! `mlf runs compare RUN... | --filter EXPR`: runs side by side, a column per run.

use serde::Serialize;

use super::SearchArgs;
use super::columns::{Column, glob_match, pick_columns};
use crate::commands::context::Ctx;
use crate::error::{CliResult, usage_error};
use crate::store::Backend;
use crate::tracking::ids::now_ms;
use crate::tracking::{Run, tags};
use crate::ui::format::{OutputFormat, duration, number, short_id, time};
use crate::ui::{Ui, table};

/// Compare runs side by side: params, metrics, tags, git commit and duration
///
/// Rows whose values differ are marked `≠` (and highlighted in colour); the best value of
/// each metric is marked `*`; metrics of the second and later runs show their difference from
/// the first. Lower is better for metrics named like loss, error, rmse, mse, mae, time or
/// latency, higher for the rest; `--lower` and `--higher` decide for others. Wide comparisons
/// are split into blocks that fit the terminal.
#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// Runs: full ids, unique id prefixes or unique names
    #[arg(add = crate::commands::complete::run_completer(), conflicts_with = "filter", required_unless_present = "filter")]
    runs: Vec<String>,
    #[command(flatten)]
    search: SearchArgs,
    /// With `--filter`: compare at most N runs
    #[arg(short = 'n', long, value_name = "N", default_value_t = 20)]
    limit: usize,
    /// Rows to show, as comma-separated globs over param, metric and tag keys
    #[arg(add = crate::commands::complete::key_completer(), long, value_name = "GLOB,...", value_delimiter = ',')]
    columns: Vec<String>,
    /// Show only the rows whose values differ
    #[arg(long)]
    only_changed: bool,
    /// Metrics (globs) for which lower is better
    #[arg(long, value_name = "GLOB,...", value_delimiter = ',')]
    lower: Vec<String>,
    /// Metrics (globs) for which higher is better
    #[arg(long, value_name = "GLOB,...", value_delimiter = ',')]
    higher: Vec<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
}

/// One row of the comparison.
#[derive(Debug, Serialize)]
pub struct Row {
    pub key: String,
    /// The values, one per run (null where a run lacks it).
    pub values: Vec<Option<String>>,
    pub differs: bool,
    /// For metrics: index of the best run, and the difference of each from the first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub best: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub higher_is_better: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deltas: Option<Vec<Option<f64>>>,
    #[serde(skip)]
    numbers: Vec<Option<f64>>,
}

const LOWER_WORDS: &[&str] = &[
    "loss",
    "err",
    "error",
    "rmse",
    "mse",
    "mae",
    "mape",
    "perplexity",
    "latency",
    "time",
    "duration",
    "wer",
    "cer",
    "cost",
    "regret",
    "fpr",
    "fnr",
];

/// Whether higher is better for a metric: `--higher`/`--lower`, else by its name.
pub fn higher_is_better(key: &str, lower: &[String], higher: &[String]) -> bool {
    if higher.iter().any(|g| glob_match(g, key)) {
        return true;
    }
    if lower.iter().any(|g| glob_match(g, key)) {
        return false;
    }
    let k = key.to_ascii_lowercase();
    let words: Vec<&str> = k.split(|c: char| !c.is_ascii_alphanumeric()).collect();
    !LOWER_WORDS
        .iter()
        .any(|w| words.contains(w) || k.ends_with(w) || k.starts_with(w))
}

/// Resolves the runs to compare: the named ones, or those the filter selects.
pub fn select_runs(
    store: &dyn Backend,
    names: &[String],
    search: &SearchArgs,
    limit: usize,
) -> CliResult<Vec<Run>> {
    if !names.is_empty() {
        let mut runs = Vec::new();
        for name in names {
            let id = super::position::resolve(store, Some(name), None)?;
            if runs.iter().any(|r: &Run| r.info.run_id == id) {
                return Err(usage_error(format!("run `{name}` is named twice")));
            }
            runs.push(store.run(&id)?);
        }
        return Ok(runs);
    }
    let query = search.query(store, Some(limit), None)?;
    Ok(store.search_runs(&query)?.runs)
}

pub fn run(ctx: &mut Ctx, args: CompareArgs) -> CliResult<u8> {
    let CompareArgs {
        runs,
        search,
        limit,
        columns,
        only_changed,
        lower,
        higher,
        format,
    } = args;
    let store = ctx.store()?;
    let runs = select_runs(store, &runs, &search, limit)?;
    if runs.is_empty() {
        ctx.ui.status("No runs", "match the filter");
        return Ok(0);
    }
    let mut rows = build_rows(&runs, &columns, &lower, &higher)?;
    if only_changed {
        rows.retain(|r| r.differs || r.key == "name");
    }
    match format {
        OutputFormat::Json => {
            let ids: Vec<_> = runs
                .iter()
                .map(
                    |r| serde_json::json!({ "run_id": r.info.run_id, "run_name": r.info.run_name }),
                )
                .collect();
            ctx.ui
                .json(&serde_json::json!({ "runs": ids, "rows": rows }))?;
        }
        OutputFormat::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            let mut header = vec!["key".to_string()];
            header.extend(runs.iter().map(|r| r.info.run_id.clone()));
            let _ = w.write_record(&header);
            for row in &rows {
                let mut rec = vec![row.key.clone()];
                rec.extend(row.values.iter().map(|v| v.clone().unwrap_or_default()));
                let _ = w.write_record(&rec);
            }
            ctx.ui.out(&String::from_utf8_lossy(
                &w.into_inner().unwrap_or_default(),
            ));
        }
        OutputFormat::Md => {
            let mut headers = vec!["key".to_string()];
            headers.extend(runs.iter().map(|r| r.info.run_name.clone()));
            let text: Vec<Vec<String>> = rows
                .iter()
                .map(|row| {
                    let mut cells = vec![if row.differs {
                        format!("**{}**", row.key)
                    } else {
                        row.key.clone()
                    }];
                    cells.extend((0..runs.len()).map(|i| display(row, i)));
                    cells
                })
                .collect();
            ctx.ui.out(&table::markdown(&headers, &text));
        }
        OutputFormat::Table => ctx.ui.out(&render_blocks(&ctx.ui, &runs, &rows)),
    }
    Ok(0)
}

/// The rows: the runs' own attributes, then params, metrics and (when picked) tags.
pub fn build_rows(
    runs: &[Run],
    globs: &[String],
    lower: &[String],
    higher: &[String],
) -> CliResult<Vec<Row>> {
    let now = now_ms();
    let mut rows = Vec::new();
    let mut attr = |key: &str, f: &dyn Fn(&Run) -> Option<String>| {
        let values: Vec<Option<String>> = runs.iter().map(f).collect();
        let differs = values.windows(2).any(|w| w[0] != w[1]);
        rows.push(Row {
            key: key.into(),
            values,
            differs,
            best: None,
            higher_is_better: None,
            deltas: None,
            numbers: vec![],
        });
    };
    attr("name", &|r| Some(r.info.run_name.clone()));
    attr("id", &|r| Some(short_id(&r.info.run_id).to_string()));
    attr("status", &|r| Some(super::display_status(r).to_string()));
    attr("start", &|r| Some(time(r.info.start_time)));
    attr("duration", &|r| r.duration_ms(now).map(duration));
    attr("git commit", &|r| {
        r.tag(tags::GIT_COMMIT).map(|c| {
            let dirty = if r.tag(tags::GIT_DIRTY) == Some("true") {
                " (dirty)"
            } else {
                ""
            };
            format!("{}{dirty}", &c[..c.len().min(10)])
        })
    });
    let mut cols = pick_columns(runs, globs)?;
    if globs.is_empty() {
        // Beside params and metrics, show the user's own tags (not mlflow.* / mlf.*).
        let mut user_tags: Vec<Column> = runs
            .iter()
            .flat_map(|r| r.data.tags.iter())
            .filter(|t| !t.key.starts_with("mlflow.") && !t.key.starts_with("mlf."))
            .map(|t| Column::Tag(t.key.clone()))
            .collect();
        user_tags.sort();
        user_tags.dedup();
        cols.extend(user_tags);
    }
    for c in cols {
        let values: Vec<Option<String>> = runs.iter().map(|r| c.raw(r)).collect();
        let differs = values.windows(2).any(|w| w[0] != w[1]);
        let mut row = Row {
            key: c.qualified(),
            values,
            differs,
            best: None,
            higher_is_better: None,
            deltas: None,
            numbers: vec![],
        };
        if let Column::Metric(k) = &c {
            let numbers: Vec<Option<f64>> =
                runs.iter().map(|r| r.metric(k).map(|m| m.value)).collect();
            let hib = higher_is_better(k, lower, higher);
            let mut best: Option<(usize, f64)> = None;
            for (i, v) in numbers.iter().enumerate() {
                if let Some(v) = v.filter(|v| !v.is_nan()) {
                    let better = match best {
                        None => true,
                        Some((_, b)) => {
                            if hib {
                                v > b
                            } else {
                                v < b
                            }
                        }
                    };
                    if better {
                        best = Some((i, v));
                    }
                }
            }
            let first = numbers[0];
            row.deltas = Some(numbers.iter().map(|v| Some(v.as_ref()? - first?)).collect());
            row.best = best.filter(|_| runs.len() > 1).map(|(i, _)| i);
            row.higher_is_better = Some(hib);
            row.numbers = numbers;
        }
        rows.push(row);
    }
    Ok(rows)
}

/// A cell's text: metrics rounded, with the difference from the first run and a best marker.
fn display(row: &Row, i: usize) -> String {
    let Some(v) = &row.values[i] else {
        return "-".into();
    };
    if row.numbers.is_empty() {
        return v.clone();
    }
    let Some(n) = row.numbers[i] else {
        return "-".into();
    };
    let mut s = number(n);
    if i > 0 {
        if let Some(Some(d)) = row.deltas.as_ref().map(|d| d[i]) {
            if d != 0.0 && d.is_finite() {
                s.push_str(&format!(
                    " ({}{})",
                    if d > 0.0 { "+" } else { "" },
                    number(d)
                ));
            }
        }
    }
    if row.best == Some(i) {
        s.push_str(" *");
    }
    s
}

/// Renders the comparison, split into blocks of runs that fit the terminal width.
pub fn render_blocks(ui: &Ui, runs: &[Run], rows: &[Row]) -> String {
    let key_width = rows
        .iter()
        .map(|r| r.key.chars().count())
        .max()
        .unwrap_or(3)
        + 5;
    let widths: Vec<usize> = (0..runs.len())
        .map(|i| {
            rows.iter()
                .map(|r| display(r, i).chars().count())
                .max()
                .unwrap_or(1)
                .min(40)
                + 2
        })
        .collect();
    let available = ui.width.map(usize::from).unwrap_or(usize::MAX);
    let mut blocks: Vec<std::ops::Range<usize>> = Vec::new();
    let mut start = 0;
    let mut used = key_width;
    for (i, w) in widths.iter().enumerate() {
        if i > start && used + w > available {
            blocks.push(start..i);
            start = i;
            used = key_width;
        }
        used += w;
    }
    blocks.push(start..runs.len());
    let mut out = String::new();
    for (b, range) in blocks.iter().enumerate() {
        if b > 0 {
            out.push('\n');
        }
        let mut headers = vec![String::new(), "KEY".to_string()];
        headers.extend(range.clone().map(|i| format!("RUN {}", i + 1)));
        let mut t = table::new(ui, &headers);
        for row in rows {
            let mut cells = vec![
                table::Cell::new(if row.differs { "≠" } else { "" }),
                table::Cell::new(&row.key),
            ];
            for i in range.clone() {
                let mut cell = table::Cell::new(display(row, i));
                if row.best == Some(i) {
                    cell = cell.style("1;32");
                } else if row.differs {
                    cell = cell.style("33");
                }
                cells.push(cell);
            }
            t.add_row(cells);
        }
        out.push_str(&table::render(&t));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::higher_is_better;

    #[test]
    fn directions() {
        for k in [
            "loss",
            "val_loss",
            "rmse",
            "test/error",
            "latency_ms",
            "train-time",
        ] {
            assert!(!higher_is_better(k, &[], &[]), "{k}");
        }
        for k in ["acc", "accuracy", "r2", "f1", "auc"] {
            assert!(higher_is_better(k, &[], &[]), "{k}");
        }
        assert!(higher_is_better("loss", &[], &["loss".into()]));
        assert!(!higher_is_better("score", &["sc*".into()], &[]));
    }
}
