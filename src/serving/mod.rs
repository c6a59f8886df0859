//! Serving models with MLflow's scoring protocol: request parsing (JSON `dataframe_split`,
//! `dataframe_records`, `instances`, `inputs`, optional `params`; CSV), MLflow's error bodies
//! and status codes, and the predictors (ONNX natively, python_function through workers).

mod csv;
pub mod http;
#[cfg(feature = "onnx")]
pub mod onnx;
#[cfg(feature = "onnx")]
mod onnx_rewrite;
#[cfg(feature = "onnx")]
mod onnx_trees;
mod parquet;
pub mod python;
pub mod trees;

use std::path::Path;

use serde_json::{Map, Value, json};

use crate::models::MlModel;

pub use csv::{parse_csv, parse_csv_typed};

/// Model input, in one of the protocol's shapes.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// Named columns and rows (`dataframe_split`, `dataframe_records`, CSV, list of dicts).
    Frame {
        columns: Vec<String>,
        rows: Vec<Vec<Value>>,
    },
    /// A tensor as nested lists (`inputs` / `instances` with lists).
    Tensor(Value),
    /// Named tensors or columns (`inputs` as a dict).
    Named(Map<String, Value>),
}

/// A scoring failure: HTTP status, MLflow error code, message.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoringError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    /// Plain-text body (415s are text in MLflow).
    pub plain: bool,
    /// The body carries MLflow's error classification too (`sqlstate`, `error_class`), as
    /// MLflow's exceptions do.
    pub classified: bool,
}

impl ScoringError {
    pub fn bad_request(message: impl Into<String>) -> ScoringError {
        ScoringError {
            status: 400,
            code: "BAD_REQUEST",
            message: message.into(),
            plain: false,
            classified: false,
        }
    }

    pub fn invalid(message: impl Into<String>) -> ScoringError {
        ScoringError {
            status: 400,
            code: "INVALID_PARAMETER_VALUE",
            message: message.into(),
            plain: false,
            classified: false,
        }
    }

    fn unsupported(message: impl Into<String>) -> ScoringError {
        ScoringError {
            status: 415,
            code: "",
            message: message.into(),
            plain: true,
            classified: false,
        }
    }

    /// A failure of the model itself on the data it was given, in MLflow's words.
    pub fn evaluation() -> ScoringError {
        ScoringError {
            classified: true,
            ..ScoringError::bad_request(
                "Encountered an unexpected error while evaluating the model. Verify that the \
                 serialized input Dataframe is compatible with the model for inference.",
            )
        }
    }

    pub fn body(&self) -> String {
        if self.plain {
            self.message.clone()
        } else if self.classified {
            // MLflow's classification of its client error codes.
            let (sqlstate, class) = match self.code {
                "INTERNAL_ERROR" | "INVALID_STATE" => ("XXM00", "CLIENT_INTERNAL_ERROR"),
                "RESOURCE_DOES_NOT_EXIST" => ("KAM00", "RESOURCE_NOT_FOUND"),
                _ => ("KAM00", "INVALID_PARAMETER_VALUE"),
            };
            json!({
                "error_code": self.code, "message": self.message,
                "sqlstate": sqlstate, "error_class": class,
            })
            .to_string()
        } else {
            json!({ "error_code": self.code, "message": self.message }).to_string()
        }
    }
}

const INPUT_KEYS: [&str; 4] = [
    "dataframe_split",
    "dataframe_records",
    "instances",
    "inputs",
];

/// What a request body holds, by its Content-Type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    Json,
    Csv,
    /// A Parquet file, as `pandas.DataFrame.to_parquet()` writes it.
    Parquet,
}

