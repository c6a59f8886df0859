//! `mlf experiments show EXP`.

use crate::commands::context::Ctx;
use crate::error::CliResult;
use crate::ui::format::{OutputArgs, OutputFormat, time};
use crate::ui::table;

#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// Experiment name or id
    #[arg(add = crate::commands::complete::experiment_completer())]
    experiment: String,
    #[command(flatten)]
    output: OutputArgs,
}

pub fn run(ctx: &mut Ctx, args: ShowArgs) -> CliResult<u8> {
    let ShowArgs { experiment, output } = args;
    let store = ctx.store()?;
    let exp = store.resolve_experiment(&experiment)?;
    let runs = match store.run_counts()? {
        Some(counts) => counts.get(&exp.experiment_id).copied().unwrap_or(0),
        // A tracking server is asked for the runs themselves.
        None => store
            .search_runs(&crate::store::RunQuery {
                experiment_ids: vec![exp.experiment_id.clone()],
                ..Default::default()
            })?
            .runs
            .len(),
    };
    match output.format {
        OutputFormat::Json => ctx.ui.json(&serde_json::json!({ "experiment": exp }))?,
        format => {
            let mut rows = vec![
                ("id".to_string(), exp.experiment_id.clone()),
                ("name".into(), exp.name.clone()),
                ("stage".into(), exp.lifecycle_stage.as_str().to_string()),
                ("runs".into(), runs.to_string()),
                ("created".into(), time(exp.creation_time)),
                ("updated".into(), time(exp.last_update_time)),
                ("artifacts".into(), exp.artifact_location.clone()),
            ];
            for t in &exp.tags {
                rows.push((format!("tag {}", t.key), t.value.clone()));
            }
            if format == OutputFormat::Csv {
                ctx.ui.out(&table::pairs_csv(&rows));
            } else {
                ctx.ui.out(&table::pairs(&rows, 0));
            }
        }
    }
    Ok(0)
}
