//! The ai.onnx.ml operators that skl2onnx emits and tract lacks, rewritten into operators it
//! has before the graph is optimised:
//!
//! - `ZipMap` → its input (the probability matrix itself);
//! - `Scaler` → `Sub` + `Mul`;
//! - `Normalizer` (L1, L2) → `Div` by a row sum (a `MatMul` with ones);
//! - `LinearRegressor` → `MatMul` + `Add`;
//! - `LinearClassifier` → `MatMul` + `Add` (+ `Sigmoid`/`Softmax`) and `ArgMax` + `Gather`
//!   for the labels.

use super::LoadError;
use tract_onnx::pb::{self, AttributeProto, NodeProto, TensorProto};

pub(super) fn attr<'a>(node: &'a NodeProto, name: &str) -> Option<&'a AttributeProto> {
    node.attribute.iter().find(|a| a.name == name)
}

fn attr_floats(node: &NodeProto, name: &str) -> Vec<f32> {
    attr(node, name)
        .map(|a| a.floats.clone())
        .unwrap_or_default()
}

pub(super) fn attr_ints(node: &NodeProto, name: &str) -> Vec<i64> {
    attr(node, name).map(|a| a.ints.clone()).unwrap_or_default()
}

pub(super) fn attr_str(node: &NodeProto, name: &str) -> Option<String> {
    attr(node, name).map(|a| String::from_utf8_lossy(&a.s).into_owned())
}

fn float_tensor(name: &str, dims: &[i64], data: Vec<f32>) -> TensorProto {
    TensorProto {
        name: name.into(),
        dims: dims.to_vec(),
        data_type: 1,
        float_data: data,
        ..Default::default()
    }
}

fn int_tensor(name: &str, dims: &[i64], data: Vec<i64>) -> TensorProto {
    TensorProto {
        name: name.into(),
        dims: dims.to_vec(),
        data_type: 7,
        int64_data: data,
        ..Default::default()
    }
}

fn node(op: &str, inputs: &[&str], outputs: &[&str], attrs: Vec<AttributeProto>) -> NodeProto {
    NodeProto {
        op_type: op.into(),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: outputs.iter().map(|s| s.to_string()).collect(),
        attribute: attrs,
        ..Default::default()
    }
}

fn int_attr(name: &str, v: i64) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: 2,
        i: v,
        ..Default::default()
    }
}

/// A ZipMap's output, now the probability matrix, with the class labels of its columns.
pub(super) struct Zipped {
    pub output: String,
    pub labels: Vec<serde_json::Value>,
}

