//! `mlf push` and `mlf pull`: copying runs whole (rows, params, tags, every metric point) and
//! their artifacts between this store and another one, a store directory or an `mlf server`,
//! keeping run ids. Both sides first give a digest of each run (`protocol::sync::RunDigest`);
//! only the runs whose digests differ travel, as bundles, in batches that the receiving
//! store merges one transaction each (`store/sqlite/sync_merge.rs`: params write-once, metric
//! histories joined, tags from the newer copy). Artifacts are copied when a file is missing
//! or has another size. Batches commit on their own, so an interrupted transfer resumes by
//! the same comparison.

mod peer;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub use peer::{Peer, Place};

use crate::artifacts::{CopyItem, Repo};
use crate::protocol::sync::{
    Bundles, DigestsRequest, MergeReport, ModelBundle, ModelDigest, RegistryReport, RunDigest,
};
use crate::store::{Error, Store, TrackingStore};

/// Run ids per digest request.
const DIGEST_CHUNK: usize = 1000;
/// Most runs a batch carries.
const BATCH_RUNS: usize = 500;
/// Most metric points a batch carries (about 20 bytes each as JSON).
const BATCH_POINTS: i64 = 250_000;

/// Why a push or pull could not be done.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(
        "`{0}` is neither an `mlf server` URL (http:// or https://) nor a directory holding an mlf store"
    )]
    NotAPlace(String),
    #[error("no mlf store in `{0}`")]
    NoStore(String),
    #[error(transparent)]
    Setup(#[from] crate::remote::SetupError),
    #[error(transparent)]
    Store(#[from] Error),
    #[error("cannot copy artifact `{path}` of run {run}: {source}")]
    Artifact {
        run: String,
        path: String,
        #[source]
        source: crate::artifacts::Error,
    },
}

/// One end of a transfer: what the other end is asked.
pub trait Side {
    /// The digests of the runs a request names.
    fn digests(&self, req: &DigestsRequest) -> Result<Vec<RunDigest>, Error>;
    /// The bundles of the runs named.
    fn export(&self, run_ids: &[String]) -> Result<Bundles, Error>;
    /// The bundles of each batch in turn; a side may read ahead while the one before is
    /// merged.
    fn exports(
        &self,
        batches: Vec<Vec<String>>,
    ) -> Box<dyn Iterator<Item = Result<Bundles, Error>> + '_> {
        Box::new(batches.into_iter().map(|ids| self.export(&ids)))
    }
    /// Merges bundles in, one transaction. A side may merge in the background and answer
    /// the report of the batch before; [`Side::flush`] answers the last one.
    fn merge(&mut self, bundles: Bundles) -> Result<MergeReport, Error>;
    /// Waits for what is being merged in the background, and answers its report.
    fn flush(&mut self) -> Result<MergeReport, Error> {
        Ok(MergeReport::default())
    }
    /// A run's artifacts.
    fn repo(&self, run_id: &str) -> Result<Repo, Error>;
    /// A digest of each registered model.
    fn model_digests(&self) -> Result<Vec<ModelDigest>, Error>;
    /// The registered models named, whole.
    fn models(&self, names: &[String]) -> Result<Vec<ModelBundle>, Error>;
    /// Merges registered models in, one transaction.
    fn merge_models(&mut self, models: &[ModelBundle]) -> Result<RegistryReport, Error>;
    /// A folder of the registry (`registry/NAME/N/…`: a version's own files).
    fn registry_repo(&self, rel: &str) -> Result<Repo, Error>;
    /// Whether files may be written into this side's registry folder (a server's is
    /// read-only through its proxy).
    fn takes_registry_files(&self) -> bool {
        true
    }
}

impl Side for Store {
    fn digests(&self, req: &DigestsRequest) -> Result<Vec<RunDigest>, Error> {
        self.sync_digests(req)
    }
    fn export(&self, run_ids: &[String]) -> Result<Bundles, Error> {
        self.sync_export(run_ids)
    }
    fn merge(&mut self, bundles: Bundles) -> Result<MergeReport, Error> {
        self.sync_merge(&bundles, false)
    }
    fn repo(&self, run_id: &str) -> Result<Repo, Error> {
        let run = self.run(run_id)?;
        self.artifacts(&run)
    }
    fn model_digests(&self) -> Result<Vec<ModelDigest>, Error> {
        self.sync_model_digests()
    }
    fn models(&self, names: &[String]) -> Result<Vec<ModelBundle>, Error> {
        self.sync_models(Some(names))
    }
    fn merge_models(&mut self, models: &[ModelBundle]) -> Result<RegistryReport, Error> {
        self.sync_merge_models(models)
    }
    fn registry_repo(&self, rel: &str) -> Result<Repo, Error> {
        let rel =
            crate::artifacts::clean_relative(rel).map_err(|e| Error::Invalid(e.to_string()))?;
        Ok(Repo::Local(crate::artifacts::LocalRepo::new(
            self.root().join(rel),
        )))
    }
}

