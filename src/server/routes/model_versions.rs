//! `model-versions/*`: create (from runs:/, models:/ or this server's artifact URIs), update,
//! transition, delete, get and search versions, their download URIs and tags.

use super::*;

/// The methods and paths this service answers (below the API prefixes) and their handlers.
pub(super) const ROUTES: &[Route] = &[
    (MethodFilter::POST, "model-versions/create", create),
    (MethodFilter::PATCH, "model-versions/update", update),
    (
        MethodFilter::POST,
        "model-versions/transition-stage",
        transition_stage,
    ),
    (MethodFilter::DELETE, "model-versions/delete", delete),
    (MethodFilter::GET, "model-versions/get", get),
    (
        MethodFilter::GET.or(MethodFilter::POST),
        "model-versions/search",
        search,
    ),
    (
        MethodFilter::GET,
        "model-versions/get-download-uri",
        download_uri,
    ),
    (MethodFilter::POST, "model-versions/set-tag", set_tag),
    (
        MethodFilter::DELETE,
        "model-versions/delete-tag",
        delete_tag,
    ),
];

/// `POST model-versions/create`.
fn create(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let who = c.who();
    let p = c.p;
    let act = plain(&who);
    let m: CreateModelVersion = decode(p)?;
    let run = m.run_id.filter(|s| !s.is_empty());
    let model = m.model_id.filter(|s| !s.is_empty());
    let location = source_location(store, &m.source, run.as_deref(), model.as_deref())?;
    let new = NewVersion {
        name: m.name,
        source: m.source,
        run_id: run.unwrap_or_default(),
        storage_location: location,
        description: m.description,
        tags: m.tags,
    };
    let v = crate::ops::registry::add_version(store, &new, &act)?;
    Ok(json!({ "model_version": version_json(store, &v) }))
}

/// `PATCH model-versions/update`.
fn update(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let who = c.who();
    let p = c.p;
    let act = plain(&who);
    let m: UpdateModelVersion = decode(p)?;
    if let Some(d) = m.description {
        store.describe(&m.name, Some(m.version), &d, &act)?;
    }
    let v = store.version(&m.name, m.version)?;
    Ok(json!({ "model_version": version_json(store, &v) }))
}

/// `POST model-versions/transition-stage`.
fn transition_stage(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let who = c.who();
    let p = c.p;
    let act = plain(&who);
    let m: TransitionStage = decode(p)?;
    let stage = stage(&m.stage)?;
    let archive = m.archive_existing_versions;
    let moved = crate::ops::registry::transition(store, &m.name, m.version, stage, archive, &act)?;
    Ok(json!({ "model_version": version_json(store, &moved.version) }))
}

/// `DELETE model-versions/delete`.
fn delete(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let who = c.who();
    let p = c.p;
    let act = plain(&who);
    let m: DeleteModelVersion = decode(p)?;
    crate::ops::registry::delete_version(store, &m.name, m.version, &act)?;
    Ok(json!({}))
}

/// `GET model-versions/get`.
fn get(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let p = c.p;
    let m: GetModelVersion = decode(p)?;
    let v = store.version(&m.name, m.version)?;
    Ok(json!({ "model_version": version_json(store, &v) }))
}

/// `GET | POST model-versions/search`.
fn search(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let p = c.p;
    let m: SearchModelVersions = decode(p)?;
    let filter = match m.filter.filter(|f| !f.trim().is_empty()) {
        Some(f) => parse_version_filter(&f)
            .map_err(|e| ApiError::invalid(format!("Invalid filter: {e}")))?,
        None => None,
    };
    let n = limit(m.max_results, 200_000, 200_000)?;
    let (versions, next) =
        RegistryStore::search_versions(store, filter.as_ref(), n, token(&m.page_token))?;
    let list: Vec<Value> = versions.iter().map(|v| version_json(store, v)).collect();
    Ok(with_token(json!({ "model_versions": list }), next))
}

/// `GET model-versions/get-download-uri`.
fn download_uri(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let p = c.p;
    let m: GetDownloadUri = decode(p)?;
    let v = store.version(&m.name, m.version)?;
    Ok(json!({ "artifact_uri": uri_for(&store.proxied(), &v.storage_location) }))
}

/// `POST model-versions/set-tag`.
fn set_tag(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let who = c.who();
    let p = c.p;
    let act = plain(&who);
    let m: SetModelVersionTag = decode(p)?;
    let tags = [(m.key, Some(m.value))];
    store.set_registry_tags(&m.name, Some(m.version), &tags, &act)?;
    Ok(json!({}))
}

/// `DELETE model-versions/delete-tag`.
fn delete_tag(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let who = c.who();
    let p = c.p;
    let act = plain(&who);
    let m: DeleteModelVersionTag = decode(p)?;
    store.set_registry_tags(&m.name, Some(m.version), &[(m.key, None)], &act)?;
    Ok(json!({}))
}

