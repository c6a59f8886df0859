//! A scratch database in (the needed part of) MLflow's SQL schema, filled from what was read
//! out of an MLflow file store, so that one import path (`mlflow.rs`) serves both kinds of
//! source.

use std::path::Path;

use rusqlite::{Connection, params};

use crate::store::Result;

/// An experiment of an MLflow store.
#[derive(Debug, Clone, Default)]
pub struct MlflowExperiment {
    pub id: i64,
    pub name: String,
    pub artifact_location: String,
    pub lifecycle_stage: String,
    pub creation_time: i64,
    pub last_update_time: i64,
    pub tags: Vec<(String, String)>,
}

/// A run of an MLflow store, with every metric point as (key, timestamp, value, step).
#[derive(Debug, Clone, Default)]
pub struct MlflowRun {
    pub run_id: String,
    pub experiment_id: i64,
    pub name: String,
    pub user_id: String,
    pub status: String,
    pub start_time: i64,
    pub end_time: Option<i64>,
    pub lifecycle_stage: String,
    pub deleted_time: Option<i64>,
    pub artifact_uri: String,
    pub params: Vec<(String, String)>,
    pub tags: Vec<(String, String)>,
    pub metrics: Vec<(String, i64, f64, i64)>,
}

/// A registered model, with its aliases (alias, version).
#[derive(Debug, Clone, Default)]
pub struct MlflowModel {
    pub name: String,
    pub description: String,
    pub creation_time: i64,
    pub last_updated_time: i64,
    pub tags: Vec<(String, String)>,
    pub aliases: Vec<(String, i64)>,
}

/// A model version.
#[derive(Debug, Clone, Default)]
pub struct MlflowVersion {
    pub name: String,
    pub version: i64,
    pub description: String,
    pub user_id: String,
    pub stage: String,
    pub source: String,
    pub run_id: String,
    pub status: String,
    pub creation_time: i64,
    pub last_updated_time: i64,
    pub tags: Vec<(String, String)>,
}

/// An MLflow 3 logged model.
#[derive(Debug, Clone, Default)]
pub struct MlflowLoggedModel {
    pub model_id: String,
    pub experiment_id: i64,
    pub name: String,
    pub artifact_location: String,
    pub creation_time: i64,
    pub last_updated_time: i64,
    pub status: i64,
    pub lifecycle_stage: String,
    pub model_type: String,
    pub source_run_id: String,
    pub status_message: String,
    pub params: Vec<(String, String)>,
    pub tags: Vec<(String, String)>,
}

/// Everything read from an MLflow store.
#[derive(Debug, Clone, Default)]
pub struct MlflowData {
    pub experiments: Vec<MlflowExperiment>,
    pub runs: Vec<MlflowRun>,
    pub models: Vec<MlflowModel>,
    pub versions: Vec<MlflowVersion>,
    pub logged_models: Vec<MlflowLoggedModel>,
}

const SCHEMA: &str = "
CREATE TABLE experiments (experiment_id INTEGER PRIMARY KEY, name TEXT, artifact_location TEXT,
    lifecycle_stage TEXT, creation_time INTEGER, last_update_time INTEGER);
CREATE TABLE experiment_tags (key TEXT, value TEXT, experiment_id INTEGER);
CREATE TABLE runs (run_uuid TEXT PRIMARY KEY, name TEXT, user_id TEXT, status TEXT,
    start_time INTEGER, end_time INTEGER, lifecycle_stage TEXT, artifact_uri TEXT,
    experiment_id INTEGER, deleted_time INTEGER);
CREATE TABLE params (key TEXT, value TEXT, run_uuid TEXT);
CREATE TABLE tags (key TEXT, value TEXT, run_uuid TEXT);
CREATE TABLE metrics (key TEXT, value REAL, timestamp INTEGER, run_uuid TEXT, step INTEGER,
    is_nan INTEGER);
CREATE INDEX metrics_by_run ON metrics (run_uuid);
CREATE TABLE registered_models (name TEXT PRIMARY KEY, creation_time INTEGER,
    last_updated_time INTEGER, description TEXT);
CREATE TABLE registered_model_tags (key TEXT, value TEXT, name TEXT);
CREATE TABLE model_versions (name TEXT, version INTEGER, creation_time INTEGER,
    last_updated_time INTEGER, description TEXT, user_id TEXT, current_stage TEXT, source TEXT,
    run_id TEXT, status TEXT);
