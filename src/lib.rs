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

/// Runs the `mlf` command line and returns its exit code.
pub fn main() -> ExitCode {
    // Completion requests from the shell (`COMPLETE=bash mlf -- …`) are answered and exit here.
    clap_complete::CompleteEnv::with_factory(cli::command)
        .var(env::COMPLETE)
        .completer("mlf")
        .complete();
    // The command tree is built for parsing and then left to the end of the process: dropping
    // it frees thousands of small allocations for nothing, on the path of every command.
    let mut command = cli::command();
    // An alias from the settings (`[alias]`) stands for the command line it names.
    let builtin: Vec<String> = command
        .get_subcommands()
        .flat_map(|s| std::iter::once(s.get_name()).chain(s.get_all_aliases()))
        .map(str::to_string)
        .collect();
    let args = match commands::config::expand_aliases(std::env::args_os().collect(), &builtin) {
        Ok(args) => args,
        Err(err) => {
            let ui = Ui::new(ui::ColorChoice::Auto, false, true);
            ui.error(&err.message, &err.causes, &err.hints);
            return ExitCode::from(err.exit_code());
        }
    };
    let no_pager = args.iter().any(|a| a == "--no-pager");
    let parsed = command
        .try_get_matches_from_mut(args)
        .and_then(|mut m| <cli::Cli as clap::FromArgMatches>::from_arg_matches_mut(&mut m))
        .map_err(|e| e.format(&mut command));
    std::mem::forget(command);
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
