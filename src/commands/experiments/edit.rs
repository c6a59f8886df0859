//! `mlf experiments create|rename|delete|restore`.

use std::path::PathBuf;

use crate::commands::context::Ctx;
use crate::error::{CliResult, usage_error};
use crate::tracking::validation::validate_experiment_name;

#[derive(Debug, clap::Args)]
pub struct CreateArgs {
    /// Name of the new experiment
    name: String,
    /// Directory for the artifacts of its runs [default: inside the store]
    #[arg(long, value_name = "DIR")]
    artifact_location: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct RenameArgs {
    /// Experiment name or id
    #[arg(add = crate::commands::complete::experiment_completer())]
    experiment: String,
    /// New name
    new_name: String,
}

#[derive(Debug, clap::Args)]
pub struct DeleteArgs {
    /// Experiment name or id
    #[arg(add = crate::commands::complete::experiment_completer())]
    experiment: String,
}

#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    /// Experiment name or id
    #[arg(add = crate::commands::complete::experiment_completer())]
    experiment: String,
}

pub fn create(ctx: &mut Ctx, args: CreateArgs) -> CliResult<u8> {
    let CreateArgs {
        name,
        artifact_location,
    } = args;
    validate_experiment_name(&name).map_err(usage_error)?;
    let location = match artifact_location {
        Some(dir) => {
            let text = dir.to_string_lossy();
            if text.contains("://") || text.contains(':') && !dir.exists() {
                return Err(usage_error(format!(
                    "artifact location `{text}` is not a local directory: only local paths are supported"
                )));
            }
            let joined = ctx.cwd()?.join(dir).display().to_string();
            let trimmed = joined.trim_end_matches('/');
            Some(if trimmed.is_empty() {
                "/".to_string()
            } else {
                trimmed.to_string()
            })
        }
        None => None,
    };
    let exp = ctx
        .store_for_write()?
        .create_experiment(&name, location.as_deref())?;
    ctx.ui.status(
        "Created",
        &format!("experiment `{}` (id {})", exp.name, exp.experiment_id),
    );
    ctx.ui.line(&exp.experiment_id);
    Ok(0)
}

pub fn rename(ctx: &mut Ctx, args: RenameArgs) -> CliResult<u8> {
    let RenameArgs {
        experiment,
        new_name,
    } = args;
    let store = ctx.store()?;
    let exp = store.resolve_experiment(&experiment)?;
    store.rename_experiment(&exp.experiment_id, &new_name)?;
    ctx.ui.status(
        "Renamed",
        &format!("experiment `{}` to `{new_name}`", exp.name),
    );
    Ok(0)
}

pub fn delete(ctx: &mut Ctx, args: DeleteArgs) -> CliResult<u8> {
    let store = ctx.store()?;
    let exp = store.resolve_experiment(&args.experiment)?;
    store.delete_experiment(&exp.experiment_id)?;
    ctx.ui.status(
        "Deleted",
        &format!(
            "experiment `{}` and its runs (undo with `mlf experiments restore {}`)",
            exp.name, exp.experiment_id
        ),
    );
    Ok(0)
}

pub fn restore(ctx: &mut Ctx, args: RestoreArgs) -> CliResult<u8> {
    let store = ctx.store()?;
    let exp = store.resolve_experiment(&args.experiment)?;
    store.restore_experiment(&exp.experiment_id)?;
    ctx.ui.status(
        "Restored",
        &format!("experiment `{}` and its runs", exp.name),
    );
    Ok(0)
}
