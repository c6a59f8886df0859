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
    /// database as `postgresql://USER:PASSWORD@HOST:PORT/DATABASE` or `mysql://…`
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

/// The command line of the hot path alone: `mlf [GLOBAL…] log …`, with the same top-level
/// settings as [`Cli`]. Parsing it builds a few dozen arguments instead of the whole tree; a
/// line it does not accept is parsed again with the whole tree, whose errors and help are
/// the ones shown.
#[derive(Debug, Parser)]
#[command(name = "mlf", version, styles = STYLES, max_term_width = 100)]
#[command(arg_required_else_help = true, disable_help_subcommand = true)]
struct LogCli {
    #[command(flatten)]
    global: GlobalArgs,

    #[command(subcommand)]
    command: LogOnly,
}

#[derive(Debug, clap::Subcommand)]
enum LogOnly {
    /// Log params, metrics, tags and artifacts to a run
    #[command(subcommand)]
    Log(crate::commands::log::LogCommand),
}

/// The first word of a command line that is not a global option: the top-level command.
fn first_command(args: &[std::ffi::OsString]) -> Option<&std::ffi::OsStr> {
    let mut i = 1;
    while let Some(a) = args.get(i) {
        let text = a.to_string_lossy();
        match text.as_ref() {
            "--store" | "--color" => i += 2,
            t if t.starts_with('-') => i += 1,
            _ => return Some(a),
        }
    }
    None
}

/// `args` parsed by the tree of its top-level command alone, when that command is one the
/// hot path knows (`log`) and the line is valid; `None` otherwise.
pub fn parse_narrow(args: &[std::ffi::OsString]) -> Option<Cli> {
    if first_command(args)? != "log" {
        return None;
    }
    let narrow = LogCli::try_parse_from(args).ok()?;
    let LogOnly::Log(log) = narrow.command;
    Some(Cli {
        global: narrow.global,
        command: Command::Log(log),
    })
}

/// Whether `word` names a top-level command (or one of its aliases), without building the
/// tree.
pub fn is_builtin(word: &str) -> bool {
    <Command as clap::Subcommand>::has_subcommand(word) || BUILTIN_ALIASES.contains(&word)
}

/// The aliases of top-level commands (`#[command(alias = …)]` in `Command`).
const BUILTIN_ALIASES: &[&str] = &["exp", "reg"];

/// The clap command, for completions and man pages.
pub fn command() -> clap::Command {
    crate::commands::examples::attach(bare_command())
}

/// The command tree without the examples at the end of each help: what parsing needs.
pub fn bare_command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

/// Whether a command line may show a help page (`-h`, `--help`, `help`): only then does the
/// tree need its examples.
pub fn may_show_help(args: &[std::ffi::OsString]) -> bool {
    args.iter().skip(1).any(|a| {
        let a = a.to_string_lossy();
        a == "--help"
            || a == "help"
            || (a.starts_with('-') && !a.starts_with("--") && a.contains('h'))
    })
}

#[cfg(test)]
mod tests {
    use std::ffi::OsString;

    #[test]
    fn cli_is_consistent() {
        super::command().debug_assert();
    }

    /// The cheap test of top-level names agrees with the tree's names and aliases.
    #[test]
    fn builtin_names_and_aliases_are_known_without_the_tree() {
        let tree = super::command();
        let mut all = Vec::new();
        for s in tree.get_subcommands() {
            all.push(s.get_name().to_string());
            all.extend(s.get_all_aliases().map(str::to_string));
        }
        for name in &all {
            assert!(super::is_builtin(name), "{name}");
        }
        let aliases: Vec<&str> = tree
            .get_subcommands()
            .flat_map(|s| s.get_all_aliases())
            .collect();
        assert_eq!(aliases, super::BUILTIN_ALIASES);
        assert!(!super::is_builtin("nonsense"));
    }

    /// The narrow parse of `log` lines gives what the whole tree gives, and leaves every
    /// other line (and every invalid one) to the whole tree.
    #[test]
    fn the_narrow_parse_of_log_agrees_with_the_whole_tree() {
        let lines = [
            "mlf log metric loss 0.5",
            "mlf log metric loss 0.5 --step 3 --run abc",
            "mlf --store /tmp/s -q log metric loss nan",
            "mlf --color never log metric -r r1 acc -- -1.5",
            "mlf log param lr 0.01",
            "mlf log tag note hello -r x",
            "mlf log artifact model.pkl --to out",
            "mlf log batch -f metrics.jsonl",
            "mlf --no-pager log metric --timestamp 5 loss 1",
        ];
        for line in lines {
            let args: Vec<OsString> = line.split(' ').map(OsString::from).collect();
            let narrow = super::parse_narrow(&args).unwrap_or_else(|| panic!("{line}"));
            let mut tree = super::command();
            let m = tree.try_get_matches_from_mut(&args).unwrap();
            let whole = <super::Cli as clap::FromArgMatches>::from_arg_matches(&m).unwrap();
            assert_eq!(format!("{narrow:?}"), format!("{whole:?}"), "{line}");
        }
        for line in [
            "mlf runs list",
            "mlf log",
            "mlf log metric",
            "mlf log metric loss",
            "mlf log metric loss 0.5 --bogus",
            "mlf log metric -h",
            "mlf --version",
        ] {
            let args: Vec<OsString> = line.split(' ').map(OsString::from).collect();
            assert!(super::parse_narrow(&args).is_none(), "{line}");
        }
    }
}
