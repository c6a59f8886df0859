//! Tests of `mlf` (log), through the binary: `mlf log param|metric|tag|batch`, which run they
//! go to, and that every bad input is refused with exit code 2 and leaves the store unchanged.

use serde_json::{Value, json};

use crate::support::{Output, TestEnv, assert_refused, param, run, run_of, tag};

/// The latest point of one metric of a run's JSON.
fn metric(run: &Value, key: &str) -> Option<Value> {
    run["data"]["metrics"]
        .as_array()
        .expect("data.metrics is an array")
        .iter()
        .find(|m| m["key"] == key)
        .cloned()
}

fn metric_keys(run: &Value) -> Vec<String> {
    run["data"]["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["key"].as_str().unwrap().to_string())
        .collect()
}

/// Runs `mlf ARGS` with extra environment variables.
fn mlf_env(env: &TestEnv, vars: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = env.command(args);
    for (k, v) in vars {
        cmd.env(k, v);
    }
    run(cmd)
}

// ---------------------------------------------------------------------------------------------
// param, metric, tag

#[test]
fn param_metric_and_tag_go_to_the_active_run() {
    let env = TestEnv::new();
    let id = env.start_run(&["--name", "first"]);
    let out = env.mlf(&["log", "param", "lr", "0.01"]).ok();
    assert_eq!(out.stdout, "", "logging prints no data on stdout");
    env.mlf(&["log", "tag", "team", "vision"]).ok();
    env.mlf(&[
        "log",
        "metric",
        "loss",
        "0.25",
        "--step",
        "3",
        "--timestamp",
        "1700000000123",
    ])
    .ok();

    let run = run_of(&env, &id);
    assert_eq!(param(&run, "lr").as_deref(), Some("0.01"));
    assert_eq!(tag(&run, "team").as_deref(), Some("vision"));
    assert_eq!(
        metric(&run, "loss").unwrap(),
        json!({"key": "loss", "value": 0.25, "step": 3, "timestamp": 1700000000123_i64})
    );
}

#[test]
fn metric_step_defaults_to_zero_and_timestamp_to_now() {
    let env = TestEnv::new();
    let id = env.start_run(&[]);
    // `MLF_TEST_NOW` pins the clock.
    mlf_env(
        &env,
        &[("MLF_TEST_NOW", "1700000000042")],
        &["log", "metric", "acc", "0.5"],
    )
    .ok();
    let m = metric(&run_of(&env, &id), "acc").unwrap();
    assert_eq!(
        m,
        json!({"key": "acc", "value": 0.5, "step": 0, "timestamp": 1700000000042_i64})
    );
}

#[test]
fn negative_values_and_steps_need_no_double_dash() {
    let env = TestEnv::new();
    let id = env.start_run(&[]);
    env.mlf(&["log", "metric", "delta", "-0.5", "--step", "-2"])
        .ok();
    let m = metric(&run_of(&env, &id), "delta").unwrap();
    assert_eq!(m["value"], json!(-0.5));
    assert_eq!(m["step"], -2);
}

#[test]
fn keys_may_use_mlflow_characters() {
    let env = TestEnv::new();
    let id = env.start_run(&[]);
    let max_key = "k".repeat(250);
    for key in ["val/acc top1", "a.b-c_d:e", "é", max_key.as_str()] {
        env.mlf(&["log", "metric", key, "1"]).ok();
    }
    let keys = metric_keys(&run_of(&env, &id));
    for key in ["val/acc top1", "a.b-c_d:e", "é", max_key.as_str()] {
        assert!(keys.iter().any(|k| k == key), "{key} missing from {keys:?}");
    }
}

#[test]
fn run_flag_accepts_id_prefix_and_name() {
    let env = TestEnv::new();
    let id = env.start_run(&["--name", "alpha"]);
    env.mlf(&["run", "end"]).ok();
    env.mlf(&["log", "param", "a", "1", "--run", &id]).ok();
    env.mlf(&["log", "param", "b", "2", "--run", &id[..8]]).ok();
    env.mlf(&["log", "param", "c", "3", "-r", "alpha"]).ok();
    let run = run_of(&env, &id);
    assert_eq!(param(&run, "a").as_deref(), Some("1"));
    assert_eq!(param(&run, "b").as_deref(), Some("2"));
    assert_eq!(param(&run, "c").as_deref(), Some("3"));
}

#[test]
fn run_is_chosen_by_flag_then_env_then_active_run() {
    let env = TestEnv::new();
    let a = env.start_run(&["--name", "a"]);
    env.mlf(&["run", "end"]).ok();
    let b = env.start_run(&["--name", "b"]);
    env.mlf(&["run", "end"]).ok();
    let c = env.start_run(&["--name", "c"]);
    // `c` is now the active run; `a` and `b` are ended.

    // No flag, no env: the active run.
    env.mlf(&["log", "tag", "who", "active"]).ok();
    // MLFLOW_RUN_ID beats the active run.
    mlf_env(
        &env,
        &[("MLFLOW_RUN_ID", &b)],
        &["log", "tag", "who", "mlflow"],
    )
    .ok();
    // MLF_RUN_ID beats MLFLOW_RUN_ID.
    mlf_env(
        &env,
        &[("MLF_RUN_ID", &a), ("MLFLOW_RUN_ID", &b)],
        &["log", "tag", "who", "mlf"],
    )
    .ok();
    // --run beats both.
    mlf_env(
        &env,
        &[("MLF_RUN_ID", &a), ("MLFLOW_RUN_ID", &a)],
        &["log", "param", "flag", "yes", "--run", &b],
    )
    .ok();
    // An empty variable counts as unset.
    mlf_env(&env, &[("MLF_RUN_ID", "")], &["log", "param", "empty", "x"]).ok();

    assert_eq!(tag(&run_of(&env, &c), "who").as_deref(), Some("active"));
    assert_eq!(tag(&run_of(&env, &b), "who").as_deref(), Some("mlflow"));
    assert_eq!(tag(&run_of(&env, &a), "who").as_deref(), Some("mlf"));
    assert_eq!(param(&run_of(&env, &b), "flag").as_deref(), Some("yes"));
    assert_eq!(param(&run_of(&env, &a), "flag"), None);
    assert_eq!(param(&run_of(&env, &c), "empty").as_deref(), Some("x"));
}

#[test]
fn unknown_run_in_env_is_refused_and_named() {
    let env = TestEnv::new();
    env.start_run(&[]);
    let before = env.snapshot_store();
    let out = mlf_env(
        &env,
        &[("MLF_RUN_ID", "0123456789abcdef0123456789abcdef")],
        &["log", "metric", "loss", "1"],
    )
    .code(2);
    assert!(out.stderr.contains("MLF_RUN_ID"), "{out}");
    assert!(out.stderr.contains("hint:"), "{out}");
    let out = mlf_env(
        &env,
        &[("MLFLOW_RUN_ID", "no-such-run")],
        &["log", "metric", "loss", "1"],
    )
    .code(2);
    assert!(out.stderr.contains("MLFLOW_RUN_ID"), "{out}");
    assert_eq!(env.snapshot_store(), before);
}

#[test]
fn params_are_write_once() {
    let env = TestEnv::new();
    let id = env.start_run(&[]);
    env.mlf(&["log", "param", "lr", "0.01"]).ok();
    // The same value again is fine.
    env.mlf(&["log", "param", "lr", "0.01"]).ok();
    // A different one is refused, naming the key, the old and the new value.
    let out = assert_refused(&env, &["log", "param", "lr", "0.02"]);
    for needle in ["`lr`", "0.01", "0.02"] {
        assert!(out.stderr.contains(needle), "missing {needle}:\n{out}");
    }
    assert_eq!(param(&run_of(&env, &id), "lr").as_deref(), Some("0.01"));
}

#[test]
fn params_given_with_run_start_are_write_once_too() {
    let env = TestEnv::new();
    let id = env.start_run(&["-p", "bs=32"]);
    env.mlf(&["log", "param", "bs", "32"]).ok();
    assert_refused(&env, &["log", "param", "bs", "64"]);
    assert_eq!(param(&run_of(&env, &id), "bs").as_deref(), Some("32"));
}

#[test]
fn tags_overwrite() {
    let env = TestEnv::new();
    let id = env.start_run(&[]);
    env.mlf(&["log", "tag", "stage", "draft"]).ok();
    env.mlf(&["log", "tag", "stage", "final"]).ok();
    let run = run_of(&env, &id);
    assert_eq!(tag(&run, "stage").as_deref(), Some("final"));
    let count = run["data"]["tags"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["key"] == "stage")
        .count();
    assert_eq!(count, 1);
}

#[test]
fn run_name_tag_renames_the_run() {
    let env = TestEnv::new();
    let id = env.start_run(&["--name", "before"]);
    env.mlf(&["log", "tag", "mlflow.runName", "after"]).ok();
    let run = run_of(&env, &id);
    assert_eq!(run["info"]["run_name"], "after");
    // And the new name resolves.
    assert_eq!(run_of(&env, "after")["info"]["run_id"], id.as_str());
}

#[test]
fn nan_and_infinities_are_accepted_and_rendered_as_mlflow_does() {
    let env = TestEnv::new();
    let id = env.start_run(&[]);
    env.mlf(&["log", "metric", "a", "NaN"]).ok();
    env.mlf(&["log", "metric", "b", "inf"]).ok();
    env.mlf(&["log", "metric", "c", "-inf"]).ok();
    env.mlf(&["log", "metric", "d", "Infinity"]).ok();
    env.mlf(&["log", "metric", "e", "-Infinity"]).ok();
    env.mlf(&["log", "metric", "f", "1e-3"]).ok();
    let run = run_of(&env, &id);
    assert_eq!(metric(&run, "a").unwrap()["value"], "NaN");
    assert_eq!(metric(&run, "b").unwrap()["value"], "Infinity");
    assert_eq!(metric(&run, "c").unwrap()["value"], "-Infinity");
    assert_eq!(metric(&run, "d").unwrap()["value"], "Infinity");
    assert_eq!(metric(&run, "e").unwrap()["value"], "-Infinity");
    assert_eq!(metric(&run, "f").unwrap()["value"], json!(0.001));
}

#[test]
fn latest_metric_is_the_max_by_step_then_timestamp() {
    let env = TestEnv::new();
    let id = env.start_run(&[]);
    let log = |value: &str, step: &str, ts: &str| {
        env.mlf(&[
            "log",
            "metric",
            "loss",
            value,
            "--step",
            step,
            "--timestamp",
            ts,
        ])
        .ok();
    };
    let latest = || {
        let m = metric(&run_of(&env, &id), "loss").unwrap();
        (
            m["value"].clone(),
            m["step"].as_i64().unwrap(),
            m["timestamp"].as_i64().unwrap(),
        )
    };

    log("1", "2", "100");
    assert_eq!(latest(), (json!(1.0), 2, 100));
    // A lower step logged later does not replace it, even with a later timestamp.
    log("2", "1", "900");
    assert_eq!(latest(), (json!(1.0), 2, 100));
    // Same step, earlier timestamp: no.
    log("3", "2", "50");
    assert_eq!(latest(), (json!(1.0), 2, 100));
    // Same step, later timestamp: yes.
    log("4", "2", "150");
    assert_eq!(latest(), (json!(4.0), 2, 150));
    // Higher step, earlier timestamp: yes.
    log("5", "3", "10");
    assert_eq!(latest(), (json!(5.0), 3, 10));
    // NaN at a higher step becomes the latest value.
    log("NaN", "4", "10");
    assert_eq!(latest(), (json!("NaN"), 4, 10));
}

#[test]
fn latest_metric_within_one_batch_is_the_max_by_step_then_timestamp() {
    let env = TestEnv::new();
    let id = env.start_run(&[]);
    env.write(
        "points.jsonl",
        concat!(
            r#"{"key":"m","value":7,"step":5,"timestamp":10}"#,
            "\n",
            r#"{"key":"m","value":8,"step":9,"timestamp":5}"#,
            "\n",
            r#"{"key":"m","value":9,"step":2,"timestamp":99}"#,
            "\n",
        ),
    );
    env.mlf(&["log", "batch", "--file", "points.jsonl"]).ok();
    let m = metric(&run_of(&env, &id), "m").unwrap();
    assert_eq!(
        m,
        json!({"key": "m", "value": 8.0, "step": 9, "timestamp": 5})
    );
}

// ---------------------------------------------------------------------------------------------
// refused input

#[test]
fn invalid_keys_are_refused_and_change_nothing() {
    let env = TestEnv::new();
    env.start_run(&[]);
    env.mlf(&["log", "param", "kept", "1"]).ok();
    let long = "k".repeat(251);
    let cases: Vec<(&str, &str)> = vec![
        ("bad$key", "bad$key"),
        ("a//b", "a//b"),
        ("/abs", "/abs"),
        ("../x", "../x"),
        ("a/", "a/"),
        ("a/./b", "a/./b"),
        ("", "empty"),
        (&long, "250"),
    ];
    for kind in ["param", "metric", "tag"] {
        for (key, needle) in &cases {
            let out = assert_refused(&env, &["log", kind, key, "1"]);
            assert!(
                out.stderr.contains(needle),
                "`mlf log {kind}` with key {key:?}: the error does not mention {needle:?}:\n{out}"
            );
        }
    }
}

#[test]
fn non_numeric_metric_values_are_refused() {
    let env = TestEnv::new();
    env.start_run(&[]);
    for value in ["abc", "", "1,5", "true", "0x10"] {
        let out = assert_refused(&env, &["log", "metric", "loss", value]);
        assert!(out.stderr.contains("loss"), "{out}");
    }
}

#[test]
fn bad_step_and_timestamp_are_refused() {
    let env = TestEnv::new();
    env.start_run(&[]);
    assert_refused(&env, &["log", "metric", "loss", "1", "--step", "abc"]);
    assert_refused(&env, &["log", "metric", "loss", "1", "--step", "1.5"]);
    assert_refused(&env, &["log", "metric", "loss", "1", "--timestamp", "soon"]);
    let out = assert_refused(&env, &["log", "metric", "loss", "1", "--timestamp=-5"]);
    assert!(out.stderr.contains("-5"), "{out}");
}

#[test]
fn unknown_run_is_refused() {
    let env = TestEnv::new();
    env.start_run(&[]);
    for run in [
        "0123456789abcdef0123456789abcdef",
        "deadbeef",
        "no-such-name",
    ] {
        let out = assert_refused(&env, &["log", "param", "p", "v", "--run", run]);
        assert!(out.stderr.contains(run), "{out}");
        assert_refused(&env, &["log", "metric", "m", "1", "--run", run]);
        assert_refused(&env, &["log", "tag", "t", "v", "--run", run]);
    }
}

#[test]
fn deleted_run_is_refused() {
    let env = TestEnv::new();
    let id = env.start_run(&[]);
    env.mlf(&["run", "end"]).ok();
    env.mlf(&["runs", "delete", &id]).ok();
    for args in [
        vec!["log", "param", "p", "v", "--run", &id],
        vec!["log", "metric", "m", "1", "--run", &id],
        vec!["log", "tag", "t", "v", "--run", &id],
    ] {
        let out = assert_refused(&env, &args);
        assert!(out.stderr.contains("deleted"), "{out}");
    }
    // Restored, it takes writes again.
    env.mlf(&["runs", "restore", &id]).ok();
    env.mlf(&["log", "param", "p", "v", "--run", &id]).ok();
}

#[test]
fn deleted_active_run_is_refused() {
    let env = TestEnv::new();
    let id = env.start_run(&[]);
    env.mlf(&["runs", "delete", &id]).ok();
    let out = assert_refused(&env, &["log", "metric", "m", "1"]);
    assert!(out.stderr.contains("deleted"), "{out}");
}

#[test]
fn missing_arguments_are_refused() {
    let env = TestEnv::new();
    env.start_run(&[]);
    assert_refused(&env, &["log", "param", "only-key"]);
    assert_refused(&env, &["log", "metric"]);
    assert_refused(&env, &["log", "bogus", "k", "v"]);
}

// ---------------------------------------------------------------------------------------------
// long values

#[test]
fn over_long_param_value_is_truncated_with_a_warning() {
    let env = TestEnv::new();
    let id = env.start_run(&[]);
    let exact = "a".repeat(6000);
    let out = env.mlf(&["log", "param", "fits", &exact]).ok();
    assert!(!out.stderr.contains("warning:"), "{out}");

    let long = format!("{}{}", "b".repeat(6000), "Z");
    let out = env.mlf(&["log", "param", "long", &long]).ok();
    assert!(out.stderr.contains("warning:"), "{out}");
    assert!(out.stderr.contains("long"), "{out}");

    let run = run_of(&env, &id);
    assert_eq!(param(&run, "fits").unwrap(), exact);
    assert_eq!(param(&run, "long").unwrap(), "b".repeat(6000));
}

#[test]
fn over_long_tag_value_is_truncated_with_a_warning() {
    let env = TestEnv::new();
    let id = env.start_run(&[]);
    let long = "t".repeat(8001);
    let out = env.mlf(&["log", "tag", "note", &long]).ok();
    assert!(out.stderr.contains("warning:"), "{out}");
    assert_eq!(tag(&run_of(&env, &id), "note").unwrap(), "t".repeat(8000));
}

#[test]
fn over_long_values_are_refused_when_truncation_is_off() {
    let mut env = TestEnv::new();
    env.start_run(&[]);
    env.set("MLFLOW_TRUNCATE_LONG_VALUES", "false");
    let long = "x".repeat(6001);
    let out = assert_refused(&env, &["log", "param", "long", &long]);
    assert!(out.stderr.contains("6000"), "{out}");
    assert!(out.stderr.contains("long"), "{out}");
    let long_tag = "y".repeat(8001);
    assert_refused(&env, &["log", "tag", "note", &long_tag]);
    // Within the limit, still fine.
    env.mlf(&["log", "param", "ok", &"x".repeat(6000)]).ok();
}

// ---------------------------------------------------------------------------------------------
// no run

#[test]
fn no_run_to_log_to_is_refused_with_a_hint() {
    let env = TestEnv::new();
    env.mlf(&["init"]).ok();
    let out = assert_refused(&env, &["log", "metric", "loss", "1"]);
    assert!(out.stderr.contains("hint:"), "{out}");
    assert!(out.stderr.contains("mlf run start"), "{out}");

    // After `mlf run end` there is no active run any more.
    env.start_run(&[]);
    env.mlf(&["run", "end"]).ok();
    let out = assert_refused(&env, &["log", "param", "lr", "1"]);
    assert!(out.stderr.contains("hint:"), "{out}");
}

#[test]
fn logging_without_any_store_creates_none() {
    let env = TestEnv::new();
    let out = env.mlf(&["log", "metric", "loss", "1"]);
    assert_ne!(out.code, 0, "{out}");
    assert!(out.stderr.contains("error:"), "{out}");
    assert!(out.stderr.contains("hint:"), "{out}");
    assert!(!env.store().exists(), "a store was created");
}

// ---------------------------------------------------------------------------------------------
// batch

#[test]
fn batch_jsonl_records() {
    let env = TestEnv::new();
    let id = env.start_run(&[]);
    env.write(
        "log.jsonl",
        concat!(
            r#"{"key":"loss","value":0.9,"step":0,"timestamp":1000}"#,
            "\n",
            r#"{"type":"metric","key":"loss","value":0.4,"step":1,"timestamp":2000}"#,
            "\n",
            "\n",
            r#"{"type":"metric","key":"acc","value":"NaN","step":1}"#,
            "\n",
            r#"{"type":"param","key":"lr","value":0.01}"#,
            "\n",
            r#"{"type":"param","key":"opt","value":"adam"}"#,
            "\n",
            r#"{"type":"tag","key":"team","value":"vision"}"#,
            "\n",
        ),
    );
    let out = env.mlf(&["log", "batch", "--file", "log.jsonl"]).ok();
    assert!(out.stderr.contains("3 metric points"), "{out}");
    let run = run_of(&env, &id);
    assert_eq!(
        metric(&run, "loss").unwrap(),
        json!({"key": "loss", "value": 0.4, "step": 1, "timestamp": 2000})
    );
    assert_eq!(metric(&run, "acc").unwrap()["value"], "NaN");
    assert_eq!(param(&run, "lr").as_deref(), Some("0.01"));
    assert_eq!(param(&run, "opt").as_deref(), Some("adam"));
    assert_eq!(tag(&run, "team").as_deref(), Some("vision"));
}

#[test]
fn batch_mlflow_log_batch_bodies() {
    let env = TestEnv::new();
    let id = env.start_run(&[]);
    let body = json!({
        "run_id": id,
        "metrics": [
            {"key": "loss", "value": 0.5, "timestamp": 1000, "step": 1},
            {"key": "loss", "value": 0.3, "timestamp": 2000, "step": 2},
            {"key": "grad", "value": "Infinity", "timestamp": 1000, "step": 0}
        ],
        "params": [{"key": "bs", "value": "64"}],
        "tags": [{"key": "mlflow.note.content", "value": "hello"}]
    });
    let second = json!({"metrics": [{"key": "acc", "value": 0.75, "timestamp": 5, "step": 3}]});
    env.write("body.json", &format!("{body}\n{second}\n"));
    env.mlf(&["log", "batch", "--file", "body.json"]).ok();
    let run = run_of(&env, &id);
    assert_eq!(
        metric(&run, "loss").unwrap(),
        json!({"key": "loss", "value": 0.3, "step": 2, "timestamp": 2000})
    );
    assert_eq!(metric(&run, "grad").unwrap()["value"], "Infinity");
    assert_eq!(metric(&run, "acc").unwrap()["value"], json!(0.75));
    assert_eq!(param(&run, "bs").as_deref(), Some("64"));
    assert_eq!(tag(&run, "mlflow.note.content").as_deref(), Some("hello"));
}

#[test]
fn batch_csv_long_form() {
    let env = TestEnv::new();
    let id = env.start_run(&[]);
    env.write(
        "long.csv",
        "type,key,value,step,timestamp\n\
         param,lr,0.1,,\n\
         metric,loss,0.8,0,100\n\
         metric,loss,0.6,1,200\n\
         metric,acc,-inf,1,200\n\
         tag,team,nlp,,\n",
    );
    env.mlf(&["log", "batch", "--file", "long.csv"]).ok();
    let run = run_of(&env, &id);
    assert_eq!(param(&run, "lr").as_deref(), Some("0.1"));
    assert_eq!(tag(&run, "team").as_deref(), Some("nlp"));
    assert_eq!(
        metric(&run, "loss").unwrap(),
        json!({"key": "loss", "value": 0.6, "step": 1, "timestamp": 200})
    );
    assert_eq!(metric(&run, "acc").unwrap()["value"], "-Infinity");
}

#[test]
fn batch_csv_wide_form() {
    let env = TestEnv::new();
    let id = env.start_run(&[]);
    env.write(
        "wide.csv",
        "step,loss,acc\n\
         0,1.0,0.1\n\
         1,0.5,0.4\n\
         2,0.25,\n",
    );
    let out = env.mlf(&["log", "batch", "--file", "wide.csv"]).ok();
    assert!(out.stderr.contains("5 metric points"), "{out}");
    let run = run_of(&env, &id);
    let loss = metric(&run, "loss").unwrap();
    assert_eq!(
        (loss["value"].clone(), loss["step"].clone()),
        (json!(0.25), json!(2))
    );
    // The empty cell is skipped: acc's latest point is still step 1.
    let acc = metric(&run, "acc").unwrap();
    assert_eq!(
        (acc["value"].clone(), acc["step"].clone()),
        (json!(0.4), json!(1))
    );
    assert_eq!(metric_keys(&run), vec!["acc", "loss"]);
}

#[test]
fn batch_from_stdin() {
    let env = TestEnv::new();
    let id = env.start_run(&[]);
    env.mlf_stdin(
        &["log", "batch", "--file", "-"],
        "{\"key\":\"from_json\",\"value\":1.5}\n{\"type\":\"param\",\"key\":\"p\",\"value\":\"x\"}\n",
    )
    .ok();
    env.mlf_stdin(&["log", "batch", "--file", "-"], "step,from_csv\n4,2.5\n")
        .ok();
    env.mlf_stdin(
        &["log", "batch", "--file", "-", "--input-format", "csv"],
        "key,value\nforced,3\n",
    )
    .ok();
    let run = run_of(&env, &id);
    assert_eq!(metric(&run, "from_json").unwrap()["value"], json!(1.5));
    assert_eq!(param(&run, "p").as_deref(), Some("x"));
    let m = metric(&run, "from_csv").unwrap();
    assert_eq!(
        (m["value"].clone(), m["step"].clone()),
        (json!(2.5), json!(4))
    );
    assert_eq!(metric(&run, "forced").unwrap()["value"], json!(3.0));
}

#[test]
fn batch_goes_to_the_run_flag() {
    let env = TestEnv::new();
    let a = env.start_run(&["--name", "a"]);
    env.mlf(&["run", "end"]).ok();
    let b = env.start_run(&["--name", "b"]);
    env.write("m.jsonl", "{\"key\":\"x\",\"value\":1}\n");
    env.mlf(&["log", "batch", "--file", "m.jsonl", "--run", "a"])
        .ok();
    assert!(metric(&run_of(&env, &a), "x").is_some());
    assert!(metric(&run_of(&env, &b), "x").is_none());
}

/// Writes `name` with `text`, runs `log batch` on it and checks the refusal names `line N`.
#[track_caller]
fn assert_batch_refused(env: &TestEnv, name: &str, text: &str, line: usize) -> Output {
    env.write(name, text);
    let out = assert_refused(env, &["log", "batch", "--file", name]);
    assert!(
        out.stderr.contains(&format!("line {line}")),
        "the error does not name line {line}:\n{out}"
    );
    out
}

#[test]
fn batch_bad_line_writes_nothing_and_names_the_line() {
    let env = TestEnv::new();
    env.start_run(&[]);
    let good =
        "{\"key\":\"loss\",\"value\":1}\n{\"type\":\"param\",\"key\":\"lr\",\"value\":\"0.1\"}\n";
    // Not a number.
    assert_batch_refused(
        &env,
        "a.jsonl",
        &format!("{good}{{\"key\":\"acc\",\"value\":\"abc\"}}\n"),
        3,
    );
    // Not JSON at all.
    assert_batch_refused(&env, "b.jsonl", &format!("{good}{{oops\n"), 3);
    // Unknown record type.
    assert_batch_refused(
        &env,
        "c.jsonl",
        &format!("{{\"type\":\"artifact\",\"key\":\"k\",\"value\":1}}\n{good}"),
        1,
    );
    // No key.
    assert_batch_refused(&env, "d.jsonl", &format!("{good}\n{{\"value\":1}}\n"), 4);
    // Unknown field.
    assert_batch_refused(
        &env,
        "e.jsonl",
        &format!("{good}{{\"key\":\"k\",\"value\":1,\"stepp\":2}}\n"),
        3,
    );
    // Wide CSV with a bad cell on line 3.
    assert_batch_refused(&env, "f.csv", "step,loss\n0,1.0\n1,nope\n2,0.5\n", 3);
    // Long CSV with a bad step on line 2.
    assert_batch_refused(&env, "g.csv", "key,value,step\nloss,1,x\n", 2);
    // Long CSV with an unknown type on line 3.
    assert_batch_refused(
        &env,
        "h.csv",
        "type,key,value\nparam,lr,0.1\nmodel,x,1\n",
        3,
    );
}

#[test]
fn batch_invalid_key_names_the_line_and_writes_nothing() {
    let env = TestEnv::new();
    env.start_run(&[]);
    assert_batch_refused(
        &env,
        "keys.jsonl",
        "{\"key\":\"ok\",\"value\":1}\n{\"key\":\"bad$key\",\"value\":2}\n",
        2,
    );
}

#[test]
fn batch_param_conflict_writes_nothing() {
    let env = TestEnv::new();
    let id = env.start_run(&["-p", "lr=0.1"]);
    env.write(
        "c.jsonl",
        "{\"key\":\"loss\",\"value\":1}\n{\"type\":\"tag\",\"key\":\"t\",\"value\":\"v\"}\n{\"type\":\"param\",\"key\":\"lr\",\"value\":\"0.2\"}\n",
    );
    let out = assert_refused(&env, &["log", "batch", "--file", "c.jsonl"]);
    assert!(out.stderr.contains("lr"), "{out}");
    let run = run_of(&env, &id);
    assert!(metric(&run, "loss").is_none());
    assert_eq!(tag(&run, "t"), None);

    // The same param twice in one file with different values.
    env.write(
        "d.jsonl",
        "{\"type\":\"param\",\"key\":\"bs\",\"value\":\"1\"}\n{\"type\":\"param\",\"key\":\"bs\",\"value\":\"2\"}\n",
    );
    assert_refused(&env, &["log", "batch", "--file", "d.jsonl"]);
}

#[test]
fn batch_to_a_deleted_or_unknown_run_is_refused() {
    let env = TestEnv::new();
    let id = env.start_run(&[]);
    env.mlf(&["runs", "delete", &id]).ok();
    env.write("m.jsonl", "{\"key\":\"x\",\"value\":1}\n");
    assert_refused(&env, &["log", "batch", "--file", "m.jsonl", "--run", &id]);
    assert_refused(&env, &["log", "batch", "--file", "m.jsonl"]);
    assert_refused(
        &env,
        &["log", "batch", "--file", "m.jsonl", "--run", "nope"],
    );
}

#[test]
fn batch_missing_file_is_refused() {
    let env = TestEnv::new();
    env.start_run(&[]);
    let out = assert_refused(&env, &["log", "batch", "--file", "missing.jsonl"]);
    assert!(out.stderr.contains("missing.jsonl"), "{out}");
}

#[test]
fn batch_without_a_run_is_refused_with_a_hint() {
    let env = TestEnv::new();
    env.mlf(&["init"]).ok();
    env.write("m.jsonl", "{\"key\":\"x\",\"value\":1}\n");
    let out = assert_refused(&env, &["log", "batch", "--file", "m.jsonl"]);
    assert!(out.stderr.contains("hint:"), "{out}");
}

#[test]
fn batch_of_an_empty_file_logs_nothing_and_warns() {
    let env = TestEnv::new();
    env.start_run(&[]);
    env.write("empty.jsonl", "");
    let before = env.snapshot_store();
    let out = env.mlf(&["log", "batch", "--file", "empty.jsonl"]).ok();
    assert!(out.stderr.contains("warning:"), "{out}");
    assert_eq!(env.snapshot_store(), before);
}
