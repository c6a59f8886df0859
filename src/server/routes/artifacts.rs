//! `artifacts/list`: a run's artifacts as MLflow lists them.

use super::*;

/// The methods and paths this service answers (below the API prefixes) and their handlers.
pub(super) const ROUTES: &[Route] = &[(MethodFilter::GET, "artifacts/list", list)];

/// `GET artifacts/list`.
fn list(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let p = c.p;
    let m: ListArtifacts = decode(p)?;
    let run = store.run(&m.run_id)?;
    let rel =
        crate::artifacts::clean_relative(&m.path).map_err(|_| ApiError::invalid("Invalid path"))?;
    let proxied = store.proxied();
    let dir = store.run_artifact_dir(&run).display().to_string();
    let files = super::list_below(&dir, &rel)?;
    Ok(json!({ "root_uri": uri_for(&proxied, &run.info.artifact_uri), "files": files }))
}
