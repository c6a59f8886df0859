//! ONNX models, run natively with tract. The ai.onnx.ml operators tract lacks are rewritten
//! into ones it has before the graph is optimised (`onnx_rewrite`);
//! `TreeEnsembleClassifier` and `TreeEnsembleRegressor` run as native operators
//! (`onnx_trees`).

use std::path::Path;

use serde_json::{Map, Value, json};
use tract_onnx::pb;
use tract_onnx::prelude::*;

use super::{Input, LoadError, Predictor, ScoringError};
use crate::models::Signature;

type Plan = SimplePlan<TypedFact, Box<dyn TypedOp>, Graph<TypedFact, Box<dyn TypedOp>>>;

/// A loaded ONNX model with one 2-D float or int64 input.
pub struct OnnxPredictor {
    plan: Plan,
    input_name: String,
    features: usize,
    /// The input takes int64 values (else float).
    ints: bool,
    /// Column names the features are expected in (from the signature), when known.
    columns: Vec<String>,
    outputs: Vec<String>,
    /// Per output, the class labels of a ZipMap: its rows are answered as
    /// `{label: probability}`, as onnxruntime gives them.
    zipmaps: Vec<Option<Vec<Value>>>,
}

/// The input's values, in the input's element type.
enum Data {
    Floats(Vec<f32>),
    Ints(Vec<i64>),
}

impl OnnxPredictor {
    pub fn load(path: &Path, signature: Option<&Signature>) -> Result<OnnxPredictor, LoadError> {
        let bytes = std::fs::read(path)
            .map_err(|e| LoadError::Onnx(format!("cannot read `{}`: {e}", path.display())))?;
        let mut onnx = tract_onnx::onnx();
        super::onnx_trees::register(&mut onnx);
        let mut proto = onnx
            .proto_model_for_read(&mut bytes.as_slice())
            .map_err(|e| {
                LoadError::Onnx(format!("`{}` is not an ONNX model: {e}", path.display()))
            })?;
        let opset = proto
            .opset_import
            .iter()
            .find(|o| o.domain.is_empty() || o.domain == "ai.onnx")
            .map(|o| o.version)
            .unwrap_or(13);
        let graph = proto
            .graph
            .as_mut()
            .ok_or_else(|| LoadError::Onnx("the ONNX model has no graph".into()))?;
        let retyped = super::onnx_rewrite::rewrite(graph, opset)?;
        for out in graph
            .output
            .iter_mut()
            .filter(|o| retyped.iter().any(|z| z.output == o.name))
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
            return Err(LoadError::Onnx(format!(
                "mlf serves ONNX models with one input; this one has {}",
                inputs.len()
            )));
        }
        let input_name = inputs[0].name.clone();
        // Floats (1) and int64 (7); an input of another element type (strings) is not run here.
        let elem = input_elem_type(inputs[0]).unwrap_or(1);
        if elem != 1 && elem != 7 {
            return Err(LoadError::Onnx(format!(
                "mlf serves ONNX models with one float or int64 input; `{input_name}` has ONNX element type {elem}"
            )));
        }
        let ints = elem == 7;
        let features = input_width(inputs[0]).ok_or_else(|| {
            LoadError::Onnx(
                "the ONNX model's input must be a 2-D tensor with a known number of columns".into(),
            )
        })?;
        let outputs: Vec<String> = graph.output.iter().map(|o| o.name.clone()).collect();
        let zipmaps = outputs
            .iter()
            .map(|o| {
                retyped
                    .iter()
                    .find(|z| z.output == *o)
                    .map(|z| z.labels.clone())
            })
            .collect();
        let mut model = onnx
            .model_for_proto_model(&proto)
            .map_err(|e| LoadError::Onnx(format!("cannot load `{}`: {e:#}", path.display())))?;
        let batch = model.sym("N");
        model = model
            .with_input_fact(
                0,
                InferenceFact::dt_shape(
                    if ints {
                        i64::datum_type()
                    } else {
                        f32::datum_type()
                    },
                    tvec!(TDim::from(batch), TDim::from(features as i64)),
                ),
            )
            .map_err(|e| {
                LoadError::Onnx(format!(
                    "cannot set the input of `{}`: {e:#}",
                    path.display()
                ))
            })?;
        let plan = model
            .into_optimized()
            .and_then(|m| m.into_runnable())
            .map_err(|e| LoadError::Onnx(format!("cannot prepare `{}`: {e:#}", path.display())))?;
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
            ints,
            columns,
            outputs,
            zipmaps,
        })
    }

    /// Rows of values in the model's column order.
    fn matrix(&self, input: Input) -> Result<(usize, Data), ScoringError> {
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
        for (i, row) in rows.iter().enumerate() {
            if row.len() != self.features {
                return Err(ScoringError::invalid(format!(
                    "Failed to enforce schema of data: row {i} has {} values, but the model takes {}",
                    row.len(),
                    self.features
                )));
            }
        }
        let cells = rows.iter().flatten();
        if self.ints {
            // As onnxruntime under MLflow: a value written with a fraction or an exponent makes
            // the data floats, which an int64 input does not take.
            let data = cells
                .map(|v| v.as_i64().ok_or_else(ScoringError::evaluation))
                .collect::<Result<_, _>>()?;
            return Ok((rows.len(), Data::Ints(data)));
        }
        let data = cells
            .map(|v| {
                v.as_f64().map(|x| x as f32).ok_or_else(|| {
                    ScoringError::invalid(format!(
                        "Failed to enforce schema of data: `{v}` is not a number"
                    ))
                })
            })
            .collect::<Result<_, _>>()?;
        Ok((rows.len(), Data::Floats(data)))
    }
}

