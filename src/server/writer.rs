//! Group commit: every request that writes goes to one writer thread, which runs the requests
//! waiting at that moment in one transaction (each in its own savepoint, so a failing request
//! undoes only its own changes) and commits once. A request is answered only after the commit
//! that holds its data, so nothing acknowledged is lost; under load, many requests share one
//! commit instead of taking turns for a transaction each.

use std::path::PathBuf;
use std::sync::mpsc;

use serde_json::Value;

use super::{ApiError, ApiResult};
use crate::store::Store;

/// The most requests one transaction holds: a bound on how long the first of them waits.
const MAX_GROUP: usize = 256;

type Work = Box<dyn FnOnce(&mut Store) -> ApiResult<Value> + Send>;

struct Job {
    work: Work,
    reply: tokio::sync::oneshot::Sender<ApiResult<Value>>,
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
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job = Job {
            work: Box::new(work),
            reply,
        };
        let sent = self
            .jobs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .send(job);
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
                        let _ = job.reply.send(Err(e.clone()));
                    }
                    continue;
                }
            }
        }
        let s = store.as_mut().expect("opened");
        let mut done = Vec::with_capacity(jobs.len());
        let committed = s.group(|s| {
            for job in jobs {
                let work = job.work;
                let result =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| s.unit(work)));
                match result {
                    // A failed request is answered now: its changes are already undone.
                    Ok(Err(e)) => {
                        let _ = job.reply.send(Err(e));
                    }
                    Ok(Ok(value)) => done.push((job.reply, value)),
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