CREATE TABLE model_version_tags (key TEXT, value TEXT, name TEXT, version INTEGER);
CREATE TABLE registered_model_aliases (alias TEXT, version INTEGER, name TEXT);
CREATE TABLE logged_models (model_id TEXT PRIMARY KEY, experiment_id INTEGER, name TEXT,
    artifact_location TEXT, creation_timestamp_ms INTEGER, last_updated_timestamp_ms INTEGER,
    status INTEGER, lifecycle_stage TEXT, model_type TEXT, source_run_id TEXT,
    status_message TEXT);
CREATE TABLE logged_model_params (model_id TEXT, experiment_id INTEGER, param_key TEXT,
    param_value TEXT);
CREATE TABLE logged_model_tags (model_id TEXT, experiment_id INTEGER, tag_key TEXT,
    tag_value TEXT);
";

/// Writes `data` into a new database at `path`, in the part of MLflow's schema the import
/// reads.
pub fn write_mlflow_scratch(path: &Path, data: &MlflowData) -> Result<()> {
    let mut conn = Connection::open(path)?;
    conn.execute_batch("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;")?;
    conn.execute_batch(SCHEMA)?;
    let tx = conn.transaction()?;
    for e in &data.experiments {
        tx.execute(
            "INSERT OR IGNORE INTO experiments VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                e.id,
                e.name,
                e.artifact_location,
                e.lifecycle_stage,
                e.creation_time,
                e.last_update_time
            ],
        )?;
        for (k, v) in &e.tags {
            tx.execute(
                "INSERT INTO experiment_tags VALUES (?1, ?2, ?3)",
                params![k, v, e.id],
            )?;
        }
    }
    {
        let mut run = tx.prepare(
            "INSERT OR IGNORE INTO runs VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?;
        let mut param = tx.prepare("INSERT INTO params VALUES (?1, ?2, ?3)")?;
        let mut tag = tx.prepare("INSERT INTO tags VALUES (?1, ?2, ?3)")?;
        let mut metric = tx.prepare("INSERT INTO metrics VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?;
        for r in &data.runs {
            run.execute(params![
                r.run_id,
                r.name,
                r.user_id,
                r.status,
                r.start_time,
                r.end_time,
                r.lifecycle_stage,
                r.artifact_uri,
                r.experiment_id,
                r.deleted_time
            ])?;
            for (k, v) in &r.params {
                param.execute(params![k, v, r.run_id])?;
            }
            for (k, v) in &r.tags {
                tag.execute(params![k, v, r.run_id])?;
            }
            for (k, ts, value, step) in &r.metrics {
                let nan = value.is_nan();
                let value = if nan { 0.0 } else { *value };
                metric.execute(params![k, value, ts, r.run_id, step, nan as i64])?;
            }
        }
    }
    for m in &data.models {
        tx.execute(
            "INSERT OR IGNORE INTO registered_models VALUES (?1, ?2, ?3, ?4)",
            params![m.name, m.creation_time, m.last_updated_time, m.description],
        )?;
        for (k, v) in &m.tags {
            tx.execute(
                "INSERT INTO registered_model_tags VALUES (?1, ?2, ?3)",
                params![k, v, m.name],
            )?;
        }
        for (a, v) in &m.aliases {
            tx.execute(
                "INSERT INTO registered_model_aliases VALUES (?1, ?2, ?3)",
                params![a, v, m.name],
            )?;
        }
    }
    for v in &data.versions {
        tx.execute(
            "INSERT INTO model_versions VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                v.name,
                v.version,
                v.creation_time,
                v.last_updated_time,
                v.description,
                v.user_id,
                v.stage,
                v.source,
                v.run_id,
                v.status
            ],
        )?;
        for (k, t) in &v.tags {
            tx.execute(
                "INSERT INTO model_version_tags VALUES (?1, ?2, ?3, ?4)",
                params![k, t, v.name, v.version],
            )?;
        }
    }
    for l in &data.logged_models {
        tx.execute(
            "INSERT OR IGNORE INTO logged_models VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![l.model_id, l.experiment_id, l.name, l.artifact_location, l.creation_time,
                    l.last_updated_time, l.status, l.lifecycle_stage, l.model_type,
                    l.source_run_id, l.status_message],
        )?;
        for (k, v) in &l.params {
            tx.execute(
                "INSERT INTO logged_model_params VALUES (?1, ?2, ?3, ?4)",
                params![l.model_id, l.experiment_id, k, v],
            )?;
        }
        for (k, v) in &l.tags {
            tx.execute(
                "INSERT INTO logged_model_tags VALUES (?1, ?2, ?3, ?4)",
                params![l.model_id, l.experiment_id, k, v],
            )?;
        }
    }
    tx.commit()?;
    Ok(())
}
