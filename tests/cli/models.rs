//! Tests of `mlf models …`, through the binary: ONNX predictions against onnxruntime's
//! (fixtures/models/expected.json) for every input format, `models save`, the sklearn model
//! through the Python worker, the scoring server and MLflow's status codes and bodies (a raw
//! HTTP/1.1 client over `TcpStream`), export/import round trips and unsafe archives, `runs:/`
//! and `models:/` URIs, `generate-dockerfile`, and bad model directories.
//!
//! The Python-worker tests use the virtualenv `target/test-venv` (scikit-learn, skops, pandas,
//! numpy; no mlflow), made by `scripts/test-python-env.sh` when it is missing.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use crate::support::{self, Output, TestEnv, copy_dir, run_of, tag};

/// The raw ONNX fixtures; `<name>_mlflow` is the same model saved by mlflow.onnx.
const ONNX_MODELS: [&str; 4] = ["onnx_logreg", "onnx_forest", "onnx_gbr", "onnx_linear_std"];

/// How long a server may take to start or stop, or to answer one request.
const WAIT: Duration = Duration::from_secs(120);

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/models")
}

fn fixture(name: &str) -> PathBuf {
    fixtures().join(name)
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// fixtures/models/inputs.json: `{"columns": [...], "data": [[...], ...]}`.
fn inputs() -> Value {
    read_json(&fixture("inputs.json"))
}

/// fixtures/models/expected.json.
fn expected() -> Value {
    read_json(&fixture("expected.json"))
}

fn columns() -> Vec<String> {
    inputs()["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect()
}

fn rows() -> Vec<Value> {
    inputs()["data"].as_array().unwrap().clone()
}

/// The ways the same input can be sent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Format {
    /// `{"dataframe_split": {"columns": …, "data": …}}`
    Split,
    /// `{"dataframe_records": [{col: value}, …]}`
    Records,
    /// `{"instances": [{col: value}, …]}` (a frame)
    InstanceRecords,
    /// `{"inputs": [[…], …]}`
    Inputs,
    /// `{"instances": [[…], …]}`
    Instances,
    /// `{"inputs": {"input": [[…], …]}}` (the ONNX graph's input by name)
    InputsNamed,
    /// `{"inputs": {col: [values]}}` (a frame, column-wise)
    InputsColumns,
    /// text/csv with a header row
    Csv,
}

impl Format {
    /// Whether the predictions come back as one record per row (a frame went in).
    pub(crate) fn frame(self) -> bool {
        matches!(
            self,
            Format::Split | Format::Records | Format::InstanceRecords | Format::Csv
        )
    }
}

/// Every format the ONNX models take.
pub(crate) const ONNX_FORMATS: [Format; 7] = [
    Format::Split,
    Format::Records,
    Format::InstanceRecords,
    Format::Inputs,
    Format::Instances,
    Format::InputsNamed,
    Format::Csv,
];

/// Every format the sklearn model (named columns) takes.
const SKLEARN_FORMATS: [Format; 7] = [
    Format::Split,
    Format::Records,
    Format::InstanceRecords,
    Format::Inputs,
    Format::Instances,
    Format::InputsColumns,
    Format::Csv,
];

/// `rows` as one `{column: value}` record each.
fn records_of(cols: &[String], rows: &[Value]) -> Vec<Value> {
    rows.iter()
        .map(|r| {
            let rec: Map<String, Value> = cols
                .iter()
                .cloned()
                .zip(r.as_array().unwrap().iter().cloned())
                .collect();
            Value::Object(rec)
        })
        .collect()
}

/// The fixture inputs as a request body in `format`.
fn body(format: Format) -> String {
    body_of(format, &columns(), &rows())
}

/// `rows` under `cols` as a request body in `format`.
pub(crate) fn body_of(format: Format, cols: &[String], rows: &[Value]) -> String {
    match format {
        Format::Split => json!({"dataframe_split": {"columns": cols, "data": rows}}).to_string(),
        Format::Records => json!({ "dataframe_records": records_of(cols, rows) }).to_string(),
        Format::InstanceRecords => json!({ "instances": records_of(cols, rows) }).to_string(),
        Format::Inputs => json!({ "inputs": rows }).to_string(),
        Format::Instances => json!({ "instances": rows }).to_string(),
        Format::InputsNamed => json!({ "inputs": { "input": rows } }).to_string(),
        Format::InputsColumns => {
            let mut m = Map::new();
            for (i, c) in cols.iter().enumerate() {
                let values: Vec<Value> = rows.iter().map(|r| r[i].clone()).collect();
                m.insert(c.clone(), Value::Array(values));
            }
            json!({ "inputs": m }).to_string()
        }
        Format::Csv => csv_of(cols, rows),
    }
}

/// The rows as CSV with the fixture's header.
fn csv_text(rows: &[Value]) -> String {
    csv_of(&columns(), rows)
}

/// `rows` as CSV under a header of `cols`.
fn csv_of(cols: &[String], rows: &[Value]) -> String {
    let mut text = cols.join(",");
    text.push('\n');
    for r in rows {
        let cells: Vec<String> = r
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap().to_string())
            .collect();
        text.push_str(&cells.join(","));
        text.push('\n');
    }
    text
}

/// onnxruntime's outputs for `model`: output name → one value per row (`*_labels` dropped).
fn onnx_outputs(model: &str) -> Vec<OnnxOutput> {
    let all = expected();
    let exp = all[model]
        .as_object()
        .unwrap_or_else(|| panic!("expected.json has no {model}"));
    let mut names: Vec<&String> = exp.keys().filter(|k| !k.ends_with("_labels")).collect();
    names.sort();
    names
        .into_iter()
        .map(|k| {
            let labels = exp
                .get(&format!("{k}_labels"))
                .map(|l| l.as_array().unwrap().clone());
            (k.clone(), exp[k].as_array().unwrap().clone(), labels)
        })
        .collect()
}

/// What `{"predictions": …}` holds for `model` scored through `format`: MLflow's onnx flavor's
/// shapes (see `predictions_of`).
fn onnx_expected(model: &str, format: Format) -> Value {
    predictions_of(onnx_outputs(model), format)
}

/// An output's name, its values (one per row, from onnxruntime) and, for a ZipMap, the labels
/// of its columns.
pub(crate) type OnnxOutput = (String, Vec<Value>, Option<Vec<Value>>);

/// What `{"predictions": …}` holds for these outputs in `format`, as MLflow's onnx flavor
/// answers: a ZipMap's rows as `{label: probability}`; a list of rows in gives `{output:
/// values}`; a frame in gives one record per value of the outputs laid out flat, or, when
/// their lengths differ (where MLflow fails), one record per row.
pub(crate) fn predictions_of(outputs: Vec<OnnxOutput>, format: Format) -> Value {
    let outputs: Vec<(String, Vec<Value>)> = outputs
        .into_iter()
        .map(|(name, values, labels)| match labels {
            None => (name, values),
            Some(labels) => {
                let rows = values
                    .into_iter()
                    .map(|row| {
                        let probabilities = row.as_array().unwrap().clone();
                        Value::Object(
                            labels
                                .iter()
                                .map(|l| match l {
                                    Value::String(s) => s.clone(),
                                    other => other.to_string(),
                                })
                                .zip(probabilities)
                                .collect(),
                        )
                    })
                    .collect();
                (name, rows)
            }
        })
        .collect();
    if !format.frame() {
        return Value::Object(
            outputs
                .into_iter()
                .map(|(k, v)| (k, Value::Array(v)))
                .collect(),
        );
    }
    fn flat(v: &Value, out: &mut Vec<Value>) {
        match v {
            Value::Array(items) => items.iter().for_each(|x| flat(x, out)),
            other => out.push(other.clone()),
        }
    }
    let columns: Vec<Vec<Value>> = outputs
        .iter()
        .map(|(_, values)| {
            let mut out = Vec::new();
            values.iter().for_each(|v| flat(v, &mut out));
            out
        })
        .collect();
    let n = columns[0].len();
    if columns.iter().all(|c| c.len() == n) {
        return Value::Array(
            (0..n)
                .map(|i| {
                    Value::Object(
                        outputs
                            .iter()
                            .zip(&columns)
                            .map(|((name, _), c)| (name.clone(), c[i].clone()))
                            .collect(),
                    )
                })
                .collect(),
        );
    }
    let rows = outputs[0].1.len();
    let recs = (0..rows)
        .map(|i| {
            let rec: Map<String, Value> = outputs
                .iter()
                .map(|(name, values)| {
                    let cell = match &values[i] {
                        Value::Array(a) if a.len() == 1 => a[0].clone(),
                        other => other.clone(),
                    };
                    (name.clone(), cell)
                })
                .collect();
            Value::Object(rec)
        })
        .collect();
    Value::Array(recs)
}

