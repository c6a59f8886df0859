//! `mlf runs …`: read runs back, delete and restore them.

mod columns;
pub mod compare;
mod delete;
mod diff;
mod list;
pub mod logs;
mod metric;
mod plot;
pub mod position;
mod show;

use crate::commands::context::Ctx;
use crate::error::{CliError, CliResult, usage_error};
use crate::search::{SearchError, parse_filter, parse_order_by};
use crate::store::{Backend, RunQuery};
use crate::tracking::ids::now_ms;
use crate::tracking::{Run, RunStatus, ViewType};

/// Which runs, in which order: shared by `list` and `compare`.
#[derive(Debug, clap::Args)]
pub struct SearchArgs {
    /// Only runs of this experiment (name or id); repeat for several
    #[arg(add = crate::commands::complete::experiment_completer(), short = 'x', long = "experiment", value_name = "EXP")]
    pub experiments: Vec<String>,
    /// Only runs matching this filter (`metrics.acc > 0.9 and params.opt = 'adam'`)
    #[arg(add = crate::commands::complete::key_completer(), short, long, value_name = "EXPR", allow_hyphen_values = true)]
    pub filter: Option<String>,
    /// Order by these keys (`metrics.acc DESC, params.lr`) [default: newest first]
    #[arg(add = crate::commands::complete::key_completer(), long = "order-by", value_name = "KEY [ASC|DESC],...")]
    pub order_by: Vec<String>,
    /// Include deleted runs
    #[arg(short, long)]
    pub all: bool,
}

impl SearchArgs {
    /// The store query these options describe.
    pub fn query(
        &self,
        store: &dyn Backend,
        limit: Option<usize>,
        page_token: Option<String>,
    ) -> CliResult<RunQuery> {
        let mut experiment_ids = Vec::new();
        for spec in &self.experiments {
            experiment_ids.push(position::resolve_experiment(store, spec)?);
        }
        let filter = match &self.filter {
            Some(f) => parse_filter(f, now_ms()).map_err(|e| search_error("filter", e))?,
            None => None,
        };
        let order_by = parse_order_by(&self.order_by).map_err(|e| search_error("order-by", e))?;
        if limit == Some(0) {
            return Err(usage_error("a limit of 0 selects nothing: give 1 or more"));
        }
        Ok(RunQuery {
            experiment_ids,
            view: if self.all {
                ViewType::All
            } else {
                ViewType::ActiveOnly
            },
            filter,
            order_by,
            max_results: limit,
            page_token,
        })
    }
}

fn search_error(what: &str, e: SearchError) -> CliError {
    usage_error(format!("invalid {what}: {e}"))
        .hint("the grammar, with examples: `mlf help filter`")
}

#[derive(Debug, clap::Subcommand)]
pub enum RunsCommand {
    /// List runs as a table: status, name, id, start, duration, params and latest metrics
    #[command(visible_alias = "ls")]
    List(list::ListArgs),
    /// Show everything about one run: params, metrics, tags, git, artifacts
    Show(show::ShowArgs),
    /// Compare runs side by side: params, metrics, tags, git commit and duration
    Compare(compare::CompareArgs),
    /// Show what changed from run A to run B: params, metrics, tags, code and artifacts
    Diff(diff::DiffArgs),
    /// Print the output a run's command printed (its saved stdout, or stderr)
    Logs(logs::LogsArgs),
    /// Print the whole history of one metric of a run
    Metric(metric::MetricArgs),
    /// Draw metric curves of runs in the terminal
    Plot(plot::PlotArgs),
    /// Delete runs (they can be restored)
    #[command(visible_alias = "rm")]
    Delete(delete::DeleteArgs),
    /// Restore deleted runs
    Restore(delete::RestoreArgs),
}

pub fn run(ctx: &mut Ctx, cmd: RunsCommand) -> CliResult<u8> {
    match cmd {
        RunsCommand::List(args) => list::run(ctx, args),
        RunsCommand::Show(args) => show::run(ctx, args),
        RunsCommand::Compare(args) => compare::run(ctx, args),
        RunsCommand::Diff(args) => diff::run(ctx, args),
        RunsCommand::Logs(args) => logs::run(ctx, args),
        RunsCommand::Metric(args) => metric::run(ctx, args),
        RunsCommand::Plot(args) => plot::run(ctx, args),
        RunsCommand::Delete(args) => delete::delete(ctx, args),
        RunsCommand::Restore(args) => delete::restore(ctx, args),
    }
}

/// The status to show people: `DEAD` for a RUNNING run whose `mlf run` process is gone.
pub fn display_status(run: &Run) -> &'static str {
    if is_dead(run) {
        "DEAD"
    } else {
        run.info.status.as_str()
    }
}

/// A RUNNING run owned by a process on this host that no longer exists.
pub fn is_dead(run: &Run) -> bool {
    if run.info.status != RunStatus::Running {
        return false;
    }
    let Some(owner) = &run.owner else {
        return false;
    };
    if owner.host != hostname() {
        return false;
    }
    !crate::sys::process_exists(owner.pid as i32)
}

/// This machine's host name.
pub fn hostname() -> String {
    crate::sys::hostname()
}
