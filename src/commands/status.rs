//! `mlf status`: where runs are kept, the run being logged to, what is running (or died), and
//! the best run of each recently used experiment.

use serde::Serialize;

use crate::commands::context::Ctx;
use crate::commands::runs::compare::higher_is_better;
use crate::commands::runs::is_dead;
use crate::env;
use crate::error::CliResult;
use crate::search::{OrderKey, Target, parse_filter};
use crate::store::{Backend, RunQuery};
use crate::tracking::ids::now_ms;
use crate::tracking::{Run, ViewType};
use crate::ui::format::{OutputArgs, OutputFormat, number, short_id, time};
use crate::ui::table;

/// The experiment tag naming an experiment's primary metric (the one its best run is judged by).
pub const PRIMARY_METRIC_TAG: &str = "mlf.primary_metric";
/// How many of the most recently used experiments `status` shows a best run for.
const RECENT_EXPERIMENTS: usize = 5;
/// How many of the newest runs are looked at to find the recently used experiments.
const RECENT_RUNS: usize = 500;

/// Show the store, the active run, running and dead runs, and the best run per experiment
///
/// The best run of each of the 5 most recently used experiments is judged by the experiment's
/// primary metric (its `mlf.primary_metric` tag) when it has one, else by the first metric (by
/// name) its runs logged; lower is better for names such as loss, error, rmse or time, higher
/// for the rest.
#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Debug, Serialize)]
struct Status {
    store: StoreInfo,
    active_run: Option<Active>,
    running: Vec<Brief>,
    dead: Vec<Brief>,
    best: Vec<Best>,
}

#[derive(Debug, Serialize)]
struct StoreInfo {
    /// `local`, `database`, `server`, or `none` (no store yet).
    kind: &'static str,
    location: String,
}

#[derive(Debug, Serialize)]
struct Active {
    run_id: String,
    run_name: String,
    /// Where it comes from: `MLF_RUN_ID`, `MLFLOW_RUN_ID`, or `mlf run start`.
    source: String,
}

#[derive(Debug, Serialize)]
struct Brief {
    run_id: String,
    run_name: String,
    experiment_id: String,
    start_time: i64,
}

#[derive(Debug, Serialize)]
struct Best {
    experiment_id: String,
    experiment_name: String,
    metric: String,
    /// `primary` (the experiment's `mlf.primary_metric` tag) or `first` (the first metric).
    chosen_by: &'static str,
    higher_is_better: bool,
    run_id: Option<String>,
    run_name: Option<String>,
    value: Option<f64>,
}

pub fn run(ctx: &mut Ctx, args: StatusArgs) -> CliResult<u8> {
    let kind = if ctx.tracking_uri()?.is_some() {
        "server"
    } else if ctx.database_uri().is_some() {
        "database"
    } else {
        "local"
    };
    let status = if kind == "local" && !has_local_store(ctx)? {
        Status {
            store: StoreInfo {
                kind: "none",
                location: ctx.write_store_root()?.display().to_string(),
            },
            active_run: None,
            running: Vec::new(),
            dead: Vec::new(),
            best: Vec::new(),
        }
    } else {
        let store = ctx.store()?;
        gather(store, kind)?
    };
    match args.output.format {
        OutputFormat::Json => ctx.ui.json(&status)?,
        _ => ctx.ui.out(&render(&status)),
    }
    Ok(0)
}

/// Whether a local store exists where commands would read one.
fn has_local_store(ctx: &Ctx) -> CliResult<bool> {
    Ok(match ctx.store_flag() {
        Some(dir) => ctx.cwd()?.join(dir).join(crate::store::DB_FILE).is_file(),
        None => crate::store::Store::discover(&ctx.cwd()?).is_some(),
    })
}

fn gather(store: &mut dyn Backend, kind: &'static str) -> CliResult<Status> {
    let now = now_ms();
    let running_filter = parse_filter("attributes.status = 'RUNNING'", now)
        .map_err(|e| crate::error::failure(e.to_string()))?;
    let running: Vec<Run> = store
        .search_runs(&RunQuery {
            filter: running_filter,
            ..RunQuery::default()
        })?
        .runs;
    let (dead, running): (Vec<&Run>, Vec<&Run>) = running.iter().partition(|r| is_dead(r));
    Ok(Status {
        store: StoreInfo {
            kind,
            location: store.location(),
        },
        active_run: active(store)?,
        running: running.into_iter().map(brief).collect(),
        dead: dead.into_iter().map(brief).collect(),
        best: best_runs(store)?,
    })
}

fn brief(run: &Run) -> Brief {
    Brief {
        run_id: run.info.run_id.clone(),
        run_name: run.info.run_name.clone(),
        experiment_id: run.info.experiment_id.clone(),
        start_time: run.info.start_time,
    }
}

/// The run `mlf log` would write to: `MLF_RUN_ID`/`MLFLOW_RUN_ID` (inside `mlf run`), else the
/// active run of `mlf run start`.
fn active(store: &dyn Backend) -> CliResult<Option<Active>> {
    let (id, source) = match [env::MLF_RUN_ID, env::MLFLOW_RUN_ID]
        .into_iter()
        .find_map(|name| env::var(name).map(|id| (id, name.to_string())))
    {
        Some(found) => found,
        None => match store.active_run()? {
            Some(id) => (id, "mlf run start".to_string()),
            None => return Ok(None),
        },
    };
    let run_name = store
        .run(&id)
        .map(|r| r.info.run_name)
        .unwrap_or_else(|_| "(not in this store)".to_string());
    Ok(Some(Active {
        run_id: id,
        run_name,
        source,
    }))
}

