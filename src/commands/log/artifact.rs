//! `mlf log artifact PATH [--to DIR]` (also `mlf artifacts put`).

use std::path::PathBuf;

use crate::artifacts::clean_relative;
use crate::commands::context::Ctx;
use crate::error::{CliError, CliResult, failure, usage_error};
use crate::ui::format::bytes;
use crate::ui::progress;

#[derive(Debug, clap::Args)]
pub struct ArtifactArgs {
    /// Local file or directory to copy
    path: PathBuf,
    /// Directory inside the run's artifacts to copy into [default: the root]
    #[arg(long, value_name = "DIR")]
    to: Option<String>,
    #[command(flatten)]
    run: super::RunArg,
}

pub fn run(ctx: &mut Ctx, args: ArtifactArgs) -> CliResult<u8> {
    let ArtifactArgs { path, to, run } = args;
    let dest = clean_relative(to.as_deref().unwrap_or("")).map_err(artifact_error)?;
    let id = ctx.target_run(run.run.as_deref())?;
    let store = ctx.store()?;
    let run = store.run(&id)?;
    if run.info.lifecycle_stage.as_str() == "deleted" {
        return Err(usage_error(format!(
            "run `{id}` is deleted: restore it with `mlf runs restore`"
        )));
    }
    let repo = store.artifacts(&run)?;
    let mut items = repo.plan_put(&path, &dest).map_err(artifact_error)?;
    // A new directory in a local store is copied whole beside its place, then renamed into
    // it: an interrupted copy never leaves a partial directory that looks complete.
    let staged = match repo.local_root() {
        Some(root) if path.is_dir() => {
            crate::artifacts::stage_new_dir(root, &dest, &mut items).map_err(artifact_error)?
        }
        _ => None,
    };
    let total: u64 = items.iter().map(|i| i.size).sum();
    let bar = progress::bytes(&ctx.ui, total, "Copying");
    let mut done = 0u64;
    for item in &items {
        let base = done;
        let copied = repo.put(item, &mut |n| bar.set_position(base + n));
        if let Err(e) = copied {
            if let Some(stage) = &staged {
                stage.abandon();
            }
            return Err(artifact_error(e));
        }
        done += item.size;
    }
    if let Some(stage) = staged {
        stage.finish().map_err(artifact_error)?;
    }
    bar.finish_and_clear();
    ctx.ui.status(
        "Logged",
        &format!(
            "{} file{} ({}) to run {}",
            items.len(),
            if items.len() == 1 { "" } else { "s" },
            bytes(total),
            &id[..8]
        ),
    );
    Ok(0)
}

/// Artifact errors: bad paths are usage errors, I/O failures are failures.
pub fn artifact_error(e: crate::artifacts::Error) -> CliError {
    use crate::artifacts::Error as E;
    match e {
        E::Invalid(m) | E::NotFound(m) => usage_error(m),
        E::Io(m, source) => failure(m).cause(source),
    }
}
