//! `mlf experiments list`.

use crate::commands::context::Ctx;
use crate::error::CliResult;
use crate::tracking::ViewType;
use crate::ui::format::{OutputArgs, OutputFormat, time};
use crate::ui::table;

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Include deleted experiments
    #[arg(long, conflicts_with = "deleted")]
    all: bool,
    /// Only deleted experiments
    #[arg(long)]
    deleted: bool,
    #[command(flatten)]
    output: OutputArgs,
}

pub fn run(ctx: &mut Ctx, args: ListArgs) -> CliResult<u8> {
    let ListArgs {
        all,
        deleted,
        output,
    } = args;
    let view = match (all, deleted) {
        (true, _) => ViewType::All,
        (_, true) => ViewType::DeletedOnly,
        _ => ViewType::ActiveOnly,
    };
    let store = ctx.store()?;
    let exps = store.list_experiments(view)?;
    let counts = store.run_counts()?;
    // A tracking server cannot count runs: the column shows `missing` then.
    let count = |id: &str, missing: &str| match &counts {
        Some(c) => c.get(id).copied().unwrap_or(0).to_string(),
        None => missing.to_string(),
    };
    match output.format {
        OutputFormat::Json => ctx.ui.json(&serde_json::json!({ "experiments": exps }))?,
        OutputFormat::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            let _ = w.write_record([
                "experiment_id",
                "name",
                "lifecycle_stage",
                "runs",
                "creation_time",
                "artifact_location",
            ]);
            for e in &exps {
                let runs = count(&e.experiment_id, "");
                let _ = w.write_record([
                    e.experiment_id.as_str(),
                    &e.name,
                    e.lifecycle_stage.as_str(),
                    &runs,
                    &e.creation_time.to_string(),
                    &e.artifact_location,
                ]);
            }
            ctx.ui.out(&String::from_utf8_lossy(
                &w.into_inner().unwrap_or_default(),
            ));
        }
        format => {
            let mut headers = vec![
                "ID".to_string(),
                "NAME".into(),
                "RUNS".into(),
                "CREATED".into(),
            ];
            if view != ViewType::ActiveOnly {
                headers.push("STAGE".into());
            }
            let rows = exps
                .iter()
                .map(|e| {
                    let mut row = vec![
                        e.experiment_id.clone(),
                        e.name.clone(),
                        count(&e.experiment_id, "-"),
                        time(e.creation_time),
                    ];
                    if view != ViewType::ActiveOnly {
                        row.push(e.lifecycle_stage.as_str().to_string());
                    }
                    row
                })
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
