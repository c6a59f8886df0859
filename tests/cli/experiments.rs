//! Tests of `mlf` (experiments), through the binary: create, list, show, rename, delete and
//! restore, and how deleting and restoring an experiment carries over to its runs.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::support::{TestEnv, assert_refused, snap};

/// `experiments list ARGS --format json`, the `experiments` array.
fn list_json(env: &TestEnv, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["experiments", "list", "--format", "json"];
    all.extend_from_slice(args);
    let v = env.mlf(&all).ok().json();
    v["experiments"]
        .as_array()
        .unwrap_or_else(|| panic!("no `experiments` array: {v}"))
        .clone()
}

fn names(exps: &[Value]) -> Vec<String> {
    exps.iter()
        .map(|e| e["name"].as_str().unwrap().to_string())
        .collect()
}

/// `experiments show SPEC --format json`, the `experiment` object.
fn show(env: &TestEnv, spec: &str) -> Value {
    env.mlf(&["experiments", "show", spec, "--format", "json"])
        .ok()
        .json()["experiment"]
        .clone()
}

/// Creates an experiment and returns the id it prints.
fn create(env: &TestEnv, name: &str) -> String {
    let out = env.mlf(&["experiments", "create", name]).ok();
    out.stdout.trim().to_string()
}

fn run_stage(env: &TestEnv, id: &str) -> String {
    env.mlf(&["runs", "show", id, "--format", "json"])
        .ok()
        .json()["run"]["info"]["lifecycle_stage"]
        .as_str()
        .unwrap()
        .to_string()
}

fn run_ids(env: &TestEnv, args: &[&str]) -> BTreeSet<String> {
    let mut all = vec!["runs", "list", "--format", "json"];
    all.extend_from_slice(args);
    env.mlf(&all).ok().json()["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["info"]["run_id"].as_str().unwrap().to_string())
        .collect()
}

/// Starts and ends a run in experiment `exp`; returns its id.
fn finished_run(env: &TestEnv, exp: &str) -> String {
    let id = env.start_run(&["-x", exp]);
    env.mlf(&["run", "end"]).ok();
    id
}

#[test]
fn default_experiment_exists_from_the_start() {
    let env = TestEnv::new();
    env.mlf(&["init"]).ok();
    let exps = list_json(&env, &[]);
    assert_eq!(exps.len(), 1, "{exps:?}");
    assert_eq!(exps[0]["experiment_id"], "0");
    assert_eq!(exps[0]["name"], "Default");
    assert_eq!(exps[0]["lifecycle_stage"], "active");
    assert_eq!(show(&env, "Default")["experiment_id"], "0");
    assert_eq!(show(&env, "0")["name"], "Default");
}

#[test]
fn create_prints_the_new_id() {
    let env = TestEnv::new();
    env.mlf(&["init"]).ok();
    let out = env.mlf(&["experiments", "create", "baseline"]).ok();
    assert_eq!(out.stdout, "1\n");
    assert!(out.stderr.contains("baseline"), "{out}");
    assert_eq!(create(&env, "tuned"), "2");
    assert_eq!(
        names(&list_json(&env, &[])),
        ["Default", "baseline", "tuned"]
    );
    // Names may hold spaces and other characters.
    assert_eq!(create(&env, "my exp / v2"), "3");
    assert_eq!(show(&env, "my exp / v2")["experiment_id"], "3");
}

#[test]
fn alias_exp() {
    let env = TestEnv::new();
    let out = env.mlf(&["exp", "create", "short"]).ok();
    assert_eq!(out.stdout.trim(), "1");
    let out = env.mlf(&["exp", "ls", "--format", "json"]).ok();
    assert_eq!(out.json()["experiments"][1]["name"], "short");
}

#[test]
fn duplicate_name_is_refused() {
    let env = TestEnv::new();
    create(&env, "baseline");
    let out = assert_refused(&env, &["experiments", "create", "baseline"]);
    snap!(
        "create_duplicate",
        env,
        ["experiments", "create", "baseline"],
        out
    );
    assert_refused(&env, &["experiments", "create", "Default"]);
}

#[test]
fn name_of_a_deleted_experiment_is_still_taken() {
    let env = TestEnv::new();
    create(&env, "old");
    env.mlf(&["experiments", "delete", "old"]).ok();
    let out = assert_refused(&env, &["experiments", "create", "old"]);
    assert!(out.stderr.contains("restore"), "{out}");
}

#[test]
fn empty_name_is_refused() {
    let env = TestEnv::new();
    env.mlf(&["init"]).ok();
    for name in ["", "   "] {
        let out = assert_refused(&env, &["experiments", "create", name]);
        assert!(out.stderr.contains("empty"), "{out}");
    }
    let long = "n".repeat(501);
    assert_refused(&env, &["experiments", "create", &long]);
    create(&env, &"n".repeat(500));
}

#[test]
fn list_table() {
    let mut env = TestEnv::new();
    env.pin_clock();
    create(&env, "baseline");
    finished_run(&env, "baseline");
    finished_run(&env, "baseline");
    snap!("list_table", env, ["experiments", "list"]).ok();
}

#[test]
fn list_json_shape() {
    let env = TestEnv::new();
    create(&env, "baseline");
    let exps = list_json(&env, &[]);
    assert_eq!(exps.len(), 2);
    for e in &exps {
        let keys: BTreeSet<&str> = e.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            BTreeSet::from([
                "experiment_id",
                "name",
                "artifact_location",
                "lifecycle_stage",
                "creation_time",
                "last_update_time",
                "tags",
            ]),
            "{e}"
        );
        assert!(e["tags"].is_array(), "{e}");
        assert!(e["creation_time"].as_i64().unwrap() > 0, "{e}");
        assert!(
            e["last_update_time"].as_i64().unwrap() >= e["creation_time"].as_i64().unwrap(),
            "{e}"
        );
    }
    let e = &exps[1];
    assert_eq!(e["experiment_id"], "1");
    assert_eq!(e["name"], "baseline");
    assert_eq!(e["lifecycle_stage"], "active");
    let store = std::fs::canonicalize(env.store()).unwrap();
    assert_eq!(
        e["artifact_location"].as_str().unwrap(),
        store.join("artifacts").join("1").display().to_string()
    );
}

