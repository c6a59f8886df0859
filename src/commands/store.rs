//! `mlf store copy SRC DST`: a whole store copied into another, keeping ids and timestamps.

use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};

use crate::commands::context::{Ctx, open_database_with};
use crate::error::{CliError, CliResult, failure, usage_error};
use crate::ops::copy::{CopyError, CopyReport, Place, Step, copy};
use crate::store::database::{Database, is_database_uri};
use crate::store::tables::Tables;
use crate::store::{DB_FILE, Store};
use crate::ui::format::{OutputArgs, OutputFormat, bytes};

#[derive(Debug, clap::Subcommand)]
pub enum StoreCommand {
    /// Copy a whole store into another: a store directory, or a PostgreSQL or MySQL database
    /// with its artifacts in a directory or a bucket
    ///
    /// SRC and DST are each a store directory (`.mlf`, or a directory holding one) or
    /// `postgresql://USER:PASSWORD@HOST:PORT/DB` or `mysql://USER:PASSWORD@HOST:PORT/DB`. DST
    /// is created when it does not exist (a
    /// database must exist; mlf makes its tables). Everything is copied: experiments, runs,
    /// params, tags, every metric point, the registry with its requests and history, logged
    /// models, datasets, and the files of runs and registered versions, with every id and
    /// timestamp kept. Files below SRC's artifact root go below DST's (a database's root is
    /// `--artifacts-destination`, else `MLF_ARTIFACT_ROOT`, else the one it recorded); files
    /// kept anywhere else stay where they are. A row already in DST is replaced by SRC's, and a
    /// file already there with the same size is kept, so copying again changes nothing and an
    /// interrupted copy resumes. Nothing in DST is deleted. An experiment id that names another
    /// experiment in DST stops the copy before anything is written.
    Copy(CopyArgs),
}

#[derive(Debug, clap::Args)]
pub struct CopyArgs {
    /// The store to copy: a store directory, `postgresql://…` or `mysql://…`
    #[arg(value_name = "SRC", value_hint = clap::ValueHint::AnyPath)]
    source: String,
    /// The store to copy into: a store directory (created when missing), `postgresql://…` or
    /// `mysql://…`
    #[arg(value_name = "DST", value_hint = clap::ValueHint::AnyPath)]
    target: String,
    /// Where DST keeps artifacts, when it is a database: `s3://BUCKET/PREFIX`,
    /// `az://CONTAINER/PREFIX`, `gs://BUCKET/PREFIX`, `file:///PATH` or a path (the database records it, as `mlf server --artifacts-destination` does)
    #[arg(long, value_name = "URI")]
    artifacts_destination: Option<String>,
    #[command(flatten)]
    output: OutputArgs,
}

pub fn run(ctx: &mut Ctx, cmd: StoreCommand) -> CliResult<u8> {
    let StoreCommand::Copy(args) = cmd;
    copy_command(ctx, args)
}

/// An opened end of a copy.
enum End {
    Dir(Store),
    Database(Box<dyn Database>),
}

impl End {
    fn place(&self) -> Place {
        match self {
            End::Dir(s) => Place {
                label: s.root().display().to_string(),
                root: s.artifact_root().display().to_string(),
                dir: Some(s.root().display().to_string()),
            },
            End::Database(s) => Place {
                label: s.database().to_string(),
                root: s
                    .artifact_root()
                    .display()
                    .to_string()
                    .trim_end_matches('/')
                    .to_string(),
                dir: None,
            },
        }
    }

    fn tables(&mut self) -> &mut dyn Tables {
        match self {
            End::Dir(s) => s,
            End::Database(s) => s.as_mut(),
        }
    }
}

fn refuse_server(arg: &str, given: &str) -> CliResult<()> {
    if given.starts_with("http://") || given.starts_with("https://") {
        return Err(usage_error(format!(
            "{arg} `{given}` is a tracking server: `mlf store copy` copies store directories and databases"
        ))
        .hint("copy the server's database (its --backend-store-uri), or use `mlf pull`/`mlf push` with the server"));
    }
    Ok(())
}

fn open_source(cwd: &Path, given: &str) -> CliResult<End> {
    refuse_server("SRC", given)?;
    if is_database_uri(given) {
        let (store, _) = open_database_with(given, cwd, None)?;
        return Ok(End::Database(store));
    }
    let dir = Store::named(&cwd.join(given));
    Ok(End::Dir(Store::open(&dir)?))
}

