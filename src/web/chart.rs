//! A metric's series for the charts, down-sampled on the server when it has more points than
//! a chart draws: each bucket of the x range keeps its lowest and highest point (so spikes and
//! dips survive), and the answer says how many points there were.

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::buckets::StepBuckets;
use super::{PageError, Shared, blocking, first, query_pairs};

/// Points a chart draws at most (about its width in pixels, twice: a low and a high per
/// bucket).
pub const MAX_POINTS: usize = 2000;

/// Which x axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Axis {
    Step,
    /// Wall time, in seconds since the epoch.
    Wall,
    /// Seconds since the series' first point.
    Relative,
}

/// `(x, y)` points ordered by x, down-sampled to at most `max` points.
pub fn downsample(points: &[(f64, f64)], max: usize) -> Vec<(f64, f64)> {
    let n = points.len();
    if n <= max || max < 4 {
        return points.to_vec();
    }
    let buckets = max / 2;
    let mut out = Vec::with_capacity(max + 2);
    for b in 0..buckets {
        let lo = b * n / buckets;
        let hi = ((b + 1) * n / buckets).min(n);
        if lo >= hi {
            continue;
        }
        let slice = &points[lo..hi];
        let (mut imin, mut imax) = (0, 0);
        for (i, p) in slice.iter().enumerate() {
            // NaN never wins a comparison; it is kept only when the bucket holds nothing else.
            if p.1 < slice[imin].1 || slice[imin].1.is_nan() {
                imin = i;
            }
            if p.1 > slice[imax].1 || slice[imax].1.is_nan() {
                imax = i;
            }
        }
        let (a, b) = if imin <= imax {
            (imin, imax)
        } else {
            (imax, imin)
        };
        out.push(slice[a]);
        if b != a {
            out.push(slice[b]);
        }
    }
    out
}

/// The points of a history, as (step, timestamp in ms, value), on an axis, ordered by x.
pub fn points(history: &[(i64, i64, f64)], axis: Axis) -> Vec<(f64, f64)> {
    let t0 = history.iter().map(|m| m.1).min().unwrap_or(0);
    let mut pts: Vec<(f64, f64)> = history
        .iter()
        .map(|&(step, ts, value)| {
            let x = match axis {
                Axis::Step => step as f64,
                Axis::Wall => ts as f64 / 1000.0,
                Axis::Relative => (ts - t0) as f64 / 1000.0,
            };
            (x, value)
        })
        .collect();
    // Already by step: the sort is a pass over sorted data then.
    pts.sort_by(|a, b| a.0.total_cmp(&b.0));
    pts
}

/// `GET /ui/runs/{id}/metric?key=K&x=step|wall|relative`: `{x: [...], y: [...], total,
/// shown, sampled}`.
pub(super) async fn series(
    State(web): State<Shared>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let pairs = query_pairs(raw.as_deref());
    let key = first(&pairs, "key")
        .ok_or_else(|| PageError::new(StatusCode::BAD_REQUEST, "give the metric as `key`"))?
        .to_string();
    let axis = match first(&pairs, "x").unwrap_or("step") {
        "wall" => Axis::Wall,
        "relative" => Axis::Relative,
        _ => Axis::Step,
    };
    let (shown, total) = if axis == Axis::Step {
        by_step(&web, id, key).await?
    } else {
        let history = blocking(&web, move |store| {
            store.run(&id)?;
            Ok(store.metric_points(&id, &key)?)
        })
        .await?;
        let all = points(&history, axis);
        (downsample(&all, MAX_POINTS), all.len())
    };
    let finite = |v: f64| if v.is_finite() { json!(v) } else { json!(null) };
    let body = json!({
        "x": shown.iter().map(|p| finite(p.0)).collect::<Vec<_>>(),
        "y": shown.iter().map(|p| finite(p.1)).collect::<Vec<_>>(),
        "total": total,
        "shown": shown.len(),
        "sampled": shown.len() < total,
    });
    let mut r = (StatusCode::OK, body.to_string()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(r)
}

/// A series on the step axis, down-sampled while it is read: the two halves of its step range
/// read side by side, each on a connection of its own. Answers the points to draw and how many
/// there were.
async fn by_step(
    web: &Shared,
    id: String,
    key: String,
) -> Result<(Vec<(f64, f64)>, usize), PageError> {
    let (run, metric) = (id.clone(), key.clone());
    let range = blocking(web, move |store| {
        store.run(&run)?;
        Ok(store.metric_step_range(&run, &metric)?)
    })
    .await?;
    let Some(range) = range else {
        return Ok((Vec::new(), 0));
    };
    let count = MAX_POINTS / 2;
    let mid = count / 2;
    let split = StepBuckets::start_of(range, count, mid);
    let read = |steps: (i64, i64), part: std::ops::Range<usize>| {
        let (id, key) = (id.clone(), key.clone());
        blocking(web, move |store| {
            let mut buckets = StepBuckets::new(range, count, part, MAX_POINTS);
            if steps.0 <= steps.1 {
                store.each_metric_point(&id, &key, steps, |step, y| buckets.push(step, y))?;
            }
            Ok(buckets)
        })
    };
    let (low, high) = tokio::try_join!(
        read((range.0, split.saturating_sub(1)), 0..mid),
        read((split, range.1), mid..count),
    )?;
    Ok(StepBuckets::join(vec![low, high]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_series_are_kept_whole() {
        let pts: Vec<(f64, f64)> = (0..10).map(|i| (i as f64, i as f64)).collect();
        assert_eq!(downsample(&pts, 100), pts);
    }

    #[test]
    fn down_sampling_keeps_the_extremes_of_every_bucket() {
        let mut pts: Vec<(f64, f64)> = (0..100_000).map(|i| (i as f64, 0.0)).collect();
        pts[12_345].1 = 99.0;
        pts[54_321].1 = -7.0;
        let out = downsample(&pts, 1000);
        assert!(out.len() <= 1000);
        assert!(out.contains(&(12_345.0, 99.0)));
        assert!(out.contains(&(54_321.0, -7.0)));
        assert!(out.windows(2).all(|w| w[0].0 <= w[1].0));
    }
}
