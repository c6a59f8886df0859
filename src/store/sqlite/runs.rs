//! Runs: create, read back in MLflow's shape, resolve by id, prefix or name, list, end,
//! delete and restore.

use std::collections::HashMap;
use std::path::PathBuf;

use rusqlite::{OptionalExtension, Row, params, params_from_iter};

use super::Store;
use super::history::metric_from;
use crate::search::{Expr, OrderKey};
use crate::store::{Error, Fix, Missing, Result};
use crate::tracking::ids::{new_run_id, new_run_name, now_ms};
use crate::tracking::validation::validate_run_name;
use crate::tracking::{
    KeyValue, LifecycleStage, Owner, Run, RunData, RunInfo, RunStatus, ViewType, tags,
};

/// What a new run starts with.
#[derive(Debug, Default)]
pub struct NewRun {
    pub experiment_id: String,
    pub name: Option<String>,
    pub user: String,
    pub tags: Vec<KeyValue>,
    pub params: Vec<KeyValue>,
    pub owner: Option<Owner>,
    /// Make it the store's active run, refusing while another active run is RUNNING (checked
    /// and set in the same transaction as the creation, so concurrent starts cannot both win).
    pub make_active: bool,
    /// Start time (ms) [default: now].
    pub start_time: Option<i64>,
}

/// Which runs a search returns, in which order, and which page of them.
#[derive(Debug, Clone)]
pub struct RunQuery {
    /// Experiment ids; empty means every experiment the view admits.
    pub experiment_ids: Vec<String>,
    pub view: ViewType,
    pub filter: Option<Expr>,
    pub order_by: Vec<OrderKey>,
    pub max_results: Option<usize>,
    /// Token from a previous page's `next_page_token`.
    pub page_token: Option<String>,
}

impl Default for RunQuery {
    fn default() -> Self {
        RunQuery {
            experiment_ids: Vec::new(),
            view: ViewType::ActiveOnly,
            filter: None,
            order_by: Vec::new(),
            max_results: None,
            page_token: None,
        }
    }
}

/// One page of a search.
#[derive(Debug)]
pub struct RunPage {
    pub runs: Vec<Run>,
    /// Present when more runs remain; pass it back as `page_token`.
    pub next_page_token: Option<String>,
}

/// A page token: the offset, and the newest run that existed when the first page was read, so
/// that runs created meanwhile do not shift the pages.
fn encode_token(offset: usize, max_id: i64) -> String {
    format!("{offset:x}-{max_id:x}")
}

fn decode_token(token: &str) -> Result<(usize, i64)> {
    let bad = || {
        Error::Invalid(format!(
            "invalid page token `{token}`: pass the token a previous page returned"
        ))
    };
    let (a, b) = token.split_once('-').ok_or_else(bad)?;
    Ok((
        usize::from_str_radix(a, 16).map_err(|_| bad())?,
        i64::from_str_radix(b, 16).map_err(|_| bad())?,
    ))
}

pub(super) const INFO_COLUMNS: &str = "r.id, r.run_uuid, r.name, r.experiment_id, r.user_id, r.status, \
    r.start_time, r.end_time, r.lifecycle_stage, r.artifact_uri, r.owner_pid, r.owner_host, \
    e.artifact_location";

impl Store {
    pub(super) fn run_from_row(&self, row: &Row) -> rusqlite::Result<(i64, Run)> {
        let uuid: String = row.get(1)?;
        let exp_id: i64 = row.get(3)?;
        let artifact_uri: Option<String> = row.get(9)?;
        let exp_location: Option<String> = row.get(12)?;
        let artifact_uri = artifact_uri.unwrap_or_else(|| {
            let base = exp_location
                .map(PathBuf::from)
                .unwrap_or_else(|| self.artifact_root().join(exp_id.to_string()));
            base.join(&uuid).join("artifacts").display().to_string()
        });
        let status: String = row.get(5)?;
        let pid: Option<u32> = row.get(10)?;
        let host: Option<String> = row.get(11)?;
        let info = RunInfo {
            run_id: uuid.clone(),
            run_uuid: uuid,
            run_name: row.get(2)?,
            experiment_id: exp_id.to_string(),
            user_id: row.get(4)?,
            status: RunStatus::parse(&status).unwrap_or(RunStatus::Running),
            start_time: row.get(6)?,
            end_time: row.get(7)?,
            artifact_uri,
            lifecycle_stage: LifecycleStage::parse(&row.get::<_, String>(8)?),
        };
        let owner = pid.zip(host).map(|(pid, host)| Owner { pid, host });
        Ok((
            row.get(0)?,
            Run {
                info,
                data: RunData::default(),
                inputs: Default::default(),
                outputs: Default::default(),
                owner,
            },
        ))
    }