fn open_target(cwd: &Path, given: &str, destination: Option<&str>) -> CliResult<End> {
    refuse_server("DST", given)?;
    if is_database_uri(given) {
        let (store, _) = open_database_with(given, cwd, destination)?;
        return Ok(End::Database(store));
    }
    if destination.is_some() {
        return Err(usage_error(format!(
            "--artifacts-destination is for a database: the store directory `{given}` keeps its artifacts inside it"
        )));
    }
    let path = cwd.join(given);
    let dir = Store::named(&path);
    if dir.join(DB_FILE).is_file() {
        return Ok(End::Dir(Store::open(&dir)?));
    }
    if path.is_file() {
        return Err(usage_error(format!(
            "DST `{given}` is a file: give a store directory (created when missing), postgresql://… or mysql://…"
        )));
    }
    Ok(End::Dir(Store::create(&dir)?))
}

fn copy_command(ctx: &mut Ctx, args: CopyArgs) -> CliResult<u8> {
    let cwd = ctx.cwd()?;
    let mut src = open_source(&cwd, &args.source)?;
    let mut dst = open_target(&cwd, &args.target, args.artifacts_destination.as_deref())?;
    let (from, to) = (src.place(), dst.place());
    if from.label == to.label {
        return Err(usage_error(format!(
            "SRC and DST are the same store (`{}`): name another DST",
            from.label
        )));
    }
    let bar = if ctx.ui.stderr_tty && !ctx.ui.quiet {
        ProgressBar::new(0)
    } else {
        ProgressBar::hidden()
    };
    let mut phase = None;
    let report = copy(src.tables(), &from, dst.tables(), &to, &mut |step| {
        let (is_rows, done, total) = match step {
            Step::Rows(d, t) => (true, d, t),
            Step::Bytes(d, t) => (false, d, t),
        };
        if phase != Some(is_rows) {
            phase = Some(is_rows);
            bar.set_style(
                ProgressStyle::with_template(if is_rows {
                    "{msg:>9} [{bar:30}] {human_pos}/{human_len} rows {eta}"
                } else {
                    "{msg:>9} [{bar:30}] {bytes}/{total_bytes} of files {eta}"
                })
                .expect("valid template")
                .progress_chars("=> "),
            );
            bar.set_message("Copying");
        }
        bar.set_length(total);
        bar.set_position(done);
    })
    .map_err(rendered)?;
    bar.finish_and_clear();
    if args.output.format == OutputFormat::Json {
        ctx.ui.json(&json(&from, &to, &report))?;
    }
    summary(ctx, &from, &to, &report);
    Ok(0)
}

fn rendered(e: CopyError) -> CliError {
    match e {
        CopyError::Store(s) => s.into(),
        CopyError::Conflict { .. } | CopyError::Files { .. } => failure(e.to_string()),
    }
}

fn json(from: &Place, to: &Place, r: &CopyReport) -> serde_json::Value {
    let tables: serde_json::Map<String, serde_json::Value> = r
        .tables
        .iter()
        .map(|(name, (read, written))| {
            (
                name.to_string(),
                serde_json::json!({"read": read, "written": written}),
            )
        })
        .collect();
    let skipped: serde_json::Map<String, serde_json::Value> = r
        .skipped
        .iter()
        .map(|(name, n)| (name.to_string(), (*n).into()))
        .collect();
    serde_json::json!({
        "from": from.label,
        "to": to.label,
        "tables": tables,
        "skipped": skipped,
        "files": {"copied": r.files, "bytes": r.bytes, "present": r.present},
    })
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn summary(ctx: &Ctx, from: &Place, to: &Place, r: &CopyReport) {
    let read = |t: &str| r.tables.get(t).map_or(0, |t| t.0);
    let whole = format!(
        "{}, {}, {}, {}, {}",
        plural(read("experiments"), "experiment", "experiments"),
        plural(read("runs"), "run", "runs"),
        plural(read("metrics"), "metric point", "metric points"),
        plural(read("model_versions"), "model version", "model versions"),
        plural(r.present + r.files, "file", "files"),
    );
    if r.unchanged() {
        ctx.ui.status(
            "Unchanged",
            &format!(
                "{} holds everything in {} already: {whole}",
                to.label, from.label
            ),
        );
    } else {
        let rows: u64 = r.tables.values().map(|t| t.1).sum();
        ctx.ui.status(
            "Copied",
            &format!(
                "{} to {}: {whole}; {} and {} ({}) written",
                from.label,
                to.label,
                plural(rows, "row", "rows"),
                plural(r.files, "file", "files"),
                bytes(r.bytes),
            ),
        );
    }
    for (table, n) in &r.skipped {
        ctx.ui.status(
            "Skipped",
            &format!(
                "{} of `{table}`: {} keeps no {table}",
                plural(*n, "row", "rows"),
                to.label
            ),
        );
    }
}
