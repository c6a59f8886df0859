//! The SQLite store: `mlf.db` in WAL mode beside `artifacts/`. All of the store's SQL lives
//! below this module, the filter compiler included (`filter.rs`). Many processes may write at
//! once: every write is an IMMEDIATE transaction behind a busy timeout, retried while SQLite
//! reports the database busy.

mod experiments;
mod extra;
mod filter;
mod history;
mod labels;
mod logging;
mod paging;
mod registry;
mod requests;
mod runs;
mod schema;
mod synthetic;
mod traits;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags, Transaction, TransactionBehavior};

pub use extra::LoggedModel;
pub use logging::{LogBatch, LogOutcome};
pub use registry::{Act, NewVersion, Snapshot};
pub use runs::{NewRun, RunPage, RunQuery};
pub use synthetic::Synthetic;

use super::{ARTIFACTS_DIR, DB_FILE, Error, Result, STORE_DIR};

const BUSY_TIMEOUT: Duration = Duration::from_secs(30);
const BUSY_RETRIES: u32 = 20;

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Error {
        Error::Database(Box::new(e))
    }
}

/// The SQLite error inside a store error, if that is what it is.
fn sqlite_error(e: &Error) -> Option<&rusqlite::Error> {
    match e {
        Error::Database(inner) => inner.downcast_ref::<rusqlite::Error>(),
        _ => None,
    }
}

/// An open store.
pub struct Store {
    root: PathBuf,
    conn: Connection,
    /// Truncate over-long param and tag values (MLflow's default) instead of refusing them.
    pub truncate_long_values: bool,
}

impl Store {
    /// Walks up from `start` to the nearest directory holding a `.mlf` store.
    pub fn discover(start: &Path) -> Option<PathBuf> {
        start
            .ancestors()
            .map(|dir| dir.join(STORE_DIR))
            .find(|candidate| candidate.join(DB_FILE).is_file())
    }

    /// Opens an existing store directory.
    pub fn open(root: &Path) -> Result<Store> {
        let db = root.join(DB_FILE);
        if !db.is_file() {
            return Err(Error::NoStore(root.display().to_string()));
        }
        let conn = Connection::open_with_flags(
            &db,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        Store::prepare(root, conn)
    }

    /// Creates a store directory (or opens the one already there).
    pub fn create(root: &Path) -> Result<Store> {
        let artifacts = root.join(ARTIFACTS_DIR);
        std::fs::create_dir_all(&artifacts)
            .map_err(|e| Error::Io(format!("cannot create `{}`", artifacts.display()), e))?;
        let ignore = root.join(".gitignore");
        if !ignore.exists() {
            std::fs::write(&ignore, "*\n")
                .map_err(|e| Error::Io(format!("cannot write `{}`", ignore.display()), e))?;
        }
        let conn = Connection::open(root.join(DB_FILE))?;
        Store::prepare(root, conn)
    }

    fn prepare(root: &Path, conn: Connection) -> Result<Store> {
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        let root = std::fs::canonicalize(root)
            .map_err(|e| Error::Io(format!("cannot resolve `{}`", root.display()), e))?;
        let mut store = Store {
            root,
            conn,
            truncate_long_values: true,
        };
        schema::migrate(&mut store)?;
        Ok(store)
    }

    /// The store directory (`.../.mlf`), canonical.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The default artifact root, `<store>/artifacts`.
    pub fn artifact_root(&self) -> PathBuf {
        self.root.join(ARTIFACTS_DIR)
    }

    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Runs `f` in an IMMEDIATE transaction, retrying while the database is busy.
    pub(crate) fn write<T>(&mut self, mut f: impl FnMut(&Transaction) -> Result<T>) -> Result<T> {
        let mut attempt = 0;
        loop {
            let result = (|| {
                let tx = self
                    .conn
                    .transaction_with_behavior(TransactionBehavior::Immediate)?;
                let value = f(&tx)?;
                tx.commit()?;
                Ok(value)
            })();
            match result {
                Err(e) if sqlite_error(&e).is_some_and(is_busy) && attempt < BUSY_RETRIES => {
                    attempt += 1;
                    std::thread::sleep(Duration::from_millis(5 * u64::from(attempt)));
                }
                other => return other,
            }
        }
    }

    /// A key/value of the store's own state (such as the active run).
    pub fn state(&self, key: &str) -> Result<Option<String>> {
        use rusqlite::OptionalExtension;
        Ok(self
            .conn
            .query_row("SELECT value FROM state WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// Sets (or with `None`, clears) a key of the store's own state.
    pub fn set_state(&mut self, key: &str, value: Option<&str>) -> Result<()> {
        self.write(|tx| {
            match value {
                Some(v) => tx.execute(
                    "INSERT INTO state (key, value) VALUES (?1, ?2)
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (key, v),
                )?,
                None => tx.execute("DELETE FROM state WHERE key = ?1", [key])?,
            };
            Ok(())
        })
    }
}

pub(crate) fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::DatabaseBusy) | Some(ErrorCode::DatabaseLocked)
    )
}
