//! The SQLite store: `mlf.db` in WAL mode beside `artifacts/`. All of the store's SQL lives
//! below this module, the filter compiler included (`filter.rs`). Many processes may write at
//! once: every write is an IMMEDIATE transaction behind a busy timeout, retried while SQLite
//! reports the database busy.

mod checkpoint;
mod experiments;
mod extra;
mod filter;
mod gc;
mod group;
mod history;
mod inputs;
mod labels;
mod logging;
mod mlflow;
mod mlflow_pg;
mod mlflow_scratch;
mod mlflow_src;
mod registry;
mod requests;
mod runs;
mod schema;
mod served;
mod sync;
mod sync_merge;
mod sync_registry;
mod synthetic;
mod tables;
#[cfg(test)]
mod test_support;
mod traits;
#[allow(unsafe_code)]
mod walbuf;
mod webhooks;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags, TransactionBehavior};

pub use extra::LoggedModel;
pub use gc::{GcExperiment, GcPlan, GcRun};
pub use logging::{LogBatch, LogOutcome};
pub use mlflow::{BatchCounts, ExperimentMap, RegistryCounts, RunFiles};
pub use mlflow_pg::copy_mlflow_postgres;
pub use mlflow_scratch::{
    MlflowData, MlflowExperiment, MlflowLoggedModel, MlflowModel, MlflowRun, MlflowVersion,
    write_mlflow_scratch,
};
pub use registry::{Act, NewVersion, Snapshot};
pub use runs::{NewRun, RunPage, RunQuery};
pub use synthetic::Synthetic;
pub use webhooks::{RegistryEvent, WebhookChange};

use super::{ARTIFACTS_DIR, DB_FILE, Error, Result, STORE_DIR};

const BUSY_TIMEOUT: Duration = Duration::from_secs(30);
/// The WAL size past which a closing connection copies the WAL into the database and empties
/// it: the next process to open the store alone reads the whole WAL to rebuild its index.
const WAL_KEPT_BYTES: u64 = 64 * 4096;
const BUSY_RETRIES: u32 = 20;

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Error {
        Error::Database(Box::new(e))
    }
}

