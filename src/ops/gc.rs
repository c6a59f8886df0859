//! Garbage collection of a local store: the rows of soft-deleted runs and experiments with
//! their artifacts, artifact directories no run owns, and the files of deleted registry
//! versions; then the database is compacted. A dry run measures the same and changes nothing.

use std::path::{Path, PathBuf};

use crate::store::{GcPlan, Result, Store};

/// What to collect.
#[derive(Debug, Clone, Default)]
pub struct GcOptions {
    /// Only what was deleted at or before this time (ms); everything deleted when `None`.
    pub cutoff: Option<i64>,
    /// Only these experiments (names or ids); every one when empty (then orphans and registry
    /// files are collected too).
    pub experiments: Vec<String>,
    pub dry_run: bool,
}

/// One thing removed (or that would be), with the bytes of its files.
#[derive(Debug, Clone)]
pub struct Item {
    /// What it is, for the listing: `run ID`, `experiment NAME (ID)`, a path.
    pub what: String,
    pub bytes: u64,
}

/// What a collection removed, or would remove.
#[derive(Debug, Clone, Default)]
pub struct GcReport {
    pub runs: Vec<Item>,
    pub experiments: Vec<Item>,
    /// Artifact directories of runs the store does not know.
    pub orphans: Vec<Item>,
    /// Files of deleted registry versions (or of models gone).
    pub versions: Vec<Item>,
    /// The database's size before and after compacting (equal in a dry run).
    pub database_before: u64,
    pub database_after: u64,
}

impl GcReport {
    /// Bytes of files removed plus what the database shrank by.
    pub fn bytes(&self) -> u64 {
        let files: u64 = [&self.runs, &self.experiments, &self.orphans, &self.versions]
            .iter()
            .flat_map(|l| l.iter())
            .map(|i| i.bytes)
            .sum();
        files + self.database_before.saturating_sub(self.database_after)
    }
}

/// The total size of the files below `path` (0 when it does not exist).
pub fn dir_bytes(path: &Path) -> u64 {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return 0;
    };
    if !meta.is_dir() {
        return meta.len();
    }
    std::fs::read_dir(path)
        .map(|entries| entries.flatten().map(|e| dir_bytes(&e.path())).sum())
        .unwrap_or(0)
}

/// The directory a run's artifacts live in as a whole: `<location>/<run id>` when its
/// artifact directory is `<location>/<run id>/artifacts`, else that directory.
fn run_dir(artifact_dir: &Path, run_id: &str) -> PathBuf {
    match artifact_dir.parent() {
        Some(parent)
            if artifact_dir.file_name().is_some_and(|n| n == "artifacts")
                && parent.file_name().is_some_and(|n| n == run_id) =>
        {
            parent.to_path_buf()
        }
        _ => artifact_dir.to_path_buf(),
    }
}

fn is_run_id(name: &str) -> bool {
    name.len() == 32 && name.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Run directories below the store's artifact root whose run the store does not know.
fn orphans(store: &Store, plan: &GcPlan) -> Result<Vec<PathBuf>> {
    let runs = store.all_run_ids()?;
    let mut out = Vec::new();
    let Ok(exps) = std::fs::read_dir(store.artifact_root()) else {
        return Ok(out);
    };
    for exp in exps.flatten() {
        let name = exp.file_name().to_string_lossy().into_owned();
        if !name.bytes().all(|b| b.is_ascii_digit()) || !exp.path().is_dir() {
            continue;
        }
        for run in std::fs::read_dir(exp.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let id = run.file_name().to_string_lossy().into_owned();
            if is_run_id(&id) && !runs.contains(&id) && !plan.runs.iter().any(|r| r.run_id == id) {
                out.push(run.path());
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Directories below `<store>/registry/` of versions that are deleted or not in the store.
fn dead_version_files(store: &Store) -> Result<Vec<PathBuf>> {
    let rows = store.version_rows()?;
    let mut out = Vec::new();
    let Ok(models) = std::fs::read_dir(store.root().join("registry")) else {
        return Ok(out);
    };
    for model in models.flatten() {
        let name = model.file_name().to_string_lossy().into_owned();
        if !model.path().is_dir() {
            continue;
        }
        for v in std::fs::read_dir(model.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let Ok(version) = v.file_name().to_string_lossy().parse::<i64>() else {
                continue;
            };
            let live = rows
                .iter()
                .any(|(n, num, deleted)| *n == name && *num == version && !deleted);
            if !live {
                out.push(v.path());
            }
        }
    }
    out.sort();
    Ok(out)
}

fn remove(path: &Path) {
    // The rows are gone; a file that cannot be removed only costs disk space.
    let _ = if path.is_dir() {
        std::fs::remove_dir_all(path)
    } else {
        std::fs::remove_file(path)
    };
}

/// Collects (or, with `dry_run`, measures) what `options` selects.
pub fn collect(store: &mut Store, options: &GcOptions) -> Result<GcReport> {
    let plan = store.gc_plan(options.cutoff, &options.experiments)?;
    let everything = options.experiments.is_empty();
    let orphan_dirs = if everything {
        orphans(store, &plan)?
    } else {
        Vec::new()
    };
    let version_dirs = if everything {
        dead_version_files(store)?
    } else {
        Vec::new()
    };
    let mut report = GcReport {
        database_before: store.database_bytes(),
        ..Default::default()
    };
    let done = if options.dry_run {
        plan
    } else {
        store.purge(&plan)?
    };
    for run in &done.runs {
        let dir = run_dir(&run.artifact_dir, &run.run_id);
        report.runs.push(Item {
            what: format!("run {} (experiment {})", run.run_id, run.experiment_id),
            bytes: dir_bytes(&dir),
        });
        if !options.dry_run {
            remove(&dir);
        }
    }
    for exp in &done.experiments {
        // Its runs' files are counted with the runs.
        let runs: u64 = report
            .runs
            .iter()
            .zip(&done.runs)
            .filter(|(_, r)| r.experiment_id == exp.experiment_id)
            .map(|(i, _)| i.bytes)
            .sum();
        let left = if options.dry_run {
            dir_bytes(&exp.artifact_dir).saturating_sub(runs)
        } else {
            dir_bytes(&exp.artifact_dir)
        };
        report.experiments.push(Item {
            what: format!("experiment {} ({})", exp.name, exp.experiment_id),
            bytes: left,
        });
        // An experiment's own directory goes only when nothing else is left in it.
        if !options.dry_run {
            let _ = std::fs::remove_dir(&exp.artifact_dir);
        }
    }
    for (dirs, list) in [
        (&orphan_dirs, &mut report.orphans),
        (&version_dirs, &mut report.versions),
    ] {
        for dir in dirs {
            list.push(Item {
                what: dir.display().to_string(),
                bytes: dir_bytes(dir),
            });
            if !options.dry_run {
                remove(dir);
            }
        }
    }
    if !options.dry_run {
        // Registry model directories left empty go too.
        if let Ok(models) = std::fs::read_dir(store.root().join("registry")) {
            for m in models.flatten() {
                let _ = std::fs::remove_dir(m.path());
            }
        }
        store.compact()?;
    }
    report.database_after = if options.dry_run {
        report.database_before
    } else {
        store.database_bytes()
    };
    Ok(report)
}
