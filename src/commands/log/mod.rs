//! `mlf log param|metric|tag|artifact|batch`: write to a run from scripts and CI.
//!
//! The run is `--run`, else `MLF_RUN_ID`/`MLFLOW_RUN_ID`, else the active run of
//! `mlf run start`.

pub mod artifact;
mod batch;

pub use artifact::{ArtifactArgs, artifact_error};

use crate::commands::context::Ctx;
use crate::error::{CliResult, usage_error};
use crate::store::LogBatch;
use crate::tracking::ids::now_ms;
use crate::tracking::validation::parse_metric_value;
use crate::tracking::{KeyValue, Metric};

#[derive(Debug, clap::Subcommand)]
pub enum LogCommand {
    /// Log a param (write-once: the same value again is fine, a different one is refused)
    Param(KeyValueArgs),
    /// Log a metric value (NaN and ±inf allowed)
    Metric(MetricArgs),
    /// Set a tag (overwrites the previous value)
    Tag(KeyValueArgs),
    /// Copy a file or directory into the run's artifacts
    Artifact(artifact::ArtifactArgs),
    /// Log many metrics, params and tags from a JSON Lines or CSV file
    Batch(batch::BatchArgs),
}

#[derive(Debug, clap::Args)]
pub struct RunArg {
    /// Run to log to: full id, unique id prefix or unique name
    /// [default: `MLF_RUN_ID`, `MLFLOW_RUN_ID`, then the active run]
    #[arg(add = crate::commands::complete::run_completer(), short, long, value_name = "RUN")]
    pub run: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct KeyValueArgs {
    /// Key (letters, digits, `_ - . : /` and spaces; at most 250 characters)
    key: String,
    /// Value
    value: String,
    #[command(flatten)]
    run: RunArg,
}

#[derive(Debug, clap::Args)]
pub struct MetricArgs {
    /// Metric key
    #[arg(add = crate::commands::complete::metric_completer())]
    key: String,
    /// Value: a number, `NaN`, `inf` or `-inf`
    #[arg(allow_hyphen_values = true)]
    value: String,
    /// Step of this point
    #[arg(long, default_value_t = 0, allow_hyphen_values = true)]
    step: i64,
    /// Time of this point in milliseconds since the epoch [default: now]
    #[arg(long, value_name = "MS")]
    timestamp: Option<i64>,
    #[command(flatten)]
    run: RunArg,
}

pub fn run(ctx: &mut Ctx, cmd: LogCommand) -> CliResult<u8> {
    match cmd {
        LogCommand::Param(args) => {
            let KeyValueArgs { key, value, run } = args;
            let batch = LogBatch {
                params: vec![KeyValue { key, value }],
                ..Default::default()
            };
            write(ctx, run.run.as_deref(), batch)
        }
        LogCommand::Tag(args) => {
            let KeyValueArgs { key, value, run } = args;
            let batch = LogBatch {
                tags: vec![KeyValue { key, value }],
                ..Default::default()
            };
            write(ctx, run.run.as_deref(), batch)
        }
        LogCommand::Metric(args) => {
            let MetricArgs {
                key,
                value,
                step,
                timestamp,
                run,
            } = args;
            let value = parse_metric_value(&key, &value).map_err(usage_error)?;
            let timestamp = timestamp.unwrap_or_else(now_ms);
            let batch = LogBatch {
                metrics: vec![Metric {
                    key,
                    value,
                    timestamp,
                    step,
                }],
                ..Default::default()
            };
            write(ctx, run.run.as_deref(), batch)
        }
        LogCommand::Artifact(args) => artifact::run(ctx, args),
        LogCommand::Batch(args) => batch::run(ctx, args),
    }
}

/// Writes a batch to the target run and reports truncated values.
pub fn write(ctx: &mut Ctx, run: Option<&str>, batch: LogBatch) -> CliResult<u8> {
    ctx.brief();
    let id = ctx.target_run(run)?;
    let outcome = ctx.store()?.log_batch(&id, batch)?;
    for key in outcome.truncated {
        ctx.ui.warn(&format!(
            "the value of `{key}` was too long and was truncated"
        ));
    }
    Ok(0)
}
