//! Registry operations: deleting a version or a model removes the files that registering
//! copied into the store (`<store>/registry/<name>/<version>/`) along with the rows. Sources
//! that live elsewhere (a run's artifacts, a path outside the store) are left alone.

use std::path::{Path, PathBuf};

use crate::registry::{ModelRef, ModelVersion, parse_model_uri};
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
