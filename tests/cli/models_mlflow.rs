//! `mlf models predict`/`serve` against what MLflow 3.17.2 does with the same models and
//! requests: CSV records across chunks, output files, and (with the recorded answers of
//! `mlflow models serve` in fixtures/models/mlflow_answers/) models saved by MLflow's flavors.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{self, TestEnv};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/models")
        .join(name)
}

fn fixture_rows() -> (Vec<String>, Vec<Vec<f64>>) {
    let inputs: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("inputs.json")).unwrap()).unwrap();
    let cols = inputs["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    let rows = inputs["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r.as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect()
        })
        .collect();
    (cols, rows)
}

/// A quoted cell with a newline on the 10 000-row chunk boundary stays one record; a failure
/// in a later chunk leaves no output file behind.
#[test]
fn csv_records_span_lines_and_failures_leave_no_partial_output() {
    let env = TestEnv::new();
    let model = fixture("onnx_logreg_mlflow");
    let model = model.to_str().unwrap();
    let (cols, rows) = fixture_rows();
    let n = 10_001;
    let mut plain = cols.join(",") + "\n";
    let mut quoted = plain.clone();
    for i in 0..n {
        let r = &rows[i % rows.len()];
        let cells: Vec<String> = r.iter().map(|v| v.to_string()).collect();
        plain.push_str(&cells.join(","));
        plain.push('\n');
        if i == 9_999 {
            // The 10 000th record: its last cell holds a newline, inside quotes.
            let last = cells.len() - 1;
            quoted.push_str(&cells[..last].join(","));
            quoted.push_str(&format!(",\"{}\n\"\n", cells[last]));
        } else {
            quoted.push_str(&cells.join(","));
            quoted.push('\n');
        }
    }
    env.write("plain.csv", &plain);
    env.write("quoted.csv", &quoted);
    let predict = |input: &str, output: &str| {
        env.mlf(&[
            "models", "predict", "-m", model, "-i", input, "-t", "csv", "-o", output,
        ])
    };
    predict("plain.csv", "plain.json").ok();
    predict("quoted.csv", "quoted.json").ok();
    let read = |f: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(env.cwd().join(f)).unwrap()).unwrap()
    };
    let (a, b) = (read("plain.json"), read("quoted.json"));
    assert_eq!(a["predictions"].as_array().unwrap().len(), n);
    assert_eq!(a, b);

    // A bad cell in the second chunk: exit non-zero, no output file, no temporary file.
    let mut bad = plain.clone();
    bad.push_str("x,y,z,w\n");
    env.write("bad.csv", &bad);
    let out = predict("bad.csv", "bad.json");
    assert_ne!(out.code, 0, "{out}");
    let left: Vec<String> = std::fs::read_dir(env.cwd())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("bad.json"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

// ---------------------------------------------------------------------------------------------
// Models saved by MLflow's flavors, against the answers `mlflow models serve` recorded
// (scripts/make-mlflow-answers.sh). The workers run in target/e2e-venv, which has mlflow.

/// `target/e2e-venv/bin`, made by scripts/e2e-python-env.sh when missing.
pub(crate) fn e2e_bin() -> &'static Path {
    static BIN: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BIN.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let venv = root.join("target/e2e-venv");
        if !venv.join(".ready").is_file() {
            let out = std::process::Command::new("bash")
                .arg(root.join("scripts/e2e-python-env.sh"))
                .current_dir(root)
                .output()
                .expect("run scripts/e2e-python-env.sh");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        venv.join("bin")
    })
}

