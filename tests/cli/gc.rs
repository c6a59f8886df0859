//! `mlf gc`: deleted runs and experiments removed for good, orphans and dead registry files,
//! the dry run, ages, and loggers running meanwhile.

use std::path::PathBuf;
use std::process::Stdio;

use crate::support::{TestEnv, history, runs};

/// A run with a param, a metric history and an artifact; its id and artifact directory.
fn logged_run(env: &TestEnv, exp: &str, n: usize) -> (String, PathBuf) {
    let id = env.start_run(&["-x", exp, "-p", &format!("n={n}")]);
    for step in 0..3 {
        env.mlf(&[
            "log",
            "metric",
            "loss",
            &format!("0.{step}"),
            "--step",
            &step.to_string(),
            "--run",
            &id,
        ])
        .ok();
    }
    let file = env.write(&format!("blob-{n}.bin"), &"x".repeat(50_000));
    env.mlf(&["log", "artifact", file.to_str().unwrap(), "--run", &id])
        .ok();
    env.mlf(&["run", "end", "--run", &id]).ok();
    let show = env
        .mlf(&["runs", "show", &id, "--format", "json"])
        .ok()
        .json();
    let uri = show["run"]["info"]["artifact_uri"]
        .as_str()
        .unwrap()
        .to_string();
    (id, PathBuf::from(uri.trim_start_matches("file://")))
}

fn ids_listed(env: &TestEnv) -> Vec<String> {
    runs(env)
        .iter()
        .map(|r| r["info"]["run_id"].as_str().unwrap().to_string())
        .collect()
}

fn all_ids(env: &TestEnv) -> String {
    env.mlf(&["runs", "list", "--all", "--format", "json"])
        .ok()
        .stdout
}

#[test]
fn the_dry_run_lists_and_changes_nothing() {
    let env = TestEnv::new();
    let (gone, _) = logged_run(&env, "a", 1);
    logged_run(&env, "a", 2);
    env.mlf(&["runs", "delete", &gone]).ok();
    let before = env.snapshot_store();
    let out = env.mlf(&["gc", "--dry-run"]).ok();
    assert!(out.stdout.contains(&gone), "{}", out.stdout);
    assert!(out.stderr.contains("Would remove 1 run"), "{}", out.stderr);
    assert!(out.stderr.contains("48.8 KiB reclaimed"), "{}", out.stderr);
    assert_eq!(env.snapshot_store(), before);
}

#[test]
fn deleted_runs_and_experiments_go_and_live_runs_stay() {
    let env = TestEnv::new();
    let (gone, gone_dir) = logged_run(&env, "a", 1);
    let (kept, kept_dir) = logged_run(&env, "a", 2);
    let (in_exp, exp_dir) = logged_run(&env, "old", 3);
    env.mlf(&["runs", "delete", &gone]).ok();
    env.mlf(&["experiments", "delete", "old"]).ok();
    assert!(gone_dir.join("blob-1.bin").is_file());
    let out = env.mlf(&["gc"]).ok();
    assert!(
        out.stderr.contains("Removed 2 runs, 1 experiment"),
        "{}",
        out.stderr
    );
    // Gone from every listing, rows and files.
    let listed = all_ids(&env);
    assert!(
        !listed.contains(&gone) && !listed.contains(&in_exp),
        "{listed}"
    );
    env.mlf(&["runs", "show", &gone]).code(2);
    assert!(!gone_dir.exists() && !exp_dir.exists());
    assert!(
        !gone_dir.parent().unwrap().exists(),
        "the run's directory is gone"
    );
    let exps = env
        .mlf(&["experiments", "list", "--all", "--format", "json"])
        .ok()
        .stdout;
    assert!(!exps.contains("\"old\""), "{exps}");
    // The live run is whole.
    assert_eq!(ids_listed(&env), vec![kept.clone()]);
    assert_eq!(history(&env, &kept, "loss").len(), 3);
    assert_eq!(
        std::fs::metadata(kept_dir.join("blob-2.bin"))
            .unwrap()
            .len(),
        50_000
    );
    // The name is free again.
    env.mlf(&["experiments", "create", "old"]).ok();
    // A second collection finds nothing.
    let again = env.mlf(&["gc"]).ok();
    assert!(
        again.stderr.contains("Removed 0 runs, 0 experiments"),
        "{}",
        again.stderr
    );
}

