//! Tree ensembles as ONNX's `ai.onnx.ml` operators define them (TreeEnsembleClassifier and
//! TreeEnsembleRegressor), evaluated natively: the trees are flattened into one node array and
//! one leaf-weight array, and a batch is scored row by row without allocating per row.
//!
//! The scoring rules follow onnxruntime's CPU kernels, including the parts the ONNX
//! specification leaves open: how a two-class classifier whose leaves score one class turns one
//! score into two columns and a label, how a missing value (NaN) takes a node's true branch
//! when its missing-value track says so, and how base values join each aggregate.

use std::collections::HashMap;

/// How a branch node compares the feature with its threshold; true takes the true branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Leq,
    Lt,
    Gte,
    Gt,
    Eq,
    Neq,
}

impl Mode {
    pub fn parse(s: &str) -> Result<Option<Mode>, String> {
        Ok(Some(match s {
            "BRANCH_LEQ" => Mode::Leq,
            "BRANCH_LT" => Mode::Lt,
            "BRANCH_GTE" => Mode::Gte,
            "BRANCH_GT" => Mode::Gt,
            "BRANCH_EQ" => Mode::Eq,
            "BRANCH_NEQ" => Mode::Neq,
            "LEAF" => return Ok(None),
            other => return Err(format!("unknown tree node mode `{other}`")),
        }))
    }
}

/// How the leaves reached in every tree combine into one score per class or target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregate {
    Sum,
    Average,
    Min,
    Max,
}

impl Aggregate {
    pub fn parse(s: &str) -> Result<Aggregate, String> {
        match s {
            "SUM" => Ok(Aggregate::Sum),
            "AVERAGE" => Ok(Aggregate::Average),
            "MIN" => Ok(Aggregate::Min),
            "MAX" => Ok(Aggregate::Max),
            other => Err(format!("unknown aggregate_function `{other}`")),
        }
    }
}

/// The function applied to the aggregated scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostTransform {
    None,
    Softmax,
    Logistic,
    SoftmaxZero,
    Probit,
}

impl PostTransform {
    pub fn parse(s: &str) -> Result<PostTransform, String> {
        match s {
            "NONE" => Ok(PostTransform::None),
            "SOFTMAX" => Ok(PostTransform::Softmax),
            "LOGISTIC" => Ok(PostTransform::Logistic),
            "SOFTMAX_ZERO" => Ok(PostTransform::SoftmaxZero),
            "PROBIT" => Ok(PostTransform::Probit),
            other => Err(format!("unknown post_transform `{other}`")),
        }
    }
}

/// The operator's attributes, read from the graph (every `*_as_tensor` variant already merged
/// in). Leaf weights name their class (classifier) or target (regressor).
#[derive(Debug, Clone, Default)]
pub struct Spec {
    pub tree_ids: Vec<i64>,
    pub node_ids: Vec<i64>,
    pub feature_ids: Vec<i64>,
    pub values: Vec<f64>,
    pub modes: Vec<Option<Mode>>,
    pub true_ids: Vec<i64>,
    pub false_ids: Vec<i64>,
    pub missing_tracks_true: Vec<i64>,
    pub weight_tree_ids: Vec<i64>,
    pub weight_node_ids: Vec<i64>,
    pub weight_ids: Vec<i64>,
    pub weights: Vec<f64>,
    pub base_values: Vec<f64>,
    pub post_transform: Option<PostTransform>,
    pub aggregate: Option<Aggregate>,
}

/// One node, 24 bytes. A branch holds its feature, threshold and children; a leaf holds the
/// range of its weights in `Forest::leaf_weights`.
#[derive(Debug, Clone, Copy)]
struct Node {
    threshold: f64,
    feature: u32,
    /// Branch: the node taken when the comparison is true. Leaf: first weight.
    a: u32,
    /// Branch: the node taken when it is false. Leaf: one past the last weight.
    b: u32,
    /// `LEAF`, or a comparison with `MISSING_TRUE` when NaN goes to the true branch.
    kind: u8,
}

