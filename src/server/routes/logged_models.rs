//! `logged-models/*` (MLflow 3): create, search, get, update and delete logged models, their
//! tags, params and artifact listings.

use super::*;

/// The methods and paths this service answers (below the API prefixes) and their handlers.
pub(super) const ROUTES: &[Route] = &[
    (MethodFilter::POST, "logged-models", create),
    (MethodFilter::POST, "logged-models/search", post_search),
    (
        MethodFilter::GET
            .or(MethodFilter::PATCH)
            .or(MethodFilter::DELETE),
        "logged-models/{id}",
        one,
    ),
    (MethodFilter::PATCH, "logged-models/{id}/tags", one),
    (MethodFilter::DELETE, "logged-models/{id}/tags/{key}", one),
    (MethodFilter::POST, "logged-models/{id}/params", one),
    (
        MethodFilter::GET,
        "logged-models/{id}/artifacts/directories",
        one,
    ),
];

/// `POST logged-models`.
fn create(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let m: CreateLoggedModel = decode(c.p)?;
    let m = store.create_logged_model(
        &m.experiment_id,
        &m.name,
        &m.model_type,
        &m.source_run_id,
        "",
        &m.tags,
        &m.params,
    )?;
    Ok(json!({ "model": logged_model_json(store, &m) }))
}

/// `POST logged-models/search`.
fn post_search(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    search(store, decode(c.p)?)
}

/// `logged-models/{id}[/…]`: one logged model, its tags, params and files.
fn one(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let rest = c
        .endpoint
        .strip_prefix("logged-models/")
        .unwrap_or_default();
    logged_model_route(store, c.method.as_str(), rest, c.p)
}

/// Most logged models one page of `logged-models/search` holds, and how many when not said.
const SEARCH_MAX: i64 = 50_000;
const SEARCH_DEFAULT: i64 = 50;

/// `logged-models/search`: the filter grammar's `name`, `status`, `model_type`,
/// `source_run_id`, `tags.KEY`, `params.KEY`, compiled to SQL; newest first, keyset pages.
fn search(store: &dyn ServerStore, m: SearchLoggedModels) -> ApiResult<Value> {
    let filter = match m.filter.filter(|f| !f.trim().is_empty()) {
        Some(f) => parse_logged_model_filter(&f)
            .map_err(|e| ApiError::invalid(format!("Invalid filter: {e}")))?,
        None => None,
    };
    let limit = m.max_results.unwrap_or(SEARCH_DEFAULT);
    if !(1..=SEARCH_MAX).contains(&limit) {
        return Err(ApiError::invalid(format!(
            "Invalid value {limit} for parameter 'max_results' supplied: it must be between 1 and {SEARCH_MAX}"
        )));
    }
    let token = m.page_token.as_deref().filter(|t| !t.is_empty());
    let (models, next) =
        store.search_logged_models(&m.experiment_ids, filter.as_ref(), limit as usize, token)?;
    let list: Vec<Value> = models.iter().map(|m| logged_model_json(store, m)).collect();
    Ok(with_token(json!({ "models": list }), next))
}

fn logged_model_route(
    store: &mut dyn ServerStore,
    method: &str,
    rest: &str,
    p: P,
) -> ApiResult<Value> {
    let parts: Vec<&str> = rest.split('/').collect();
    match (method, parts.as_slice()) {
        ("GET", [id]) => Ok(json!({ "model": logged_model_json(store, &store.logged_model(id)?) })),
        ("PATCH", [id]) => {
            let status = decode::<FinalizeLoggedModel>(p)?.status;
            let status = match status.as_str() {
                "2" | "READY" => "LOGGED_MODEL_READY".to_string(),
                "3" | "UPLOAD_FAILED" => "LOGGED_MODEL_UPLOAD_FAILED".to_string(),
                "1" | "PENDING" => "LOGGED_MODEL_PENDING".to_string(),
                s => s.to_string(),
            };
            let m = store.set_logged_model_status(id, &status)?;
            Ok(json!({ "model": logged_model_json(store, &m) }))
        }
        ("DELETE", [id]) => {
            store.delete_logged_model(id)?;
            Ok(json!({}))
        }
        ("PATCH", [id, "tags"]) => {
            let tags: Vec<(String, Option<String>)> = decode::<SetLoggedModelTags>(p)?
                .tags
                .into_iter()
                .map(|t| (t.key, Some(t.value)))
                .collect();
            store.set_logged_model_tags(id, &tags)?;
            Ok(json!({ "model": logged_model_json(store, &store.logged_model(id)?) }))
        }
        ("DELETE", [id, "tags", key]) => {
            let key = crate::server::percent_decode(key);
            if !store.logged_model(id)?.tags.iter().any(|t| t.key == key) {
                return Err(ApiError::not_found(format!(
                    "No tag with key '{key}' found for model with ID '{id}'."
                )));
            }
            store.set_logged_model_tags(id, &[(key, None)])?;
            Ok(json!({}))
        }
        ("POST", [id, "params"]) => {
            store.log_logged_model_params(id, &decode::<LogLoggedModelParams>(p)?.params)?;
            Ok(json!({}))
        }
        ("GET", [id, "artifacts", "directories"]) => {
            let m = store.logged_model(id)?;
            let dir = store
                .default_artifact_root()
                .join(&m.experiment_id)
                .join("models")
                .join(&m.model_id)
                .join("artifacts");
            let path = decode::<ListLoggedModelArtifacts>(p)?.artifact_directory_path;
            let rel = crate::artifacts::clean_relative(&path)
                .map_err(|_| ApiError::invalid("Invalid path"))?;
            let files = list_below(&dir.display().to_string(), &rel)?;
            Ok(
                json!({ "root_uri": uri_for(&store.proxied(), &dir.display().to_string()), "files": files }),
            )
        }
        _ => Err(ApiError {
            status: 404,
            code: "ENDPOINT_NOT_FOUND",
            message: format!("no endpoint {method} logged-models/{rest}"),
        }),
    }
}
