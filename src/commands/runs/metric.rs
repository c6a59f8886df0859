//! `mlf runs metric RUN KEY`: the whole history of one metric.

use crate::commands::context::Ctx;
use crate::error::{CliResult, usage_error};
use crate::store::Backend;
use crate::tracking::{Metric, Run};
use crate::ui::format::{OutputFormat, number, number_exact, time};
use crate::ui::table;

/// Print the whole history of one metric of a run
#[derive(Debug, clap::Args)]
pub struct MetricArgs {
    /// Run: full id, unique id prefix or unique name
    #[arg(add = crate::commands::complete::run_completer())]
    run: String,
    /// Metric key
    #[arg(add = crate::commands::complete::metric_completer())]
    key: String,
    /// Output format
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
}

/// The history of `key` in `run`; an error naming the run's metrics when it has no such key.
pub fn history(store: &dyn Backend, run: &Run, key: &str) -> CliResult<Vec<Metric>> {
    let points = store.metric_history(&run.info.run_id, key)?;
    if points.is_empty() {
        let keys: Vec<&str> = run.data.metrics.iter().map(|m| m.key.as_str()).collect();
        let has = if keys.is_empty() {
            "it has no metrics".to_string()
        } else {
            format!("it has {}", keys.join(", "))
        };
        return Err(usage_error(format!(
            "run {} has no metric `{key}`: {has}",
            run.info.run_name
        )));
    }
    Ok(points)
}

pub fn run(ctx: &mut Ctx, args: MetricArgs) -> CliResult<u8> {
    let MetricArgs { run, key, format } = args;
    let store = ctx.store()?;
    let run = store.run(&super::position::resolve(store, Some(&run), None)?)?;
    let points = history(store, &run, &key)?;
    ctx.ui.page();
    match format {
        OutputFormat::Json => ctx.ui.json(&serde_json::json!({ "metrics": points }))?,
        OutputFormat::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            let _ = w.write_record(["step", "value", "timestamp"]);
            for p in &points {
                let _ = w.write_record([
                    p.step.to_string(),
                    number_exact(p.value),
                    p.timestamp.to_string(),
                ]);
            }
            ctx.ui.out(&String::from_utf8_lossy(
                &w.into_inner().unwrap_or_default(),
            ));
        }
        format => {
            let headers = ["STEP".to_string(), "VALUE".into(), "TIME".into()];
            let rows = points
                .iter()
                .map(|p| vec![p.step.to_string(), number(p.value), time(p.timestamp)])
                .collect();
            ctx.ui.out(&table::text(
                &ctx.ui,
                &headers,
                rows,
                format == OutputFormat::Md,
            ));
        }
    }
    Ok(0)
}
