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
    /// The same trees packed for the batch walk, when they allow it.
    packed: Option<Packed>,
}

/// Rows walking a tree at once: their loads and comparisons do not wait on each other.
const LANES: usize = 8;

/// The trees again for ensembles whose branches all compare the same way and whose
/// thresholds are exact in `f32` (what converters write): 16-byte nodes, leaves that lead to
/// themselves, so several rows walk a tree side by side without a branch per step.
#[derive(Debug, Clone)]
struct Packed {
    /// The comparison, as `mode_code` gives it.
    mode: u8,
    /// Whether some node sends NaN to its true branch.
    missing: bool,
    nodes: Vec<PackedNode>,
    /// The weights of each node that is a leaf (empty for branches), as in `Node`.
    leaves: Vec<(u32, u32)>,
}

/// A branch, or a leaf when `a` and `b` both name the node itself.
#[derive(Debug, Clone, Copy)]
struct PackedNode {
    threshold: f32,
    /// The feature, with `MISSING_BIT` set when NaN takes the true branch.
    feature: u32,
    a: u32,
    b: u32,
}

const MISSING_BIT: u32 = 1 << 31;

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
        let mut forest = Forest {
            nodes,
            roots,
            leaf_weights,
            features,
            packed: None,
        };
        forest.check_acyclic()?;
        forest.packed = Packed::of(&forest.nodes);
        Ok(forest)
    }

    /// Whether the trees are walked in their packed form.
    #[cfg(test)]
    pub(super) fn is_packed(&self) -> bool {
        self.packed.is_some()
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

    /// Aggregates the leaves each row of `data` (rows of `width` features) reaches into its
    /// `outputs` entries of `scores`/`has`. Every row adds its trees in tree order, whichever
    /// walk is taken, so both give the same sums.
    pub(super) fn accumulate_rows(
        &self,
        data: &[f32],
        width: usize,
        aggregate: Aggregate,
        outputs: usize,
        scores: &mut [f32],
        has: &mut [bool],
    ) {
        let width = width.max(1);
        let Some(packed) = &self.packed else {
            for ((row, z), h) in data
                .chunks_exact(width)
                .zip(scores.chunks_exact_mut(outputs))
                .zip(has.chunks_exact_mut(outputs))
            {
                self.accumulate(row, aggregate, z, h);
            }
            return;
        };
        scores.fill(0.0);
        has.fill(false);
        let most = if outputs == 1 { 1 } else { usize::MAX };
        let rows = data.len() / width;
        let mut leaves = vec![0u32; rows];
        let missing = packed.missing;
        for &root in &self.roots {
            let walk = match (packed.mode, missing) {
                (0, false) => Packed::walk::<0, false>,
                (1, false) => Packed::walk::<1, false>,
                (2, false) => Packed::walk::<2, false>,
                (3, false) => Packed::walk::<3, false>,
                (4, false) => Packed::walk::<4, false>,
                (_, false) => Packed::walk::<5, false>,
                (0, true) => Packed::walk::<0, true>,
                (1, true) => Packed::walk::<1, true>,
                (2, true) => Packed::walk::<2, true>,
                (3, true) => Packed::walk::<3, true>,
                (4, true) => Packed::walk::<4, true>,
                (_, true) => Packed::walk::<5, true>,
            };
            walk(packed, root, data, width, &mut leaves);
            for (r, &leaf) in leaves.iter().enumerate() {
                let (lo, hi) = packed.leaves[leaf as usize];
                let score = &mut scores[r * outputs..][..outputs];
                let has = &mut has[r * outputs..][..outputs];
                for &(k, w) in self.leaf_weights[lo as usize..hi as usize]
                    .iter()
                    .take(most)
                {
                    add(aggregate, &mut score[k as usize], &mut has[k as usize], w);
                }
            }
        }
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
                add(aggregate, &mut score[k as usize], &mut has[k as usize], w);
            }
        }
    }
}

/// Joins one leaf weight `w` to an output's aggregate.
#[inline]
fn add(aggregate: Aggregate, score: &mut f32, has: &mut bool, w: f32) {
    *score = match aggregate {
        Aggregate::Sum | Aggregate::Average => *score + w,
        Aggregate::Min if *has && *score <= w => *score,
        Aggregate::Max if *has && *score >= w => *score,
        Aggregate::Min | Aggregate::Max => w,
    };
    *has = true;
}

impl Packed {
    /// The packed form of `nodes`, or `None` when their branches compare in more than one way
    /// or a threshold is not exact in `f32` (then `f32` and `f64` comparisons could differ).
    fn of(nodes: &[Node]) -> Option<Packed> {
        let mut mode = None;
        let mut packed = Vec::with_capacity(nodes.len());
        let mut leaves = Vec::with_capacity(nodes.len());
        for (i, n) in nodes.iter().enumerate() {
            let i = i as u32;
            if n.kind == LEAF {
                packed.push(PackedNode {
                    threshold: 0.0,
                    feature: 0,
                    a: i,
                    b: i,
                });
                leaves.push((n.a, n.b));
                continue;
            }
            let m = n.kind & !MISSING_TRUE;
            if *mode.get_or_insert(m) != m {
                return None;
            }
            let t = n.threshold as f32;
            if t as f64 != n.threshold {
                return None;
            }
            let missing = if n.kind & MISSING_TRUE != 0 {
                MISSING_BIT
            } else {
                0
            };
            packed.push(PackedNode {
                threshold: t,
                feature: n.feature | missing,
                a: n.a,
                b: n.b,
            });
            leaves.push((0, 0));
        }
        Some(Packed {
            mode: mode.unwrap_or(0),
            missing: packed.iter().any(|n| n.feature & MISSING_BIT != 0),
            nodes: packed,
            leaves,
        })
    }

    /// The leaf each row of `data` reaches in the tree at `root`, into `leaves`. Up to
    /// `LANES` rows walk at once, a step each in turn; a row that reaches its leaf hands its
    /// lane to the next row.
    fn walk<const MODE: u8, const MISSING: bool>(
        &self,
        root: u32,
        data: &[f32],
        width: usize,
        leaves: &mut [u32],
    ) {
        let nodes = &self.nodes[..];
        let rows = leaves.len();
        let mut live = LANES.min(rows);
        let mut at = [root; LANES];
        let mut row: [usize; LANES] = std::array::from_fn(|i| i);
        let mut next_row = live;
        while live > 0 {
            let mut lane = 0;
            while lane < live {
                let i = at[lane];
                let node = nodes[i as usize];
                let x = data[row[lane] * width + (node.feature & !MISSING_BIT) as usize];
                let t = node.threshold;
                let mut go = match MODE {
                    0 => x <= t,
                    1 => x < t,
                    2 => x >= t,
                    3 => x > t,
                    4 => x == t,
                    _ => x != t,
                };
                if MISSING {
                    go |= node.feature & MISSING_BIT != 0 && x.is_nan();
                }
                let next = if go { node.a } else { node.b };
                if next != i {
                    at[lane] = next;
                    lane += 1;
                    continue;
                }
                leaves[row[lane]] = i;
                if next_row < rows {
                    row[lane] = next_row;
                    at[lane] = root;
                    next_row += 1;
                    lane += 1;
                } else {
                    live -= 1;
                    at[lane] = at[live];
                    row[lane] = row[live];
                }
            }
        }
    }
}
