//! Down-sampling a series by step while it is read: the step range splits into equal buckets
//! (about one per pixel column), each keeping its lowest and highest point in their order, so
//! spikes and dips survive. Buckets are independent, so two halves of the range may be read
//! side by side and joined.

/// One bucket's extremes: (order of arrival, (x, y)).
#[derive(Debug, Clone, Copy, Default)]
struct Bucket {
    low: Option<(usize, (f64, f64))>,
    high: Option<(usize, (f64, f64))>,
}

/// The buckets of the steps `first..=last`, or of a part of them.
#[derive(Debug)]
pub struct StepBuckets {
    first: i64,
    /// Steps in the whole range.
    span: i128,
    count: usize,
    /// The index of `buckets[0]` among the whole range's buckets.
    offset: usize,
    buckets: Vec<Bucket>,
    /// Points seen.
    pub seen: usize,
    /// The points themselves, while there are at most `keep` of them.
    whole: Vec<(f64, f64)>,
    keep: usize,
}

impl StepBuckets {
    /// The buckets `part` (of `count` over the steps `first..=last`), keeping every point as
    /// well while there are at most `keep`.
    pub fn new(
        (first, last): (i64, i64),
        count: usize,
        part: std::ops::Range<usize>,
        keep: usize,
    ) -> StepBuckets {
        StepBuckets {
            first,
            span: i128::from(last) - i128::from(first) + 1,
            count: count.max(1),
            offset: part.start,
            buckets: vec![Bucket::default(); part.len()],
            seen: 0,
            whole: Vec::new(),
            keep,
        }
    }

    /// The first step of bucket `k` of `count` over `first..=last` (`last + 1` for `count`).
    pub fn start_of((first, last): (i64, i64), count: usize, k: usize) -> i64 {
        let span = i128::from(last) - i128::from(first) + 1;
        let count = count.max(1) as i128;
        // The smallest step s with (s - first) * count / span >= k.
        let offset = (k as i128 * span + count - 1) / count;
        (i128::from(first) + offset).min(i128::from(i64::MAX)) as i64
    }

    pub fn push(&mut self, step: i64, y: f64) {
        let k =
            ((i128::from(step) - i128::from(self.first)) * self.count as i128 / self.span) as usize;
        let seq = self.seen;
        self.seen += 1;
        if self.whole.len() < self.keep + 1 {
            self.whole.push((step as f64, y));
        }
        let Some(b) = k
            .checked_sub(self.offset)
            .and_then(|i| self.buckets.get_mut(i))
        else {
            return;
        };
        let p = (seq, (step as f64, y));
        // NaN never wins a comparison; it is kept only when the bucket holds nothing else.
        match b.low {
            Some((_, l)) if !(y < l.1 || l.1.is_nan()) => {}
            _ => b.low = Some(p),
        }
        match b.high {
            Some((_, h)) if !(y > h.1 || h.1.is_nan()) => {}
            _ => b.high = Some(p),
        }
    }

    /// The points to draw from the parts of one range, in order: every point when there are
    /// at most `keep` in all, else each bucket's extremes. Answers them and the number of
    /// points there were.
    pub fn join(parts: Vec<StepBuckets>) -> (Vec<(f64, f64)>, usize) {
        let total: usize = parts.iter().map(|p| p.seen).sum();
        let keep = parts.first().map_or(0, |p| p.keep);
        if total <= keep {
            return (parts.into_iter().flat_map(|p| p.whole).collect(), total);
        }
        let mut out = Vec::new();
        for b in parts.iter().flat_map(|p| &p.buckets) {
            if let (Some(low), Some(high)) = (b.low, b.high) {
                let (a, z) = if low.0 <= high.0 {
                    (low, high)
                } else {
                    (high, low)
                };
                out.push(a.1);
                if z.0 != a.0 {
                    out.push(z.1);
                }
            }
        }
        (out, total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rule written plainly, over points in step order.
    fn plainly(points: &[(i64, f64)], range: (i64, i64), count: usize) -> Vec<(f64, f64)> {
        let mut out = Vec::new();
        for k in 0..count {
            let (lo, hi) = (
                StepBuckets::start_of(range, count, k),
                StepBuckets::start_of(range, count, k + 1),
            );
            let inside: Vec<(usize, &(i64, f64))> = points
                .iter()
                .enumerate()
                .filter(|(_, p)| p.0 >= lo && p.0 < hi)
                .collect();
            let Some(&(i0, p0)) = inside.first() else {
                continue;
            };
            let (mut low, mut high) = ((i0, p0), (i0, p0));
            for &(i, p) in &inside {
                if p.1 < low.1.1 || low.1.1.is_nan() {
                    low = (i, p);
                }
                if p.1 > high.1.1 || high.1.1.is_nan() {
                    high = (i, p);
                }
            }
            let (a, z) = if low.0 <= high.0 {
                (low, high)
            } else {
                (high, low)
            };
            out.push((a.1.0 as f64, a.1.1));
            if z.0 != a.0 {
                out.push((z.1.0 as f64, z.1.1));
            }
        }
        out
    }

    fn same(a: &[(f64, f64)], b: &[(f64, f64)]) -> bool {
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|(x, y)| x.0 == y.0 && (x.1 == y.1 || x.1.is_nan() && y.1.is_nan()))
    }

    #[test]
    fn buckets_read_in_two_parts_keep_the_extremes_of_every_bucket() {
        let mut seed = 11u64;
        let mut next = move || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            seed >> 33
        };
        for (n, gap) in [
            (5_usize, 1_i64),
            (3000, 1),
            (20_011, 3),
            (7000, 1_000_000_007),
        ] {
            let mut step = -17;
            let points: Vec<(i64, f64)> = (0..n)
                .map(|_| {
                    // Some steps twice (several timestamps), some NaN, some spikes.
                    if next() % 5 != 0 {
                        step += 1 + (next() as i64 % gap);
                    }
                    let y = match next() % 17 {
                        0 => f64::NAN,
                        1 => 1e9,
                        r => r as f64 - (next() % 1000) as f64 / 100.0,
                    };
                    (step, y)
                })
                .collect();
            let range = (points[0].0, points[n - 1].0);
            for count in [1, 2, 7, 1000] {
                let mid = count / 2;
                let split = StepBuckets::start_of(range, count, mid);
                let mut parts = vec![
                    StepBuckets::new(range, count, 0..mid, 2000),
                    StepBuckets::new(range, count, mid..count, 2000),
                ];
                for &(s, y) in &points {
                    parts[usize::from(s >= split)].push(s, y);
                }
                let (got, total) = StepBuckets::join(parts);
                assert_eq!(total, n);
                if n <= 2000 {
                    let all: Vec<(f64, f64)> = points.iter().map(|p| (p.0 as f64, p.1)).collect();
                    assert!(same(&got, &all), "n {n}: every point is kept");
                } else {
                    assert!(got.len() <= 2 * count);
                    assert!(
                        same(&got, &plainly(&points, range, count)),
                        "n {n} count {count}"
                    );
                    assert!(got.iter().any(|p| p.1 == 1e9), "a spike is drawn");
                }
            }
        }
    }
}
