//! `mlf run --system-metrics`: MLflow's `system/…` keys sampled while the command runs.

use crate::support::{TestEnv, history, only_run};

/// MLflow's names for the machine's metrics (GPU keys need a GPU), and mlf's process tree.
const KEYS: [&str; 12] = [
    "system/cpu_utilization_percentage",
    "system/system_memory_usage_megabytes",
    "system/system_memory_usage_percentage",
    "system/disk_usage_megabytes",
    "system/disk_usage_percentage",
    "system/disk_available_megabytes",
    "system/network_receive_megabytes",
    "system/network_transmit_megabytes",
    "system/process_cpu_percentage",
    "system/process_memory_rss_megabytes",
    "system/process_memory_percentage",
    "system/process_threads",
];

fn assert_sampled(env: &TestEnv) {
    let id = only_run(env);
    for key in KEYS {
        let points = history(env, &id, key);
        assert!(points.len() >= 2, "{key}: {points:?}");
        let steps: Vec<i64> = points.iter().map(|p| p.0).collect();
        assert_eq!(steps[..2], [0, 1], "{key} steps");
    }
}

#[test]
fn a_three_second_run_sampled_every_second_has_every_key_twice() {
    let env = TestEnv::new();
    env.mlf(&["run", "--system-metrics=1", "--", "sleep", "3"])
        .ok();
    assert_sampled(&env);
}

#[test]
fn the_mlflow_variable_turns_sampling_on() {
    let mut env = TestEnv::new();
    env.set("MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING", "true");
    env.set("MLFLOW_SYSTEM_METRICS_SAMPLING_INTERVAL", "1");
    env.mlf(&["run", "--", "sleep", "3"]).ok();
    assert_sampled(&env);
}

#[test]
fn without_the_flag_nothing_is_sampled() {
    let env = TestEnv::new();
    env.mlf(&["run", "--", "true"]).ok();
    let id = only_run(&env);
    let run = env
        .mlf(&["runs", "show", &id, "--format", "json"])
        .ok()
        .json();
    let metrics = run["run"]["data"]["metrics"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(metrics.is_empty(), "{metrics:?}");
}

#[test]
fn a_bad_interval_is_refused_before_the_run() {
    let env = TestEnv::new();
    let out = env
        .mlf(&["run", "--system-metrics=fast", "--", "true"])
        .code(2);
    assert!(
        out.stderr
            .contains("invalid system metrics interval `fast`"),
        "{}",
        out.stderr
    );
    assert!(!env.store().join("mlf.db").exists() || crate::support::runs(&env).is_empty());
}

#[test]
fn project_runs_sample_too() {
    let env = TestEnv::new();
    env.write(
        "proj/MLproject",
        "name: p\nentry_points:\n  main:\n    command: sleep 3\n",
    );
    env.mlf(&[
        "project",
        "run",
        "proj",
        "--env-manager",
        "local",
        "--system-metrics=1",
    ])
    .ok();
    assert_sampled(&env);
}
