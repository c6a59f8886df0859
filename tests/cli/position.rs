//! Runs by position, through the binary: `runs show` without a run, `@`, `@~N` (within `-x`),
//! and `runs diff RUN` alone comparing the run before it.

use crate::support::TestEnv;

/// Runs `a`, `b`, `c` in experiment `one`, then `d` in `two`, one second apart.
fn four_runs() -> TestEnv {
    let mut env = TestEnv::new();
    env.pin_clock();
    for (name, exp, lr) in [
        ("a", "one", "1"),
        ("b", "one", "2"),
        ("c", "one", "3"),
        ("d", "two", "4"),
    ] {
        env.start_run(&["-x", exp, "-n", name, "-p", &format!("lr={lr}")]);
        env.mlf(&["run", "end"]).ok();
    }
    env
}

fn shown_name(env: &TestEnv, args: &[&str]) -> String {
    let mut all = vec!["runs", "show"];
    all.extend_from_slice(args);
    all.extend(["--format", "json"]);
    env.mlf(&all).ok().json()["run"]["info"]["run_name"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn runs_show_without_a_run_and_at_positions() {
    let env = four_runs();
    assert_eq!(shown_name(&env, &[]), "d");
    assert_eq!(shown_name(&env, &["@"]), "d");
    assert_eq!(shown_name(&env, &["@~1"]), "c");
    assert_eq!(shown_name(&env, &["@~"]), "c");
    assert_eq!(shown_name(&env, &["@~3"]), "a");
    assert_eq!(shown_name(&env, &["-x", "one"]), "c");
    assert_eq!(shown_name(&env, &["@~2", "-x", "one"]), "a");
    assert_eq!(shown_name(&env, &["b", "-x", "one"]), "b");
    let out = env.mlf(&["runs", "show", "@~2", "-x", "two"]).code(2);
    assert!(
        out.stderr
            .contains("`@~2` names no run: there is only 1 run in experiment `two`"),
        "{out}"
    );
    // Everywhere a run is named.
    let out = env
        .mlf(&["runs", "compare", "@~1", "@", "--format", "json"])
        .ok();
    assert!(
        out.stdout.contains("\"c\"") && out.stdout.contains("\"d\""),
        "{out}"
    );
    env.mlf(&["log", "metric", "loss", "0.5", "--run", "@~1"])
        .ok();
    assert_eq!(
        env.mlf(&["runs", "metric", "@~1", "loss", "--format", "csv"])
            .ok()
            .stdout
            .lines()
            .count(),
        2
    );
}

#[test]
fn no_runs_yet_is_said_plainly() {
    let env = TestEnv::new();
    env.mlf(&["experiments", "create", "empty"]).ok();
    let out = env.mlf(&["runs", "show"]).code(2);
    assert!(out.stderr.contains("no runs yet"), "{out}");
}

fn diffed(env: &TestEnv, args: &[&str]) -> (String, String) {
    let mut all = vec!["runs", "diff"];
    all.extend_from_slice(args);
    all.extend(["--format", "json"]);
    let v = env.mlf(&all).ok().json();
    let param = |side: &str| v["params"][0][side].as_str().unwrap_or("-").to_string();
    (param("a"), param("b"))
}

#[test]
fn runs_diff_of_one_run_compares_the_run_before_it() {
    let env = four_runs();
    // lr tells the runs apart: a=1, b=2, c=3, d=4.
    assert_eq!(diffed(&env, &["c"]), ("2".into(), "3".into()));
    assert_eq!(diffed(&env, &["b"]), ("1".into(), "2".into()));
    assert_eq!(diffed(&env, &["-x", "one"]), ("2".into(), "3".into()));
    assert_eq!(diffed(&env, &["@~3", "@"]), ("1".into(), "4".into()));
    // `d` is the first of its experiment.
    let out = env.mlf(&["runs", "diff"]).code(2);
    assert!(out.stderr.contains("no run before d"), "{out}");
    let out = env.mlf(&["runs", "diff", "a"]).code(2);
    assert!(out.stderr.contains("no run before a"), "{out}");
}
