//! `artifacts/list`: a run's artifacts as MLflow lists them.

use super::*;

/// The methods and paths this service answers (below the API prefixes).
pub(super) const ROUTES: &[(MethodFilter, &str)] = &[(MethodFilter::GET, "artifacts/list")];

/// Answers one call of this service.
pub(super) fn handle(store: &mut Store, method: &Method, endpoint: &str, p: P) -> ApiResult<Value> {
    match (method.as_str(), endpoint) {
        ("GET", "artifacts/list") => {
            let m: ListArtifacts = decode(p)?;
            let run = store.run(&m.run_id)?;
            let rel = crate::artifacts::clean_relative(&m.path)
                .map_err(|_| ApiError::invalid("Invalid path"))?;
            let repo = crate::artifacts::LocalRepo::new(store.run_artifact_dir(&run));
            let files = repo.list(&rel, false).unwrap_or_default();
            Ok(json!({ "root_uri": uri_for(store.root(), &run.info.artifact_uri), "files": files }))
        }
        _ => Err(not_found(method.as_str(), "/api/2.0/mlflow/", endpoint)),
    }
}
