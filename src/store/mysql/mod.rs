//! The MySQL store (MySQL 8 and MariaDB 10.5 or newer): the same tables as the MySQL store
//! in a database named by a `mysql://USER:PASS@HOST:PORT/DB` URI, its statements in MySQL's
//! dialect (`sql.rs` translates their placeholders). Many processes may share the database:
//! writes are transactions at READ COMMITTED retried on deadlocks and lock timeouts, registry
//! numbers come under a row lock on the model, and the schema migrates under a named lock.

mod experiments;
mod extra;
mod filter;
mod inputs;
mod labels;
mod logged_models;
mod logging;
mod pages;
mod registry;
mod requests;
mod runs;
mod schema;
mod sql;
mod tables;
mod traits;
mod translate;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use sql::{Client, GenericClient, Transaction};

use super::database::redact;
use super::{Error, Result};

crate::store::database_sql::artifact_root::methods!(MyStore);

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const RETRIES: u32 = 20;

/// MySQL's error numbers the store tells apart.
mod code {
    pub const ACCESS_DENIED: u16 = 1045;
    pub const BAD_DB: u16 = 1049;
    pub const LOCK_WAIT_TIMEOUT: u16 = 1205;
    pub const DEADLOCK: u16 = 1213;
    pub const DATA_TOO_LONG: u16 = 1406;
    pub const SERVER_SHUTDOWN: u16 = 1053;
    pub const CONNECTION_KILLED: u16 = 1927;
}

impl From<mysql::Error> for Error {
    fn from(e: mysql::Error) -> Error {
        if let mysql::Error::MySqlError(m) = &e {
            if m.code == code::DATA_TOO_LONG {
                return Error::Invalid(format!(
                    "a value is longer than the database allows ({}): shorten it",
                    m.message
                ));
            }
        }
        if is_connection_lost(&e) {
            return Error::Unavailable(format!(
                "the database connection was lost ({e}); nothing was changed: try again"
            ));
        }
        Error::Database(Box::new(e))
    }
}

/// Whether an error means the connection is gone rather than that the statement failed.
fn is_connection_lost(e: &mysql::Error) -> bool {
    match e {
        // The socket failed, or what came over it could not be read.
        mysql::Error::IoError(_) | mysql::Error::CodecError(_) => true,
        mysql::Error::DriverError(d) => matches!(d, mysql::DriverError::PacketOutOfSync),
        mysql::Error::MySqlError(m) => {
            m.code == code::SERVER_SHUTDOWN || m.code == code::CONNECTION_KILLED
        }
        _ => false,
    }
}

/// Whether `uri` names a MySQL or MariaDB database (`mysql://…`, or SQLAlchemy's
/// `mysql+pymysql://…` as MLflow users write it).
pub fn is_mysql_uri(uri: &str) -> bool {
    uri.starts_with("mysql://") || (uri.starts_with("mysql+") && uri.contains("://"))
}

/// A store in a MySQL database.
pub struct MyStore {
    client: Mutex<Client>,
    /// `mysql://USER@HOST:PORT/DB`, without the password.
    location: String,
    artifact_root: PathBuf,
    /// The state key of this machine's and user's active run.
    active_key: String,
    /// Truncate over-long param and tag values (MLflow's default) instead of refusing them.
    pub truncate_long_values: bool,
    /// Whether the connection broke: the store is of no more use.
    closed: std::sync::atomic::AtomicBool,
}

/// A connection to the database at `uri`, with its location for messages (no password).
pub fn connect(uri: &str) -> Result<(Client, String)> {
    let plain = match uri.split_once("://") {
        Some((scheme, rest)) if scheme.starts_with("mysql") => format!("mysql://{rest}"),
        _ => uri.to_string(),
    };
    let opts = mysql::Opts::from_url(&plain).map_err(|e| {
        Error::Invalid(format!(
            "`{}` is no MySQL URI ({e}): write mysql://USER:PASSWORD@HOST:PORT/DATABASE",
            redact(uri)
        ))
    })?;
    let host = opts.get_ip_or_hostname().to_string();
    let port = opts.get_tcp_port();
    let user = opts.get_user().unwrap_or("").to_string();
    let db = opts.get_db_name().unwrap_or("").to_string();
    if db.is_empty() {
        return Err(Error::Invalid(format!(
            "`{}` names no database: write mysql://USER:PASSWORD@HOST:PORT/DATABASE",
            redact(uri)
        )));
    }
    let builder = mysql::OptsBuilder::from_opts(opts)
        .tcp_connect_timeout(Some(CONNECT_TIMEOUT))
        .stmt_cache_size(Some(256))
        .init(vec![
            "SET SESSION sql_mode = 'ANSI_QUOTES,PIPES_AS_CONCAT,STRICT_ALL_TABLES,\
             NO_BACKSLASH_ESCAPES,NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION'",
            "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED",
            "SET NAMES utf8mb4",
        ]);
    let conn = mysql::Conn::new(builder).map_err(|e| connect_error(&e, &host, port, &user, &db))?;
    Ok((Client(conn), format!("mysql://{user}@{host}:{port}/{db}")))
}