const LEAF: u8 = 0xff;
const MISSING_TRUE: u8 = 0x80;

fn mode_code(m: Mode) -> u8 {
    match m {
        Mode::Leq => 0,
        Mode::Lt => 1,
        Mode::Gte => 2,
        Mode::Gt => 3,
        Mode::Eq => 4,
        Mode::Neq => 5,
    }
}

/// The flattened trees.
#[derive(Debug, Clone)]
struct Forest {
    nodes: Vec<Node>,
    roots: Vec<u32>,
    /// (class or target index, weight) of every leaf, leaf by leaf.
    leaf_weights: Vec<(u32, f32)>,
    /// The largest feature index a node reads, plus one.
    features: usize,
}

impl Forest {
    fn build(spec: &Spec, outputs: usize) -> Result<Forest, String> {
        let n = spec.node_ids.len();
        let same = |name: &str, len: usize| {
            if len == n {
                Ok(())
            } else {
                Err(format!(
                    "tree ensemble attribute {name} has {len} entries for {n} nodes"
                ))
            }
        };
        same("nodes_treeids", spec.tree_ids.len())?;
        same("nodes_featureids", spec.feature_ids.len())?;
        same("nodes_values", spec.values.len())?;
        same("nodes_modes", spec.modes.len())?;
        same("nodes_truenodeids", spec.true_ids.len())?;
        same("nodes_falsenodeids", spec.false_ids.len())?;
        if !spec.missing_tracks_true.is_empty() {
            same(
                "nodes_missing_value_tracks_true",
                spec.missing_tracks_true.len(),
            )?;
        }
        if n == 0 {
            return Err("the tree ensemble has no nodes".into());
        }
        let m = spec.weight_node_ids.len();
        if spec.weight_tree_ids.len() != m || spec.weight_ids.len() != m || spec.weights.len() != m
        {
            return Err(format!(
                "the tree ensemble's leaf weights disagree in length ({}, {}, {} and {})",
                spec.weight_tree_ids.len(),
                m,
                spec.weight_ids.len(),
                spec.weights.len()
            ));
        }
        let mut index: HashMap<(i64, i64), u32> = HashMap::with_capacity(n);
        let mut roots = Vec::new();
        for i in 0..n {
            let key = (spec.tree_ids[i], spec.node_ids[i]);
            if index.insert(key, i as u32).is_some() {
                return Err(format!(
                    "tree {} has two nodes with id {}",
                    spec.tree_ids[i], spec.node_ids[i]
                ));
            }
            // A tree starts where the tree id changes; its first node is its root.
            if i == 0 || spec.tree_ids[i] != spec.tree_ids[i - 1] {
                roots.push(i as u32);
            }
        }
        // Leaf weights, grouped by leaf in the order they are listed.
        let mut per_leaf: Vec<Vec<(u32, f32)>> = vec![Vec::new(); n];
        for j in 0..m {
            let key = (spec.weight_tree_ids[j], spec.weight_node_ids[j]);
            let &i = index.get(&key).ok_or_else(|| {
                format!(
                    "a leaf weight names node {} of tree {}, which does not exist",
                    key.1, key.0
                )
            })?;
            let id = spec.weight_ids[j];
            if id < 0 || id as usize >= outputs {
                return Err(format!(
                    "a leaf weight names output {id}, but the ensemble has {outputs}"
                ));
            }
            per_leaf[i as usize].push((id as u32, spec.weights[j] as f32));
        }
        let mut nodes = Vec::with_capacity(n);
        let mut leaf_weights = Vec::with_capacity(m);
        let mut features = 0;
        for (i, weights) in per_leaf.iter().enumerate() {
            let tree = spec.tree_ids[i];
            let node = match spec.modes[i] {
                None => {
                    let a = leaf_weights.len() as u32;
                    leaf_weights.extend_from_slice(weights);
                    Node {
                        threshold: 0.0,
                        feature: 0,
                        a,
                        b: leaf_weights.len() as u32,
                        kind: LEAF,
                    }
                }
                Some(mode) => {
                    if !weights.is_empty() {
                        return Err(format!(
                            "node {} of tree {tree} has leaf weights but is a branch",
                            spec.node_ids[i]
                        ));
                    }
                    let child = |id: i64| {
                        index.get(&(tree, id)).copied().ok_or_else(|| {
                            format!(
                                "node {} of tree {tree} points to node {id}, which does not exist",
                                spec.node_ids[i]
                            )
                        })
                    };
                    let feature = spec.feature_ids[i];
                    if !(0..=u32::MAX as i64 / 2).contains(&feature) {
                        return Err(format!("a tree node reads feature {feature}"));
                    }
                    features = features.max(feature as usize + 1);
                    let missing = spec.missing_tracks_true.get(i).is_some_and(|&v| v != 0);
                    Node {
                        threshold: spec.values[i],
                        feature: feature as u32,
                        a: child(spec.true_ids[i])?,
                        b: child(spec.false_ids[i])?,
                        kind: mode_code(mode) | if missing { MISSING_TRUE } else { 0 },
                    }
                }
            };
            nodes.push(node);
        }
        let forest = Forest {
            nodes,
            roots,
            leaf_weights,
            features,
        };
        forest.check_acyclic()?;
        Ok(forest)
    }

