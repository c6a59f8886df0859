//! Merging run bundles into the store (`mlf push` into this store, `mlf pull` from another):
//! one transaction a batch. Runs keep their ids; params are write-once (a different value is
//! a conflict, reported and left as it is); metric points join the history unless the same
//! (key, step, timestamp, value) is there; of two copies of a run, the one that saw activity
//! last gives tags, name, status, end time and lifecycle stage, and every tag that differs is
//! reported.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, params};

use super::Store;
use super::logging::{ROWS_PER_STATEMENT, Rows, insert_sql, stored};
use crate::protocol::sync::{
    Bundles, ExperimentInfo, MergeReport, ParamConflict, RunBundle, TagChange,
};
use crate::store::{Error, Result};
use crate::tracking::tags;

impl Store {
    /// Merges bundles into this store in one transaction (with `dry_run`, counts and rolls
    /// back).
    pub fn sync_merge(&mut self, bundles: &Bundles, dry_run: bool) -> Result<MergeReport> {
        let work = |tx: &Connection| merge(tx, bundles);
        if dry_run {
            let tx = self.conn().unchecked_transaction()?;
            let report = work(&tx)?;
            tx.rollback()?;
            Ok(report)
        } else {
            self.write(work)
        }
    }
}

/// The experiment named `name` here, created (with the bundle's id when it is free) if
/// missing.
fn experiment_here(
    tx: &Connection,
    name: &str,
    info: Option<&ExperimentInfo>,
    report: &mut MergeReport,
) -> Result<i64> {
    let found: Option<i64> = tx
        .query_row(
            "SELECT experiment_id FROM experiments WHERE name = ?1",
            [name],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(id) = found {
        return Ok(id);
    }
    let now = crate::tracking::ids::now_ms();
    let wanted: Option<i64> = info.and_then(|i| i.experiment_id.parse().ok());
    let free = match wanted {
        Some(id) => tx
            .query_row(
                "SELECT 1 FROM experiments WHERE experiment_id = ?1",
                [id],
                |_| Ok(()),
            )
            .optional()?
            .is_none(),
        None => false,
    };
    let stage = info.map_or("active", |i| i.lifecycle_stage.as_str());
    let created = info.map_or(now, |i| i.creation_time);
    if free {
        tx.execute(
            "INSERT INTO experiments (experiment_id, name, lifecycle_stage, creation_time, last_update_time)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![wanted, name, stage, created, now],
        )?;
    } else {
        tx.execute(
            "INSERT INTO experiments (name, lifecycle_stage, creation_time, last_update_time)
             VALUES (?1, ?2, ?3, ?4)",
            params![name, stage, created, now],
        )?;
    }
    let id = tx.last_insert_rowid();
    if let Some(info) = info {
        let mut put = tx.prepare_cached(
            "INSERT OR IGNORE INTO experiment_tags (experiment_id, key, value) VALUES (?1, ?2, ?3)",
        )?;
        for (k, v) in &info.tags {
            put.execute(params![id, k, v])?;
        }
    }
    report.experiments_created.push(name.to_string());
    Ok(id)
}

fn merge(tx: &Connection, bundles: &Bundles) -> Result<MergeReport> {
    let mut report = MergeReport::default();
    let mut experiments: HashMap<&str, i64> = HashMap::new();
    for b in &bundles.runs {
        check(b)?;
        let exp = match experiments.get(b.experiment.as_str()) {
            Some(id) => *id,
            None => {
                let info = bundles.experiments.iter().find(|e| e.name == b.experiment);
                let id = experiment_here(tx, &b.experiment, info, &mut report)?;
                experiments.insert(&b.experiment, id);
                id
            }
        };
        merge_run(tx, exp, b, &mut report)?;
    }
    Ok(report)
}

/// Refuses a bundle no store could have written.
fn check(b: &RunBundle) -> Result<()> {
    let bad = |why: String| Err(Error::Invalid(format!("run bundle `{}`: {why}", b.run_id)));
    if !crate::tracking::ids::is_run_id(&b.run_id) {
        return bad("not a run id (32 lowercase hex characters)".into());
    }
    if b.experiment.trim().is_empty() {
        return bad("no experiment name".into());
    }
    if crate::tracking::RunStatus::parse(&b.status).is_none() {
        return bad(format!("unknown status `{}`", b.status));
    }
    if !matches!(b.lifecycle_stage.as_str(), "active" | "deleted") {
        return bad(format!("unknown lifecycle stage `{}`", b.lifecycle_stage));
    }
    let keys = b.params.iter().chain(&b.tags).map(|(k, _)| k);
    if keys
        .chain(b.metrics.iter().map(|s| &s.key))
        .any(|k| k.is_empty())
    {
        return bad("an empty key".into());
    }
    if b.metrics
        .iter()
        .any(|s| s.step.len() != s.timestamp.len() || s.step.len() != s.value.len())
    {
        return bad("a metric series whose columns differ in length".into());
    }
    Ok(())
}

type Existing = (i64, String, String, Option<i64>, String, Option<i64>, i64);

fn merge_run(tx: &Connection, exp: i64, b: &RunBundle, report: &mut MergeReport) -> Result<()> {
    let existing: Option<Existing> = tx
        .query_row(
            "SELECT id, name, status, end_time, lifecycle_stage, deleted_time,
                    max(start_time, COALESCE(end_time, start_time), COALESCE(deleted_time, start_time),
                        COALESCE((SELECT max(timestamp) FROM metrics WHERE run_id = runs.id), start_time))
             FROM runs WHERE run_uuid = ?1",
            [&b.run_id],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                ))
            },
        )
        .optional()?;
    let (pk, newer) = match existing {
        None => {
            tx.execute(
                "INSERT INTO runs (run_uuid, name, experiment_id, user_id, status, start_time,
                    end_time, lifecycle_stage, deleted_time)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    b.run_id,
                    b.name,
                    exp,
                    b.user_id,
                    b.status,
                    b.start_time,
                    b.end_time,
                    b.lifecycle_stage,
                    b.deleted_time
                ],
            )?;
            report.runs_created += 1;
            (tx.last_insert_rowid(), true)
        }
        Some((pk, name, status, end, stage, deleted, activity)) => {
            let newer = b.activity() >= activity;
            if newer
                && (name != b.name
                    || status != b.status
                    || end != b.end_time
                    || stage != b.lifecycle_stage
                    || deleted != b.deleted_time)
            {
                tx.execute(
                    "UPDATE runs SET name = ?1, status = ?2, end_time = ?3, lifecycle_stage = ?4,
                        deleted_time = ?5 WHERE id = ?6",
                    params![
                        b.name,
                        b.status,
                        b.end_time,
                        b.lifecycle_stage,
                        b.deleted_time,
                        pk
                    ],
                )?;
                report.runs_updated += 1;
            }
            (pk, newer)
        }
    };
    // Params: write-once.
    let here = key_values(tx, "params", pk)?;
    let mut put =
        tx.prepare_cached("INSERT INTO params (run_id, key, value) VALUES (?1, ?2, ?3)")?;
    for (k, v) in &b.params {
        match here.get(k) {
            None => {
                put.execute(params![pk, k, v])?;
                report.params += 1;
            }
            Some(old) if old == v => {}
            Some(old) => report.conflicts.push(ParamConflict {
                run_id: b.run_id.clone(),
                key: k.clone(),
                kept: old.clone(),
                refused: v.clone(),
            }),
        }
    }
    // Tags: the newer copy's value.
    let here = key_values(tx, "tags", pk)?;
    let mut put = tx.prepare_cached(
        "INSERT INTO tags (run_id, key, value) VALUES (?1, ?2, ?3)
         ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value",
    )?;
    for (k, v) in &b.tags {
        match here.get(k) {
            Some(old) if old == v => continue,
            Some(old) => report.tag_changes.push(TagChange {
                run_id: b.run_id.clone(),
                key: k.clone(),
                old: old.clone(),
                new: v.clone(),
                replaced: newer,
            }),
            None => {}
        }
        if here.contains_key(k) && !newer {
            continue;
        }
        put.execute(params![pk, k, v])?;
        report.tags += 1;
        if k == tags::RUN_NAME && newer {
            tx.execute("UPDATE runs SET name = ?1 WHERE id = ?2", params![v, pk])?;
        }
    }
    // Metrics: every point not already in the history.
    for s in &b.metrics {
        let points = s.points();
        let Some(latest) = points.iter().copied().max_by(|a, c| {
            point_order(a)
                .partial_cmp(&point_order(c))
                .unwrap_or(std::cmp::Ordering::Equal)
        }) else {
            continue;
        };
        report.metric_points += insert_points(tx, Rows::History, pk, &s.key, &points)?;
        insert_points(tx, Rows::Latest, pk, &s.key, &[latest])?;
    }
    Ok(())
}