/// What to transfer.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Only the runs of these experiments (by name; all when empty).
    pub experiments: Vec<String>,
    /// Compare and count, change nothing.
    pub dry_run: bool,
}

/// What a push or pull did (or would do).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct SyncReport {
    /// Runs on the sending side that were compared.
    pub runs_compared: usize,
    /// Runs the receiving side lacked.
    pub runs_new: usize,
    /// Runs both sides had, with differences.
    pub runs_changed: usize,
    /// What the receiving side changed (nothing on a dry run).
    pub merged: MergeReport,
    /// Artifact files copied (or that would be) and their bytes.
    pub files: usize,
    pub bytes: u64,
    /// Registered models that differ (and were sent, unless on a dry run).
    pub models_changed: usize,
    /// What the receiving side's registry changed.
    pub registry: RegistryReport,
    /// Versions left out, as `NAME vN`: their files are in the registry folder, which a
    /// server does not take.
    pub versions_skipped: Vec<String>,
}

impl SyncReport {
    /// Nothing was (or would be) sent.
    pub fn up_to_date(&self) -> bool {
        self.runs_new + self.runs_changed + self.models_changed == 0 && self.files == 0
    }
}

/// How far a transfer is: runs done of those to send.
pub type Progress<'a> = &'a mut dyn FnMut(usize, usize);

/// The two digests differ in what the rows hold (artifacts aside).
fn rows_differ(a: &RunDigest, b: &RunDigest) -> bool {
    let strip = |d: &RunDigest| RunDigest {
        files: 0,
        bytes: 0,
        ..d.clone()
    };
    strip(a) != strip(b)
}

/// Copies what `from` has and `to` lacks or holds otherwise.
pub fn transfer(
    from: &mut dyn Side,
    to: &mut dyn Side,
    opts: &Options,
    progress: Progress,
) -> Result<SyncReport, SyncError> {
    let ours = from.digests(&DigestsRequest {
        run_ids: None,
        experiments: opts.experiments.clone(),
    })?;
    let mut theirs: HashMap<String, RunDigest> = HashMap::new();
    for chunk in ours.chunks(DIGEST_CHUNK) {
        let ids = chunk.iter().map(|d| d.run_id.clone()).collect();
        for d in to.digests(&DigestsRequest {
            run_ids: Some(ids),
            experiments: Vec::new(),
        })? {
            theirs.insert(d.run_id.clone(), d);
        }
    }
    let mut report = SyncReport {
        runs_compared: ours.len(),
        ..Default::default()
    };
    let mut send: Vec<&RunDigest> = Vec::new();
    let mut files: Vec<&RunDigest> = Vec::new();
    for d in &ours {
        let other = theirs.get(&d.run_id);
        match other {
            None => {
                report.runs_new += 1;
                send.push(d);
            }
            Some(t) if rows_differ(d, t) => {
                report.runs_changed += 1;
                send.push(d);
            }
            Some(_) => {}
        }
        let same_files = other.is_some_and(|t| (t.files, t.bytes) == (d.files, d.bytes));
        if d.files > 0 && !same_files {
            files.push(d);
        }
    }
    // Rows, in batches.
    progress(0, send.len());
    if !opts.dry_run {
        let mut batches: Vec<Vec<String>> = Vec::new();
        let mut start = 0;
        while start < send.len() {
            let mut end = start;
            let mut points = 0;
            while end < send.len()
                && end - start < BATCH_RUNS
                && (end == start || points + send[end].metric_points <= BATCH_POINTS)
            {
                points += send[end].metric_points;
                end += 1;
            }
            batches.push(send[start..end].iter().map(|d| d.run_id.clone()).collect());
            start = end;
        }
        let mut done = 0;
        for bundles in from.exports(batches) {
            let bundles = bundles?;
            done += bundles.runs.len();
            report.merged.add(to.merge(bundles)?);
            progress(done, send.len());
        }
        report.merged.add(to.flush()?);
    }
    // Artifacts.
    for d in files {
        let source = from.repo(&d.run_id)?;
        let wanted = source
            .list(Path::new(""), true)
            .map_err(|e| artifact_error(d, "", e))?;
        let have: HashMap<String, Option<u64>> = if opts.dry_run && !theirs.contains_key(&d.run_id)
        {
            HashMap::new()
        } else {
            let target = to.repo(&d.run_id)?;
            target
                .list(Path::new(""), true)
                .map_err(|e| artifact_error(d, "", e))?
                .into_iter()
                .filter(|f| !f.is_dir)
                .map(|f| (f.path, f.file_size))
                .collect()
        };
        let missing: Vec<_> = wanted
            .into_iter()
            .filter(|f| !f.is_dir && have.get(&f.path) != Some(&f.file_size))
            .collect();
        if missing.is_empty() {
            continue;
        }
        let target = if opts.dry_run {
            None
        } else {
            Some(to.repo(&d.run_id)?)
        };
        for f in missing {
            let size = f.file_size.unwrap_or(0);
            if let Some(target) = &target {
                copy_file(&source, target, &f.path, size)
                    .map_err(|e| artifact_error(d, &f.path, e))?;
            }
            report.files += 1;
            report.bytes += size;
        }
    }
    // The registry, whole (only when every experiment goes: its versions point at runs).
    if opts.experiments.is_empty() {
        registry(from, to, opts, &mut report)?;
    }
    Ok(report)
}