    /// Every walk from a root ends at a leaf: a cycle would loop forever on some input.
    fn check_acyclic(&self) -> Result<(), String> {
        // 0 unseen, 1 on the current path, 2 done.
        let mut state = vec![0u8; self.nodes.len()];
        for &root in &self.roots {
            let mut stack = vec![(root, false)];
            while let Some((i, leaving)) = stack.pop() {
                let i = i as usize;
                if leaving {
                    state[i] = 2;
                    continue;
                }
                match state[i] {
                    2 => continue,
                    1 => return Err("the tree ensemble has a cycle".into()),
                    _ => {}
                }
                state[i] = 1;
                stack.push((i as u32, true));
                let node = self.nodes[i];
                if node.kind != LEAF {
                    for c in [node.a, node.b] {
                        if state[c as usize] == 1 {
                            return Err("the tree ensemble has a cycle".into());
                        }
                        stack.push((c, false));
                    }
                }
            }
        }
        Ok(())
    }

    /// The leaf that `row` reaches in the tree rooted at `root`.
    #[inline]
    fn leaf(&self, root: u32, row: &[f32]) -> &[(u32, f32)] {
        let mut node = self.nodes[root as usize];
        while node.kind != LEAF {
            let x = row[node.feature as usize] as f64;
            let t = node.threshold;
            let go_true = match node.kind & !MISSING_TRUE {
                0 => x <= t,
                1 => x < t,
                2 => x >= t,
                3 => x > t,
                4 => x == t,
                _ => x != t,
            } || (node.kind & MISSING_TRUE != 0 && x.is_nan());
            node = self.nodes[if go_true { node.a } else { node.b } as usize];
        }
        &self.leaf_weights[node.a as usize..node.b as usize]
    }

    /// Aggregates the leaves `row` reaches into `score`/`has` (one entry per output).
    #[inline]
    fn accumulate(&self, row: &[f32], aggregate: Aggregate, score: &mut [f32], has: &mut [bool]) {
        score.fill(0.0);
        has.fill(false);
        // One output reads only the first weight of each leaf.
        let most = if score.len() == 1 { 1 } else { usize::MAX };
        for &root in &self.roots {
            for &(k, w) in self.leaf(root, row).iter().take(most) {
                let k = k as usize;
                score[k] = match aggregate {
                    Aggregate::Sum | Aggregate::Average => score[k] + w,
                    Aggregate::Min if has[k] && score[k] <= w => score[k],
                    Aggregate::Max if has[k] && score[k] >= w => score[k],
                    Aggregate::Min | Aggregate::Max => w,
                };
                has[k] = true;
            }
        }
    }
}

