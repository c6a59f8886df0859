//! Registering a version: where its files come from, and placing them. A run's artifacts are
//! recorded where they are; a local path or another registered version is copied into
//! `<store>/registry/<name>/<version>/` (staged first, moved into place once the version has
//! its number, and removed again if registering fails).

use std::path::{Path, PathBuf};

use crate::artifacts::{LocalRepo, clean_relative};
use crate::registry::ModelVersion;
use crate::store::{Act, Backend, NewVersion, PlaceError};
use crate::tracking::KeyValue;

/// Why a version could not be registered. Front ends word these (and the hints) for their users.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error(transparent)]
    Store(#[from] crate::store::Error),
    /// Reading the source or copying it into the store failed.
    #[error(transparent)]
    Artifact(#[from] crate::artifacts::Error),
    /// A `runs:` URI without a run.
    #[error("`{0}` names no run: write runs:/RUN/PATH")]
    NoRun(String),
    /// A `runs:` URI whose path has `%` or `\`.
    #[error("`{0}`: artifact paths cannot contain `%` or `\\`")]
    ArtifactPath(String),
    /// A `file:` URI (the path itself is accepted).
    #[error("`{0}`: file: URIs are not accepted as sources")]
    FileUri(String),
    /// Another scheme than `runs:` and `models:`.
    #[error(
        "`{uri}`: {scheme}:// sources are not supported; give runs:/RUN/PATH, models:/… or a local path"
    )]
    Scheme { uri: String, scheme: String },
    /// A local path that does not exist.
    #[error("no file or directory `{0}`")]
    NoSuchPath(String),
    /// A local path to register through a tracking server, which holds no local files.
    #[error("`{0}` is a local path, and a tracking server registers only what it holds")]
    LocalPathOnServer(String),
    /// A local path inside the store, or one holding it.
    #[error(
        "`{0}` is inside the store (or holds it): register runs:/RUN/PATH or models:/… instead"
    )]
    InsideStore(String),
}

/// A new version to register.
#[derive(Debug)]
pub struct Registration<'a> {
    /// The registered model (created if missing).
    pub name: &'a str,
    /// `runs:/RUN/PATH`, `models:/…`, or a local path (relative to `cwd`).
    pub uri: &'a str,
    pub cwd: &'a Path,
    pub description: &'a str,
    pub tags: Vec<KeyValue>,
}

/// Where a version's files come from.
enum Origin {
    /// Already inside the store: (source to record, run id, storage location).
    InStore(String, String, String),
    /// Files to copy in: the path, and the source and run id to record (empty: the copy
    /// itself is the source, and the path is kept in the tag `mlf.source.original`).
    Copy(PathBuf, String, String),
}

fn origin<S: Backend + ?Sized>(store: &S, uri: &str, cwd: &Path) -> Result<Origin, RegisterError> {
    if let Some(rest) = uri.strip_prefix("runs:") {
        let rest = rest.trim_start_matches('/');
        let (run, path) = rest.split_once('/').unwrap_or((rest, ""));
        if run.is_empty() {
            return Err(RegisterError::NoRun(uri.to_string()));
        }
        if path.contains('%') || path.contains('\\') {
            return Err(RegisterError::ArtifactPath(uri.to_string()));
        }
        let rel = clean_relative(path)?;
        let id = store.resolve_run(run, None)?;
        let run = store.run(&id)?;
        let repo = store.artifacts(&run)?;
        // Listing checks that the path exists and stays inside the run's artifacts.
        if let Err(e) = repo.list(&rel, false) {
            // Not an artifact of the run: a logged model it made, named so (MLflow 3).
            let logged = match store.local() {
                Some(local) => local.run_logged_model_path(&id, &rel)?,
                None => None,
            };
            let Some((_, dir)) = logged.filter(|(_, d)| d.exists()) else {
                return Err(e.into());
            };
            LocalRepo::new(dir.clone()).check_tree(Path::new(""))?;
            let shown = rel.display().to_string();
            return Ok(Origin::InStore(
                format!("runs:/{id}/{shown}"),
                id,
                dir.display().to_string(),
            ));
        }
        // Every file below it must be a plain file inside the run's artifacts.
        repo.check_tree(&rel)?;
        let location = match repo.local_root() {
            Some(root) => root.join(&rel).display().to_string(),
            None => String::new(),
        };
        let shown = rel.display().to_string();
        return Ok(Origin::InStore(format!("runs:/{id}/{shown}"), id, location));
    }
    if uri.starts_with("models:") {
        // Copied, so that the new version keeps its files whatever happens to the other model.
        let version = super::resolve_model(store, uri)?;
        return Ok(Origin::Copy(
            PathBuf::from(version.storage_location),
            uri.to_string(),
            version.run_id,
        ));
    }
    if uri.starts_with("file:") {
        return Err(RegisterError::FileUri(uri.to_string()));
    }
    if let Some((scheme, _)) = uri.split_once("://") {
        return Err(RegisterError::Scheme {
            uri: uri.to_string(),
            scheme: scheme.to_string(),
        });
    }
    let path = cwd.join(uri);
    if !path.exists() {
        return Err(RegisterError::NoSuchPath(uri.to_string()));
    }
    Ok(Origin::Copy(path, String::new(), String::new()))
}

