//! `metrics/*`: a metric's history, and the sampled histories of many runs the UI asks for.

use super::*;

/// The methods and paths this service answers (below the API prefixes) and their handlers.
pub(super) const ROUTES: &[Route] = &[
    (MethodFilter::GET, "metrics/get-history", history),
    (
        MethodFilter::GET,
        "metrics/get-history-bulk-interval",
        history_bulk_interval,
    ),
];

/// `GET metrics/get-history`.
fn history(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let p = c.p;
    let m: GetMetricHistory = decode(p)?;
    // Every point when max_results is left out, as MLflow.
    let n = m
        .max_results
        .map(|_| limit(m.max_results, 0, usize::MAX))
        .transpose()?;
    let (key, page) = (&m.metric_key, token(&m.page_token));
    let (points, next) = TrackingStore::metric_history_page(store, &m.run_id, key, n, page)?;
    let points: Vec<Value> = points
        .into_iter()
        .map(|m| serde_json::to_value(m).unwrap_or(Value::Null))
        .collect();
    Ok(with_token(json!({ "metrics": points }), next))
}

/// `GET metrics/get-history-bulk-interval`.
fn history_bulk_interval(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let p = c.p;
    bulk_interval(store, decode(p)?)
}

/// Which of `n` ordered points MLflow's SQL store keeps when asked for at most `k`
/// (`_sample_rows_with_window_functions`): all of them when there are no more than `k`;
/// otherwise the first point of each of `k` NTILE buckets (sizes as even as possible, the
/// larger ones first), with the last bucket's point replaced by the very last point, so that
/// both ends of the history are kept and never more than `k` are answered.
pub(crate) fn sample_positions(n: usize, k: usize) -> Vec<usize> {
    if n <= k {
        return (0..n).collect();
    }
    let (size, larger) = (n / k, n % k);
    let mut out: Vec<usize> = (0..k).map(|b| b * size + b.min(larger)).collect();
    if let Some(last) = out.last_mut() {
        *last = n - 1;
    }
    out
}

fn with_run_id(run_id: &str, m: &Metric) -> Value {
    let mut v = serde_json::to_value(m).unwrap_or(Value::Null);
    v["run_id"] = Value::String(run_id.to_string());
    v
}

/// `GET metrics/get-history-bulk-interval`: the history of one metric of up to 100 runs,
/// each sampled down to at most `max_results` points (default 2500) spread evenly over the
/// run's points in the step range, both ends kept; runs in the order given, each run's points
/// by step, timestamp, value. MLflow's checks and messages, in MLflow's order.
fn bulk_interval(store: &dyn ServerStore, m: GetMetricHistoryBulkInterval) -> ApiResult<Value> {
    let (run_ids, key) = (m.run_ids, m.metric_key);
    if run_ids.len() > BULK_MAX_RUNS {
        return Err(ApiError::invalid(format!(
            "GetMetricHistoryBulkInterval request must specify at most {BULK_MAX_RUNS} run_ids. Received {} run_ids. {SEE_DOCS}",
            run_ids.len()
        )));
    }
    let (start, end) = (m.start_step, m.end_step);
    let max = m.max_results.unwrap_or(INTERVAL_MAX_RESULTS);
    if !(1..=INTERVAL_MAX_RESULTS).contains(&max) {
        return Err(ApiError::invalid(format!(
            "max_results must be between 1 and {INTERVAL_MAX_RESULTS}. {SEE_DOCS}"
        )));
    }
    let steps = match (start, end) {
        (Some(s), Some(e)) if s > e => {
            return Err(ApiError::invalid(format!(
                "end_step must be greater than start_step. Found start_step={s} and end_step={e}."
            )));
        }
        (Some(s), Some(e)) => Some((s, e)),
        (None, None) => None,
        _ => {
            return Err(ApiError::invalid(
                "If either start step or end step are specified, both must be specified.",
            ));
        }
    };
    let mut metrics = Vec::new();
    for run_id in &run_ids {
        let points = store.metric_points_at(run_id, &key, steps, &mut |n| {
            sample_positions(n, max as usize)
        })?;
        metrics.extend(points.iter().map(|m| with_run_id(run_id, m)));
    }
    // An empty repeated field is left out, as protobuf does.
    Ok(if metrics.is_empty() {
        json!({})
    } else {
        json!({ "metrics": metrics })
    })
}

/// `GET /ajax-api/2.0/mlflow/metrics/get-history-bulk`: every point of one metric of up to
/// 100 runs (`run_id` repeated), by run id, timestamp, step, value; at most `max_results`
/// (default and most: 25,000) in all.
pub(super) fn history_bulk(store: &dyn ServerStore, p: &Map<String, Value>) -> ApiResult<Value> {
    let m: GetMetricHistoryBulk = decode(P::Map(p.clone()))?;
    let run_ids = m.run_id;
    if run_ids.is_empty() {
        return Err(ApiError::invalid(
            "GetMetricHistoryBulk request must specify at least one run_id.",
        ));
    }
    if run_ids.len() > BULK_MAX_RUNS {
        return Err(ApiError::invalid(format!(
            "GetMetricHistoryBulk request cannot specify more than {BULK_MAX_RUNS} run_ids. Received {} run_ids.",
            run_ids.len()
        )));
    }
    let key = m.metric_key.ok_or_else(|| {
        ApiError::invalid("GetMetricHistoryBulk request must specify a metric_key.")
    })?;
    let max = m.max_results.unwrap_or(BULK_MAX_RESULTS);
    if max < 0 {
        return Err(ApiError::invalid(format!(
            "Invalid value {max} for parameter 'max_results' supplied: it must be 0 or more"
        )));
    }
    let points = store.metric_points_of_runs(&run_ids, &key, max.min(BULK_MAX_RESULTS) as usize)?;
    let metrics: Vec<Value> = points.iter().map(|(r, m)| with_run_id(r, m)).collect();
    Ok(json!({ "metrics": metrics }))
}

#[cfg(test)]
mod tests {
    use super::sample_positions;

    #[test]
    fn sampling_keeps_bucket_starts_and_both_ends() {
        assert_eq!(sample_positions(0, 5), Vec::<usize>::new());
        assert_eq!(sample_positions(3, 5), [0, 1, 2]);
        assert_eq!(sample_positions(5, 5), [0, 1, 2, 3, 4]);
        assert_eq!(sample_positions(10, 1), [9]);
        // 10 points in 5 buckets of 2: starts 0, 2, 4, 6, 8 → the last becomes 9.
        assert_eq!(sample_positions(10, 5), [0, 2, 4, 6, 9]);
        // 5 points in 3 buckets of 2, 2, 1 (larger first): starts 0, 2, 4.
        assert_eq!(sample_positions(5, 3), [0, 2, 4]);
        // 20 points in 7 buckets: 3, 3, 3, 3, 3, 3, 2.
        assert_eq!(sample_positions(20, 7), [0, 3, 6, 9, 12, 15, 19]);
        for (n, k) in [(2501, 2500), (100_000, 2500), (7, 2)] {
            let s = sample_positions(n, k);
            assert_eq!(s.len(), k);
            assert_eq!((s[0], s[k - 1]), (0, n - 1));
            assert!(s.windows(2).all(|w| w[0] < w[1]));
        }
    }
}
