//! Settings: `[defaults]` and `[alias]` in the user's `~/.config/mlf/config.toml` (or under
//! `XDG_CONFIG_HOME`) and the store's `.mlf/config.toml`; the store's win, flags win over both;
//! a bad file is one line naming the file, the key and the fix.

use crate::support::TestEnv;

fn user_config(env: &TestEnv, text: &str) -> std::path::PathBuf {
    let path = env.dir.path().join("home/.config/mlf/config.toml");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

fn experiment_of_latest(env: &TestEnv) -> String {
    let run = crate::support::run_of(env, "@");
    let id = run["info"]["experiment_id"].as_str().unwrap().to_string();
    env.mlf(&["experiments", "show", &id, "--format", "json"])
        .ok()
        .json()["experiment"]["name"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| id)
}

#[test]
fn defaults_from_the_user_and_the_store_with_flags_winning() {
    let mut env = TestEnv::new();
    user_config(
        &env,
        "[defaults]\nexperiment = \"mine\"\ncapture-metrics = true\ncolumns = \"lr\"\n",
    );
    env.mlf(&["run", "-p", "lr=1", "-p", "bs=2", "--", "echo", "loss=0.5"])
        .ok();
    assert_eq!(experiment_of_latest(&env), "mine");
    assert_eq!(crate::support::history(&env, "@", "loss"), vec![(0, 0.5)]);
    let list = env.mlf(&["runs", "list"]).ok().stdout;
    let header = list.lines().next().unwrap();
    assert!(header.ends_with(" lr"), "only the default columns: {list}");
    // Flags win.
    env.mlf(&[
        "run",
        "-x",
        "flagged",
        "--no-capture-metrics",
        "--",
        "echo",
        "acc=1",
    ])
    .ok();
    assert_eq!(experiment_of_latest(&env), "flagged");
    let run = crate::support::run_of(&env, "@");
    assert!(crate::support::metric(&run, "acc").is_none(), "{run}");
    let list = env.mlf(&["runs", "list", "--columns", "bs"]).ok().stdout;
    assert!(list.lines().next().unwrap().ends_with(" bs"), "{list}");
    // The store's settings win over the user's.
    std::fs::write(
        env.store().join("config.toml"),
        "[registry]\nprotected_stages = []\n\n[defaults]\nexperiment = \"team\"\n",
    )
    .unwrap();
    env.mlf(&["run", "--", "true"]).ok();
    assert_eq!(experiment_of_latest(&env), "team");
    // XDG_CONFIG_HOME moves the user's file.
    let xdg = env.dir.path().join("xdg");
    std::fs::create_dir_all(xdg.join("mlf")).unwrap();
    std::fs::write(
        xdg.join("mlf/config.toml"),
        "[defaults]\ncapture-metrics = false\n",
    )
    .unwrap();
    env.set("XDG_CONFIG_HOME", &xdg.display().to_string());
    env.mlf(&["run", "--", "echo", "f1=2"]).ok();
    let run = crate::support::run_of(&env, "@");
    assert!(crate::support::metric(&run, "f1").is_none(), "{run}");
}

#[test]
fn aliases_expand_like_git_and_never_hide_a_command() {
    let env = TestEnv::new();
    user_config(
        &env,
        "[alias]\nlast = \"runs show @\"\nbest = [\"runs\", \"list\", \"--order-by\", \"metrics.acc DESC\", \"-n\", \"1\"]\nruns = \"status\"\n",
    );
    env.mlf(&[
        "run",
        "-n",
        "low",
        "--capture-metrics",
        "--",
        "echo",
        "acc=0.1",
    ])
    .ok();
    env.mlf(&[
        "run",
        "-n",
        "high",
        "--capture-metrics",
        "--",
        "echo",
        "acc=0.9",
    ])
    .ok();
    env.mlf(&["run", "-n", "latest", "--", "true"]).ok();
    let out = env.mlf(&["best", "--format", "json"]).ok().json();
    assert_eq!(out["runs"][0]["info"]["run_name"], "high", "{out}");
    let out = env
        .mlf(&["--quiet", "last", "--format", "json"])
        .ok()
        .json();
    assert_eq!(out["run"]["info"]["run_name"], "latest");
    // `runs` is mlf's own command: the alias does not hide it.
    env.mlf(&["runs", "list", "--format", "json"]).ok().json();
    // The store's aliases win.
    std::fs::write(
        env.store().join("config.toml"),
        "[alias]\nbest = \"runs show low\"\n",
    )
    .unwrap();
    let out = env.mlf(&["best", "--format", "json"]).ok().json();
    assert_eq!(out["run"]["info"]["run_name"], "low");
    // Unknown words are still clap's error.
    let out = env.mlf(&["nosuch"]).code(2);
    assert!(
        out.stderr.contains("unrecognized subcommand 'nosuch'"),
        "{out}"
    );
}

#[test]
fn a_bad_settings_file_is_one_line_naming_file_key_and_fix() {
    let env = TestEnv::new();
    let path = user_config(
        &env,
        "[defaults]\nexperiment = \"x\"\ncapture-metrics = \"yes\"\n",
    );
    let out = env.mlf(&["run", "--", "true"]).code(2);
    let first = out.stderr.lines().next().unwrap();
    assert!(
        first.starts_with(&format!(
            "error: invalid settings file `{}`: `capture-metrics` (line 3): invalid type: string \"yes\", expected a boolean",
            path.display()
        )),
        "{out}"
    );
    assert!(
        out.stderr.contains(
            "hint: fix or remove it: [defaults] takes experiment, capture-metrics, columns"
        ),
        "{out}"
    );
    assert_eq!(out.stderr.lines().count(), 2, "{out}");
    assert!(!env.store().exists(), "nothing written");
    user_config(&env, "[defaults]\ncolums = \"lr\"\n");
    let out = env.mlf(&["runs", "list"]).code(2);
    assert!(
        out.stderr
            .contains("`colums` (line 2): unknown field `colums`"),
        "{out}"
    );
}
