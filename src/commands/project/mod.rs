//! `mlf project …`: MLflow Projects.

mod download;
mod kube;
mod run;

use crate::commands::context::Ctx;
use crate::error::CliResult;

#[derive(Debug, clap::Subcommand)]
pub enum ProjectCommand {
    /// Run an entry point of an MLflow project as a tracked run (or a sweep of runs)
    Run(run::ProjectRunArgs),
}

pub fn run(ctx: &mut Ctx, cmd: ProjectCommand) -> CliResult<u8> {
    match cmd {
        ProjectCommand::Run(args) => run::run(ctx, args),
    }
}
