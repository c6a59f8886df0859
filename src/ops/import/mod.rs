//! `mlf import mlflow`: bringing an MLflow tracking store into this one with its ids. From an
//! MLflow SQLite database (`sqlite:///…`), read-only, copied by the store in batches
//! (`store/sqlite/mlflow.rs`); artifacts are copied from where the source keeps them
//! (`files.rs`). Everything is copied only when missing, so importing twice changes nothing
//! and an interrupted import resumes.

pub mod files;
pub mod mlruns;
pub mod server;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::store::{BatchCounts, ExperimentMap, RegistryCounts, RunFiles, Store};
use files::{Copied, copy_tree, local_dir};

/// Runs per transaction.
const BATCH: usize = 500;

/// Where to import from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// An MLflow SQLite database file.
    Sqlite(PathBuf),
    /// An MLflow file store directory (`mlruns/`).
    FileStore(PathBuf),
    /// An MLflow tracking server (`http(s)://…`).
    Server(String),
    /// An MLflow database in PostgreSQL (`postgresql://…`, as MLflow's SQLAlchemy URI, with
    /// or without a `+driver`).
    Postgres(String),
}

/// Why an import could not be done.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(
        "`{0}` is not an MLflow store this import reads: give `sqlite:///PATH/mlflow.db`, `postgresql://USER:PASSWORD@HOST:PORT/DB`, an `mlruns` directory or an `http(s)://` server"
    )]
    Unsupported(String),
    #[error(transparent)]
    Read(#[from] mlruns::ReadError),
    #[error("{0}")]
    Remote(String),
    #[error("cannot make a scratch copy of the source: {0}")]
    Scratch(#[source] std::io::Error),
    #[error(transparent)]
    Store(#[from] crate::store::Error),
    #[error("cannot copy the artifacts of {what} from `{from}`: {source}")]
    Copy {
        what: String,
        from: String,
        #[source]
        source: std::io::Error,
    },
}

impl Source {
    /// `sqlite:////abs/path.db` or `sqlite:///rel/path.db` (relative to `cwd`), as MLflow's
    /// (SQLAlchemy's) URIs.
    pub fn parse(text: &str, cwd: &Path) -> Result<Source, ImportError> {
        if let Some(rest) = text.strip_prefix("sqlite:///") {
            return Ok(Source::Sqlite(cwd.join(rest)));
        }
        if text.starts_with("http://") || text.starts_with("https://") {
            return Ok(Source::Server(text.trim_end_matches('/').to_string()));
        }
        // SQLAlchemy names a driver after the dialect (`postgresql+psycopg2://`).
        for scheme in ["postgresql", "postgres"] {
            if let Some(rest) = text.strip_prefix(scheme) {
                let rest = match rest.strip_prefix('+') {
                    Some(r) => r.split_once("://").map(|(_, r)| r),
                    None => rest.strip_prefix("://"),
                };
                if let Some(rest) = rest {
                    return Ok(Source::Postgres(format!("postgresql://{rest}")));
                }
            }
        }
        let dir = cwd.join(text.strip_prefix("file://").unwrap_or(text));
        if !text.contains("://") && dir.is_dir() {
            return Ok(Source::FileStore(dir));
        }
        Err(ImportError::Unsupported(text.to_string()))
    }
}

/// What an import brought in, or would.
#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    pub experiments: Vec<ExperimentMap>,
    pub runs_total: usize,
    pub runs: BatchCounts,
    pub artifacts: Copied,
    pub registry: RegistryCounts,
    /// What was left out, with how many and why.
    pub skipped: Vec<(String, i64, String)>,
}

impl ImportReport {
    /// Nothing was (or would be) added or changed.
    pub fn unchanged(&self) -> bool {
        let r = &self.runs;
        let g = &self.registry;
        self.experiments.iter().all(|e| e.existed)
            && r.runs + r.runs_updated + r.params + r.tags + r.metric_points == 0
            && self.artifacts.files == 0
            && g.models + g.versions + g.aliases + g.tags + g.logged_models == 0
    }
}

/// How far an import is: runs done of the total.
pub type Progress<'a> = &'a mut dyn FnMut(usize, usize);

/// Imports `source` into `store`: the experiments in `only` (names or ids; all when empty).
pub fn import(
    store: &mut Store,
    source: &Source,
    only: &[String],
    dry_run: bool,
    progress: Progress,
) -> Result<ImportReport, ImportError> {
    match source {
        Source::Sqlite(db) => {
            store.attach_mlflow(db)?;
            let base = db.parent().unwrap_or(Path::new(".")).to_path_buf();
            let result = import_attached(store, &base, only, dry_run, progress);
            let _ = store.detach_mlflow();
            result
        }
        Source::Postgres(uri) => {
            let scratch = scratch_dir()?;
            let db = scratch.join("mlflow.db");
            let result = crate::store::copy_mlflow_postgres(uri, &db)
                .map_err(ImportError::from)
                .and_then(|()| {
                    store.attach_mlflow(&db)?;
                    // Relative artifact locations are where MLflow's server ran: here.
                    let base = std::env::current_dir().unwrap_or_default();
                    let result = import_attached(store, &base, only, dry_run, progress);
                    let _ = store.detach_mlflow();
                    result
                });
            let _ = std::fs::remove_dir_all(&scratch);
            result
        }
        Source::FileStore(_) | Source::Server(_) => {
            let scratch = scratch_dir()?;
            let result = through_scratch(store, source, &scratch, only, dry_run, progress);
            let _ = std::fs::remove_dir_all(&scratch);
            result
        }
    }
}

/// A new directory for a scratch copy of the source.
fn scratch_dir() -> Result<PathBuf, ImportError> {
    let scratch = std::env::temp_dir().join(format!(
        "mlf-import-{}-{}",
        std::process::id(),
        crate::tracking::ids::now_ms()
    ));
    std::fs::create_dir_all(&scratch).map_err(ImportError::Scratch)?;
    Ok(scratch)
}

/// Reads a file store or a server into a scratch database below `scratch`, and imports that.
fn through_scratch(
    store: &mut Store,
    source: &Source,
    scratch: &Path,
    only: &[String],
    dry_run: bool,
    progress: Progress,
) -> Result<ImportReport, ImportError> {
    let (data, unreadable) = match source {
        Source::FileStore(dir) => (mlruns::read(dir)?, 0),
        Source::Server(uri) => server::read(uri, scratch, progress)?,
        Source::Sqlite(_) | Source::Postgres(_) => unreachable!("read directly"),
    };
    let db = scratch.join("mlflow.db");
    crate::store::write_mlflow_scratch(&db, &data)?;
    let mut report = import(store, &Source::Sqlite(db), only, dry_run, progress)?;
    if unreadable > 0 {
        report.skipped.push((
            "runs' artifacts".into(),
            unreadable,
            "the server would not list or send them".into(),
        ));
    }
    if matches!(source, Source::Server(_)) {
        report.skipped.push((
            "kinds of entity: logged models and traces".into(),
            2,
            "not read from a server".into(),
        ));
    }
    Ok(report)
}

/// Imports the attached source; relative artifact locations are taken from `base`.
fn import_attached(
    store: &mut Store,
    base: &Path,
    only: &[String],
    dry_run: bool,
    progress: Progress,
) -> Result<ImportReport, ImportError> {
    let base = base.to_path_buf();
    let mut report = ImportReport {
        experiments: store.map_mlflow_experiments(only, dry_run)?,
        ..Default::default()
    };
    let mut batches: Vec<(usize, Vec<String>)> = Vec::new();
    for (i, map) in report.experiments.iter().enumerate() {
        let ids = store.mlflow_run_ids(map.source_id)?;
        report.runs_total += ids.len();
        for chunk in ids.chunks(BATCH) {
            batches.push((i, chunk.to_vec()));
        }
    }
    let mut done = 0;
    progress(0, report.runs_total);
    for (i, ids) in &batches {
        let c = store.import_mlflow_runs(&report.experiments[*i], ids, dry_run)?;
        let r = &mut report.runs;
        r.runs += c.runs;
        r.runs_updated += c.runs_updated;
        r.params += c.params;
        r.tags += c.tags;
        r.metric_points += c.metric_points;
        done += ids.len();
        progress(done, report.runs_total);
    }
    // Artifacts, then the registry (whose versions point at them).
    let runs = store.mlflow_run_files(&report.experiments)?;
    let models = store.mlflow_logged_model_files(&report.experiments)?;
    let mut unreadable = 0i64;
    for f in runs.iter().chain(&models) {
        match local_dir(&f.source, &base) {
            Some(dir) => {
                let copied =
                    copy_tree(&dir, &f.target, dry_run).map_err(|e| ImportError::Copy {
                        what: f.run_id.clone(),
                        from: dir.display().to_string(),
                        source: e,
                    })?;
                report.artifacts.add(copied);
            }
            // A run without an artifact location has no files to copy.
            None if f.source.is_empty() => {}
            None => unreadable += 1,
        }
    }
    if unreadable > 0 {
        report.skipped.push((
            "artifact locations".into(),
            unreadable,
            "not on this machine's file system (give the server's URL to copy them through its proxy)".into(),
        ));
    }
    let locations = version_locations(store, &runs, &models, &base)?;
    report.registry = store.import_mlflow_registry(&report.experiments, &locations, dry_run)?;
    for (table, what, why) in [
        ("trace_info", "GenAI traces", "mlf does not store traces"),
        (
            "inputs",
            "dataset inputs of runs",
            "mlf does not store datasets",
        ),
        (
            "logged_model_metrics",
            "logged model metrics",
            "mlf keeps metrics on runs",
        ),
        (
            "evaluation_datasets",
            "evaluation datasets",
            "mlf does not store datasets",
        ),
        ("scorers", "scorers", "mlf does not run GenAI evaluations"),
        ("webhooks", "webhooks", "mlf has no webhooks"),
    ] {
        let n = store.src_count(table)?;
        if n > 0 {
            report.skipped.push((what.into(), n, why.into()));
        }
    }
    Ok(report)
}

/// (source, storage location) of each version, by (model, version).
type Locations = HashMap<(String, i64), (String, String)>;

/// Each source version's source as this store records it and where its files are here:
/// `runs:/ID/PATH` keeps its source and points into the run's copied artifacts, `models:/m-…`
/// into the logged model's, and a path inside a run's source artifacts becomes `runs:/ID/…`.
fn version_locations(
    store: &Store,
    runs: &[RunFiles],
    models: &[RunFiles],
    base: &Path,
) -> Result<Locations, ImportError> {
    let by_run: HashMap<&str, &RunFiles> = runs.iter().map(|r| (r.run_id.as_str(), r)).collect();
    let by_model: HashMap<&str, &RunFiles> =
        models.iter().map(|m| (m.run_id.as_str(), m)).collect();
    let mut out = HashMap::new();
    for (name, version, source, _) in store.mlflow_versions()? {
        let mut place = |source: String, path: PathBuf| {
            out.insert(
                (name.clone(), version),
                (source, path.display().to_string()),
            );
        };
        if let Some(rest) = source.strip_prefix("runs:/") {
            let (id, path) = rest.split_once('/').unwrap_or((rest, ""));
            if let Some(r) = by_run.get(id) {
                place(source.clone(), r.target.join(path));
                continue;
            }
        }
        if let Some(rest) = source.strip_prefix("models:/") {
            if let Some(m) = by_model.get(rest.trim_end_matches('/')) {
                place(source.clone(), m.target.clone());
                continue;
            }
        }
        if let Some(path) = local_dir(&source, base) {
            let inside = runs.iter().find_map(|r| {
                let dir = local_dir(&r.source, base)?;
                let rel = path.strip_prefix(&dir).ok()?;
                Some((r, rel.to_path_buf()))
            });
            if let Some((r, rel)) = inside {
                let rel_text = rel.display().to_string();
                place(format!("runs:/{}/{rel_text}", r.run_id), r.target.join(rel));
                continue;
            }
            place(source.clone(), path);
        }
    }
    Ok(out)
}