impl MyStore {
    /// Connects to the database at `uri` and brings its schema up to date; runs' artifacts
    /// go below `artifact_root` unless their experiment says otherwise.
    pub fn open(uri: &str, artifact_root: &Path) -> Result<MyStore> {
        let (client, location) = connect(uri)?;
        let store = MyStore {
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
            closed: Default::default(),
        };
        schema::migrate(&store)?;
        Ok(store)
    }

    /// Whether the connection is gone: the store is of no more use.
    pub fn is_closed(&self) -> bool {
        self.closed.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub(crate) fn client(&self) -> MutexGuard<'_, Client> {
        self.client.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn note(&self, e: &Error) {
        if matches!(e, Error::Unavailable(_)) {
            self.closed
                .store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// Runs `f` in a transaction, retrying on deadlocks and lock timeouts.
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
                Err(e) => {
                    self.note(&e);
                    return Err(e);
                }
                ok => return ok,
            }
        }
    }

    /// Runs `f` on the connection outside a transaction (each statement its own), retried
    /// as [`MyStore::write`] retries.
    pub(crate) fn single<T>(&self, mut f: impl FnMut(&mut Client) -> Result<T>) -> Result<T> {
        let mut client = self.client();
        let mut attempt = 0;
        loop {
            match f(&mut client) {
                Err(e) if is_retryable(&e) && attempt < RETRIES => {
                    attempt += 1;
                    std::thread::sleep(Duration::from_millis(5 * u64::from(attempt)));
                }
                Err(e) => {
                    self.note(&e);
                    return Err(e);
                }
                ok => return ok,
            }
        }
    }

    /// The state key of the active run of this machine and user.
    pub(crate) fn active_key(&self) -> &str {
        &self.active_key
    }

    /// A key/value of the store's own state (such as the active run).
    pub fn state(&self, key: &str) -> Result<Option<String>> {
        self.single(|c| {
            Ok(
                c.query_opt("SELECT value FROM state WHERE key = $1", &[&key])?
                    .map(|r| r.get(0)),
            )
        })
    }

    /// Sets (or with `None`, clears) a key of the store's own state.
    pub fn set_state(&self, key: &str, value: Option<&str>) -> Result<()> {
        self.write(|tx| {
            match value {
                Some(v) => tx.execute(
                    "INSERT INTO state (key, value) VALUES ($1, $2)
                     ON DUPLICATE KEY UPDATE value = VALUES(value)",
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
        Error::Database(inner) => match inner.downcast_ref::<mysql::Error>() {
            Some(mysql::Error::MySqlError(m)) => {
                m.code == code::DEADLOCK || m.code == code::LOCK_WAIT_TIMEOUT
            }
            _ => false,
        },
        _ => false,
    }
}

/// One line naming the server and what to do about a failed connection.
fn connect_error(e: &mysql::Error, host: &str, port: u16, user: &str, db: &str) -> Error {
    let at = format!("MySQL at {host}:{port}");
    let message = match e {
        mysql::Error::MySqlError(m) if m.code == code::ACCESS_DENIED => format!(
            "{at} refused user `{user}`: access denied; check the user and password in the store URI"
        ),
        mysql::Error::MySqlError(m) if m.code == code::BAD_DB => format!(
            "{at} has no database `{db}`: create it (CREATE DATABASE {db}) or name another in the store URI"
        ),
        mysql::Error::MySqlError(m) => format!("{at} refused the connection: {}", m.message),
        other => format!(
            "cannot connect to {at}: {other}; check that the database server is running and the host and port in the store URI"
        ),
    };
    Error::Remote(message)
}

/// The SQL condition for a view on a lifecycle-stage column.
pub(crate) fn view_sql(view: crate::tracking::ViewType, column: &str) -> String {
    super::postgres::view_sql(view, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris() {
        assert_eq!(
            redact("mysql://u:secret@h:3306/db"),
            "mysql://u:***@h:3306/db"
        );
        assert!(is_mysql_uri("mysql://h/db"));
        assert!(is_mysql_uri("mysql+pymysql://h/db"));
        assert!(!is_mysql_uri("postgresql://h/db"));
    }
}
