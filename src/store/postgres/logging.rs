//! Logging params, tags and metrics: one validated batch, one transaction (the rules of the
//! SQLite store's `logging.rs`: params write-once, tags upsert, metrics append with exact
//! duplicates collapsed, the latest value per key kept beside the history).

use postgres::Transaction;

use super::PgStore;
use super::runs::{deleted_run, run_key};
use crate::store::{Error, LogBatch, LogOutcome, Result};
use crate::tracking::{LifecycleStage, Metric, tags};

impl PgStore {
    /// Writes a batch to an active run, all or nothing.
    pub fn log_batch(&self, uuid: &str, batch: LogBatch) -> Result<LogOutcome> {
        let (batch, outcome) = batch.validated(self.truncate_long_values)?;
        if let Some(queue) = self.commit_queue.clone() {
            queue.write(self, uuid, batch)?;
            return Ok(outcome);
        }
        self.write(|tx| {
            let (pk, stage) = run_key(tx, uuid)?;
            if stage == LifecycleStage::Deleted {
                return Err(deleted_run(uuid));
            }
            write_batch(self, tx, pk, uuid, &batch)
        })?;
        Ok(outcome)
    }
}

/// Writes an already validated batch inside a transaction.
pub(super) fn write_batch(
    store: &PgStore,
    tx: &mut Transaction,
    pk: i64,
    uuid: &str,
    batch: &LogBatch,
) -> Result<()> {
    write_labels(tx, pk, uuid, batch)?;
    write_metrics(store, tx, &[(pk, batch)])
}

/// Writes a batch's params (write-once) and tags.
pub(super) fn write_labels(
    tx: &mut impl postgres::GenericClient,
    pk: i64,
    uuid: &str,
    batch: &LogBatch,
) -> Result<()> {
    if !batch.params.is_empty() {
        let get = tx.prepare("SELECT value FROM params WHERE run_id = $1 AND key = $2")?;
        // A concurrent writer of the same key waits on the row, then compares.
        let put = tx.prepare(
            "INSERT INTO params (run_id, key, value) VALUES ($1, $2, $3)
             ON CONFLICT (run_id, key) DO NOTHING",
        )?;
        for p in &batch.params {
            let inserted = tx.execute(&put, &[&pk, &p.key, &p.value])?;
            if inserted == 1 {
                continue;
            }
            let old: String = tx.query_one(&get, &[&pk, &p.key])?.get(0);
            if old != p.value {
                return Err(Error::Invalid(format!(
                    "param `{}` of run `{uuid}` is already `{old}` and cannot change to `{}`: \
                     params are write-once; start a new run, or record it as a tag",
                    p.key, p.value
                )));
            }
        }
    }
    if !batch.tags.is_empty() {
        let put = tx.prepare(
            "INSERT INTO tags (run_id, key, value) VALUES ($1, $2, $3)
             ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value",
        )?;
        for t in &batch.tags {
            tx.execute(&put, &[&pk, &t.key, &t.value])?;
            if t.key == tags::RUN_NAME {
                tx.execute("UPDATE runs SET name = $1 WHERE id = $2", &[&t.value, &pk])?;
            }
        }
    }
    Ok(())
}

/// Writes the metrics of batches (each with its run's key) in one statement: the points, and
/// the latest value per run and key.
pub(super) fn write_metrics(
    store: &PgStore,
    tx: &mut impl postgres::GenericClient,
    batches: &[(i64, &LogBatch)],
) -> Result<()> {
    let Some((points, last)) = metric_columns(batches) else {
        return Ok(());
    };
    let statement = store.prepared(tx, WRITE_METRICS)?;
    tx.execute(&statement, &write_params(&points, &last))?;
    Ok(())
}

