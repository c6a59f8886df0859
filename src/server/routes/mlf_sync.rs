//! mlf's own calls for `mlf push` and `mlf pull`, under `/api/2.0/mlf/sync/`: the digests of
//! runs, runs merged in as bundles, and runs read out as bundles (`protocol::sync`).

use super::*;
use crate::protocol::sync::{Bundles, DigestsRequest, ExportRequest};

/// The methods and paths this service answers (below the API prefixes) and their handlers.
pub(super) const ROUTES: &[Route] = &[
    (MethodFilter::POST, "mlf/sync/digests", digests),
    (MethodFilter::POST, "mlf/sync/runs", merge),
    (MethodFilter::POST, "mlf/sync/export", export),
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
