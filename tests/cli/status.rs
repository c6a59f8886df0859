//! `mlf status`: the store, the active run, running runs, and the best run per recent
//! experiment (by its primary metric, else its first metric). Dead runs are checked with the
//! killed `mlf run` in `run.rs`.

use crate::support::{TestEnv, sqlite};

#[test]
fn status_without_a_store_says_where_one_would_be() {
    let env = TestEnv::new();
    let out = env.mlf(&["status"]).ok();
    assert!(
        out.stdout
            .starts_with("store  none yet (the first run creates "),
        "{out}"
    );
    let json = env.mlf(&["status", "--format", "json"]).ok().json();
    assert_eq!(json["store"]["kind"], "none");
    assert!(!env.store().exists(), "status created a store");
}

#[test]
fn status_shows_the_store_the_active_run_and_the_best_runs() {
    let env = TestEnv::new();
    for (exp, name, out) in [
        ("fit", "one", "loss=0.5\nacc=0.9"),
        ("fit", "two", "loss=0.3\nacc=0.6"),
        ("other", "three", "rmse=2\nr2=0.1"),
        ("other", "four", "rmse=1\nr2=0.3"),
    ] {
        env.mlf(&[
            "run",
            "-x",
            exp,
            "-n",
            name,
            "--capture-metrics",
            "--",
            "printf",
            &format!("{out}\n"),
        ])
        .ok();
    }
    let live = env.start_run(&["-n", "live"]);
    let json = env.mlf(&["status", "--format", "json"]).ok().json();
    assert_eq!(json["store"]["kind"], "local");
    assert!(
        json["store"]["location"]
            .as_str()
            .unwrap()
            .ends_with(".mlf"),
        "{json}"
    );
    assert_eq!(json["active_run"]["run_id"], live.as_str());
    assert_eq!(json["active_run"]["source"], "mlf run start");
    assert_eq!(json["running"][0]["run_name"], "live");
    let best = json["best"].as_array().unwrap();
    // Newest experiment first; `Default` (only `live`, no metrics) has no best run.
    assert_eq!(best.len(), 2, "{json}");
    // No primary metric: the first metric by name, `r2` (higher is better).
    assert_eq!(best[0]["experiment_name"], "other");
    assert_eq!(best[0]["metric"], "r2");
    assert_eq!(best[0]["chosen_by"], "first");
    assert_eq!(best[0]["run_name"], "four");
    // `acc` comes first in `fit`: higher is better, so `one`.
    assert_eq!(best[1]["metric"], "acc");
    assert_eq!(best[1]["run_name"], "one");

    // A primary metric set as the experiment's tag wins: `loss`, lower is better.
    let db = env.store().join("mlf.db");
    sqlite(
        &db,
        "INSERT INTO experiment_tags (experiment_id, key, value) \
         SELECT experiment_id, 'mlf.primary_metric', 'loss' FROM experiments WHERE name = 'fit'",
    )
    .expect("sqlite3");
    let json = env.mlf(&["status", "--format", "json"]).ok().json();
    assert_eq!(json["best"][1]["metric"], "loss", "{json}");
    assert_eq!(json["best"][1]["chosen_by"], "primary");
    assert_eq!(json["best"][1]["higher_is_better"], false);
    assert_eq!(json["best"][1]["run_name"], "two");
    assert_eq!(json["best"][1]["value"], 0.3);

    let text = env.mlf(&["status"]).ok().stdout;
    assert!(
        text.contains(&format!(
            "active run  live ({}), from mlf run start",
            &live[..8]
        )),
        "{text}"
    );
    assert!(text.contains("running (1)\n  live ("), "{text}");
    assert!(text.contains("  fit    two ("), "{text}");
    assert!(text.contains("loss=0.3  [min, primary metric]"), "{text}");
    assert!(text.contains("r2=0.3  [max, first metric]"), "{text}");

    // Inside `mlf run`, the run of the command is the active one.
    let inside = env
        .mlf(&[
            "run",
            "-n",
            "inner",
            "--",
            "sh",
            "-c",
            &format!("'{}' status --format json", crate::support::mlf_bin()),
        ])
        .ok();
    let json: serde_json::Value = serde_json::from_str(&inside.stdout).unwrap();
    assert_eq!(json["active_run"]["run_name"], "inner", "{inside}");
    assert_eq!(json["active_run"]["source"], "MLF_RUN_ID");
}
