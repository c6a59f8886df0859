//! `mlf push` and `mlf pull` against `mlf server` (its `mlf/sync/…` calls and artifact
//! proxy): runs logged offline appear on the server with the same ids, params, metric
//! histories and files, read back through MLflow's REST API; a second push sends nothing; a
//! pull into an empty store brings them back; the server's token authenticates.

use super::*;

/// Two offline runs in experiment `offline`, one with NaN among its points and a file.
fn offline_runs(env: &TestEnv) -> (String, String) {
    let a = env.start_run(&["-x", "offline", "-p", "lr=0.1", "-t", "team=x"]);
    for step in 0..5 {
        let v = format!("{}", 1.0 / (step + 1) as f64);
        env.mlf(&["log", "metric", "loss", &v, "--step", &step.to_string()])
            .ok();
    }
    env.mlf(&["log", "metric", "acc", "NaN", "--step", "5"])
        .ok();
    env.write("model/weights.bin", "0123456789");
    env.mlf(&["log", "artifact", "model"]).ok();
    env.mlf(&["run", "end"]).ok();
    let b = env.start_run(&["-x", "offline", "-p", "lr=0.2"]);
    env.mlf(&["log", "metric", "loss", "0.7"]).ok();
    env.mlf(&["run", "end", "--status", "failed"]).ok();
    (a, b)
}

