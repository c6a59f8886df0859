//! The store: a `.mlf` directory holding `mlf.db` (SQLite, WAL) and `artifacts/`.
//!
//! The traits every front end uses (`backend.rs`), the errors, and four implementations: the
//! SQLite store (`sqlite/`), the PostgreSQL store (`postgres/`) and the MySQL store
//! (`mysql/`) — these three are the only modules that speak SQL; the two on a database server
//! are opened through `database.rs` — and `rest/`, a client of an MLflow-compatible server.
//! The store never prints: what a caller should tell the user comes back in return values and
//! typed errors.

mod backend;
pub mod database;
mod database_sql;
mod database_traits;
pub mod mysql;
pub(crate) mod named_filter;
pub(crate) mod paging;
pub mod postgres;
pub mod rest;
mod sql_filter;
mod sqlite;
pub mod tables;

pub use backend::{Backend, Proxied, RegistryStore, RunIo, ServerStore, TrackingStore, is_remote};
pub use sqlite::{
    Act, BatchCounts, ExperimentMap, GcExperiment, GcPlan, GcRun, LogBatch, LogOutcome,
    LoggedModel, MlflowData, MlflowExperiment, MlflowLoggedModel, MlflowModel, MlflowRun,
    MlflowVersion, NewRun, NewVersion, RegistryCounts, RegistryEvent, RunFiles, RunPage, RunQuery,
    Snapshot, Store, Synthetic, WebhookChange, copy_mlflow_postgres, write_mlflow_scratch,
};

/// A page of a listing and the token of the next page, if there are more: what the store
/// traits' paged searches answer. Tokens are opaque to callers.
pub type Page<T> = (Vec<T>, Option<String>);

/// Name of the store directory that discovery looks for.
pub const STORE_DIR: &str = ".mlf";
/// Name of the database file inside the store.
pub const DB_FILE: &str = "mlf.db";
/// Name of the artifact root inside the store.
pub const ARTIFACTS_DIR: &str = "artifacts";

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    NotFound(Missing),
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
    /// The database could not be reached, or its connection broke: nothing was done, and the
    /// same call may succeed when it is tried again.
    #[error("{0}")]
    Unavailable(String),
    #[error(
        "the store `{0}` has schema version {1}, newer than this mlf understands ({2}): upgrade mlf"
    )]
    Newer(String, i64, i64),
    /// An error with what would unblock it. It shows as the error alone: front ends word the
    /// fix for their users (the command line names the command to run).
    #[error("{0}")]
    Fixable(Box<Error>, Fix),
}

/// What a lookup did not find. Front ends word it for their users: the command line shows
/// this Display, the server MLflow's own messages where MLflow has one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Missing {
    /// An experiment by id.
    #[error("no experiment with id `{0}`")]
    Experiment(String),
    /// An experiment by name, or by id when no name matched.
    #[error("no experiment named `{0}` (nor with that id)")]
    ExperimentNamed(String),
    /// An experiment by name or number (the stores that look by both at once).
    #[error("no experiment named or numbered `{0}`")]
    ExperimentNamedOrNumbered(String),
    #[error("no run with id `{0}`")]
    Run(String),
    /// A run by id, id prefix or name.
    #[error("no run matches `{0}` (by id, id prefix or name)")]
    RunMatching(String),
    #[error("no tag `{key}` on run `{run}`")]
    RunTag { run: String, key: String },
    #[error("no registered model named `{0}`")]
    RegisteredModel(String),
    /// A registered model as it was at a past time.
    #[error("registered model `{0}` did not exist at that time")]
    RegisteredModelThen(String),
    #[error("model `{name}` has no version {version}")]
    ModelVersion { name: String, version: i64 },
    #[error("model `{name}` has no alias `{alias}`")]
    Alias { name: String, alias: String },
    #[error("no logged model `{0}`")]
    LoggedModel(String),
    #[error("no transition request #{0}")]
    Request(i64),
    #[error("no webhook `{0}`")]
    Webhook(String),
    #[error("no pending request for version {version} of `{name}`")]
    PendingRequest { name: String, version: i64 },
    /// A message that is not about one entity of the store (such as a tracking server's own
    /// words).
    #[error("{0}")]
    Other(String),
}

/// Why the files of a new model version could not be put in place (the `place` callback of
/// `RegistryStore::create_version`); the store refuses the version with it.
#[derive(Debug, thiserror::Error)]
pub enum PlaceError {
    #[error("cannot create `{}`: {source}", path.display())]
    Create {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("cannot move the model into `{}`: {source}", path.display())]
    Move {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    /// The caller has nothing to place (such as a version registered by its location).
    #[error("{0}")]
    Nothing(String),
}

impl From<&str> for PlaceError {
    fn from(why: &str) -> PlaceError {
        PlaceError::Nothing(why.to_string())
    }
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

impl From<crate::tracking::validation::Error> for Error {
    fn from(e: crate::tracking::validation::Error) -> Error {
        Error::Invalid(e.to_string())
    }
}

impl From<crate::registry::Error> for Error {
    fn from(e: crate::registry::Error) -> Error {
        Error::Invalid(e.to_string())
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The key under which the active run of `mlf run start` is kept.
pub const ACTIVE_RUN: &str = "active_run";

/// The one run among the (id, name) pairs that matched `spec`, or why there is not one.
pub(crate) fn pick_run(spec: &str, mut candidates: Vec<(String, String)>) -> Result<String> {
    match candidates.len() {
        1 => Ok(candidates.remove(0).0),
        0 => Err(Error::NotFound(Missing::RunMatching(spec.to_string()))),
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
