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

    /// Checks every key and value; truncates over-long values when `truncate` is set. The
    /// metrics come back in the order the stores write them: by key, then step and timestamp.
    pub fn validated(mut self, truncate: bool) -> Result<(LogBatch, LogOutcome)> {
        let mut outcome = LogOutcome::default();
        check_metrics(&self.metrics)?;
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
        sort_metrics(&mut self.metrics);
        Ok((self, outcome))
    }
}

/// Checks every metric's key and timestamp.
fn check_metrics(metrics: &[Metric]) -> Result<()> {
    for m in metrics {
        validate_key(KeyKind::Metric, &m.key)?;
        if m.timestamp < 0 {
            return Err(Error::Invalid(format!(
                "metric `{}` has timestamp {}: timestamps are milliseconds since the epoch, 0 or more",
                m.key, m.timestamp
            )));
        }
    }
    Ok(())
}

/// The order a batch's metrics are written in: by key, then step and timestamp.
fn sort_metrics(metrics: &mut [Metric]) {
    metrics.sort_by(|a, b| {
        (a.key.as_str(), a.step, a.timestamp).cmp(&(b.key.as_str(), b.step, b.timestamp))
    });
}

impl Store {
    /// Writes the metrics of many requests' batches (metrics only, each to one run) at once,
    /// as a group writer receives them: each batch is checked and its run looked up on its
    /// own, then the points of every good batch are written together, one statement per table
    /// and run instead of two per batch. Answers each batch's outcome, in order, or `Err`
    /// when the combined write failed: metric points break no rule of the store, so that is
    /// the database failing, and every batch of the call fails with it. As the first write of
    /// a group it has no savepoint ([`Store::write_first`]): its failure undoes the group.
    pub fn log_metric_batches(
        &mut self,
        mut batches: Vec<(String, LogBatch)>,
    ) -> Result<Vec<Result<()>>> {
        let mut results = Vec::with_capacity(batches.len());
        let mut keys: HashMap<String, i64> = HashMap::new();
        let mut good: Vec<(i64, usize)> = Vec::with_capacity(batches.len());
        for (i, (uuid, batch)) in batches.iter_mut().enumerate() {
            sort_metrics(&mut batch.metrics);
            let checked = check_metrics(&batch.metrics).and_then(|()| match keys.get(uuid) {
                Some(pk) => Ok(*pk),
                None => {
                    let (pk, stage) = Store::run_key(&self.conn, uuid)?;
                    if stage == LifecycleStage::Deleted {
                        return Err(super::runs::deleted_run(uuid));
                    }
                    keys.insert(uuid.clone(), pk);
                    Ok(pk)
                }
            });
            match checked {
                Ok(pk) => {
                    good.push((pk, i));
                    results.push(Ok(()));
                }
                Err(e) => results.push(Err(e)),
            }
        }
        if good.is_empty() {
            return Ok(results);
        }
        self.write_first(|tx| {
            let mut points: Vec<(i64, &Metric)> = good
                .iter()
                .flat_map(|&(pk, i)| batches[i].1.metrics.iter().map(move |m| (pk, m)))
                .collect();
            points.sort_by(|(p, a), (q, b)| {
                (*p, a.key.as_str(), a.step, a.timestamp).cmp(&(
                    *q,
                    b.key.as_str(),
                    b.step,
                    b.timestamp,
                ))
            });
            for run in points.chunk_by(|a, b| a.0 == b.0) {
                let sorted: Vec<&Metric> = run.iter().map(|p| p.1).collect();
                write_metrics(tx, run[0].0, &sorted)?;
            }
            Ok(())
        })?;
        Ok(results)
    }

    /// Writes a batch to an active run, all or nothing.
    pub fn log_batch(&mut self, uuid: &str, batch: LogBatch) -> Result<LogOutcome> {
        let (batch, outcome) = batch.validated(self.truncate_long_values)?;
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
        let sorted: Vec<&Metric> = batch.metrics.iter().collect();
        write_metrics(tx, pk, &sorted)?;
    }
    Ok(())
}

