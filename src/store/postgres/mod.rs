//! The PostgreSQL store: the same tables as the SQLite store in a PostgreSQL database named by
//! a `postgresql://USER:PASS@HOST:PORT/DB` URI, artifacts below a local artifact root. All of
//! its SQL lives below this module (the filter compiler for PostgreSQL's dialect in
//! `filter.rs`). Many processes may share the database: writes are transactions retried on
//! serialization failures and deadlocks, registry numbers come under a row lock on the model,
//! and the schema migrates under an advisory lock.

mod commit_queue;
mod experiments;
mod extra;
mod fast_log;
mod filter;
mod inputs;
mod labels;
mod logged_models;
mod logging;
mod mlflow_source;
mod pages;
mod registry;
mod requests;
mod runs;
mod schema;
mod tables;
mod traits;

pub use commit_queue::CommitQueue;
pub use fast_log::FastLog;
pub use mlflow_source::{Cell, TableSink, read_mlflow_tables};

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use postgres::error::SqlState;
use postgres::{Client, Config, NoTls, Transaction};

use super::database::redact;
use super::{Error, Result};

crate::store::database_sql::artifact_root::methods!(PgStore);

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const RETRIES: u32 = 20;

impl From<postgres::Error> for Error {
    fn from(e: postgres::Error) -> Error {
        if is_connection_lost(&e) {
            return Error::Unavailable(format!(
                "the database connection was lost ({e}); nothing was changed: try again"
            ));
        }
        Error::Database(Box::new(e))
    }
}

/// `insert_id`, as the MySQL client has it: runs an `INSERT … RETURNING` of one id column and
/// answers the id (the queries both stores share are written this way).
pub(super) trait InsertId {
    fn insert_id(
        &mut self,
        sql: &str,
        args: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<i64>;
}

impl<C: postgres::GenericClient> InsertId for C {
    fn insert_id(
        &mut self,
        sql: &str,
        args: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<i64> {
        Ok(self.query_one(sql, args)?.get(0))
    }
}

/// Whether an error means the connection is gone (the server shut down or dropped it, the
/// network broke), rather than that the statement failed.
fn is_connection_lost(e: &postgres::Error) -> bool {
    if e.is_closed() {
        return true;
    }
    if let Some(code) = e.code() {
        // Class 08 (connection exception), and the server going away: admin_shutdown,
        // crash_shutdown, cannot_connect_now.
        return code.code().starts_with("08")
            || *code == SqlState::ADMIN_SHUTDOWN
            || *code == SqlState::CRASH_SHUTDOWN
            || *code == SqlState::CANNOT_CONNECT_NOW;
    }
    // No SQLSTATE: an I/O failure on the socket.
    std::error::Error::source(e).is_some_and(|s| s.is::<std::io::Error>())
}

/// Whether `uri` names a PostgreSQL database (`postgresql://…` or `postgres://…`).
pub fn is_postgres_uri(uri: &str) -> bool {
    uri.starts_with("postgresql://") || uri.starts_with("postgres://")
}

/// A store in a PostgreSQL database.
pub struct PgStore {
    client: Mutex<Client>,
    /// `postgresql://USER@HOST:PORT/DB`, without the password.
    location: String,
    artifact_root: PathBuf,
    /// The state key of this machine's and user's active run (`mlf run start`): a database is
    /// shared, so each keeps its own.
    active_key: String,
    /// Truncate over-long param and tag values (MLflow's default) instead of refusing them.
    pub truncate_long_values: bool,
    /// Shared by the connections of one server: log batches committed in groups.
    pub commit_queue: Option<std::sync::Arc<CommitQueue>>,
    /// The hot statements of logging, prepared once on this connection (each use then costs
    /// one round trip instead of two).
    statements: Mutex<std::collections::HashMap<&'static str, postgres::Statement>>,
}

/// A connection to the database at `uri`, with its location for messages (no password); a
/// wrong URI, an unreachable server, a refused user or a missing database is one line saying
/// which and what to do.
pub fn connect(uri: &str) -> Result<(Client, String)> {
    let mut config: Config = uri.parse().map_err(|e| {
        Error::Invalid(format!(
            "`{}` is no PostgreSQL URI ({e}): write postgresql://USER:PASSWORD@HOST:PORT/DATABASE",
            redact(uri)
        ))
    })?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    let (host, port) = endpoint(&config);
    let user = config.get_user().unwrap_or("").to_string();
    let db = config.get_dbname().unwrap_or(&user).to_string();
    let client = config
        .connect(NoTls)
        .map_err(|e| connect_error(&e, &host, port, &user, &db))?;
    Ok((client, format!("postgresql://{user}@{host}:{port}/{db}")))
}

impl PgStore {
    /// Connects to the database at `uri` and brings its schema up to date; runs' artifacts
    /// go below `artifact_root` unless their experiment says otherwise.
    pub fn open(uri: &str, artifact_root: &Path) -> Result<PgStore> {
        let (client, location) = connect(uri)?;
        let store = PgStore {
            client: Mutex::new(client),
            location,
            artifact_root: artifact_root.to_path_buf(),
            active_key: format!(
                "{}:{}@{}",
                super::ACTIVE_RUN,
                crate::env::var(crate::env::USER).unwrap_or_default(),
                crate::sys::hostname()
            ),
            truncate_long_values: true,
            commit_queue: None,
            statements: Mutex::default(),
        };
        schema::migrate(&store)?;
        Ok(store)
    }