    /// Creates a RUNNING run in an active experiment.
    pub fn create_run(&mut self, new: NewRun) -> Result<Run> {
        let exp = self.experiment(&new.experiment_id)?;
        if exp.lifecycle_stage == LifecycleStage::Deleted {
            return Err(
                Error::InvalidState(format!("experiment `{}` is deleted", exp.name)).with_fix(
                    Fix::RestoreExperiment {
                        id: Some(exp.experiment_id),
                        then_retry: false,
                    },
                ),
            );
        }
        // The tag `mlflow.runName` names the run too; given both, they must agree (as MLflow).
        let tag_name = new
            .tags
            .iter()
            .rev()
            .find(|t| t.key == tags::RUN_NAME)
            .map(|t| &t.value);
        let name = match (&new.name, tag_name) {
            (Some(n), Some(t)) if n != t => {
                return Err(Error::Invalid(format!(
                    "the run name `{n}` and the tag {} `{t}` differ: give one of them, or the same in both",
                    tags::RUN_NAME
                )));
            }
            (Some(n), _) | (None, Some(n)) => {
                validate_run_name(n)?;
                n.clone()
            }
            (None, None) => new_run_name(),
        };
        let uuid = new_run_id();
        let now = new.start_time.unwrap_or_else(now_ms);
        let mut all_tags = vec![KeyValue {
            key: tags::RUN_NAME.into(),
            value: name.clone(),
        }];
        if !new.user.is_empty() {
            all_tags.push(KeyValue {
                key: tags::USER.into(),
                value: new.user.clone(),
            });
        }
        all_tags.extend(new.tags.iter().cloned());
        let batch = crate::store::LogBatch {
            params: new.params.clone(),
            tags: all_tags,
            metrics: Vec::new(),
        };
        let truncate = self.truncate_long_values;
        let batch = batch.validated(truncate)?;
        self.write(|tx| {
            if new.make_active {
                let active: Option<(String, String)> = tx
                    .query_row(
                        "SELECT r.run_uuid, r.name FROM state s JOIN runs r ON r.run_uuid = s.value
                         WHERE s.key = ?1 AND r.status = 'RUNNING' AND r.lifecycle_stage = 'active'",
                        [crate::store::ACTIVE_RUN],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .optional()?;
                if let Some((id, name)) = active {
                    return Err(Error::InvalidState(format!(
                        "run {name} ({}) is still active",
                        &id[..8]
                    ))
                    .with_fix(Fix::EndActiveRun));
                }
            }
            tx.execute(
                "INSERT INTO runs (run_uuid, name, experiment_id, user_id, status, start_time,
                                   lifecycle_stage, owner_pid, owner_host)
                 VALUES (?1, ?2, ?3, ?4, 'RUNNING', ?5, 'active', ?6, ?7)",
                params![
                    uuid,
                    name,
                    exp.experiment_id,
                    new.user,
                    now,
                    new.owner.as_ref().map(|o| o.pid),
                    new.owner.as_ref().map(|o| o.host.as_str())
                ],
            )?;
            let pk = tx.last_insert_rowid();
            if new.make_active {
                tx.execute(
                    "INSERT INTO state (key, value) VALUES (?1, ?2)
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (crate::store::ACTIVE_RUN, &uuid),
                )?;
            }
            super::logging::write_batch(tx, pk, &uuid, &batch.0)
        })?;
        self.run(&uuid)
    }

