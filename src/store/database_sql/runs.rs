//! Runs: create, read back in MLflow's shape, resolve by id, prefix or name, search, end,
//! delete and restore.
//!
//! Written once for both database stores: `postgres/runs.rs` and `mysql/runs.rs` expand
//! [`queries`] with their own client in scope (`GenericClient`, `Row`, `Transaction`);
//! the statements are PostgreSQL's, which the MySQL client translates (`mysql/sql.rs`).

/// The items of `runs` for the database store type `$store`.
macro_rules! queries {
    ($store:ident) => {
        use std::collections::HashMap;
        use std::path::PathBuf;

        use super::filter::{Fragment, Param};
        use super::view_sql;
        use crate::store::{Error, Fix, LogBatch, Missing, NewRun, Result, RunPage, RunQuery};
        use crate::tracking::ids::{new_run_id, new_run_name, now_ms};
        use crate::tracking::validation::validate_run_name;
        use crate::tracking::{KeyValue, LifecycleStage, Owner, Run, RunData, RunInfo, RunStatus, tags};

        /// A page token: the offset, and the newest run that existed when the first page was read, so
        /// that runs created meanwhile do not shift the pages (the SQLite store's format).
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

        const INFO_COLUMNS: &str = "r.id, r.run_uuid, r.name, r.experiment_id, r.user_id, r.status, \
            r.start_time, r.end_time, r.lifecycle_stage, r.artifact_uri, r.owner_pid, r.owner_host, \
            e.artifact_location";

        pub(super) fn metric_from(r: &Row, at: usize) -> crate::tracking::Metric {
            let is_nan: bool = r.get(at + 4);
            crate::tracking::Metric {
                key: r.get(at),
                value: if is_nan { f64::NAN } else { r.get(at + 1) },
                timestamp: r.get(at + 2),
                step: r.get(at + 3),
            }
        }

        pub(super) fn deleted_run(uuid: &str) -> Error {
            Error::InvalidState(format!("run `{uuid}` is deleted")).with_fix(Fix::RestoreRun {
                id: uuid[..uuid.len().min(8)].to_string(),
            })
        }

        /// Internal key and lifecycle stage of a run, for writers.
        pub(super) fn run_key(
            tx: &mut impl GenericClient,
            uuid: &str,
        ) -> Result<(i64, LifecycleStage)> {
            tx.query_opt(
                "SELECT id, lifecycle_stage FROM runs WHERE run_uuid = $1",
                &[&uuid],
            )?
            .map(|r| (r.get(0), LifecycleStage::parse(&r.get::<_, String>(1))))
            .ok_or_else(|| Error::NotFound(Missing::Run(uuid.to_string())))
        }

        impl $store {
            fn run_from_row(&self, row: &Row) -> (i64, Run) {
                let uuid: String = row.get(1);
                let exp_id: i64 = row.get(3);
                let artifact_uri: Option<String> = row.get(9);
                let exp_location: Option<String> = row.get(12);
                let artifact_uri = artifact_uri.unwrap_or_else(|| {
                    let base = exp_location
                        .map(PathBuf::from)
                        .unwrap_or_else(|| self.artifact_root().join(exp_id.to_string()));
                    base.join(&uuid).join("artifacts").display().to_string()
                });
                let status: String = row.get(5);
                let pid: Option<i64> = row.get(10);
                let host: Option<String> = row.get(11);
                let info = RunInfo {
                    run_id: uuid.clone(),
                    run_uuid: uuid,
                    run_name: row.get(2),
                    experiment_id: exp_id.to_string(),
                    user_id: row.get(4),
                    status: RunStatus::parse(&status).unwrap_or(RunStatus::Running),
                    start_time: row.get(6),
                    end_time: row.get(7),
                    artifact_uri,
                    lifecycle_stage: LifecycleStage::parse(&row.get::<_, String>(8)),
                };
                let owner = pid.zip(host).map(|(pid, host)| Owner {
                    pid: pid as u32,
                    host,
                });
                (
                    row.get(0),
                    Run {
                        info,
                        data: RunData::default(),
                        inputs: Default::default(),
                        outputs: Default::default(),
                        owner,
                    },
                )
            }

            /// Creates a RUNNING run in an active experiment.
            pub fn create_run(&self, new: NewRun) -> Result<Run> {
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
                let batch = LogBatch {
                    params: new.params.clone(),
                    tags: all_tags,
                    metrics: Vec::new(),
                };
                let batch = batch.validated(self.truncate_long_values)?;
                let exp_id: i64 = exp.experiment_id.parse().unwrap_or(-1);
                let pid = new.owner.as_ref().map(|o| i64::from(o.pid));
                let host = new.owner.as_ref().map(|o| o.host.as_str());
                let active_key = self.active_key();
                self.write(|tx| {
                    if new.make_active {
                        let active = tx.query_opt(
                            "SELECT r.run_uuid, r.name FROM state s JOIN runs r ON r.run_uuid = s.value
                             WHERE s.key = $1 AND r.status = 'RUNNING' AND r.lifecycle_stage = 'active'
                             FOR UPDATE OF s",
                            &[&active_key],
                        )?;
                        if let Some(row) = active {
                            let (id, name): (String, String) = (row.get(0), row.get(1));
                            return Err(Error::InvalidState(format!(
                                "run {name} ({}) is still active",
                                &id[..8]
                            ))
                            .with_fix(Fix::EndActiveRun));
                        }
                    }
                    let pk = tx.insert_id(
                        "INSERT INTO runs (run_uuid, name, experiment_id, user_id, status, start_time,
                                           lifecycle_stage, owner_pid, owner_host)
                         VALUES ($1, $2, $3, $4, 'RUNNING', $5, 'active', $6, $7) RETURNING id",
                        &[&uuid, &name, &exp_id, &new.user, &now, &pid, &host],
                    )?;
                    if new.make_active {
                        tx.execute(
                            "INSERT INTO state (key, value) VALUES ($1, $2)
                             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                            &[&active_key, &uuid],
                        )?;
                    }
                    super::logging::write_batch(self, tx, pk, &uuid, &batch.0)
                })?;
                self.run(&uuid)
            }

            /// The run with this full id, with params, tags and latest metrics.
            pub fn run(&self, uuid: &str) -> Result<Run> {
                let row = self.client().query_opt(
                    &format!(
                        "SELECT {INFO_COLUMNS} FROM runs r JOIN experiments e USING (experiment_id)
                         WHERE r.run_uuid = $1"
                    ),
                    &[&uuid],
                )?;
                let row = row.ok_or_else(|| Error::NotFound(Missing::Run(uuid.to_string())))?;
                let mut runs = self.fill_data(vec![self.run_from_row(&row)])?;
                Ok(runs.remove(0))
            }

            /// Fills params, tags and latest metrics of runs.
            fn fill_data(&self, runs: Vec<(i64, Run)>) -> Result<Vec<Run>> {
                let mut index: HashMap<i64, usize> = HashMap::with_capacity(runs.len());
                let mut out: Vec<Run> = Vec::with_capacity(runs.len());
                let mut pks = Vec::with_capacity(runs.len());
                for (pk, run) in runs {
                    index.insert(pk, out.len());
                    pks.push(pk);
                    out.push(run);
                }
                let mut client = self.client();
                for table in ["params", "tags"] {
                    let rows = client.query(
                        &format!(
                            "SELECT run_id, key, value FROM {table} WHERE run_id = ANY($1) ORDER BY run_id, key"
                        ),
                        &[&pks],
                    )?;
                    for r in rows {
                        if let Some(&i) = index.get(&r.get(0)) {
                            let kv = KeyValue {
                                key: r.get(1),
                                value: r.get(2),
                            };
                            if table == "params" {
                                out[i].data.params.push(kv);
                            } else {
                                out[i].data.tags.push(kv);
                            }
                        }
                    }
                }
                let rows = client.query(
                    "SELECT run_id, key, value, timestamp, step, is_nan FROM latest_metrics
                     WHERE run_id = ANY($1) ORDER BY run_id, key",
                    &[&pks],
                )?;
                for r in rows {
                    if let Some(&i) = index.get(&r.get(0)) {
                        out[i].data.metrics.push(metric_from(&r, 1));
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
                        let max: Option<i64> = self
                            .client()
                            .query_one("SELECT MAX(id) FROM runs", &[])?
                            .get(0);
                        (0, max.unwrap_or(0))
                    }
                };
                let mut f = Fragment::default();
                let order = super::filter::order_by(&q.order_by, &root, &mut f);
                let joins = std::mem::take(&mut f.sql);
                let max = f.bind(Param::Int(max_id));
                let mut cond = vec![
                    view_sql(q.view, "r.lifecycle_stage"),
                    format!("r.id <= {max}"),
                ];
                if !q.experiment_ids.is_empty() {
                    let mut marks = Vec::new();
                    for id in &q.experiment_ids {
                        let id = id
                            .parse::<i64>()
                            .map_err(|_| Error::Invalid(format!("invalid experiment id `{id}`")))?;
                        marks.push(f.bind(Param::Int(id)));
                    }
                    cond.push(format!("r.experiment_id IN ({})", marks.join(",")));
                }
                if let Some(filter) = &q.filter {
                    super::filter::compile(filter, &root, &mut f);
                    cond.push(std::mem::take(&mut f.sql));
                }
                // One more row than asked tells whether another page exists.
                let limit = match q.max_results {
                    Some(n) => format!(" LIMIT {} OFFSET {offset}", n + 1),
                    None => format!(" LIMIT ALL OFFSET {offset}"),
                };
                let sql = format!(
                    "SELECT {INFO_COLUMNS} FROM runs r JOIN experiments e USING (experiment_id){joins}
                     WHERE {} ORDER BY {order}{limit}",
                    cond.join(" AND ")
                );
                let rows = self.client().query(&sql, &f.args())?;
                let mut runs: Vec<(i64, Run)> = rows.iter().map(|r| self.run_from_row(r)).collect();
                let mut next_page_token = None;
                if let Some(n) = q.max_results
                    && runs.len() > n
                {
                    runs.truncate(n);
                    next_page_token = Some(encode_token(offset + n, max_id));
                }
                Ok(RunPage {
                    runs: self.fill_data(runs)?,
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
                let mut client = self.client();
                if let Some(r) =
                    client.query_opt("SELECT run_uuid FROM runs WHERE run_uuid = $1", &[&spec])?
                {
                    return Ok(r.get(0));
                }
                let mut candidates: Vec<(String, String)> = Vec::new();
                let is_hex =
                    spec.len() >= 4 && spec.len() < 32 && spec.bytes().all(|b| b.is_ascii_hexdigit());
                if is_hex {
                    let lower = spec.to_ascii_lowercase();
                    let upper = format!("{lower}g");
                    for r in client.query(
                        "SELECT run_uuid, name FROM runs WHERE run_uuid >= $1 AND run_uuid < $2 LIMIT 10",
                        &[&lower, &upper],
                    )? {
                        candidates.push((r.get(0), r.get(1)));
                    }
                }
                let experiment: Option<i64> = experiment.map(|e| e.parse().unwrap_or(-1));
                for r in client.query(
                    "SELECT run_uuid, name FROM runs WHERE name = $1
                     AND ($2::BIGINT IS NULL OR experiment_id = $2) LIMIT 10",
                    &[&spec, &experiment],
                )? {
                    let row = (r.get(0), r.get(1));
                    if !candidates.contains(&row) {
                        candidates.push(row);
                    }
                }
                crate::store::pick_run(spec, candidates)
            }

            /// Ends a run (or changes its status); without `end_time` the run keeps the one it has.
            pub fn update_run(&self, uuid: &str, status: RunStatus, end_time: Option<i64>) -> Result<()> {
                self.write(|tx| {
                    let (pk, stage) = run_key(tx, uuid)?;
                    if stage == LifecycleStage::Deleted {
                        return Err(deleted_run(uuid));
                    }
                    tx.execute(
                        "UPDATE runs SET status = $1, end_time = COALESCE($2, end_time) WHERE id = $3",
                        &[&status.as_str(), &end_time, &pk],
                    )?;
                    Ok(())
                })
            }

            /// Sets the lifecycle stage of runs, all or none.
            pub fn set_runs_stage(&self, uuids: &[String], stage: LifecycleStage) -> Result<()> {
                let now = now_ms();
                self.write(|tx| {
                    for uuid in uuids {
                        let (pk, current) = run_key(tx, uuid)?;
                        if current == stage {
                            let state = if stage == LifecycleStage::Deleted {
                                "already deleted"
                            } else {
                                "not deleted"
                            };
                            return Err(Error::InvalidState(format!("run `{uuid}` is {state}")));
                        }
                        if stage == LifecycleStage::Active {
                            let exp_stage: String = tx
                                .query_one(
                                    "SELECT e.lifecycle_stage FROM runs r JOIN experiments e USING (experiment_id) WHERE r.id = $1",
                                    &[&pk],
                                )?
                                .get(0);
                            if exp_stage == "deleted" {
                                return Err(Error::InvalidState(format!(
                                    "run `{uuid}` belongs to a deleted experiment"
                                ))
                                .with_fix(Fix::RestoreRunsExperiment));
                            }
                        }
                        let deleted_time = (stage == LifecycleStage::Deleted).then_some(now);
                        tx.execute(
                            "UPDATE runs SET lifecycle_stage = $1, deleted_time = $2 WHERE id = $3",
                            &[&stage.as_str(), &deleted_time, &pk],
                        )?;
                    }
                    Ok(())
                })
            }

            /// The newest active runs: (id, name), for completion.
            pub fn recent_runs(&self, limit: usize) -> Result<Vec<(String, String)>> {
                let rows = self.client().query(
                    "SELECT run_uuid, name FROM runs WHERE lifecycle_stage = 'active' ORDER BY start_time DESC LIMIT $1",
                    &[&(limit.min(i64::MAX as usize) as i64)],
                )?;
                Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
            }

            /// Every key used in `latest_metrics`, `params` or `tags`, for completion.
            pub fn distinct_keys(&self, table: &str) -> Result<Vec<String>> {
                let table = match table {
                    "latest_metrics" | "params" | "tags" => table,
                    _ => return Ok(Vec::new()),
                };
                let rows = self.client().query(
                    &format!("SELECT DISTINCT key FROM {table} ORDER BY key"),
                    &[],
                )?;
                Ok(rows.iter().map(|r| r.get(0)).collect())
            }

            /// Number of active runs per experiment id.
            pub fn run_counts(&self) -> Result<HashMap<String, usize>> {
                let rows = self.client().query(
                    "SELECT experiment_id, COUNT(*) FROM runs WHERE lifecycle_stage = 'active' GROUP BY experiment_id",
                    &[],
                )?;
                Ok(rows
                    .iter()
                    .map(|r| (r.get::<_, i64>(0).to_string(), r.get::<_, i64>(1) as usize))
                    .collect())
            }

            /// The whole history of one metric of a run, by step then timestamp.
            pub fn metric_history(&self, uuid: &str, key: &str) -> Result<Vec<crate::tracking::Metric>> {
                let mut client = self.client();
                let (pk, _) = run_key(&mut *client, uuid)?;
                let rows = client.query(
                    "SELECT key, value, timestamp, step, is_nan FROM metrics
                     WHERE run_id = $1 AND key = $2 ORDER BY step, timestamp",
                    &[&pk, &key],
                )?;
                Ok(rows.iter().map(|r| metric_from(r, 0)).collect())
            }
        }
    };
}
pub(crate) use queries;
