//! Completion scripts and man pages, as bytes, from the clap tree.

use clap_complete::Shell;

/// Committed completion files: (file name, shell).
pub const COMPLETION_FILES: &[(&str, Shell)] = &[
    ("mlf.bash", Shell::Bash),
    ("_mlf", Shell::Zsh),
    ("mlf.fish", Shell::Fish),
    ("_mlf.ps1", Shell::PowerShell),
];

/// The completion script for a shell.
pub fn completion(shell: Shell) -> Vec<u8> {
    let mut cmd = crate::cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "mlf", &mut out);
    out
}

/// One man page per visible command: (`mlf-runs-list.1`, roff bytes).
pub fn man_pages() -> Vec<(String, Vec<u8>)> {
    let mut cmd = crate::cli::command().disable_help_subcommand(true);
    cmd.build();
    let mut pages = Vec::new();
    collect(&cmd, &mut pages);
    pages.sort();
    pages
}

fn collect(cmd: &clap::Command, pages: &mut Vec<(String, Vec<u8>)>) {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        collect(sub, pages);
    }
    let man = clap_mangen::Man::new(cmd.clone());
    let mut bytes = Vec::new();
    man.render(&mut bytes)
        .expect("rendering to memory cannot fail");
    pages.push((man.get_filename(), bytes));
}