    /// The run with this full id, with params, tags and latest metrics.
    pub fn run(&self, uuid: &str) -> Result<Run> {
        let found = self
            .conn()
            .query_row(
                &format!(
                    "SELECT {INFO_COLUMNS} FROM runs r JOIN experiments e USING (experiment_id)
                     WHERE r.run_uuid = ?1"
                ),
                [uuid],
                |r| self.run_from_row(r),
            )
            .optional()?;
        let (pk, run) = found.ok_or_else(|| Error::NotFound(Missing::Run(uuid.to_string())))?;
        let mut runs = self.fill_data(vec![(pk, run)], &pk.to_string())?;
        Ok(runs.remove(0))
    }

    /// Internal key and lifecycle stage of a run, for writers.
    pub(crate) fn run_key(tx: &rusqlite::Connection, uuid: &str) -> Result<(i64, LifecycleStage)> {
        tx.prepare_cached("SELECT id, lifecycle_stage FROM runs WHERE run_uuid = ?1")?
            .query_row([uuid], |r| {
                Ok((r.get(0)?, LifecycleStage::parse(&r.get::<_, String>(1)?)))
            })
            .optional()?
            .ok_or_else(|| Error::NotFound(Missing::Run(uuid.to_string())))
    }

    /// Fills params, tags and latest metrics of runs selected by `pk_set` (a SQL set of ids).
    fn fill_data(&self, runs: Vec<(i64, Run)>, pk_set: &str) -> Result<Vec<Run>> {
        let mut index: HashMap<i64, usize> = HashMap::with_capacity(runs.len());
        let mut out: Vec<Run> = Vec::with_capacity(runs.len());
        for (pk, run) in runs {
            index.insert(pk, out.len());
            out.push(run);
        }
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT run_id, key, value FROM params WHERE run_id IN ({pk_set}) ORDER BY run_id, key"
        ))?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            if let Some(&i) = index.get(&r.get(0)?) {
                out[i].data.params.push(KeyValue {
                    key: r.get(1)?,
                    value: r.get(2)?,
                });
            }
        }
        let mut stmt = conn.prepare(&format!(
            "SELECT run_id, key, value FROM tags WHERE run_id IN ({pk_set}) ORDER BY run_id, key"
        ))?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            if let Some(&i) = index.get(&r.get(0)?) {
                out[i].data.tags.push(KeyValue {
                    key: r.get(1)?,
                    value: r.get(2)?,
                });
            }
        }
        let mut stmt = conn.prepare(&format!(
            "SELECT run_id, key, value, timestamp, step, is_nan FROM latest_metrics
             WHERE run_id IN ({pk_set}) ORDER BY run_id, key"
        ))?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            if let Some(&i) = index.get(&r.get(0)?) {
                out[i].data.metrics.push(metric_from(r, 1)?);
            }
        }
        Ok(out)
    }

    /// Runs matching a query, newest first unless ordered otherwise.
    pub fn search_runs(&self, q: &RunQuery) -> Result<RunPage> {
        if q.max_results == Some(0) {
            return Err(Error::Invalid("max_results must be 1 or more".into()));
        }
        let root = self.artifact_root().display().to_string();
        let (offset, max_id) = match &q.page_token {
            Some(t) => decode_token(t)?,
            None => {
                let max: Option<i64> =
                    self.conn()
                        .query_row("SELECT MAX(id) FROM runs", [], |r| r.get(0))?;
                (0, max.unwrap_or(0))
            }
        };
        let (joins, order) = super::filter::order_by(&q.order_by, &root);
        let mut params: Vec<rusqlite::types::Value> = joins.params;
        // `+r.id`: the page bound must not stop SQLite from walking the start-time index.
        let mut cond = vec![q.view.sql("r.lifecycle_stage"), "+r.id <= ?".to_string()];
        params.push(max_id.into());
        if !q.experiment_ids.is_empty() {
            for id in &q.experiment_ids {
                let id = id
                    .parse::<i64>()
                    .map_err(|_| Error::Invalid(format!("invalid experiment id `{id}`")))?;
                params.push(id.into());
            }
            cond.push(format!(
                "r.experiment_id IN ({})",
                vec!["?"; q.experiment_ids.len()].join(",")
            ));
        }
        if let Some(filter) = &q.filter {
            let f = super::filter::compile(filter, &root);
            cond.push(f.sql);
            params.extend(f.params);
        }
        // One more row than asked tells whether another page exists.
        let limit = match q.max_results {
            Some(n) => format!(" LIMIT {} OFFSET {offset}", n + 1),
            None => format!(" LIMIT -1 OFFSET {offset}"),
        };
        let sql = format!(
            "SELECT {INFO_COLUMNS} FROM runs r JOIN experiments e USING (experiment_id){}
             WHERE {} ORDER BY {order}{limit}",
            joins.sql,
            cond.join(" AND ")
        );
        let mut stmt = self.conn().prepare(&sql)?;
        let mut runs = stmt
            .query_map(params_from_iter(params.iter()), |r| self.run_from_row(r))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut next_page_token = None;
        if let Some(n) = q.max_results {
            if runs.len() > n {
                runs.truncate(n);
                next_page_token = Some(encode_token(offset + n, max_id));
            }
        }
        if runs.is_empty() {
            return Ok(RunPage {
                runs: Vec::new(),
                next_page_token,
            });
        }
        let pk_set = runs
            .iter()
            .map(|(pk, _)| pk.to_string())
            .collect::<Vec<_>>()
            .join(",");
        Ok(RunPage {
            runs: self.fill_data(runs, &pk_set)?,
            next_page_token,
        })
    }

    /// Resolves a run named by full id, unique id prefix (4+ hex characters) or unique name.
    /// `experiment` narrows name matches to one experiment.
    pub fn resolve_run(&self, spec: &str, experiment: Option<&str>) -> Result<String> {
        let spec = spec.trim();
        let lowered = spec.to_ascii_lowercase();
        let spec = if crate::tracking::ids::is_run_id(&lowered) {
            lowered.as_str()
        } else {
            spec
        };
        if spec.is_empty() {
            return Err(Error::Invalid(
                "run is empty: give a run id, id prefix or name".into(),
            ));
        }
        let conn = self.conn();
        let exact: Option<String> = conn
            .query_row(
                "SELECT run_uuid FROM runs WHERE run_uuid = ?1",
                [spec],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(id) = exact {
            return Ok(id);
        }
        let mut candidates: Vec<(String, String)> = Vec::new();
        let is_hex =
            spec.len() >= 4 && spec.len() < 32 && spec.bytes().all(|b| b.is_ascii_hexdigit());
        if is_hex {
            let lower = spec.to_ascii_lowercase();
            let mut stmt = conn.prepare_cached(
                "SELECT run_uuid, name FROM runs WHERE run_uuid >= ?1 AND run_uuid < ?1 || 'g' LIMIT 10",
            )?;
            for row in stmt.query_map([&lower], |r| Ok((r.get(0)?, r.get(1)?)))? {
                candidates.push(row?);
            }
        }
        let mut stmt = conn.prepare_cached(
            "SELECT run_uuid, name FROM runs WHERE name = ?1 AND (?2 IS NULL OR experiment_id = ?2) LIMIT 10",
        )?;
        for row in stmt.query_map(params![spec, experiment], |r| Ok((r.get(0)?, r.get(1)?)))? {
            let row = row?;
            if !candidates.contains(&row) {
                candidates.push(row);
            }
        }
        crate::store::pick_run(spec, candidates)
    }

    /// Ends a run (or changes its status); without `end_time` the run keeps the one it has
    /// (as MLflow's `update_run_info`). The run must be active (not deleted).
    pub fn update_run(
        &mut self,
        uuid: &str,
        status: RunStatus,
        end_time: Option<i64>,
    ) -> Result<()> {
        self.write(|tx| {
            let (pk, stage) = Store::run_key(tx, uuid)?;
            if stage == LifecycleStage::Deleted {
                return Err(deleted_run(uuid));
            }
            tx.execute(
                "UPDATE runs SET status = ?1, end_time = COALESCE(?2, end_time) WHERE id = ?3",
                params![status.as_str(), end_time, pk],
            )?;
            Ok(())
        })
    }

    /// Soft-deletes runs, all or none.
    pub fn delete_runs(&mut self, uuids: &[String]) -> Result<()> {
        self.set_runs_stage(uuids, LifecycleStage::Deleted)
    }

    /// Restores deleted runs (their experiments must be active), all or none.
    pub fn restore_runs(&mut self, uuids: &[String]) -> Result<()> {
        self.set_runs_stage(uuids, LifecycleStage::Active)
    }

    fn set_runs_stage(&mut self, uuids: &[String], stage: LifecycleStage) -> Result<()> {
        let now = now_ms();
        self.write(|tx| {
            for uuid in uuids {
                let (pk, current) = Store::run_key(tx, uuid)?;
                if current == stage {
                    let state = if stage == LifecycleStage::Deleted { "already deleted" } else { "not deleted" };
                    return Err(Error::InvalidState(format!("run `{uuid}` is {state}")));
                }
                if stage == LifecycleStage::Active {
                    let exp_stage: String = tx.query_row(
                        "SELECT e.lifecycle_stage FROM runs r JOIN experiments e USING (experiment_id) WHERE r.id = ?1",
                        [pk],
                        |r| r.get(0),
                    )?;
                    if exp_stage == "deleted" {
                        return Err(Error::InvalidState(format!(
                            "run `{uuid}` belongs to a deleted experiment"
                        ))
                        .with_fix(Fix::RestoreRunsExperiment));
                    }
                }
                let deleted_time = (stage == LifecycleStage::Deleted).then_some(now);
                tx.execute(
                    "UPDATE runs SET lifecycle_stage = ?1, deleted_time = ?2 WHERE id = ?3",
                    params![stage.as_str(), deleted_time, pk],
                )?;
            }
            Ok(())
        })
    }

    /// The newest active runs: (id, name), for completion.
    pub fn recent_runs(&self, limit: usize) -> Result<Vec<(String, String)>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT run_uuid, name FROM runs WHERE lifecycle_stage = 'active' ORDER BY start_time DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit as i64], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Every key used in `latest_metrics`, `params` or `tags`, for completion.
    pub fn distinct_keys(&self, table: &str) -> Result<Vec<String>> {
        let table = match table {
            "latest_metrics" | "params" | "tags" => table,
            _ => return Ok(Vec::new()),
        };
        let mut stmt = self
            .conn()
            .prepare(&format!("SELECT DISTINCT key FROM {table} ORDER BY key"))?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Number of active runs per experiment id.
    pub fn run_counts(&self) -> Result<HashMap<String, usize>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT experiment_id, COUNT(*) FROM runs WHERE lifecycle_stage = 'active' GROUP BY experiment_id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?.to_string(),
                r.get::<_, i64>(1)? as usize,
            ))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Directory of a run's artifacts (a local path).
    pub fn run_artifact_dir(&self, run: &Run) -> PathBuf {
        PathBuf::from(
            run.info
                .artifact_uri
                .strip_prefix("file://")
                .unwrap_or(&run.info.artifact_uri),
        )
    }

    /// Adds (or replaces) params of a logged model.
    pub fn log_logged_model_params(&mut self, id: &str, params: &[KeyValue]) -> Result<()> {
        self.logged_model(id)?;
        self.write(|tx| {
            for p in params {
                tx.execute(
                    "INSERT OR REPLACE INTO logged_model_params (model_id, key, value) VALUES (?1, ?2, ?3)",
                    params![id, p.key, p.value],
                )?;
            }
            Ok(())
        })
    }
}

pub(crate) fn deleted_run(uuid: &str) -> Error {
    Error::InvalidState(format!("run `{uuid}` is deleted")).with_fix(Fix::RestoreRun {
        id: uuid[..uuid.len().min(8)].to_string(),
    })
}