/// The ONNX element type of a tensor input (1 is float).
fn input_elem_type(info: &pb::ValueInfoProto) -> Option<i32> {
    let pb::type_proto::Value::TensorType(t) = info.r#type.as_ref()?.value.as_ref()?;
    Some(t.elem_type)
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

fn tensor_json(t: &Tensor) -> Result<Value, ScoringError> {
    let shape = t.shape().to_vec();
    let flat: Vec<Value> = match t.datum_type() {
        DatumType::F32 => t
            .as_slice::<f32>()
            .map_err(|e| ScoringError::bad_request(e.to_string()))?
            .iter()
            .map(|v| json!(v))
            .collect(),
        DatumType::F64 => t
            .as_slice::<f64>()
            .map_err(|e| ScoringError::bad_request(e.to_string()))?
            .iter()
            .map(|v| json!(v))
            .collect(),
        DatumType::I64 => t
            .as_slice::<i64>()
            .map_err(|e| ScoringError::bad_request(e.to_string()))?
            .iter()
            .map(|v| json!(v))
            .collect(),
        DatumType::I32 => t
            .as_slice::<i32>()
            .map_err(|e| ScoringError::bad_request(e.to_string()))?
            .iter()
            .map(|v| json!(v))
            .collect(),
        DatumType::Bool => t
            .as_slice::<bool>()
            .map_err(|e| ScoringError::bad_request(e.to_string()))?
            .iter()
            .map(|v| json!(v))
            .collect(),
        DatumType::String => t
            .as_slice::<String>()
            .map_err(|e| ScoringError::bad_request(e.to_string()))?
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
                .map_err(|e| ScoringError::bad_request(format!("cannot read an output: {e}")))?;
            t.as_slice::<i64>()
                .map_err(|e| ScoringError::bad_request(e.to_string()))?
                .iter()
                .map(|v| json!(v))
                .collect()
        }
        other => {
            return Err(ScoringError::bad_request(format!(
                "outputs of type {other:?} are not supported"
            )));
        }
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

impl OnnxPredictor {
    /// An output as JSON: a ZipMap's rows as `{label: probability}` objects.
    fn output_json(&self, i: usize, t: &Tensor) -> Result<Value, ScoringError> {
        let Some(labels) = self.zipmaps.get(i).and_then(Option::as_ref) else {
            return tensor_json(t);
        };
        let probabilities = t
            .to_array_view::<f32>()
            .map_err(|e| ScoringError::bad_request(format!("cannot read an output: {e}")))?;
        let rows = probabilities
            .outer_iter()
            .map(|row| {
                let row: Map<String, Value> = labels
                    .iter()
                    .zip(row.iter())
                    .map(|(label, p)| {
                        let key = match label {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        };
                        (key, json!(p))
                    })
                    .collect();
                Value::Object(row)
            })
            .collect();
        Ok(Value::Array(rows))
    }
}

/// An output's values in a flat list, as numpy's `reshape(-1)` lays them out (a ZipMap's
/// objects stay whole).
fn flat(v: &Value, out: &mut Vec<Value>) {
    match v {
        Value::Array(items) => items.iter().for_each(|x| flat(x, out)),
        other => out.push(other.clone()),
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
        let shape = [rows, self.features];
        let tensor = match data {
            Data::Floats(d) => Tensor::from_shape(&shape, &d),
            Data::Ints(d) => Tensor::from_shape(&shape, &d),
        }
        .map_err(|e| ScoringError::invalid(e.to_string()))?;
        let outputs = self.plan.run(tvec!(tensor.into())).map_err(|e| {
            ScoringError::bad_request(format!(
                "Encountered an unexpected error while evaluating the model: {e:#}"
            ))
        })?;
        let values: Vec<Value> = outputs
            .iter()
            .enumerate()
            .map(|(i, t)| self.output_json(i, t))
            .collect::<Result<_, _>>()?;
        if !frame {
            // As MLflow's onnx flavor: a tensor in, `{output name: its values}` out.
            return Ok(Value::Object(
                self.outputs.iter().cloned().zip(values).collect(),
            ));
        }
        // A frame in: a frame out, a column per output of its values laid out flat, one
        // record per value (MLflow's onnx flavor).
        let columns: Vec<Vec<Value>> = values
            .iter()
            .map(|v| {
                let mut out = Vec::new();
                flat(v, &mut out);
                out
            })
            .collect();
        let n = columns.first().map_or(0, Vec::len);
        if columns.iter().all(|c| c.len() == n) {
            let records = (0..n)
                .map(|i| {
                    let rec = self
                        .outputs
                        .iter()
                        .zip(&columns)
                        .map(|(name, c)| (name.clone(), c[i].clone()))
                        .collect();
                    Value::Object(rec)
                })
                .collect();
            return Ok(Value::Array(records));
        }
        // Outputs of different lengths (a label per row beside a row of probabilities), which
        // MLflow cannot put in one frame: one record per row, each output's row in it.
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
