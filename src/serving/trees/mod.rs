//! Tree ensembles as ONNX's `ai.onnx.ml` operators define them (TreeEnsembleClassifier and
//! TreeEnsembleRegressor), evaluated natively: the trees are flattened into one node array and
//! one leaf-weight array, and a batch is scored row by row without allocating per row.
//!
//! The scoring rules follow onnxruntime's CPU kernels, including the parts the ONNX
//! specification leaves open: how a two-class classifier whose leaves score one class turns one
//! score into two columns and a label, how a missing value (NaN) takes a node's true branch
//! when its missing-value track says so, and how base values join each aggregate.

mod forest;
mod transform;

use forest::Forest;
use transform::{logistic_of, post_transform, probit};

/// A tree ensemble that cannot be evaluated: its attributes disagree or name what does not
/// exist, or it asks for what is not supported.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidEnsemble(pub String);

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
    pub fn parse(s: &str) -> Result<Option<Mode>, InvalidEnsemble> {
        Ok(Some(match s {
            "BRANCH_LEQ" => Mode::Leq,
            "BRANCH_LT" => Mode::Lt,
            "BRANCH_GTE" => Mode::Gte,
            "BRANCH_GT" => Mode::Gt,
            "BRANCH_EQ" => Mode::Eq,
            "BRANCH_NEQ" => Mode::Neq,
            "LEAF" => return Ok(None),
            other => return Err(InvalidEnsemble(format!("unknown tree node mode `{other}`"))),
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
    pub fn parse(s: &str) -> Result<Aggregate, InvalidEnsemble> {
        match s {
            "SUM" => Ok(Aggregate::Sum),
            "AVERAGE" => Ok(Aggregate::Average),
            "MIN" => Ok(Aggregate::Min),
            "MAX" => Ok(Aggregate::Max),
            other => Err(InvalidEnsemble(format!(
                "unknown aggregate_function `{other}`"
            ))),
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
    pub fn parse(s: &str) -> Result<PostTransform, InvalidEnsemble> {
        match s {
            "NONE" => Ok(PostTransform::None),
            "SOFTMAX" => Ok(PostTransform::Softmax),
            "LOGISTIC" => Ok(PostTransform::Logistic),
            "SOFTMAX_ZERO" => Ok(PostTransform::SoftmaxZero),
            "PROBIT" => Ok(PostTransform::Probit),
            other => Err(InvalidEnsemble(format!("unknown post_transform `{other}`"))),
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
    pub fn new(spec: &Spec, targets: usize) -> Result<Regressor, InvalidEnsemble> {
        if targets == 0 {
            return Err(InvalidEnsemble(
                "TreeEnsembleRegressor has n_targets 0".into(),
            ));
        }
        let forest = Forest::build(spec, targets)?;
        let base: Vec<f32> = spec.base_values.iter().map(|&v| v as f32).collect();
        if !base.is_empty() && base.len() != targets && base.len() != 1 {
            return Err(InvalidEnsemble(format!(
                "TreeEnsembleRegressor has {} base_values for {targets} targets",
                base.len()
            )));
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
        let mut has = vec![false; rows * t];
        let data = &data[..rows * width];
        self.forest
            .accumulate_rows(data, width, self.aggregate, t, out, &mut has);
        let trees = self.forest.roots.len() as f32;
        for z in out.chunks_exact_mut(t) {
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
    pub fn new(spec: &Spec, labels: Labels) -> Result<Classifier, InvalidEnsemble> {
        let classes = labels.len();
        if classes < 2 {
            return Err(InvalidEnsemble(format!(
                "TreeEnsembleClassifier has {classes} class labels; it needs at least 2"
            )));
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
        let mut has = vec![false; rows * c];
        let data = &data[..rows * width];
        self.forest
            .accumulate_rows(data, width, Aggregate::Sum, c, scores, &mut has);
        for (z, has) in scores.chunks_exact_mut(c).zip(has.chunks_exact_mut(c)) {
            let label = if c > 2 {
                self.finish_multi(z, has)
            } else {
                self.finish_two(z, has)
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

#[cfg(test)]
mod tests;
