//! `mlf import mlflow SRC`: bring an MLflow tracking store in, keeping its ids.

use indicatif::{ProgressBar, ProgressStyle};

use crate::commands::context::Ctx;
use crate::error::{CliError, CliResult, failure, usage_error};
use crate::ops::import::{ImportError, ImportReport, Source, import};
use crate::ui::format::bytes;

#[derive(Debug, clap::Subcommand)]
pub enum ImportCommand {
    /// Import an MLflow tracking store: experiments, runs, metric histories, artifacts,
    /// registry and logged models, with their ids
    ///
    /// SRC is an MLflow SQLite database, `sqlite:///PATH/mlflow.db`, an MLflow database in
    /// PostgreSQL, `postgresql://USER:PASSWORD@HOST:PORT/DB`, an MLflow file store directory
    /// (`mlruns`), or an MLflow tracking server, `http(s)://HOST:PORT` (its REST API, whole
    /// metric histories, artifacts through its proxy); each is only read. Experiment and run ids, names, times, statuses, lifecycle stages, params,
    /// tags and every metric point are kept; an experiment id already used here by another
    /// experiment is mapped to a new one (and said). Artifacts are copied from the source's
    /// artifact locations. Only what is missing is copied: importing again changes nothing,
    /// and an interrupted import resumes.
    Mlflow(MlflowArgs),
}

#[derive(Debug, clap::Args)]
pub struct MlflowArgs {
    /// The MLflow store: `sqlite:///PATH/mlflow.db`, `postgresql://…`, an `mlruns` directory or
    /// `http(s)://…`
    #[arg(value_name = "SRC")]
    source: String,
    /// Only this experiment (name or id; repeatable)
    #[arg(short = 'x', long = "experiment", value_name = "NAME")]
    experiments: Vec<String>,
    /// Say what would be imported, and change nothing
    #[arg(long)]
    dry_run: bool,
}

pub fn run(ctx: &mut Ctx, cmd: ImportCommand) -> CliResult<u8> {
    let ImportCommand::Mlflow(args) = cmd;
    let source = Source::parse(&args.source, &ctx.cwd()?).map_err(rendered)?;
    let show_bar = ctx.ui.stderr_tty && !ctx.ui.quiet;
    let store = ctx.local_store_for_write("`mlf import`")?;
    let bar = if show_bar {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("{msg:>9} [{bar:30}] {pos}/{len} runs {eta}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar.set_message("Importing");
        bar
    } else {
        ProgressBar::hidden()
    };
    let report = import(
        store,
        &source,
        &args.experiments,
        args.dry_run,
        &mut |done, total| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        },
    )
    .map_err(rendered)?;
    bar.finish_and_clear();
    summary(ctx, &report, args.dry_run);
    Ok(0)
}

fn rendered(e: ImportError) -> CliError {
    match e {
        ImportError::Unsupported(_) => usage_error(e.to_string())
            .hint("MLflow's SQLite URIs have three slashes and a path: `sqlite:///mlflow.db`"),
        ImportError::Store(s) => s.into(),
        ImportError::Copy { .. }
        | ImportError::Read(_)
        | ImportError::Scratch(_)
        | ImportError::Remote(_) => failure(e.to_string()),
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn summary(ctx: &Ctx, r: &ImportReport, dry_run: bool) {
    for e in &r.experiments {
        if e.source_id != e.target_id {
            ctx.ui.warn(&format!(
                "experiment `{}` has id {} here: id {} {}",
                e.name,
                e.target_id,
                e.source_id,
                if e.existed {
                    "is that of the experiment of the same name here"
                } else {
                    "is taken by another experiment here"
                }
            ));
        }
    }
    if r.unchanged() {
        ctx.ui.status(
            "Unchanged",
            &format!(
                "everything in the source is here already ({}, {})",
                plural(r.experiments.len(), "experiment", "experiments"),
                plural(r.runs_total, "run", "runs")
            ),
        );
    } else {
        let new_exps = r.experiments.iter().filter(|e| !e.existed).count();
        let c = &r.runs;
        let g = &r.registry;
        ctx.ui.status(
            if dry_run { "Would import" } else { "Imported" },
            &format!(
                "{} and {} ({} already here{}): {}, {}, {}; {} of artifacts ({}); {}, {}, {}",
                plural(new_exps, "experiment", "experiments"),
                plural(c.runs, "run", "runs"),
                r.runs_total - c.runs,
                if c.runs_updated > 0 {
                    format!(", {} updated", c.runs_updated)
                } else {
                    String::new()
                },
                plural(c.params, "param", "params"),
                plural(c.tags, "tag", "tags"),
                plural(c.metric_points, "metric point", "metric points"),
                bytes(r.artifacts.bytes),
                plural(r.artifacts.files, "file", "files"),
                plural(g.models, "registered model", "registered models"),
                plural(g.versions, "version", "versions"),
                plural(g.logged_models, "logged model", "logged models"),
            ),
        );
    }
    for (what, n, why) in &r.skipped {
        ctx.ui.status("Skipped", &format!("{n} {what}: {why}"));
    }
}
