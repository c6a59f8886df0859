//! `mlf run [OPTIONS] -- CMD [ARGS...]`: run a command as a tracked run.

use crate::commands::context::Ctx;
use crate::commands::launch::{Launch, Outcome, Tty, execute, system_metrics_interval};
use crate::error::{CliResult, usage_error};
use crate::process::{find_program, shell_quote};
use crate::tracking::{KeyValue, Owner, Run, RunStatus};
use crate::ui::format::{duration, short_id};

use super::SetupArgs;

/// What `mlf run` records while the command runs, besides its output.
pub struct Watch {
    /// Metric lines of stdout.
    pub capture: bool,
    /// Which of the command's streams get a pseudo-terminal.
    pub tty: Tty,
    /// `--system-metrics[=INTERVAL]` (empty: given without an interval).
    pub system_metrics: Option<String>,
}

pub fn run(ctx: &mut Ctx, setup: SetupArgs, watch: Watch, command: Vec<String>) -> CliResult<u8> {
    let params = setup.parse()?.params;
    let system_metrics = system_metrics_interval(watch.system_metrics.as_deref())?;
    let command = substitute(&command, &params);
    for clash in clashes(&command, &params) {
        ctx.ui.warn(&clash);
    }
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
        capture: watch.capture,
        echo: true,
        tty: watch.tty,
        system_metrics,
    };
    let outcome = execute(&tracking, &run, launch)?;
    report(ctx, &run, &outcome);
    Ok(outcome.code)
}

/// The command with each `{key}` of a `-p key=value` replaced by its value (other braces are
/// left as they are).
pub fn substitute(command: &[String], params: &[KeyValue]) -> Vec<String> {
    command
        .iter()
        .map(|arg| {
            let mut arg = arg.clone();
            for p in params {
                let holder = format!("{{{}}}", p.key);
                if arg.contains(&holder) {
                    arg = arg.replace(&holder, &p.value);
                }
            }
            arg
        })
        .collect()
}

/// Warnings for `-p` params that the command also passes as a flag with another value
/// (`-p lr=0.01 -- train.py --lr 0.1`): the run would record a value the command did not use.
pub fn clashes(command: &[String], params: &[KeyValue]) -> Vec<String> {
    let norm = |s: &str| s.replace('_', "-").to_ascii_lowercase();
    let mut out = Vec::new();
    for p in params {
        let key = norm(&p.key);
        let mut args = command.iter().skip(1).peekable();
        while let Some(arg) = args.next() {
            let Some(flag) = arg.strip_prefix("--") else {
                continue;
            };
            let (name, value) = match flag.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (flag, args.peek().map(|v| v.to_string())),
            };
            if norm(name) != key {
                continue;
            }
            if let Some(value) = value {
                if value != p.value && !value.starts_with("--") {
                    out.push(format!(
                        "param `{k}` is `{v}` but the command passes `--{name} {value}`: the run records `{v}`; write `--{name} {{{k}}}` to pass the param",
                        k = p.key,
                        v = p.value
                    ));
                }
            }
            break;
        }
    }
    out
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
    match &outcome.system {
        Some(Ok(n)) => ctx.ui.status(
            "Sampled",
            &format!("system metrics {n} time{}", if *n == 1 { "" } else { "s" }),
        ),
        Some(Err(e)) => ctx
            .ui
            .warn(&format!("system metrics were not all saved: {e}")),
        None => {}
    }
    match &outcome.captured {
        Ok(n) if *n > 0 => ctx.ui.status(
            "Captured",
            &format!(
                "{n} metric point{} from stdout",
                if *n == 1 { "" } else { "s" }
            ),
        ),
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
