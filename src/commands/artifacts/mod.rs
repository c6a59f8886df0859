//! `mlf artifacts list|get|put`: the files of a run.

use std::path::{Path, PathBuf};

use crate::artifacts::{Repo, clean_relative};
use crate::commands::context::Ctx;
use crate::commands::log::{RunArg, artifact_error};
use crate::error::{CliResult, failure, usage_error};
use crate::ui::format::{OutputArgs, OutputFormat, bytes};
use crate::ui::{progress, table};

#[derive(Debug, clap::Subcommand)]
pub enum ArtifactsCommand {
    /// List the artifacts of a run
    #[command(visible_alias = "ls")]
    List(ListArgs),
    /// Copy an artifact (file or directory) out of a run
    Get(GetArgs),
    /// Copy a local file or directory into a run (same as `mlf log artifact`)
    Put(crate::commands::log::ArtifactArgs),
}

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Directory inside the artifacts [default: the root]
    #[arg(add = crate::commands::complete::artifact_completer())]
    path: Option<String>,
    /// List subdirectories too
    #[arg(short = 'R', long)]
    recursive: bool,
    #[command(flatten)]
    run: RunArg,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Debug, clap::Args)]
pub struct GetArgs {
    /// Artifact path inside the run (`model/MLmodel`, `logs`)
    #[arg(add = crate::commands::complete::artifact_completer())]
    path: String,
    /// Local directory to copy into; `-` writes the file to stdout
    #[arg(short, long, value_name = "DIR", default_value = ".")]
    output_dir: PathBuf,
    #[command(flatten)]
    run: RunArg,
}

pub fn run(ctx: &mut Ctx, cmd: ArtifactsCommand) -> CliResult<u8> {
    match cmd {
        ArtifactsCommand::List(args) => list(ctx, args),
        ArtifactsCommand::Get(args) => get(ctx, args),
        ArtifactsCommand::Put(args) => crate::commands::log::artifact::run(ctx, args),
    }
}

fn repo(ctx: &mut Ctx, run: &RunArg) -> CliResult<(String, Repo)> {
    let id = ctx.target_run(run.run.as_deref())?;
    let store = ctx.store()?;
    let run = store.run(&id)?;
    Ok((id, store.artifacts(&run)?))
}

fn list(ctx: &mut Ctx, args: ListArgs) -> CliResult<u8> {
    let ListArgs {
        path,
        recursive,
        run,
        output,
    } = args;
    let rel = clean_relative(path.as_deref().unwrap_or("")).map_err(artifact_error)?;
    let (_, repo) = repo(ctx, &run)?;
    let files = repo.list(&rel, recursive).map_err(artifact_error)?;
    match output.format {
        OutputFormat::Json => {
            let root_uri = repo.root_uri();
            ctx.ui
                .json(&serde_json::json!({ "root_uri": root_uri, "files": files }))?;
        }
        OutputFormat::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            let _ = w.write_record(["path", "is_dir", "file_size"]);
            for f in &files {
                let size = f.file_size.map(|s| s.to_string()).unwrap_or_default();
                let _ = w.write_record([
                    f.path.as_str(),
                    if f.is_dir { "true" } else { "false" },
                    &size,
                ]);
            }
            ctx.ui.out(&String::from_utf8_lossy(
                &w.into_inner().unwrap_or_default(),
            ));
        }
        format => {
            let rows: Vec<Vec<String>> = files
                .iter()
                .map(|f| {
                    let path = if f.is_dir {
                        format!("{}/", f.path)
                    } else {
                        f.path.clone()
                    };
                    vec![path, f.file_size.map(bytes).unwrap_or_default()]
                })
                .collect();
            if !rows.is_empty() {
                let headers = ["PATH".to_string(), "SIZE".into()];
                ctx.ui.out(&table::text(
                    &ctx.ui,
                    &headers,
                    rows,
                    format == OutputFormat::Md,
                ));
            }
        }
    }
    Ok(0)
}

/// `artifacts get PATH -o -`: the file's bytes to stdout (a closed stdout ends mlf quietly).
fn to_stdout(repo: &Repo, rel: &Path, path: &str) -> CliResult<u8> {
    use std::io::Write;
    let scratch = crate::commands::runs::logs::Scratch::new();
    let local = repo.materialize(rel, &scratch.0).map_err(artifact_error)?;
    if !local.is_file() {
        return Err(usage_error(format!(
            "`{path}` is a directory: `-o -` writes one file to stdout"
        ))
        .hint("give a file inside it, or `-o DIR` to copy the directory"));
    }
    let mut file = std::fs::File::open(&local)
        .map_err(|e| failure(format!("cannot read `{}`: {e}", local.display())))?;
    let mut out = std::io::stdout().lock();
    match std::io::copy(&mut file, &mut out).and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(failure(format!("cannot write `{path}` to stdout: {e}")))
        }
        _ => Ok(0),
    }
}

fn get(ctx: &mut Ctx, args: GetArgs) -> CliResult<u8> {
    let GetArgs {
        path,
        output_dir,
        run,
    } = args;
    let rel = clean_relative(&path).map_err(artifact_error)?;
    let (id, repo) = repo(ctx, &run)?;
    if output_dir == Path::new("-") {
        return to_stdout(&repo, &rel, &path);
    }
    let items = repo.plan_get(&rel, &output_dir).map_err(artifact_error)?;
    let total: u64 = items.iter().map(|i| i.size).sum();
    let bar = progress::bytes(&ctx.ui, total, "Copying");
    let mut done = 0u64;
    for item in &items {
        let base = done;
        repo.get(item, &mut |n| bar.set_position(base + n))
            .map_err(artifact_error)?;
        done += item.size;
    }
    bar.finish_and_clear();
    let dest = output_dir.join(
        rel.file_name()
            .unwrap_or(Path::new("artifacts").as_os_str()),
    );
    ctx.ui.status(
        "Copied",
        &format!(
            "{} file{} ({}) of run {} to `{}`",
            items.len(),
            if items.len() == 1 { "" } else { "s" },
            bytes(total),
            &id[..8],
            dest.display()
        ),
    );
    Ok(0)
}
