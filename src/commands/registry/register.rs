//! `mlf registry create` and `mlf registry register`.

use std::path::{Path, PathBuf};

use crate::artifacts::{LocalRepo, clean_relative};
use crate::commands::log::artifact_error;
use crate::context::Ctx;
use crate::error::{CliResult, usage_error};
use crate::registry::validate_model_name;
use crate::store::{Act, Backend, NewVersion, PlaceError};
use crate::tracking::KeyValue;
use crate::ui::format::{OutputArgs, OutputFormat};

#[derive(Debug, clap::Args)]
pub struct CreateArgs {
    /// Name of the model
    name: String,
    /// Description
    #[arg(short, long)]
    description: Option<String>,
    /// A tag (repeatable)
    #[arg(short, long = "tag", value_name = "KEY=VALUE")]
    tags: Vec<String>,
    #[command(flatten)]
    output: OutputArgs,
}

/// Register a model as a new version of a registered model
///
/// MODEL_URI is `runs:/RUN/PATH` (a directory or file in a run's artifacts), `models:/NAME/…`
/// (another registered version), or a local path, which is copied into the store. `file://`
/// URIs and other schemes are refused: a version's files always live inside the store.
#[derive(Debug, clap::Args)]
pub struct RegisterArgs {
    /// `runs:/RUN/PATH`, `models:/NAME/VERSION|STAGE|latest`, `models:/NAME@ALIAS`, or a local path
    model_uri: String,
    /// Registered model to add the version to (created if missing)
    #[arg(long)]
    name: String,
    /// Description of the version
    #[arg(short, long)]
    description: Option<String>,
    /// A tag of the version (repeatable)
    #[arg(short, long = "tag", value_name = "KEY=VALUE")]
    tags: Vec<String>,
    #[command(flatten)]
    output: OutputArgs,
}

pub fn create(ctx: &mut Ctx, args: CreateArgs) -> CliResult<u8> {
    let CreateArgs {
        name,
        description,
        tags,
        output,
    } = args;
    validate_model_name(&name).map_err(usage_error)?;
    let tags = super::tags(&tags)?;
    let actor = super::actor(ctx);
    let model = ctx.store_for_write()?.create_model(
        &name,
        description.as_deref().unwrap_or(""),
        &tags,
        &Act {
            actor: &actor,
            comment: None,
        },
    )?;
    if output.format == OutputFormat::Json {
        ctx.ui
            .json(&serde_json::json!({ "registered_model": model }))?;
    } else {
        ctx.ui
            .status("Created", &format!("registered model `{name}`"));
    }
    Ok(0)
}

/// Where a version's files come from.
enum Origin {
    /// Already inside the store: (source to record, run id, storage location).
    InStore(String, String, String),
    /// Files to copy in: the path, and the source and run id to record (empty: the copy
    /// itself is the source, and the path is kept in the tag `mlf.source.original`).
    Copy(PathBuf, String, String),
}

fn origin(store: &dyn Backend, uri: &str, cwd: &Path) -> CliResult<Origin> {
    if let Some(rest) = uri.strip_prefix("runs:") {
        let rest = rest.trim_start_matches('/');
        let (run, path) = rest.split_once('/').unwrap_or((rest, ""));
        if run.is_empty() {
            return Err(usage_error(format!(
                "`{uri}` names no run: write runs:/RUN/PATH"
            )));
        }
        if path.contains('%') || path.contains('\\') {
            return Err(usage_error(format!(
                "`{uri}`: artifact paths cannot contain `%` or `\\`"
            )));
        }
        let rel = clean_relative(path).map_err(artifact_error)?;
        let id = store.resolve_run(run, None)?;
        let run = store.run(&id)?;
        let repo = store.artifacts(&run)?;
        // Listing checks that the path exists and stays inside the run's artifacts.
        repo.list(&rel, false).map_err(artifact_error)?;
        // Every file below it must be a plain file inside the run's artifacts.
        repo.check_tree(&rel).map_err(artifact_error)?;
        let location = match repo.local_root() {
            Some(root) => root.join(&rel).display().to_string(),
            None => String::new(),
        };
        let shown = rel.display().to_string();
        return Ok(Origin::InStore(format!("runs:/{id}/{shown}"), id, location));
    }
    if uri.starts_with("models:") {
        // Copied, so that the new version keeps its files whatever happens to the other model.
        let version = crate::ops::registry::resolve_model(store, uri)?;
        return Ok(Origin::Copy(
            PathBuf::from(version.storage_location),
            uri.to_string(),
            version.run_id,
        ));
    }
    if uri.starts_with("file:") {
        return Err(
            usage_error(format!("`{uri}`: file: URIs are not accepted as sources"))
                .hint("give the path itself (it is copied into the store), or runs:/RUN/PATH"),
        );
    }
    if let Some((scheme, _)) = uri.split_once("://") {
        return Err(usage_error(format!(
            "`{uri}`: {scheme}:// sources are not supported; give runs:/RUN/PATH, models:/… or a local path"
        )));
    }
    let path = cwd.join(uri);
    if !path.exists() {
        return Err(usage_error(format!("no file or directory `{uri}`"))
            .hint("give an existing path, runs:/RUN/PATH or models:/NAME/VERSION"));
    }
    Ok(Origin::Copy(path, String::new(), String::new()))
}

