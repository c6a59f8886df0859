//! `mlf pull [REMOTE]`: bring a remote's runs into this store, keeping their ids.

use crate::commands::context::Ctx;
use crate::commands::push::{Direction, SyncArgs, sync};
use crate::error::CliResult;

/// Bring runs (params, tags, metric histories, artifacts) from a remote, keeping their ids
///
/// REMOTE is a name from `mlf remote list` [default: the only remote, or `origin`], or a URL
/// or path in its place. The same rules as `mlf push`, the other way: only the runs whose
/// digests differ come over, in batches merged one transaction each; params here are
/// write-once (a conflict is listed, the rest is pulled, and the exit code is 1); metric
/// histories are joined; the newer copy of a run gives its tags; missing artifact files are
/// downloaded. A store is created here when there is none.
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
