//! The schema, versioned by the one row of `mlf_schema`, with forward migrations.
//!
//! Migration N brings a database from version N-1 to N. They run at open under a named lock
//! (`GET_LOCK`), so that processes starting together migrate once, one after the other. MySQL
//! commits each DDL statement on its own, so a migration is written to be run again: an
//! interrupted one completes on the next start. A database newer than this binary is refused.
//!
//! Text compares bytewise (as SQLite and the PostgreSQL store's "C" collation), without
//! MySQL's padding of trailing spaces. Keys and names are VARCHARs short enough for InnoDB's
//! index limit (3,072 bytes, four per character); values are MEDIUMTEXT.

use super::MyStore;
use super::sql::{Client, GenericClient};
use crate::store::{Error, Result};
use crate::tracking::ids::now_ms;

/// The name of the lock migrations take.
const LOCK: &str = "mlf_schema";

/// Seconds a starting process waits for another's migration.
const LOCK_WAIT: i64 = 120;

const MIGRATIONS: &[&[&str]] = &[
    // 1: tracking, store state, the model registry with its requests and history, logged
    // models, run inputs and outputs (the PostgreSQL store's migrations 1 to 3).
    &[
        "CREATE TABLE IF NOT EXISTS experiments (
            experiment_id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
            name VARCHAR(500) NOT NULL UNIQUE,
            artifact_location MEDIUMTEXT,
            lifecycle_stage VARCHAR(32) NOT NULL DEFAULT 'active',
            creation_time BIGINT NOT NULL,
            last_update_time BIGINT NOT NULL
        ) :options",
        "CREATE TABLE IF NOT EXISTS experiment_tags (
            experiment_id BIGINT NOT NULL,
            key VARCHAR(250) NOT NULL,
            value MEDIUMTEXT NOT NULL,
            PRIMARY KEY (experiment_id, key)
        ) :options",
        "CREATE TABLE IF NOT EXISTS runs (
            id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
            run_uuid VARCHAR(64) NOT NULL UNIQUE,
            name TEXT NOT NULL,
            experiment_id BIGINT NOT NULL,
            user_id VARCHAR(256) NOT NULL DEFAULT '',
            status VARCHAR(20) NOT NULL,
            start_time BIGINT NOT NULL,
            end_time BIGINT,
            lifecycle_stage VARCHAR(32) NOT NULL DEFAULT 'active',
            deleted_time BIGINT,
            artifact_uri MEDIUMTEXT,
            owner_pid BIGINT,
            owner_host VARCHAR(256),
            INDEX runs_by_experiment (experiment_id, start_time DESC, run_uuid),
            INDEX runs_by_start (start_time DESC, run_uuid),
            INDEX runs_by_name (name(191)),
            INDEX runs_by_stage (experiment_id, lifecycle_stage)
        ) :options",
        "CREATE TABLE IF NOT EXISTS params (
            run_id BIGINT NOT NULL,
            key VARCHAR(250) NOT NULL,
            value MEDIUMTEXT NOT NULL,
            PRIMARY KEY (run_id, key),
            INDEX params_by_key (key, value(250))
        ) :options",
        "CREATE TABLE IF NOT EXISTS tags (
            run_id BIGINT NOT NULL,
            key VARCHAR(250) NOT NULL,
            value MEDIUMTEXT NOT NULL,
            PRIMARY KEY (run_id, key),
            INDEX tags_by_key (key, value(250))
        ) :options",
        "CREATE TABLE IF NOT EXISTS metrics (
            run_id BIGINT NOT NULL,
            key VARCHAR(250) NOT NULL,
            step BIGINT NOT NULL,
            timestamp BIGINT NOT NULL,
            value DOUBLE NOT NULL,
            is_nan TINYINT(1) NOT NULL DEFAULT 0,
            PRIMARY KEY (run_id, key, step, timestamp, value, is_nan)
        ) :options",
        "CREATE TABLE IF NOT EXISTS latest_metrics (
            run_id BIGINT NOT NULL,
            key VARCHAR(250) NOT NULL,
            step BIGINT NOT NULL,
            timestamp BIGINT NOT NULL,
            value DOUBLE NOT NULL,
            is_nan TINYINT(1) NOT NULL DEFAULT 0,
            PRIMARY KEY (run_id, key),
            INDEX latest_metrics_by_key (key, is_nan, value)
        ) :options",
        "CREATE TABLE IF NOT EXISTS state (
            key VARCHAR(255) NOT NULL PRIMARY KEY,
            value MEDIUMTEXT NOT NULL
        ) :options",
        "INSERT IGNORE INTO experiments
            (experiment_id, name, lifecycle_stage, creation_time, last_update_time)
            VALUES (0, 'Default', 'active', :now, :now)",
        "CREATE TABLE IF NOT EXISTS registered_models (
            name VARCHAR(256) NOT NULL PRIMARY KEY,
            description MEDIUMTEXT NOT NULL DEFAULT (''),
            user_id VARCHAR(256) NOT NULL DEFAULT '',
            creation_time BIGINT NOT NULL,
            last_updated_time BIGINT NOT NULL
        ) :options",
        "CREATE TABLE IF NOT EXISTS registered_model_tags (
            name VARCHAR(256) NOT NULL,
            key VARCHAR(250) NOT NULL,
            value MEDIUMTEXT NOT NULL,
            PRIMARY KEY (name, key)
        ) :options",
        "CREATE TABLE IF NOT EXISTS model_versions (
            name VARCHAR(256) NOT NULL,
            version BIGINT NOT NULL,
            description MEDIUMTEXT NOT NULL DEFAULT (''),
            user_id VARCHAR(256) NOT NULL DEFAULT '',
            current_stage VARCHAR(20) NOT NULL DEFAULT 'None',
            source MEDIUMTEXT NOT NULL,
            run_id VARCHAR(64) NOT NULL DEFAULT '',
            storage_location MEDIUMTEXT NOT NULL,
            status VARCHAR(20) NOT NULL DEFAULT 'READY',
            deleted TINYINT(1) NOT NULL DEFAULT 0,
            creation_time BIGINT NOT NULL,
            last_updated_time BIGINT NOT NULL,
            PRIMARY KEY (name, version)
        ) :options",
        "CREATE TABLE IF NOT EXISTS model_version_tags (
            name VARCHAR(256) NOT NULL,
            version BIGINT NOT NULL,
            key VARCHAR(250) NOT NULL,
            value MEDIUMTEXT NOT NULL,
            PRIMARY KEY (name, version, key)
        ) :options",
        "CREATE TABLE IF NOT EXISTS registered_model_aliases (
            name VARCHAR(256) NOT NULL,
            alias VARCHAR(256) NOT NULL,
            version BIGINT NOT NULL,
            PRIMARY KEY (name, alias)
        ) :options",
        "CREATE TABLE IF NOT EXISTS transition_requests (
            id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
            name VARCHAR(256) NOT NULL,
            version BIGINT NOT NULL,
            to_stage VARCHAR(20) NOT NULL,
            status VARCHAR(20) NOT NULL,
            requested_by VARCHAR(256) NOT NULL,
            requested_at BIGINT NOT NULL,
            comment MEDIUMTEXT NOT NULL DEFAULT (''),
            decided_by VARCHAR(256),
            decided_at BIGINT,
            decision_comment MEDIUMTEXT,
            INDEX transition_requests_by_version (name, version)
        ) :options",
        "CREATE TABLE IF NOT EXISTS registry_events (
            id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
            name VARCHAR(256) NOT NULL,
            version BIGINT,
            kind VARCHAR(64) NOT NULL,
            from_value MEDIUMTEXT,
            to_value MEDIUMTEXT,
            actor VARCHAR(256) NOT NULL,
            time BIGINT NOT NULL,
            comment MEDIUMTEXT,
            INDEX registry_events_by_name (name, time)
        ) :options",
        "CREATE TABLE IF NOT EXISTS logged_models (
            model_id VARCHAR(64) NOT NULL PRIMARY KEY,
            experiment_id BIGINT NOT NULL,
            name VARCHAR(500) NOT NULL,
            model_type VARCHAR(500) NOT NULL DEFAULT '',
            source_run_id VARCHAR(64) NOT NULL DEFAULT '',
            status VARCHAR(32) NOT NULL DEFAULT 'LOGGED_MODEL_PENDING',
            status_message MEDIUMTEXT NOT NULL DEFAULT (''),
            creator_id VARCHAR(256) NOT NULL DEFAULT '',
            lifecycle_stage VARCHAR(32) NOT NULL DEFAULT 'active',
            creation_time BIGINT NOT NULL,
            last_updated_time BIGINT NOT NULL,
            INDEX logged_models_by_time (creation_time DESC, model_id)
        ) :options",
        "CREATE TABLE IF NOT EXISTS logged_model_tags (
            model_id VARCHAR(64) NOT NULL,
            key VARCHAR(250) NOT NULL,
            value MEDIUMTEXT NOT NULL,
            PRIMARY KEY (model_id, key)
        ) :options",
        "CREATE TABLE IF NOT EXISTS logged_model_params (
            model_id VARCHAR(64) NOT NULL,
            key VARCHAR(250) NOT NULL,
            value MEDIUMTEXT NOT NULL,
            PRIMARY KEY (model_id, key)
        ) :options",
        "CREATE TABLE IF NOT EXISTS run_outputs (
            run_uuid VARCHAR(64) NOT NULL,
            model_id VARCHAR(64) NOT NULL,
            step BIGINT NOT NULL DEFAULT 0,
            PRIMARY KEY (run_uuid, model_id)
        ) :options",
        "CREATE TABLE IF NOT EXISTS datasets (
            dataset_uuid VARCHAR(64) NOT NULL PRIMARY KEY,
            experiment_id BIGINT NOT NULL,
            name VARCHAR(300) NOT NULL,
            digest VARCHAR(64) NOT NULL,
            source_type VARCHAR(64) NOT NULL DEFAULT '',
            source MEDIUMTEXT NOT NULL DEFAULT (''),
            schema MEDIUMTEXT,
            profile MEDIUMTEXT,
            UNIQUE (experiment_id, name, digest)
        ) :options",
        "CREATE TABLE IF NOT EXISTS run_dataset_inputs (
            run_uuid VARCHAR(64) NOT NULL,
            dataset_uuid VARCHAR(64) NOT NULL,
            PRIMARY KEY (run_uuid, dataset_uuid)
        ) :options",
        "CREATE TABLE IF NOT EXISTS run_dataset_input_tags (
            run_uuid VARCHAR(64) NOT NULL,
            dataset_uuid VARCHAR(64) NOT NULL,
            key VARCHAR(250) NOT NULL,
            value MEDIUMTEXT NOT NULL,
            PRIMARY KEY (run_uuid, dataset_uuid, key)
        ) :options",
        "CREATE TABLE IF NOT EXISTS run_model_inputs (
            run_uuid VARCHAR(64) NOT NULL,
            model_id VARCHAR(64) NOT NULL,
            PRIMARY KEY (run_uuid, model_id)
        ) :options",
        "CREATE TABLE IF NOT EXISTS logged_model_metrics (
            model_id VARCHAR(64) NOT NULL,
            key VARCHAR(250) NOT NULL,
            value DOUBLE,
            is_nan TINYINT(1) NOT NULL DEFAULT 0,
            timestamp BIGINT NOT NULL,
            step BIGINT NOT NULL,
            run_uuid VARCHAR(64) NOT NULL DEFAULT '',
            dataset_name VARCHAR(300) NOT NULL DEFAULT '',
            dataset_digest VARCHAR(64) NOT NULL DEFAULT '',
            PRIMARY KEY (model_id, key, run_uuid, dataset_name, dataset_digest, step, timestamp)
        ) :options",
    ],
];