fn mlflow_env() -> TestEnv {
    let mut env = TestEnv::new();
    let path = format!(
        "{}:{}",
        e2e_bin().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    env.set("PATH", &path);
    env
}

fn answers() -> Vec<Value> {
    let text = std::fs::read_to_string(fixture("mlflow/answers.json")).unwrap();
    serde_json::from_str::<Value>(&text)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn body_of(a: &Value) -> Vec<u8> {
    use base64::Engine;
    let body = a["body"].as_str().unwrap();
    if a["content_type"].as_str().unwrap().ends_with("parquet") {
        base64::engine::general_purpose::STANDARD
            .decode(body)
            .unwrap()
    } else {
        body.as_bytes().to_vec()
    }
}

/// Whether mlf's own ONNX runtime serves this fixture (the others go to the python_function
/// flavor, whose worker gives MLflow's bytes).
fn native(model: &str) -> bool {
    matches!(model, "onnx_zipmap" | "onnx_int")
}

/// An error body without MLflow's stack trace (it names the recording machine's paths).
fn comparable(status: u16, body: &str) -> Value {
    if status == 200 {
        return Value::String(body.to_string());
    }
    comparable_error(body)
}

/// An error body without its stack trace.
fn comparable_error(body: &str) -> Value {
    let mut v: Value = serde_json::from_str(body).unwrap_or(Value::String(body.to_string()));
    if let Some(o) = v.as_object_mut() {
        o.remove("stack_trace");
    }
    v
}

/// Whether a prediction body is MLflow's answer: the same text, or the same JSON with numbers
/// equal to a few units in the last place (Python's BLAS sums in an order that depends on the
/// processor, so the last digit of a float may differ from the machine that recorded it).
fn same_prediction(got: &str, want: &str) -> bool {
    fn same(a: &Value, b: &Value) -> bool {
        match (a, b) {
            (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
                (Some(i), Some(j)) => i == j,
                _ => {
                    let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
                    (x - y).abs() <= 1e-12 * x.abs().max(y.abs()).max(1e-300)
                }
            },
            (Value::Array(x), Value::Array(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
            }
            (Value::Object(x), Value::Object(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|((k, a), (l, b))| k == l && same(a, b))
            }
            (a, b) => a == b,
        }
    }
    if got == want {
        return true;
    }
    match (
        serde_json::from_str::<Value>(got),
        serde_json::from_str::<Value>(want),
    ) {
        (Ok(a), Ok(b)) => same(&a, &b),
        _ => false,
    }
}

/// `generate-dockerfile` of an ONNX model mlf's runtime cannot run builds on Python (its
/// python_function flavor serves it), not on the image that holds mlf alone.
#[test]
fn dockerfile_of_an_onnx_model_mlf_cannot_run_uses_python() {
    let env = TestEnv::new();
    let dir = fixture("mlflow/onnx_two");
    env.mlf(&[
        "models",
        "generate-dockerfile",
        "-m",
        dir.to_str().unwrap(),
        "-d",
        "img",
    ])
    .ok();
    let text = std::fs::read_to_string(env.cwd().join("img/Dockerfile")).unwrap();
    assert!(text.contains("FROM python:"), "{text}");
    assert!(text.contains("requirements.txt"), "{text}");
    let native = fixture("onnx_logreg_mlflow");
    env.mlf(&[
        "models",
        "generate-dockerfile",
        "-m",
        native.to_str().unwrap(),
        "-d",
        "img2",
    ])
    .ok();
    let text = std::fs::read_to_string(env.cwd().join("img2/Dockerfile")).unwrap();
    assert!(text.contains("FROM debian:"), "{text}");
}

/// Every recorded request, sent to `mlf models serve`: the same status, content type and body
/// (on success the same JSON, a float allowed to differ from the recording machine's in its
/// last digits; the error's code and message on failure).
#[test]
fn saved_by_mlflow_flavors_serve_answers_as_mlflow_models_serve() {
    let env = mlflow_env();
    let answers = answers();
    let mut models: Vec<&str> = answers
        .iter()
        .map(|a| a["model"].as_str().unwrap())
        .collect();
    models.dedup();
    for model in models {
        let dir = fixture(&format!("mlflow/{model}"));
        let server = crate::models::Server::start(&env, dir.to_str().unwrap(), &[]);
        for a in answers.iter().filter(|a| a["model"] == model) {
            let body = body_of(a);
            let ct = a["content_type"].as_str().unwrap();
            let mut request = format!(
                "POST /invocations HTTP/1.1\r\nHost: {0}\r\nConnection: close\r\nContent-Type: {ct}\r\nContent-Length: {1}\r\n\r\n",
                server.addr,
                body.len()
            )
            .into_bytes();
            request.extend_from_slice(&body);
            let what = format!("{model} {}", a["name"]);
            let got = support::http_exchange(
                &server.addr,
                &request,
                std::time::Duration::from_secs(120),
                &what,
            );
            let got_body = String::from_utf8_lossy(&got.body).into_owned();
            let want_status = a["status"].as_u64().unwrap() as u16;
            assert_eq!(got.status, want_status, "{what}: {got_body}");
            let want_body = a["answer"].as_str().unwrap();
            if native(model) && got.status == 200 {
                // mlf's own runtime: the same JSON, scores to float32 precision.
                crate::models::assert_close(
                    &serde_json::from_str(&got_body).unwrap(),
                    &serde_json::from_str(want_body).unwrap(),
                    &what,
                );
            } else if ct.ends_with("parquet") && got.status != 200 {
                // The reason a file is not Parquet is the reader's own (pyarrow's in MLflow).
                let (got, want) = (
                    comparable(got.status, &got_body),
                    comparable(want_status, want_body),
                );
                assert_eq!(got["error_code"], want["error_code"], "{what}");
                let head = |v: &Value| {
                    let m = v["message"].as_str().unwrap_or_default().to_string();
                    m.split("Error: '").next().unwrap_or_default().to_string()
                };
                assert_eq!(head(&got), head(&want), "{what}: {got}");
            } else if got.status == 200 && want_status == 200 {
                assert!(
                    same_prediction(&got_body, want_body),
                    "{what}\n  mlf:    {got_body}\n  mlflow: {want_body}"
                );
            } else {
                assert_eq!(
                    comparable(got.status, &got_body),
                    comparable(want_status, want_body),
                    "{what}"
                );
            }
            let got_ct = got
                .headers
                .iter()
                .find(|(k, _)| k == "content-type")
                .map(|(_, v)| v.as_str());
            assert_eq!(got_ct, a["answer_content_type"].as_str(), "{what}");
        }
    }
}

/// `mlf models predict` prints what the server answers for the JSON and CSV requests that
/// succeed, and refuses the others with MLflow's message.
#[test]
fn saved_by_mlflow_flavors_predict_as_mlflow_models_serve() {
    let env = mlflow_env();
    // One request per model and format (each `predict` starts a worker that imports mlflow).
    let mut seen = std::collections::BTreeSet::new();
    for (i, a) in answers().iter().enumerate() {
        let key = (
            a["model"].to_string(),
            a["content_type"].to_string(),
            a["status"] == 200,
        );
        if !seen.insert(key) {
            continue;
        }
        let ct = a["content_type"].as_str().unwrap();
        let kind = match ct {
            "application/json" => "json",
            "text/csv" => "csv",
            "application/vnd.apache.parquet" => "parquet",
            _ => continue,
        };
        let file = format!("req{i}.{kind}");
        std::fs::write(env.cwd().join(&file), body_of(a)).unwrap();
        let dir = fixture(&format!("mlflow/{}", a["model"].as_str().unwrap()));
        let out = env.mlf(&[
            "models",
            "predict",
            "-m",
            dir.to_str().unwrap(),
            "-i",
            &file,
            "-t",
            kind,
        ]);
        let what = format!("{} {}", a["model"], a["name"]);
        let answer = a["answer"].as_str().unwrap();
        let model = a["model"].as_str().unwrap();
        if model.starts_with("onnx_") && !native(model) {
            // mlf's ONNX runtime cannot run these: it says so and uses python_function.
            assert!(
                out.stderr.contains("python_function flavor"),
                "{what}: {out}"
            );
        }
        if a["status"] == 200 && native(model) {
            assert_eq!(out.code, 0, "{what}: {out}");
            crate::models::assert_close(&out.json(), &serde_json::from_str(answer).unwrap(), &what);
        } else if a["status"] == 200 {
            assert_eq!(out.code, 0, "{what}: {out}");
            let got = out.stdout.trim_end();
            assert!(
                same_prediction(got, answer),
                "{what}\n  mlf:    {got}\n  mlflow: {answer}"
            );
        } else {
            assert_ne!(out.code, 0, "{what}: {out}");
            let want: Value = serde_json::from_str(answer).unwrap();
            let first_line = want["message"]
                .as_str()
                .unwrap()
                .lines()
                .next()
                .unwrap()
                .split("Error: '")
                .next()
                .unwrap()
                .to_string();
            assert!(out.stderr.contains(&first_line), "{what}: {out}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// MLflow 3 logged models made inside `mlf run`

/// `mlflow.sklearn.log_model` inside `mlf run` makes a logged model; `runs:/RUN/model` and
/// `models:/m-…` name it for predict, `registry register` takes it, `runs show` lists it.
#[test]
fn models_logged_by_mlflow_inside_a_run_resolve_as_mlflow_does() {
    let env = mlflow_env();
    env.write(
        "train.py",
        "import mlflow, mlflow.sklearn\n\
         from sklearn.linear_model import LinearRegression\n\
         m = LinearRegression().fit([[0.0], [1.0], [2.0]], [1.0, 3.0, 5.0])\n\
         with mlflow.start_run():\n    info = mlflow.sklearn.log_model(m, name='model')\n\
         print(info.model_id)\n",
    );
    let out = env.mlf(&["run", "--", "python", "train.py"]).ok();
    let model_id = out.stdout.trim().lines().last().unwrap_or("").to_string();
    assert!(model_id.starts_with("m-"), "{out}");
    let run = crate::support::only_run(&env);

    env.write("x.json", r#"{"inputs": [[3.0]]}"#);
    let runs_uri = format!("runs:/{run}/model");
    let models_uri = format!("models:/{model_id}");
    for uri in [&runs_uri, &models_uri] {
        let out = env
            .mlf(&["models", "predict", "-m", uri, "-i", "x.json"])
            .ok();
        let p = out.json()["predictions"][0].as_f64().unwrap_or(0.0);
        assert!((p - 7.0).abs() < 1e-9, "{uri}: {out}");
    }

    let shown = env.mlf(&["runs", "show", &run]).ok();
    assert!(shown.stdout.contains("logged models"), "{shown}");
    assert!(shown.stdout.contains(&model_id), "{shown}");

    env.mlf(&["registry", "register", &runs_uri, "--name", "lin"])
        .ok();
    let out = env
        .mlf(&["models", "predict", "-m", "models:/lin/1", "-i", "x.json"])
        .ok();
    assert!(out.stdout.contains("predictions"), "{out}");
}
