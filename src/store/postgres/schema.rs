//! The schema, versioned by the one row of `mlf_schema`, with forward migrations.
//!
//! Migration N brings a database from version N-1 to N. They run at open under a session
//! advisory lock, so that processes starting together migrate once, one after the other. A
//! database newer than this binary is refused.

use postgres::Client;

use super::PgStore;
use crate::store::{Error, Result};
use crate::tracking::ids::now_ms;

/// The advisory lock key of migrations (`mlf` in ASCII).
const LOCK: i64 = 0x006d_6c66;

const MIGRATIONS: &[&str] = &[
    // Text compares bytewise (as SQLite), whatever the database's locale.
    // 1: tracking (experiments, runs, params, tags, metric history and latest values), store
    // state, the model registry with its requests and history. Indexes for filters by
    // (key, value) and newest-first listing.
    "
    CREATE TABLE experiments (
        experiment_id BIGSERIAL PRIMARY KEY,
        name TEXT COLLATE \"C\" NOT NULL UNIQUE,
        artifact_location TEXT COLLATE \"C\",
        lifecycle_stage TEXT COLLATE \"C\" NOT NULL DEFAULT 'active',
        creation_time BIGINT NOT NULL,
        last_update_time BIGINT NOT NULL
    );
    CREATE TABLE experiment_tags (
        experiment_id BIGINT NOT NULL,
        key TEXT COLLATE \"C\" NOT NULL,
        value TEXT COLLATE \"C\" NOT NULL,
        PRIMARY KEY (experiment_id, key)
    );
    CREATE TABLE runs (
        id BIGSERIAL PRIMARY KEY,
        run_uuid TEXT COLLATE \"C\" NOT NULL UNIQUE,
        name TEXT COLLATE \"C\" NOT NULL,
        experiment_id BIGINT NOT NULL,
        user_id TEXT COLLATE \"C\" NOT NULL DEFAULT '',
        status TEXT COLLATE \"C\" NOT NULL,
        start_time BIGINT NOT NULL,
        end_time BIGINT,
        lifecycle_stage TEXT COLLATE \"C\" NOT NULL DEFAULT 'active',
        deleted_time BIGINT,
        artifact_uri TEXT COLLATE \"C\",
        owner_pid BIGINT,
        owner_host TEXT COLLATE \"C\"
    );
    CREATE INDEX runs_by_experiment ON runs (experiment_id, start_time DESC, run_uuid);
    CREATE INDEX runs_by_start ON runs (start_time DESC, run_uuid);
    CREATE INDEX runs_by_name ON runs (name);
    CREATE INDEX runs_by_uuid_prefix ON runs (run_uuid text_pattern_ops);
    CREATE TABLE params (
        run_id BIGINT NOT NULL,
        key TEXT COLLATE \"C\" NOT NULL,
        value TEXT COLLATE \"C\" NOT NULL,
        PRIMARY KEY (run_id, key)
    );
    CREATE INDEX params_by_key ON params (key, value);
    CREATE TABLE tags (
        run_id BIGINT NOT NULL,
        key TEXT COLLATE \"C\" NOT NULL,
        value TEXT COLLATE \"C\" NOT NULL,
        PRIMARY KEY (run_id, key)
    );
    CREATE INDEX tags_by_key ON tags (key, value);
    CREATE TABLE metrics (
        run_id BIGINT NOT NULL,
        key TEXT COLLATE \"C\" NOT NULL,
        step BIGINT NOT NULL,
        timestamp BIGINT NOT NULL,
        value DOUBLE PRECISION NOT NULL,
        is_nan BOOLEAN NOT NULL DEFAULT FALSE,
        PRIMARY KEY (run_id, key, step, timestamp, value, is_nan)
    );
    CREATE TABLE latest_metrics (
        run_id BIGINT NOT NULL,
        key TEXT COLLATE \"C\" NOT NULL,
        step BIGINT NOT NULL,
        timestamp BIGINT NOT NULL,
        value DOUBLE PRECISION NOT NULL,
        is_nan BOOLEAN NOT NULL DEFAULT FALSE,
        PRIMARY KEY (run_id, key)
    );
    CREATE INDEX latest_metrics_by_key ON latest_metrics (key, is_nan, value);
    CREATE TABLE state (
        key TEXT COLLATE \"C\" PRIMARY KEY,
        value TEXT COLLATE \"C\" NOT NULL
    );
    INSERT INTO experiments (experiment_id, name, lifecycle_stage, creation_time, last_update_time)
        VALUES (0, 'Default', 'active', :now, :now);

    CREATE TABLE registered_models (
        name TEXT COLLATE \"C\" PRIMARY KEY,
        description TEXT COLLATE \"C\" NOT NULL DEFAULT '',
        user_id TEXT COLLATE \"C\" NOT NULL DEFAULT '',
        creation_time BIGINT NOT NULL,
        last_updated_time BIGINT NOT NULL
    );
    CREATE TABLE registered_model_tags (
        name TEXT COLLATE \"C\" NOT NULL,
        key TEXT COLLATE \"C\" NOT NULL,
        value TEXT COLLATE \"C\" NOT NULL,
        PRIMARY KEY (name, key)
    );
    CREATE TABLE model_versions (
        name TEXT COLLATE \"C\" NOT NULL,
        version BIGINT NOT NULL,
        description TEXT COLLATE \"C\" NOT NULL DEFAULT '',
        user_id TEXT COLLATE \"C\" NOT NULL DEFAULT '',
        current_stage TEXT COLLATE \"C\" NOT NULL DEFAULT 'None',
        source TEXT COLLATE \"C\" NOT NULL,
        run_id TEXT COLLATE \"C\" NOT NULL DEFAULT '',
        storage_location TEXT COLLATE \"C\" NOT NULL,
        status TEXT COLLATE \"C\" NOT NULL DEFAULT 'READY',
        deleted BOOLEAN NOT NULL DEFAULT FALSE,
        creation_time BIGINT NOT NULL,
        last_updated_time BIGINT NOT NULL,
        PRIMARY KEY (name, version)
    );
    CREATE TABLE model_version_tags (
        name TEXT COLLATE \"C\" NOT NULL,
        version BIGINT NOT NULL,
        key TEXT COLLATE \"C\" NOT NULL,
        value TEXT COLLATE \"C\" NOT NULL,
        PRIMARY KEY (name, version, key)
    );
    CREATE TABLE registered_model_aliases (
        name TEXT COLLATE \"C\" NOT NULL,
        alias TEXT COLLATE \"C\" NOT NULL,
        version BIGINT NOT NULL,
        PRIMARY KEY (name, alias)
    );
    CREATE TABLE transition_requests (
        id BIGSERIAL PRIMARY KEY,
        name TEXT COLLATE \"C\" NOT NULL,
        version BIGINT NOT NULL,
        to_stage TEXT COLLATE \"C\" NOT NULL,
        status TEXT COLLATE \"C\" NOT NULL,
        requested_by TEXT COLLATE \"C\" NOT NULL,
        requested_at BIGINT NOT NULL,
        comment TEXT COLLATE \"C\" NOT NULL DEFAULT '',
        decided_by TEXT COLLATE \"C\",
        decided_at BIGINT,
        decision_comment TEXT COLLATE \"C\"
    );
    CREATE INDEX transition_requests_by_version ON transition_requests (name, version);
    CREATE TABLE registry_events (
        id BIGSERIAL PRIMARY KEY,
        name TEXT COLLATE \"C\" NOT NULL,
        version BIGINT,
        kind TEXT COLLATE \"C\" NOT NULL,
        from_value TEXT COLLATE \"C\",
        to_value TEXT COLLATE \"C\",
        actor TEXT COLLATE \"C\" NOT NULL,
        time BIGINT NOT NULL,
        comment TEXT COLLATE \"C\"
    );
    CREATE INDEX registry_events_by_name ON registry_events (name, time);
    ",
    // 2: MLflow 3's logged models, their tags and params, and the models runs output.
    "
    CREATE TABLE logged_models (
        model_id TEXT COLLATE \"C\" PRIMARY KEY,
        experiment_id BIGINT NOT NULL,
        name TEXT COLLATE \"C\" NOT NULL,
        model_type TEXT COLLATE \"C\" NOT NULL DEFAULT '',
        source_run_id TEXT COLLATE \"C\" NOT NULL DEFAULT '',
        status TEXT COLLATE \"C\" NOT NULL DEFAULT 'LOGGED_MODEL_PENDING',
        status_message TEXT COLLATE \"C\" NOT NULL DEFAULT '',
        creator_id TEXT COLLATE \"C\" NOT NULL DEFAULT '',
        lifecycle_stage TEXT COLLATE \"C\" NOT NULL DEFAULT 'active',
        creation_time BIGINT NOT NULL,
        last_updated_time BIGINT NOT NULL
    );
    CREATE INDEX logged_models_by_time ON logged_models (creation_time DESC, model_id);
    CREATE TABLE logged_model_tags (
        model_id TEXT COLLATE \"C\" NOT NULL,
        key TEXT COLLATE \"C\" NOT NULL,
        value TEXT COLLATE \"C\" NOT NULL,
        PRIMARY KEY (model_id, key)
    );
    CREATE TABLE logged_model_params (
        model_id TEXT COLLATE \"C\" NOT NULL,
        key TEXT COLLATE \"C\" NOT NULL,
        value TEXT COLLATE \"C\" NOT NULL,
        PRIMARY KEY (model_id, key)
    );
    CREATE TABLE run_outputs (
        run_uuid TEXT COLLATE \"C\" NOT NULL,
        model_id TEXT COLLATE \"C\" NOT NULL,
        step BIGINT NOT NULL DEFAULT 0,
        PRIMARY KEY (run_uuid, model_id)
    );
    ",
    // 3: a run's inputs (datasets with their input tags, logged models), and the metrics of
    // logged models (as the SQLite store's migration 6).
    "
    CREATE TABLE datasets (
        dataset_uuid TEXT COLLATE \"C\" PRIMARY KEY,
        experiment_id BIGINT NOT NULL,
        name TEXT COLLATE \"C\" NOT NULL,
        digest TEXT COLLATE \"C\" NOT NULL,
        source_type TEXT COLLATE \"C\" NOT NULL DEFAULT '',
        source TEXT COLLATE \"C\" NOT NULL DEFAULT '',
        schema TEXT COLLATE \"C\",
        profile TEXT COLLATE \"C\",
        UNIQUE (experiment_id, name, digest)
    );
    CREATE TABLE run_dataset_inputs (
        run_uuid TEXT COLLATE \"C\" NOT NULL,
        dataset_uuid TEXT COLLATE \"C\" NOT NULL,
        PRIMARY KEY (run_uuid, dataset_uuid)
    );
    CREATE TABLE run_dataset_input_tags (
        run_uuid TEXT COLLATE \"C\" NOT NULL,
        dataset_uuid TEXT COLLATE \"C\" NOT NULL,
        key TEXT COLLATE \"C\" NOT NULL,
        value TEXT COLLATE \"C\" NOT NULL,
        PRIMARY KEY (run_uuid, dataset_uuid, key)
    );
    CREATE TABLE run_model_inputs (
        run_uuid TEXT COLLATE \"C\" NOT NULL,
        model_id TEXT COLLATE \"C\" NOT NULL,
        PRIMARY KEY (run_uuid, model_id)
    );
    CREATE TABLE logged_model_metrics (
        model_id TEXT COLLATE \"C\" NOT NULL,
        key TEXT COLLATE \"C\" NOT NULL,
        value DOUBLE PRECISION,
        is_nan BOOLEAN NOT NULL DEFAULT FALSE,
        timestamp BIGINT NOT NULL,
        step BIGINT NOT NULL,
        run_uuid TEXT COLLATE \"C\" NOT NULL DEFAULT '',
        dataset_name TEXT COLLATE \"C\" NOT NULL DEFAULT '',
        dataset_digest TEXT COLLATE \"C\" NOT NULL DEFAULT '',
        PRIMARY KEY (model_id, key, run_uuid, dataset_name, dataset_digest, step, timestamp)
    );
    ",
];