#[test]
fn offline_runs_appear_on_the_server_with_their_ids_and_come_back_by_pull() {
    let server_env = TestEnv::new();
    server_env.mlf(&["init"]).ok();
    let mut s = Server::start(&server_env, &["--auth-token", "s3cret"]);
    s.token = Some("s3cret".into());
    let mut laptop = TestEnv::new();
    laptop.set("MLFLOW_TRACKING_TOKEN", "s3cret");
    let (a, b) = offline_runs(&laptop);
    laptop.mlf(&["remote", "add", "origin", &s.url()]).ok();
    // The registry goes along: a version from a run's files, and one from a local path,
    // whose files a server does not take.
    let source = format!("runs:/{a}/model");
    laptop
        .mlf(&["registry", "register", &source, "--name", "churn"])
        .ok();
    laptop.write("local/MLmodel", "flavors: {}\n");
    laptop
        .mlf(&["registry", "register", "./local", "--name", "churn"])
        .ok();
    laptop
        .mlf(&["registry", "alias", "churn", "prod", "1"])
        .ok();
    let out = laptop.mlf(&["push"]).ok();
    assert!(
        out.stderr
            .contains("not pushed: churn v2 (registered from a local path"),
        "{out}"
    );
    let model = s.get_ok("registered-models/get", &[("name", "churn")]);
    assert_eq!(
        model["registered_model"]["aliases"][0]["alias"], "prod",
        "{model}"
    );
    let v1 = s.get_ok("model-versions/get", &[("name", "churn"), ("version", "1")]);
    assert_eq!(v1["model_version"]["source"], source.as_str(), "{v1}");
    assert_eq!(v1["model_version"]["run_id"], a.as_str(), "{v1}");
    assert!(
        out.stderr
            .contains("Pushed 2 runs to origin (2 new, 0 changed, 0 up to date)")
            && out.stderr.contains("7 metric points")
            && out.stderr.contains("10 B of artifacts (1 file)"),
        "{out}"
    );
    // Read back through MLflow's REST API.
    let run = s.get_ok("runs/get", &[("run_id", &a)])["run"].clone();
    assert_eq!(run["info"]["run_id"], a.as_str());
    assert_eq!(run["info"]["status"], "FINISHED");
    let exp = s.get_ok(
        "experiments/get",
        &[(
            "experiment_id",
            run["info"]["experiment_id"].as_str().unwrap(),
        )],
    );
    assert_eq!(exp["experiment"]["name"], "offline");
    assert_eq!(
        run["data"]["params"],
        json!([{ "key": "lr", "value": "0.1" }])
    );
    let history = s.get_ok(
        "metrics/get-history",
        &[("run_id", &a), ("metric_key", "loss")],
    );
    let steps: Vec<i64> = history["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["step"].as_i64().unwrap())
        .collect();
    assert_eq!(steps, vec![0, 1, 2, 3, 4]);
    let acc = s.get_ok(
        "metrics/get-history",
        &[("run_id", &a), ("metric_key", "acc")],
    );
    assert_eq!(acc["metrics"][0]["value"], "NaN");
    let run_b = s.get_ok("runs/get", &[("run_id", &b)]);
    assert_eq!(run_b["run"]["info"]["status"], "FAILED");
    let files = s.get_ok("artifacts/list", &[("run_id", &a), ("path", "model")]);
    assert_eq!(files["files"][0]["path"], "model/weights.bin", "{files}");
    // A second push sends nothing (and says again which versions stay here).
    let out = laptop.mlf(&["push", "--format", "json"]).ok();
    assert!(out.stderr.contains("nothing to push"), "{out}");
    assert!(out.stderr.contains("not pushed: churn v2"), "{out}");
    assert_eq!(out.json()["report"]["models_changed"], 0);
    assert_eq!(out.json()["report"]["runs_compared"], 2);
    assert_eq!(out.json()["report"]["runs_new"], 0);
    assert_eq!(out.json()["report"]["runs_changed"], 0);
    assert_eq!(out.json()["report"]["files"], 0);
    // Another machine pulls into an empty store: the same runs, points and files.
    let mut other = TestEnv::new();
    other.set("MLFLOW_TRACKING_TOKEN", "s3cret");
    let out = other.mlf(&["pull", &s.url()]).ok();
    assert!(out.stderr.contains("Pulled 2 runs"), "{out}");
    let mut ids = crate::support::run_ids(&other);
    ids.sort();
    let mut want = vec![a.clone(), b.clone()];
    want.sort();
    assert_eq!(ids, want);
    assert_eq!(
        crate::support::history(&other, &a, "loss"),
        crate::support::history(&laptop, &a, "loss")
    );
    let weights = std::fs::read_dir(other.store().join("artifacts"))
        .unwrap()
        .flatten()
        .map(|e| e.path().join(&a).join("artifacts/model/weights.bin"))
        .find(|p| p.is_file())
        .expect("the pulled file");
    assert_eq!(std::fs::read_to_string(weights).unwrap(), "0123456789");
    let out = other.mlf(&["pull", &s.url()]).ok();
    assert!(out.stderr.contains("nothing to pull"), "{out}");
    // Without the token the server refuses, and says what to set.
    let stranger = TestEnv::new();
    stranger.mlf(&["init"]).ok();
    let out = stranger.mlf(&["pull", &s.url()]).code(1);
    assert!(out.stderr.contains("MLFLOW_TRACKING_TOKEN"), "{out}");
}

/// A batch larger than the server's `--max-body` goes again in parts (down to parts of one
/// run's histories): every point arrives once.
#[test]
fn a_push_larger_than_the_server_takes_goes_in_parts() {
    let server_env = TestEnv::new();
    server_env.mlf(&["init"]).ok();
    let s = Server::start(&server_env, &["--max-body", "40000"]);
    let laptop = TestEnv::new();
    let id = laptop.start_run(&["-x", "big"]);
    let lines: Vec<String> = (0..3000)
        .map(|i| {
            json!({ "key": format!("m{}", i % 3), "value": i as f64 * 0.5, "step": i, "timestamp": 1_700_000_000_000i64 + i })
                .to_string()
        })
        .collect();
    laptop.write("points.jsonl", &(lines.join("\n") + "\n"));
    laptop
        .mlf(&[
            "log",
            "batch",
            "--file",
            "points.jsonl",
            "--input-format",
            "jsonl",
        ])
        .ok();
    laptop.mlf(&["run", "end"]).ok();
    let out = laptop.mlf(&["push", &s.url()]).ok();
    assert!(out.stderr.contains("3000 metric points"), "{out}");
    for key in ["m0", "m1", "m2"] {
        let h = s.get_ok(
            "metrics/get-history",
            &[("run_id", &id), ("metric_key", key)],
        );
        assert_eq!(h["metrics"].as_array().unwrap().len(), 1000, "{key}");
    }
    let out = laptop.mlf(&["push", &s.url()]).ok();
    assert!(out.stderr.contains("nothing to push"), "{out}");
}