/// Rewrites the ML operators tract lacks; returns the outputs that became float tensors
/// (ZipMap outputs), with their labels.
pub(super) fn rewrite(graph: &mut pb::GraphProto, opset: i64) -> Result<Vec<Zipped>, LoadError> {
    let mut nodes = Vec::new();
    let mut inits = Vec::new();
    let mut retyped = Vec::new();
    let mut n = 0;
    for old in std::mem::take(&mut graph.node) {
        n += 1;
        let p = format!("mlf_rw{n}");
        let input = old.input.first().cloned().unwrap_or_default();
        let out0 = old.output.first().cloned().unwrap_or_default();
        match (old.domain.as_str(), old.op_type.as_str()) {
            ("ai.onnx.ml", "ZipMap") => {
                nodes.push(node("Identity", &[&input], &[&out0], vec![]));
                let ints = attr_ints(&old, "classlabels_int64s");
                let labels = if ints.is_empty() {
                    attr(&old, "classlabels_strings")
                        .map(|a| {
                            a.strings
                                .iter()
                                .map(|s| String::from_utf8_lossy(s).into_owned().into())
                                .collect()
                        })
                        .unwrap_or_default()
                } else {
                    ints.into_iter().map(Into::into).collect()
                };
                retyped.push(Zipped {
                    output: out0,
                    labels,
                });
            }
            ("ai.onnx.ml", "Scaler") => {
                let offset = attr_floats(&old, "offset");
                let scale = attr_floats(&old, "scale");
                let (o, s, t) = (
                    format!("{p}_offset"),
                    format!("{p}_scale"),
                    format!("{p}_centered"),
                );
                inits.push(float_tensor(&o, &[offset.len() as i64], offset));
                inits.push(float_tensor(&s, &[scale.len() as i64], scale));
                nodes.push(node("Sub", &[&input, &o], &[&t], vec![]));
                nodes.push(node("Mul", &[&t, &s], &[&out0], vec![]));
            }
            ("ai.onnx.ml", "Normalizer") => {
                let norm = attr_str(&old, "norm").unwrap_or_else(|| "MAX".into());
                let (a, sum) = (format!("{p}_abs"), format!("{p}_sum"));
                // ReduceSum over the columns: axes as an attribute before opset 13, an input after.
                let reduce = |from: &str,
                              to: &str,
                              nodes: &mut Vec<NodeProto>,
                              inits: &mut Vec<TensorProto>| {
                    if opset >= 13 {
                        let axes = format!("{p}_axes");
                        inits.push(int_tensor(&axes, &[1], vec![1]));
                        nodes.push(node(
                            "ReduceSum",
                            &[from, &axes],
                            &[to],
                            vec![int_attr("keepdims", 1)],
                        ));
                    } else {
                        let axes = AttributeProto {
                            name: "axes".into(),
                            r#type: 7,
                            ints: vec![1],
                            ..Default::default()
                        };
                        nodes.push(node(
                            "ReduceSum",
                            &[from],
                            &[to],
                            vec![int_attr("keepdims", 1), axes],
                        ));
                    }
                };
                match norm.as_str() {
                    "L1" => {
                        nodes.push(node("Abs", &[&input], &[&a], vec![]));
                        reduce(&a, &sum, &mut nodes, &mut inits);
                    }
                    "L2" => {
                        let (sq, ss) = (format!("{p}_sq"), format!("{p}_sumsq"));
                        nodes.push(node("Mul", &[&input, &input], &[&sq], vec![]));
                        reduce(&sq, &ss, &mut nodes, &mut inits);
                        nodes.push(node("Sqrt", &[&ss], &[&sum], vec![]));
                    }
                    other => {
                        return Err(LoadError::Onnx(format!(
                            "Normalizer with norm {other} is not supported"
                        )));
                    }
                }
                nodes.push(node("Div", &[&input, &sum], &[&out0], vec![]));
            }
            ("ai.onnx.ml", "LinearRegressor") => {
                let coef = attr_floats(&old, "coefficients");
                let intercepts = attr_floats(&old, "intercepts");
                let targets = attr(&old, "targets").map(|a| a.i).unwrap_or(1).max(1) as usize;
                if attr_str(&old, "post_transform").is_some_and(|t| t != "NONE") {
                    return Err(LoadError::Onnx(
                        "LinearRegressor with a post_transform is not supported".into(),
                    ));
                }
                let features = coef.len() / targets;
                let (w, b, m) = (format!("{p}_w"), format!("{p}_b"), format!("{p}_mm"));
                inits.push(float_tensor(
                    &w,
                    &[features as i64, targets as i64],
                    transpose(&coef, targets, features),
                ));
                let bias = if intercepts.is_empty() {
                    vec![0.0; targets]
                } else {
                    intercepts
                };
                inits.push(float_tensor(&b, &[targets as i64], bias));
                nodes.push(node("MatMul", &[&input, &w], &[&m], vec![]));
                nodes.push(node("Add", &[&m, &b], &[&out0], vec![]));
            }
            ("ai.onnx.ml", "LinearClassifier") => {
                let coef = attr_floats(&old, "coefficients");
                let intercepts = attr_floats(&old, "intercepts");
                let labels = attr_ints(&old, "classlabels_ints");
                if labels.is_empty() {
                    return Err(LoadError::Onnx(
                        "LinearClassifier with string class labels is not supported".into(),
                    ));
                }
                let rows = intercepts.len().max(1);
                let features = coef.len() / rows;
                let post = attr_str(&old, "post_transform").unwrap_or_else(|| "NONE".into());
                let (w, b, m, raw) = (
                    format!("{p}_w"),
                    format!("{p}_b"),
                    format!("{p}_mm"),
                    format!("{p}_raw"),
                );
                inits.push(float_tensor(
                    &w,
                    &[features as i64, rows as i64],
                    transpose(&coef, rows, features),
                ));
                inits.push(float_tensor(
                    &b,
                    &[rows as i64],
                    if intercepts.is_empty() {
                        vec![0.0]
                    } else {
                        intercepts
                    },
                ));
                nodes.push(node("MatMul", &[&input, &w], &[&m], vec![]));
                nodes.push(node("Add", &[&m, &b], &[&raw], vec![]));
                let mut scores = raw.clone();
                if rows == 1 && labels.len() == 2 {
                    // One score for two classes: the first class scores its negation.
                    let sign = format!("{p}_sign");
                    let both = format!("{p}_both");
                    inits.push(float_tensor(&sign, &[1, 2], vec![-1.0, 1.0]));
                    nodes.push(node("Mul", &[&raw, &sign], &[&both], vec![]));
                    scores = both;
                }
                let z = old
                    .output
                    .get(1)
                    .cloned()
                    .unwrap_or_else(|| format!("{p}_scores"));
                match post.as_str() {
                    "NONE" => nodes.push(node("Identity", &[&scores], &[&z], vec![])),
                    "LOGISTIC" => nodes.push(node("Sigmoid", &[&scores], &[&z], vec![])),
                    "SOFTMAX" => nodes.push(node(
                        "Softmax",
                        &[&scores],
                        &[&z],
                        vec![int_attr("axis", 1)],
                    )),
                    other => {
                        return Err(LoadError::Onnx(format!(
                            "LinearClassifier with post_transform {other} is not supported"
                        )));
                    }
                }
                let (idx, lab) = (format!("{p}_argmax"), format!("{p}_labels"));
                inits.push(int_tensor(&lab, &[labels.len() as i64], labels));
                nodes.push(node(
                    "ArgMax",
                    &[&z],
                    &[&idx],
                    vec![int_attr("axis", 1), int_attr("keepdims", 0)],
                ));
                nodes.push(node(
                    "Gather",
                    &[&lab, &idx],
                    &[&out0],
                    vec![int_attr("axis", 0)],
                ));
            }
            _ => nodes.push(old),
        }
    }
    graph.node = nodes;
    graph.initializer.extend(inits);
    Ok(retyped)
}

/// Transposes a row-major `rows × cols` matrix.
fn transpose(m: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut out = vec![0.0; rows * cols];
    for r in 0..rows {
        for c in 0..cols {
            out[c * rows + r] = m[r * cols + c];
        }
    }
    out
}
