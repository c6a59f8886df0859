//! The evaluator on small hand-made ensembles.

use super::*;

/// One stump per tree: `x[f] <= t` → leaf `lo` else leaf `hi`, weights on output 0.
fn stumps(trees: &[(i64, f64, f64, f64)]) -> Spec {
    let mut s = Spec::default();
    for (i, &(f, t, lo, hi)) in trees.iter().enumerate() {
        let tree = i as i64;
        s.tree_ids.extend([tree; 3]);
        s.node_ids.extend([0, 1, 2]);
        s.feature_ids.extend([f, 0, 0]);
        s.values.extend([t, 0.0, 0.0]);
        s.modes.extend([Some(Mode::Leq), None, None]);
        s.true_ids.extend([1, 0, 0]);
        s.false_ids.extend([2, 0, 0]);
        s.weight_tree_ids.extend([tree, tree]);
        s.weight_node_ids.extend([1, 2]);
        s.weight_ids.extend([0, 0]);
        s.weights.extend([lo, hi]);
    }
    s
}

#[test]
fn a_binary_forest_scoring_one_class_labels_by_the_half_way_mark() {
    // Each tree votes the probability of class 1; two trees averaged by their weights.
    let spec = stumps(&[(0, 0.5, 0.1, 0.45), (1, 0.5, 0.2, 0.35)]);
    let c = Classifier::new(&spec, Labels::Ints(vec![0, 1])).unwrap();
    let (mut labels, mut scores) = (Vec::new(), Vec::new());
    c.eval(&[0.0, 0.0, 1.0, 1.0], 2, &mut labels, &mut scores);
    assert_eq!(labels, [0, 1]);
    let want = [1.0 - 0.3, 0.3, 1.0 - 0.8, 0.8];
    for (a, b) in scores.iter().zip(want) {
        assert!((a - b).abs() < 1e-6, "{scores:?}");
    }
}

#[test]
fn missing_values_follow_the_track_and_otherwise_go_false() {
    let mut spec = stumps(&[(0, 0.5, 1.0, 2.0)]);
    let r = Regressor::new(&spec, 1).unwrap();
    let mut out = Vec::new();
    r.eval(&[f32::NAN], 1, &mut out);
    assert_eq!(out, [2.0]);
    spec.missing_tracks_true = vec![1, 0, 0];
    let r = Regressor::new(&spec, 1).unwrap();
    r.eval(&[f32::NAN], 1, &mut out);
    assert_eq!(out, [1.0]);
}

#[test]
fn min_max_and_average_aggregate_with_the_base_value() {
    let mut spec = stumps(&[(0, 0.5, 1.0, 2.0), (0, 0.5, 3.0, -1.0)]);
    spec.base_values = vec![10.0];
    for (agg, want) in [
        (Aggregate::Min, [11.0, 9.0]),
        (Aggregate::Max, [13.0, 12.0]),
        (Aggregate::Average, [12.0, 10.5]),
        (Aggregate::Sum, [14.0, 11.0]),
    ] {
        spec.aggregate = Some(agg);
        let r = Regressor::new(&spec, 1).unwrap();
        let mut out = Vec::new();
        r.eval(&[0.0, 1.0], 1, &mut out);
        assert_eq!(out, want, "{agg:?}");
    }
}

#[test]
fn malformed_ensembles_are_refused() {
    let mut spec = stumps(&[(0, 0.5, 1.0, 2.0)]);
    spec.true_ids[0] = 7;
    let e = Regressor::new(&spec, 1).unwrap_err().to_string();
    assert!(e.contains("points to node 7"), "{e}");
    let mut spec = stumps(&[(0, 0.5, 1.0, 2.0)]);
    spec.modes[1] = Some(Mode::Leq);
    spec.weight_node_ids = vec![2, 2];
    spec.true_ids[1] = 0;
    let e = Regressor::new(&spec, 1).unwrap_err().to_string();
    assert!(e.contains("cycle"), "{e}");
    let mut spec = stumps(&[(0, 0.5, 1.0, 2.0)]);
    spec.weight_ids[0] = 3;
    let e = Regressor::new(&spec, 1).unwrap_err().to_string();
    assert!(e.contains("output 3"), "{e}");
}

