//! `mlf runs list`: runs as a table (or JSON, CSV), newest first.

use std::collections::BTreeSet;

use comfy_table::Cell;

use crate::context::Ctx;
use crate::error::{CliResult, usage_error};
use crate::store::RunQuery;
use crate::tracking::ids::now_ms;
use crate::tracking::{Run, ViewType};
use crate::ui::format::{OutputArgs, OutputFormat, duration, number, number_exact, short_id, time};
use crate::ui::table;

/// List runs as a table: status, name, id, start, duration, params and latest metrics
///
/// Without `-x`, lists the runs of every active experiment. Params and metrics become columns;
/// `--columns` picks them by glob (`lr`, `metrics.*`, `params.opt*`, `tags.team`).
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Only runs of this experiment (name or id); repeat for several
    #[arg(short = 'x', long = "experiment", value_name = "EXP")]
    experiments: Vec<String>,
    /// Show at most N runs (the newest)
    #[arg(short = 'n', long, value_name = "N")]
    limit: Option<usize>,
    /// Columns to show beside the run's own, as comma-separated globs over param, metric and
    /// tag keys (`lr`, `metrics.*`, `params.opt*`, `tags.team`)
    #[arg(long, value_name = "GLOB,...", value_delimiter = ',')]
    columns: Vec<String>,
    /// Include deleted runs
    #[arg(short, long)]
    all: bool,
    #[command(flatten)]
    output: OutputArgs,
}

/// A column picked from the runs' data.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Column {
    Param(String),
    Metric(String),
    Tag(String),
}

impl Column {
    fn qualified(&self) -> String {
        match self {
            Column::Param(k) => format!("params.{k}"),
            Column::Metric(k) => format!("metrics.{k}"),
            Column::Tag(k) => format!("tags.{k}"),
        }
    }

    fn key(&self) -> &str {
        match self {
            Column::Param(k) | Column::Metric(k) | Column::Tag(k) => k,
        }
    }

    fn value(&self, run: &Run, exact: bool) -> String {
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

pub fn run(ctx: &mut Ctx, args: ListArgs) -> CliResult<u8> {
    let ListArgs {
        experiments,
        limit,
        columns,
        all,
        output,
    } = args;
    let store = ctx.store()?;
    let mut ids = Vec::new();
    for spec in &experiments {
        ids.push(store.resolve_experiment(spec)?.experiment_id);
    }
    let query = RunQuery {
        experiment_ids: ids,
        view: if all {
            ViewType::All
        } else {
            ViewType::ActiveOnly
        },
        max_results: limit,
        ..Default::default()
    };
    let runs = store.search_runs(&query)?.runs;
    let cols = pick_columns(&runs, &columns)?;
    match output.format {
        OutputFormat::Json => ctx.ui.json(&serde_json::json!({ "runs": runs }))?,
        OutputFormat::Csv => ctx.ui.out(&csv(&runs, &cols)),
        OutputFormat::Table => {
            let names = store
                .list_experiments(ViewType::All)?
                .into_iter()
                .map(|e| (e.experiment_id, e.name))
                .collect::<std::collections::HashMap<_, _>>();
            let many_exps = runs
                .iter()
                .map(|r| &r.info.experiment_id)
                .collect::<BTreeSet<_>>()
                .len()
                > 1;
            if runs.is_empty() {
                ctx.ui
                    .status("No runs", "yet: start one with `mlf run -- CMD`");
                return Ok(0);
            }
            let mut headers = vec!["STATUS".to_string(), "NAME".into(), "ID".into()];
            if many_exps {
                headers.push("EXPERIMENT".into());
            }
            headers.extend(["START".into(), "DURATION".into()]);
            let bare: Vec<String> = cols.iter().map(|c| header(c, &cols)).collect();
            headers.extend(bare);
            let mut t = table::new(&ctx.ui, &headers);
            let now = now_ms();
            for run in &runs {
                let mut row = vec![
                    table::status_cell(&ctx.ui, super::display_status(run)),
                    Cell::new(&run.info.run_name),
                    Cell::new(short_id(&run.info.run_id)),
                ];
                if many_exps {
                    let name = names
                        .get(&run.info.experiment_id)
                        .cloned()
                        .unwrap_or_default();
                    row.push(Cell::new(name));
                }
                row.push(Cell::new(time(run.info.start_time)));
                row.push(Cell::new(
                    run.duration_ms(now).map(duration).unwrap_or_default(),
                ));
                for c in &cols {
                    row.push(Cell::new(c.value(run, false)));
                }
                t.add_row(row);
            }
            ctx.ui.out(&table::render(&t));
        }
    }
    Ok(0)
}

/// A column's header: the bare key, qualified only when a key names two kinds.
fn header(c: &Column, all: &[Column]) -> String {
    let clash = all.iter().filter(|o| o.key() == c.key()).count() > 1;
    if clash {
        c.qualified()
    } else {
        c.key().to_string()
    }
}

/// Params then metrics (then tags when asked), picked by the `--columns` globs.
fn pick_columns(runs: &[Run], globs: &[String]) -> CliResult<Vec<Column>> {
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

fn csv(runs: &[Run], cols: &[Column]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = [
        "run_id",
        "run_name",
        "experiment_id",
        "status",
        "start_time",
        "end_time",
        "lifecycle_stage",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    header.extend(cols.iter().map(Column::qualified));
    let _ = w.write_record(&header);
    for run in runs {
        let i = &run.info;
        let mut row = vec![
            i.run_id.clone(),
            i.run_name.clone(),
            i.experiment_id.clone(),
            i.status.as_str().to_string(),
            i.start_time.to_string(),
            i.end_time.map(|t| t.to_string()).unwrap_or_default(),
            i.lifecycle_stage.as_str().to_string(),
        ];
        row.extend(cols.iter().map(|c| c.value(run, true)));
        let _ = w.write_record(&row);
    }
    String::from_utf8_lossy(&w.into_inner().unwrap_or_default()).into_owned()
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