/// Asserts `actual` equals `expected` structurally, integers exactly and floats to float32
/// precision (relative 1e-5 or absolute 1e-6).
#[track_caller]
pub(crate) fn assert_close(actual: &Value, expected: &Value, what: &str) {
    if let Err(e) = close(actual, expected, "$") {
        panic!("{what}: {e}\nactual:   {actual}\nexpected: {expected}");
    }
}

fn close(actual: &Value, expected: &Value, at: &str) -> Result<(), String> {
    match (actual, expected) {
        (Value::Number(a), Value::Number(e)) => {
            if let Some(ei) = e.as_i64() {
                return match a.as_i64() {
                    Some(ai) if ai == ei => Ok(()),
                    _ => Err(format!("at {at}: {a} is not the integer {e}")),
                };
            }
            let (a, e) = (a.as_f64().unwrap(), e.as_f64().unwrap());
            let diff = (a - e).abs();
            if diff <= 1e-6 || diff <= 1e-5 * e.abs() {
                Ok(())
            } else {
                Err(format!("at {at}: {a} differs from {e} by {diff}"))
            }
        }
        (Value::Array(a), Value::Array(e)) => {
            if a.len() != e.len() {
                return Err(format!("at {at}: {} items, expected {}", a.len(), e.len()));
            }
            for (i, (x, y)) in a.iter().zip(e).enumerate() {
                close(x, y, &format!("{at}[{i}]"))?;
            }
            Ok(())
        }
        (Value::Object(a), Value::Object(e)) => {
            let ak: Vec<&String> = a.keys().collect();
            let ek: Vec<&String> = e.keys().collect();
            if ak != ek {
                return Err(format!("at {at}: keys {ak:?}, expected {ek:?}"));
            }
            for (k, v) in e {
                close(&a[k], v, &format!("{at}.{k}"))?;
            }
            Ok(())
        }
        (a, e) if a == e => Ok(()),
        (a, e) => Err(format!("at {at}: {a} is not {e}")),
    }
}

/// Writes the fixture inputs in `format` under the working directory; returns the file and
/// the `-t` value for `predict`.
fn input_file(env: &TestEnv, format: Format) -> (PathBuf, &'static str) {
    let (name, kind) = if format == Format::Csv {
        ("in/input.csv".to_string(), "csv")
    } else {
        (format!("in/{format:?}.json"), "json")
    };
    (env.write(&name, &body(format)), kind)
}

/// `mlf models save --onnx SRC -o OUT`, which must succeed.
#[track_caller]
pub(crate) fn save_onnx(env: &TestEnv, src: &Path, out: &Path) {
    env.mlf(&[
        "models",
        "save",
        "--onnx",
        src.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ])
    .ok();
}

/// `mlf models predict -m MODEL -i FILE -t KIND`, and the predictions it printed.
#[track_caller]
fn predict(env: &TestEnv, model: &str, format: Format) -> Value {
    let (file, kind) = input_file(env, format);
    let out = env
        .mlf(&[
            "models",
            "predict",
            "-m",
            model,
            "-i",
            file.to_str().unwrap(),
            "-t",
            kind,
        ])
        .ok();
    let v = out.json();
    let keys: Vec<&String> = v.as_object().expect("an object").keys().collect();
    assert_eq!(keys, ["predictions"], "{out}");
    v["predictions"].clone()
}

/// Runs `mlf ARGS` that must end by itself (a refused `serve`), killing it after `WAIT`.
#[track_caller]
fn mlf_bounded(env: &TestEnv, args: &[&str]) -> Output {
    let mut cmd = env.command(args);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn mlf");
    let deadline = Instant::now() + WAIT;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`mlf {}` did not end", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Every entry below `root`: relative path → contents (`None` for a directory).
fn tree(root: &Path) -> BTreeMap<String, Option<Vec<u8>>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Option<Vec<u8>>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(root).unwrap().display().to_string();
            let meta = std::fs::symlink_metadata(&p).unwrap();
            if meta.is_dir() {
                out.insert(rel, None);
                walk(root, &p, out);
            } else {
                assert!(meta.is_file(), "{} is not a plain file", p.display());
                out.insert(rel, Some(std::fs::read(&p).unwrap()));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

#[track_caller]
fn assert_same_tree(actual: &Path, expected: &Path) {
    let (a, e) = (tree(actual), tree(expected));
    let (ak, ek): (Vec<&String>, Vec<&String>) = (a.keys().collect(), e.keys().collect());
    assert_eq!(
        ak,
        ek,
        "{} and {} hold different entries",
        actual.display(),
        expected.display()
    );
    for (k, v) in &e {
        assert!(
            a[k] == *v,
            "`{k}` differs between {} and {}",
            actual.display(),
            expected.display()
        );
    }
}

/// A one-line YAML value of the MLmodel (`key: value` at `indent` spaces), as written.
fn yaml_line<'a>(text: &'a str, indent: usize, key: &str) -> Option<&'a str> {
    let prefix = format!("{}{key}:", " ".repeat(indent));
    text.lines()
        .find(|l| l.starts_with(&prefix))
        .map(|l| l[prefix.len()..].trim())
}

/// A single-quoted YAML scalar's text.
fn unquote(s: &str) -> String {
    let inner = s
        .strip_prefix('\'')
        .and_then(|s| s.strip_suffix('\''))
        .unwrap_or_else(|| panic!("`{s}` is not a single-quoted YAML string"));
    inner.replace("''", "'")
}

// ---------------------------------------------------------------------------------------------
// ONNX predictions

/// `mlf models predict` of the model directory `dir` gives onnxruntime's outputs for the
/// fixture `model`, in every input format.
#[track_caller]
fn assert_predicts_like_onnxruntime(env: &TestEnv, dir: &Path, model: &str, label: &str) {
    for format in ONNX_FORMATS {
        let got = predict(env, dir.to_str().unwrap(), format);
        assert_close(
            &got,
            &onnx_expected(model, format),
            &format!("{label} via {format:?}"),
        );
    }
}

#[test]
fn onnx_models_saved_by_mlflow_predict_like_onnxruntime_in_every_format() {
    let env = TestEnv::new();
    for model in ONNX_MODELS {
        let dir = fixture(&format!("{model}_mlflow"));
        assert_predicts_like_onnxruntime(&env, &dir, model, &format!("{model}_mlflow"));
    }
}

