//! `mlf experiments …`: experiments are named groups of runs; "Default" (id `0`) always exists.

mod edit;
mod list;
mod show;

use crate::commands::context::Ctx;
use crate::error::CliResult;

#[derive(Debug, clap::Subcommand)]
pub enum ExperimentsCommand {
    /// Create an experiment
    Create(edit::CreateArgs),
    /// List experiments
    #[command(visible_alias = "ls")]
    List(list::ListArgs),
    /// Show one experiment
    Show(show::ShowArgs),
    /// Rename an experiment
    Rename(edit::RenameArgs),
    /// Delete an experiment and its runs (they can be restored)
    Delete(edit::DeleteArgs),
    /// Restore a deleted experiment and its runs
    Restore(edit::RestoreArgs),
}

pub fn run(ctx: &mut Ctx, cmd: ExperimentsCommand) -> CliResult<u8> {
    match cmd {
        ExperimentsCommand::Create(args) => edit::create(ctx, args),
        ExperimentsCommand::List(args) => list::run(ctx, args),
        ExperimentsCommand::Show(args) => show::run(ctx, args),
        ExperimentsCommand::Rename(args) => edit::rename(ctx, args),
        ExperimentsCommand::Delete(args) => edit::delete(ctx, args),
        ExperimentsCommand::Restore(args) => edit::restore(ctx, args),
    }
}
