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