/// Class labels of a classifier.
#[derive(Debug, Clone, PartialEq)]
pub enum Labels {
    Ints(Vec<i64>),
    Strings(Vec<String>),
}

impl Labels {
    pub fn len(&self) -> usize {
        match self {
            Labels::Ints(v) => v.len(),
            Labels::Strings(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A TreeEnsembleRegressor.
#[derive(Debug, Clone)]
pub struct Regressor {
    forest: Forest,
    targets: usize,
    base: Vec<f32>,
    aggregate: Aggregate,
    post: PostTransform,
}

impl Regressor {
    pub fn new(spec: &Spec, targets: usize) -> Result<Regressor, String> {
        if targets == 0 {
            return Err("TreeEnsembleRegressor has n_targets 0".into());
        }
        let forest = Forest::build(spec, targets)?;
        let base: Vec<f32> = spec.base_values.iter().map(|&v| v as f32).collect();
        if !base.is_empty() && base.len() != targets && base.len() != 1 {
            return Err(format!(
                "TreeEnsembleRegressor has {} base_values for {targets} targets",
                base.len()
            ));
        }
        Ok(Regressor {
            forest,
            targets,
            base,
            aggregate: spec.aggregate.unwrap_or(Aggregate::Sum),
            post: spec.post_transform.unwrap_or(PostTransform::None),
        })
    }

    pub fn targets(&self) -> usize {
        self.targets
    }

    /// The smallest row width the trees can read.
    pub fn min_features(&self) -> usize {
        self.forest.features
    }

    /// Scores `rows` rows of `width` features (row-major) into `out` (`rows × targets`).
    pub fn eval(&self, data: &[f32], width: usize, out: &mut Vec<f32>) {
        let t = self.targets;
        let rows = data.len().checked_div(width).unwrap_or(0);
        out.clear();
        out.resize(rows * t, 0.0);
        let mut has = vec![false; t];
        let trees = self.forest.roots.len() as f32;
        for (row, z) in data.chunks_exact(width.max(1)).zip(out.chunks_exact_mut(t)) {
            self.forest.accumulate(row, self.aggregate, z, &mut has);
            if t == 1 {
                // One target: a lone base value is its origin.
                let origin = self.base.first().copied().unwrap_or(0.0);
                let s = if self.aggregate == Aggregate::Average {
                    z[0] / trees
                } else {
                    z[0]
                };
                z[0] = s + origin;
                if self.post == PostTransform::Probit {
                    z[0] = probit(z[0]);
                }
                continue;
            }
            let use_base = self.base.len() == t;
            for (k, v) in z.iter_mut().enumerate() {
                if self.aggregate == Aggregate::Average {
                    *v /= trees;
                }
                if use_base {
                    *v += self.base[k];
                }
            }
            post_transform(z, self.post);
        }
    }
}

/// A TreeEnsembleClassifier.
#[derive(Debug, Clone)]
pub struct Classifier {
    forest: Forest,
    labels: Labels,
    base: Vec<f32>,
    post: PostTransform,
    /// Two classes whose leaves all score one class.
    binary: bool,
    all_positive: bool,
}

/// The label a classifier picked, as a class label value (ints) or an index (strings).
type LabelValue = i64;

impl Classifier {
    pub fn new(spec: &Spec, labels: Labels) -> Result<Classifier, String> {
        let classes = labels.len();
        if classes < 2 {
            return Err(format!(
                "TreeEnsembleClassifier has {classes} class labels; it needs at least 2"
            ));
        }
        let forest = Forest::build(spec, classes)?;
        let mut distinct: Vec<i64> = spec.weight_ids.clone();
        distinct.sort_unstable();
        distinct.dedup();
        Ok(Classifier {
            forest,
            labels,
            base: spec.base_values.iter().map(|&v| v as f32).collect(),
            post: spec.post_transform.unwrap_or(PostTransform::None),
            binary: classes == 2 && distinct.len() == 1,
            all_positive: spec.weights.iter().all(|&w| w >= 0.0),
        })
    }

    pub fn labels(&self) -> &Labels {
        &self.labels
    }

    pub fn classes(&self) -> usize {
        self.labels.len()
    }

    pub fn min_features(&self) -> usize {
        self.forest.features
    }

    /// The label value at class index `k`: the int label, or `k` itself for string labels.
    fn label_at(&self, k: usize) -> LabelValue {
        match &self.labels {
            Labels::Ints(v) => v[k],
            Labels::Strings(_) => k as i64,
        }
    }

    /// Scores a batch: `labels` gets one label value per row (see [`Classifier::label_text`]
    /// for string labels), `scores` `rows × classes` values.
    pub fn eval(
        &self,
        data: &[f32],
        width: usize,
        labels: &mut Vec<LabelValue>,
        scores: &mut Vec<f32>,
    ) {
        let c = self.classes();
        let rows = data.len().checked_div(width).unwrap_or(0);
        labels.clear();
        scores.clear();
        scores.resize(rows * c, 0.0);
        let mut has = vec![false; c];
        for (row, z) in data
            .chunks_exact(width.max(1))
            .zip(scores.chunks_exact_mut(c))
        {
            self.forest.accumulate(row, Aggregate::Sum, z, &mut has);
            let label = if c > 2 {
                self.finish_multi(z, &mut has)
            } else {
                self.finish_two(z, &mut has)
            };
            labels.push(label);
        }
    }

    fn finish_multi(&self, z: &mut [f32], has: &mut [bool]) -> LabelValue {
        for (k, &b) in self.base.iter().enumerate().take(z.len()) {
            z[k] = if has[k] { z[k] + b } else { b };
            has[k] = true;
        }
        // The first class with the highest score among those that have one.
        let mut best: Option<usize> = None;
        for k in 0..z.len() {
            if has[k] && best.is_none_or(|b| z[k] > z[b]) {
                best = Some(k);
            }
        }
        let label = self.label_at(best.unwrap_or(0));
        post_transform(z, self.post);
        label
    }

    /// Two classes. When only the first class has a score, that one score stands for both
    /// and the second column is derived from it, as onnxruntime does.
    fn finish_two(&self, z: &mut [f32], has: &mut [bool]) -> LabelValue {
        let mut one = false;
        let mut second = Second::Keep;
        match self.base.len() {
            2 => {
                if has[1] {
                    z[1] = self.base[1] + z[0];
                    z[0] = -z[1];
                } else {
                    // The second base value is not used when no leaf scores the second class.
                    z[0] += self.base[0];
                }
            }
            1 => {
                z[0] += self.base[0];
                one = !has[1];
            }
            _ => {
                second = Second::Mirrored;
                one = !has[1];
            }
        }
        let (s0, h0) = (z[0], has[0]);
        let (s1, h1) = if !one && has[1] {
            (z[1], true)
        } else {
            (0.0, false)
        };
        let pos = if h1 {
            s1
        } else if h0 {
            s0
        } else {
            0.0
        };
        let label = if self.binary {
            if self.all_positive {
                if pos > 0.5 {
                    second = Second::Complement;
                    self.label_at(1)
                } else {
                    second = Second::Complement;
                    self.label_at(0)
                }
            } else if pos > 0.0 {
                second = Second::Mirrored;
                self.label_at(1)
            } else {
                second = Second::Mirrored;
                self.label_at(0)
            }
        } else if pos > 0.0 {
            1
        } else {
            0
        };
        if !one {
            post_transform(z, self.post);
            return label;
        }
        let s = z[0];
        if self.post == PostTransform::Probit {
            z[0] = probit(s);
            z[1] = 0.0;
            return label;
        }
        let logistic = self.post == PostTransform::Logistic;
        match second {
            Second::Complement => {
                z[0] = 1.0 - s;
                z[1] = s;
            }
            Second::Mirrored if logistic => {
                z[0] = logistic_of(-s);
                z[1] = logistic_of(s);
            }
            Second::Mirrored => {
                z[0] = -s;
                z[1] = s;
            }
            Second::Keep => {
                z[1] = 0.0;
            }
        }
        label
    }

    /// The text of a string label picked by [`Classifier::eval`].
    pub fn label_text(&self, value: LabelValue) -> &str {
        match &self.labels {
            Labels::Strings(v) => v.get(value as usize).map(String::as_str).unwrap_or(""),
            Labels::Ints(_) => "",
        }
    }
}

/// How a two-class classifier with one score fills the second column.
#[derive(Debug, Clone, Copy)]
enum Second {
    /// Only the one score is written.
    Keep,
    /// `[1 - s, s]`.
    Complement,
    /// `[-s, s]` (logistic of each with LOGISTIC).
    Mirrored,
}

fn logistic_of(v: f32) -> f32 {
    let e = 1.0 / (1.0 + (-v.abs()).exp());
    if v < 0.0 { 1.0 - e } else { e }
}

fn erf_inv(x: f32) -> f32 {
    let sgn = if x < 0.0 { -1.0f32 } else { 1.0 };
    let x = (1.0 - x) * (1.0 + x);
    let log = x.ln();
    let v = 2.0 / (std::f32::consts::PI * 0.147) + 0.5 * log;
    let v2 = 1.0 / 0.147 * log;
    let v3 = -v + (v * v - v2).sqrt();
    sgn * v3.sqrt()
}

fn probit(v: f32) -> f32 {
    std::f32::consts::SQRT_2 * erf_inv(2.0 * v - 1.0)
}

/// Applies a post transform to a score vector of two or more entries.
fn post_transform(z: &mut [f32], post: PostTransform) {
    match post {
        PostTransform::None => {}
        PostTransform::Logistic => z.iter_mut().for_each(|v| *v = logistic_of(*v)),
        PostTransform::Probit => z.iter_mut().for_each(|v| *v = probit(*v)),
        PostTransform::Softmax => {
            let max = z.iter().copied().fold(-f32::MAX, f32::max);
            let mut sum = 0.0;
            for v in z.iter_mut() {
                *v = (*v - max).exp();
                sum += *v;
            }
            z.iter_mut().for_each(|v| *v /= sum);
        }
        PostTransform::SoftmaxZero => {
            let max = z.iter().copied().fold(-f32::MAX, f32::max);
            let exp_neg_max = (-max).exp();
            let mut sum = 0.0;
            for v in z.iter_mut() {
                if *v > 0.000_000_1 || *v < -0.000_000_1 {
                    *v = (*v - max).exp();
                    sum += *v;
                } else {
                    *v *= exp_neg_max;
                }
            }
            z.iter_mut().for_each(|v| *v /= sum);
        }
    }
}

#[cfg(test)]
mod tests {
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
        let e = Regressor::new(&spec, 1).unwrap_err();
        assert!(e.contains("points to node 7"), "{e}");
        let mut spec = stumps(&[(0, 0.5, 1.0, 2.0)]);
        spec.modes[1] = Some(Mode::Leq);
        spec.weight_node_ids = vec![2, 2];
        spec.true_ids[1] = 0;
        let e = Regressor::new(&spec, 1).unwrap_err();
        assert!(e.contains("cycle"), "{e}");
        let mut spec = stumps(&[(0, 0.5, 1.0, 2.0)]);
        spec.weight_ids[0] = 3;
        let e = Regressor::new(&spec, 1).unwrap_err();
        assert!(e.contains("output 3"), "{e}");
    }
}