/// Checks that `path` and everything below it stay inside the store's proxied folders (no
/// symlink leads out).
fn in_store(store: &dyn ServerStore, path: std::path::PathBuf) -> ApiResult<String> {
    let proxied = store.proxied();
    let root = std::fs::canonicalize(&proxied.base).unwrap_or(proxied.base.clone());
    let rel = path
        .strip_prefix(&root)
        .ok()
        .filter(|rel| proxied.folders.iter().any(|(f, _)| rel.starts_with(f)))
        .map(Path::to_path_buf)
        .ok_or_else(|| {
            ApiError::invalid("Invalid model version source: it is not inside this server's store")
        })?;
    crate::artifacts::LocalRepo::new(root.clone())
        .check_tree(&rel)
        .map_err(|e| ApiError::invalid(format!("Invalid model version source: {e}")))?;
    Ok(path.display().to_string())
}

/// MLflow's refusal of a source that the `run_id` or `model_id` parameter does not contain.
fn not_contained(source: &str, by: &str) -> ApiError {
    ApiError::invalid(format!(
        "Invalid model version source: '{source}'. The {by} request parameter must identify the resource that contains the source."
    ))
}

/// The files of a logged model: its artifact location in this store.
fn logged_model_dir(store: &dyn ServerStore, id: &str) -> ApiResult<std::path::PathBuf> {
    let m = store.logged_model(id)?;
    Ok(store
        .default_artifact_root()
        .join(&m.experiment_id)
        .join("models")
        .join(&m.model_id)
        .join("artifacts"))
}

/// Where a version's files are, given a path inside a run's or logged model's artifacts that
/// may not have been written yet: checked (no symlink leads out) when it exists, else the
/// path itself, which cannot leave the folder.
fn inside(store: &dyn ServerStore, dir: &Path, rel: &Path) -> ApiResult<String> {
    let path = dir.join(rel);
    if path.exists() {
        let real = std::fs::canonicalize(&path).unwrap_or(path);
        let root = std::fs::canonicalize(dir).unwrap_or(dir.to_path_buf());
        if !real.starts_with(&root) {
            return Err(ApiError::invalid(
                "Invalid model version source: it leaves the artifacts it names",
            ));
        }
        return in_store(store, real);
    }
    Ok(path.display().to_string())
}

/// The local files a model-version source names: inside this store, and inside the run
/// (`run_id`) or logged model (`model_id`) that the request says holds it. As MLflow, a
/// `runs:/RUN/PATH` source is taken when `run_id` is RUN even if the run lives elsewhere (no
/// files here then), and a logged model's files may come after its version; run ids are
/// exact. Local paths, `file:` URIs and other schemes are refused.
fn source_location(
    store: &dyn ServerStore,
    source: &str,
    run_id: Option<&str>,
    model_id: Option<&str>,
) -> ApiResult<String> {
    if source.contains("..")
        || source.contains('\0')
        || source.contains('\\')
        || source.to_ascii_lowercase().contains("%2e")
    {
        return Err(ApiError::invalid(format!(
            "Invalid model version source: '{source}'"
        )));
    }
    if let Some(id) = source
        .strip_prefix("models:/")
        .filter(|s| s.starts_with("m-") && !s.contains('/'))
    {
        if model_id.is_some_and(|m| m != id) {
            return Err(not_contained(source, "model_id"));
        }
        return Ok(logged_model_dir(store, id)?.display().to_string());
    }
    if source.starts_with("models:") {
        // A source that names no version is a bad parameter of this request.
        let v = crate::ops::registry::resolve_model(store, source)
            .map_err(|e| ApiError::invalid(e.to_string()))?;
        return Ok(v.storage_location);
    }
    if let Some(rest) = source.strip_prefix("runs:/") {
        let (run, path) = rest.split_once('/').unwrap_or((rest, ""));
        if run.is_empty() || run.contains(':') {
            return Err(not_contained(source, "run_id"));
        }
        if run_id.is_some_and(|r| r != run) {
            return Err(not_contained(source, "run_id"));
        }
        let rel = crate::artifacts::clean_relative(path)
            .map_err(|e| ApiError::invalid(format!("Invalid model version source: {e}")))?;
        return match store.run(run) {
            Ok(r) => inside(store, &store.run_artifact_dir(&r), &rel),
            // The run lives in another store: MLflow takes the source as the request says,
            // and its files are where the source says.
            Err(crate::store::Error::NotFound(_)) if run_id.is_some() => Ok(source.to_string()),
            Err(crate::store::Error::NotFound(_)) => Err(not_contained(source, "run_id")),
            Err(e) => Err(e.into()),
        };
    }
    if source.starts_with("mlflow-artifacts:")
        || source.contains("/api/2.0/mlflow-artifacts/artifacts/")
    {
        let local = local_for(&store.proxied(), source)?;
        if let Some(id) = model_id {
            let dir = logged_model_dir(store, id).map_err(|_| not_contained(source, "model_id"))?;
            let rel = local
                .strip_prefix(&dir)
                .map_err(|_| not_contained(source, "model_id"))?;
            return inside(store, &dir, rel);
        }
        if let Some(id) = run_id {
            let run = store.run(id).map_err(|_| not_contained(source, "run_id"))?;
            let dir = store.run_artifact_dir(&run);
            let rel = local
                .strip_prefix(&dir)
                .map_err(|_| not_contained(source, "run_id"))?;
            return inside(store, &dir, rel);
        }
        return in_store(store, local);
    }
    Err(ApiError::invalid(format!(
        "Invalid model version source: '{source}': use runs:/, models:/ or an mlflow-artifacts:/ URI of this server"
    )))
}
