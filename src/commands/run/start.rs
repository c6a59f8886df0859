//! `mlf run start`: begin a run that later commands log to, for CI scripts.

use crate::commands::context::Ctx;
use crate::error::{CliResult, usage_error};
use crate::tracking::RunStatus;
use crate::ui::format::short_id;

/// Start a run and make it the active run of this store (prints its id)
///
/// Later `mlf log` commands write to it until `mlf run end`. The git commit is recorded as
/// for `mlf run`.
#[derive(Debug, clap::Args)]
pub struct StartArgs {
    #[command(flatten)]
    setup: super::SetupArgs,
}

pub fn run(ctx: &mut Ctx, args: StartArgs) -> CliResult<u8> {
    args.setup.parse()?;
    let store = ctx.store_for_write()?;
    if let Some(active) = store.active_run()? {
        if let Ok(run) = store.run(&active) {
            if run.info.status == RunStatus::Running
                && run.info.lifecycle_stage.as_str() == "active"
            {
                return Err(usage_error(format!(
                    "run {} ({}) is still active",
                    run.info.run_name,
                    short_id(&active)
                ))
                .hint("end it with `mlf run end` first"));
            }
        }
    }
    let run = super::create_run(ctx, &args.setup, None, None, true)?;
    ctx.ui.status(
        "Started",
        &format!(
            "run {} ({}) in experiment {}; end it with `mlf run end`",
            run.info.run_name,
            short_id(&run.info.run_id),
            run.info.experiment_id
        ),
    );
    ctx.ui.line(&run.info.run_id);
    Ok(0)
}
