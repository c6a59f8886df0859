//! `mlf help [TOPIC | COMMAND...]`: the help of a command (as `--help`), or a topic: `filter`
//! (the filter grammar, with examples) and `env` (every environment variable, from the
//! documentation of `src/env.rs`).

use crate::commands::context::Ctx;
use crate::error::{CliResult, usage_error};

/// The filter grammar, with examples.
pub const FILTER: &str = include_str!("filter.txt");

/// The help topics beside the commands: (name, one-line summary).
pub const TOPICS: &[(&str, &str)] = &[
    (
        "filter",
        "the filter and order-by grammar of `runs list -f`, with examples",
    ),
    ("env", "every environment variable mlf reads or sets"),
];

/// The exit codes, for the man pages: (code, meaning).
pub const EXIT_STATUS: &[(&str, &str)] = &[
    ("0", "Success."),
    (
        "1",
        "The operation failed: no store found, an I/O or database error, a registry policy refused it.",
    ),
    (
        "2",
        "Bad usage or bad input (an unknown run or experiment, an invalid key, value or filter); nothing was written.",
    ),
    ("101", "An internal error (a bug)."),
    ("130", "Ctrl-C stopped a sweep."),
    (
        "N",
        "mlf run and mlf project run exit with the command's exit code, or 128+N when signal N killed it.",
    ),
];

/// The files mlf reads and writes, for the man pages: (path, meaning).
pub const FILES: &[(&str, &str)] = &[
    (
        ".mlf/",
        "The store, found from the current directory upward (as git finds .git): mlf.db (SQLite) and artifacts/.",
    ),
    (
        ".mlf/config.toml",
        "The store's settings: [defaults] for its commands, and [alias] command aliases.",
    ),
    (
        "~/.config/mlf/config.toml",
        "The user's settings ($XDG_CONFIG_HOME/mlf/config.toml): [defaults] and [alias]; the store's win.",
    ),
    (
        "~/.cache/mlf/",
        "Environments and cloned projects of mlf project run, and remote mode's state ($MLF_CACHE_DIR, $XDG_CACHE_HOME/mlf).",
    ),
];

/// Print help for a command, or a topic: `filter` (the search grammar) or `env` (variables)
///
/// `mlf help runs list` is `mlf runs list --help`. The topics are pages of their own.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Topics:\n  filter  the filter and order-by grammar of `runs list -f`, with examples\n  env     every environment variable mlf reads or sets\n\nExamples:\n  mlf help filter\n  mlf help env\n  mlf help runs list"
)]
pub struct HelpArgs {
    /// A topic (`filter`, `env`) or a command (`runs list`)
    #[arg(value_name = "TOPIC|COMMAND", add = crate::commands::complete::help_completer())]
    words: Vec<String>,
}

pub fn run(ctx: &mut Ctx, args: HelpArgs) -> CliResult<u8> {
    let text = match args.words.first().map(String::as_str) {
        Some("filter") if args.words.len() == 1 => FILTER.to_string(),
        Some("env") if args.words.len() == 1 => env_text(),
        _ => command_help(&args.words, ctx.ui.color_stdout)?,
    };
    ctx.ui.page();
    ctx.ui.out(&text);
    Ok(0)
}

/// The long help of the command the words name (`runs list`), as `--help` prints it.
fn command_help(words: &[String], color: bool) -> CliResult<String> {
    let mut cmd = crate::cli::command();
    cmd.build();
    let mut at = &mut cmd;
    let mut path = vec!["mlf".to_string()];
    for word in words {
        let next = at.find_subcommand_mut(word).ok_or_else(|| {
            let topics: Vec<&str> = TOPICS.iter().map(|(n, _)| *n).collect();
            usage_error(format!(
                "`{}` has no command or help topic `{word}`",
                path.join(" ")
            ))
            .hint(format!(
                "the topics are {}; `{} --help` lists the commands",
                topics.join(", "),
                path.join(" ")
            ))
        })?;
        path.push(next.get_name().to_string());
        at = next;
    }
    let mut at = at.clone().bin_name(path.join(" "));
    let help = at.render_long_help();
    Ok(if color {
        help.ansi().to_string()
    } else {
        help.to_string()
    })
}

/// Every environment variable, with the documentation `src/env.rs` gives it.
pub fn env_text() -> String {
    let mut out = String::from(
        "ENVIRONMENT\n\nThe variables mlf reads (and those it sets for the command of `mlf run`):\n\n",
    );
    for (name, doc) in env_vars() {
        out.push_str(&format!("  {name}\n"));
        for line in wrap(&doc, 76) {
            out.push_str(&format!("      {line}\n"));
        }
    }
    out
}

/// (name, documentation) of every variable `src/env.rs` names, in its order.
pub fn env_vars() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut doc: Vec<&str> = Vec::new();
    for line in include_str!("../../env.rs").lines() {
        let line = line.trim();
        if let Some(d) = line.strip_prefix("///") {
            doc.push(d.trim());
        } else if let Some(rest) = line.strip_prefix("pub const ") {
            if let Some(value) = rest.split('"').nth(1) {
                let mut name = value.to_string();
                if name.ends_with('_') {
                    name.push_str("<KEY>");
                }
                out.push((name, doc.join(" ")));
            }
            doc.clear();
        } else if !line.starts_with("#[") {
            doc.clear();
        }
    }
    out
}

fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_variable_of_env_rs_is_documented() {
        let vars = super::env_vars();
        assert!(vars.len() > 30, "{vars:?}");
        for (name, doc) in &vars {
            assert!(!doc.is_empty(), "{name} has no documentation in env.rs");
        }
        assert!(vars.iter().any(|(n, _)| n == "MLF_PAGER"));
        assert!(vars.iter().any(|(n, _)| n == "MLF_PARAM_<KEY>"));
    }
}