/// Sends the registered models whose digests differ, and the files of the versions that
/// arrive with their own.
fn registry(
    from: &mut dyn Side,
    to: &mut dyn Side,
    opts: &Options,
    report: &mut SyncReport,
) -> Result<(), SyncError> {
    let theirs: HashMap<String, String> = to
        .model_digests()?
        .into_iter()
        .map(|d| (d.name, d.hash))
        .collect();
    let ours = from.model_digests()?;
    // A server takes no files into its registry folder: versions with their own files stay
    // here, and the models are compared without them.
    let models: Option<Vec<ModelBundle>> = if to.takes_registry_files() {
        None
    } else {
        let names: Vec<String> = ours.iter().map(|d| d.name.clone()).collect();
        let mut models = from.models(&names)?;
        for m in &mut models {
            let before: Vec<i64> = m.versions.iter().map(|v| v.version).collect();
            m.versions.retain(|v| v.registry_files().is_none());
            for v in before {
                if !m.versions.iter().any(|k| k.version == v) {
                    report.versions_skipped.push(format!("{} v{v}", m.name));
                    m.aliases.retain(|(_, a)| *a != v);
                }
            }
        }
        Some(models)
    };
    let differs = |name: &str, hash: &str| theirs.get(name).map(String::as_str) != Some(hash);
    let models: Vec<ModelBundle> = match models {
        Some(models) => models
            .into_iter()
            .filter(|m| differs(&m.name, &m.digest()))
            .collect(),
        None => {
            let names: Vec<String> = ours
                .into_iter()
                .filter(|d| differs(&d.name, &d.hash))
                .map(|d| d.name)
                .collect();
            if names.is_empty() {
                Vec::new()
            } else {
                from.models(&names)?
            }
        }
    };
    report.models_changed = models.len();
    if models.is_empty() || opts.dry_run {
        return Ok(());
    }
    let merged = to.merge_models(&models)?;
    for rel in &merged.files {
        let source = from.registry_repo(rel)?;
        let target = to.registry_repo(rel)?;
        let files = source
            .list(Path::new(""), true)
            .map_err(|e| registry_error(rel, "", e))?;
        for f in files.into_iter().filter(|f| !f.is_dir) {
            let size = f.file_size.unwrap_or(0);
            copy_file(&source, &target, &f.path, size)
                .map_err(|e| registry_error(rel, &f.path, e))?;
            report.files += 1;
            report.bytes += size;
        }
    }
    report.registry = merged;
    Ok(())
}

fn registry_error(dir: &str, path: &str, source: crate::artifacts::Error) -> SyncError {
    SyncError::Artifact {
        run: format!("registry folder {dir}"),
        path: path.to_string(),
        source,
    }
}

fn artifact_error(d: &RunDigest, path: &str, source: crate::artifacts::Error) -> SyncError {
    SyncError::Artifact {
        run: d.run_id.clone(),
        path: path.to_string(),
        source,
    }
}

/// Copies one artifact file (run-relative `rel`) from one run's repository to another's: one
/// of the two is local.
fn copy_file(
    source: &Repo,
    target: &Repo,
    rel: &str,
    size: u64,
) -> Result<(), crate::artifacts::Error> {
    let rel: PathBuf = crate::artifacts::clean_relative(rel)?;
    match (source.local_root(), target.local_root()) {
        (Some(root), _) => target.put(
            &CopyItem {
                from: root.join(&rel),
                to: rel,
                size,
            },
            &mut |_| {},
        ),
        (None, Some(root)) => source.get(
            &CopyItem {
                from: rel.clone(),
                to: root.join(&rel),
                size,
            },
            &mut |_| {},
        ),
        (None, None) => Err(crate::artifacts::Error::Invalid(
            "one side of a copy must be local".into(),
        )),
    }
}