#[test]
fn models_save_writes_an_onnx_mlmodel_that_predicts_like_onnxruntime() {
    let env = TestEnv::new();
    for model in ONNX_MODELS {
        let src = fixture(model).join("model.onnx");
        let out = env.cwd().join(format!("saved/{model}"));
        save_onnx(&env, &src, &out);
        assert_eq!(
            std::fs::read(out.join("model.onnx")).unwrap(),
            std::fs::read(&src).unwrap(),
            "{model}: model.onnx is a copy"
        );
        for f in ["requirements.txt", "python_env.yaml", "conda.yaml"] {
            assert!(out.join(f).is_file(), "{model}: no {f}");
        }
        let text = std::fs::read_to_string(out.join("MLmodel")).unwrap();
        // Flavors: onnx and python_function (loader mlflow.onnx), both on model.onnx.
        let flavors: Vec<&str> = text
            .lines()
            .skip_while(|l| *l != "flavors:")
            .skip(1)
            .take_while(|l| l.starts_with(' '))
            .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
            .map(|l| l.trim().trim_end_matches(':'))
            .collect();
        assert_eq!(flavors, ["onnx", "python_function"], "{model}:\n{text}");
        assert!(
            text.contains("  onnx:\n") && text.contains("    data: model.onnx\n"),
            "{model}:\n{text}"
        );
        assert_eq!(
            yaml_line(&text, 4, "loader_module"),
            Some("mlflow.onnx"),
            "{model}:\n{text}"
        );
        // The tensor signature read from the graph.
        let inputs = yaml_line(&text, 2, "inputs").unwrap_or_else(|| panic!("{model}:\n{text}"));
        let inputs: Value = serde_json::from_str(&unquote(inputs)).unwrap();
        assert_eq!(
            inputs,
            json!([{"name": "input", "type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 4]}}]),
            "{model}:\n{text}"
        );
        let outputs = yaml_line(&text, 2, "outputs").unwrap_or_else(|| panic!("{model}:\n{text}"));
        let outputs: Value = serde_json::from_str(&unquote(outputs)).unwrap();
        assert!(
            outputs
                .as_array()
                .unwrap()
                .iter()
                .all(|o| o["type"] == "tensor"),
            "{model}: {outputs}"
        );
        assert_predicts_like_onnxruntime(&env, &out, model, &format!("saved {model}"));
    }
}

/// MLflow writes `utc_time_created: '2024-01-02 03:04:05.678901'` quoted (yaml.safe_dump): a
/// plain scalar of that shape is a YAML 1.1 timestamp, so PyYAML (which MLflow reads MLmodel
/// with) would load a datetime instead of the string.
#[test]
fn written_mlmodels_keep_utc_time_created_a_quoted_string() {
    let env = TestEnv::new();
    let src = fixture("onnx_logreg").join("model.onnx");
    env.mlf(&[
        "models",
        "save",
        "--onnx",
        src.to_str().unwrap(),
        "-o",
        "saved",
    ])
    .ok();
    let saved = std::fs::read_to_string(env.cwd().join("saved/MLmodel")).unwrap();
    let saved_time = yaml_line(&saved, 0, "utc_time_created").expect("utc_time_created");

    // `models log` rewrites MLmodel: the original's quoting must survive.
    let run = env.start_run(&[]);
    let model = env.cwd().join("logreg");
    copy_dir(&fixture("onnx_logreg_mlflow"), &model);
    env.mlf(&["models", "log", "--run", &run, "logreg"]).ok();
    let logged = std::fs::read_to_string(artifact_dir(&env, &run).join("model/MLmodel")).unwrap();
    let logged_time = yaml_line(&logged, 0, "utc_time_created");

    let quoted = |v: &str| {
        v.len() == "'2024-01-02 03:04:05.678901'".len() && v.starts_with('\'') && v.ends_with('\'')
    };
    assert!(
        quoted(saved_time) && logged_time == Some("'2026-11-26 21:35:58.976499'"),
        "utc_time_created must be a quoted string:\nsaved:  {saved_time}\nlogged: {logged_time:?}"
    );
}

#[test]
fn predict_reads_stdin_writes_output_files_and_streams_large_csv() {
    let env = TestEnv::new();
    let dir = fixture("onnx_logreg_mlflow");
    let dir = dir.to_str().unwrap();

    // `-i -` (the default) reads standard input.
    let out = env
        .mlf_stdin(&["models", "predict", "-m", dir], &body(Format::Inputs))
        .ok();
    assert_close(
        &out.json()["predictions"],
        &onnx_expected("onnx_logreg", Format::Inputs),
        "stdin",
    );

    // `-o FILE` writes there and nothing to standard output.
    let (file, _) = input_file(&env, Format::Split);
    let out = env
        .mlf(&[
            "models",
            "predict",
            "-m",
            dir,
            "-i",
            file.to_str().unwrap(),
            "-o",
            "preds.json",
        ])
        .ok();
    assert_eq!(out.stdout, "", "{out}");
    let written = read_json(&env.cwd().join("preds.json"));
    assert_close(
        &written["predictions"],
        &onnx_expected("onnx_logreg", Format::Split),
        "-o",
    );

    // More rows than one CSV chunk (10 000): every row scored once, in order.
    let base = rows();
    let n = 10_500;
    let many: Vec<Value> = (0..n).map(|i| base[i % base.len()].clone()).collect();
    env.write("many.csv", &csv_text(&many));
    let out = env
        .mlf(&[
            "models", "predict", "-m", dir, "-i", "many.csv", "-t", "csv",
        ])
        .ok();
    let got = out.json()["predictions"].clone();
    let one = onnx_expected("onnx_logreg", Format::Csv);
    let want: Vec<Value> = (0..n).map(|i| one[i % base.len()].clone()).collect();
    assert_close(&got, &Value::Array(want), "10 500 CSV rows");

    // A header and no rows: no predictions.
    env.write("empty.csv", "f0,f1,f2,f3\n");
    let out = env
        .mlf(&[
            "models",
            "predict",
            "-m",
            dir,
            "-i",
            "empty.csv",
            "-t",
            "csv",
        ])
        .ok();
    assert_eq!(out.json(), json!({"predictions": []}));
}

// ---------------------------------------------------------------------------------------------
// The Python worker (sklearn model saved by mlflow.sklearn with skops)

/// `target/test-venv/bin`, made by scripts/test-python-env.sh when missing (once per run).
fn venv_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let venv = root.join("target/test-venv");
        if !venv.join("bin/python").is_file() || !venv.join(".ready").is_file() {
            let out = Command::new(root.join("scripts/test-python-env.sh"))
                .current_dir(root)
                .stdin(Stdio::null())
                .output()
                .expect("run scripts/test-python-env.sh");
            assert!(
                out.status.success(),
                "scripts/test-python-env.sh failed:\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        assert!(venv.join("bin/python").is_file());
        venv.join("bin")
    })
}

/// A test environment whose `python3` is the test virtualenv's.
fn python_env() -> TestEnv {
    let bin = venv_bin();
    let mut env = TestEnv::new();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    env.set("PATH", &path);
    env
}

fn sklearn_expected() -> Value {
    expected()["sklearn_logreg"]["predict"].clone()
}

#[test]
fn sklearn_model_predicts_through_the_python_worker() {
    let env = python_env();
    let dir = fixture("sklearn_logreg");
    for format in SKLEARN_FORMATS {
        let got = predict(&env, dir.to_str().unwrap(), format);
        assert_eq!(got, sklearn_expected(), "sklearn via {format:?}");
    }
    // The model's own serving example.
    let example = dir.join("serving_input_example.json");
    let out = env
        .mlf(&[
            "models",
            "predict",
            "-m",
            dir.to_str().unwrap(),
            "-i",
            example.to_str().unwrap(),
        ])
        .ok();
    let preds = out.json()["predictions"].clone();
    assert_eq!(preds.as_array().map(Vec::len), Some(3), "{out}");
}

// ---------------------------------------------------------------------------------------------
// The scoring server

/// A running `mlf models serve`; killed when dropped.
pub(crate) struct Server {
    child: Child,
    pub(crate) addr: String,
    stderr: Arc<Mutex<String>>,
}

impl Server {
    /// Starts `mlf models serve -m MODEL --port 0 EXTRA…` and waits for its address.
    pub(crate) fn start(env: &TestEnv, model: &str, extra: &[&str]) -> Server {
        let mut args = vec!["models", "serve", "-m", model, "--port", "0"];
        args.extend_from_slice(extra);
        let mut cmd = env.command(&args);
        cmd.stdout(Stdio::null()).stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn mlf models serve");
        let pipe = child.stderr.take().unwrap();
        let stderr = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        let buf = Arc::clone(&stderr);
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines() {
                let Ok(line) = line else { break };
                buf.lock().unwrap().push_str(&format!("{line}\n"));
                let _ = tx.send(line);
            }
        });
        let mut server = Server {
            child,
            addr: String::new(),
            stderr,
        };
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    let rest = line.split_once(" on http://").map(|(_, r)| r);
                    if let (true, Some(rest)) = (line.starts_with("Serving"), rest) {
                        server.addr = rest.split_whitespace().next().unwrap().to_string();
                        return server;
                    }
                }
                Err(_) => {
                    let status = server.child.try_wait().ok().flatten();
                    panic!(
                        "the server did not say where it listens (exit: {status:?}):\n{}",
                        server.stderr()
                    );
                }
            }
        }
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    fn get(&self, path: &str) -> Resp {
        http(&self.addr, "GET", path, None, b"")
    }

    pub(crate) fn post(&self, content_type: Option<&str>, body: &str) -> Resp {
        http(
            &self.addr,
            "POST",
            "/invocations",
            content_type,
            body.as_bytes(),
        )
    }

    fn post_json(&self, body: &str) -> Resp {
        self.post(Some("application/json"), body)
    }

    /// Sends SIGTERM and waits (bounded) for the exit code.
    fn terminate(&mut self) -> i32 {
        let pid = self.child.id().to_string();
        let st = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill");
        assert!(st.success());
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                use std::os::unix::process::ExitStatusExt;
                let code = status
                    .code()
                    .unwrap_or_else(|| 128 + status.signal().unwrap_or(0));
                // Let the reader catch the last lines.
                let until = Instant::now() + Duration::from_secs(10);
                while !self.stderr().contains("Stopped") && Instant::now() < until {
                    std::thread::sleep(Duration::from_millis(20));
                }
                return code;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not stop on SIGTERM:\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The process ids of the server's children (its Python workers).
    fn children(&self) -> Vec<u32> {
        let pid = self.child.id();
        let mut out = Vec::new();
        for e in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(child) = e.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
                continue;
            };
            // `pid (comm) state ppid …`; comm may hold spaces and parentheses.
            let ppid = stat
                .rsplit_once(") ")
                .and_then(|(_, r)| r.split_whitespace().nth(1))
                .and_then(|p| p.parse::<u32>().ok());
            if ppid == Some(pid) {
                out.push(child);
            }
        }
        out.sort_unstable();
        out
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether a process is alive (a zombie counts as gone).
fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            let state = stat.rsplit_once(") ").map(|(_, r)| r.chars().next());
            state != Some(Some('Z')) && state != Some(Some('X'))
        }
        Err(_) => false,
    }
}

