//! Group commit for log batches on PostgreSQL. The connections of one server share a queue:
//! a batch is queued, and the first caller to find no commit under way takes every batch
//! waiting, writes them in one transaction on its own connection and commits once; the others
//! wait for its word. A batch is answered only after the commit that holds it. When the joint
//! transaction fails (a run deleted meanwhile, a param that differs), each of its batches is
//! written again alone, so one bad batch refuses only itself.
//!
//! Without it, every request is its own transaction: concurrent requests on one run queue on
//! the row locks of its latest values, and each pays a commit.

use std::collections::HashMap;
use std::sync::{Condvar, Mutex};

use super::PgStore;
use super::logging::{write_batch, write_labels, write_metrics};
use super::runs::{deleted_run, run_key};
use crate::store::{Error, LogBatch, Missing, Result};
use crate::tracking::LifecycleStage;

/// The most batches one transaction takes.
const MAX_GROUP: usize = 128;

#[derive(Default)]
pub struct CommitQueue {
    state: Mutex<State>,
    done: Condvar,
}

#[derive(Default)]
struct State {
    next: u64,
    waiting: Vec<(u64, String, LogBatch)>,
    /// A commit is under way.
    leading: bool,
    answers: HashMap<u64, Result<()>>,
}

impl CommitQueue {
    /// Writes a validated batch to run `uuid`, sharing a transaction with the batches of
    /// other connections queued at the same moment.
    pub(super) fn write(&self, store: &PgStore, uuid: &str, batch: LogBatch) -> Result<()> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let id = state.next;
        state.next += 1;
        state.waiting.push((id, uuid.to_string(), batch));
        loop {
            if let Some(answer) = state.answers.remove(&id) {
                return answer;
            }
            if state.leading {
                state = self.done.wait(state).unwrap_or_else(|e| e.into_inner());
                continue;
            }
            state.leading = true;
            let take = state.waiting.len().min(MAX_GROUP);
            let group: Vec<_> = state.waiting.drain(..take).collect();
            drop(state);
            let answers = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                write_group(store, &group)
            }));
            state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            state.leading = false;
            match answers {
                Ok(answers) => state.answers.extend(answers),
                Err(_) => {
                    for (id, ..) in &group {
                        state.answers.insert(
                            *id,
                            Err(crate::store::Error::Remote("the batch failed".into())),
                        );
                    }
                }
            }
            self.done.notify_all();
        }
    }
}

/// The whole group at once: in one statement when it holds metrics alone (no transaction to
/// open and commit), else in one transaction; when that fails, each batch in a transaction of
/// its own, so one bad batch refuses only itself.
fn write_group(store: &PgStore, group: &[(u64, String, LogBatch)]) -> Vec<(u64, Result<()>)> {
    let plain = group
        .iter()
        .all(|(_, _, b)| b.params.is_empty() && b.tags.is_empty());
    let joint = if plain {
        store.single(|c| write_joint(store, c, group))
    } else {
        store.write(|tx| write_joint(store, tx, group))
    };
    if let [(id, ..)] = group {
        return vec![(*id, joint)];
    }
    if joint.is_ok() {
        return group.iter().map(|(id, ..)| (*id, Ok(()))).collect();
    }
    group
        .iter()
        .map(|(id, uuid, batch)| (*id, store.write(|tx| write_one(store, tx, uuid, batch))))
        .collect()
}

/// The batches of a group: their runs looked up in one query (each must exist and not be
/// deleted), their params and tags, then every metric point in one statement.
fn write_joint(
    store: &PgStore,
    c: &mut impl postgres::GenericClient,
    group: &[(u64, String, LogBatch)],
) -> Result<()> {
    let uuids: Vec<&str> = group.iter().map(|(_, u, _)| u.as_str()).collect();
    let runs = store.prepared(
        c,
        "SELECT run_uuid, id, lifecycle_stage FROM runs WHERE run_uuid = ANY($1)",
    )?;
    let keys: HashMap<String, (i64, LifecycleStage)> = c
        .query(&runs, &[&uuids])?
        .iter()
        .map(|r| {
            (
                r.get(0),
                (r.get(1), LifecycleStage::parse(r.get::<_, &str>(2))),
            )
        })
        .collect();
    let mut metrics = Vec::with_capacity(group.len());
    for (_, uuid, batch) in group {
        let Some(&(pk, stage)) = keys.get(uuid) else {
            return Err(Error::NotFound(Missing::Run(uuid.clone())));
        };
        if stage == LifecycleStage::Deleted {
            return Err(deleted_run(uuid));
        }
        write_labels(c, pk, uuid, batch)?;
        metrics.push((pk, batch));
    }
    write_metrics(store, c, &metrics)
}

fn write_one(
    store: &PgStore,
    tx: &mut postgres::Transaction,
    uuid: &str,
    batch: &LogBatch,
) -> Result<()> {
    let (pk, stage) = run_key(tx, uuid)?;
    if stage == LifecycleStage::Deleted {
        return Err(deleted_run(uuid));
    }
    write_batch(store, tx, pk, uuid, batch)
}
