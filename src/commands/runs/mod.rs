//! `mlf runs …`: read runs back, delete and restore them.

mod delete;
mod list;
mod show;

use crate::context::Ctx;
use crate::error::CliResult;
use crate::tracking::{Run, RunStatus};

#[derive(Debug, clap::Subcommand)]
pub enum RunsCommand {
    /// List runs as a table: status, name, id, start, duration, params and latest metrics
    #[command(visible_alias = "ls")]
    List(list::ListArgs),
    /// Show everything about one run: params, metrics, tags, git, artifacts
    Show(show::ShowArgs),
    /// Delete runs (they can be restored)
    #[command(visible_alias = "rm")]
    Delete(delete::DeleteArgs),
    /// Restore deleted runs
    Restore(delete::RestoreArgs),
}

pub fn run(ctx: &mut Ctx, cmd: RunsCommand) -> CliResult<u8> {
    match cmd {
        RunsCommand::List(args) => list::run(ctx, args),
        RunsCommand::Show(args) => show::run(ctx, args),
        RunsCommand::Delete(args) => delete::delete(ctx, args),
        RunsCommand::Restore(args) => delete::restore(ctx, args),
    }
}

/// The status to show people: `DEAD` for a RUNNING run whose `mlf run` process is gone.
pub fn display_status(run: &Run) -> &'static str {
    if is_dead(run) {
        "DEAD"
    } else {
        run.info.status.as_str()
    }
}

/// A RUNNING run owned by a process on this host that no longer exists.
pub fn is_dead(run: &Run) -> bool {
    if run.info.status != RunStatus::Running {
        return false;
    }
    let Some(owner) = &run.owner else {
        return false;
    };
    if owner.host != hostname() {
        return false;
    }
    // SAFETY: signal 0 only checks whether the process exists.
    let alive = unsafe { libc::kill(owner.pid as libc::pid_t, 0) } == 0
        || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM);
    !alive
}

/// This machine's host name.
pub fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: gethostname writes at most buf.len() bytes into buf.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return String::new();
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}
