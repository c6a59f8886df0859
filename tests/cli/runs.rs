//! Tests of `mlf` (runs), through the binary: `mlf runs list|show|delete|restore`.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::support::{Output, TestEnv, assert_refused, run_of, snap};

/// `runs list ARGS --format json`, the `runs` array.
fn list_json(env: &TestEnv, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["runs", "list", "--format", "json"];
    all.extend_from_slice(args);
    let v = env.mlf(&all).ok().json();
    v["runs"]
        .as_array()
        .unwrap_or_else(|| panic!("no `runs` array: {v}"))
        .clone()
}

fn ids(runs: &[Value]) -> Vec<String> {
    runs.iter()
        .map(|r| r["info"]["run_id"].as_str().unwrap().to_string())
        .collect()
}

fn stage(env: &TestEnv, id: &str) -> String {
    run_of(env, id)["info"]["lifecycle_stage"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Checks that `runs show SPEC` shows the run `id`.
#[track_caller]
fn assert_shows(env: &TestEnv, spec: &str, id: &str) {
    assert_eq!(run_of(env, spec)["info"]["run_id"], id, "spec {spec}");
}

/// `runs show SPEC`, checked to exit 2 with an `error:` line and nothing on stdout.
#[track_caller]
fn show_refused(env: &TestEnv, spec: &str) -> Output {
    let out = env.mlf(&["runs", "show", spec]).code(2);
    assert!(out.stderr.contains("error:"), "{out}");
    assert_eq!(out.stdout, "", "{out}");
    out
}

/// Starts and ends a run named `name` with extra `run start` args; returns its id.
fn finished_run(env: &TestEnv, name: &str, extra: &[&str]) -> String {
    let mut args = vec!["--name", name];
    args.extend_from_slice(extra);
    let id = env.start_run(&args);
    env.mlf(&["run", "end"]).ok();
    id
}

/// The header row of a table, split on whitespace.
fn header(out: &Output) -> Vec<String> {
    out.stdout
        .lines()
        .next()
        .unwrap_or_else(|| panic!("no table:\n{out}"))
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

/// Rows of a CSV without quoted fields.
fn csv_rows(out: &Output) -> Vec<Vec<String>> {
    out.stdout
        .lines()
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// list

#[test]
fn list_table_has_run_columns_then_params_then_metrics() {
    let mut env = TestEnv::new();
    env.pin_clock();
    let first = finished_run(&env, "first", &["-p", "lr=0.1"]);
    env.mlf(&["log", "metric", "loss", "0.5", "--run", &first])
        .ok();
    env.start_run(&["--name", "second", "-p", "lr=0.2", "-p", "bs=32"]);
    env.mlf(&["log", "metric", "acc", "0.9"]).ok();
    // Newest first; 8 characters of the id; params (bs, lr) then metrics (acc, loss).
    let out = snap!("list_table", env, ["runs", "list"]).ok();
    assert_eq!(
        header(&out),
        [
            "STATUS", "NAME", "ID", "START", "DURATION", "bs", "lr", "acc", "loss"
        ]
    );
}

#[test]
fn list_of_no_runs_is_empty() {
    let env = TestEnv::new();
    env.mlf(&["init"]).ok();
    let out = env.mlf(&["runs", "list"]).ok();
    assert_eq!(out.stdout, "", "{out}");
    assert_eq!(list_json(&env, &[]), Vec::<Value>::new());
    let out = env.mlf(&["runs", "list", "--format", "csv"]).ok();
    assert_eq!(
        out.stdout.trim_end(),
        "run_id,run_name,experiment_id,status,start_time,end_time,lifecycle_stage"
    );
}

#[test]
fn list_is_newest_first() {
    let env = TestEnv::new();
    let a = finished_run(&env, "a", &[]);
    let b = finished_run(&env, "b", &[]);
    let c = finished_run(&env, "c", &[]);
    assert_eq!(
        ids(&list_json(&env, &[])),
        [c.clone(), b.clone(), a.clone()]
    );
    let out = env.mlf(&["runs", "list", "--format", "csv"]).ok();
    let firsts: Vec<String> = csv_rows(&out)
        .into_iter()
        .skip(1)
        .map(|r| r[0].clone())
        .collect();
    assert_eq!(firsts, [c, b, a]);
}

#[test]
fn list_filters_by_experiment() {
    let env = TestEnv::new();
    env.mlf(&["experiments", "create", "e1"]).ok();
    env.mlf(&["experiments", "create", "e2"]).ok();
    let d = finished_run(&env, "d", &[]);
    let x1 = finished_run(&env, "x1", &["-x", "e1"]);
    let x2 = finished_run(&env, "x2", &["-x", "e2"]);

    assert_eq!(
        ids(&list_json(&env, &[])),
        [x2.clone(), x1.clone(), d.clone()]
    );
    assert_eq!(ids(&list_json(&env, &["-x", "e1"])), [x1.as_str()]);
    assert_eq!(
        ids(&list_json(&env, &["--experiment", "e2"])),
        [x2.as_str()]
    );
    assert_eq!(
        ids(&list_json(&env, &["-x", "e1", "-x", "e2"])),
        [x2.clone(), x1.clone()]
    );
    // By id, too: Default is 0.
    assert_eq!(ids(&list_json(&env, &["-x", "0"])), [d.as_str()]);
    assert_eq!(ids(&list_json(&env, &["-x", "Default"])), [d]);

    // Runs of several experiments get an EXPERIMENT column.
    let out = env.mlf(&["runs", "list"]).ok();
    assert_eq!(
        header(&out)[..6],
        ["STATUS", "NAME", "ID", "EXPERIMENT", "START", "DURATION"]
    );
    assert!(
        out.stdout.contains("e1") && out.stdout.contains("Default"),
        "{out}"
    );

    let out = env.mlf(&["runs", "list", "-x", "nope"]).code(2);
    assert!(out.stderr.contains("nope"), "{out}");
}

#[test]
fn list_limit_keeps_the_newest() {
    let env = TestEnv::new();
    finished_run(&env, "a", &[]);
    let b = finished_run(&env, "b", &[]);
    let c = finished_run(&env, "c", &[]);
    assert_eq!(ids(&list_json(&env, &["--limit", "2"])), [c.clone(), b]);
    assert_eq!(ids(&list_json(&env, &["-n", "1"])), [c]);
    let out = env.mlf(&["runs", "list", "--limit", "1"]).ok();
    assert_eq!(out.stdout.lines().count(), 2, "{out}");
    env.mlf(&["runs", "list", "--limit", "many"]).code(2);
}

#[test]
fn list_columns_pick_params_and_metrics_by_glob() {
    let env = TestEnv::new();
    env.start_run(&["-p", "lr=0.1", "-p", "opt=adam", "-t", "team=nlp"]);
    env.mlf(&["log", "metric", "loss", "0.5"]).ok();
    env.mlf(&["log", "metric", "acc", "0.75"]).ok();

    let out = env.mlf(&["runs", "list", "--columns", "metrics.*"]).ok();
    assert_eq!(
        header(&out),
        ["STATUS", "NAME", "ID", "START", "DURATION", "acc", "loss"]
    );

    let out = env.mlf(&["runs", "list", "--columns", "lr"]).ok();
    assert_eq!(
        header(&out),
        ["STATUS", "NAME", "ID", "START", "DURATION", "lr"]
    );

    let out = env
        .mlf(&["runs", "list", "--columns", "loss,params.o*,tags.team"])
        .ok();
    assert_eq!(
        header(&out),
        [
            "STATUS", "NAME", "ID", "START", "DURATION", "loss", "opt", "team"
        ]
    );
    assert!(out.stdout.contains("nlp"), "{out}");

    let out = env
        .mlf(&["runs", "list", "--columns", "lr,acc", "--format", "csv"])
        .ok();
    let rows = csv_rows(&out);
    assert_eq!(rows[0][7..], ["params.lr", "metrics.acc"]);
    assert_eq!(rows[1][7..], ["0.1", "0.75"]);

    // A glob that matches nothing leaves only the run's own columns.
    let out = env.mlf(&["runs", "list", "--columns", "nothing*"]).ok();
    assert_eq!(header(&out), ["STATUS", "NAME", "ID", "START", "DURATION"]);
}

#[test]
fn list_hides_deleted_runs_unless_all() {
    let env = TestEnv::new();
    let a = finished_run(&env, "a", &[]);
    let b = finished_run(&env, "b", &[]);
    env.mlf(&["runs", "delete", &a]).ok();
    assert_eq!(ids(&list_json(&env, &[])), [b.as_str()]);
    let all = list_json(&env, &["--all"]);
    assert_eq!(ids(&all), [b, a.clone()]);
    assert_eq!(all[0]["info"]["lifecycle_stage"], "active");
    assert_eq!(all[1]["info"]["lifecycle_stage"], "deleted");
    let out = env.mlf(&["runs", "list"]).ok();
    assert!(!out.stdout.contains(&a[..8]), "{out}");
    let out = env.mlf(&["runs", "list", "-a"]).ok();
    assert!(out.stdout.contains(&a[..8]), "{out}");
}

#[test]
fn list_json_has_mlflow_run_shape() {
    let env = TestEnv::new();
    let id = env.start_run(&["--name", "shape", "-p", "lr=0.1", "-t", "team=nlp"]);
    env.mlf(&[
        "log",
        "metric",
        "loss",
        "0.5",
        "--step",
        "2",
        "--timestamp",
        "1234",
    ])
    .ok();
    env.mlf(&["log", "metric", "bad", "NaN"]).ok();
    env.mlf(&["run", "end", "--status", "failed"]).ok();

    let runs = list_json(&env, &[]);
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    let top: BTreeSet<&str> = run
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(top, BTreeSet::from(["info", "data", "inputs", "outputs"]));
    assert_eq!(run["inputs"], json!({}));
    assert_eq!(run["outputs"], json!({}));

    let info = &run["info"];
    let keys: BTreeSet<&str> = info
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        BTreeSet::from([
            "run_id",
            "run_uuid",
            "run_name",
            "experiment_id",
            "user_id",
            "status",
            "start_time",
            "end_time",
            "artifact_uri",
            "lifecycle_stage",
        ])
    );
    assert_eq!(info["run_id"], id.as_str());
    assert_eq!(info["run_uuid"], id.as_str());
    assert_eq!(id.len(), 32);
    assert!(
        id.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    );
    assert_eq!(info["run_name"], "shape");
    assert_eq!(info["experiment_id"], "0");
    assert_eq!(info["user_id"], "tester");
    assert_eq!(info["status"], "FAILED");
    assert_eq!(info["lifecycle_stage"], "active");
    assert!(info["start_time"].as_i64().unwrap() > 0, "{info}");
    assert!(info["end_time"].as_i64().unwrap() > 0, "{info}");
    let uri = info["artifact_uri"].as_str().unwrap();
    assert!(uri.ends_with(&format!("/0/{id}/artifacts")), "{uri}");
    assert!(uri.contains(".mlf"), "{uri}");

    let data = &run["data"];
    assert_eq!(data["params"], json!([{"key": "lr", "value": "0.1"}]));
    assert_eq!(
        data["metrics"][1],
        json!({"key": "loss", "value": 0.5, "step": 2, "timestamp": 1234})
    );
    assert_eq!(data["metrics"][0]["key"], "bad");
    assert_eq!(data["metrics"][0]["value"], "NaN");
    let tags = data["tags"].as_array().unwrap();
    assert!(
        tags.contains(&json!({"key": "team", "value": "nlp"})),
        "{data}"
    );
    assert!(
        tags.contains(&json!({"key": "mlflow.runName", "value": "shape"})),
        "{data}"
    );
    assert!(
        tags.contains(&json!({"key": "mlflow.user", "value": "tester"})),
        "{data}"
    );
}

#[test]
fn list_shows_start_end_and_duration_from_the_clock() {
    let env = TestEnv::new();
    let mut start = env.command(&["run", "start", "--name", "timed"]);
    start.env("MLF_TEST_NOW", "1700000000000");
    crate::support::run(start).ok();
    let mut end = env.command(&["run", "end"]);
    end.env("MLF_TEST_NOW", "1700000004500");
    crate::support::run(end).ok();
    let info = list_json(&env, &[])[0]["info"].clone();
    assert_eq!(info["start_time"], 1700000000000_i64);
    assert_eq!(info["end_time"], 1700000004500_i64);
    let out = env.mlf(&["runs", "list"]).ok();
    let row = out.stdout.lines().nth(1).unwrap();
    // TZ is UTC in the harness.
    assert!(row.contains("2023-11-14 22:13:20"), "{out}");
    assert!(row.trim_end().ends_with("4.5s"), "{out}");
}

#[test]
fn list_json_of_a_running_run_has_no_end_time() {
    let env = TestEnv::new();
    env.start_run(&[]);
    let runs = list_json(&env, &[]);
    assert_eq!(runs[0]["info"]["status"], "RUNNING");
    assert!(runs[0]["info"].get("end_time").is_none(), "{}", runs[0]);
}

#[test]
fn list_csv_has_fixed_columns_then_params_then_metrics() {
    let env = TestEnv::new();
    let a = finished_run(&env, "a", &["-p", "lr=0.1"]);
    env.mlf(&["log", "metric", "loss", "inf", "--run", &a]).ok();
    let b = env.start_run(&["--name", "b", "-p", "bs=8"]);
    env.mlf(&["log", "metric", "acc", "0.125"]).ok();
    env.mlf(&["log", "metric", "loss", "-inf"]).ok();

    let out = env.mlf(&["runs", "list", "--format", "csv"]).ok();
    let rows = csv_rows(&out);
    assert_eq!(
        rows[0],
        [
            "run_id",
            "run_name",
            "experiment_id",
            "status",
            "start_time",
            "end_time",
            "lifecycle_stage",
            "params.bs",
            "params.lr",
            "metrics.acc",
            "metrics.loss"
        ]
    );
    assert_eq!(rows.len(), 3, "{out}");
    let json = list_json(&env, &[]);
    let (jb, ja) = (&json[0]["info"], &json[1]["info"]);
    assert_eq!(
        rows[1],
        [
            b.as_str(),
            "b",
            "0",
            "RUNNING",
            &jb["start_time"].to_string(),
            "",
            "active",
            "8",
            "",
            "0.125",
            "-Infinity"
        ]
    );
    assert_eq!(
        rows[2],
        [
            a.as_str(),
            "a",
            "0",
            "FINISHED",
            &ja["start_time"].to_string(),
            &ja["end_time"].to_string(),
            "active",
            "",
            "0.1",
            "",
            "Infinity"
        ]
    );
}

#[test]
fn list_table_shows_special_metric_values() {
    let env = TestEnv::new();
    env.start_run(&[]);
    env.mlf(&["log", "metric", "n", "NaN"]).ok();
    env.mlf(&["log", "metric", "p", "inf"]).ok();
    env.mlf(&["log", "metric", "q", "-inf"]).ok();
    let out = env.mlf(&["runs", "list"]).ok();
    let row: Vec<&str> = out
        .stdout
        .lines()
        .nth(1)
        .unwrap()
        .split_whitespace()
        .collect();
    assert!(row.ends_with(&["NaN", "inf", "-inf"]), "{out}");
}

#[test]
fn list_alias_ls() {
    let env = TestEnv::new();
    let id = finished_run(&env, "a", &[]);
    let out = env.mlf(&["runs", "ls", "--format", "json"]).ok();
    assert_eq!(out.json()["runs"][0]["info"]["run_id"], id.as_str());
}

// ---------------------------------------------------------------------------------------------
// show

#[test]
fn show_by_full_id_prefix_and_name() {
    let env = TestEnv::new();
    let id = finished_run(&env, "unique-name", &["-p", "lr=0.3"]);
    finished_run(&env, "other", &[]);
    for spec in [id.as_str(), &id[..8], &id[..4], "unique-name"] {
        assert_shows(&env, spec, &id);
    }
    // Upper-case prefixes resolve as well.
    assert_shows(&env, &id[..8].to_ascii_uppercase(), &id);
}

#[test]
fn show_by_upper_case_full_id() {
    let env = TestEnv::new();
    let id = finished_run(&env, "shouty", &[]);
    // An upper-case prefix resolves (see above); so must the whole id in upper case.
    assert_shows(&env, &id.to_ascii_uppercase(), &id);
}

#[test]
fn list_qualifies_a_key_used_as_param_and_metric() {
    let env = TestEnv::new();
    env.start_run(&["-p", "x=1"]);
    env.mlf(&["log", "metric", "x", "2"]).ok();
    env.mlf(&["log", "metric", "y", "3"]).ok();
    let out = env.mlf(&["runs", "list"]).ok();
    assert_eq!(
        header(&out),
        [
            "STATUS",
            "NAME",
            "ID",
            "START",
            "DURATION",
            "params.x",
            "metrics.x",
            "y"
        ]
    );
}

#[test]
fn show_table_lists_params_metrics_and_tags() {
    let mut env = TestEnv::new();
    env.pin_clock();
    let id = env.start_run(&["--name", "table", "-p", "lr=0.3", "-t", "team=nlp"]);
    env.mlf(&["log", "metric", "loss", "0.25", "--step", "7"])
        .ok();
    snap!("show_table", env, ["runs", "show", &id]).ok();
}

#[test]
fn show_json_has_run_and_artifacts() {
    let env = TestEnv::new();
    let id = env.start_run(&["--name", "arts"]);
    env.write("model.txt", "weights");
    env.mlf(&["log", "artifact", "model.txt"]).ok();
    let v = env
        .mlf(&["runs", "show", &id, "--format", "json"])
        .ok()
        .json();
    let keys: BTreeSet<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, BTreeSet::from(["run", "artifacts", "logged_models"]));
    assert_eq!(v["logged_models"], json!([]));
    assert_eq!(v["run"]["info"]["run_name"], "arts");
    assert_eq!(
        v["artifacts"],
        json!([{"path": "model.txt", "is_dir": false, "file_size": 7}])
    );
}

#[test]
fn show_ambiguous_name_names_the_candidates() {
    let env = TestEnv::new();
    let a = finished_run(&env, "twin", &[]);
    finished_run(&env, "twin", &[]);
    let out = show_refused(&env, "twin");
    snap!("show_ambiguous_name", env, ["runs", "show", "twin"], out);
    // The full id still works.
    env.mlf(&["runs", "show", &a]).ok();
}

#[test]
fn show_unknown_run_is_refused() {
    let env = TestEnv::new();
    finished_run(&env, "known", &[]);
    for spec in [
        "unknown",
        "0123456789abcdef0123456789abcdef",
        "abcdef12",
        "",
    ] {
        show_refused(&env, spec);
    }
}

#[test]
fn show_deleted_run_still_works_and_says_so() {
    let mut env = TestEnv::new();
    env.pin_clock();
    let id = finished_run(&env, "gone", &[]);
    env.mlf(&["runs", "delete", &id]).ok();
    assert_eq!(stage(&env, &id), "deleted");
    snap!("show_deleted", env, ["runs", "show", &id]).ok();
}

// ---------------------------------------------------------------------------------------------
// delete and restore

#[test]
fn delete_and_restore_several_at_once() {
    let env = TestEnv::new();
    let a = finished_run(&env, "a", &[]);
    let b = finished_run(&env, "b", &[]);
    let c = finished_run(&env, "c", &[]);
    let out = env.mlf(&["runs", "delete", &a, &b[..8]]).ok();
    assert!(
        out.stderr.contains(&a[..8]) && out.stderr.contains(&b[..8]),
        "{out}"
    );
    assert_eq!(stage(&env, &a), "deleted");
    assert_eq!(stage(&env, &b), "deleted");
    assert_eq!(stage(&env, &c), "active");
    assert_eq!(ids(&list_json(&env, &[])), [c.as_str()]);

    env.mlf(&["runs", "restore", &a, "b"]).ok();
    assert_eq!(stage(&env, &a), "active");
    assert_eq!(stage(&env, &b), "active");
    assert_eq!(ids(&list_json(&env, &[])), [c, b, a]);
}

#[test]
fn delete_alias_rm_and_by_name() {
    let env = TestEnv::new();
    let a = finished_run(&env, "to-remove", &[]);
    env.mlf(&["runs", "rm", "to-remove"]).ok();
    assert_eq!(stage(&env, &a), "deleted");
}

#[test]
fn restoring_a_run_that_is_not_deleted_is_refused() {
    let env = TestEnv::new();
    let a = finished_run(&env, "a", &[]);
    let out = assert_refused(&env, &["runs", "restore", &a]);
    snap!("restore_live_run", env, ["runs", "restore", &a], out);
}

#[test]
fn deleting_a_deleted_run_is_refused() {
    let env = TestEnv::new();
    let a = finished_run(&env, "a", &[]);
    env.mlf(&["runs", "delete", &a]).ok();
    let out = assert_refused(&env, &["runs", "delete", &a]);
    snap!("delete_deleted_run", env, ["runs", "delete", &a], out);
}

#[test]
fn delete_with_an_unknown_run_among_several_deletes_nothing() {
    let env = TestEnv::new();
    let a = finished_run(&env, "a", &[]);
    let b = finished_run(&env, "b", &[]);
    let out = assert_refused(&env, &["runs", "delete", &a, "no-such-run", &b]);
    assert!(out.stderr.contains("no-such-run"), "{out}");
    assert_eq!(stage(&env, &a), "active");
    assert_eq!(stage(&env, &b), "active");
}

#[test]
fn delete_with_an_already_deleted_run_among_several_deletes_nothing() {
    let env = TestEnv::new();
    let a = finished_run(&env, "a", &[]);
    let b = finished_run(&env, "b", &[]);
    env.mlf(&["runs", "delete", &b]).ok();
    assert_refused(&env, &["runs", "delete", &a, &b]);
    assert_eq!(stage(&env, &a), "active");
}

#[test]
fn restore_with_a_live_run_among_several_restores_nothing() {
    let env = TestEnv::new();
    let a = finished_run(&env, "a", &[]);
    let b = finished_run(&env, "b", &[]);
    env.mlf(&["runs", "delete", &a]).ok();
    assert_refused(&env, &["runs", "restore", &a, &b]);
    assert_eq!(stage(&env, &a), "deleted");
}

#[test]
fn delete_and_restore_need_a_run() {
    let env = TestEnv::new();
    env.mlf(&["init"]).ok();
    env.mlf(&["runs", "delete"]).code(2);
    env.mlf(&["runs", "restore"]).code(2);
    assert_refused(&env, &["runs", "delete", "nothing"]);
    assert_refused(&env, &["runs", "restore", "nothing"]);
}
