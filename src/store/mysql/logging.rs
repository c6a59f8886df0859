//! Logging params, tags and metrics: one validated batch, one transaction (the rules of the
//! SQLite store's `logging.rs`: params write-once, tags upsert, metrics append with exact
//! duplicates collapsed, the latest value per key kept beside the history).

use super::sql::{GenericClient, ToSql, Transaction};

use super::MyStore;
use super::runs::{deleted_run, run_key};
use crate::store::{Error, LogBatch, LogOutcome, Result};
use crate::tracking::{LifecycleStage, Metric, tags};

impl MyStore {
    /// Writes a batch to an active run, all or nothing.
    pub fn log_batch(&self, uuid: &str, batch: LogBatch) -> Result<LogOutcome> {
        let (batch, outcome) = batch.validated(self.truncate_long_values)?;
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
    _store: &MyStore,
    tx: &mut Transaction,
    pk: i64,
    uuid: &str,
    batch: &LogBatch,
) -> Result<()> {
    write_labels(tx, pk, uuid, batch)?;
    write_metrics(tx, &[(pk, batch)])
}

/// Writes a batch's params (write-once) and tags.
pub(super) fn write_labels(
    tx: &mut impl super::sql::GenericClient,
    pk: i64,
    uuid: &str,
    batch: &LogBatch,
) -> Result<()> {
    if !batch.params.is_empty() {
        let get = tx.prepare("SELECT value FROM params WHERE run_id = $1 AND key = $2")?;
        // A concurrent writer of the same key waits on the row, then compares.
        let put = tx.prepare(
            "INSERT INTO params (run_id, key, value) VALUES ($1, $2, $3)
             ON DUPLICATE KEY UPDATE run_id = run_id",
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
             ON DUPLICATE KEY UPDATE value = VALUES(value)",
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

/// Writes the metrics of batches (each with its run's key): the points (exact duplicates
/// collapsed), then the latest value per run and key, each one statement.
pub(super) fn write_metrics(
    tx: &mut impl GenericClient,
    batches: &[(i64, &LogBatch)],
) -> Result<()> {
    let Some((points, last)) = metric_columns(batches) else {
        return Ok(());
    };
    let (sql, values) = points.insert(
        "metrics",
        // Every column is the key: a point already there stays.
        "ON DUPLICATE KEY UPDATE run_id = run_id",
    );
    tx.execute(&sql, &values.iter().map(|v| v.as_ref()).collect::<Vec<_>>())?;
    let (sql, values) = last.insert(
        "latest_metrics",
        // MySQL sets the columns in order, each seeing the ones before: whether the row is
        // newer is decided once, first.
        "ON DUPLICATE KEY UPDATE
            step = IF(@newer := ((VALUES(step), VALUES(timestamp), VALUES(value))
                                 > (step, timestamp, value)), VALUES(step), step),
            timestamp = IF(@newer, VALUES(timestamp), timestamp),
            value = IF(@newer, VALUES(value), value),
            is_nan = IF(@newer, VALUES(is_nan), is_nan)",
    );
    tx.execute(&sql, &values.iter().map(|v| v.as_ref()).collect::<Vec<_>>())?;
    Ok(())
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

/// Metric points as columns.
pub(super) struct Columns {
    run: Vec<i64>,
    key: Vec<String>,
    step: Vec<i64>,
    timestamp: Vec<i64>,
    value: Vec<f64>,
    is_nan: Vec<bool>,
}

impl Columns {
    /// A multi-row INSERT of the points into `table`, with its values.
    fn insert(&self, table: &str, tail: &str) -> (String, Vec<Box<dyn ToSql + '_>>) {
        let mut rows = Vec::with_capacity(self.run.len());
        let mut values: Vec<Box<dyn ToSql + '_>> = Vec::with_capacity(self.run.len() * 6);
        for i in 0..self.run.len() {
            let n = values.len();
            rows.push(format!(
                "(${}, ${}, ${}, ${}, ${}, ${})",
                n + 1,
                n + 2,
                n + 3,
                n + 4,
                n + 5,
                n + 6
            ));
            values.push(Box::new(self.run[i]));
            values.push(Box::new(self.key[i].as_str()));
            values.push(Box::new(self.step[i]));
            values.push(Box::new(self.timestamp[i]));
            values.push(Box::new(self.value[i]));
            values.push(Box::new(self.is_nan[i]));
        }
        let sql = format!(
            "INSERT INTO {table} (run_id, key, step, timestamp, value, is_nan) VALUES {} {tail}",
            rows.join(", ")
        );
        (sql, values)
    }

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

/// NaN is stored as 0 with a flag (so it orders as MLflow's does); infinities as the largest
/// doubles (`sql.rs`).
fn stored(v: f64) -> (f64, bool) {
    if v.is_nan() { (0.0, true) } else { (v, false) }
}

fn order_key(m: &Metric) -> (i64, i64, f64) {
    (m.step, m.timestamp, stored(m.value).0)
}
