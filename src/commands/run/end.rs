//! `mlf run end`: end the active run (or any run with `--run`).

use crate::commands::context::Ctx;
use crate::error::{CliResult, usage_error};
use crate::tracking::RunStatus;
use crate::tracking::ids::now_ms;
use crate::ui::format::short_id;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum EndStatus {
    Finished,
    Failed,
    Killed,
}

/// End a run: the active one, or `--run RUN`
///
/// Also ends a run left RUNNING by a process that died (shown as DEAD by `mlf runs list`).
#[derive(Debug, clap::Args)]
pub struct EndArgs {
    /// Final status
    #[arg(long, value_enum, default_value = "finished")]
    status: EndStatus,
    #[command(flatten)]
    run: crate::commands::log::RunArg,
}

pub fn run(ctx: &mut Ctx, args: EndArgs) -> CliResult<u8> {
    let EndArgs { status, run } = args;
    let id = ctx.target_run(run.run.as_deref())?;
    let store = ctx.store()?;
    let current = store.run(&id)?;
    if current.info.status.is_terminal() {
        return Err(usage_error(format!(
            "run {} ({}) has already ended as {}",
            current.info.run_name,
            short_id(&id),
            current.info.status.as_str()
        )));
    }
    let status = match status {
        EndStatus::Finished => RunStatus::Finished,
        EndStatus::Failed => RunStatus::Failed,
        EndStatus::Killed => RunStatus::Killed,
    };
    store.update_run(&id, status, Some(now_ms()))?;
    if store.active_run()?.as_deref() == Some(id.as_str()) {
        store.set_active_run(None)?;
    }
    ctx.ui.status(
        "Ended",
        &format!(
            "run {} ({}) as {}",
            current.info.run_name,
            short_id(&id),
            status.as_str()
        ),
    );
    Ok(0)
}