/// A point's place in the order that picks the latest: (step, timestamp, value), NaN as 0.
fn point_order(p: &(i64, i64, f64)) -> (i64, i64, f64) {
    (p.0, p.1, stored(p.2).0)
}

/// The most points one statement of a merge inserts.
const POINTS_PER_STATEMENT: usize = 64;

/// The statement inserting `n` points (1 to `POINTS_PER_STATEMENT`), made once; the history's
/// and the latest values' as the logging path writes them.
fn merge_sql(rows: Rows, n: usize) -> &'static str {
    use std::sync::OnceLock;
    static SQL: [OnceLock<Vec<String>>; 2] = [OnceLock::new(), OnceLock::new()];
    let made = SQL[rows as usize].get_or_init(|| {
        (1..=POINTS_PER_STATEMENT)
            .map(|n| {
                if n <= ROWS_PER_STATEMENT {
                    return insert_sql(rows, n).to_string();
                }
                // The same statement with more rows: widen the VALUES list.
                let one = insert_sql(rows, 1);
                let values = vec!["(?, ?, ?, ?, ?, ?)"; n].join(", ");
                one.replacen("(?, ?, ?, ?, ?, ?)", &values, 1)
            })
            .collect()
    });
    &made[n - 1]
}

/// Inserts one key's points, many a statement; answers how many were not there.
fn insert_points(
    tx: &Connection,
    rows: Rows,
    pk: i64,
    key: &str,
    points: &[(i64, i64, f64)],
) -> Result<usize> {
    let mut written = 0;
    for chunk in points.chunks(POINTS_PER_STATEMENT) {
        let mut put = tx.prepare_cached(merge_sql(rows, chunk.len()))?;
        for (i, (step, timestamp, value)) in chunk.iter().enumerate() {
            let (value, is_nan) = stored(*value);
            let at = i * 6;
            put.raw_bind_parameter(at + 1, pk)?;
            put.raw_bind_parameter(at + 2, key)?;
            put.raw_bind_parameter(at + 3, *step)?;
            put.raw_bind_parameter(at + 4, *timestamp)?;
            put.raw_bind_parameter(at + 5, value)?;
            put.raw_bind_parameter(at + 6, is_nan)?;
        }
        written += put.raw_execute()?;
    }
    Ok(written)
}

fn key_values(tx: &Connection, table: &str, pk: i64) -> Result<HashMap<String, String>> {
    let mut stmt =
        tx.prepare_cached(&format!("SELECT key, value FROM {table} WHERE run_id = ?1"))?;
    let out = stmt
        .query_map([pk], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(out)
}
