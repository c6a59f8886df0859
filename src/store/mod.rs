//! The store: a `.mlf` directory holding `mlf.db` (SQLite, WAL) and `artifacts/`.
//!
//! The traits every front end uses (`backend.rs`), the errors, and two implementations: the
//! SQLite store (`sqlite/`, the only module that speaks SQL) and `rest.rs`, a client of an
//! MLflow-compatible server. The store never prints: what a caller should tell the user comes
//! back in return values and typed errors.

mod backend;
pub mod rest;
mod sqlite;

pub use backend::{Backend, RegistryStore, TrackingStore};
pub use sqlite::{
    Act, LogBatch, LogOutcome, LoggedModel, NewRun, NewVersion, RunPage, RunQuery, Snapshot, Store,
    Synthetic,
};

/// Name of the store directory that discovery looks for.
pub const STORE_DIR: &str = ".mlf";
/// Name of the database file inside the store.
pub const DB_FILE: &str = "mlf.db";
/// Name of the artifact root inside the store.
pub const ARTIFACTS_DIR: &str = "artifacts";

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
    /// The database failed (the SQLite store's errors, boxed so nothing above it names them).
    #[error("database error: {0}")]
    Database(Box<dyn std::error::Error + Send + Sync>),
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

/// The key under which the active run of `mlf run start` is kept.
pub const ACTIVE_RUN: &str = "active_run";

/// The one run among the (id, name) pairs that matched `spec`, or why there is not one.
pub(crate) fn pick_run(spec: &str, mut candidates: Vec<(String, String)>) -> Result<String> {
    match candidates.len() {
        1 => Ok(candidates.remove(0).0),
        0 => Err(Error::NotFound(format!(
            "no run matches `{spec}` (by id, id prefix or name)"
        ))),
        _ => {
            let list = candidates
                .iter()
                .take(5)
                .map(|(id, name)| format!("{} ({name})", &id[..12.min(id.len())]))
                .collect::<Vec<_>>()
                .join(", ");
            Err(Error::Invalid(format!(
                "`{spec}` is ambiguous: it matches {list}; give more of the run id"
            )))
        }
    }
}
