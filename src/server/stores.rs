//! The store a server runs over, and how a request reaches it. A store directory (SQLite):
//! reads on a blocking thread with that thread's own connection, writes through the
//! group-commit writer (`writer.rs`). A database (PostgreSQL or MySQL): every call on a
//! blocking thread with a connection from a small pool, each store call its own transaction
//! (retried on serialization failures and deadlocks), the database ordering concurrent
//! writers — so several servers may share it.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde_json::Value;

use super::{ApiError, ApiResult, with_store, writer};
use crate::store::database::Database;
use crate::store::postgres::FastLog;
use crate::store::{Proxied, ServerStore};

/// Most connections a server holds to a database, and so most calls it runs on it
/// at once.
const PG_CONNECTIONS: usize = 16;

/// How long a pooled connection may sit unused before it is checked with a query first.
const IDLE_CHECK: std::time::Duration = std::time::Duration::from_secs(60);

/// Writers of metric batches on a database (each with a connection of its own, beside the
/// pool). One: batches arriving while it writes wait for its next statement, and writers of
/// one run's latest values would only queue on each other's row locks (measured: two per
/// server tripled the p99 of two replicas).
const PG_METRIC_WRITERS: usize = 1;

/// Where a server's store is.
#[derive(Debug, Clone)]
pub enum Source {
    /// A store directory.
    Dir(PathBuf),
    /// A database (PostgreSQL or MySQL), with the artifact root of its runs' files.
    Database {
        uri: String,
        artifact_root: PathBuf,
        /// Truncate over-long param and tag values (MLflow's default) instead of refusing.
        truncate: bool,
    },
}

impl Source {
    /// The store directory, when it is one.
    pub fn dir(&self) -> Option<&Path> {
        match self {
            Source::Dir(d) => Some(d),
            Source::Database { .. } => None,
        }
    }

    /// The folders the artifact proxy serves.
    pub fn proxied(&self) -> Proxied {
        match self {
            Source::Dir(d) => Proxied::store_dir(d),
            Source::Database { artifact_root, .. } => Proxied::artifact_root(artifact_root),
        }
    }
}

/// What keeps a server from serving, as `/health` tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Unhealthy {
    /// The store does not answer a query.
    Database,
    /// The artifact folder is not there and cannot be made.
    Artifacts,
    /// The artifact bucket does not answer, or refuses the server's keys.
    Bucket,
}

impl std::fmt::Display for Unhealthy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Unhealthy::Database => "the database does not answer",
            Unhealthy::Artifacts => "the artifact folder cannot be made",
            Unhealthy::Bucket => "the artifact bucket does not answer",
        })
    }
}

/// How requests reach the store.
pub(super) enum Stores {
    Dir {
        root: PathBuf,
        writer: writer::Writer,
    },
    Database(Pool),
}

impl Stores {
    pub(super) fn start(source: &Source) -> Stores {
        match source {
            Source::Dir(root) => Stores::Dir {
                root: root.clone(),
                writer: writer::Writer::start(root.clone()),
            },
            Source::Database {
                uri,
                artifact_root,
                truncate,
            } => Stores::Database(Pool {
                uri: uri.clone(),
                artifact_root: artifact_root.clone(),
                truncate: *truncate,
                idle: Mutex::new(Vec::new()),
                permits: tokio::sync::Semaphore::new(PG_CONNECTIONS),
                queue: std::sync::Arc::new(crate::store::postgres::CommitQueue::default()),
                fast: std::sync::OnceLock::new(),
            }),
        }
    }

    /// Whether the store answers, and the folder of its artifacts is there: `Err` says which is
    /// not, in one line that names no host or path (`/health` answers anyone).
    pub(super) async fn health(&self) -> Result<(), Unhealthy> {
        let artifacts = self
            .read(|s| {
                s.ping()?;
                Ok(s.default_artifact_root())
            })
            .await
            .map_err(|_| Unhealthy::Database)?;
        let shown = artifacts.display().to_string();
        if crate::store::is_remote(&shown) {
            return match super::bucket::healthy(&shown).await {
                true => Ok(()),
                false => Err(Unhealthy::Bucket),
            };
        }
        // Made on the first upload anyway; what cannot be made cannot take artifacts.
        if std::fs::create_dir_all(&artifacts).is_err() || !artifacts.is_dir() {
            return Err(Unhealthy::Artifacts);
        }
        Ok(())
    }

