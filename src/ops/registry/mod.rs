//! Registry operations. Registering places a version's files (`register.rs`: copied into
//! `<store>/registry/<name>/<version>/`, or recorded where they are in the store); deleting a
//! version or a model removes the files registering copied in along with the rows (sources that
//! live elsewhere, a run's artifacts or a path outside the store, are left alone); stage
//! transitions and decisions on requests follow the store's policy.

mod register;

use std::path::{Path, PathBuf};

pub use register::{RegisterError, Registration, add_version, register};

use crate::registry::{ModelRef, ModelVersion, Policy, Stage, TransitionRequest, parse_model_uri};
use crate::store::{Act, Backend, Error, Result};

/// Where registering copies a version's files in a local store.
fn copied_files<S: Backend + ?Sized>(
    store: &S,
    name: &str,
    version: Option<i64>,
) -> Option<PathBuf> {
    let local = store.local()?;
    let dir = local.root().join("registry").join(name);
    Some(match version {
        Some(v) => dir.join(v.to_string()),
        None => dir,
    })
}

/// Deletes version `version` of `name` and its copied files; returns the aliases that
/// pointed at it.
pub fn delete_version<S: Backend + ?Sized>(
    store: &mut S,
    name: &str,
    version: i64,
    act: &Act,
) -> Result<Vec<String>> {
    let location = store.version(name, version)?.storage_location;
    let aliases = store.delete_version(name, version, act)?;
    if let Some(own) = copied_files(store, name, Some(version))
        && Path::new(&location).starts_with(&own)
        && own.is_dir()
    {
        // The rows are gone; a file that cannot be removed only costs disk space.
        let _ = std::fs::remove_dir_all(&own);
    }
    Ok(aliases)
}

/// Deletes the model `name`, its versions, and every file copied in for them.
pub fn delete_model<S: Backend + ?Sized>(store: &mut S, name: &str, act: &Act) -> Result<()> {
    store.delete_model(name, act)?;
    if let Some(files) = copied_files(store, name, None)
        && files.is_dir()
    {
        let _ = std::fs::remove_dir_all(&files);
    }
    Ok(())
}

/// The version a `models:/` URI names: `models:/NAME/VERSION`, `models:/NAME/STAGE`,
/// `models:/NAME/latest` or `models:/NAME@ALIAS`.
pub fn resolve_model<S: Backend + ?Sized>(store: &S, uri: &str) -> Result<ModelVersion> {
    let newest = |name: &str| -> Result<ModelVersion> {
        store.model(name)?;
        store
            .versions(name)?
            .into_iter()
            .next()
            .ok_or_else(|| Error::Invalid(format!("model `{name}` has no versions")))
    };
    match parse_model_uri(uri)? {
        ModelRef::Version(name, v) => store.version(&name, i64::from(v)),
        ModelRef::Alias(name, alias) if alias.eq_ignore_ascii_case("latest") => newest(&name),
        ModelRef::Alias(name, alias) => {
            let v = store.alias_version(&name, &alias)?;
            store.version(&name, v)
        }
        ModelRef::Latest(name) => newest(&name),
        ModelRef::Stage(name, stage) => {
            store.model(&name)?;
            store
                .versions(&name)?
                .into_iter()
                .find(|v| v.current_stage == stage.as_str())
                .ok_or_else(|| Error::Invalid(format!("model `{name}` has no version in {stage}")))
        }
    }
}

/// The store's registry policy (`[registry]` in `<store>/config.toml`); a tracking server
/// enforces its own, so none applies through one.
pub fn policy<S: Backend + ?Sized>(store: &S) -> Result<Policy, super::Error> {
    match store.local() {
        Some(local) => Policy::read(local.root()).map_err(super::Error::Policy),
        None => Ok(Policy::default()),
    }
}

/// What a stage transition did.
#[derive(Debug)]
pub struct Transitioned {
    /// The version, in its new stage.
    pub version: ModelVersion,
    /// Whether the stage is protected, so that an approved request was used up.
    pub approved: bool,
}

/// Moves version `version` of `name` to `stage` (archiving the versions in it with
/// `archive_existing`). A stage the policy protects needs an approved request, which the move
/// uses up; without one the store refuses.
pub fn transition<S: Backend + ?Sized>(
    store: &mut S,
    name: &str,
    version: i64,
    stage: Stage,
    archive_existing: bool,
    act: &Act,
) -> Result<Transitioned, super::Error> {
    let approved = policy(store)?.is_protected(stage);
    let version = store.transition(name, version, stage, archive_existing, approved, act)?;
    Ok(Transitioned { version, approved })
}

/// Which pending transition request a decision is about.
#[derive(Debug, Clone, Copy)]
pub enum Pending<'a> {
    /// The request with this id.
    Id(i64),
    /// The pending request of a version (to `stage`, when the version has several).
    Of {
        name: &'a str,
        version: i64,
        stage: Option<Stage>,
    },
}

/// Approves or rejects a pending request; whether its author may approve it is the policy's
/// `allow_self_approval`.
pub fn decide<S: Backend + ?Sized>(
    store: &mut S,
    which: Pending,
    approve: bool,
    act: &Act,
) -> Result<TransitionRequest, super::Error> {
    let (id, allow_self) = match which {
        Pending::Id(id) => (id, policy(store)?.allow_self_approval),
        Pending::Of {
            name,
            version,
            stage,
        } => {
            store.version(name, version)?;
            let allow_self = policy(store)?.allow_self_approval;
            (store.pending_request_for(name, version, stage)?, allow_self)
        }
    };
    Ok(store.decide_request(id, approve, allow_self, act)?)
}

#[cfg(test)]
mod tests;
