//! mlf's own registry calls under `/api/2.0/mlf/registry/`.

use super::*;

/// mlf's registry calls that MLflow's API lacks, under `/api/2.0/mlf/registry/`: stage
/// requests and their approval, the history, and what held each stage at a time.
pub(super) fn handle(
    store: &mut Store,
    method: &str,
    endpoint: &str,
    p: &P,
    actor: Option<&str>,
) -> ApiResult<Value> {
    let who = acting(actor);
    let comment = opt(p, "comment");
    let act = Act {
        actor: &who,
        comment: comment.as_deref(),
    };
    match (method, endpoint) {
        ("POST", "mlf/registry/request") => {
            let r = store.request_transition(
                &req(p, "name")?,
                version_arg(p)?,
                stage_arg(p, "stage")?,
                &act,
            )?;
            Ok(json!({ "request": r }))
        }
        ("POST", "mlf/registry/decide") => {
            let id = int(p, "id")?
                .ok_or_else(|| ApiError::invalid("Missing value for required parameter 'id'."))?;
            let approve = matches!(p.get("approve"), Some(Value::Bool(true)))
                || opt(p, "approve").as_deref() == Some("true");
            let which = crate::ops::registry::Pending::Id(id);
            let r = crate::ops::registry::decide(store, which, approve, &act)?;
            Ok(json!({ "request": r }))
        }
        ("GET", "mlf/registry/requests") => {
            let all = opt(p, "all").as_deref() == Some("true");
            let name = opt(p, "name");
            Ok(json!({ "requests": store.requests(name.as_deref(), all)? }))
        }
        ("GET", "mlf/registry/pending") => {
            let stage = match opt(p, "stage") {
                Some(_) => Some(stage_arg(p, "stage")?),
                None => None,
            };
            let id = store.pending_request_for(&req(p, "name")?, version_arg(p)?, stage)?;
            Ok(json!({ "id": id }))
        }
        ("GET", "mlf/registry/history") => {
            Ok(json!({ "events": store.registry_history(&req(p, "name")?)? }))
        }
        ("GET", "mlf/registry/at") => {
            let at = int(p, "at")?
                .ok_or_else(|| ApiError::invalid("Missing value for required parameter 'at'."))?;
            Ok(json!({ "snapshot": store.registry_at(&req(p, "name")?, at)? }))
        }
        _ => Err(not_found(method, "/api/2.0/", endpoint)),
    }
}
