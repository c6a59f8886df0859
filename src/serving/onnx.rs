//! ONNX models, run natively with tract. The ai.onnx.ml operators that skl2onnx emits and
//! tract lacks are rewritten into ones it has before the graph is optimised:
//!
//! - `ZipMap` → its input (the probability matrix itself);
//! - `Scaler` → `Sub` + `Mul`;
//! - `Normalizer` (L1, L2) → `Div` by a row sum (a `MatMul` with ones);
//! - `LinearRegressor` → `MatMul` + `Add`;
//! - `LinearClassifier` → `MatMul` + `Add` (+ `Sigmoid`/`Softmax`) and `ArgMax` + `Gather`
//!   for the labels;
//!
//! `TreeEnsembleClassifier` and `TreeEnsembleRegressor` run natively (`onnx_trees`).

use std::path::Path;

use serde_json::{Map, Value, json};
use tract_onnx::pb::{self, AttributeProto, NodeProto, TensorProto};
use tract_onnx::prelude::*;

use super::{Input, Predictor, ScoringError};
use crate::models::Signature;

type Plan = SimplePlan<TypedFact, Box<dyn TypedOp>, Graph<TypedFact, Box<dyn TypedOp>>>;

/// A loaded ONNX model with one 2-D float input.
pub struct OnnxPredictor {
    plan: Plan,
    input_name: String,
    features: usize,
    /// Column names the features are expected in (from the signature), when known.
    columns: Vec<String>,
    outputs: Vec<String>,
}

fn attr<'a>(node: &'a NodeProto, name: &str) -> Option<&'a AttributeProto> {
    node.attribute.iter().find(|a| a.name == name)
}

fn attr_floats(node: &NodeProto, name: &str) -> Vec<f32> {
    attr(node, name)
        .map(|a| a.floats.clone())
        .unwrap_or_default()
}

fn attr_ints(node: &NodeProto, name: &str) -> Vec<i64> {
    attr(node, name).map(|a| a.ints.clone()).unwrap_or_default()
}