#[test]
fn list_csv() {
    let env = TestEnv::new();
    create(&env, "baseline");
    finished_run(&env, "baseline");
    let out = env.mlf(&["experiments", "list", "--format", "csv"]).ok();
    let rows: Vec<Vec<&str>> = out.stdout.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(
        rows[0],
        [
            "experiment_id",
            "name",
            "lifecycle_stage",
            "runs",
            "creation_time",
            "artifact_location"
        ]
    );
    assert_eq!(rows.len(), 3, "{out}");
    assert_eq!(rows[1][..4], ["0", "Default", "active", "0"]);
    assert_eq!(rows[2][..4], ["1", "baseline", "active", "1"]);
    let json = list_json(&env, &[]);
    assert_eq!(rows[2][4], json[1]["creation_time"].to_string());
    assert_eq!(rows[2][5], json[1]["artifact_location"].as_str().unwrap());
}

#[test]
fn show_by_name_and_id() {
    let mut env = TestEnv::new();
    env.pin_clock();
    create(&env, "baseline");
    finished_run(&env, "baseline");
    let by_name = show(&env, "baseline");
    let by_id = show(&env, "1");
    assert_eq!(by_name, by_id);
    assert_eq!(by_name["experiment_id"], "1");
    assert_eq!(by_name["name"], "baseline");

    snap!("show_table", env, ["experiments", "show", "baseline"]).ok();
}

#[test]
fn show_unknown_is_refused() {
    let env = TestEnv::new();
    env.mlf(&["init"]).ok();
    for spec in ["nope", "42"] {
        let out = env.mlf(&["experiments", "show", spec]).code(2);
        assert!(out.stderr.contains(spec), "{out}");
        assert_eq!(out.stdout, "");
    }
}

#[test]
fn rename() {
    let env = TestEnv::new();
    create(&env, "before");
    let run = finished_run(&env, "before");
    env.mlf(&["experiments", "rename", "before", "after"]).ok();
    assert_eq!(show(&env, "after")["experiment_id"], "1");
    env.mlf(&["experiments", "show", "before"]).code(2);
    // Runs stay in the experiment.
    assert_eq!(run_ids(&env, &["-x", "after"]), BTreeSet::from([run]));
    // By id, and to its own name.
    env.mlf(&["experiments", "rename", "1", "again"]).ok();
    env.mlf(&["experiments", "rename", "again", "again"]).ok();
    assert_eq!(names(&list_json(&env, &[])), ["Default", "again"]);
}

#[test]
fn rename_to_an_existing_or_empty_name_is_refused() {
    let env = TestEnv::new();
    create(&env, "a");
    create(&env, "b");
    let out = assert_refused(&env, &["experiments", "rename", "a", "b"]);
    assert!(out.stderr.contains("`b`"), "{out}");
    assert_refused(&env, &["experiments", "rename", "a", "Default"]);
    assert_refused(&env, &["experiments", "rename", "a", ""]);
    assert_refused(&env, &["experiments", "rename", "nope", "c"]);
}

#[test]
fn delete_soft_deletes_the_experiment_and_its_runs() {
    let env = TestEnv::new();
    create(&env, "doomed");
    let r1 = finished_run(&env, "doomed");
    let r2 = finished_run(&env, "doomed");
    let keep = finished_run(&env, "Default");

    let out = env.mlf(&["experiments", "delete", "doomed"]).ok();
    assert!(out.stderr.contains("doomed"), "{out}");

    assert_eq!(names(&list_json(&env, &[])), ["Default"]);
    let all = list_json(&env, &["--all"]);
    assert_eq!(names(&all), ["Default", "doomed"]);
    assert_eq!(all[1]["lifecycle_stage"], "deleted");
    assert_eq!(names(&list_json(&env, &["--deleted"])), ["doomed"]);
    let out = env.mlf(&["experiments", "list", "--all"]).ok();
    assert!(
        out.stdout.lines().next().unwrap().contains("STAGE"),
        "{out}"
    );

    assert_eq!(run_ids(&env, &[]), BTreeSet::from([keep.clone()]));
    assert_eq!(
        run_ids(&env, &["--all"]),
        BTreeSet::from([keep, r1.clone(), r2.clone()])
    );
    assert_eq!(run_stage(&env, &r1), "deleted");
    assert_eq!(run_stage(&env, &r2), "deleted");
    // Still shown by name, as deleted.
    assert_eq!(show(&env, "doomed")["lifecycle_stage"], "deleted");
}

