//! Completion scripts and man pages, as bytes, from the clap tree.

use clap_complete::Shell;

/// Committed completion files: (file name, shell).
pub const COMPLETION_FILES: &[(&str, Shell)] = &[
    ("mlf.bash", Shell::Bash),
    ("_mlf", Shell::Zsh),
    ("mlf.fish", Shell::Fish),
    ("_mlf.ps1", Shell::PowerShell),
];

/// The completion script for a shell: it registers `mlf` for dynamic completion, so that run
/// ids and names, experiments and keys are completed from the store.
pub fn completion(shell: Shell) -> Vec<u8> {
    use clap_complete::env::{Bash, Elvish, EnvCompleter, Fish, Powershell, Zsh};
    let completer: &dyn EnvCompleter = match shell {
        Shell::Bash => &Bash,
        Shell::Zsh => &Zsh,
        Shell::Fish => &Fish,
        Shell::PowerShell => &Powershell,
        Shell::Elvish => &Elvish,
        _ => &Bash,
    };
    let mut out = Vec::new();
    completer
        .write_registration(crate::env::COMPLETE, "mlf", "mlf", "mlf", &mut out)
        .expect("writing to memory cannot fail");
    out
}

/// One man page per visible command: (`mlf-runs-list.1`, roff bytes).
pub fn man_pages() -> Vec<(String, Vec<u8>)> {
    let mut cmd = crate::cli::command().disable_help_subcommand(true);
    cmd.build();
    let mut pages = Vec::new();
    collect(&cmd, "", &mut pages);
    pages.sort();
    pages
}

fn collect(cmd: &clap::Command, path: &str, pages: &mut Vec<(String, Vec<u8>)>) {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let sub_path = if path.is_empty() {
            sub.get_name().to_string()
        } else {
            format!("{path} {}", sub.get_name())
        };
        collect(sub, &sub_path, pages);
    }
    // The examples are a section of their own, not clap_mangen's EXTRA.
    let man = clap_mangen::Man::new(cmd.clone().after_help(None::<&'static str>));
    let mut bytes = Vec::new();
    man.render(&mut bytes)
        .expect("rendering to memory cannot fail");
    bytes.extend_from_slice(sections(path).as_bytes());
    pages.push((man.get_filename(), bytes));
}

/// The sections clap_mangen does not write: EXAMPLES on every page; the filter grammar where
/// filters are taken; EXIT STATUS on every page; ENVIRONMENT and FILES on `mlf(1)`; SEE ALSO.
fn sections(path: &str) -> String {
    use crate::commands::{examples, help};
    let mut out = String::new();
    if let Some(ex) = examples::of(path) {
        out.push_str(".SH EXAMPLES\n.nf\n.RS 4\n");
        for line in ex.lines() {
            out.push_str(&roff_line(line));
        }
        out.push_str(".RE\n.fi\n");
    }
    if matches!(path, "" | "runs list" | "runs compare" | "registry list") {
        out.push_str(".SH FILTERS\n.nf\n");
        // The topic's own title is this section's.
        for line in help::FILTER.lines().skip(2) {
            out.push_str(&roff_line(line));
        }
        out.push_str(".fi\n");
    }
    if path.is_empty() {
        out.push_str(".SH ENVIRONMENT\n");
        for (name, doc) in help::env_vars() {
            out.push_str(&format!(
                ".TP\n\\fB{}\\fR\n{}",
                roff_escape(&name),
                roff_line(&doc)
            ));
        }
        out.push_str(".SH FILES\n");
        for (name, doc) in help::FILES {
            out.push_str(&format!(
                ".TP\n\\fB{}\\fR\n{}",
                roff_escape(name),
                roff_line(doc)
            ));
        }
    }
    out.push_str(".SH \"EXIT STATUS\"\n");
    for (code, doc) in help::EXIT_STATUS {
        out.push_str(&format!(
            ".TP\n\\fB{}\\fR\n{}",
            roff_escape(code),
            roff_line(doc)
        ));
    }
    if !path.is_empty() {
        out.push_str(".SH \"SEE ALSO\"\n\\fBmlf\\fR(1): the filter grammar, environment variables and files\n");
    }
    out
}

/// Text for roff: backslashes and hyphens escaped.
fn roff_escape(text: &str) -> String {
    text.replace('\\', "\\e").replace('-', "\\-")
}

/// One line of roff text: escaped, and kept from being read as a request.
fn roff_line(line: &str) -> String {
    let text = roff_escape(line);
    if text.starts_with('.') || text.starts_with('\'') {
        format!("\\&{text}\n")
    } else {
        format!("{text}\n")
    }
}