/// The schema version this binary writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

fn version(client: &mut Client) -> Result<i64> {
    client.batch_execute("CREATE TABLE IF NOT EXISTS mlf_schema (version BIGINT NOT NULL)")?;
    let row = client.query_opt("SELECT version FROM mlf_schema", &[])?;
    Ok(row.map_or(0, |r| r.get(0)))
}

/// The table options: InnoDB, and text compared bytewise without padding (the collation's
/// name differs between MariaDB and MySQL 8).
fn options(client: &mut Client) -> Result<String> {
    let version: String = client.query_one("SELECT VERSION()", &[])?.get(0);
    let collation = if version.contains("MariaDB") {
        "utf8mb4_nopad_bin"
    } else {
        "utf8mb4_0900_bin"
    };
    Ok(format!(
        "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE={collation}"
    ))
}

/// Brings the database up to `SCHEMA_VERSION` under the migration lock; cheap when it
/// already is.
pub fn migrate(store: &MyStore) -> Result<()> {
    let mut client = store.client();
    // Fast path without the lock: a current schema needs nothing.
    let current = match client.query_opt("SELECT version FROM mlf_schema", &[]) {
        Ok(row) => row.map(|r| r.get::<_, i64>(0)),
        Err(_) => None,
    };
    if current == Some(SCHEMA_VERSION) {
        return Ok(());
    }
    let locked: Option<i64> = client
        .query_one("SELECT GET_LOCK($1, $2)", &[&LOCK, &LOCK_WAIT])?
        .get(0);
    if locked != Some(1) {
        return Err(Error::Unavailable(format!(
            "{}: another process has been migrating the schema for {LOCK_WAIT} seconds; try again when it is done",
            store.location()
        )));
    }
    let result = (|| {
        let current = version(&mut client)?;
        if current > SCHEMA_VERSION {
            return Err(Error::Newer(
                store.location().to_string(),
                current,
                SCHEMA_VERSION,
            ));
        }
        let options = options(&mut client)?;
        let now = now_ms().to_string();
        for (i, statements) in MIGRATIONS.iter().enumerate().skip(current as usize) {
            for sql in *statements {
                client.batch_execute(&sql.replace(":options", &options).replace(":now", &now))?;
            }
            let mut tx = client.transaction()?;
            tx.execute("DELETE FROM mlf_schema", &[])?;
            tx.execute(
                "INSERT INTO mlf_schema (version) VALUES ($1)",
                &[&((i + 1) as i64)],
            )?;
            tx.commit()?;
        }
        Ok(())
    })();
    let unlocked = client.query_one("SELECT RELEASE_LOCK($1)", &[&LOCK]);
    result?;
    unlocked?;
    Ok(())
}
