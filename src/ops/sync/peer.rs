//! The other end of a push or pull: another store directory, opened in this process, or an
//! `mlf server`, through its `mlf/sync/…` calls and its artifact proxy.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{Side, SyncError};
use crate::artifacts::Repo;
use crate::protocol::sync::{
    Bundles, DigestsRequest, ExportRequest, MergeReport, ModelBundle, ModelBundles, ModelDigest,
    ModelsRequest, RegistryReport, RunDigest,
};
use crate::remote::{Client, is_remote_uri};
use crate::store::rest::RestStore;
use crate::store::{DB_FILE, Error, STORE_DIR, Store, TrackingStore};

/// Where a remote is.
#[derive(Debug, Clone, PartialEq)]
pub enum Place {
    /// A store directory (`…/.mlf`).
    Store(PathBuf),
    /// An `mlf server`'s URL.
    Server(String),
}

impl Place {
    /// An `http(s)://` URL, or a path (relative to `cwd`, `file://` allowed) to a store
    /// directory or to a directory holding one (`.mlf`).
    pub fn parse(text: &str, cwd: &Path) -> Result<Place, SyncError> {
        if is_remote_uri(text) {
            return Ok(Place::Server(text.trim_end_matches('/').to_string()));
        }
        if text.contains("://") && !text.starts_with("file://") || text.is_empty() {
            return Err(SyncError::NotAPlace(text.to_string()));
        }
        let dir = cwd.join(text.strip_prefix("file://").unwrap_or(text));
        if dir.join(DB_FILE).is_file() {
            return Ok(Place::Store(dir));
        }
        if dir.join(STORE_DIR).join(DB_FILE).is_file() {
            return Ok(Place::Store(dir.join(STORE_DIR)));
        }
        if dir.is_dir() {
            return Err(SyncError::NoStore(dir.display().to_string()));
        }
        Err(SyncError::NotAPlace(text.to_string()))
    }

    /// As written in the settings: the URL, or the store's path.
    pub fn text(&self) -> String {
        match self {
            Place::Store(p) => p.display().to_string(),
            Place::Server(u) => u.clone(),
        }
    }
}

/// An opened other end.
pub enum Peer {
    Store(Box<Store>),
    Server {
        client: Client,
        rest: Box<RestStore>,
        /// The batch being merged by the server while the next one is read here.
        pending: Option<std::thread::JoinHandle<Result<MergeReport, Error>>>,
    },
}

impl Peer {
    /// Opens the other end; a server is asked nothing yet.
    pub fn open(place: &Place) -> Result<Peer, SyncError> {
        match place {
            Place::Store(dir) => Ok(Peer::Store(Box::new(Store::open(dir)?))),
            Place::Server(url) => {
                let client = Client::new(url)?;
                let state = std::env::temp_dir().join(format!("mlf-sync-{}", std::process::id()));
                let rest = RestStore::new(client.clone(), state, true);
                Ok(Peer::Server {
                    client,
                    rest: Box::new(rest),
                    pending: None,
                })
            }
        }
    }

    fn call<T: serde::de::DeserializeOwned>(
        client: &Client,
        endpoint: &str,
        body: &impl serde::Serialize,
    ) -> Result<T, Error> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| Error::Invalid(format!("cannot encode a sync message: {e}")))?;
        client.post_bytes(endpoint, bytes)
    }
}

fn encode(message: &impl serde::Serialize) -> Result<Vec<u8>, Error> {
    serde_json::to_vec(message)
        .map_err(|e| Error::Invalid(format!("cannot encode a sync message: {e}")))
}

/// Sends a batch to be merged. A server that finds it larger than it takes (`--max-body`)
/// gets it again in halves, down to parts of one run's metric histories.
fn send_runs(client: &Client, bundles: Bundles, body: Vec<u8>) -> Result<MergeReport, Error> {
    match client.post_bytes("mlf/sync/runs", body) {
        Err(e) if too_large(&e) => {
            let Some((a, b)) = halves(bundles) else {
                return Err(e);
            };
            let mut report = send_runs(client, a.clone(), encode(&a)?)?;
            report.add(send_runs(client, b.clone(), encode(&b)?)?);
            Ok(report)
        }
        other => other,
    }
}

/// The server refused a body as too large.
fn too_large(e: &Error) -> bool {
    matches!(e, Error::Remote(m) if m.contains("HTTP 413"))
}

/// A batch in two: its runs, or one run's metric series, or one series' points.
fn halves(mut bundles: Bundles) -> Option<(Bundles, Bundles)> {
    if bundles.runs.len() > 1 {
        let rest = bundles.runs.split_off(bundles.runs.len() / 2);
        let other = Bundles {
            experiments: bundles.experiments.clone(),
            runs: rest,
        };
        return Some((bundles, other));
    }
    let run = bundles.runs.first_mut()?;
    let mut second = run.clone();
    if run.metrics.len() > 1 {
        second.metrics = run.metrics.split_off(run.metrics.len() / 2);
    } else {
        let series = run.metrics.first_mut()?;
        let points = series.points();
        if points.len() < 2 {
            return None;
        }
        let (a, b) = points.split_at(points.len() / 2);
        let refill = |s: &mut crate::protocol::sync::Series, part: &[(i64, i64, f64)]| {
            *s = crate::protocol::sync::Series::new(&s.key);
            for (step, ts, v) in part {
                s.push(*step, *ts, *v);
            }
        };
        refill(series, a);
        refill(&mut second.metrics[0], b);
    }
    let other = Bundles {
        experiments: bundles.experiments.clone(),
        runs: vec![second],
    };
    Some((bundles, other))
}