/// Checks the Content-Type header and says what the body holds.
pub fn content_kind(content_type: Option<&str>) -> Result<BodyKind, ScoringError> {
    let supported = "This predictor only supports the following content types: Types: ['text/csv', 'application/json', 'application/vnd.apache.parquet'].";
    let Some(ct) = content_type else {
        return Err(ScoringError::unsupported(format!(
            "{supported} Got no Content-Type header."
        )));
    };
    let mut parts = ct.split(';').map(str::trim);
    let mime = parts.next().unwrap_or("").to_ascii_lowercase();
    let mut unknown = Vec::new();
    for p in parts.filter(|p| !p.is_empty()) {
        let (k, v) = p.split_once('=').unwrap_or((p, ""));
        if k.trim().eq_ignore_ascii_case("charset") {
            if !v.trim().trim_matches('"').eq_ignore_ascii_case("utf-8") {
                return Err(ScoringError::unsupported(
                    "The scoring server only supports UTF-8",
                ));
            }
        } else {
            unknown.push(k.trim().to_string());
        }
    }
    if !unknown.is_empty() {
        return Err(ScoringError::unsupported(format!(
            "Unrecognized content type parameters: {}. IMPORTANT: The MLflow Model scoring protocol has changed in MLflow version 2.0: send inputs as a JSON object with one of the fields dataframe_split, dataframe_records, instances or inputs.",
            unknown.join(", ")
        )));
    }
    match mime.as_str() {
        "application/json" => Ok(BodyKind::Json),
        "text/csv" => Ok(BodyKind::Csv),
        "application/vnd.apache.parquet" => Ok(BodyKind::Parquet),
        other => Err(ScoringError::unsupported(format!(
            "{supported} Got '{other}'."
        ))),
    }
}

/// Parses a JSON (or, with `json_body` false, CSV) request body into the model input and the
/// optional `params`.
pub fn parse_request(
    json_body: bool,
    body: &[u8],
) -> Result<(Input, Option<Map<String, Value>>), ScoringError> {
    let kind = if json_body {
        BodyKind::Json
    } else {
        BodyKind::Csv
    };
    parse_request_typed(kind, body, &[])
}

/// As `parse_request`, with the signature's column types (name, MLflow type) for CSV cells.
pub fn parse_request_typed(
    kind: BodyKind,
    body: &[u8],
    types: &[(String, String)],
) -> Result<(Input, Option<Map<String, Value>>), ScoringError> {
    match kind {
        BodyKind::Csv => return parse_csv_typed(body, types).map(|i| (i, None)),
        BodyKind::Parquet => return parquet::parse_parquet(body).map(|i| (i, None)),
        BodyKind::Json => {}
    }
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        ScoringError::bad_request(format!(
            "Invalid input. Ensure that input is a valid JSON formatted string. Error: {e}"
        ))
    })?;
    let Value::Object(mut obj) = value else {
        return Err(ScoringError::bad_request(format!(
            "Invalid input. The input must be a JSON dictionary with exactly one of the input fields {INPUT_KEYS:?}. Received a {}.",
            kind_name(&value)
        )));
    };
    let params = match obj.remove("params") {
        None | Some(Value::Null) => None,
        Some(Value::Object(p)) => Some(p),
        Some(other) => {
            return Err(ScoringError::bad_request(format!(
                "`params` must be a JSON object, got a {}",
                kind_name(&other)
            )));
        }
    };
    let present: Vec<&str> = INPUT_KEYS
        .iter()
        .copied()
        .filter(|k| obj.contains_key(*k))
        .collect();
    if present.len() != 1 {
        let keys: Vec<&str> = present.clone();
        return Err(ScoringError::bad_request(format!(
            "The input must be a JSON dictionary with exactly one of the input fields {{'dataframe_split', 'dataframe_records', 'instances', 'inputs'}}. Received dictionary with input fields: {keys:?}. IMPORTANT: The MLflow Model scoring protocol has changed in MLflow version 2.0. If you are seeing this error, you are likely using an outdated scoring request format."
        )));
    }
    let key = present[0];
    let data = obj.remove(key).expect("present");
    let input = match key {
        "dataframe_split" => {
            let Value::Object(mut split) = data else {
                return Err(ScoringError::bad_request(
                    "`dataframe_split` must be an object with `columns` and `data`",
                ));
            };
            let rows = match split.remove("data") {
                Some(Value::Array(rows)) => rows,
                _ => {
                    return Err(ScoringError::bad_request(
                        "`dataframe_split` needs `data`: a list of rows",
                    ));
                }
            };
            let rows: Vec<Vec<Value>> = rows
                .into_iter()
                .map(|r| match r {
                    Value::Array(cells) => Ok(cells),
                    scalar => Ok(vec![scalar]),
                })
                .collect::<Result<_, ScoringError>>()?;
            let width = rows.first().map_or(0, Vec::len);
            let columns: Vec<String> = match split.remove("columns") {
                Some(Value::Array(c)) => c
                    .iter()
                    .map(|v| {
                        v.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| v.to_string())
                    })
                    .collect(),
                None => (0..width).map(|i| i.to_string()).collect(),
                Some(_) => {
                    return Err(ScoringError::bad_request(
                        "`dataframe_split.columns` must be a list of names",
                    ));
                }
            };
            check_rows(&columns, &rows)?;
            Input::Frame { columns, rows }
        }
        "dataframe_records" => records(data, "dataframe_records")?,
        "instances" | "inputs" => match data {
            Value::Array(items) if items.iter().all(|i| i.is_object()) && !items.is_empty() => {
                records(Value::Array(items), key)?
            }
            Value::Object(named) => Input::Named(named),
            other => Input::Tensor(other),
        },
        _ => unreachable!("one of the input keys"),
    };
    Ok((input, params))
}

fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Array(_) => "list",
        Value::Object(_) => "dictionary",
        Value::String(_) => "string",
        Value::Number(_) => "number",
        Value::Bool(_) => "boolean",
        Value::Null => "null",
    }
}

fn records(data: Value, key: &str) -> Result<Input, ScoringError> {
    let Value::Array(items) = data else {
        return Err(ScoringError::bad_request(format!(
            "`{key}` must be a list of records"
        )));
    };
    let mut columns: Vec<String> = Vec::new();
    for item in &items {
        let Value::Object(o) = item else {
            return Err(ScoringError::bad_request(format!(
                "`{key}` must be a list of records (JSON objects)"
            )));
        };
        for k in o.keys() {
            if !columns.contains(k) {
                columns.push(k.clone());
            }
        }
    }
    let rows = items
        .into_iter()
        .map(|item| {
            let Value::Object(mut o) = item else {
                unreachable!("checked")
            };
            columns
                .iter()
                .map(|c| o.remove(c).unwrap_or(Value::Null))
                .collect()
        })
        .collect();
    Ok(Input::Frame { columns, rows })
}

fn check_rows(columns: &[String], rows: &[Vec<Value>]) -> Result<(), ScoringError> {
    if let Some((i, r)) = rows
        .iter()
        .enumerate()
        .find(|(_, r)| r.len() != columns.len())
    {
        return Err(ScoringError::bad_request(format!(
            "row {i} has {} values, but there are {} columns",
            r.len(),
            columns.len()
        )));
    }
    Ok(())
}

/// A loaded model that answers predictions.
pub trait Predictor: Send + Sync {
    /// Whether it can answer now (what `/ping` says).
    fn healthy(&self) -> bool {
        true
    }

    fn predict(
        &self,
        input: Input,
        params: Option<Map<String, Value>>,
    ) -> Result<Value, ScoringError>;

    /// The signature's input columns and their MLflow types (`string`, `long`, …), which CSV
    /// cells are read as.
    fn column_types(&self) -> Vec<(String, String)> {
        Vec::new()
    }

    /// Answers a request body as MLflow's scoring server would, when the predictor can hand
    /// it to MLflow's own code (a Python worker with mlflow); `None` when it cannot, and the
    /// body is parsed here.
    fn invoke(&self, _body: &[u8], _content_type: &str) -> Option<Result<Raw, ScoringError>> {
        None
    }
}

/// An answer as MLflow's scoring server gives it: status, content type, body.
#[derive(Debug, Clone, PartialEq)]
pub struct Raw {
    pub status: u16,
    pub mimetype: String,
    pub body: String,
}

/// MLflow's error code by name, for codes a worker reports (`BAD_REQUEST` for others).
pub fn error_code(name: &str) -> &'static str {
    const CODES: [&str; 6] = [
        "BAD_REQUEST",
        "INVALID_PARAMETER_VALUE",
        "INTERNAL_ERROR",
        "RESOURCE_DOES_NOT_EXIST",
        "INVALID_STATE",
        "NOT_IMPLEMENTED",
    ];
    CODES
        .into_iter()
        .find(|c| *c == name)
        .unwrap_or("BAD_REQUEST")
}

/// Loads the predictor for a model directory: ONNX natively when the model has the onnx
/// flavor, else its python_function flavor through Python workers.
pub fn load(
    dir: &Path,
    workers: usize,
    python: &python::PythonEnv,
) -> Result<Box<dyn Predictor>, LoadError> {
    load_noting(dir, workers, python, &mut |_| {})
}