    /// Whether the connection is gone (the database closed it): the store is of no more use.
    pub fn is_closed(&self) -> bool {
        self.client().is_closed()
    }

    pub(crate) fn client(&self) -> MutexGuard<'_, Client> {
        self.client.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` in a transaction, retrying on serialization failures and deadlocks.
    pub(crate) fn write<T>(&self, mut f: impl FnMut(&mut Transaction) -> Result<T>) -> Result<T> {
        let mut client = self.client();
        let mut attempt = 0;
        loop {
            let result = (|| {
                let mut tx = client.transaction()?;
                let value = f(&mut tx)?;
                tx.commit()?;
                Ok(value)
            })();
            match result {
                Err(e) if is_retryable(&e) && attempt < RETRIES => {
                    attempt += 1;
                    std::thread::sleep(Duration::from_millis(5 * u64::from(attempt)));
                }
                other => return other,
            }
        }
    }

    /// `sql` prepared on this connection, once.
    pub(crate) fn prepared(
        &self,
        tx: &mut impl postgres::GenericClient,
        sql: &'static str,
    ) -> Result<postgres::Statement> {
        let cached = self
            .statements
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(sql)
            .cloned();
        if let Some(s) = cached {
            return Ok(s);
        }
        let s = tx.prepare(sql)?;
        self.statements
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(sql, s.clone());
        Ok(s)
    }

    /// Runs `f` on the connection outside a transaction (each statement its own), retried
    /// as [`PgStore::write`] retries: for work that is one statement.
    pub(crate) fn single<T>(&self, mut f: impl FnMut(&mut Client) -> Result<T>) -> Result<T> {
        let mut client = self.client();
        let mut attempt = 0;
        loop {
            match f(&mut client) {
                Err(e) if is_retryable(&e) && attempt < RETRIES => {
                    attempt += 1;
                    std::thread::sleep(Duration::from_millis(5 * u64::from(attempt)));
                }
                other => return other,
            }
        }
    }

    /// The state key of the active run of this machine and user.
    pub(crate) fn active_key(&self) -> &str {
        &self.active_key
    }

    /// A key/value of the store's own state (such as the active run).
    pub fn state(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .client()
            .query_opt("SELECT value FROM state WHERE key = $1", &[&key])?
            .map(|r| r.get(0)))
    }

    /// Sets (or with `None`, clears) a key of the store's own state.
    pub fn set_state(&self, key: &str, value: Option<&str>) -> Result<()> {
        self.write(|tx| {
            match value {
                Some(v) => tx.execute(
                    "INSERT INTO state (key, value) VALUES ($1, $2)
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    &[&key, &v],
                )?,
                None => tx.execute("DELETE FROM state WHERE key = $1", &[&key])?,
            };
            Ok(())
        })
    }
}

fn is_retryable(e: &Error) -> bool {
    match e {
        Error::Database(inner) => inner
            .downcast_ref::<postgres::Error>()
            .and_then(|e| e.code())
            .is_some_and(|c| {
                *c == SqlState::T_R_SERIALIZATION_FAILURE || *c == SqlState::T_R_DEADLOCK_DETECTED
            }),
        _ => false,
    }
}

/// The first host and port of a configuration, for messages.
fn endpoint(config: &Config) -> (String, u16) {
    let host = match config.get_hosts().first() {
        Some(postgres::config::Host::Tcp(h)) => h.clone(),
        Some(postgres::config::Host::Unix(p)) => p.display().to_string(),
        None => "localhost".to_string(),
    };
    (host, config.get_ports().first().copied().unwrap_or(5432))
}

/// One line naming the server and what to do about a failed connection.
fn connect_error(e: &postgres::Error, host: &str, port: u16, user: &str, db: &str) -> Error {
    let code = e.code();
    let at = format!("PostgreSQL at {host}:{port}");
    let message = if code == Some(&SqlState::INVALID_PASSWORD)
        || code == Some(&SqlState::INVALID_AUTHORIZATION_SPECIFICATION)
    {
        format!(
            "{at} refused user `{user}`: password authentication failed; check the user and password in the store URI"
        )
    } else if code == Some(&SqlState::INVALID_CATALOG_NAME) {
        format!(
            "{at} has no database `{db}`: create it (createdb {db}) or name another in the store URI"
        )
    } else if let Some(db_error) = e.as_db_error() {
        format!("{at} refused the connection: {}", db_error.message())
    } else {
        let why = std::error::Error::source(e)
            .map(|s| s.to_string())
            .unwrap_or_else(|| e.to_string());
        format!(
            "cannot connect to {at}: {why}; check that the database server is running and the host and port in the store URI"
        )
    };
    Error::Remote(message)
}

/// The SQL condition for a view on a lifecycle-stage column.
pub(crate) fn view_sql(view: crate::tracking::ViewType, column: &str) -> String {
    use crate::tracking::ViewType;
    match view {
        ViewType::ActiveOnly => format!("{column} = 'active'"),
        ViewType::DeletedOnly => format!("{column} = 'deleted'"),
        ViewType::All => "TRUE".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("postgresql://u:secret@h:5432/db"),
            "postgresql://u:***@h:5432/db"
        );
        assert_eq!(redact("postgresql://h/db"), "postgresql://h/db");
        assert!(is_postgres_uri("postgres://h/db"));
        assert!(!is_postgres_uri("/tmp/x"));
    }
}
