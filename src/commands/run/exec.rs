//! `mlf run [OPTIONS] -- CMD [ARGS...]`: run a command as a tracked run.

use crate::commands::launch::{Launch, Outcome, execute};
use crate::context::Ctx;
use crate::error::{CliResult, usage_error};
use crate::process::{find_program, shell_quote};
use crate::tracking::{Owner, Run, RunStatus};
use crate::ui::format::{duration, short_id};

use super::SetupArgs;

pub fn run(ctx: &mut Ctx, setup: SetupArgs, capture: bool, command: Vec<String>) -> CliResult<u8> {
    let program = command
        .first()
        .ok_or_else(|| usage_error("no command given: write `mlf run -- CMD [ARGS...]`"))?;
    if find_program(program).is_none() {
        return Err(usage_error(format!("command `{program}` not found"))
            .hint("check the spelling, or give its path (`./train.sh`)"));
    }
    let display = command
        .iter()
        .map(|a| shell_quote(a))
        .collect::<Vec<_>>()
        .join(" ");
    let owner = Owner {
        pid: std::process::id(),
        host: crate::commands::runs::hostname(),
    };
    let run = super::create_run(ctx, &setup, Some(&display), Some(owner), false)?;
    let id = run.info.run_id.clone();
    let tracking = ctx.tracking()?;
    ctx.ui.status(
        "Started",
        &format!(
            "run {} ({}) in experiment {}",
            run.info.run_name,
            short_id(&id),
            run.info.experiment_id
        ),
    );

    let launch = Launch {
        program: program.clone(),
        args: command[1..].to_vec(),
        cwd: None,
        env: Vec::new(),
        capture,
        echo: true,
    };
    let outcome = execute(&tracking, &run, launch)?;
    report(ctx, &run, &outcome);
    Ok(outcome.code)
}

/// Tells the user how a launched run ended.
pub fn report(ctx: &Ctx, run: &Run, outcome: &Outcome) {
    let id = &run.info.run_id;
    if let Some(e) = &outcome.record_error {
        ctx.ui.warn(&format!(
            "the end of run {} was not recorded: {e}",
            short_id(id)
        ));
    }
    let took = duration(outcome.end - run.info.start_time);
    let name = &run.info.run_name;
    let short = short_id(id);
    match &outcome.captured {
        Ok(n) if *n > 0 => ctx
            .ui
            .status("Captured", &format!("{n} metric points from stdout")),
        Ok(_) => {}
        Err(e) => ctx
            .ui
            .warn(&format!("metrics from stdout were not all saved: {e}")),
    }
    match outcome.status {
        RunStatus::Finished => ctx
            .ui
            .status("Finished", &format!("run {name} ({short}) in {took}")),
        RunStatus::Killed => ctx.ui.warn(&format!(
            "run {name} ({short}) was killed{} after {took}",
            outcome
                .signal
                .map(|s| format!(" by signal {s}"))
                .unwrap_or_default()
        )),
        _ => ctx.ui.warn(&format!(
            "run {name} ({short}) failed with exit code {} after {took}",
            outcome.code
        )),
    }
}
