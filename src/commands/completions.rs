//! `mlf completions SHELL`: print a completion script.

use crate::commands::context::Ctx;
use crate::error::CliResult;

/// Print a shell completion script
///
/// bash: `mlf completions bash > ~/.local/share/bash-completion/completions/mlf`;
/// zsh: `mlf completions zsh > ~/.zfunc/_mlf`; fish: `mlf completions fish >
/// ~/.config/fish/completions/mlf.fish`.
#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// Shell to complete for
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

pub fn run(ctx: &mut Ctx, args: CompletionsArgs) -> CliResult<u8> {
    ctx.ui
        .out(&String::from_utf8_lossy(&crate::generate::completion(
            args.shell,
        )));
    Ok(0)
}