    /// Runs a call that only reads.
    pub(super) async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut dyn ServerStore) -> ApiResult<T> + Send + 'static,
    ) -> ApiResult<T> {
        match self {
            Stores::Dir { root, .. } => {
                let root = root.clone();
                tokio::task::spawn_blocking(move || with_store(&root, |s| f(s)))
                    .await
                    .unwrap_or_else(|_| Err(ApiError::internal("the request failed")))
            }
            Stores::Database(pool) => pool.run(f).await,
        }
    }

    /// The writers of metric batches, on a database (started on first use, on this runtime).
    pub(super) fn fast_log(&self) -> Option<&FastLog> {
        match self {
            Stores::Dir { .. } => None,
            Stores::Database(pool) if crate::store::postgres::is_postgres_uri(&pool.uri) => Some(
                pool.fast
                    .get_or_init(|| FastLog::start(&pool.uri, PG_METRIC_WRITERS, pool.truncate)),
            ),
            Stores::Database(_) => None,
        }
    }

    /// The group-commit writer of a store directory, which also takes batches of metrics
    /// alone to write them together (`None` on a database).
    pub(super) fn dir_writer(&self) -> Option<&writer::Writer> {
        match self {
            Stores::Dir { writer, .. } => Some(writer),
            Stores::Database(_) => None,
        }
    }

    /// Runs a call that may change the store; answers once its changes are committed.
    pub(super) async fn write(
        &self,
        f: impl FnOnce(&mut dyn ServerStore) -> ApiResult<Value> + Send + 'static,
    ) -> ApiResult<Value> {
        match self {
            Stores::Dir { writer, .. } => writer.write(move |s| f(s)).await,
            Stores::Database(pool) => pool.run(f).await,
        }
    }
}

/// Connections to a database, opened on demand, at most `PG_CONNECTIONS` in use.
pub(super) struct Pool {
    uri: String,
    artifact_root: PathBuf,
    truncate: bool,
    /// Connections not in use, with when each was last used.
    idle: Mutex<Vec<(Box<dyn Database>, std::time::Instant)>>,
    permits: tokio::sync::Semaphore,
    /// Log batches of all the pool's connections are committed in groups (PostgreSQL).
    queue: std::sync::Arc<crate::store::postgres::CommitQueue>,
    /// Metric batches, written on the server's runtime.
    fast: std::sync::OnceLock<FastLog>,
}

impl Pool {
    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut dyn ServerStore) -> ApiResult<T> + Send + 'static,
    ) -> ApiResult<T> {
        let Ok(_permit) = self.permits.acquire().await else {
            return Err(ApiError::internal("the server is stopping"));
        };
        let idle = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let (uri, root, truncate) = (self.uri.clone(), self.artifact_root.clone(), self.truncate);
        let queue = self.queue.clone();
        let done = tokio::task::spawn_blocking(move || {
            // A connection idle for long may have been closed by the database (MySQL's
            // wait_timeout) or a firewall meanwhile: one query tells, before a call fails on it.
            let idle = idle.and_then(|(s, since)| {
                (since.elapsed() < IDLE_CHECK || s.ping().is_ok()).then_some(s)
            });
            let mut store = match idle {
                Some(s) => s,
                None => {
                    // While the database cannot be reached, calls answer 503 so that clients
                    // try again.
                    let mut s =
                        crate::store::database::open(&uri, &root).map_err(|e| match e.plain() {
                            crate::store::Error::Remote(m) => ApiError {
                                status: 503,
                                code: "TEMPORARILY_UNAVAILABLE",
                                message: m.clone(),
                            },
                            _ => e.into(),
                        })?;
                    s.set_truncate(truncate);
                    if let Some(pg) = s.as_postgres() {
                        pg.commit_queue = Some(queue);
                    }
                    s
                }
            };
            let result = f(store.as_mut());
            // A connection the database closed, or one a call found gone (503), is dropped,
            // here: closing a client blocks on its own runtime, which an async task may not.
            // The next call opens another.
            let lost = matches!(&result, Err(e) if e.status == 503);
            let keep = (!store.is_closed() && !lost).then_some(store);
            Ok::<_, ApiError>((keep, result))
        })
        .await;
        match done {
            Ok(Ok((store, result))) => {
                if let Some(store) = store {
                    self.idle
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push((store, std::time::Instant::now()));
                }
                result
            }
            Ok(Err(e)) => Err(e),
            Err(_) => Err(ApiError::internal("the request failed")),
        }
    }
}
