//! `mlf runs list`: runs as a table (or JSON, CSV, Markdown), filtered and ordered.

use std::collections::{BTreeSet, HashMap};

use super::SearchArgs;
use super::columns::{Column, changed_only, header, pick_columns};
use crate::commands::context::Ctx;
use crate::error::CliResult;
use crate::tracking::Run;
use crate::tracking::ViewType;
use crate::tracking::ids::now_ms;
use crate::ui::format::{OutputFormat, duration, short_id, time};
use crate::ui::table;

/// How many runs a table on a terminal shows when `-n` is not given.
pub const TTY_LIMIT: usize = 100;

/// List runs as a table: status, name, id, start, duration, params and latest metrics
///
/// Without `-x`, lists the runs of every active experiment, newest first. `--filter` takes
/// MLflow's search grammar plus OR, NOT, parentheses and relative times
/// (`metrics.rmse < 0.5 and params.alpha = '0.3'`, `attributes.start_time > -7d`).
/// Params and metrics become columns; `--columns` picks them by glob (`lr`, `metrics.*`,
/// `params.opt*`, `tags.team`).
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    #[command(flatten)]
    search: SearchArgs,
    /// Show at most N runs [default on a terminal: 100, else all]
    #[arg(short = 'n', long, value_name = "N")]
    limit: Option<usize>,
    /// Continue after a previous page (the token `--limit` printed)
    #[arg(long, value_name = "TOKEN", requires = "limit")]
    page_token: Option<String>,
    /// Columns to show beside the run's own, as comma-separated globs over param, metric and
    /// tag keys (`lr`, `metrics.*`, `params.opt*`, `tags.team`) [default: `columns` in the
    /// settings, else every param and metric]
    #[arg(add = crate::commands::complete::key_completer(), long, value_name = "GLOB,...", value_delimiter = ',')]
    columns: Vec<String>,
    /// Hide param, metric and tag columns whose value is the same in every run shown
    #[arg(long)]
    only_changed: bool,
    /// Output format
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
}

pub fn run(ctx: &mut Ctx, args: ListArgs) -> CliResult<u8> {
    let ListArgs {
        search,
        limit,
        page_token,
        columns,
        only_changed,
        format,
    } = args;
    let columns = if columns.is_empty() {
        ctx.config()?
            .defaults
            .columns
            .as_ref()
            .map(|c| c.globs())
            .unwrap_or_default()
    } else {
        columns
    };
    // A table on a terminal shows the first runs only, unless `-n` says how many.
    let default_limit = (limit.is_none() && ctx.ui.stdout_tty && format == OutputFormat::Table)
        .then_some(TTY_LIMIT);
    let limit = limit.or(default_limit);
    let store = ctx.store()?;
    let query = search.query(store, limit, page_token)?;
    let page = store.search_runs(&query)?;
    let runs = page.runs;
    let mut cols = pick_columns(&runs, &columns)?;
    if only_changed {
        cols = changed_only(cols, &runs);
    }
    match format {
        OutputFormat::Json => {
            ctx.ui.page();
            let mut out = serde_json::json!({ "runs": runs });
            if let Some(t) = &page.next_page_token {
                out["next_page_token"] = serde_json::Value::String(t.clone());
            }
            ctx.ui.json(&out)?;
        }
        OutputFormat::Csv => {
            ctx.ui.page();
            ctx.ui.out(&csv(&runs, &cols));
        }
        OutputFormat::Table | OutputFormat::Md => {
            if runs.is_empty() {
                let why = if search.filter.is_some() {
                    "match the filter"
                } else {
                    "yet: start one with `mlf run -- CMD`"
                };
                ctx.ui.status("No runs", why);
                return Ok(0);
            }
            let names: HashMap<String, String> = store
                .list_experiments(ViewType::All)?
                .into_iter()
                .map(|e| (e.experiment_id, e.name))
                .collect();
            let (headers, rows) = rows(&runs, &cols, &names);
            ctx.ui.page();
            if format == OutputFormat::Md {
                ctx.ui.out(&table::markdown(&headers, &rows));
            } else {
                let mut t = table::new(&ctx.ui, &headers);
                t.set_priority(&priority(&headers, &cols, &runs));
                t.set_keep(4);
                for (run, row) in runs.iter().zip(rows) {
                    let mut cells = vec![table::status_cell(&ctx.ui, super::display_status(run))];
                    cells.extend(row.into_iter().skip(1).map(table::Cell::new));
                    t.add_row(cells);
                }
                ctx.ui.out(&table::render(&t));
                let n = t.left_out();
                if n > 0 {
                    ctx.ui.hint(&format!(
                        "{n} column{} left out to fit the terminal: pick them with `--columns`, or see all with `--format csv`",
                        if n == 1 { "" } else { "s" }
                    ));
                }
            }
        }
    }
    if let Some(t) = page.next_page_token {
        if let Some(n) = default_limit {
            ctx.ui.hint(&format!(
                "the first {n} runs are shown on a terminal: `-n N` shows N, `-n {n} --page-token {t}` the next {n}"
            ));
        } else if format != OutputFormat::Json {
            ctx.ui.hint(&format!("more runs: add `--page-token {t}`"));
        }
    }
    Ok(0)
}

