//! mlf's own registry calls under `/api/2.0/mlf/registry/`.

use super::*;

/// The methods and paths this service answers (below the API prefixes).
pub(super) const ROUTES: &[(MethodFilter, &str)] = &[
    (MethodFilter::POST, "mlf/registry/request"),
    (MethodFilter::POST, "mlf/registry/decide"),
    (MethodFilter::GET, "mlf/registry/requests"),
    (MethodFilter::GET, "mlf/registry/pending"),
    (MethodFilter::GET, "mlf/registry/history"),
    (MethodFilter::GET, "mlf/registry/at"),
];

/// mlf's registry calls that MLflow's API lacks, under `/api/2.0/mlf/registry/`: stage
/// requests and their approval, the history, and what held each stage at a time.
pub(super) fn handle(
    store: &mut Store,
    method: &str,
    endpoint: &str,
    p: P,
    actor: Option<&str>,
) -> ApiResult<Value> {
    let who = acting(actor);
    let act = |comment| Act {
        actor: &who,
        comment,
    };
    match (method, endpoint) {
        ("POST", "mlf/registry/request") => {
            let m: RequestTransition = decode(p)?;
            let stage = stage(&m.stage)?;
            let r =
                store.request_transition(&m.name, m.version, stage, &act(m.comment.as_deref()))?;
            Ok(json!({ "request": r }))
        }
        ("POST", "mlf/registry/decide") => {
            let m: DecideRequest = decode(p)?;
            let id = m
                .id
                .ok_or_else(|| ApiError::invalid("Missing value for required parameter 'id'."))?;
            let which = crate::ops::registry::Pending::Id(id);
            let r =
                crate::ops::registry::decide(store, which, m.approve, &act(m.comment.as_deref()))?;
            Ok(json!({ "request": r }))
        }
        ("GET", "mlf/registry/requests") => {
            let m: ListRequests = decode(p)?;
            Ok(json!({ "requests": store.requests(m.name.as_deref(), m.all)? }))
        }
        ("GET", "mlf/registry/pending") => {
            let m: PendingRequest = decode(p)?;
            let stage = match m.stage {
                Some(s) if s.is_empty() => {
                    return Err(ApiError::invalid(requests::missing("stage")));
                }
                Some(s) => Some(stage(&s)?),
                None => None,
            };
            let id = store.pending_request_for(&m.name, m.version, stage)?;
            Ok(json!({ "id": id }))
        }
        ("GET", "mlf/registry/history") => {
            let name = decode::<RegistryHistory>(p)?.name;
            Ok(json!({ "events": store.registry_history(&name)? }))
        }
        ("GET", "mlf/registry/at") => {
            let m: RegistryAt = decode(p)?;
            let at = m
                .at
                .ok_or_else(|| ApiError::invalid("Missing value for required parameter 'at'."))?;
            Ok(json!({ "snapshot": store.registry_at(&m.name, at)? }))
        }
        _ => Err(not_found(method, "/api/2.0/", endpoint)),
    }
}
