//! Log batches of metrics alone, as a server receives them, written on the server's own runtime
//! without a blocking thread: the requests' batches go to a queue, writer tasks (each with its
//! own connection) take every batch waiting, look their runs up in one query and
//! write every point and latest value in one statement, then answer each request. A request is
//! answered only once its points are stored. Batches with params or tags, or metrics of logged
//! models, take the ordinary path (`commit_queue.rs`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Mutex, mpsc, oneshot};
use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, NoTls, Statement};

use super::logging::{WRITE_METRICS, metric_columns, write_params};
use super::runs::deleted_run;
use crate::store::{Error, LogBatch, LogOutcome, Missing, Result};
use crate::tracking::LifecycleStage;

/// The most batches one statement takes.
const MAX_GROUP: usize = 256;
/// Tries of a group the database refused for a deadlock or a serialization failure.
const TRIES: u32 = 10;

const LOOKUP: &str = "SELECT run_uuid, id, lifecycle_stage FROM runs WHERE run_uuid = ANY($1)";

struct Job {
    uuid: String,
    batch: LogBatch,
    answer: oneshot::Sender<Result<()>>,
}

/// The queue of a server's metric batches and its writers.
pub struct FastLog {
    jobs: mpsc::UnboundedSender<Job>,
    truncate: bool,
}

impl FastLog {
    /// Starts `writers` writer tasks on the current runtime, connecting to `uri` when the
    /// first batch comes.
    pub fn start(uri: &str, writers: usize, truncate: bool) -> FastLog {
        let (jobs, queue) = mpsc::unbounded_channel();
        let queue = Arc::new(Mutex::new(queue));
        for _ in 0..writers.max(1) {
            tokio::spawn(writer(uri.to_string(), queue.clone()));
        }
        FastLog { jobs, truncate }
    }

    /// Whether a batch goes this way: metrics alone.
    pub fn takes(batch: &LogBatch) -> bool {
        batch.params.is_empty() && batch.tags.is_empty() && !batch.metrics.is_empty()
    }

    /// Validates a batch of metrics, queues it and answers once it is stored.
    pub async fn log(&self, uuid: &str, batch: LogBatch) -> Result<LogOutcome> {
        let (batch, outcome) = batch.validated(self.truncate)?;
        let (answer, answered) = oneshot::channel();
        let stopping = || Error::Unavailable("the server is stopping".into());
        self.jobs
            .send(Job {
                uuid: uuid.to_string(),
                batch,
                answer,
            })
            .map_err(|_| stopping())?;
        answered.await.map_err(|_| stopping())??;
        Ok(outcome)
    }
}

/// A writer's connection and its prepared statements.
struct Conn {
    client: Client,
    lookup: Statement,
    write: Statement,
}

async fn connect(uri: &str) -> Result<Conn> {
    let mut config: tokio_postgres::Config = uri
        .parse()
        .map_err(|e| Error::Invalid(format!("not a PostgreSQL URI: {e}")))?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(Duration::from_secs(10));
    }
    let (client, connection) = config.connect(NoTls).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    let lookup = client.prepare(LOOKUP).await?;
    let write = client.prepare(WRITE_METRICS).await?;
    Ok(Conn {
        client,
        lookup,
        write,
    })
}

async fn writer(uri: String, queue: Arc<Mutex<mpsc::UnboundedReceiver<Job>>>) {
    let mut conn: Option<Conn> = None;
    loop {
        let mut group = Vec::new();
        {
            let mut queue = queue.lock().await;
            match queue.recv().await {
                Some(job) => group.push(job),
                None => return,
            }
            while group.len() < MAX_GROUP {
                match queue.try_recv() {
                    Ok(job) => group.push(job),
                    Err(_) => break,
                }
            }
        }
        if conn.as_ref().is_none_or(|c| c.client.is_closed()) {
            conn = match connect(&uri).await {
                Ok(c) => Some(c),
                Err(e) => {
                    let failed = Failed::of(e);
                    for job in group {
                        let _ = job.answer.send(Err(failed.error()));
                    }
                    continue;
                }
            };
        }
        let Some(c) = conn.as_ref() else { continue };
        write_group(c, group).await;
    }
}

/// Looks the runs up, answers the batches whose run is missing or deleted, writes the others'
/// points in one statement and answers them.
async fn write_group(c: &Conn, group: Vec<Job>) {
    let uuids: Vec<&str> = group.iter().map(|j| j.uuid.as_str()).collect();
    let runs = match c.client.query(&c.lookup, &[&uuids]).await {
        Ok(rows) => rows,
        Err(e) => {
            let failed = Failed::of(e.into());
            for job in group {
                let _ = job.answer.send(Err(failed.error()));
            }
            return;
        }
    };
    let keys: HashMap<String, (i64, LifecycleStage)> = runs
        .iter()
        .map(|r| {
            (
                r.get(0),
                (r.get(1), LifecycleStage::parse(r.get::<_, &str>(2))),
            )
        })
        .collect();
    let mut ready = Vec::with_capacity(group.len());
    for job in group {
        match keys.get(&job.uuid) {
            None => {
                let missing = Error::NotFound(Missing::Run(job.uuid.clone()));
                let _ = job.answer.send(Err(missing));
            }
            Some((_, LifecycleStage::Deleted)) => {
                let _ = job.answer.send(Err(deleted_run(&job.uuid)));
            }
            Some(&(pk, _)) => ready.push((pk, job)),
        }
    }
    let batches: Vec<(i64, &LogBatch)> = ready.iter().map(|(pk, j)| (*pk, &j.batch)).collect();
    let mut written: Result<()> = Ok(());
    if let Some((points, last)) = metric_columns(&batches) {
        for attempt in 1..=TRIES {
            let done = c
                .client
                .execute(&c.write, &write_params(&points, &last))
                .await;
            match done {
                Err(e)
                    if attempt < TRIES
                        && e.code().is_some_and(|c| {
                            *c == SqlState::T_R_DEADLOCK_DETECTED
                                || *c == SqlState::T_R_SERIALIZATION_FAILURE
                        }) =>
                {
                    tokio::time::sleep(Duration::from_millis(5 * u64::from(attempt))).await;
                }
                Err(e) => {
                    written = Err(e.into());
                    break;
                }
                Ok(_) => break,
            }
        }
    }
    let failed = written.err().map(Failed::of);
    for (_, job) in ready {
        let answer = match &failed {
            None => Ok(()),
            Some(f) => Err(f.error()),
        };
        let _ = job.answer.send(answer);
    }
}

/// A failure shared by the batches of a group: the database gone (503, try again) or another
/// fault of the database.
struct Failed {
    unavailable: bool,
    message: String,
}

impl Failed {
    fn of(e: Error) -> Failed {
        Failed {
            unavailable: matches!(e, Error::Unavailable(_)),
            message: match e {
                Error::Unavailable(m) => m,
                Error::Database(d) => d.to_string(),
                e => e.to_string(),
            },
        }
    }

    fn error(&self) -> Error {
        if self.unavailable {
            Error::Unavailable(self.message.clone())
        } else {
            Error::Database(self.message.clone().into())
        }
    }
}
