//! Tree-ensemble models (ai.onnx.ml TreeEnsembleClassifier / TreeEnsembleRegressor) against
//! onnxruntime: every fixture under fixtures/models/trees/ (made by
//! scripts/make_tree_fixtures.py: scikit-learn forests and boosting converted by skl2onnx, and
//! hand-built graphs covering every node mode, aggregate, post transform and the two-class
//! rules) must give onnxruntime's labels exactly and its scores to float32 precision, in every
//! input format, through `mlf models predict` and `mlf models serve`.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::models::{
    Format, ONNX_FORMATS, Server, assert_close, body_of, predictions_of, save_onnx,
};
use crate::support::TestEnv;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/models/trees")
}

fn expected() -> Value {
    let path = dir().join("expected.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn columns(exp: &Value) -> Vec<String> {
    exp["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect()
}

fn rows(exp: &Value) -> Vec<Value> {
    exp["rows"].as_array().unwrap().clone()
}

/// The fixture rows as a request body in `format`.
fn body(exp: &Value, format: Format) -> String {
    body_of(format, &columns(exp), &rows(exp))
}

/// What `{"predictions": …}` holds for `model` in `format`, from onnxruntime's outputs.
fn predictions(model: &Value, format: Format) -> Value {
    let outputs = model["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            let n = n.as_str().unwrap().to_string();
            let values = model["expected"][&n]
                .as_array()
                .unwrap_or_else(|| panic!("no expected values for {n}"))
                .clone();
            let zipmap = model["zipmap"]
                .as_array()
                .is_some_and(|z| z.iter().any(|x| x == &n));
            let labels = zipmap.then(|| model["labels"][&n].as_array().unwrap().clone());
            (n, values, labels)
        })
        .collect();
    predictions_of(outputs, format)
}

/// Every fixture, as (name, its expectations), each saved as an MLmodel directory.
fn models(env: &TestEnv, exp: &Value) -> Vec<(String, PathBuf, Value)> {
    let all = exp["models"].as_object().expect("models");
    assert!(all.len() >= 20, "only {} tree fixtures", all.len());
    all.iter()
        .map(|(name, m)| {
            let src = dir().join(format!("{name}.onnx"));
            let out = env.cwd().join(format!("saved/{name}"));
            save_onnx(env, &src, &out);
            (name.clone(), out, m.clone())
        })
        .collect()
}

#[test]
fn tree_ensembles_predict_like_onnxruntime_in_every_format() {
    let env = TestEnv::new();
    let exp = expected();
    for (name, model_dir, m) in models(&env, &exp) {
        for format in ONNX_FORMATS {
            let (file, kind) = if format == Format::Csv {
                (env.write("in/input.csv", &body(&exp, format)), "csv")
            } else {
                (
                    env.write(&format!("in/{format:?}.json"), &body(&exp, format)),
                    "json",
                )
            };
            let out = env
                .mlf(&[
                    "models",
                    "predict",
                    "-m",
                    model_dir.to_str().unwrap(),
                    "-i",
                    file.to_str().unwrap(),
                    "-t",
                    kind,
                ])
                .ok();
            assert_close(
                &out.json()["predictions"],
                &predictions(&m, format),
                &format!("{name} via {format:?}"),
            );
        }
    }
}

#[test]
fn tree_ensembles_are_served_like_onnxruntime() {
    let env = TestEnv::new();
    let exp = expected();
    for (name, model_dir, m) in models(&env, &exp) {
        let server = Server::start(&env, model_dir.to_str().unwrap(), &[]);
        for format in ONNX_FORMATS {
            let r = if format == Format::Csv {
                server.post(Some("text/csv"), &body(&exp, format))
            } else {
                server.post(Some("application/json"), &body(&exp, format))
            };
            assert_close(
                &r.predictions(),
                &predictions(&m, format),
                &format!("{name}: POST {format:?}"),
            );
        }
    }
}

#[test]
fn a_binary_forest_with_only_a_label_output_predicts_both_classes() {
    let exp = expected();
    let labels = exp["models"]["rf_binary_label"]["expected"]["label"]
        .as_array()
        .expect("rf_binary_label has a label output")
        .clone();
    // The fixture itself must separate the classes, or the check below proves nothing.
    assert!(labels.contains(&json!(0)) && labels.contains(&json!(1)));
    let env = TestEnv::new();
    let src = dir().join("rf_binary_label.onnx");
    let saved = env.cwd().join("m");
    save_onnx(&env, &src, &saved);
    let input = env.write("in.json", &body(&exp, Format::Inputs));
    let got = env
        .mlf(&[
            "models",
            "predict",
            "-m",
            saved.to_str().unwrap(),
            "-i",
            input.to_str().unwrap(),
        ])
        .ok()
        .json();
    // A list of rows in: `{output name: values}`, as MLflow's onnx flavor answers.
    assert_eq!(got["predictions"], json!({ "label": labels }));
}