/// Adds a version whose files are where `new.storage_location` says (inside the store, or on
/// the tracking server): nothing is copied or moved.
pub fn add_version<S: Backend + ?Sized>(
    store: &mut S,
    new: &NewVersion,
    act: &Act,
) -> crate::store::Result<ModelVersion> {
    store.create_version(new, act, &mut |_| Err("nothing to place".into()))
}

/// Registers `reg.uri` as a new version of `reg.name`, copying local files into the store.
pub fn register<S: Backend + ?Sized>(
    store: &mut S,
    reg: Registration,
    act: &Act,
) -> Result<ModelVersion, RegisterError> {
    let Registration {
        name,
        uri,
        cwd,
        description,
        mut tags,
    } = reg;
    let origin = origin(store, uri, cwd)?;
    let version_of = |source, run_id, storage_location, tags| NewVersion {
        name: name.to_string(),
        source,
        run_id,
        storage_location,
        description: description.to_string(),
        tags,
    };
    let (path, source, run_id) = match origin {
        Origin::InStore(source, run_id, location) => {
            return Ok(add_version(
                store,
                &version_of(source, run_id, location, tags),
                act,
            )?);
        }
        Origin::Copy(path, source, _) if store.local().is_none() && source.is_empty() => {
            return Err(RegisterError::LocalPathOnServer(path.display().to_string()));
        }
        Origin::Copy(_, source, run_id) if store.local().is_none() => {
            // The tracking server resolves the source itself.
            return Ok(add_version(
                store,
                &version_of(source, run_id, String::new(), tags),
                act,
            )?);
        }
        Origin::Copy(path, source, run_id) => (path, source, run_id),
    };
    let store_root = store
        .local()
        .map(|s| s.root().to_path_buf())
        .unwrap_or_default();
    let registry_root = store_root.join("registry");
    let original = std::fs::canonicalize(&path).unwrap_or(path.clone());
    let store_root = std::fs::canonicalize(&store_root).unwrap_or(store_root);
    if source.is_empty() && (original.starts_with(&store_root) || store_root.starts_with(&original))
    {
        return Err(RegisterError::InsideStore(original.display().to_string()));
    }
    if source.is_empty() {
        tags.push(KeyValue {
            key: "mlf.source.original".into(),
            value: original.display().to_string(),
        });
    }
    let staging = stage_copy(&path, &registry_root)?;
    let base = original
        .file_name()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("model"));
    let new = version_of(source, run_id, String::new(), tags);
    let target_dir = registry_root.join(name);
    let mut placed: Option<PathBuf> = None;
    let mut place = |version: i64| -> Result<String, PlaceError> {
        std::fs::create_dir_all(&target_dir).map_err(|source| PlaceError::Create {
            path: target_dir.clone(),
            source,
        })?;
        let dest = target_dir.join(version.to_string());
        std::fs::rename(&staging, &dest).map_err(|source| PlaceError::Move {
            path: dest.clone(),
            source,
        })?;
        placed = Some(dest.clone());
        Ok(dest.join(&base).display().to_string())
    };
    match store.create_version(&new, act, &mut place) {
        Ok(v) => Ok(v),
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            if let Some(dest) = placed {
                let _ = std::fs::remove_dir_all(dest);
            }
            Err(e.into())
        }
    }
}

/// Copies `path` into a fresh staging directory below `registry_root`; removes it again if
/// the copy fails.
fn stage_copy(path: &Path, registry_root: &Path) -> Result<PathBuf, RegisterError> {
    let staging = registry_root.join(format!(
        ".incoming-{}-{}",
        std::process::id(),
        crate::tracking::ids::new_run_id()
    ));
    let repo = LocalRepo::new(staging.clone());
    let copy = (|| {
        for item in repo.plan_put(path, Path::new(""))? {
            repo.put(&item, &mut |_| {})?;
        }
        Ok::<_, crate::artifacts::Error>(())
    })();
    if let Err(e) = copy {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(e.into());
    }
    Ok(staging)
}
