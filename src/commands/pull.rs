//! `mlf pull [REMOTE]`: bring a remote's runs into this store, keeping their ids.

use crate::commands::context::Ctx;
use crate::commands::push::{Direction, SyncArgs, sync};
use crate::error::CliResult;

/// The arguments of `mlf pull` (its help is on `commands::Command`).
#[derive(Debug, clap::Args)]
pub struct PullArgs {
    /// The remote: a name from `mlf remote list`, or a URL or path [default: the only
    /// remote, or `origin`]
    #[arg(value_name = "REMOTE")]
    remote: Option<String>,
    #[command(flatten)]
    common: SyncArgs,
}

pub fn run(ctx: &mut Ctx, args: PullArgs) -> CliResult<u8> {
    let PullArgs { remote, common } = args;
    sync(ctx, Direction::Pull, remote.as_deref(), common)
}
