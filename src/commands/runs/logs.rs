//! `mlf runs logs [RUN]`: the output a run's command printed (saved as `logs/stdout.txt` and
//! `logs/stderr.txt`), followed while the run goes on with `-f`.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::artifacts::Repo;
use crate::commands::context::Ctx;
use crate::error::{CliResult, failure};
use crate::store::Backend;
use crate::tracking::{Run, RunStatus};

/// Print the output a run's command printed (its saved stdout, or stderr)
///
/// Without RUN, the latest run (of `-x` when given); `@~N` counts back. With `-f`, waits for
/// more output while the run is RUNNING and ends when the run does.
#[derive(Debug, clap::Args)]
pub struct LogsArgs {
    /// Run: full id, unique id prefix, unique name, `@` (the latest) or `@~N` [default: @]
    #[arg(add = crate::commands::complete::run_completer())]
    run: Option<String>,
    /// Count `@`, `@~N` and look names up within this experiment (name or id)
    #[arg(add = crate::commands::complete::experiment_completer(), short = 'x', long = "experiment", value_name = "EXP")]
    experiment: Option<String>,
    /// Print the command's stderr instead of its stdout
    #[arg(long)]
    stderr: bool,
    /// Follow: print output as it is written until the run ends
    #[arg(short, long)]
    follow: bool,
}

/// The saved output of a run: `logs/stdout.txt` or `logs/stderr.txt`.
pub fn log_path(stderr: bool) -> &'static str {
    if stderr {
        "logs/stderr.txt"
    } else {
        "logs/stdout.txt"
    }
}

/// The last `n` lines of a run's saved stderr, if it saved any.
pub fn stderr_tail(repo: &Repo, n: usize) -> Option<String> {
    let scratch = Scratch::new();
    let path = local_copy(repo, Path::new(log_path(true)), &scratch.0)?;
    let text = std::fs::read(path).ok()?;
    let text = String::from_utf8_lossy(&text);
    let lines: Vec<&str> = text.lines().collect();
    let tail = lines[lines.len().saturating_sub(n)..].join("\n");
    (!tail.trim().is_empty()).then_some(tail)
}

pub fn run(ctx: &mut Ctx, args: LogsArgs) -> CliResult<u8> {
    let LogsArgs {
        run,
        experiment,
        stderr,
        follow,
    } = args;
    let store = ctx.store()?;
    let id = super::position::resolve(store, run.as_deref(), experiment.as_deref())?;
    let run = store.run(&id)?;
    let repo = store.artifacts(&run)?;
    let rel = Path::new(log_path(stderr));
    let scratch = Scratch::new();
    let mut offset = 0u64;
    let mut seen = false;
    loop {
        // Whether the run was still going before this read: output written before it ended
        // is then read on the next round.
        let running = follow && still_running(store, &id)?;
        if let Some(path) = local_copy(&repo, rel, &scratch.0) {
            seen = true;
            offset = copy_from(&path, offset)?;
        }
        if !running {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    if !seen {
        ctx.ui.status(
            "No output",
            &format!(
                "saved for run {} ({}): `{}` is written by `mlf run` and `mlf project run`",
                run.info.run_name,
                &id[..8],
                rel.display()
            ),
        );
    }
    Ok(0)
}

fn still_running(store: &dyn Backend, id: &str) -> CliResult<bool> {
    let run: Run = store.run(id)?;
    Ok(run.info.status == RunStatus::Running && !super::is_dead(&run))
}

/// Writes `path` from `offset` on to stdout; returns the new offset. A closed stdout ends mlf
/// quietly.
fn copy_from(path: &Path, offset: u64) -> CliResult<u64> {
    let mut file = std::fs::File::open(path)
        .map_err(|e| failure(format!("cannot read `{}`: {e}", path.display())))?;
    file.seek(SeekFrom::Start(offset))
        .map_err(|e| failure(format!("cannot read `{}`: {e}", path.display())))?;
    let mut buf = Vec::new();
    file.read_to_end(&mut buf)
        .map_err(|e| failure(format!("cannot read `{}`: {e}", path.display())))?;
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(&buf).and_then(|_| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
    }
    Ok(offset + buf.len() as u64)
}

/// The artifact `rel` as a local file: the run's own, or a copy downloaded below `scratch`.
pub fn local_copy(repo: &Repo, rel: &Path, scratch: &Path) -> Option<PathBuf> {
    let path = repo.materialize(rel, scratch).ok()?;
    path.is_file().then_some(path)
}

/// A scratch directory of this process, removed when dropped.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new() -> Scratch {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::SeqCst);
        Scratch(std::env::temp_dir().join(format!("mlf-scratch-{}-{n}", std::process::id())))
    }
}

impl Default for Scratch {
    fn default() -> Scratch {
        Scratch::new()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
