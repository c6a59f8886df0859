//! The error every command returns, how it renders, and which exit code it gives.
//!
//! Exit codes: 0 success; 1 the operation failed (no store, I/O, a failed run); 2 bad usage or
//! bad input (unknown run, invalid key, conflicting param); 101 an internal error.

use std::fmt;

use crate::store;

/// What kind of failure, which decides the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Bad input or usage: exit 2.
    Usage,
    /// The operation failed for a reason outside the input: exit 1.
    Failure,
    /// A bug or an unexpected state: exit 101.
    Internal,
}

/// A rendered-once error: message, causes and hints.
#[derive(Debug)]
pub struct CliError {
    pub kind: ErrorKind,
    pub message: String,
    pub causes: Vec<String>,
    pub hints: Vec<String>,
}

pub type CliResult<T = ()> = Result<T, CliError>;

impl CliError {
    pub fn new(kind: ErrorKind, message: impl fmt::Display) -> Self {
        CliError {
            kind,
            message: message.to_string(),
            causes: Vec::new(),
            hints: Vec::new(),
        }
    }

    pub fn exit_code(&self) -> u8 {
        match self.kind {
            ErrorKind::Usage => 2,
            ErrorKind::Failure => 1,
            ErrorKind::Internal => 101,
        }
    }

    #[must_use]
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hints.push(hint.into());
        self
    }

    #[must_use]
    pub fn cause(mut self, cause: impl fmt::Display) -> Self {
        self.causes.push(cause.to_string());
        self
    }
}

/// Bad input: exit code 2.
pub fn usage_error(message: impl fmt::Display) -> CliError {
    CliError::new(ErrorKind::Usage, message)
}

/// Operation failed: exit code 1.
pub fn failure(message: impl fmt::Display) -> CliError {
    CliError::new(ErrorKind::Failure, message)
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// A store error's message with its fix worded as commands to run.
fn with_fix(message: String, fix: &store::Fix) -> String {
    use store::Fix as F;
    match fix {
        F::RestoreExperiment {
            id: Some(id),
            then_retry,
        } => format!(
            "{message}: restore it with `mlf experiments restore {id}`{}",
            if *then_retry { " first" } else { "" }
        ),
        F::RestoreExperiment { id: None, .. } => {
            format!("{message} (deleted; restore it with `mlf experiments restore`)")
        }
        F::RestoreRunsExperiment => {
            format!("{message}: restore the experiment with `mlf experiments restore`")
        }
        F::RestoreRun { id } => format!("{message}: restore it with `mlf runs restore {id}`"),
        F::EndActiveRun => format!("{message}: end it with `mlf run end` first"),
        F::RequestApproval {
            name,
            version,
            stage,
        } => format!(
            "{message} (`mlf registry request {name} {version} --to {stage} -m WHY`, then `mlf registry approve`)"
        ),
        F::LogModelToRun => {
            format!("{message}: log the directory to a run first (`mlf models log PATH --run RUN`)")
        }
        F::NeedsMlfServer { what } => {
            format!("{what} needs `mlf server` or a local store: {message}")
        }
    }
}

impl From<store::Error> for CliError {
    fn from(e: store::Error) -> Self {
        use store::Error as E;
        if let E::Fixable(inner, fix) = e {
            let mut err = CliError::from(*inner);
            err.message = with_fix(err.message, &fix);
            return err;
        }
        let kind = match &e {
            E::NotFound(_)
            | E::Invalid(_)
            | E::AlreadyExists(_)
            | E::InvalidState(_)
            | E::Unsupported(_) => ErrorKind::Usage,
            E::NoStore(_)
            | E::Io(..)
            | E::Database(_)
            | E::Newer(..)
            | E::Refused(_)
            | E::Remote(_)
            | E::Unavailable(_)
            | E::Fixable(..) => ErrorKind::Failure,
        };
        let mut err = CliError::new(kind, e.to_string());
        if let E::Io(_, source) = &e {
            err = err.cause(source);
        }
        if let E::NoStore(_) = &e {
            err = err.hint("create one with `mlf init`, or point `--store`/`MLF_STORE` at one");
        }
        err
    }
}

impl From<crate::ops::Error> for CliError {
    fn from(e: crate::ops::Error) -> Self {
        match e {
            crate::ops::Error::Store(e) => e.into(),
            crate::ops::Error::Policy(e) => failure(e),
        }
    }
}

impl From<crate::models::Error> for CliError {
    fn from(e: crate::models::Error) -> Self {
        match e {
            crate::models::Error::Store(e) => e.into(),
            e if e.is_usage() => usage_error(e),
            e => failure(e),
        }
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        failure(e.to_string())
    }
}

impl From<serde_json::Error> for CliError {
    fn from(e: serde_json::Error) -> Self {
        CliError::new(ErrorKind::Internal, format!("cannot encode JSON: {e}"))
    }
}