/// Opens the database file through the layer that writes a commit's WAL frames at once
/// (`walbuf`).
fn open_db(db: &Path, flags: OpenFlags) -> rusqlite::Result<Connection> {
    match walbuf::vfs() {
        Some(vfs) => Connection::open_with_flags_and_vfs(db, flags, vfs),
        None => Connection::open_with_flags(db, flags),
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
    /// Whether this connection has run a group yet (see [`Store::group`]).
    grouped: bool,
    /// The thread that checkpoints a group writer's WAL, once it has one.
    checkpointer: Option<checkpoint::Checkpointer>,
    /// A group's transaction is open (see `group.rs`).
    grouping: bool,
    /// ... and nothing has been written in it yet.
    fresh: bool,
    /// ... and a write failed in it without a savepoint, or SQLite rolled it back: the group
    /// is undone instead of committed.
    spoiled: bool,
}

impl Drop for Store {
    fn drop(&mut self) {
        // Connections close without a checkpoint (`prepare`); the one that finds the WAL grown
        // past a few pages copies it back and truncates it, unless another connection is
        // reading, in which case a later one will.
        let wal = self.root.join(format!("{DB_FILE}-wal"));
        if std::fs::metadata(&wal).is_ok_and(|m| m.len() > WAL_KEPT_BYTES) {
            let _ = self.conn.busy_timeout(Duration::ZERO);
            let _ = self
                .conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        }
    }
}

impl Store {
    /// Walks up from `start` to the nearest directory holding a `.mlf` store.
    pub fn discover(start: &Path) -> Option<PathBuf> {
        start
            .ancestors()
            .map(|dir| dir.join(STORE_DIR))
            .find(|candidate| candidate.join(DB_FILE).is_file())
    }

    /// The store a `--store DIR` names: DIR itself, or `DIR/.mlf` when DIR is no store but
    /// holds one (a project directory).
    pub fn named(dir: &Path) -> PathBuf {
        let inner = dir.join(STORE_DIR);
        if !dir.join(DB_FILE).is_file() && inner.join(DB_FILE).is_file() {
            inner
        } else {
            dir.to_path_buf()
        }
    }

    /// Opens an existing store directory.
    pub fn open(root: &Path) -> Result<Store> {
        Store::prepare(root, Store::connect(root)?)
    }

    /// A connection to the existing store at `root`.
    fn connect(root: &Path) -> Result<Connection> {
        let db = root.join(DB_FILE);
        if !db.is_file() {
            return Err(Error::NoStore(root.display().to_string()));
        }
        Ok(open_db(
            &db,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?)
    }

    /// Opens an existing store for one short command, in SQLite's exclusive locking mode
    /// when no other connection has the database open: the index of the write-ahead log is
    /// then kept in this process's memory, so the shared-memory file is neither rebuilt nor
    /// locked at each statement. Another connection that opens the store meanwhile waits for
    /// this process to end. When one has it open already (a server, another command), the
    /// store is opened as [`Store::open`] does.
    pub fn open_alone(root: &Path) -> Result<Store> {
        let conn = Store::connect(root)?;
        conn.pragma_update(None, "locking_mode", "EXCLUSIVE")?;
        // The first read takes the database's lock: at once, or not at all.
        conn.busy_timeout(Duration::ZERO)?;
        match conn.query_row("PRAGMA schema_version", [], |_| Ok(())) {
            Ok(()) => Store::prepare(root, conn),
            Err(e) if is_busy(&e) => {
                drop(conn);
                Store::open(root)
            }
            Err(e) => Err(e.into()),
        }
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
        let conn = open_db(&root.join(DB_FILE), OpenFlags::default())?;
        Store::prepare(root, conn)
    }

    fn prepare(root: &Path, conn: Connection) -> Result<Store> {
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // A process that logs one value and exits would otherwise create the WAL file, sync
        // it, copy it into the database on close, sync again and delete it: four syncs a
        // call. The WAL stays instead; see `Drop`.
        conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
            true,
        )?;
        // Room for every statement on a hot path (a log batch, a group's savepoints, the run
        // lookups) to stay prepared.
        conn.set_prepared_statement_cache_capacity(64);
        let root = std::fs::canonicalize(root)
            .map_err(|e| Error::Io(format!("cannot resolve `{}`", root.display()), e))?;
        let mut store = Store {
            root,
            conn,
            truncate_long_values: true,
            grouped: false,
            checkpointer: None,
            grouping: false,
            fresh: false,
            spoiled: false,
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

    /// Runs `f` in an IMMEDIATE transaction, retrying while the database is busy. Inside a
    /// group ([`Store::group`]) it runs in a savepoint of the group's transaction instead: its
    /// changes are undone alone when it fails, and are committed with the group.
    pub(crate) fn write<T>(&mut self, mut f: impl FnMut(&Connection) -> Result<T>) -> Result<T> {
        if self.grouping {
            return self.write_in_group(f);
        }
        if !self.conn.is_autocommit() {
            return savepoint(&self.conn, || f(&self.conn));
        }
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

/// Runs one statement without parameters, prepared once per connection (transaction control
/// on the path of every write).
fn run(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(drop)
}

/// Runs `f` in a savepoint of its own: released when it succeeds, rolled back when it fails.
fn savepoint<T>(conn: &Connection, f: impl FnOnce() -> Result<T>) -> Result<T> {
    run(conn, "SAVEPOINT mlf_write")?;
    match f() {
        Ok(value) => {
            run(conn, "RELEASE mlf_write")?;
            Ok(value)
        }
        Err(e) => {
            let _ =
                run(conn, "ROLLBACK TO mlf_write").and_then(|()| run(conn, "RELEASE mlf_write"));
            Err(e)
        }
    }
}

pub(crate) fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::DatabaseBusy) | Some(ErrorCode::DatabaseLocked)
    )
}
