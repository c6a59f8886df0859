//! mlf's own registry calls under `/api/2.0/mlf/registry/`.

use super::*;

/// mlf's registry calls that MLflow's API lacks, under `/api/2.0/mlf/registry/`: stage
/// The methods and paths this service answers (below the API prefixes) and their handlers.
pub(super) const ROUTES: &[Route] = &[
    (MethodFilter::POST, "mlf/registry/request", request),
    (MethodFilter::POST, "mlf/registry/decide", decide),
    (MethodFilter::GET, "mlf/registry/requests", requests),
    (MethodFilter::GET, "mlf/registry/pending", pending),
    (MethodFilter::GET, "mlf/registry/history", history),
    (MethodFilter::GET, "mlf/registry/at", at),
];

/// `POST mlf/registry/request`.
fn request(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let who = c.who();
    let p = c.p;
    let act = |comment| Act {
        actor: &who,
        comment,
    };
    let m: RequestTransition = decode(p)?;
    let stage = stage(&m.stage)?;
    let r = store.request_transition(&m.name, m.version, stage, &act(m.comment.as_deref()))?;
    Ok(json!({ "request": r }))
}

/// `POST mlf/registry/decide`.
fn decide(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let who = c.who();
    let p = c.p;
    let act = |comment| Act {
        actor: &who,
        comment,
    };
    let m: DecideRequest = decode(p)?;
    let id =
        m.id.ok_or_else(|| ApiError::invalid("Missing value for required parameter 'id'."))?;
    let which = crate::ops::registry::Pending::Id(id);
    let r = crate::ops::registry::decide(store, which, m.approve, &act(m.comment.as_deref()))?;
    Ok(json!({ "request": r }))
}

/// `GET mlf/registry/requests`.
fn requests(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let p = c.p;
    let m: ListRequests = decode(p)?;
    Ok(json!({ "requests": store.requests(m.name.as_deref(), m.all)? }))
}

/// `GET mlf/registry/pending`.
fn pending(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let p = c.p;
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

/// `GET mlf/registry/history`.
fn history(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let p = c.p;
    let name = decode::<RegistryHistory>(p)?.name;
    Ok(json!({ "events": store.registry_history(&name)? }))
}

/// `GET mlf/registry/at`.
fn at(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let p = c.p;
    let m: RegistryAt = decode(p)?;
    let at =
        m.at.ok_or_else(|| ApiError::invalid("Missing value for required parameter 'at'."))?;
    Ok(json!({ "snapshot": store.registry_at(&m.name, at)? }))
}