#[test]
fn restore_restores_all_runs() {
    let env = TestEnv::new();
    create(&env, "phoenix");
    let alone = finished_run(&env, "phoenix");
    let other = finished_run(&env, "phoenix");
    // One run deleted on its own before the experiment.
    env.mlf(&["runs", "delete", &alone]).ok();
    env.mlf(&["experiments", "delete", "phoenix"]).ok();

    // A run of a deleted experiment cannot be restored on its own.
    assert_refused(&env, &["runs", "restore", &other]);

    let out = env.mlf(&["experiments", "restore", "phoenix"]).ok();
    assert!(out.stderr.contains("phoenix"), "{out}");
    assert_eq!(show(&env, "phoenix")["lifecycle_stage"], "active");
    assert_eq!(run_stage(&env, &alone), "active");
    assert_eq!(run_stage(&env, &other), "active");
    assert_eq!(
        run_ids(&env, &["-x", "phoenix"]),
        BTreeSet::from([alone, other])
    );
}

#[test]
fn restore_by_id() {
    let env = TestEnv::new();
    create(&env, "x");
    env.mlf(&["experiments", "delete", "1"]).ok();
    env.mlf(&["experiments", "restore", "1"]).ok();
    assert_eq!(show(&env, "1")["lifecycle_stage"], "active");
}

#[test]
fn restoring_an_active_or_deleting_a_deleted_experiment_is_refused() {
    let env = TestEnv::new();
    create(&env, "x");
    let out = assert_refused(&env, &["experiments", "restore", "x"]);
    assert!(out.stderr.contains("not deleted"), "{out}");
    env.mlf(&["experiments", "delete", "x"]).ok();
    let out = assert_refused(&env, &["experiments", "delete", "x"]);
    assert!(out.stderr.contains("already deleted"), "{out}");
    assert_refused(&env, &["experiments", "delete", "nope"]);
    assert_refused(&env, &["experiments", "restore", "nope"]);
}

#[test]
fn deleting_default_is_refused() {
    let env = TestEnv::new();
    let run = finished_run(&env, "Default");
    for spec in ["Default", "0"] {
        let out = assert_refused(&env, &["experiments", "delete", spec]);
        assert!(out.stderr.contains("Default"), "{out}");
    }
    assert_eq!(run_stage(&env, &run), "active");
    assert_eq!(show(&env, "0")["lifecycle_stage"], "active");
}

#[test]
fn runs_cannot_start_in_a_deleted_experiment() {
    let env = TestEnv::new();
    create(&env, "closed");
    env.mlf(&["experiments", "delete", "closed"]).ok();
    let out = assert_refused(&env, &["run", "start", "-x", "closed"]);
    assert!(out.stderr.contains("deleted"), "{out}");
}

#[test]
fn renaming_a_deleted_experiment_is_refused() {
    let env = TestEnv::new();
    create(&env, "closed");
    env.mlf(&["experiments", "delete", "closed"]).ok();
    assert_refused(&env, &["experiments", "rename", "closed", "open"]);
}

#[test]
fn run_start_with_a_new_experiment_name_creates_it() {
    let env = TestEnv::new();
    let id = env.start_run(&["-x", "fresh"]);
    let exp = show(&env, "fresh");
    assert_eq!(exp["experiment_id"], "1");
    let run = env
        .mlf(&["runs", "show", &id, "--format", "json"])
        .ok()
        .json();
    assert_eq!(run["run"]["info"]["experiment_id"], "1");
}

#[test]
fn artifact_location_is_used_for_runs() {
    let env = TestEnv::new();
    let dir = env.dir.path().join("elsewhere");
    std::fs::create_dir_all(&dir).unwrap();
    let out = env
        .mlf(&[
            "experiments",
            "create",
            "remote-ish",
            "--artifact-location",
            dir.to_str().unwrap(),
        ])
        .ok();
    assert_eq!(out.stdout.trim(), "1");
    assert_eq!(
        show(&env, "remote-ish")["artifact_location"],
        dir.display().to_string()
    );
    let id = env.start_run(&["-x", "remote-ish"]);
    env.write("f.txt", "hello");
    env.mlf(&["log", "artifact", "f.txt"]).ok();
    let copied = dir.join(&id).join("artifacts").join("f.txt");
    assert_eq!(std::fs::read_to_string(&copied).unwrap(), "hello");

    assert_refused(
        &env,
        &[
            "experiments",
            "create",
            "s3",
            "--artifact-location",
            "s3://bucket/path",
        ],
    );
}