/// Writes points of one run, sorted by key: each to the history, and the latest per key.
fn write_metrics(tx: &rusqlite::Connection, pk: i64, sorted: &[&Metric]) -> Result<()> {
    // Latest per key: the maximum of (step, timestamp, value), NaN counting as 0 (as MLflow).
    let mut latest: Vec<&Metric> = Vec::new();
    for &m in sorted {
        match latest.last_mut() {
            Some(l) if l.key == m.key => {
                if order_key(m) > order_key(l) {
                    *l = m;
                }
            }
            _ => latest.push(m),
        }
    }
    insert_rows(tx, Rows::History, pk, sorted)?;
    insert_rows(tx, Rows::Latest, pk, &latest)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sqlite::test_support::{nearly_full, new_run, temp_store};

    fn batch(points: &[(&str, i64, f64)]) -> LogBatch {
        LogBatch {
            metrics: points
                .iter()
                .map(|&(key, step, value)| Metric {
                    key: key.into(),
                    value,
                    timestamp: 1000 + step,
                    step,
                })
                .collect(),
            ..Default::default()
        }
    }

    fn latest(store: &Store, run: &str, key: &str) -> Option<(i64, f64)> {
        let run = store.run(run).unwrap();
        let m = run.data.metrics.iter().find(|m| m.key == key)?;
        Some((m.step, m.value))
    }

    /// Batches of several requests written together: each answered on its own (a missing run,
    /// a deleted one, a bad timestamp), the good ones all stored, the latest per key the
    /// maximum over every batch of the group whatever their order.
    #[test]
    fn batches_written_together_are_each_answered_and_all_stored() {
        let (dir, mut store) = temp_store("together");
        let (a, b, gone) = (
            new_run(&mut store),
            new_run(&mut store),
            new_run(&mut store),
        );
        store.delete_runs(std::slice::from_ref(&gone)).unwrap();
        let mut negative = batch(&[("x", 1, 1.0)]);
        negative.metrics[0].timestamp = -1;
        let batches = vec![
            (a.clone(), batch(&[("x", 5, 0.5), ("y", 1, 1.0)])),
            (
                "0123456789abcdef0123456789abcdef".to_string(),
                batch(&[("x", 1, 1.0)]),
            ),
            (b.clone(), batch(&[("x", 2, 2.0)])),
            (gone.clone(), batch(&[("x", 1, 1.0)])),
            (a.clone(), batch(&[("x", 3, 9.0), ("x", 7, 0.7)])),
            (a.clone(), negative),
            (a.clone(), batch(&[("x", 5, 0.5)])),
        ];
        let results = store
            .group(|s| s.log_metric_batches(batches))
            .unwrap()
            .unwrap();
        let shown: Vec<String> = results
            .iter()
            .map(|r| match r {
                Ok(()) => "ok".into(),
                Err(e) => e.to_string(),
            })
            .collect();
        assert_eq!(shown[0], "ok");
        assert!(shown[1].contains("0123456789abcdef"), "{shown:?}");
        assert_eq!(shown[2], "ok");
        assert!(shown[3].contains("deleted"), "{shown:?}");
        assert_eq!(shown[4], "ok");
        assert!(shown[5].contains("timestamp -1"), "{shown:?}");
        assert_eq!(shown[6], "ok");
        let other = Store::open(&dir).unwrap();
        let steps = |run: &str, key: &str| -> Vec<i64> {
            other
                .metric_history(run, key)
                .unwrap()
                .iter()
                .map(|m| m.step)
                .collect()
        };
        // The exact duplicate of a's (x, 5) is stored once.
        assert_eq!(steps(&a, "x"), vec![3, 5, 7]);
        assert_eq!(steps(&a, "y"), vec![1]);
        assert_eq!(steps(&b, "x"), vec![2]);
        assert_eq!(latest(&other, &a, "x"), Some((7, 0.7)));
        assert_eq!(latest(&other, &b, "x"), Some((2, 2.0)));
        assert!(other.metric_history(&gone, "x").unwrap().is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// The database full in the middle of the combined write: as the group's first write it
    /// undoes the group; after another unit of the group too, since SQLite rolls the whole
    /// transaction back. Nothing of either group is stored.
    #[test]
    fn a_failed_write_of_batches_undoes_its_group() {
        let (dir, mut store) = temp_store("full");
        let run = new_run(&mut store);
        nearly_full(&store);
        let long = "k".repeat(200);
        let big: Vec<(&str, i64, f64)> = (0..2000).map(|i| (long.as_str(), i, 1.0)).collect();
        for unit_first in [false, true] {
            let mut failed = false;
            let outcome = store.group(|s| {
                if unit_first {
                    let before: Result<()> = s.unit(|s| s.set_state("before", Some("1")));
                    before.unwrap();
                }
                failed = s
                    .log_metric_batches(vec![
                        (run.clone(), batch(&[("small", 1, 1.0)])),
                        (run.clone(), batch(&big)),
                    ])
                    .is_err();
            });
            assert!(failed);
            assert!(outcome.is_err(), "{outcome:?}");
        }
        let other = Store::open(&dir).unwrap();
        assert!(other.metric_history(&run, "small").unwrap().is_empty());
        assert!(other.metric_history(&run, &long).unwrap().is_empty());
        assert_eq!(other.state("before").unwrap(), None);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A batch larger than one statement's rows: every distinct point kept once, an exact
    /// duplicate dropped, and the latest value per key the maximum of (step, timestamp, value)
    /// whichever statement its point went in.
    #[test]
    fn a_batch_over_several_statements_keeps_every_point_and_the_latest_per_key() {
        let (dir, mut store) = temp_store("rows");
        let id = new_run(&mut store);
        let point = |key: &str, step: i64, value: f64| Metric {
            key: key.into(),
            value,
            timestamp: 1000 + step,
            step,
        };
        // 37 points of `a` (steps 0..36, the last one out of order in the batch), one exact
        // duplicate of a's step 5, and 3 points of `b`: 41 in all, over three statements.
        let mut metrics: Vec<Metric> = (0..36).map(|s| point("a", 35 - s, s as f64)).collect();
        metrics.push(point("a", 36, -1.0));
        metrics.push(point("a", 5, 30.0));
        metrics.extend([point("b", 2, 0.5), point("b", 9, 0.1), point("b", 4, 0.9)]);
        store
            .log_batch(
                &id,
                LogBatch {
                    metrics,
                    ..Default::default()
                },
            )
            .unwrap();
        let a = store.metric_history(&id, "a").unwrap();
        assert_eq!(a.len(), 37, "{a:?}");
        let b = store.metric_history(&id, "b").unwrap();
        assert_eq!(b.len(), 3, "{b:?}");
        let run = store.run(&id).unwrap();
        let latest = |key: &str| {
            run.data
                .metrics
                .iter()
                .find(|m| m.key == key)
                .map(|m| (m.step, m.value))
        };
        assert_eq!(latest("a"), Some((36, -1.0)));
        assert_eq!(latest("b"), Some((9, 0.1)));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
