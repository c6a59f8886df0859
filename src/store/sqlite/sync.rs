//! `mlf push` and `mlf pull` on a store directory: digests of runs, runs read whole as
//! bundles, and bundles merged in, one transaction a batch. Merging keeps run ids; params are
//! write-once (a different value is a conflict, reported and left as it is); metric points
//! join the history unless the same (key, step, timestamp, value) is there; of two copies of
//! a run, the one that saw activity last gives tags, name, status and end time, and every
//! tag it changes is reported.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, params};

use super::Store;
use super::logging::{ROWS_PER_STATEMENT, Rows, insert_sql, stored};
use crate::protocol::sync::{
    Bundles, DigestsRequest, ExperimentInfo, MergeReport, ParamConflict, RunBundle, RunDigest,
    Series, TagChange,
};
use crate::store::{Error, Missing, Result};
use crate::tracking::tags;

/// A 64-bit FNV-1a hash, the same on every machine.
#[derive(Clone, Copy)]
struct Hash(u64);

impl Hash {
    fn new() -> Hash {
        Hash(0xcbf2_9ce4_8422_2325)
    }
    fn add(&mut self, text: &str) {
        for b in text.bytes().chain(std::iter::once(0)) {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
    fn hex(self) -> String {
        format!("{:016x}", self.0)
    }
}

/// The files below `dir` and their bytes.
fn tree_size(dir: &Path) -> (u64, u64) {
    let mut files = 0;
    let mut bytes = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let Ok(kind) = e.file_type() else { continue };
            if kind.is_dir() {
                stack.push(e.path());
            } else if kind.is_file() {
                files += 1;
                bytes += e.metadata().map(|m| m.len()).unwrap_or(0);
            }
        }
    }
    (files, bytes)
}

impl Store {
    /// Fills `temp.sync_ids` with the runs named, or with every run of the experiments named
    /// (all when none is).
    fn sync_select(&self, run_ids: Option<&[String]>, experiments: &[String]) -> Result<()> {
        let conn = self.conn();
        conn.execute_batch(
            "CREATE TEMP TABLE IF NOT EXISTS sync_ids (run_uuid TEXT PRIMARY KEY);
             DELETE FROM temp.sync_ids;",
        )?;
        if let Some(ids) = run_ids {
            let mut put = conn.prepare_cached("INSERT OR IGNORE INTO temp.sync_ids VALUES (?1)")?;
            for id in ids {
                put.execute([id])?;
            }
            return Ok(());
        }
        if experiments.is_empty() {
            conn.execute("INSERT INTO temp.sync_ids SELECT run_uuid FROM runs", [])?;
            return Ok(());
        }
        for name in experiments {
            let id: Option<i64> = conn
                .query_row(
                    "SELECT experiment_id FROM experiments WHERE name = ?1",
                    [name],
                    |r| r.get(0),
                )
                .optional()?;
            let Some(id) = id else {
                return Err(Error::NotFound(Missing::ExperimentNamed(name.clone())));
            };
            conn.execute(
                "INSERT OR IGNORE INTO temp.sync_ids SELECT run_uuid FROM runs WHERE experiment_id = ?1",
                [id],
            )?;
        }
        Ok(())
    }

    /// The local folder of a run's artifacts, from its row.
    fn sync_artifact_dir(
        &self,
        uuid: &str,
        exp_id: i64,
        uri: Option<String>,
        location: Option<String>,
    ) -> PathBuf {
        match uri {
            Some(u) => PathBuf::from(u.strip_prefix("file://").unwrap_or(&u)),
            None => location
                .map(|l| PathBuf::from(l.strip_prefix("file://").unwrap_or(&l).to_string()))
                .unwrap_or_else(|| self.artifact_root().join(exp_id.to_string()))
                .join(uuid)
                .join("artifacts"),
        }
    }