/// An HTTP response.
pub(crate) struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    #[track_caller]
    fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}):\n{self}"))
    }

    /// Asserts a JSON error body with this status and error code; returns the message.
    #[track_caller]
    fn error(&self, status: u16, code: &str) -> String {
        assert_eq!(self.status, status, "{self}");
        assert_eq!(
            self.header("content-type"),
            Some("application/json"),
            "{self}"
        );
        let v = self.json();
        assert_eq!(v["error_code"], code, "{self}");
        v["message"].as_str().expect("a message").to_string()
    }

    /// Asserts a 415 with a text/plain body; returns the body.
    #[track_caller]
    fn unsupported(&self) -> String {
        assert_eq!(self.status, 415, "{self}");
        let ct = self.header("content-type").unwrap_or("");
        assert!(ct.starts_with("text/plain"), "{self}");
        self.body.clone()
    }

    /// Asserts a 200 with `{"predictions": …}`; returns the predictions.
    #[track_caller]
    pub(crate) fn predictions(&self) -> Value {
        assert_eq!(self.status, 200, "{self}");
        assert_eq!(
            self.header("content-type"),
            Some("application/json"),
            "{self}"
        );
        let v = self.json();
        let keys: Vec<&String> = v.as_object().expect("an object").keys().collect();
        assert_eq!(keys, ["predictions"], "{self}");
        v["predictions"].clone()
    }
}

impl std::fmt::Display for Resp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "HTTP {}", self.status)?;
        for (k, v) in &self.headers {
            writeln!(f, "{k}: {v}")?;
        }
        write!(f, "\n{}", self.body)
    }
}

