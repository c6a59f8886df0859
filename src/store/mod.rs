//! The store: a `.mlf` directory holding `mlf.db` (SQLite, WAL) and `artifacts/`.
//!
//! Only this module speaks SQL. It never prints: what a caller should tell the user comes back
//! in return values. Many processes may write at once: every write is an IMMEDIATE transaction
//! behind a busy timeout, retried while SQLite reports the database busy.

mod backend;
mod experiments;
mod extra;
mod logging;
mod registry;
pub mod rest;
mod runs;
mod schema;
mod synthetic;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags, Transaction, TransactionBehavior};

pub use backend::{Backend, RegistryStore, TrackingStore};
pub use extra::LoggedModel;
pub use logging::{LogBatch, LogOutcome};
pub use registry::{Act, NewVersion, Snapshot};
pub use runs::{NewRun, RunPage, RunQuery};
pub use synthetic::Synthetic;

/// Name of the store directory that discovery looks for.
pub const STORE_DIR: &str = ".mlf";
/// Name of the database file inside the store.
pub const DB_FILE: &str = "mlf.db";
/// Name of the artifact root inside the store.
pub const ARTIFACTS_DIR: &str = "artifacts";

const BUSY_TIMEOUT: Duration = Duration::from_secs(30);
const BUSY_RETRIES: u32 = 20;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    AlreadyExists(String),
    #[error("{0}")]
    InvalidState(String),
    /// A rule of the store's policy forbids it (such as a protected stage without approval).
    #[error("{0}")]
    Refused(String),
    #[error("no mlf store found in `{0}` or any parent directory")]
    NoStore(String),
    #[error("{0}")]
    Io(String, #[source] std::io::Error),
    /// The tracking server does not serve this call (mlf's own calls on an MLflow server).
    #[error("{0}")]
    Unsupported(String),
    /// A tracking server could not be reached or answered with a server error.
    #[error("{0}")]
    Remote(String),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error(
        "the store `{0}` has schema version {1}, newer than this mlf understands ({2}): upgrade mlf"
    )]
    Newer(String, i64, i64),
    /// An error with what would unblock it. It shows as the error alone: front ends word the
    /// fix for their users (the command line names the command to run).
    #[error("{0}")]
    Fixable(Box<Error>, Fix),
}

/// What would unblock a refused call, as data.
#[derive(Debug, Clone, PartialEq)]
pub enum Fix {
    /// Restore the experiment (by id when known); `then_retry`: the call can be made after.
    RestoreExperiment {
        id: Option<String>,
        then_retry: bool,
    },
    /// Restore the experiment the run belongs to.
    RestoreRunsExperiment,
    /// Restore the run (a short id).
    RestoreRun { id: String },
    /// End the active run first.
    EndActiveRun,
    /// Request the transition and have it approved.
    RequestApproval {
        name: String,
        version: i64,
        stage: String,
    },
    /// Log the model directory to a run, then register from the run.
    LogModelToRun,
    /// The feature `what` needs an `mlf` tracking server or a local store.
    NeedsMlfServer { what: String },
}

impl Error {
    /// This error, with what would unblock it.
    pub fn with_fix(self, fix: Fix) -> Error {
        Error::Fixable(Box::new(self), fix)
    }

    /// The error itself, without a fix.
    pub fn plain(&self) -> &Error {
        match self {
            Error::Fixable(e, _) => e.plain(),
            e => e,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

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
                Err(Error::Sqlite(e)) if is_busy(&e) && attempt < BUSY_RETRIES => {
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

/// The key under which the active run of `mlf run start` is kept.
pub const ACTIVE_RUN: &str = "active_run";
