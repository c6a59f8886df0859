//! mlf's own calls for `mlf push` and `mlf pull`, under `/api/2.0/mlf/sync/`: the digests of
//! runs, runs merged in as bundles, and runs read out as bundles; the same for registered
//! models under `sync/registry/` (`protocol::sync`).

use super::*;
use crate::protocol::sync::{Bundles, DigestsRequest, ExportRequest, ModelBundles, ModelsRequest};

/// The methods and paths this service answers (below the API prefixes) and their handlers.
pub(super) const ROUTES: &[Route] = &[
    (MethodFilter::POST, "mlf/sync/digests", digests),
    (MethodFilter::POST, "mlf/sync/runs", merge),
    (MethodFilter::POST, "mlf/sync/export", export),
    (
        MethodFilter::POST,
        "mlf/sync/registry/digests",
        model_digests,
    ),
    (MethodFilter::POST, "mlf/sync/registry/export", models),
    (MethodFilter::POST, "mlf/sync/registry/merge", merge_models),
];

/// `POST mlf/sync/digests`: `{"digests": [...]}`.
fn digests(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let m: DigestsRequest = decode(c.p)?;
    Ok(json!({ "digests": store.sync_digests(&m)? }))
}

/// `POST mlf/sync/runs`: merges the bundles in one transaction and answers what changed.
fn merge(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let m: Bundles = decode(c.p)?;
    let report = store.sync_merge(&m)?;
    Ok(serde_json::to_value(report).unwrap_or_default())
}

/// `POST mlf/sync/export`: the bundles of the runs named (those the store has).
fn export(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let m: ExportRequest = decode(c.p)?;
    let bundles = store.sync_export(&m.run_ids)?;
    Ok(serde_json::to_value(bundles).unwrap_or_default())
}

/// `POST mlf/sync/registry/digests`: `{"digests": [{"name", "hash"}…]}` of every registered
/// model.
fn model_digests(store: &mut dyn ServerStore, _c: Call) -> ApiResult<Value> {
    Ok(json!({ "digests": store.sync_model_digests()? }))
}

/// `POST mlf/sync/registry/export`: the registered models named, whole.
fn models(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let m: ModelsRequest = decode(c.p)?;
    Ok(json!({ "models": store.sync_models(&m.names)? }))
}

/// `POST mlf/sync/registry/merge`: merges registered models in one transaction.
fn merge_models(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let m: ModelBundles = decode(c.p)?;
    let report = store.sync_merge_models(&m.models)?;
    Ok(serde_json::to_value(report).unwrap_or_default())
}