    /// The digests of the runs a request names, by run id.
    pub fn sync_digests(&self, req: &DigestsRequest) -> Result<Vec<RunDigest>> {
        self.sync_select(req.run_ids.as_deref(), &req.experiments)?;
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT r.id, r.run_uuid, e.name, r.name, r.status, r.end_time, r.lifecycle_stage,
                    r.artifact_uri, e.artifact_location, r.experiment_id
             FROM temp.sync_ids s JOIN runs r ON r.run_uuid = s.run_uuid
             JOIN experiments e ON e.experiment_id = r.experiment_id ORDER BY r.id",
        )?;
        let mut out: Vec<RunDigest> = Vec::new();
        let mut at: HashMap<i64, usize> = HashMap::new();
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let pk: i64 = r.get(0)?;
            let uuid: String = r.get(1)?;
            let dir = self.sync_artifact_dir(&uuid, r.get(9)?, r.get(7)?, r.get(8)?);
            let (files, bytes) = tree_size(&dir);
            at.insert(pk, out.len());
            out.push(RunDigest {
                run_id: uuid,
                experiment: r.get(2)?,
                name: r.get(3)?,
                status: r.get(4)?,
                end_time: r.get(5)?,
                lifecycle_stage: r.get(6)?,
                params: Hash::new().hex(),
                tags: Hash::new().hex(),
                metric_points: 0,
                last_metric_time: None,
                files,
                bytes,
            });
        }
        drop(rows);
        for (table, is_params) in [("params", true), ("tags", false)] {
            let mut stmt = conn.prepare(&format!(
                "SELECT t.run_id, t.key, t.value FROM {table} t
                 JOIN runs r ON r.id = t.run_id JOIN temp.sync_ids s ON s.run_uuid = r.run_uuid
                 ORDER BY t.run_id, t.key"
            ))?;
            let mut rows = stmt.query([])?;
            let mut current: Option<(i64, Hash)> = None;
            let finish = |out: &mut Vec<RunDigest>, c: Option<(i64, Hash)>| {
                if let Some((pk, h)) = c
                    && let Some(i) = at.get(&pk)
                {
                    if is_params {
                        out[*i].params = h.hex();
                    } else {
                        out[*i].tags = h.hex();
                    }
                }
            };
            while let Some(r) = rows.next()? {
                let pk: i64 = r.get(0)?;
                let key: String = r.get(1)?;
                let value: String = r.get(2)?;
                if current.as_ref().map(|c| c.0) != Some(pk) {
                    finish(&mut out, current.take());
                    current = Some((pk, Hash::new()));
                }
                if let Some((_, h)) = current.as_mut() {
                    h.add(&key);
                    h.add(&value);
                }
            }
            finish(&mut out, current);
        }
        // One pass over each run's points: how many, and the last one's time.
        let mut points =
            conn.prepare_cached("SELECT count(*), max(timestamp) FROM metrics WHERE run_id = ?1")?;
        for (pk, i) in &at {
            let (n, last): (i64, Option<i64>) =
                points.query_row([*pk], |r| Ok((r.get(0)?, r.get(1)?)))?;
            out[*i].metric_points = n;
            out[*i].last_metric_time = last;
        }
        Ok(out)
    }

    /// The experiments the given names are, as bundles carry them.
    fn sync_experiment_infos(&self, names: &[String]) -> Result<Vec<ExperimentInfo>> {
        let conn = self.conn();
        let mut out = Vec::new();
        for name in names {
            let row: Option<(i64, String, i64)> = conn
                .query_row(
                    "SELECT experiment_id, lifecycle_stage, creation_time FROM experiments WHERE name = ?1",
                    [name],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            let Some((id, stage, created)) = row else {
                continue;
            };
            let mut stmt = conn.prepare_cached(
                "SELECT key, value FROM experiment_tags WHERE experiment_id = ?1 ORDER BY key",
            )?;
            let tags = stmt
                .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            out.push(ExperimentInfo {
                experiment_id: id.to_string(),
                name: name.clone(),
                lifecycle_stage: stage,
                creation_time: created,
                tags,
            });
        }
        Ok(out)
    }

    /// The runs named, whole, with the experiments they belong to (runs this store lacks are
    /// left out).
    pub fn sync_export(&self, run_ids: &[String]) -> Result<Bundles> {
        self.sync_select(Some(run_ids), &[])?;
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT r.id, r.run_uuid, e.name, r.name, r.user_id, r.status, r.start_time,
                    r.end_time, r.lifecycle_stage, r.deleted_time
             FROM temp.sync_ids s JOIN runs r ON r.run_uuid = s.run_uuid
             JOIN experiments e ON e.experiment_id = r.experiment_id ORDER BY r.run_uuid",
        )?;
        let mut runs: Vec<(i64, RunBundle)> = stmt
            .query_map([], |r| {
                Ok((
                    r.get(0)?,
                    RunBundle {
                        run_id: r.get(1)?,
                        experiment: r.get(2)?,
                        name: r.get(3)?,
                        user_id: r.get(4)?,
                        status: r.get(5)?,
                        start_time: r.get(6)?,
                        end_time: r.get(7)?,
                        lifecycle_stage: r.get(8)?,
                        deleted_time: r.get(9)?,
                        params: Vec::new(),
                        tags: Vec::new(),
                        metrics: Vec::new(),
                    },
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut params = conn.prepare_cached("SELECT key, value FROM params WHERE run_id = ?1")?;
        let mut tag_rows = conn.prepare_cached("SELECT key, value FROM tags WHERE run_id = ?1")?;
        let mut points = conn.prepare_cached(
            "SELECT key, step, timestamp, value, is_nan FROM metrics WHERE run_id = ?1
             ORDER BY key, step, timestamp",
        )?;
        for (pk, b) in &mut runs {
            b.params = params
                .query_map([*pk], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            b.tags = tag_rows
                .query_map([*pk], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            let mut rows = points.query([*pk])?;
            while let Some(r) = rows.next()? {
                let key = r
                    .get_ref(0)?
                    .as_str()
                    .map_err(|e| Error::Database(Box::new(e)))?;
                if b.metrics.last().is_none_or(|s| s.key != key) {
                    b.metrics.push(Series::new(key));
                }
                let value: f64 = if r.get::<_, bool>(4)? {
                    f64::NAN
                } else {
                    r.get(3)?
                };
                if let Some(s) = b.metrics.last_mut() {
                    s.push(r.get(1)?, r.get(2)?, value);
                }
            }
        }
        let mut names: Vec<String> = runs.iter().map(|(_, b)| b.experiment.clone()).collect();
        names.sort();
        names.dedup();
        Ok(Bundles {
            experiments: self.sync_experiment_infos(&names)?,
            runs: runs.into_iter().map(|(_, b)| b).collect(),
        })
    }

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
        if !crate::tracking::ids::is_run_id(&b.run_id) {
            return Err(Error::Invalid(format!(
                "`{}` is not a run id (32 lowercase hex characters)",
                b.run_id
            )));
        }
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

type Existing = (i64, String, String, Option<i64>, String, Option<i64>, i64);

fn merge_run(tx: &Connection, exp: i64, b: &RunBundle, report: &mut MergeReport) -> Result<()> {
    let existing: Option<Existing> = tx
        .query_row(
            "SELECT id, name, status, end_time, lifecycle_stage, deleted_time,
                    max(start_time, COALESCE(end_time, start_time),
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