/// Which columns a narrow terminal keeps longest: status, name, id, start, then the params
/// and metrics that vary between the runs shown, the experiment, the duration, and last the
/// columns whose value is the same in every run.
fn priority(headers: &[String], cols: &[Column], runs: &[Run]) -> Vec<usize> {
    let fixed = headers.len() - cols.len();
    let at = |name: &str| headers[..fixed].iter().position(|h| h == name);
    let varying = changed_only(cols.to_vec(), runs);
    let mut order: Vec<usize> = ["STATUS", "NAME", "ID", "START"]
        .iter()
        .filter_map(|h| at(h))
        .collect();
    order.extend(
        (0..cols.len())
            .filter(|&i| varying.contains(&cols[i]))
            .map(|i| fixed + i),
    );
    order.extend(["EXPERIMENT", "DURATION"].iter().filter_map(|h| at(h)));
    order
}

/// Headers and text rows: status, name, id, [experiment], start, duration, then columns.
fn rows(
    runs: &[Run],
    cols: &[Column],
    names: &HashMap<String, String>,
) -> (Vec<String>, Vec<Vec<String>>) {
    let many_exps = runs
        .iter()
        .map(|r| &r.info.experiment_id)
        .collect::<BTreeSet<_>>()
        .len()
        > 1;
    let mut headers = vec!["STATUS".to_string(), "NAME".into(), "ID".into()];
    if many_exps {
        headers.push("EXPERIMENT".into());
    }
    headers.extend(["START".into(), "DURATION".into()]);
    headers.extend(cols.iter().map(|c| header(c, cols)));
    let now = now_ms();
    let rows = runs
        .iter()
        .map(|run| {
            let name = if run.info.lifecycle_stage.as_str() == "deleted" {
                format!("{} (deleted)", run.info.run_name)
            } else {
                run.info.run_name.clone()
            };
            let mut row = vec![
                super::display_status(run).to_string(),
                name,
                short_id(&run.info.run_id).to_string(),
            ];
            if many_exps {
                row.push(
                    names
                        .get(&run.info.experiment_id)
                        .cloned()
                        .unwrap_or_default(),
                );
            }
            row.push(time(run.info.start_time));
            // A DEAD run's end is unknown: its duration is not counted on to now.
            row.push(if super::is_dead(run) {
                "?".to_string()
            } else {
                run.duration_ms(now).map(duration).unwrap_or_default()
            });
            row.extend(cols.iter().map(|c| c.value(run, false)));
            row
        })
        .collect();
    (headers, rows)
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
