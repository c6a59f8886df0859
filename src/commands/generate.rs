//! Hidden `mlf generate completions SHELL | man --out DIR`, for packagers and the repository's
//! committed `completions/` and `man/`.

use std::path::PathBuf;

use crate::commands::context::Ctx;
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
    /// Fill the store with synthetic runs, for benchmarks
    Store {
        /// Name of the experiment to create
        #[arg(long, default_value = "synthetic")]
        experiment: String,
        #[arg(long, default_value_t = 100_000)]
        runs: usize,
        #[arg(long, default_value_t = 10)]
        params: usize,
        #[arg(long, default_value_t = 10)]
        metrics: usize,
        /// Steps of each metric's history
        #[arg(long, default_value_t = 100)]
        steps: usize,
        #[arg(long, default_value_t = 5)]
        tags: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
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
        GenerateCommand::Store {
            experiment,
            runs,
            params,
            metrics,
            steps,
            tags,
            seed,
        } => {
            let spec = crate::store::Synthetic {
                experiment,
                runs,
                params,
                metrics,
                steps,
                tags,
                seed,
            };
            let bar = indicatif::ProgressBar::new(runs as u64);
            if ctx.ui.quiet || !ctx.ui.stderr_tty {
                bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
            }
            let store = ctx.local_store_for_write("`mlf generate store`")?;
            let id = store.generate_synthetic(&spec, &mut |n| bar.set_position(n as u64))?;
            bar.finish_and_clear();
            ctx.ui.status(
                "Generated",
                &format!("{runs} runs in experiment `{}` (id {id})", spec.experiment),
            );
        }
    }
    Ok(0)
}