/// One HTTP/1.1 request on a fresh connection (`Connection: close`).
fn http(addr: &str, method: &str, path: &str, content_type: Option<&str>, body: &[u8]) -> Resp {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if method != "GET" || !body.is_empty() {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    if let Some(ct) = content_type {
        head.push_str(&format!("Content-Type: {ct}\r\n"));
    }
    head.push_str("\r\n");
    let mut request = head.into_bytes();
    request.extend_from_slice(body);
    let a = support::http_exchange(addr, &request, WAIT, &format!("{method} {path}"));
    Resp {
        status: a.status,
        headers: a.headers,
        body: String::from_utf8_lossy(&a.body).into_owned(),
    }
}

#[test]
fn serve_answers_mlflow_scoring_protocol_and_stops_on_sigterm() {
    let env = TestEnv::new();
    let dir = fixture("onnx_logreg_mlflow");
    let max_body = 2048;
    let mut server = Server::start(
        &env,
        dir.to_str().unwrap(),
        &["--max-body", &max_body.to_string()],
    );
    // Loopback by default.
    assert!(server.addr.starts_with("127.0.0.1:"), "{}", server.stderr());

    for path in ["/ping", "/health"] {
        let r = server.get(path);
        assert_eq!(r.status, 200, "{path}: {r}");
        assert_eq!(r.body, "\n", "{path}: {r}");
        assert_eq!(r.header("content-type"), Some("application/json"), "{r}");
    }
    let r = server.get("/version");
    assert_eq!(r.status, 200, "{r}");
    assert!(r.body.contains(env!("CARGO_PKG_VERSION")), "{r}");

    // Every input format.
    for format in ONNX_FORMATS {
        let r = if format == Format::Csv {
            server.post(Some("text/csv"), &body(format))
        } else {
            server.post_json(&body(format))
        };
        assert_close(
            &r.predictions(),
            &onnx_expected("onnx_logreg", format),
            &format!("POST {format:?}"),
        );
    }
    // `params` are taken (and ignored by ONNX models); a charset of utf-8 is fine, in any case;
    // `dataframe_split` may carry an `index`.
    let mut with_params = inputs();
    with_params["index"] = json!([0, 1, 2, 3, 4, 5, 6]);
    let r = server.post(
        Some("Application/JSON; charset=UTF-8"),
        &json!({"dataframe_split": with_params, "params": {"temperature": 0.5, "n": [1, 2]}})
            .to_string(),
    );
    assert_close(
        &r.predictions(),
        &onnx_expected("onnx_logreg", Format::Split),
        "params",
    );
    let r = server.post(Some("text/csv; charset=utf-8"), &body(Format::Csv));
    assert_close(
        &r.predictions(),
        &onnx_expected("onnx_logreg", Format::Csv),
        "csv; charset=utf-8",
    );

    // Errors (§5.3).
    let m = server.post_json("{bad").error(400, "BAD_REQUEST");
    assert!(
        m.starts_with("Invalid input. Ensure that input is a valid JSON formatted string."),
        "{m}"
    );
    let m = server.post_json("[1, 2]").error(400, "BAD_REQUEST");
    assert!(m.contains("Received a list"), "{m}");
    let old = json!({"columns": columns(), "data": inputs()["data"]}).to_string();
    let m = server.post_json(&old).error(400, "BAD_REQUEST");
    assert!(
        m.contains("scoring protocol has changed in MLflow version 2.0"),
        "{m}"
    );
    assert!(m.contains("exactly one of the input fields"), "{m}");
    let two = json!({"inputs": inputs()["data"], "instances": inputs()["data"]}).to_string();
    let m = server.post_json(&two).error(400, "BAD_REQUEST");
    assert!(m.contains("exactly one of the input fields"), "{m}");
    let m = server
        .post_json(r#"{"inputs": [[1, 2, 3, 4]], "params": 5}"#)
        .error(400, "BAD_REQUEST");
    assert!(m.contains("params"), "{m}");

    let text = server
        .post(
            Some("application/x-www-form-urlencoded"),
            &body(Format::Inputs),
        )
        .unsupported();
    assert_eq!(
        text,
        "This predictor only supports the following content types: Types: ['text/csv', 'application/json', 'application/vnd.apache.parquet']. Got 'application/x-www-form-urlencoded'."
    );
    let text = server
        .post(
            Some("application/json; format=pandas-split"),
            &body(Format::Split),
        )
        .unsupported();
    assert!(
        text.starts_with("Unrecognized content type parameters: format."),
        "{text}"
    );
    assert!(text.contains("IMPORTANT"), "{text}");
    let text = server
        .post(
            Some("application/json; charset=latin-1"),
            &body(Format::Inputs),
        )
        .unsupported();
    assert_eq!(text, "The scoring server only supports UTF-8");
    let text = server.post(None, &body(Format::Inputs)).unsupported();
    assert!(
        text.starts_with("This predictor only supports the following content types"),
        "{text}"
    );

    let r = server.get("/invocations");
    assert_eq!(r.status, 405, "{r}");
    assert_eq!(r.json(), json!({"detail": "Method Not Allowed"}), "{r}");

    // Three columns for a four-column model.
    let narrow =
        json!({"dataframe_split": {"columns": ["a", "b", "c"], "data": [[1.0, 2.0, 3.0]]}});
    let m = server
        .post_json(&narrow.to_string())
        .error(400, "INVALID_PARAMETER_VALUE");
    assert!(m.contains("4"), "{m}");
    let m = server
        .post_json(r#"{"inputs": [[1.0, 2.0, 3.0, 4.0, 5.0]]}"#)
        .error(400, "INVALID_PARAMETER_VALUE");
    assert!(m.contains("5"), "{m}");
    let m = server
        .post_json(r#"{"inputs": [[1.0, "x", 3.0, 4.0]]}"#)
        .error(400, "INVALID_PARAMETER_VALUE");
    assert!(m.contains("x"), "{m}");

    let r = server.get("/no/such/route");
    assert_eq!(r.status, 404, "{r}");

    // The body limit: exactly --max-body bytes pass, one more is refused.
    let small = body(Format::Inputs);
    let exact = format!("{small}{}", " ".repeat(max_body - small.len()));
    assert_eq!(exact.len(), max_body);
    assert_close(
        &server.post_json(&exact).predictions(),
        &onnx_expected("onnx_logreg", Format::Inputs),
        "a body of exactly --max-body bytes",
    );
    let r = server.post_json(&format!("{exact} "));
    assert_eq!(r.status, 413, "{r}");
    let r = server.post_json(&format!("{exact}{}", " ".repeat(3000)));
    assert_eq!(r.status, 413, "{r}");

    // Still serving after all that.
    assert_eq!(server.get("/ping").status, 200);

    // A second server on the same port cannot listen.
    let port = server.addr.rsplit_once(':').unwrap().1.to_string();
    let out = mlf_bounded(
        &env,
        &["models", "serve", "-m", dir.to_str().unwrap(), "-p", &port],
    );
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stderr.contains("cannot listen"), "{out}");

    let code = server.terminate();
    let stderr = server.stderr();
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("Stopped"), "{stderr}");
}

/// MLflow's FastAPI app answers any other method on `/invocations` with 405
/// `{"detail":"Method Not Allowed"}`, not only GET.
#[test]
fn serve_answers_other_methods_on_invocations_with_mlflow_405_body() {
    let env = TestEnv::new();
    let dir = fixture("onnx_gbr_mlflow");
    let server = Server::start(&env, dir.to_str().unwrap(), &[]);
    for method in ["PUT", "DELETE", "PATCH"] {
        let r = http(
            &server.addr,
            method,
            "/invocations",
            Some("application/json"),
            b"{}",
        );
        assert_eq!(r.status, 405, "{method}: {r}");
        assert_eq!(
            r.body, r#"{"detail":"Method Not Allowed"}"#,
            "{method}: {r}"
        );
    }
}

/// §5.3: the old `{"columns": …, "data": …}` body is answered with the recognised input fields
/// it has, which are none: "Received dictionary with input fields: []".
#[test]
fn old_request_format_error_lists_the_recognised_fields_like_mlflow() {
    let env = TestEnv::new();
    let dir = fixture("onnx_gbr_mlflow");
    let server = Server::start(&env, dir.to_str().unwrap(), &[]);
    let old = json!({"columns": columns(), "data": inputs()["data"]}).to_string();
    let m = server.post_json(&old).error(400, "BAD_REQUEST");
    assert!(
        m.contains("Received dictionary with input fields: []"),
        "{m}"
    );
}

#[test]
fn serve_scores_the_sklearn_model_with_python_workers() {
    let env = python_env();
    let dir = fixture("sklearn_logreg");
    let mut server = Server::start(&env, dir.to_str().unwrap(), &["--workers", "2"]);
    let workers = server.children();
    assert_eq!(workers.len(), 2, "two workers: {workers:?}");

    assert_eq!(server.get("/ping").status, 200);
    for format in SKLEARN_FORMATS {
        let r = if format == Format::Csv {
            server.post(Some("text/csv"), &body(format))
        } else {
            server.post_json(&body(format))
        };
        assert_eq!(r.predictions(), sklearn_expected(), "POST {format:?}");
    }
    let with_params = json!({"dataframe_split": inputs(), "params": {"k": 1}});
    assert_eq!(
        server.post_json(&with_params.to_string()).predictions(),
        sklearn_expected(),
        "with params"
    );

    // Concurrent requests over both workers all get their own answers.
    let addr = server.addr.clone();
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let addr = addr.clone();
            std::thread::spawn(move || {
                for i in 0..5 {
                    // A different single row per request: answers must not cross.
                    let k = (t * 5 + i) % 7;
                    let row = rows()[k].clone();
                    let b = json!({"dataframe_split": {"columns": columns(), "data": [row]}});
                    let r = http(
                        &addr,
                        "POST",
                        "/invocations",
                        Some("application/json"),
                        b.to_string().as_bytes(),
                    );
                    assert_eq!(r.predictions(), json!([sklearn_expected()[k]]), "row {k}");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("a request thread failed");
    }

    // A model error is a 400 with MLflow's message.
    let bad = json!({"dataframe_split": {"columns": columns(), "data": [["a", "b", "c", "d"]]}});
    let m = server.post_json(&bad.to_string()).error(400, "BAD_REQUEST");
    assert!(
        m.starts_with("Encountered an unexpected error while evaluating the model"),
        "{m}"
    );
    assert_eq!(server.get("/health").status, 200, "still serving");

    let code = server.terminate();
    let stderr = server.stderr();
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("Stopped"), "{stderr}");
    let deadline = Instant::now() + WAIT;
    while workers.iter().any(|&p| alive(p)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let left: Vec<u32> = workers.iter().copied().filter(|&p| alive(p)).collect();
    assert!(left.is_empty(), "Python workers left running: {left:?}");
}

/// §5.3: data that does not match the signature (here a missing column `f3` of a model whose
/// signature names f0…f3) is a 400 INVALID_PARAMETER_VALUE "Failed to enforce schema …".
#[test]
fn serve_enforces_the_sklearn_models_signature() {
    let env = python_env();
    let dir = fixture("sklearn_logreg");
    let server = Server::start(&env, dir.to_str().unwrap(), &[]);
    let narrow =
        json!({"dataframe_split": {"columns": ["f0", "f1", "f2"], "data": [[0.1, 0.2, 0.3]]}});
    let m = server
        .post_json(&narrow.to_string())
        .error(400, "INVALID_PARAMETER_VALUE");
    assert!(m.contains("Failed to enforce schema"), "{m}");
    assert!(m.contains("f3"), "{m}");
}

// ---------------------------------------------------------------------------------------------
// export / import

/// Builds a tar.gz with python3's tarfile: `entries` are (name, kind, data), kind `file` or
/// `symlink` (data is the target).
fn python_tar(out: &Path, entries: &[(&str, &str, &str)]) {
    let script = r#"
import io, json, sys, tarfile
out, entries = sys.argv[1], json.loads(sys.argv[2])
with tarfile.open(out, "w:gz") as t:
    for name, kind, data in entries:
        info = tarfile.TarInfo(name)
        if kind == "symlink":
            info.type = tarfile.SYMTYPE
            info.linkname = data
            t.addfile(info)
        else:
            raw = data.encode()
            info.size = len(raw)
            t.addfile(info, io.BytesIO(raw))
"#;
    let list: Vec<Value> = entries.iter().map(|(n, k, d)| json!([n, k, d])).collect();
    let st = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(out)
        .arg(Value::Array(list).to_string())
        .status()
        .expect("python3");
    assert!(st.success(), "python3 could not write {}", out.display());
}

#[test]
fn export_then_import_gives_back_every_file_and_exports_are_reproducible() {
    let env = TestEnv::new();
    let model = env.cwd().join("model");
    copy_dir(&fixture("sklearn_logreg"), &model);
    // Nested directories, an empty one included.
    env.write("model/code/pkg/helper.py", "def f():\n    return 1\n");
    std::fs::create_dir_all(model.join("extra/empty")).unwrap();

    env.mlf(&["models", "export", "-m", "model", "-o", "m1.tar.gz"])
        .ok();
    // The same files with other timestamps pack to the same bytes.
    let old = std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
    std::fs::File::options()
        .write(true)
        .open(model.join("model.skops"))
        .unwrap()
        .set_modified(old)
        .unwrap();
    env.mlf(&["models", "export", "-m", "model", "-o", "m2.tar.gz"])
        .ok();
    let (a, b) = (
        std::fs::read(env.cwd().join("m1.tar.gz")).unwrap(),
        std::fs::read(env.cwd().join("m2.tar.gz")).unwrap(),
    );
    assert!(a == b, "two exports of the same model differ");

    env.mlf(&["models", "import", "m1.tar.gz", "-o", "out"])
        .ok();
    assert_same_tree(&env.cwd().join("out"), &model);
    assert!(env.cwd().join("out/extra/empty").is_dir());

    // Into a directory that has files: refused, and the files are left alone.
    env.write("busy/keep.txt", "mine");
    let out = env
        .mlf(&["models", "import", "m1.tar.gz", "-o", "busy"])
        .code(2);
    assert!(out.stderr.contains("busy"), "{out}");
    let busy: Vec<String> = tree(&env.cwd().join("busy")).into_keys().collect();
    assert_eq!(busy, ["keep.txt"]);
    // An empty directory is fine.
    std::fs::create_dir_all(env.cwd().join("empty")).unwrap();
    env.mlf(&["models", "import", "m1.tar.gz", "-o", "empty"])
        .ok();
    assert_same_tree(&env.cwd().join("empty"), &model);
}

#[test]
fn import_refuses_archives_that_escape_or_are_not_models() {
    let env = TestEnv::new();
    let before: Vec<String> = tree(&env.cwd()).into_keys().collect();

    let evil = env.cwd().join("evil.tar.gz");
    python_tar(
        &evil,
        &[
            ("MLmodel", "file", "flavors: {}\n"),
            ("../evil", "file", "pwned"),
        ],
    );
    let out = env
        .mlf(&["models", "import", "evil.tar.gz", "-o", "dest/out"])
        .code(2);
    assert!(out.stderr.contains("../evil"), "{out}");
    assert!(!env.cwd().join("dest/evil").exists(), "wrote outside");
    assert!(!env.cwd().join("evil").exists(), "wrote outside");
    assert!(!env.cwd().join("dest/out").exists(), "left a partial model");

    let abs = env.dir.path().join("abs_evil");
    python_tar(
        &env.cwd().join("abs.tar.gz"),
        &[
            ("MLmodel", "file", "flavors: {}\n"),
            (abs.to_str().unwrap(), "file", "pwned"),
        ],
    );
    env.mlf(&["models", "import", "abs.tar.gz", "-o", "abs"])
        .code(2);
    assert!(!abs.exists(), "wrote an absolute path");
    assert!(!env.cwd().join("abs").exists());

    python_tar(
        &env.cwd().join("link.tar.gz"),
        &[
            ("MLmodel", "file", "flavors: {}\n"),
            ("passwd", "symlink", "/etc/passwd"),
        ],
    );
    env.mlf(&["models", "import", "link.tar.gz", "-o", "link"])
        .code(2);
    assert!(!env.cwd().join("link").exists());

    python_tar(
        &env.cwd().join("nomodel.tar.gz"),
        &[("model.onnx", "file", "not a model")],
    );
    let out = env
        .mlf(&["models", "import", "nomodel.tar.gz", "-o", "nomodel"])
        .code(2);
    assert!(out.stderr.contains("MLmodel"), "{out}");
    assert!(!env.cwd().join("nomodel").exists());

    // Nothing but the archives themselves appeared.
    let after: Vec<String> = tree(&env.cwd())
        .into_keys()
        .filter(|k| !k.ends_with(".tar.gz"))
        .collect();
    let mut want = before.clone();
    want.retain(|k| !k.ends_with(".tar.gz"));
    let extra: Vec<&String> = after.iter().filter(|k| !want.contains(k)).collect();
    // `dest/` (the parent mlf had to create) is tolerated; no file is.
    assert!(
        extra.iter().all(|k| k.as_str() == "dest"),
        "left behind: {extra:?}"
    );
}

/// A failed import leaves no output directory behind, whatever the reason.
#[test]
fn a_failed_import_leaves_no_output_directory() {
    let env = TestEnv::new();
    env.write("garbage.tar.gz", "this is not gzip");
    let out = env
        .mlf(&["models", "import", "garbage.tar.gz", "-o", "garbage"])
        .code(2);
    assert!(out.stderr.contains("garbage.tar.gz"), "{out}");
    env.mlf(&["models", "import", "missing.tar.gz", "-o", "missing"])
        .code(2);
    let left: Vec<String> = tree(&env.cwd())
        .into_keys()
        .filter(|k| !k.ends_with(".tar.gz"))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

// ---------------------------------------------------------------------------------------------
// Model URIs

/// The run's artifact directory, from `runs show`.
fn artifact_dir(env: &TestEnv, run: &str) -> PathBuf {
    PathBuf::from(run_of(env, run)["info"]["artifact_uri"].as_str().unwrap())
}

/// The value of a run tag, from `runs show`.
fn run_tag(env: &TestEnv, run: &str, key: &str) -> Option<String> {
    tag(&run_of(env, run), key)
}

#[test]
fn runs_and_models_uris_resolve_to_logged_and_registered_models() {
    let env = TestEnv::new();
    copy_dir(&fixture("onnx_logreg_mlflow"), &env.cwd().join("logreg"));
    let run = env.start_run(&["-n", "train"]);
    env.mlf(&["models", "log", "--run", &run, "logreg", "--name", "model"])
        .ok();

    let logged = artifact_dir(&env, &run).join("model");
    let text = std::fs::read_to_string(logged.join("MLmodel")).unwrap();
    assert_eq!(yaml_line(&text, 0, "run_id"), Some(run.as_str()), "{text}");
    assert_eq!(
        yaml_line(&text, 0, "artifact_path"),
        Some("model"),
        "{text}"
    );
    // The other files are copies; the source is untouched.
    let (a, b) = (tree(&logged), tree(&env.cwd().join("logreg")));
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "same files"
    );
    for (k, v) in &b {
        if k != "MLmodel" {
            assert!(a[k] == *v, "`{k}` differs");
        }
    }
    assert_same_tree(&env.cwd().join("logreg"), &fixture("onnx_logreg_mlflow"));

    let history = run_tag(&env, &run, "mlflow.log-model.history").expect("history tag");
    let history: Value = serde_json::from_str(&history).unwrap();
    let entries = history.as_array().expect("a list");
    assert_eq!(entries.len(), 1, "{history}");
    assert_eq!(entries[0]["run_id"], run.as_str(), "{history}");
    assert_eq!(entries[0]["artifact_path"], "model", "{history}");

    let want = onnx_expected("onnx_logreg", Format::Inputs);
    let uri = format!("runs:/{run}/model");
    assert_close(&predict(&env, &uri, Format::Inputs), &want, &uri);

    let version = env
        .mlf(&["registry", "register", &uri, "--name", "iris"])
        .ok();
    assert_eq!(version.stdout.trim(), "1", "{version}");
    env.mlf(&["registry", "promote", "iris", "1", "--to", "Production"])
        .ok();
    env.mlf(&["registry", "alias", "iris", "champion", "1"])
        .ok();
    for uri in [
        "models:/iris/1",
        "models:/iris@champion",
        "models:/iris/Production",
        "models:/iris/production",
        "models:/iris/latest",
    ] {
        assert_close(&predict(&env, uri, Format::Inputs), &want, uri);
    }
    // Export by URI packs the logged model.
    env.mlf(&[
        "models",
        "export",
        "-m",
        "models:/iris@champion",
        "-o",
        "iris.tar.gz",
    ])
    .ok();
    env.mlf(&["models", "import", "iris.tar.gz", "-o", "iris"])
        .ok();
    assert_same_tree(&env.cwd().join("iris"), &logged);

    let input = input_file(&env, Format::Inputs).0;
    for uri in [
        "models:/iris/2",
        "models:/nope/1",
        "models:/iris@nope",
        "models:/iris/Staging",
        &format!("runs:/{run}/missing"),
        "runs:/0123456789abcdef0123456789abcdef/model",
        "s3://bucket/model",
    ] {
        let out = env.mlf(&[
            "models",
            "predict",
            "-m",
            uri,
            "-i",
            input.to_str().unwrap(),
        ]);
        assert_eq!(out.code, 2, "{uri}: {out}");
        assert_eq!(out.stdout, "", "{uri}: {out}");
    }
}

/// §1.4 `log-model` appends to `mlflow.log-model.history`: two models logged to one run are
/// both in it.
#[test]
fn logging_two_models_to_a_run_keeps_both_in_the_history() {
    let env = TestEnv::new();
    copy_dir(&fixture("onnx_logreg_mlflow"), &env.cwd().join("a"));
    copy_dir(&fixture("onnx_gbr_mlflow"), &env.cwd().join("b"));
    let run = env.start_run(&[]);
    env.mlf(&["models", "log", "--run", &run, "a", "--name", "first"])
        .ok();
    env.mlf(&["models", "log", "--run", &run, "b", "--name", "second"])
        .ok();
    let history = run_tag(&env, &run, "mlflow.log-model.history").expect("history tag");
    let history: Value = serde_json::from_str(&history).unwrap();
    let paths: Vec<&str> = history
        .as_array()
        .expect("a list")
        .iter()
        .map(|e| e["artifact_path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["first", "second"], "{history}");
}

// ---------------------------------------------------------------------------------------------
// generate-dockerfile

/// Whether two files have the same bytes (read in pieces: the binary is large).
fn same_file(a: &Path, b: &Path) -> bool {
    let (ma, mb) = (std::fs::metadata(a).unwrap(), std::fs::metadata(b).unwrap());
    if ma.len() != mb.len() {
        return false;
    }
    let (mut fa, mut fb) = (
        std::io::BufReader::new(std::fs::File::open(a).unwrap()),
        std::io::BufReader::new(std::fs::File::open(b).unwrap()),
    );
    let (mut ba, mut bb) = (vec![0u8; 1 << 20], vec![0u8; 1 << 20]);
    loop {
        let n = fa.read(&mut ba).unwrap();
        if n == 0 {
            return true;
        }
        fb.read_exact(&mut bb[..n]).unwrap();
        if ba[..n] != bb[..n] {
            return false;
        }
    }
}

#[test]
fn generate_dockerfile_writes_a_context_that_serves_the_model() {
    use std::os::unix::fs::PermissionsExt;
    let env = TestEnv::new();
    for (model, base) in [
        ("onnx_logreg_mlflow", "debian:bookworm-slim"),
        ("sklearn_logreg", "python:3.11-slim"),
    ] {
        let src = fixture(model);
        let out = env.cwd().join(format!("ctx-{model}"));
        env.mlf(&[
            "models",
            "generate-dockerfile",
            "-m",
            src.to_str().unwrap(),
            "-d",
            out.to_str().unwrap(),
        ])
        .ok();
        let docker = std::fs::read_to_string(out.join("Dockerfile")).unwrap();
        let lines: Vec<&str> = docker.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(lines[0], format!("FROM {base}"), "{model}:\n{docker}");
        assert!(
            lines.contains(&"COPY mlf /usr/local/bin/mlf"),
            "{model}:\n{docker}"
        );
        assert!(
            lines.contains(&"COPY model /opt/ml/model"),
            "{model}:\n{docker}"
        );
        assert!(lines.contains(&"EXPOSE 8080"), "{model}:\n{docker}");
        let entry = lines
            .iter()
            .find(|l| l.starts_with("ENTRYPOINT "))
            .unwrap_or_else(|| panic!("{model}: no ENTRYPOINT:\n{docker}"));
        let argv: Value = serde_json::from_str(&entry["ENTRYPOINT ".len()..]).unwrap();
        assert_eq!(
            argv,
            json!([
                "mlf",
                "models",
                "serve",
                "-m",
                "/opt/ml/model",
                "--host",
                "0.0.0.0",
                "--port",
                "8080"
            ]),
            "{model}"
        );
        let pip = lines.iter().any(|l| {
            l.starts_with("RUN pip install") && l.contains("-r /opt/ml/model/requirements.txt")
        });
        assert_eq!(pip, model == "sklearn_logreg", "{model}:\n{docker}");

        let exe = out.join("mlf");
        let mode = std::fs::metadata(&exe).unwrap().permissions().mode();
        assert!(mode & 0o111 != 0, "{model}: mlf is not executable");
        assert!(
            same_file(&exe, Path::new(support::mlf_bin())),
            "{model}: mlf is not a copy of the binary"
        );
        assert_same_tree(&out.join("model"), &src);
        // The whole context: nothing else.
        let top: Vec<String> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        assert_eq!(top, ["Dockerfile", "mlf", "model"], "{model}");
        std::fs::remove_file(&exe).unwrap();
    }

    // Into a directory that has files: refused, untouched.
    env.write("busy/keep.txt", "mine");
    let src = fixture("onnx_gbr_mlflow");
    let out = env
        .mlf(&[
            "models",
            "generate-dockerfile",
            "-m",
            src.to_str().unwrap(),
            "-d",
            "busy",
        ])
        .code(2);
    assert!(out.stderr.contains("busy"), "{out}");
    let busy: Vec<String> = tree(&env.cwd().join("busy")).into_keys().collect();
    assert_eq!(busy, ["keep.txt"]);
}

// ---------------------------------------------------------------------------------------------
// Bad models and inputs

/// Runs each command (bounded) and checks that it exits `code` with every one of `names` in
/// its stderr; reports every command that did not.
#[track_caller]
fn assert_each_fails_naming<'a>(
    env: &TestEnv,
    commands: &[impl AsRef<[&'a str]>],
    code: i32,
    names: &[&str],
) {
    let mut wrong = Vec::new();
    for args in commands {
        let args = args.as_ref();
        let out = mlf_bounded(env, args);
        if out.code != code || !names.iter().all(|n| out.stderr.contains(n)) {
            wrong.push(format!("{args:?}: {out}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "expected exit {code} naming {names:?}:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn missing_model_directories_are_usage_errors() {
    let env = TestEnv::new();
    let input = input_file(&env, Format::Inputs).0;
    let input = input.to_str().unwrap();
    let commands: [&[&str]; 4] = [
        &["models", "predict", "-i", input, "-m"],
        &["models", "serve", "--port", "0", "-m"],
        &["models", "export", "-o", "x.tar.gz", "-m"],
        &["models", "generate-dockerfile", "-d", "ctx", "-m"],
    ];
    let commands: Vec<Vec<&str>> = commands
        .iter()
        .map(|args| [*args, &["no-such-dir"]].concat())
        .collect();
    assert_each_fails_naming(&env, &commands, 2, &["no-such-dir"]);
    let out = env.mlf(&["models", "log", "no-such-dir"]);
    assert_eq!(out.code, 2, "{out}");
    assert!(!env.cwd().join("ctx").exists());
    assert!(!env.cwd().join("x.tar.gz").exists());
}

#[test]
fn a_directory_without_mlmodel_is_a_usage_error_naming_it() {
    let env = TestEnv::new();
    copy_dir(&fixture("onnx_logreg"), &env.cwd().join("raw"));
    let input = input_file(&env, Format::Inputs).0;
    let input = input.to_str().unwrap();
    let commands: [&[&str]; 5] = [
        &["models", "predict", "-i", input, "-m", "raw"],
        &["models", "serve", "--port", "0", "-m", "raw"],
        &["models", "export", "-o", "x.tar.gz", "-m", "raw"],
        &["models", "generate-dockerfile", "-d", "ctx", "-m", "raw"],
        &["models", "log", "raw"],
    ];
    assert_each_fails_naming(&env, &commands, 2, &["raw", "MLmodel"]);
}

#[test]
fn a_model_without_a_servable_flavor_fails_naming_its_flavors() {
    let env = TestEnv::new();
    env.write(
        "keras/MLmodel",
        "flavors:\n  keras:\n    data: data\n  spark:\n    model_data: sparkml\n",
    );
    let input = input_file(&env, Format::Inputs).0;
    let input = input.to_str().unwrap();
    let commands: [&[&str]; 2] = [
        &["models", "predict", "-i", input, "-m", "keras"],
        &["models", "serve", "--port", "0", "-m", "keras"],
    ];
    assert_each_fails_naming(&env, &commands, 1, &["keras", "spark"]);
}

#[test]
fn bad_predict_inputs_and_save_arguments_are_refused() {
    let env = TestEnv::new();
    let dir = fixture("onnx_logreg_mlflow");
    let dir = dir.to_str().unwrap();
    let check = |args: &[&str], code: i32, needle: &str| -> Output {
        let out = env.mlf(args);
        assert_eq!(out.code, code, "{args:?}: {out}");
        assert!(out.stderr.contains(needle), "{args:?}: {out}");
        assert_eq!(out.stdout, "", "{args:?}: {out}");
        out
    };
    check(
        &["models", "predict", "-m", dir, "-i", "missing.json"],
        2,
        "missing.json",
    );
    env.write("bad.json", "{bad");
    check(
        &["models", "predict", "-m", dir, "-i", "bad.json"],
        2,
        "Invalid input",
    );
    // CSV read as JSON (the default) says how to read it as CSV.
    env.write("rows.csv", "a,b,c,d\n1,2,3,4\n");
    check(
        &["models", "predict", "-m", dir, "-i", "rows.csv"],
        2,
        "hint: the input is read as JSON: for CSV rows pass `-t csv`",
    );
    let out = env.mlf(&["models", "predict", "-m", dir, "-i", "bad.json"]);
    assert!(
        !out.stderr.contains("-t csv"),
        "JSON that is only broken: {out}"
    );
    // JSON in a file named .csv: the hint is about JSON's shape, not `-t csv`.
    env.write("json.csv", r#"{"rows": [[1, 2, 3, 4]]}"#);
    let out = check(
        &["models", "predict", "-m", dir, "-i", "json.csv"],
        2,
        "hint: the file is named .csv but holds JSON; JSON input is an object with one of `dataframe_split`",
    );
    assert!(!out.stderr.contains("pass `-t csv`"), "{out}");
    // JSON read as CSV says to leave `-t csv` out.
    check(
        &[
            "models", "predict", "-m", dir, "-i", "json.csv", "-t", "csv",
        ],
        2,
        "hint: the input looks like JSON: leave out `-t csv`",
    );
    env.write("old.json", r#"{"columns": ["a"], "data": [[1]]}"#);
    check(
        &["models", "predict", "-m", dir, "-i", "old.json"],
        2,
        "MLflow version 2.0",
    );
    env.write("narrow.json", r#"{"inputs": [[1.0, 2.0, 3.0]]}"#);
    check(
        &["models", "predict", "-m", dir, "-i", "narrow.json"],
        2,
        "Failed to enforce schema",
    );

    let src = fixture("onnx_logreg").join("model.onnx");
    let src = src.to_str().unwrap();
    check(
        &["models", "save", "--onnx", "missing.onnx", "-o", "s1"],
        2,
        "missing.onnx",
    );
    env.write("fake.onnx", "not a protobuf at all \u{1}\u{2}\u{3}");
    check(
        &["models", "save", "--onnx", "fake.onnx", "-o", "s2"],
        2,
        "fake.onnx",
    );
    assert!(!env.cwd().join("s2").exists());
    env.write("busy/keep.txt", "mine");
    check(&["models", "save", "--onnx", src, "-o", "busy"], 2, "busy");
    let busy: Vec<String> = tree(&env.cwd().join("busy")).into_keys().collect();
    assert_eq!(busy, ["keep.txt"]);
}

#[test]
fn a_model_may_not_name_files_outside_its_directory() {
    let env = TestEnv::new();
    env.write("secret.pkl", "not yours");
    env.write("other/model.onnx", "not yours either");
    let cases = [
        (
            "m1/MLmodel",
            "flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n  sklearn:\n    pickled_model: ../secret.pkl\n",
            "pickled_model `../secret.pkl`",
        ),
        (
            "m2/MLmodel",
            "flavors:\n  onnx:\n    data: ../other/model.onnx\n  python_function:\n    loader_module: mlflow.onnx\n",
            "onnx data `../other/model.onnx`",
        ),
        (
            "m3/MLmodel",
            "flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n  sklearn:\n    pickled_model: model.pkl\n",
            "pickled_model `model.pkl`",
        ),
    ];
    // m3's file is a symlink that leads out.
    std::fs::create_dir_all(env.cwd().join("m3")).unwrap();
    std::os::unix::fs::symlink(env.cwd().join("secret.pkl"), env.cwd().join("m3/model.pkl"))
        .unwrap();
    let input = env.write("in.json", r#"{"inputs": [[1.0, 2.0]]}"#);
    for (file, text, says) in cases {
        env.write(file, text);
        let dir = Path::new(file)
            .parent()
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        let out = mlf_bounded(
            &env,
            &[
                "models",
                "predict",
                "-m",
                &dir,
                "-i",
                input.to_str().unwrap(),
            ],
        );
        // As for any model that cannot be loaded: exit 1, naming the file.
        assert_eq!(out.code, 1, "{dir}: {out}");
        assert!(out.stderr.contains(says), "{dir}: {out}");
        assert!(
            out.stderr.contains("outside the model directory"),
            "{dir}: {out}"
        );
    }
}

#[test]
fn a_dead_python_worker_is_replaced_and_ping_stays_honest() {
    let env = python_env();
    let dir = fixture("sklearn_logreg");
    let server = Server::start(&env, dir.to_str().unwrap(), &["--workers", "1"]);
    let first = server.children();
    assert_eq!(first.len(), 1, "{first:?}");
    // The worker dies as the out-of-memory killer would end it.
    let st = Command::new("kill")
        .args(["-KILL", &first[0].to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let deadline = Instant::now() + WAIT;
    while alive(first[0]) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(server.get("/ping").status, 200, "{}", server.stderr());
    let r = server.post_json(&body(Format::Split));
    assert_eq!(r.status, 200, "{r}\n{}", server.stderr());
    assert_eq!(r.predictions(), sklearn_expected());
    let now = server.children();
    assert_eq!(now.len(), 1, "{now:?}");
    assert_ne!(now, first, "the worker was not replaced");
}

#[test]
fn a_prediction_over_the_timeout_gets_504_and_its_worker_is_replaced() {
    let mut env = python_env();
    // A pickled model whose predict takes 30 s, from a module on PYTHONPATH.
    let lib = env.cwd().join("lib");
    env.write(
        "lib/slow.py",
        "import time\nclass Slow:\n    def predict(self, X):\n        time.sleep(30)\n        return [0] * len(X)\n",
    );
    env.write(
        "slow/MLmodel",
        "flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n    model_path: model.pkl\n  sklearn:\n    pickled_model: model.pkl\n    serialization_format: pickle\n",
    );
    let st = Command::new(venv_bin().join("python"))
        .env("PYTHONPATH", &lib)
        .args([
            "-c",
            "import pickle, slow, sys; pickle.dump(slow.Slow(), open(sys.argv[1], 'wb'))",
            env.cwd().join("slow/model.pkl").to_str().unwrap(),
        ])
        .status()
        .unwrap();
    assert!(st.success());
    env.set("PYTHONPATH", lib.to_str().unwrap());
    let server = Server::start(&env, "slow", &["--workers", "1", "--timeout", "1"]);
    let first = server.children();
    let started = Instant::now();
    let r = server.post_json(r#"{"inputs": [[1.0]]}"#);
    let message = r.error(504, "DEADLINE_EXCEEDED");
    assert!(message.contains("--timeout"), "{r}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "it waited for the model"
    );
    assert_eq!(server.get("/ping").status, 200, "{}", server.stderr());
    let now = server.children();
    assert_eq!(now.len(), 1, "{now:?}");
    assert_ne!(now, first, "the stuck worker was not replaced");
}

#[test]
fn csv_without_rows_is_refused_as_mlflow_does() {
    let env = TestEnv::new();
    let dir = fixture("onnx_logreg_mlflow");
    let server = Server::start(&env, dir.to_str().unwrap(), &[]);
    for body in ["", "f0,f1,f2,f3\n", r#"{"inputs": [[1.0, 2.0, 3.0, 4.0]]}"#] {
        let r = server.post(Some("text/csv"), body);
        let message = r.error(400, "BAD_REQUEST");
        assert!(message.contains("Pandas DataFrame"), "{body:?}: {r}");
    }
    let r = server.post(Some("text/csv"), &body(Format::Csv));
    assert_eq!(r.status, 200, "{r}");
}

/// Without mlflow in the worker's Python, NaN and infinities in a model's list output come
/// back as null (JSON has neither), not as an error.
#[test]
fn nan_in_a_list_output_of_the_python_worker_is_null() {
    let env = python_env();
    let dir = env.cwd().join("m");
    std::fs::create_dir_all(&dir).unwrap();
    let script = "import pickle, sys\n\
        import numpy as np\n\
        from sklearn.dummy import DummyRegressor\n\
        m = DummyRegressor(strategy='constant', constant=1.0).fit([[0], [1]], [0, 1])\n\
        m.constant_ = np.array([[float('nan')]])\n\
        pickle.dump(m, open(sys.argv[1], 'wb'))\n";
    let made = Command::new(venv_bin().join("python"))
        .args(["-c", script, dir.join("model.pkl").to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    env.write(
        "m/MLmodel",
        "flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n    model_path: model.pkl\n    \
         python_version: 3.11.7\n  sklearn:\n    pickled_model: model.pkl\n    serialization_format: pickle\n",
    );
    let input = env.write("in.json", "{\"inputs\": [[1.0], [2.0]]}");
    let out = env
        .mlf(&[
            "models",
            "predict",
            "-m",
            "m",
            "-i",
            input.to_str().unwrap(),
        ])
        .ok();
    assert_eq!(
        out.json(),
        serde_json::json!({"predictions": [null, null]}),
        "{out}"
    );
}
