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
        let (mut batch, outcome) = batch.validated(self.truncate_long_values)?;
        batch.metrics.sort_by(|a, b| {
            (a.key.as_str(), a.step, a.timestamp).cmp(&(b.key.as_str(), b.step, b.timestamp))
        });
        self.write(|tx| {
            let (pk, stage) = run_key(tx, uuid)?;
            if stage == LifecycleStage::Deleted {
                return Err(deleted_run(uuid));
            }
            write_batch(tx, pk, uuid, &batch)
        })?;
        Ok(outcome)
    }
}

/// Writes an already validated batch inside a transaction.
pub(super) fn write_batch(
    tx: &mut Transaction,
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
    if !batch.metrics.is_empty() {
        let put = tx.prepare(
            "INSERT INTO metrics (run_id, key, step, timestamp, value, is_nan)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        )?;
        // Latest per key: the maximum of (step, timestamp, value), NaN counting as 0 (as MLflow).
        let mut latest: Vec<&Metric> = Vec::new();
        for m in &batch.metrics {
            let (value, is_nan) = stored(m.value);
            tx.execute(&put, &[&pk, &m.key, &m.step, &m.timestamp, &value, &is_nan])?;
            match latest.last_mut() {
                Some(l) if l.key == m.key => {
                    if order_key(m) > order_key(l) {
                        *l = m;
                    }
                }
                _ => latest.push(m),
            }
        }
        let up = tx.prepare(
            "INSERT INTO latest_metrics (run_id, key, step, timestamp, value, is_nan)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (run_id, key) DO UPDATE SET
                step = excluded.step, timestamp = excluded.timestamp,
                value = excluded.value, is_nan = excluded.is_nan
             WHERE (excluded.step, excluded.timestamp, excluded.value)
                 > (latest_metrics.step, latest_metrics.timestamp, latest_metrics.value)",
        )?;
        for m in latest {
            let (value, is_nan) = stored(m.value);
            tx.execute(&up, &[&pk, &m.key, &m.step, &m.timestamp, &value, &is_nan])?;
        }
    }
    Ok(())
}

/// NaN is stored as 0 with a flag (so it orders as MLflow's does); infinities as they are.
fn stored(v: f64) -> (f64, bool) {
    if v.is_nan() { (0.0, true) } else { (v, false) }
}

fn order_key(m: &Metric) -> (i64, i64, f64) {
    (m.step, m.timestamp, stored(m.value).0)
}
