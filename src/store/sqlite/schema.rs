//! The schema, versioned by `PRAGMA user_version`, with forward migrations.
//!
//! Migration N brings a store from version N-1 to N. A store newer than this binary is refused.

use super::Store;
use crate::store::{Error, Result};
use crate::tracking::ids::now_ms;

const MIGRATIONS: &[&str] = &[
    // 1: experiments, runs, params, tags, metric history and latest values, store state.
    "
    CREATE TABLE experiments (
        experiment_id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        artifact_location TEXT,
        lifecycle_stage TEXT NOT NULL DEFAULT 'active',
        creation_time INTEGER NOT NULL,
        last_update_time INTEGER NOT NULL
    );
    CREATE TABLE experiment_tags (
        experiment_id INTEGER NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (experiment_id, key)
    ) WITHOUT ROWID;
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        run_uuid TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        experiment_id INTEGER NOT NULL,
        user_id TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL,
        start_time INTEGER NOT NULL,
        end_time INTEGER,
        lifecycle_stage TEXT NOT NULL DEFAULT 'active',
        deleted_time INTEGER,
        artifact_uri TEXT,
        owner_pid INTEGER,
        owner_host TEXT
    );
    CREATE INDEX runs_by_experiment ON runs (experiment_id, start_time);
    CREATE INDEX runs_by_name ON runs (name);
    CREATE TABLE params (
        run_id INTEGER NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (run_id, key)
    ) WITHOUT ROWID;
    CREATE TABLE tags (
        run_id INTEGER NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (run_id, key)
    ) WITHOUT ROWID;
    CREATE TABLE metrics (
        run_id INTEGER NOT NULL,
        key TEXT NOT NULL,
        step INTEGER NOT NULL,
        timestamp INTEGER NOT NULL,
        value REAL NOT NULL,
        is_nan INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (run_id, key, step, timestamp, value, is_nan)
    ) WITHOUT ROWID;
    CREATE TABLE latest_metrics (
        run_id INTEGER NOT NULL,
        key TEXT NOT NULL,
        step INTEGER NOT NULL,
        timestamp INTEGER NOT NULL,
        value REAL NOT NULL,
        is_nan INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (run_id, key)
    ) WITHOUT ROWID;
    CREATE TABLE state (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) WITHOUT ROWID;
    INSERT INTO experiments (experiment_id, name, lifecycle_stage, creation_time, last_update_time)
        VALUES (0, 'Default', 'active', :now, :now);
    ",
    // 2: (key, value) indexes, so that a filter finds its runs without scanning every run
    // (covering: a metric range is one index scan); newest-first listing by start time.
    "
    CREATE INDEX latest_metrics_by_key ON latest_metrics (key, is_nan, value);
    CREATE INDEX runs_by_start ON runs (start_time DESC, run_uuid);
    DROP INDEX runs_by_experiment;
    CREATE INDEX runs_by_experiment ON runs (experiment_id, start_time DESC, run_uuid);
    CREATE INDEX params_by_key ON params (key, value);
    CREATE INDEX tags_by_key ON tags (key, value);
    ",
    // 3: the model registry, its transition requests and its history.
    "
    CREATE TABLE registered_models (
        name TEXT PRIMARY KEY,
        description TEXT NOT NULL DEFAULT '',
        user_id TEXT NOT NULL DEFAULT '',
        creation_time INTEGER NOT NULL,
        last_updated_time INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE registered_model_tags (
        name TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (name, key)
    ) WITHOUT ROWID;
    CREATE TABLE model_versions (
        name TEXT NOT NULL,
        version INTEGER NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        user_id TEXT NOT NULL DEFAULT '',
        current_stage TEXT NOT NULL DEFAULT 'None',
        source TEXT NOT NULL,
        run_id TEXT NOT NULL DEFAULT '',
        storage_location TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'READY',
        deleted INTEGER NOT NULL DEFAULT 0,
        creation_time INTEGER NOT NULL,
        last_updated_time INTEGER NOT NULL,
        PRIMARY KEY (name, version)
    ) WITHOUT ROWID;
    CREATE TABLE model_version_tags (
        name TEXT NOT NULL,
        version INTEGER NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (name, version, key)
    ) WITHOUT ROWID;
    CREATE TABLE registered_model_aliases (
        name TEXT NOT NULL,
        alias TEXT NOT NULL,
        version INTEGER NOT NULL,
        PRIMARY KEY (name, alias)
    ) WITHOUT ROWID;
    CREATE TABLE transition_requests (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        version INTEGER NOT NULL,
        to_stage TEXT NOT NULL,
        status TEXT NOT NULL,
        requested_by TEXT NOT NULL,
        requested_at INTEGER NOT NULL,
        comment TEXT NOT NULL DEFAULT '',
        decided_by TEXT,
        decided_at INTEGER,
        decision_comment TEXT
    );
    CREATE INDEX transition_requests_by_version ON transition_requests (name, version);
    CREATE TABLE registry_events (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        version INTEGER,
        kind TEXT NOT NULL,
        from_value TEXT,
        to_value TEXT,
        actor TEXT NOT NULL,
        time INTEGER NOT NULL,
        comment TEXT
    );
    CREATE INDEX registry_events_by_name ON registry_events (name, time);
    ",
    // 4: MLflow 3 logged models, and the models a run outputs.
    "
    CREATE TABLE logged_models (
        model_id TEXT PRIMARY KEY,
        experiment_id INTEGER NOT NULL,
        name TEXT NOT NULL,
        model_type TEXT NOT NULL DEFAULT '',
        source_run_id TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL DEFAULT 'LOGGED_MODEL_PENDING',
        status_message TEXT NOT NULL DEFAULT '',
        creator_id TEXT NOT NULL DEFAULT '',
        lifecycle_stage TEXT NOT NULL DEFAULT 'active',
        creation_time INTEGER NOT NULL,
        last_updated_time INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE logged_model_tags (
        model_id TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (model_id, key)
    ) WITHOUT ROWID;
    CREATE TABLE logged_model_params (
        model_id TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (model_id, key)
    ) WITHOUT ROWID;
    CREATE TABLE run_outputs (
        run_uuid TEXT NOT NULL,
        model_id TEXT NOT NULL,
        step INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (run_uuid, model_id)
    ) WITHOUT ROWID;
    ",
    // 5: version files inside the store are kept relative to it (`:root` is the store).
    "
    UPDATE model_versions
       SET storage_location = substr(storage_location, length(':root') + 2)
     WHERE substr(storage_location, 1, length(':root') + 1) = ':root' || '/';
    ",
    // 6: a run's inputs (datasets with their input tags, logged models), and the metrics of
    // logged models.
    "
    CREATE TABLE IF NOT EXISTS datasets (
        dataset_uuid TEXT PRIMARY KEY,
        experiment_id INTEGER NOT NULL,
        name TEXT NOT NULL,
        digest TEXT NOT NULL,
        source_type TEXT NOT NULL DEFAULT '',
        source TEXT NOT NULL DEFAULT '',
        schema TEXT,
        profile TEXT,
        UNIQUE (experiment_id, name, digest)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS run_dataset_inputs (
        run_uuid TEXT NOT NULL,
        dataset_uuid TEXT NOT NULL,
        PRIMARY KEY (run_uuid, dataset_uuid)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS run_dataset_input_tags (
        run_uuid TEXT NOT NULL,
        dataset_uuid TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (run_uuid, dataset_uuid, key)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS run_model_inputs (
        run_uuid TEXT NOT NULL,
        model_id TEXT NOT NULL,
        PRIMARY KEY (run_uuid, model_id)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS logged_model_metrics (
        model_id TEXT NOT NULL,
        key TEXT NOT NULL,
        value REAL,
        is_nan INTEGER NOT NULL DEFAULT 0,
        timestamp INTEGER NOT NULL,
        step INTEGER NOT NULL,
        run_uuid TEXT NOT NULL DEFAULT '',
        dataset_name TEXT NOT NULL DEFAULT '',
        dataset_digest TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (model_id, key, run_uuid, dataset_name, dataset_digest, step, timestamp)
    ) WITHOUT ROWID;
    ",
    // 7: webhooks for registry events (the secret is kept, never answered).
    "
    CREATE TABLE IF NOT EXISTS webhooks (
        webhook_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        url TEXT NOT NULL,
        secret TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL DEFAULT 'ACTIVE',
        creation_time INTEGER NOT NULL,
        last_updated_time INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS webhook_events (
        webhook_id TEXT NOT NULL,
        entity TEXT NOT NULL,
        action TEXT NOT NULL,
        PRIMARY KEY (webhook_id, entity, action)
    ) WITHOUT ROWID;
    ",
];

/// The schema version this binary writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

fn user_version(store: &Store) -> Result<i64> {
    Ok(store
        .conn()
        .query_row("PRAGMA user_version", [], |r| r.get(0))?)
}

/// Brings the store up to `SCHEMA_VERSION`; cheap when it already is.
pub fn migrate(store: &mut Store) -> Result<()> {
    let current = user_version(store)?;
    if current == SCHEMA_VERSION {
        return Ok(());
    }
    if current > SCHEMA_VERSION {
        return Err(Error::Newer(
            store.root().display().to_string(),
            current,
            SCHEMA_VERSION,
        ));
    }
    if current == 0 {
        // Persistent; set before any transaction. Changing the journal mode needs the database
        // to itself and does not wait on the busy timeout, so racing creators retry.
        let mut attempt = 0;
        loop {
            match store.conn().pragma_update(None, "journal_mode", "WAL") {
                Ok(()) => break,
                Err(e) if super::is_busy(&e) && attempt < 200 => {
                    attempt += 1;
                    std::thread::sleep(std::time::Duration::from_millis(5 + attempt % 20));
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
    let root = store.root().display().to_string().replace('\'', "''");
    store.write(|tx| {
        // Re-read inside the lock: another process may have migrated meanwhile.
        let current: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
            let sql = sql
                .replace(":now", &now_ms().to_string())
                .replace(":root", &root);
            tx.execute_batch(&sql)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        }
        Ok(())
    })
}
