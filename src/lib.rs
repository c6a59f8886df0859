//! mlf: machine-learning lifecycle from the shell.
//!
//! `main` parses the command line, handles the modes that touch no store (help, version,
//! completions, generate), then dispatches with a context that opens the store only when a
//! command first needs it, and turns any error into a message and an exit code.

#![deny(unsafe_code)]

pub mod artifacts;
pub mod cli;
pub mod commands;
pub mod env;
pub mod error;
pub mod generate;
pub mod models;
pub mod ops;
pub mod process;
pub mod project;
pub mod protocol;
pub mod registry;
pub mod remote;
pub mod search;
pub mod server;
pub mod serving;
pub mod source;
pub mod store;
#[allow(unsafe_code)]
pub mod sys;
pub mod tracking;
pub mod ui;
pub mod web;

use std::process::ExitCode;

use crate::commands::context::Ctx;
use crate::ui::Ui;

/// Parses `args` with the whole command tree. The examples at the end of each help page are
/// added only when a page may be shown.
fn parse_whole(args: Vec<std::ffi::OsString>) -> Result<cli::Cli, clap::Error> {
    // The tree is left to the end of the process: dropping it frees thousands of small
    // allocations for nothing.
    let mut command = cli::bare_command();
    let with_examples = cli::may_show_help(&args);
    if with_examples {
        command = commands::examples::attach(command);
    }
    let parse = |command: &mut clap::Command, args: Vec<std::ffi::OsString>| {
        command
            .try_get_matches_from_mut(args)
            .and_then(|mut m| <cli::Cli as clap::FromArgMatches>::from_arg_matches_mut(&mut m))
            .map_err(|e| e.format(command))
    };
    let mut parsed = parse(&mut command, args.clone());
    if let Err(e) = &parsed {
        use clap::error::ErrorKind::{DisplayHelp, DisplayHelpOnMissingArgumentOrSubcommand};
        if !with_examples
            && matches!(
                e.kind(),
                DisplayHelp | DisplayHelpOnMissingArgumentOrSubcommand
            )
        {
            command = commands::examples::attach(command);
            parsed = parse(&mut command, args);
        }
    }
    std::mem::forget(command);
    parsed
}

/// Runs the `mlf` command line and returns its exit code.
pub fn main() -> ExitCode {
    // Completion requests from the shell (`COMPLETE=bash mlf -- …`) are answered and exit here.
    clap_complete::CompleteEnv::with_factory(cli::command)
        .var(env::COMPLETE)
        .completer("mlf")
        .complete();
    let args =
        match commands::config::expand_aliases(std::env::args_os().collect(), &cli::is_builtin) {
            Ok(args) => args,
            Err(err) => {
                let ui = Ui::new(ui::ColorChoice::Auto, false, true);
                ui.error(&err.message, &err.causes, &err.hints);
                return ExitCode::from(err.exit_code());
            }
        };
    let no_pager = args.iter().any(|a| a == "--no-pager");
    // The hot path (`mlf log …`) is parsed by its own small tree; everything else, and any
    // line that small tree refuses, by the whole one.
    let parsed = match cli::parse_narrow(&args) {
        Some(cli) => Ok(cli),
        None => parse_whole(args),
    };
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => {
            // Long help on a terminal goes through the pager, as other long output does.
            if e.kind() == clap::error::ErrorKind::DisplayHelp {
                let ui = Ui::new(ui::ColorChoice::Auto, false, no_pager);
                if ui.may_page {
                    let text = if ui.color_stdout {
                        e.render().ansi().to_string()
                    } else {
                        e.render().to_string()
                    };
                    ui.page();
                    ui.out(&text);
                    ui.finish();
                    return ExitCode::SUCCESS;
                }
            }
            // clap prints help/version to stdout (exit 0) and usage errors to stderr (exit 2).
            let _ = e.print();
            return ExitCode::from(e.exit_code() as u8);
        }
    };
    let ui = Ui::new(cli.global.color, cli.global.quiet, cli.global.no_pager);
    let mut ctx = Ctx::new(ui, cli.global.store.clone());
    let result = commands::dispatch(&mut ctx, cli.command);
    ctx.ui.finish();
    match result {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            ctx.ui.error(&err.message, &err.causes, &err.hints);
            ExitCode::from(err.exit_code())
        }
    }
}