/// The schema version this binary writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

fn version(client: &mut Client) -> Result<i64> {
    client.batch_execute("CREATE TABLE IF NOT EXISTS mlf_schema (version BIGINT NOT NULL)")?;
    let row = client.query_opt("SELECT version FROM mlf_schema", &[])?;
    Ok(row.map_or(0, |r| r.get(0)))
}

/// Brings the database up to `SCHEMA_VERSION` under the migration lock; cheap when it
/// already is.
pub fn migrate(store: &PgStore) -> Result<()> {
    let mut client = store.client();
    // Fast path without the lock: a current schema needs nothing.
    let current = match client.query_opt(
        "SELECT version FROM mlf_schema WHERE to_regclass('mlf_schema') IS NOT NULL",
        &[],
    ) {
        Ok(row) => row.map(|r| r.get::<_, i64>(0)),
        Err(_) => None,
    };
    if current == Some(SCHEMA_VERSION) {
        return Ok(());
    }
    client.execute("SELECT pg_advisory_lock($1)", &[&LOCK])?;
    let result = (|| {
        let current = version(&mut client)?;
        if current > SCHEMA_VERSION {
            return Err(Error::Newer(
                store.location().to_string(),
                current,
                SCHEMA_VERSION,
            ));
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
            let mut tx = client.transaction()?;
            tx.batch_execute(&sql.replace(":now", &now_ms().to_string()))?;
            tx.execute("DELETE FROM mlf_schema", &[])?;
            tx.execute(
                "INSERT INTO mlf_schema (version) VALUES ($1)",
                &[&((i + 1) as i64)],
            )?;
            tx.commit()?;
        }
        Ok(())
    })();
    let unlocked = client.execute("SELECT pg_advisory_unlock($1)", &[&LOCK]);
    result?;
    unlocked?;
    Ok(())
}
