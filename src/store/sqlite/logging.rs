//! Logging params, tags and metrics: one validated batch, one transaction.
//!
//! Params are write-once (the same value again is fine); tags upsert (`mlflow.runName`
//! renames the run); metrics append to the history, exact duplicates collapse, and the latest
//! value per key, the maximum by (step, timestamp, value), is kept beside the history.

use std::collections::HashMap;

use rusqlite::{OptionalExtension, params};

use super::Store;
use crate::store::{Error, Result};
use crate::tracking::validation::{
    KeyKind, MAX_PARAM_VALUE_LEN, MAX_TAG_VALUE_LEN, limit_value, validate_key, validate_run_name,
};
use crate::tracking::{KeyValue, LifecycleStage, Metric, tags};

/// Params, tags and metrics to write together.
#[derive(Debug, Default, Clone)]
pub struct LogBatch {
    pub metrics: Vec<Metric>,
    pub params: Vec<KeyValue>,
    pub tags: Vec<KeyValue>,
}

/// What a caller may want to tell the user after a write.
#[derive(Debug, Default)]
pub struct LogOutcome {
    /// Keys whose values were truncated to the limit.
    pub truncated: Vec<String>,
}

impl LogBatch {
    pub fn is_empty(&self) -> bool {
        self.metrics.is_empty() && self.params.is_empty() && self.tags.is_empty()
    }

    /// Checks every key and value; truncates over-long values when `truncate` is set.
    pub fn validated(mut self, truncate: bool) -> Result<(LogBatch, LogOutcome)> {
        let mut outcome = LogOutcome::default();
        for m in &self.metrics {
            validate_key(KeyKind::Metric, &m.key)?;
            if m.timestamp < 0 {
                return Err(Error::Invalid(format!(
                    "metric `{}` has timestamp {}: timestamps are milliseconds since the epoch, 0 or more",
                    m.key, m.timestamp
                )));
            }
        }
        let mut seen: HashMap<String, String> = HashMap::new();
        let mut params = Vec::with_capacity(self.params.len());
        for p in self.params {
            validate_key(KeyKind::Param, &p.key)?;
            let (value, cut) = limit_value(
                KeyKind::Param,
                &p.key,
                &p.value,
                MAX_PARAM_VALUE_LEN,
                truncate,
            )?;
            if cut {
                outcome.truncated.push(p.key.clone());
            }
            match seen.get(&p.key) {
                Some(v) if *v == value => continue,
                Some(v) => {
                    return Err(Error::Invalid(format!(
                        "param `{}` is given twice, as `{v}` and `{value}`: params take one value per run",
                        p.key
                    )));
                }
                None => {
                    seen.insert(p.key.clone(), value.clone());
                }
            }
            params.push(KeyValue { key: p.key, value });
        }
        self.params = params;
        for t in &mut self.tags {
            validate_key(KeyKind::Tag, &t.key)?;
            let (value, cut) =
                limit_value(KeyKind::Tag, &t.key, &t.value, MAX_TAG_VALUE_LEN, truncate)?;
            if cut {
                outcome.truncated.push(t.key.clone());
            }
            if t.key == tags::RUN_NAME {
                validate_run_name(&value)?;
            }
            t.value = value;
        }
        Ok((self, outcome))
    }
}

impl Store {
    /// Writes a batch to an active run, all or nothing.
    pub fn log_batch(&mut self, uuid: &str, batch: LogBatch) -> Result<LogOutcome> {
        let (mut batch, outcome) = batch.validated(self.truncate_long_values)?;
        batch.metrics.sort_by(|a, b| {
            (a.key.as_str(), a.step, a.timestamp).cmp(&(b.key.as_str(), b.step, b.timestamp))
        });
        self.write(|tx| {
            let (pk, stage) = Store::run_key(tx, uuid)?;
            if stage == LifecycleStage::Deleted {
                return Err(super::runs::deleted_run(uuid));
            }
            write_batch(tx, pk, uuid, &batch)
        })?;
        Ok(outcome)
    }
}

