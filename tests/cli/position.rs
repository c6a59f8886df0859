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

#[test]
fn unknown_names_suggest_the_closest_and_short_prefixes_say_four() {
    let env = four_runs();
    let out = env.mlf(&["runs", "show", "wramup"]).code(2);
    assert!(out.stderr.contains("no run matches `wramup`"), "{out}");
    let out = env.mlf(&["runs", "show", "cc"]).code(2);
    assert!(
        out.stderr.contains("hint: did you mean `c`?") || out.stderr.contains("4 or more"),
        "{out}"
    );
    let out = env.mlf(&["runs", "show", "abc"]).code(2);
    assert!(
        out.stderr
            .contains("hint: a run id prefix needs 4 or more characters"),
        "{out}"
    );
    let out = env.mlf(&["runs", "list", "-x", "onee"]).code(2);
    assert!(out.stderr.contains("hint: did you mean `one`?"), "{out}");
}

#[test]
fn a_misspelt_run_name_suggests_the_right_one() {
    let env = TestEnv::new();
    env.start_run(&["-n", "warmup"]);
    env.mlf(&["run", "end"]).ok();
    let out = env.mlf(&["runs", "show", "wramup"]).code(2);
    assert!(out.stderr.contains("hint: did you mean `warmup`?"), "{out}");
    let out = env.mlf(&["runs", "diff", "wramup", "warmup"]).code(2);
    assert!(out.stderr.contains("did you mean `warmup`?"), "{out}");
}

#[test]
fn deleted_runs_are_marked_in_runs_list_all() {
    let env = four_runs();
    env.mlf(&["runs", "delete", "b"]).ok();
    let out = env.mlf(&["runs", "list", "--all"]).ok();
    let line = out
        .stdout
        .lines()
        .find(|l| l.contains(" b "))
        .expect("b listed");
    assert!(line.contains("b (deleted)"), "{out}");
    assert!(!out.stdout.contains("a (deleted)"), "{out}");
}

/// Colour on a terminal, none when `TERM=dumb` (unless `CLICOLOR_FORCE`); the terminal is a
/// pseudo-terminal from `script`.
#[test]
fn term_dumb_gets_no_colour() {
    let env = four_runs();
    let on_tty = |term: &str, force: bool| {
        let mut cmd = std::process::Command::new("script");
        let line = format!("'{}' --no-pager runs list", crate::support::mlf_bin());
        cmd.args(["-qec", &line, "/dev/null"])
            .current_dir(env.cwd());
        env.pin_env(&mut cmd);
        cmd.env_remove("NO_COLOR").env("TERM", term);
        if force {
            cmd.env("CLICOLOR_FORCE", "1");
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert!(
        on_tty("xterm", false).contains("\x1b["),
        "colour on a terminal"
    );
    let dumb = on_tty("dumb", false);
    assert!(
        dumb.contains("STATUS") && !dumb.contains("\x1b["),
        "{dumb:?}"
    );
    assert!(
        on_tty("dumb", true).contains("\x1b["),
        "CLICOLOR_FORCE wins"
    );
}

#[test]
fn head_and_last_are_synonyms_of_at() {
    let env = four_runs();
    assert_eq!(shown_name(&env, &["HEAD"]), "d");
    assert_eq!(shown_name(&env, &["last"]), "d");
    assert_eq!(shown_name(&env, &["HEAD~2"]), "b");
    assert_eq!(shown_name(&env, &["HEAD~", "-x", "one"]), "b");
}

#[test]
fn runs_diff_is_coloured_on_a_colour_terminal_only() {
    let mut env = four_runs();
    env.set("NO_COLOR", "");
    let out = env
        .mlf_tty(&["--no-pager", "runs", "diff", "-x", "one"])
        .ok();
    assert!(out.stdout.contains("\x1b[1mparams\x1b[0m"), "{out}");
    assert!(out.stdout.contains("\x1b[33m  ~ lr  2 → 3"), "{out}");
    // Piped: plain text.
    let out = env.mlf(&["runs", "diff", "-x", "one"]).ok();
    assert!(!out.stdout.contains('\x1b'), "{out}");
    assert!(out.stdout.contains("\n  ~ lr  2 → 3\n"), "{out}");
}

#[test]
fn an_unknown_model_suggests_the_closest_name() {
    let env = TestEnv::new();
    env.mlf(&["registry", "create", "churn"]).ok();
    let out = env.mlf(&["registry", "show", "chrun"]).code(2);
    assert!(
        out.stderr
            .contains("error: no registered model named `chrun`"),
        "{out}"
    );
    assert!(out.stderr.contains("hint: did you mean `churn`?"), "{out}");
    let out = env
        .mlf(&["registry", "promote", "zzzzzz", "1", "--to", "staging"])
        .code(2);
    assert!(
        out.stderr
            .contains("hint: list the registered models with `mlf registry list`"),
        "{out}"
    );
}