/// The report of the batch being sent, once the server answered (an empty one when none is).
fn wait(
    pending: &mut Option<std::thread::JoinHandle<Result<MergeReport, Error>>>,
) -> Result<MergeReport, Error> {
    match pending.take() {
        None => Ok(MergeReport::default()),
        Some(handle) => handle
            .join()
            .unwrap_or_else(|_| Err(Error::Remote("the upload of a batch failed".into()))),
    }
}

#[derive(Deserialize)]
struct ModelDigests {
    #[serde(default)]
    digests: Vec<ModelDigest>,
}

#[derive(Deserialize)]
struct Digests {
    #[serde(default)]
    digests: Vec<RunDigest>,
}

impl Side for Peer {
    fn digests(&self, req: &DigestsRequest) -> Result<Vec<RunDigest>, Error> {
        match self {
            Peer::Store(s) => s.sync_digests(req),
            Peer::Server { client, .. } => {
                Ok(Peer::call::<Digests>(client, "mlf/sync/digests", req)?.digests)
            }
        }
    }
    fn export(&self, run_ids: &[String]) -> Result<Bundles, Error> {
        match self {
            Peer::Store(s) => s.sync_export(run_ids),
            Peer::Server { client, .. } => Peer::call(
                client,
                "mlf/sync/export",
                &ExportRequest {
                    run_ids: run_ids.to_vec(),
                },
            ),
        }
    }
    fn exports(
        &self,
        batches: Vec<Vec<String>>,
    ) -> Box<dyn Iterator<Item = Result<Bundles, Error>> + '_> {
        let Peer::Server { client, .. } = self else {
            return Box::new(batches.into_iter().map(|ids| self.export(&ids)));
        };
        // The server reads the next batch while this one is merged here.
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let client = client.clone();
        std::thread::spawn(move || {
            for run_ids in batches {
                let answer: Result<Bundles, Error> =
                    Peer::call(&client, "mlf/sync/export", &ExportRequest { run_ids });
                let failed = answer.is_err();
                if tx.send(answer).is_err() || failed {
                    break;
                }
            }
        });
        Box::new(rx.into_iter())
    }
    fn merge(&mut self, bundles: Bundles) -> Result<MergeReport, Error> {
        match self {
            Peer::Store(s) => s.sync_merge(&bundles, false),
            Peer::Server {
                client, pending, ..
            } => {
                // Sent in the background: the server merges this batch while the next is
                // read and encoded here. Answers the report of the batch before.
                let body = encode(&bundles)?;
                let before = wait(pending)?;
                let client = client.clone();
                *pending = Some(std::thread::spawn(move || {
                    send_runs(&client, bundles, body)
                }));
                Ok(before)
            }
        }
    }
    fn flush(&mut self) -> Result<MergeReport, Error> {
        match self {
            Peer::Store(_) => Ok(MergeReport::default()),
            Peer::Server { pending, .. } => wait(pending),
        }
    }
    fn repo(&self, run_id: &str) -> Result<Repo, Error> {
        match self {
            Peer::Store(s) => Side::repo(s.as_ref(), run_id),
            Peer::Server { rest, .. } => {
                let run = rest.run(run_id)?;
                rest.artifacts(&run)
            }
        }
    }
    fn model_digests(&self) -> Result<Vec<ModelDigest>, Error> {
        match self {
            Peer::Store(s) => s.sync_model_digests(),
            Peer::Server { client, .. } => Ok(Peer::call::<ModelDigests>(
                client,
                "mlf/sync/registry/digests",
                &serde_json::json!({}),
            )?
            .digests),
        }
    }
    fn models(&self, names: &[String]) -> Result<Vec<ModelBundle>, Error> {
        match self {
            Peer::Store(s) => s.sync_models(Some(names)),
            Peer::Server { client, .. } => Ok(Peer::call::<ModelBundles>(
                client,
                "mlf/sync/registry/export",
                &ModelsRequest {
                    names: names.to_vec(),
                },
            )?
            .models),
        }
    }
    fn merge_models(&mut self, models: &[ModelBundle]) -> Result<RegistryReport, Error> {
        match self {
            Peer::Store(s) => s.sync_merge_models(models),
            Peer::Server { client, .. } => Peer::call(
                client,
                "mlf/sync/registry/merge",
                &ModelBundles {
                    models: models.to_vec(),
                },
            ),
        }
    }
    fn registry_repo(&self, rel: &str) -> Result<Repo, Error> {
        match self {
            Peer::Store(s) => Side::registry_repo(s.as_ref(), rel),
            Peer::Server { client, .. } => {
                let rel = crate::artifacts::clean_relative(rel)
                    .map_err(|e| Error::Invalid(e.to_string()))?;
                Ok(Repo::Http(crate::artifacts::HttpRepo::new(
                    client.clone(),
                    rel.display().to_string(),
                )))
            }
        }
    }
    fn takes_registry_files(&self) -> bool {
        matches!(self, Peer::Store(_))
    }
}
