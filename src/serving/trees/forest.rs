//! The trees of an ensemble flattened into one node array and one leaf-weight array, and the
//! walk of a row from each root to its leaf.

use std::collections::HashMap;

use super::{Aggregate, InvalidEnsemble, Mode, Spec};

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
pub(super) struct Forest {
    nodes: Vec<Node>,
    pub(super) roots: Vec<u32>,
    /// (class or target index, weight) of every leaf, leaf by leaf.
    leaf_weights: Vec<(u32, f32)>,
    /// The largest feature index a node reads, plus one.
    pub(super) features: usize,
}

impl Forest {
    pub(super) fn build(spec: &Spec, outputs: usize) -> Result<Forest, InvalidEnsemble> {
        let n = spec.node_ids.len();
        let same = |name: &str, len: usize| {
            if len == n {
                Ok(())
            } else {
                Err(InvalidEnsemble(format!(
                    "tree ensemble attribute {name} has {len} entries for {n} nodes"
                )))
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
            return Err(InvalidEnsemble("the tree ensemble has no nodes".into()));
        }
        let m = spec.weight_node_ids.len();
        if spec.weight_tree_ids.len() != m || spec.weight_ids.len() != m || spec.weights.len() != m
        {
            return Err(InvalidEnsemble(format!(
                "the tree ensemble's leaf weights disagree in length ({}, {}, {} and {})",
                spec.weight_tree_ids.len(),
                m,
                spec.weight_ids.len(),
                spec.weights.len()
            )));
        }
        let mut index: HashMap<(i64, i64), u32> = HashMap::with_capacity(n);
        let mut roots = Vec::new();
        for i in 0..n {
            let key = (spec.tree_ids[i], spec.node_ids[i]);
            if index.insert(key, i as u32).is_some() {
                return Err(InvalidEnsemble(format!(
                    "tree {} has two nodes with id {}",
                    spec.tree_ids[i], spec.node_ids[i]
                )));
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
                InvalidEnsemble(format!(
                    "a leaf weight names node {} of tree {}, which does not exist",
                    key.1, key.0
                ))
            })?;
            let id = spec.weight_ids[j];
            if id < 0 || id as usize >= outputs {
                return Err(InvalidEnsemble(format!(
                    "a leaf weight names output {id}, but the ensemble has {outputs}"
                )));
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
                        return Err(InvalidEnsemble(format!(
                            "node {} of tree {tree} has leaf weights but is a branch",
                            spec.node_ids[i]
                        )));
                    }
                    let child = |id: i64| {
                        index.get(&(tree, id)).copied().ok_or_else(|| {
                            InvalidEnsemble(format!(
                                "node {} of tree {tree} points to node {id}, which does not exist",
                                spec.node_ids[i]
                            ))
                        })
                    };
                    let feature = spec.feature_ids[i];
                    if !(0..=u32::MAX as i64 / 2).contains(&feature) {
                        return Err(InvalidEnsemble(format!(
                            "a tree node reads feature {feature}"
                        )));
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
    fn check_acyclic(&self) -> Result<(), InvalidEnsemble> {
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
                    1 => return Err(InvalidEnsemble("the tree ensemble has a cycle".into())),
                    _ => {}
                }
                state[i] = 1;
                stack.push((i as u32, true));
                let node = self.nodes[i];
                if node.kind != LEAF {
                    for c in [node.a, node.b] {
                        if state[c as usize] == 1 {
                            return Err(InvalidEnsemble("the tree ensemble has a cycle".into()));
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
    pub(super) fn accumulate(
        &self,
        row: &[f32],
        aggregate: Aggregate,
        score: &mut [f32],
        has: &mut [bool],
    ) {
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