#[test]
fn older_than_keeps_recent_deletions() {
    let env = TestEnv::new();
    let (gone, _) = logged_run(&env, "a", 1);
    env.mlf(&["runs", "delete", &gone]).ok();
    env.mlf(&["gc", "--older-than", "1d"]).ok();
    assert!(all_ids(&env).contains(&gone));
    env.mlf(&["gc", "--older-than", "0s"]).ok();
    assert!(!all_ids(&env).contains(&gone));
}

#[test]
fn experiment_filter_collects_only_there() {
    let env = TestEnv::new();
    let (a, _) = logged_run(&env, "a", 1);
    let (b, _) = logged_run(&env, "b", 2);
    env.mlf(&["runs", "delete", &a, &b]).ok();
    env.mlf(&["gc", "-x", "a"]).ok();
    let listed = all_ids(&env);
    assert!(!listed.contains(&a) && listed.contains(&b), "{listed}");
    let out = env.mlf(&["gc", "-x", "nope"]).code(2);
    assert!(out.stderr.contains("nope"), "{}", out.stderr);
}

#[test]
fn orphaned_artifacts_and_dead_version_files_go() {
    let env = TestEnv::new();
    let (kept, kept_dir) = logged_run(&env, "a", 1);
    let exp_dir = kept_dir.parent().unwrap().parent().unwrap();
    let orphan = exp_dir.join("0123456789abcdef0123456789abcdef");
    std::fs::create_dir_all(orphan.join("artifacts")).unwrap();
    std::fs::write(orphan.join("artifacts/x"), "lost").unwrap();
    let dead = env.store().join("registry/ghost/3");
    std::fs::create_dir_all(&dead).unwrap();
    std::fs::write(dead.join("model.bin"), "old").unwrap();
    let out = env.mlf(&["gc"]).ok();
    assert!(
        out.stdout.contains("0123456789abcdef0123456789abcdef"),
        "{}",
        out.stdout
    );
    assert!(!orphan.exists() && !dead.exists() && !dead.parent().unwrap().exists());
    assert!(kept_dir.join("blob-1.bin").is_file(), "{kept}");
}

#[test]
fn collecting_while_others_log_loses_nothing() {
    let env = TestEnv::new();
    for n in 0..6 {
        let (id, _) = logged_run(&env, "busy", n);
        env.mlf(&["runs", "delete", &id]).ok();
    }
    let live = env.start_run(&["-x", "busy"]);
    let loggers: Vec<_> = (0..4)
        .map(|w| {
            let cmds: Vec<std::process::Command> = (0..25)
                .map(|i| {
                    let (key, value, step) = (format!("m{w}"), i.to_string(), i.to_string());
                    let mut c = env.command(&[
                        "log", "metric", &key, &value, "--step", &step, "--run", &live,
                    ]);
                    c.stdout(Stdio::null()).stderr(Stdio::piped());
                    c
                })
                .collect();
            std::thread::spawn(move || {
                cmds.into_iter()
                    .all(|mut c| c.output().map(|o| o.status.success()).unwrap_or(false))
            })
        })
        .collect();
    for _ in 0..3 {
        env.mlf(&["gc"]).ok();
    }
    for l in loggers {
        assert!(l.join().unwrap(), "a logger failed");
    }
    for w in 0..4 {
        assert_eq!(history(&env, &live, &format!("m{w}")).len(), 25, "m{w}");
    }
    let listed = all_ids(&env);
    assert_eq!(listed.matches("\"run_id\"").count(), 1, "{listed}");
}