/// The best run of each of the most recently used experiments.
fn best_runs(store: &dyn Backend) -> CliResult<Vec<Best>> {
    let recent = store
        .search_runs(&RunQuery {
            max_results: Some(RECENT_RUNS),
            ..RunQuery::default()
        })?
        .runs;
    let mut order: Vec<&str> = Vec::new();
    for run in &recent {
        let id = run.info.experiment_id.as_str();
        if !order.contains(&id) && order.len() < RECENT_EXPERIMENTS {
            order.push(id);
        }
    }
    let mut out = Vec::new();
    for id in order {
        let exp = store.experiment(id)?;
        let primary = exp
            .tags
            .iter()
            .find(|t| t.key == PRIMARY_METRIC_TAG)
            .map(|t| t.value.trim().to_string())
            .filter(|v| !v.is_empty());
        let (metric, chosen_by) = match primary {
            Some(key) => (key, "primary"),
            None => {
                let first = recent
                    .iter()
                    .filter(|r| r.info.experiment_id == id)
                    .flat_map(|r| r.data.metrics.iter().map(|m| m.key.as_str()))
                    .min();
                match first {
                    Some(key) => (key.to_string(), "first"),
                    None => continue,
                }
            }
        };
        let higher = higher_is_better(&metric, &[], &[]);
        let top = store
            .search_runs(&RunQuery {
                experiment_ids: vec![id.to_string()],
                view: ViewType::ActiveOnly,
                order_by: vec![OrderKey {
                    target: Target::Metric(metric.clone()),
                    ascending: !higher,
                }],
                max_results: Some(1),
                ..RunQuery::default()
            })?
            .runs
            .into_iter()
            .next();
        let value = top.as_ref().and_then(|r| {
            r.data
                .metrics
                .iter()
                .find(|m| m.key == metric)
                .map(|m| m.value)
        });
        let top = top.filter(|_| value.is_some());
        out.push(Best {
            experiment_id: exp.experiment_id,
            experiment_name: exp.name,
            metric,
            chosen_by,
            higher_is_better: higher,
            run_id: top.as_ref().map(|r| r.info.run_id.clone()),
            run_name: top.map(|r| r.info.run_name),
            value,
        });
    }
    Ok(out)
}

fn render(s: &Status) -> String {
    let store = match s.store.kind {
        "none" => format!(
            "none yet (the first run creates {}; `mlf init` makes it now)",
            s.store.location
        ),
        "server" => format!("{} (tracking server)", s.store.location),
        "database" if s.store.location.starts_with("mysql://") => {
            format!("{} (MySQL)", s.store.location)
        }
        "database" => format!("{} (PostgreSQL)", s.store.location),
        _ => s.store.location.clone(),
    };
    let mut head = vec![("store".to_string(), store)];
    if s.store.kind == "none" {
        return table::pairs(&head, 0);
    }
    head.push((
        "active run".into(),
        match &s.active_run {
            Some(a) => format!(
                "{} ({}), from {}",
                a.run_name,
                short_id(&a.run_id),
                a.source
            ),
            None => "none".into(),
        },
    ));
    let mut out = table::pairs(&head, 0);
    for (title, runs) in [("running", &s.running), ("dead", &s.dead)] {
        if runs.is_empty() {
            continue;
        }
        out.push_str(&format!("\n{title} ({})\n", runs.len()));
        let rows: Vec<_> = runs
            .iter()
            .map(|r| {
                (
                    format!("{} ({})", r.run_name, short_id(&r.run_id)),
                    format!("started {}", time(r.start_time)),
                )
            })
            .collect();
        out.push_str(&table::pairs(&rows, 2));
        if title == "dead" {
            out.push_str("  (their process is gone: end them with `mlf run end --run RUN --status killed`)\n");
        }
    }
    if !s.best.is_empty() {
        out.push_str("\nbest runs (recent experiments)\n");
        let rows: Vec<_> = s
            .best
            .iter()
            .map(|b| {
                let by = match b.chosen_by {
                    "primary" => "primary metric",
                    _ => "first metric",
                };
                let dir = if b.higher_is_better { "max" } else { "min" };
                let run = match (&b.run_name, &b.run_id, b.value) {
                    (Some(n), Some(id), Some(v)) => {
                        format!("{n} ({})  {}={}", short_id(id), b.metric, number(v))
                    }
                    _ => format!("no run has `{}`", b.metric),
                };
                (b.experiment_name.clone(), format!("{run}  [{dir}, {by}]"))
            })
            .collect();
        out.push_str(&table::pairs(&rows, 2));
        if s.best.iter().any(|b| b.chosen_by == "first") {
            out.push_str(&format!(
                "  (first metric: the experiment has no `{PRIMARY_METRIC_TAG}` tag naming its primary metric)\n"
            ));
        }
    }
    out
}