pub fn register(ctx: &mut Ctx, args: RegisterArgs) -> CliResult<u8> {
    let RegisterArgs {
        model_uri,
        name,
        description,
        tags,
        output,
    } = args;
    validate_model_name(&name).map_err(usage_error)?;
    let mut tags = super::tags(&tags)?;
    let actor = super::actor(ctx);
    let cwd = ctx.cwd()?;
    let store = ctx.store_for_write()?;
    let origin = origin(store, &model_uri, &cwd)?;
    let registry_root = store
        .local()
        .map(|s| s.root().join("registry"))
        .unwrap_or_default();
    let version_of = |source, run_id, storage_location, tags| NewVersion {
        name: name.clone(),
        source,
        run_id,
        storage_location,
        description: description.clone().unwrap_or_default(),
        tags,
    };
    let (new, staged) = match origin {
        Origin::InStore(source, run_id, location) => {
            (version_of(source, run_id, location, tags), None)
        }
        Origin::Copy(path, source, run_id) if store.local().is_none() => {
            if source.is_empty() {
                return Err(usage_error(format!(
                    "`{}` is a local path, and a tracking server registers only what it holds",
                    path.display()
                ))
                .hint("log it to a run first (`mlf models log PATH --run RUN`), then register runs:/RUN/PATH"));
            }
            (version_of(source, run_id, String::new(), tags), None)
        }
        Origin::Copy(path, source, run_id) => {
            let store_root = store
                .local()
                .map(|s| s.root().to_path_buf())
                .unwrap_or_default();
            let original = std::fs::canonicalize(&path).unwrap_or(path.clone());
            let store_root = std::fs::canonicalize(&store_root).unwrap_or(store_root);
            if source.is_empty()
                && (original.starts_with(&store_root) || store_root.starts_with(&original))
            {
                return Err(usage_error(format!(
                    "`{}` is inside the store (or holds it): register runs:/RUN/PATH or models:/… instead",
                    original.display()
                )));
            }
            if source.is_empty() {
                tags.push(KeyValue {
                    key: "mlf.source.original".into(),
                    value: original.display().to_string(),
                });
            }
            let staging = registry_root.join(format!(
                ".incoming-{}-{}",
                std::process::id(),
                crate::tracking::ids::new_run_id()
            ));
            let repo = LocalRepo::new(staging.clone());
            let copy = (|| {
                for item in repo
                    .plan_put(&path, Path::new(""))
                    .map_err(artifact_error)?
                {
                    repo.put(&item, &mut |_| {}).map_err(artifact_error)?;
                }
                Ok::<_, crate::error::CliError>(())
            })();
            if let Err(e) = copy {
                let _ = std::fs::remove_dir_all(&staging);
                return Err(e);
            }
            let base = original
                .file_name()
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("model"));
            (
                version_of(source, run_id, String::new(), tags),
                Some((staging, base)),
            )
        }
    };
    let target_dir = registry_root.join(&name);
    let mut placed: Option<PathBuf> = None;
    let mut place = |version: i64| -> Result<String, PlaceError> {
        let (staging, base) = staged.as_ref().ok_or("nothing to place")?;
        std::fs::create_dir_all(&target_dir).map_err(|source| PlaceError::Create {
            path: target_dir.clone(),
            source,
        })?;
        let dest = target_dir.join(version.to_string());
        std::fs::rename(staging, &dest).map_err(|source| PlaceError::Move {
            path: dest.clone(),
            source,
        })?;
        placed = Some(dest.clone());
        Ok(dest.join(base).display().to_string())
    };
    let result = store.create_version(
        &new,
        &Act {
            actor: &actor,
            comment: None,
        },
        &mut place,
    );
    let version = match result {
        Ok(v) => v,
        Err(e) => {
            if let Some((staging, _)) = &staged {
                let _ = std::fs::remove_dir_all(staging);
            }
            if let Some(dest) = placed {
                let _ = std::fs::remove_dir_all(dest);
            }
            return Err(e.into());
        }
    };
    if output.format == OutputFormat::Json {
        ctx.ui
            .json(&serde_json::json!({ "model_version": version }))?;
    } else {
        ctx.ui.status(
            "Registered",
            &format!("`{name}` version {} from {}", version.version, model_uri),
        );
        ctx.ui.line(&version.version);
    }
    Ok(0)
}