/// A small deterministic generator for the random ensembles below.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// `trees` random trees up to `depth` deep over `features` features, comparing with `mode`,
/// leaves scoring one to three of `outputs` outputs; thresholds from a small set, so rows hit
/// them exactly.
fn random_spec(rng: &mut Lcg, trees: i64, depth: u32, mode: Mode, missing: bool) -> Spec {
    fn grow(s: &mut Spec, rng: &mut Lcg, tree: i64, depth: u32, mode: Mode, missing: bool) -> i64 {
        let id = s
            .node_ids
            .iter()
            .zip(&s.tree_ids)
            .filter(|(_, t)| **t == tree)
            .count() as i64;
        s.tree_ids.push(tree);
        s.node_ids.push(id);
        let at = s.node_ids.len() - 1;
        if depth == 0 || rng.below(5) == 0 {
            s.feature_ids.push(0);
            s.values.push(0.0);
            s.modes.push(None);
            s.true_ids.push(0);
            s.false_ids.push(0);
            s.missing_tracks_true.push(0);
            for _ in 0..=rng.below(3) {
                s.weight_tree_ids.push(tree);
                s.weight_node_ids.push(id);
                s.weight_ids.push(rng.below(3) as i64);
                s.weights.push(rng.below(1000) as f64 / 64.0 - 7.0);
            }
            return id;
        }
        s.feature_ids.push(rng.below(5) as i64);
        s.values.push(rng.below(8) as f64 / 4.0);
        s.modes.push(Some(mode));
        s.true_ids.push(0);
        s.false_ids.push(0);
        s.missing_tracks_true
            .push(i64::from(missing && rng.below(2) == 0));
        let t = grow(s, rng, tree, depth - 1, mode, missing);
        let f = grow(s, rng, tree, depth - 1, mode, missing);
        s.true_ids[at] = t;
        s.false_ids[at] = f;
        id
    }
    let mut s = Spec::default();
    for tree in 0..trees {
        grow(&mut s, rng, tree, depth, mode, missing);
    }
    s
}

/// Walking many rows side by side through packed trees gives every row the sums the walk of
/// one row at a time gives, in every mode, with and without missing-value tracks, for batches
/// that do and do not fill the lanes.
#[test]
fn the_batch_walk_agrees_with_the_row_walk() {
    let mut rng = Lcg(7);
    for mode in [
        Mode::Leq,
        Mode::Lt,
        Mode::Gte,
        Mode::Gt,
        Mode::Eq,
        Mode::Neq,
    ] {
        for missing in [false, true] {
            let spec = random_spec(&mut rng, 9, 10, mode, missing);
            let forest = forest::Forest::build(&spec, 3).unwrap();
            assert!(forest.is_packed());
            for rows in [1, 5, 8, 37] {
                let data: Vec<f32> = (0..rows * 5)
                    .map(|_| match rng.below(10) {
                        0 => f32::NAN,
                        _ => rng.below(9) as f32 / 4.0,
                    })
                    .collect();
                for aggregate in [Aggregate::Sum, Aggregate::Min, Aggregate::Max] {
                    let (mut z, mut h) = (vec![0.0; rows * 3], vec![false; rows * 3]);
                    forest.accumulate_rows(&data, 5, aggregate, 3, &mut z, &mut h);
                    let (mut z1, mut h1) = (vec![0.0; 3], vec![false; 3]);
                    for r in 0..rows {
                        forest.accumulate(&data[r * 5..][..5], aggregate, &mut z1, &mut h1);
                        let at = format!("{mode:?} missing={missing} rows={rows} row {r}");
                        assert_eq!(&h[r * 3..][..3], &h1[..], "{at}");
                        assert_eq!(&z[r * 3..][..3], &z1[..], "{at}");
                    }
                }
            }
        }
    }
}

/// Branches that compare in more than one way, or a threshold `f32` cannot hold, keep the
/// walk of one row at a time (and its `f64` comparison).
#[test]
fn mixed_modes_and_wide_thresholds_are_not_packed() {
    let spec = stumps(&[(0, 0.5, 1.0, 2.0), (0, 0.25, 3.0, 4.0)]);
    assert!(forest::Forest::build(&spec, 1).unwrap().is_packed());
    let mut mixed = spec.clone();
    mixed.modes[3] = Some(Mode::Lt);
    assert!(!forest::Forest::build(&mixed, 1).unwrap().is_packed());
    let mut wide = spec.clone();
    wide.values[0] = 0.1;
    assert!(!forest::Forest::build(&wide, 1).unwrap().is_packed());
    // 0.1f32 lies above 0.1 as f64: the row holding 0.1f32 goes false, where comparing in
    // f32 (0.1f32 <= 0.1f32) would send it true.
    let r = Regressor::new(&wide, 1).unwrap();
    let mut out = Vec::new();
    r.eval(&[0.1f32, 0.2], 1, &mut out);
    assert_eq!(out, [2.0 + 3.0, 2.0 + 3.0]);
}
