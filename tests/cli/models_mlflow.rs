//! `mlf models predict`/`serve` against what MLflow 3.17.2 does with the same models and
//! requests: CSV records across chunks, output files, and (with the recorded answers of
//! `mlflow models serve` in fixtures/models/mlflow_answers/) models saved by MLflow's flavors.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::TestEnv;

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