/// As `load`, telling `note` when it serves the model another way than its first flavor
/// (an ONNX model tract cannot run, served through its python_function flavor).
pub fn load_noting(
    dir: &Path,
    workers: usize,
    python: &python::PythonEnv,
    note: &mut dyn FnMut(&str),
) -> Result<Box<dyn Predictor>, LoadError> {
    let model = MlModel::load(dir)?;
    #[cfg(feature = "onnx")]
    if let Some(file) = model.onnx_file(dir)? {
        match onnx::OnnxPredictor::load(&file, model.signature.as_ref()) {
            Ok(p) => return Ok(Box::new(p)),
            // Several inputs, string inputs, operators tract lacks: MLflow's onnx flavor
            // runs such models with onnxruntime, and so does the python_function flavor the
            // model carries, in the workers.
            Err(e) if model.flavor("python_function").is_some() => {
                note(&format!(
                    "mlf's ONNX runtime cannot run this model ({e}); serving it through its python_function flavor (onnxruntime in Python workers)"
                ));
            }
            Err(e) => return Err(e),
        }
    }
    if model.flavor("python_function").is_some() {
        return Ok(Box::new(python::PythonPool::start(dir, workers, python)?));
    }
    Err(LoadError::NoFlavor {
        dir: dir.to_path_buf(),
        flavors: model.flavors.keys().cloned().collect(),
    })
}

/// Why a model cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Model(#[from] crate::models::Error),
    #[error(
        "the model in `{}` has no flavor mlf can serve (it has {}): mlf serves onnx and python_function",
        dir.display(),
        flavors.join(", ")
    )]
    NoFlavor {
        dir: std::path::PathBuf,
        flavors: Vec<String>,
    },
    /// The ONNX model cannot be read, or holds what tract cannot run.
    #[error("{0}")]
    Onnx(String),
    /// A Python worker could not start or load the model.
    #[error("{0}")]
    Worker(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let (i, p) = parse_request(true, br#"{"dataframe_split": {"columns": ["a","b"], "data": [[1, 2], [3, 4]]}, "params": {"k": 1}}"#).unwrap();
        assert_eq!(
            i,
            Input::Frame {
                columns: vec!["a".into(), "b".into()],
                rows: vec![vec![json!(1), json!(2)], vec![json!(3), json!(4)]]
            }
        );
        assert_eq!(p.unwrap()["k"], json!(1));
        let (i, _) = parse_request(
            true,
            br#"{"dataframe_records": [{"a": 1, "b": 2}, {"b": 4, "a": 3}]}"#,
        )
        .unwrap();
        assert_eq!(
            i,
            Input::Frame {
                columns: vec!["a".into(), "b".into()],
                rows: vec![vec![json!(1), json!(2)], vec![json!(3), json!(4)]]
            }
        );
        let (i, _) = parse_request(true, br#"{"inputs": [[1.0, 2.0]]}"#).unwrap();
        assert_eq!(i, Input::Tensor(json!([[1.0, 2.0]])));
        let (i, _) = parse_request(false, b"a,b\n1,x\n").unwrap();
        assert_eq!(
            i,
            Input::Frame {
                columns: vec!["a".into(), "b".into()],
                rows: vec![vec![json!(1), json!("x")]]
            }
        );
    }

    #[test]
    fn errors() {
        assert_eq!(parse_request(true, b"{bad").unwrap_err().status, 400);
        assert!(
            parse_request(true, br#"{"columns": ["a"], "data": [[1]]}"#)
                .unwrap_err()
                .message
                .contains("exactly one")
        );
        assert!(
            parse_request(true, b"[1, 2]")
                .unwrap_err()
                .message
                .contains("list")
        );
        assert_eq!(
            content_kind(Some("application/x-www-form-urlencoded"))
                .unwrap_err()
                .status,
            415
        );
        assert_eq!(
            content_kind(Some("application/json; format=pandas-split"))
                .unwrap_err()
                .status,
            415
        );
        assert_eq!(
            content_kind(Some("application/json; charset=latin-1"))
                .unwrap_err()
                .message,
            "The scoring server only supports UTF-8"
        );
        assert_eq!(
            content_kind(Some("application/json; charset=UTF-8")).unwrap(),
            BodyKind::Json
        );
        assert_eq!(
            content_kind(Some("application/vnd.apache.parquet")).unwrap(),
            BodyKind::Parquet
        );
        assert_eq!(content_kind(None).unwrap_err().status, 415);
    }
}
