//! `mlf runs delete|restore RUN...`.

use crate::commands::context::Ctx;
use crate::error::CliResult;
use crate::ui::format::short_id;

#[derive(Debug, clap::Args)]
pub struct DeleteArgs {
    /// Runs: full ids, unique id prefixes or unique names
    #[arg(required = true, add = crate::commands::complete::run_completer())]
    runs: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    /// Runs: full ids, unique id prefixes or unique names
    #[arg(required = true, add = crate::commands::complete::run_completer())]
    runs: Vec<String>,
}

pub fn delete(ctx: &mut Ctx, args: DeleteArgs) -> CliResult<u8> {
    let store = ctx.store()?;
    // Resolve all first, so a typo in the third name deletes nothing.
    let ids = args
        .runs
        .iter()
        .map(|r| super::position::resolve(store, Some(r), None))
        .collect::<Result<Vec<_>, _>>()?;
    store.delete_runs(&ids)?;
    for id in &ids {
        ctx.ui.status(
            "Deleted",
            &format!(
                "run {} (undo with `mlf runs restore {}`)",
                short_id(id),
                short_id(id)
            ),
        );
    }
    Ok(0)
}

pub fn restore(ctx: &mut Ctx, args: RestoreArgs) -> CliResult<u8> {
    let store = ctx.store()?;
    let ids = args
        .runs
        .iter()
        .map(|r| super::position::resolve(store, Some(r), None))
        .collect::<Result<Vec<_>, _>>()?;
    store.restore_runs(&ids)?;
    for id in &ids {
        ctx.ui.status("Restored", &format!("run {}", short_id(id)));
    }
    Ok(0)
}
