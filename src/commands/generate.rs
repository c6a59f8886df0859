//! Hidden `mlf generate completions SHELL | man --out DIR`, for packagers and the repository's
//! committed `completions/` and `man/`.

use std::path::PathBuf;

use crate::context::Ctx;
use crate::error::{CliResult, failure};

#[derive(Debug, clap::Subcommand)]
pub enum GenerateCommand {
    /// Print a completion script
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Write one man page per command into a directory
    Man {
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
}

pub fn run(ctx: &mut Ctx, cmd: GenerateCommand) -> CliResult<u8> {
    match cmd {
        GenerateCommand::Completions { shell } => {
            ctx.ui
                .out(&String::from_utf8_lossy(&crate::generate::completion(
                    shell,
                )));
        }
        GenerateCommand::Man { out } => {
            std::fs::create_dir_all(&out)
                .map_err(|e| failure(format!("cannot create `{}`: {e}", out.display())))?;
            for (name, bytes) in crate::generate::man_pages() {
                let path = out.join(&name);
                std::fs::write(&path, bytes)
                    .map_err(|e| failure(format!("cannot write `{}`: {e}", path.display())))?;
            }
        }
    }
    Ok(0)
}