fn attr_str(node: &NodeProto, name: &str) -> Option<String> {
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

/// Rewrites the ML operators tract lacks; returns the names of outputs that became float
/// tensors (ZipMap outputs).
fn rewrite(graph: &mut pb::GraphProto, opset: i64) -> Result<Vec<String>, String> {
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
                retyped.push(out0);
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
                    other => return Err(format!("Normalizer with norm {other} is not supported")),
                }
                nodes.push(node("Div", &[&input, &sum], &[&out0], vec![]));
            }
            ("ai.onnx.ml", "LinearRegressor") => {
                let coef = attr_floats(&old, "coefficients");
                let intercepts = attr_floats(&old, "intercepts");
                let targets = attr(&old, "targets").map(|a| a.i).unwrap_or(1).max(1) as usize;
                if attr_str(&old, "post_transform").is_some_and(|t| t != "NONE") {
                    return Err("LinearRegressor with a post_transform is not supported".into());
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
                    return Err("LinearClassifier with string class labels is not supported".into());
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
                        return Err(format!(
                            "LinearClassifier with post_transform {other} is not supported"
                        ));
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

impl OnnxPredictor {
    pub fn load(path: &Path, signature: Option<&Signature>) -> Result<OnnxPredictor, String> {
        let bytes =
            std::fs::read(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
        let mut onnx = tract_onnx::onnx();
        super::onnx_trees::register(&mut onnx);
        let mut proto = onnx
            .proto_model_for_read(&mut bytes.as_slice())
            .map_err(|e| format!("`{}` is not an ONNX model: {e}", path.display()))?;
        let opset = proto
            .opset_import
            .iter()
            .find(|o| o.domain.is_empty() || o.domain == "ai.onnx")
            .map(|o| o.version)
            .unwrap_or(13);
        let graph = proto.graph.as_mut().ok_or("the ONNX model has no graph")?;
        let retyped = rewrite(graph, opset)?;
        for out in graph
            .output
            .iter_mut()
            .filter(|o| retyped.contains(&o.name))
        {
            out.r#type = None;
        }
        let initializers: Vec<String> = graph.initializer.iter().map(|i| i.name.clone()).collect();
        let inputs: Vec<&pb::ValueInfoProto> = graph
            .input
            .iter()
            .filter(|i| !initializers.contains(&i.name))
            .collect();
        if inputs.len() != 1 {
            return Err(format!(
                "mlf serves ONNX models with one input; this one has {}",
                inputs.len()
            ));
        }
        let input_name = inputs[0].name.clone();
        let features = input_width(inputs[0])
            .ok_or("the ONNX model's input must be a 2-D tensor with a known number of columns")?;
        let outputs: Vec<String> = graph.output.iter().map(|o| o.name.clone()).collect();
        let mut model = onnx
            .model_for_proto_model(&proto)
            .map_err(|e| format!("cannot load `{}`: {e:#}", path.display()))?;
        let batch = model.sym("N");
        model = model
            .with_input_fact(
                0,
                InferenceFact::dt_shape(
                    f32::datum_type(),
                    tvec!(TDim::from(batch), TDim::from(features as i64)),
                ),
            )
            .map_err(|e| format!("cannot set the input of `{}`: {e:#}", path.display()))?;
        let plan = model
            .into_optimized()
            .and_then(|m| m.into_runnable())
            .map_err(|e| format!("cannot prepare `{}`: {e:#}", path.display()))?;
        let columns = signature
            .map(|s| s.input_items())
            .unwrap_or_default()
            .into_iter()
            .filter(|i| !i.tensor)
            .filter_map(|i| i.name)
            .collect();
        Ok(OnnxPredictor {
            plan,
            input_name,
            features,
            columns,
            outputs,
        })
    }

    /// Rows of floats in the model's column order.
    fn matrix(&self, input: Input) -> Result<(usize, Vec<f32>), ScoringError> {
        let rows: Vec<Vec<Value>> = match input {
            Input::Frame { columns, rows } => {
                let order: Vec<usize> = if !self.columns.is_empty()
                    && self.columns.iter().all(|c| columns.contains(c))
                {
                    self.columns
                        .iter()
                        .map(|c| columns.iter().position(|x| x == c).expect("checked"))
                        .collect()
                } else if !self.columns.is_empty()
                    && columns.iter().any(|c| self.columns.contains(c))
                {
                    let missing: Vec<&String> = self
                        .columns
                        .iter()
                        .filter(|c| !columns.contains(c))
                        .collect();
                    return Err(ScoringError::invalid(format!(
                        "Failed to enforce schema of data: Model is missing inputs {missing:?}"
                    )));
                } else {
                    (0..columns.len()).collect()
                };
                rows.into_iter()
                    .map(|r| order.iter().map(|&i| r[i].clone()).collect())
                    .collect()
            }
            Input::Tensor(Value::Array(items)) => items
                .into_iter()
                .map(|r| match r {
                    Value::Array(cells) => cells,
                    scalar => vec![scalar],
                })
                .collect(),
            Input::Named(mut m) => match m.remove(&self.input_name) {
                Some(Value::Array(items)) if m.is_empty() => items
                    .into_iter()
                    .map(|r| r.as_array().cloned().unwrap_or_else(|| vec![r]))
                    .collect(),
                _ => {
                    return Err(ScoringError::invalid(format!(
                        "the model takes one input named `{}`",
                        self.input_name
                    )));
                }
            },
            Input::Tensor(other) => {
                return Err(ScoringError::invalid(format!(
                    "`inputs` must be a list of rows, got {other}"
                )));
            }
        };
        let mut data = Vec::with_capacity(rows.len() * self.features);
        for (i, row) in rows.iter().enumerate() {
            if row.len() != self.features {
                return Err(ScoringError::invalid(format!(
                    "Failed to enforce schema of data: row {i} has {} values, but the model takes {}",
                    row.len(),
                    self.features
                )));
            }
            for v in row {
                let x = v.as_f64().ok_or_else(|| {
                    ScoringError::invalid(format!(
                        "Failed to enforce schema of data: `{v}` is not a number"
                    ))
                })?;
                data.push(x as f32);
            }
        }
        Ok((rows.len(), data))
    }
}

fn input_width(info: &pb::ValueInfoProto) -> Option<usize> {
    let pb::type_proto::Value::TensorType(t) = info.r#type.as_ref()?.value.as_ref()?;
    let dims = &t.shape.as_ref()?.dim;
    if dims.len() != 2 {
        return None;
    }
    match dims[1].value.as_ref()? {
        pb::tensor_shape_proto::dimension::Value::DimValue(v) if *v > 0 => Some(*v as usize),
        _ => None,
    }
}

fn tensor_json(t: &Tensor) -> Result<Value, String> {
    let shape = t.shape().to_vec();
    let flat: Vec<Value> = match t.datum_type() {
        DatumType::F32 => t
            .as_slice::<f32>()
            .map_err(|e| e.to_string())?
            .iter()
            .map(|v| json!(v))
            .collect(),
        DatumType::F64 => t
            .as_slice::<f64>()
            .map_err(|e| e.to_string())?
            .iter()
            .map(|v| json!(v))
            .collect(),
        DatumType::I64 => t
            .as_slice::<i64>()
            .map_err(|e| e.to_string())?
            .iter()
            .map(|v| json!(v))
            .collect(),
        DatumType::I32 => t
            .as_slice::<i32>()
            .map_err(|e| e.to_string())?
            .iter()
            .map(|v| json!(v))
            .collect(),
        DatumType::Bool => t
            .as_slice::<bool>()
            .map_err(|e| e.to_string())?
            .iter()
            .map(|v| json!(v))
            .collect(),
        DatumType::String => t
            .as_slice::<String>()
            .map_err(|e| e.to_string())?
            .iter()
            .map(|v| json!(v))
            .collect(),
        DatumType::TDim
        | DatumType::I16
        | DatumType::I8
        | DatumType::U8
        | DatumType::U16
        | DatumType::U32
        | DatumType::U64 => {
            let t = t
                .cast_to::<i64>()
                .map_err(|e| format!("cannot read an output: {e}"))?;
            t.as_slice::<i64>()
                .map_err(|e| e.to_string())?
                .iter()
                .map(|v| json!(v))
                .collect()
        }
        other => return Err(format!("outputs of type {other:?} are not supported")),
    };
    Ok(nest(&flat, &shape))
}

fn nest(flat: &[Value], shape: &[usize]) -> Value {
    match shape {
        [] => flat.first().cloned().unwrap_or(Value::Null),
        [_] => Value::Array(flat.to_vec()),
        [n, rest @ ..] => {
            let step = rest.iter().product::<usize>().max(1);
            Value::Array(
                (0..*n)
                    .map(|i| nest(&flat[i * step..(i + 1) * step], rest))
                    .collect(),
            )
        }
    }
}

impl Predictor for OnnxPredictor {
    fn predict(
        &self,
        input: Input,
        _params: Option<Map<String, Value>>,
    ) -> Result<Value, ScoringError> {
        let frame = matches!(input, Input::Frame { .. });
        let (rows, data) = self.matrix(input)?;
        let tensor = Tensor::from_shape(&[rows, self.features], &data)
            .map_err(|e| ScoringError::invalid(e.to_string()))?;
        let outputs = self.plan.run(tvec!(tensor.into())).map_err(|e| {
            ScoringError::bad_request(format!(
                "Encountered an unexpected error while evaluating the model: {e:#}"
            ))
        })?;
        let values: Vec<Value> = outputs
            .iter()
            .map(|t| tensor_json(t))
            .collect::<Result<_, _>>()
            .map_err(ScoringError::bad_request)?;
        if !frame {
            if values.len() == 1 {
                return Ok(values.into_iter().next().expect("one"));
            }
            return Ok(Value::Object(
                self.outputs.iter().cloned().zip(values).collect(),
            ));
        }
        // A frame in, one record per row out: {output name: that row's value}.
        let records = (0..rows)
            .map(|i| {
                let mut rec = Map::new();
                for (name, v) in self.outputs.iter().zip(&values) {
                    let cell = v.get(i).cloned().unwrap_or(Value::Null);
                    let cell = match cell {
                        Value::Array(a) if a.len() == 1 => a.into_iter().next().expect("one"),
                        other => other,
                    };
                    rec.insert(name.clone(), cell);
                }
                Value::Object(rec)
            })
            .collect();
        Ok(Value::Array(records))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Equal labels, and floats equal to float32 precision.
    fn close(a: &Value, e: &Value) -> bool {
        match (a, e) {
            (Value::Array(a), Value::Array(e)) => {
                a.len() == e.len() && a.iter().zip(e).all(|(x, y)| close(x, y))
            }
            (Value::Number(a), Value::Number(e)) if e.is_f64() => {
                let (a, e) = (a.as_f64().unwrap(), e.as_f64().unwrap());
                (a - e).abs() <= 1e-6 || (a - e).abs() <= 1e-5 * e.abs()
            }
            (a, e) => a == e,
        }
    }

    /// Rows with missing values (NaN) cannot travel in JSON requests, so the tree fixtures'
    /// NaN rows are checked here, on the loaded plan.
    #[test]
    fn tree_fixtures_match_onnxruntime_on_missing_values() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/models/trees");
        let text = std::fs::read_to_string(dir.join("expected.json")).unwrap();
        let exp: Value = serde_json::from_str(&text).unwrap();
        let rows = exp["nan_rows"].as_array().unwrap();
        let width = rows[0].as_array().unwrap().len();
        let data: Vec<f32> = rows
            .iter()
            .flat_map(|r| r.as_array().unwrap().iter())
            .map(|v| v.as_f64().map_or(f32::NAN, |x| x as f32))
            .collect();
        assert!(data.iter().any(|x| x.is_nan()));
        let models = exp["models"].as_object().unwrap();
        assert!(!models.is_empty());
        for (name, m) in models {
            let p = OnnxPredictor::load(&dir.join(format!("{name}.onnx")), None).unwrap();
            let input = Tensor::from_shape(&[rows.len(), width], &data).unwrap();
            let outputs = p.plan.run(tvec!(input.into())).unwrap();
            for (out, t) in p.outputs.iter().zip(outputs.iter()) {
                let got = tensor_json(t).unwrap();
                let want = &m["expected_nan"][out];
                assert!(close(&got, want), "{name}.{out}:\n{got}\n{want}");
            }
        }
    }
}
