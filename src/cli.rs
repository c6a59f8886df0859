//! The command-line grammar: the top-level parser and the global options. No I/O, no logic.

use std::path::PathBuf;

use clap::Parser;
use clap::builder::Styles;
use clap::builder::styling::AnsiColor;

use crate::commands::Command;
use crate::env;
use crate::ui::ColorChoice;

const STYLES: Styles = Styles::styled()
    .header(AnsiColor::Green.on_default().bold())
    .usage(AnsiColor::Green.on_default().bold())
    .literal(AnsiColor::Cyan.on_default().bold())
    .placeholder(AnsiColor::Cyan.on_default());

const AFTER_HELP: &str = "\
More: `mlf help filter` (the filter grammar), `mlf help env` (environment variables),
`mlf help COMMAND`, `man mlf` (after `mlf man --install`).";

/// Track, compare and reproduce machine-learning runs from the shell
///
/// mlf keeps experiments, runs, params, metrics and artifacts in a `.mlf` directory beside
/// your code, records the git commit of every run, and speaks MLflow's formats.
#[derive(Debug, Parser)]
#[command(name = "mlf", version, styles = STYLES, max_term_width = 100)]
#[command(arg_required_else_help = true, disable_help_subcommand = true)]
#[command(after_help = AFTER_HELP)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Args)]
pub struct GlobalArgs {
    /// Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`, or a
    /// PostgreSQL database as `postgresql://USER:PASSWORD@HOST:PORT/DATABASE`
    #[arg(long, global = true, env = env::MLF_STORE, value_name = "STORE")]
    pub store: Option<PathBuf>,

    /// When to use colour
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    /// Print no notices on stderr (errors and warnings still show)
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// Do not send long output through a pager (`$MLF_PAGER`, `$PAGER`, `less -FRX`)
    #[arg(long, global = true)]
    pub no_pager: bool,
}

/// The clap command, for completions and man pages.
pub fn command() -> clap::Command {
    crate::commands::examples::attach(<Cli as clap::CommandFactory>::command())
}

#[cfg(test)]
mod tests {
    #[test]
    fn cli_is_consistent() {
        super::command().debug_assert();
    }
}
