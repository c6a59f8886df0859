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