/// Writes an already validated batch inside a transaction.
pub(crate) fn write_batch(
    tx: &rusqlite::Connection,
    pk: i64,
    uuid: &str,
    batch: &LogBatch,
) -> Result<()> {
    if !batch.params.is_empty() {
        let mut get =
            tx.prepare_cached("SELECT value FROM params WHERE run_id = ?1 AND key = ?2")?;
        let mut put =
            tx.prepare_cached("INSERT INTO params (run_id, key, value) VALUES (?1, ?2, ?3)")?;
        for p in &batch.params {
            let old: Option<String> = get.query_row(params![pk, p.key], |r| r.get(0)).optional()?;
            match old {
                Some(old) if old == p.value => {}
                Some(old) => {
                    return Err(Error::Invalid(format!(
                        "param `{}` of run `{uuid}` is already `{old}` and cannot change to `{}`: \
                         params are write-once; start a new run, or record it as a tag",
                        p.key, p.value
                    )));
                }
                None => {
                    put.execute(params![pk, p.key, p.value])?;
                }
            }
        }
    }
    if !batch.tags.is_empty() {
        let mut put = tx.prepare_cached(
            "INSERT INTO tags (run_id, key, value) VALUES (?1, ?2, ?3)
             ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value",
        )?;
        for t in &batch.tags {
            put.execute(params![pk, t.key, t.value])?;
            if t.key == tags::RUN_NAME {
                tx.execute(
                    "UPDATE runs SET name = ?1 WHERE id = ?2",
                    params![t.value, pk],
                )?;
            }
        }
    }
    if !batch.metrics.is_empty() {
        // Latest per key: the maximum of (step, timestamp, value), NaN counting as 0 (as MLflow).
        let mut latest: Vec<&Metric> = Vec::new();
        for m in &batch.metrics {
            match latest.last_mut() {
                Some(l) if l.key == m.key => {
                    if order_key(m) > order_key(l) {
                        *l = m;
                    }
                }
                _ => latest.push(m),
            }
        }
        let all: Vec<&Metric> = batch.metrics.iter().collect();
        insert_rows(tx, Rows::History, pk, &all)?;
        insert_rows(tx, Rows::Latest, pk, &latest)?;
    }
    Ok(())
}

/// NaN is stored as 0 with a flag (SQLite has no NaN); infinities are stored as they are.
pub(super) fn stored(v: f64) -> (f64, bool) {
    if v.is_nan() { (0.0, true) } else { (v, false) }
}

/// The two tables a metric point goes to.
#[derive(Clone, Copy)]
pub(super) enum Rows {
    /// `metrics`: every point; an exact duplicate is dropped.
    History,
    /// `latest_metrics`: one row a key, replaced by a point that orders after it.
    Latest,
}

/// The most rows one statement inserts.
pub(super) const ROWS_PER_STATEMENT: usize = 16;

/// The statement inserting `n` rows (1 to `ROWS_PER_STATEMENT`) into one of the tables, made
/// once: one statement for a batch's points instead of one a point.
pub(super) fn insert_sql(rows: Rows, n: usize) -> &'static str {
    use std::sync::OnceLock;
    static SQL: [OnceLock<Vec<String>>; 2] = [OnceLock::new(), OnceLock::new()];
    let made = SQL[rows as usize].get_or_init(|| {
        (1..=ROWS_PER_STATEMENT)
            .map(|n| {
                let values = vec!["(?, ?, ?, ?, ?, ?)"; n].join(", ");
                match rows {
                    Rows::History => format!(
                        "INSERT OR IGNORE INTO metrics (run_id, key, step, timestamp, value, is_nan) \
                         VALUES {values}"
                    ),
                    Rows::Latest => format!(
                        "INSERT INTO latest_metrics (run_id, key, step, timestamp, value, is_nan) \
                         VALUES {values} \
                         ON CONFLICT (run_id, key) DO UPDATE SET \
                            step = excluded.step, timestamp = excluded.timestamp, \
                            value = excluded.value, is_nan = excluded.is_nan \
                         WHERE (excluded.step, excluded.timestamp, excluded.value) \
                             > (latest_metrics.step, latest_metrics.timestamp, latest_metrics.value)"
                    ),
                }
            })
            .collect()
    });
    &made[n - 1]
}

/// Inserts the points, up to `ROWS_PER_STATEMENT` a statement; answers how many rows were
/// written (a point already there is not).
pub(super) fn insert_rows(
    tx: &rusqlite::Connection,
    rows: Rows,
    pk: i64,
    points: &[&Metric],
) -> Result<usize> {
    let mut written = 0;
    for chunk in points.chunks(ROWS_PER_STATEMENT) {
        let mut put = tx.prepare_cached(insert_sql(rows, chunk.len()))?;
        for (i, m) in chunk.iter().enumerate() {
            let (value, is_nan) = stored(m.value);
            let at = i * 6;
            put.raw_bind_parameter(at + 1, pk)?;
            put.raw_bind_parameter(at + 2, m.key.as_str())?;
            put.raw_bind_parameter(at + 3, m.step)?;
            put.raw_bind_parameter(at + 4, m.timestamp)?;
            put.raw_bind_parameter(at + 5, value)?;
            put.raw_bind_parameter(at + 6, is_nan)?;
        }
        written += put.raw_execute()?;
    }
    Ok(written)
}

pub(super) fn order_key(m: &Metric) -> (i64, i64, f64) {
    (m.step, m.timestamp, stored(m.value).0)
}
