//! Group commit: every request that writes goes to one writer thread, which runs the requests
//! waiting at that moment in one transaction (each in its own savepoint, so a failing request
//! undoes only its own changes) and commits once. A request is answered only after the commit
//! that holds its data, so nothing acknowledged is lost; under load, many requests share one
//! commit instead of taking turns for a transaction each. Batches of metrics alone, the bulk of
//! a training loop's calls, are written together: one statement per table for the group's
//! points instead of two statements and a savepoint per request.

use std::path::PathBuf;
use std::sync::mpsc;

use serde_json::Value;

use super::{ApiError, ApiResult};
use crate::store::{LogBatch, Store};

/// The most requests one transaction holds: a bound on how long the first of them waits.
const MAX_GROUP: usize = 256;

type Work = Box<dyn FnOnce(&mut Store) -> ApiResult<Value> + Send>;
type Reply = tokio::sync::oneshot::Sender<ApiResult<Value>>;

enum Job {
    /// Any write, in a savepoint of its own.
    Any { work: Work, reply: Reply },
    /// A batch of metrics only, written with the group's others.
    Metrics {
        run: String,
        batch: LogBatch,
        reply: Reply,
    },
}

/// The handle on the writer thread of one store; the thread ends when the last handle is
/// dropped.
pub(super) struct Writer {
    jobs: std::sync::Mutex<mpsc::Sender<Job>>,
}

impl Writer {
    pub(super) fn start(root: PathBuf) -> Writer {
        let (tx, rx) = mpsc::channel::<Job>();
        let spawned = std::thread::Builder::new()
            .name("mlf-writer".into())
            .spawn(move || writer_loop(&root, &rx));
        // Without a thread the receiver is gone, and every write answers 500.
        drop(spawned);
        Writer {
            jobs: std::sync::Mutex::new(tx),
        }
    }

    /// Runs `work` in the next group and answers once its group is committed.
    pub(super) async fn write(
        &self,
        work: impl FnOnce(&mut Store) -> ApiResult<Value> + Send + 'static,
    ) -> ApiResult<Value> {
        self.send(|reply| Job::Any {
            work: Box::new(work),
            reply,
        })
        .await
    }

    /// Writes a checked batch of metrics only to `run` in the next group, together with the
    /// group's other such batches; answers `{}` once its group is committed.
    pub(super) async fn log_metrics(&self, run: String, batch: LogBatch) -> ApiResult<Value> {
        self.send(|reply| Job::Metrics { run, batch, reply }).await
    }

    async fn send(&self, job: impl FnOnce(Reply) -> Job) -> ApiResult<Value> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let sent = self
            .jobs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .send(job(reply));
        if sent.is_err() {
            return Err(failed());
        }
        answer.await.unwrap_or_else(|_| Err(failed()))
    }
}

fn failed() -> ApiError {
    ApiError {
        status: 500,
        code: "INTERNAL_ERROR",
        message: "the request failed".into(),
    }
}

fn writer_loop(root: &std::path::Path, rx: &mpsc::Receiver<Job>) {
    let mut store: Option<Store> = None;
    while let Ok(first) = rx.recv() {
        let mut jobs = vec![first];
        while jobs.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        if store.is_none() {
            match Store::open(root) {
                Ok(s) => store = Some(s),
                Err(e) => {
                    let e = ApiError::from(e);
                    for job in jobs {
                        let (Job::Any { reply, .. } | Job::Metrics { reply, .. }) = job;
                        let _ = reply.send(Err(e.clone()));
                    }
                    continue;
                }
            }
        }
        let s = store.as_mut().expect("opened");
        let mut done = Vec::with_capacity(jobs.len());
        let committed = s.group(|s| {
            let mut metrics = Vec::new();
            let mut waiting = Vec::new();
            let mut others = Vec::new();
            for job in jobs {
                match job {
                    Job::Metrics { run, batch, reply } => {
                        metrics.push((run, batch));
                        waiting.push(reply);
                    }
                    Job::Any { work, reply } => others.push((work, reply)),
                }
            }
            if !metrics.is_empty() {
                // Written first: the group's first write needs no savepoint.
                let written = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    s.log_metric_batches(metrics)
                }));
                // After a failed combined write or a panic the group is undone whole; the
                // units below are then refused.
                match written {
                    Ok(Ok(results)) => {
                        for (reply, result) in waiting.into_iter().zip(results) {
                            match result {
                                Ok(()) => done.push((reply, serde_json::json!({}))),
                                Err(e) => {
                                    let _ = reply.send(Err(ApiError::from(e)));
                                }
                            }
                        }
                    }
                    Ok(Err(e)) => {
                        let e = ApiError::from(e);
                        for reply in waiting {
                            let _ = reply.send(Err(e.clone()));
                        }
                    }
                    // The dropped replies answer 500.
                    Err(_) => s.spoil(),
                }
            }
            for (work, reply) in others {
                let result =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| s.unit(work)));
                match result {
                    // A failed request is answered now: its changes are already undone.
                    Ok(Err(e)) => {
                        let _ = reply.send(Err(e));
                    }
                    Ok(Ok(value)) => done.push((reply, value)),
                    // A panic in a request: its savepoint is rolled back; dropping the reply
                    // answers 500.
                    Err(_) => {}
                }
            }
        });
        match committed {
            Ok(()) => {
                for (reply, value) in done {
                    let _ = reply.send(Ok(value));
                }
            }
            Err(e) => {
                // Nothing of the group is stored: every request in it fails. Reopen before the
                // next group, in case the connection itself is at fault.
                let e = ApiError::from(e);
                for (reply, _) in done {
                    let _ = reply.send(Err(e.clone()));
                }
                store = None;
            }
        }
    }
}
