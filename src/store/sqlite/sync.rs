//! `mlf push` and `mlf pull` on a store directory: the digests of runs (what tells two copies
//! apart), and runs read whole as bundles. Merging bundles in is `sync_merge.rs`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rusqlite::OptionalExtension;

use super::Store;
use crate::protocol::sync::{
    Bundles, DigestsRequest, ExperimentInfo, RunBundle, RunDigest, Series,
};
use crate::store::{Error, Missing, Result};

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
}