/// The parameters of [`WRITE_METRICS`]: the points, then the latest values.
pub(super) fn write_params<'a>(
    points: &'a Columns,
    last: &'a Columns,
) -> [&'a (dyn postgres::types::ToSql + Sync); 12] {
    [
        &points.run,
        &points.key,
        &points.step,
        &points.timestamp,
        &points.value,
        &points.is_nan,
        &last.run,
        &last.key,
        &last.step,
        &last.timestamp,
        &last.value,
        &last.is_nan,
    ]
}

/// The points of batches (each with its run's key) as columns, and the latest value per run and
/// key; `None` when there are no points.
pub(super) fn metric_columns(batches: &[(i64, &LogBatch)]) -> Option<(Columns, Columns)> {
    let n: usize = batches.iter().map(|(_, b)| b.metrics.len()).sum();
    if n == 0 {
        return None;
    }
    let mut points = Columns::with_capacity(n);
    for (pk, batch) in batches {
        for m in &batch.metrics {
            points.push(*pk, m);
        }
    }
    // Latest per run and key: the maximum of (step, timestamp, value), NaN counting as 0 (as
    // MLflow). One row per run and key, in key order, so concurrent writers lock alike.
    let mut latest: std::collections::BTreeMap<(i64, &str), &Metric> = Default::default();
    for (pk, batch) in batches {
        for m in &batch.metrics {
            let slot = latest.entry((*pk, m.key.as_str())).or_insert(m);
            if order_key(m) > order_key(slot) {
                *slot = m;
            }
        }
    }
    let mut last = Columns::with_capacity(latest.len());
    for ((pk, _), m) in latest {
        last.push(pk, m);
    }
    Some((points, last))
}

/// The points, and the latest value per run and key, in one statement: a group of batches
/// written outside a transaction is still stored whole or not at all.
pub(super) const WRITE_METRICS: &str = "WITH points AS (
        INSERT INTO metrics (run_id, key, step, timestamp, value, is_nan)
        SELECT * FROM unnest($1::int8[], $2::text[], $3::int8[], $4::int8[], $5::float8[], $6::bool[])
        ON CONFLICT DO NOTHING
     )
     INSERT INTO latest_metrics (run_id, key, step, timestamp, value, is_nan)
     SELECT * FROM unnest($7::int8[], $8::text[], $9::int8[], $10::int8[], $11::float8[], $12::bool[])
     ON CONFLICT (run_id, key) DO UPDATE SET
        step = excluded.step, timestamp = excluded.timestamp,
        value = excluded.value, is_nan = excluded.is_nan
     WHERE (excluded.step, excluded.timestamp, excluded.value)
         > (latest_metrics.step, latest_metrics.timestamp, latest_metrics.value)";

/// Metric points as columns, for `unnest`.
pub(super) struct Columns {
    run: Vec<i64>,
    key: Vec<String>,
    step: Vec<i64>,
    timestamp: Vec<i64>,
    value: Vec<f64>,
    is_nan: Vec<bool>,
}

impl Columns {
    fn with_capacity(n: usize) -> Columns {
        Columns {
            run: Vec::with_capacity(n),
            key: Vec::with_capacity(n),
            step: Vec::with_capacity(n),
            timestamp: Vec::with_capacity(n),
            value: Vec::with_capacity(n),
            is_nan: Vec::with_capacity(n),
        }
    }

    fn push(&mut self, run: i64, m: &Metric) {
        let (value, is_nan) = stored(m.value);
        self.run.push(run);
        self.key.push(m.key.clone());
        self.step.push(m.step);
        self.timestamp.push(m.timestamp);
        self.value.push(value);
        self.is_nan.push(is_nan);
    }
}

/// NaN is stored as 0 with a flag (so it orders as MLflow's does); infinities as they are.
fn stored(v: f64) -> (f64, bool) {
    if v.is_nan() { (0.0, true) } else { (v, false) }
}

fn order_key(m: &Metric) -> (i64, i64, f64) {
    (m.step, m.timestamp, stored(m.value).0)
}
