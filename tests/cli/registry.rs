//! Tests of `mlf registry …`, through the binary: version numbering (never reused), stages and
//! `--archive-existing`, aliases and their reserved names, where a version's files may come from
//! (never from outside the store), `models:/` URIs, protected stages and approvals, the history,
//! and what held each stage and alias at a time (`show --at`).

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::support::{self, Output, TestEnv};

/// `.mlf/config.toml` protecting Production, without self-approval.
const PROTECT_PRODUCTION: &str =
    "[registry]\nprotected_stages = [\"Production\"]\nallow_self_approval = false\n";

/// 2023-11-14T22:13:20Z in milliseconds.
const T0: i64 = 1_700_000_000_000;

/// A test environment in which commands act as `tester` unless told otherwise.
fn new_env() -> TestEnv {
    let mut env = TestEnv::new();
    env.set("MLF_USER", "tester");
    env
}

/// Runs `mlf ARGS` as `user`.
fn as_user(env: &TestEnv, user: &str, args: &[&str]) -> Output {
    let mut cmd = env.command(args);
    cmd.env("MLF_USER", user);
    support::run(cmd)
}

/// Runs `mlf ARGS` as `user` with the clock pinned at `ms`.
fn at_time(env: &TestEnv, ms: i64, user: &str, args: &[&str]) -> Output {
    let mut cmd = env.command(args);
    cmd.env("MLF_USER", user)
        .env("MLF_TEST_NOW", ms.to_string());
    support::run(cmd)
}

/// Starts a run named `train` holding `model/MLmodel` and `model/weights.bin`; returns its id.
fn train_run(env: &TestEnv) -> String {
    let id = env.start_run(&["-n", "train"]);
    env.write("model/MLmodel", "flavors: {}\n");
    env.write("model/weights.bin", "0123456789");
    env.mlf(&["log", "artifact", "model", "--run", "train"])
        .ok();
    id
}

/// The run's artifact directory, from `runs show`.
fn artifact_dir(env: &TestEnv, run: &str) -> PathBuf {
    let v = env
        .mlf(&["runs", "show", run, "--format", "json"])
        .ok()
        .json();
    PathBuf::from(v["run"]["info"]["artifact_uri"].as_str().unwrap())
}

/// The arguments of `registry promote m VERSION --to STAGE`.
fn promote_args<'a>(version: &'a str, to: &'a str) -> [&'a str; 6] {
    ["registry", "promote", "m", version, "--to", to]
}

/// The arguments of `registry request m VERSION --to STAGE -m WHY`.
fn request_args<'a>(version: &'a str, to: &'a str, why: &'a str) -> [&'a str; 8] {
    ["registry", "request", "m", version, "--to", to, "-m", why]
}

/// An environment with the `train` run, model `m` with `versions` versions of its `model`
/// directory, and Production protected without self-approval.
fn protected_model(versions: usize) -> TestEnv {
    let env = new_env();
    train_run(&env);
    for _ in 0..versions {
        register(&env, "runs:/train/model", "m");
    }
    env.write(".mlf/config.toml", PROTECT_PRODUCTION);
    env
}

/// `registry resolve URI`: the storage path it printed.
#[track_caller]
fn resolve(env: &TestEnv, uri: &str) -> String {
    env.mlf(&["registry", "resolve", uri])
        .ok()
        .stdout
        .trim()
        .to_string()
}

/// `registry requests ARGS --format json`.
#[track_caller]
fn requests_json(env: &TestEnv, args: &[&str]) -> Value {
    let mut all = vec!["registry", "requests"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "json"]);
    env.mlf(&all).ok().json()
}

/// `registry register URI --name NAME`; returns the version it printed.
#[track_caller]
fn register(env: &TestEnv, uri: &str, name: &str) -> String {
    let out = env.mlf(&["registry", "register", uri, "--name", name]).ok();
    out.stdout.trim().to_string()
}

/// `registry show NAME --format json`.
#[track_caller]
fn model_json(env: &TestEnv, name: &str) -> Value {
    env.mlf(&["registry", "show", name, "--format", "json"])
        .ok()
        .json()
}

/// `registry show NAME --version V --format json`, the `model_version` object.
#[track_caller]
fn version_json(env: &TestEnv, name: &str, version: &str) -> Value {
    let v = env
        .mlf(&[
            "registry",
            "show",
            name,
            "--version",
            version,
            "--format",
            "json",
        ])
        .ok()
        .json();
    v["model_version"].clone()
}

/// The live version numbers of a model, as listed by `show` (newest first).
#[track_caller]
fn versions(env: &TestEnv, name: &str) -> Vec<String> {
    model_json(env, name)["model_versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_str().unwrap().to_string())
        .collect()
}

/// The stage of a version.
#[track_caller]
fn stage_of(env: &TestEnv, name: &str, version: &str) -> String {
    version_json(env, name, version)["current_stage"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The model's aliases as (alias, version) pairs.
#[track_caller]
fn aliases(env: &TestEnv, name: &str) -> Vec<(String, String)> {
    model_json(env, name)["registered_model"]["aliases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["alias"].as_str().unwrap().to_string(),
                a["version"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The history of a model, one line per event: `kind v=… from=… to=… by=… why=…`.
#[track_caller]
fn events(env: &TestEnv, name: &str) -> Vec<String> {
    let v = env
        .mlf(&["registry", "history", name, "--format", "json"])
        .ok()
        .json();
    v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let f = |k: &str| e[k].as_str().unwrap_or("-").to_string();
            format!(
                "{} v={} from={} to={} by={} why={}",
                f("kind"),
                f("version"),
                f("from"),
                f("to"),
                f("actor"),
                f("comment")
            )
        })
        .collect()
}

/// Every file and directory below `.mlf/registry`, relative (directories end in `/`).
fn registry_files(env: &TestEnv) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap().display().to_string();
            let meta = std::fs::symlink_metadata(&p).unwrap();
            if meta.is_dir() {
                out.push(format!("{rel}/"));
                walk(root, &p, out);
            } else {
                out.push(rel);
            }
        }
    }
    let root = env.store().join("registry");
    let mut out = Vec::new();
    walk(&root, &root, &mut out);
    out.sort();
    out
}

/// Everything the registry shows (models, versions, histories, requests, files) and the rest of
/// the store, to check that a refused command changed nothing.
fn registry_state(env: &TestEnv) -> String {
    let list = env.mlf(&["registry", "list", "--format", "json"]).ok();
    let mut s = list.stdout.clone();
    for m in list.json()["registered_models"].as_array().unwrap() {
        let name = m["name"].as_str().unwrap();
        s += &env
            .mlf(&["registry", "show", name, "--format", "json"])
            .ok()
            .stdout;
        s += &env
            .mlf(&["registry", "history", name, "--format", "json"])
            .ok()
            .stdout;
    }
    s += &env
        .mlf(&["registry", "requests", "--all", "--format", "json"])
        .ok()
        .stdout;
    s += &registry_files(env).join("\n");
    s += &env.snapshot_store();
    s
}

/// Runs a command as `user`, expects exit `code` with an `error:` line, and checks that nothing
/// in the registry or the store changed.
#[track_caller]
fn assert_refused(env: &TestEnv, user: &str, args: &[&str], code: i32) -> Output {
    let before = registry_state(env);
    let out = as_user(env, user, args).code(code);
    assert!(out.stderr.contains("error:"), "no `error:` line:\n{out}");
    assert_eq!(
        registry_state(env),
        before,
        "the registry changed after a refused `mlf {}`",
        args.join(" ")
    );
    out
}

/// Cells of a text table, by the columns of its header line.
fn table(text: &str, headers: &[&str]) -> Vec<Vec<String>> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let head = lines.next().expect("a header line");
    let starts: Vec<usize> = headers
        .iter()
        .map(|h| {
            let at = head
                .match_indices(h)
                .map(|(i, _)| i)
                .find(|&i| {
                    let before = head[..i].chars().last();
                    let after = head[i + h.len()..].chars().next();
                    before.is_none_or(|c| c == ' ') && after.is_none_or(|c| c == ' ')
                })
                .unwrap_or_else(|| panic!("no column {h} in {head:?}"));
            head[..at].chars().count()
        })
        .collect();
    assert!(
        starts.windows(2).all(|w| w[0] < w[1]),
        "columns out of order in {head:?}"
    );
    lines
        .map(|l| {
            let chars: Vec<char> = l.chars().collect();
            (0..starts.len())
                .map(|i| {
                    let s = starts[i].min(chars.len());
                    let e = starts
                        .get(i + 1)
                        .copied()
                        .unwrap_or(chars.len())
                        .min(chars.len());
                    chars[s..e].iter().collect::<String>().trim().to_string()
                })
                .collect()
        })
        .collect()
}

/// A directory outside the working directory and the store, holding `secret.txt`.
fn outside_dir(env: &TestEnv) -> PathBuf {
    let dir = env.dir.path().join("outside");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("secret.txt"), "secret").unwrap();
    dir
}

fn canonical(p: impl AsRef<Path>) -> PathBuf {
    std::fs::canonicalize(p.as_ref()).unwrap_or_else(|e| panic!("{}: {e}", p.as_ref().display()))
}

// ---------------------------------------------------------------------------------------------
// Version numbers

#[test]
fn versions_count_from_one_and_numbers_are_never_reused() {
    let env = new_env();
    train_run(&env);
    assert_eq!(register(&env, "runs:/train/model", "m"), "1");
    assert_eq!(register(&env, "runs:/train/model", "m"), "2");
    assert_eq!(register(&env, "runs:/train/model", "m"), "3");
    assert_eq!(versions(&env, "m"), ["3", "2", "1"]);

    env.mlf(&["registry", "delete", "m", "--version", "2"]).ok();
    assert_eq!(versions(&env, "m"), ["3", "1"]);
    // A deleted version is gone for every command.
    env.mlf(&["registry", "show", "m", "--version", "2"])
        .code(2);
    env.mlf(&["registry", "resolve", "models:/m/2"]).code(2);
    assert_refused(
        &env,
        "tester",
        &["registry", "delete", "m", "--version", "2"],
        2,
    );
    assert_refused(&env, "tester", &["registry", "alias", "m", "old", "2"], 2);
    assert_refused(&env, "tester", &promote_args("2", "Staging"), 2);

    // The next number is 4, not 2 again, and not 3 after deleting the newest either.
    assert_eq!(register(&env, "runs:/train/model", "m"), "4");
    env.mlf(&["registry", "delete", "m", "--version", "4"]).ok();
    assert_eq!(register(&env, "runs:/train/model", "m"), "5");
    assert_eq!(versions(&env, "m"), ["5", "3", "1"]);
}

#[test]
fn concurrent_registrations_get_distinct_numbers() {
    let env = new_env();
    train_run(&env);
    // Half register a run's directory, half copy a local one in, all at once.
    let children: Vec<_> = (0..8)
        .map(|i| {
            let uri = if i % 2 == 0 {
                "runs:/train/model"
            } else {
                "model"
            };
            let mut cmd = env.command(&["registry", "register", uri, "--name", "m"]);
            cmd.stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped());
            cmd.spawn().expect("spawn mlf")
        })
        .collect();
    let mut printed: Vec<i64> = children
        .into_iter()
        .map(|c| {
            let out = c.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
        })
        .collect();
    printed.sort();
    assert_eq!(printed, (1..=8).collect::<Vec<i64>>());
    let listed = model_json(&env, "m");
    for v in listed["model_versions"].as_array().unwrap() {
        let n = v["version"].as_str().unwrap();
        if v["run_id"] == "" {
            // A copied version's files are in its own numbered directory.
            let source = canonical(v["source"].as_str().unwrap());
            assert_eq!(
                source,
                canonical(env.store().join(format!("registry/m/{n}/model")))
            );
            assert!(source.join("weights.bin").is_file());
        }
    }
    let dirs: Vec<String> = registry_files(&env)
        .into_iter()
        .filter(|f| f.matches('/').count() == 2 && f.ends_with('/'))
        .collect();
    assert_eq!(dirs.len(), 4, "{dirs:?}");
}

#[test]
fn deleting_a_model_needs_yes_and_a_new_model_of_that_name_starts_at_one() {
    let env = new_env();
    train_run(&env);
    env.write("local/model.txt", "weights");
    register(&env, "runs:/train/model", "m");
    register(&env, "local", "m");
    assert!(env.store().join("registry/m/2/local/model.txt").is_file());

    let out = assert_refused(&env, "tester", &["registry", "delete", "m"], 2);
    assert!(out.stderr.contains("--yes"), "no hint about --yes:\n{out}");
    assert_eq!(versions(&env, "m"), ["2", "1"]);

    env.mlf(&["registry", "delete", "m", "--yes"]).ok();
    env.mlf(&["registry", "show", "m"]).code(2);
    env.mlf(&["registry", "delete", "m", "--yes"]).code(2);
    let list = env
        .mlf(&["registry", "list", "--format", "json"])
        .ok()
        .json();
    assert_eq!(list, json!({"registered_models": []}));
    assert!(
        !env.store().join("registry/m").exists(),
        "the copied files of the deleted model remain: {:?}",
        registry_files(&env)
    );

    assert_eq!(register(&env, "runs:/train/model", "m"), "1");
    assert_eq!(versions(&env, "m"), ["1"]);

    // A model without versions is deleted without --yes.
    env.mlf(&["registry", "create", "empty"]).ok();
    env.mlf(&["registry", "delete", "empty"]).ok();
    env.mlf(&["registry", "show", "empty"]).code(2);
}

#[test]
fn deleting_a_version_removes_its_aliases() {
    let env = new_env();
    train_run(&env);
    for _ in 0..2 {
        register(&env, "runs:/train/model", "m");
    }
    env.mlf(&["registry", "alias", "m", "champion", "2"]).ok();
    env.mlf(&["registry", "alias", "m", "shadow", "2"]).ok();
    env.mlf(&["registry", "alias", "m", "keep", "1"]).ok();
    assert_eq!(
        version_json(&env, "m", "2")["aliases"],
        json!(["champion", "shadow"])
    );

    let out = as_user(
        &env,
        "dora",
        &[
            "registry",
            "delete",
            "m",
            "--version",
            "2",
            "-m",
            "bad data",
        ],
    )
    .ok();
    assert!(out.stderr.contains("champion"), "{out}");
    assert_eq!(aliases(&env, "m"), [("keep".to_string(), "1".to_string())]);
    env.mlf(&["registry", "resolve", "models:/m@champion"])
        .code(2);
    env.mlf(&["registry", "resolve", "models:/m@keep"]).ok();

    let ev = events(&env, "m");
    let tail: Vec<&str> = ev[ev.len() - 3..].iter().map(String::as_str).collect();
    assert_eq!(
        tail,
        [
            "unalias v=2 from=champion to=- by=dora why=bad data",
            "unalias v=2 from=shadow to=- by=dora why=bad data",
            "delete_version v=2 from=- to=- by=dora why=bad data",
        ]
    );
    // Pointing the alias anew works; it does not come back on its own.
    env.mlf(&["registry", "alias", "m", "champion", "1"]).ok();
    assert_eq!(
        version_json(&env, "m", "1")["aliases"],
        json!(["champion", "keep"])
    );
}

#[test]
fn version_and_model_json_have_mlflow_shapes() {
    let env = new_env();
    let run = train_run(&env);
    env.mlf(&[
        "registry",
        "register",
        "runs:/train/model",
        "--name",
        "m",
        "-d",
        "first try",
        "-t",
        "owner=ml",
    ])
    .ok();
    env.mlf(&["registry", "alias", "m", "champion", "1"]).ok();

    let v = version_json(&env, "m", "1");
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    for k in [
        "name",
        "version",
        "creation_timestamp",
        "last_updated_timestamp",
        "user_id",
        "current_stage",
        "description",
        "source",
        "run_id",
        "status",
        "tags",
        "aliases",
    ] {
        assert!(keys.contains(&k), "no `{k}` in {v:#}");
    }
    assert_eq!(v["name"], "m");
    assert_eq!(v["version"], "1", "the version is a string, as MLflow's");
    assert_eq!(v["current_stage"], "None");
    assert_eq!(v["source"], format!("runs:/{run}/model"));
    assert_eq!(v["run_id"], run.as_str());
    assert_eq!(v["status"], "READY");
    assert_eq!(v["user_id"], "tester");
    assert_eq!(v["description"], "first try");
    assert_eq!(v["aliases"], json!(["champion"]));
    assert_eq!(v["tags"], json!([{"key": "owner", "value": "ml"}]));
    assert!(v["creation_timestamp"].as_i64().unwrap() > 0);

    // `v1` names the same version; a version that never existed is a usage error.
    let again = env
        .mlf(&[
            "registry",
            "show",
            "m",
            "--version",
            "v1",
            "--format",
            "json",
        ])
        .ok()
        .json();
    assert_eq!(again["model_version"], v);
    env.mlf(&["registry", "show", "m", "--version", "9"])
        .code(2);
    env.mlf(&["registry", "show", "m", "--version", "0"])
        .code(2);
    env.mlf(&["registry", "show", "nope"]).code(2);

    let m = model_json(&env, "m");
    let rm = &m["registered_model"];
    for k in [
        "name",
        "creation_timestamp",
        "last_updated_timestamp",
        "user_id",
        "description",
        "latest_versions",
        "tags",
        "aliases",
    ] {
        assert!(rm.get(k).is_some(), "no `{k}` in {rm:#}");
    }
    assert_eq!(rm["name"], "m");
    assert_eq!(
        rm["aliases"],
        json!([{"alias": "champion", "version": "1"}])
    );
    assert_eq!(rm["latest_versions"], json!([v.clone()]));
    assert_eq!(m["model_versions"], json!([v]));

    // `register --format json` answers the same shape.
    let reg = env
        .mlf(&[
            "registry",
            "register",
            "runs:/train/model",
            "--name",
            "m",
            "--format",
            "json",
        ])
        .ok()
        .json();
    assert_eq!(reg["model_version"]["version"], "2");
    assert_eq!(reg["model_version"]["current_stage"], "None");
}

#[test]
fn latest_versions_has_the_highest_version_of_each_stage_in_use() {
    let env = new_env();
    train_run(&env);
    for _ in 0..6 {
        register(&env, "runs:/train/model", "m");
    }
    for (v, stage) in [
        ("1", "Production"),
        ("2", "Staging"),
        ("3", "Staging"),
        ("4", "Archived"),
        ("5", "Production"),
    ] {
        env.mlf(&["registry", "promote", "m", v, "--to", stage])
            .ok();
    }
    // Version 6 stays in None; Production holds 1 and 5, Staging 2 and 3.
    let m = model_json(&env, "m");
    let mut latest: Vec<(String, String)> = m["registered_model"]["latest_versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["current_stage"].as_str().unwrap().to_string(),
                v["version"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    latest.sort();
    assert_eq!(
        latest,
        [
            ("Archived".to_string(), "4".to_string()),
            ("None".into(), "6".into()),
            ("Production".into(), "5".into()),
            ("Staging".into(), "3".into()),
        ]
    );

    // Once Staging is empty it has no entry.
    for v in ["2", "3"] {
        env.mlf(&["registry", "promote", "m", v, "--to", "Archived"])
            .ok();
    }
    let m = model_json(&env, "m");
    let stages: Vec<&str> = m["registered_model"]["latest_versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["current_stage"].as_str().unwrap())
        .collect();
    assert!(!stages.contains(&"Staging"), "{stages:?}");
    assert_eq!(stages.len(), 3, "{stages:?}");
}

// ---------------------------------------------------------------------------------------------
// Stages

#[test]
fn stages_are_case_insensitive_and_checked() {
    let env = new_env();
    train_run(&env);
    register(&env, "runs:/train/model", "m");
    register(&env, "runs:/train/model", "m");

    env.mlf(&promote_args("1", "production")).ok();
    assert_eq!(stage_of(&env, "m", "1"), "Production");
    env.mlf(&promote_args("2", "STAGING")).ok();
    assert_eq!(stage_of(&env, "m", "2"), "Staging");
    env.mlf(&promote_args("2", "none")).ok();
    assert_eq!(stage_of(&env, "m", "2"), "None");

    let out = assert_refused(&env, "tester", &promote_args("2", "Bogus"), 2);
    for s in ["None", "Staging", "Production", "Archived"] {
        assert!(
            out.stderr.contains(s),
            "the error does not name {s}:\n{out}"
        );
    }
    assert_refused(&env, "tester", &promote_args("9", "Staging"), 2);
    assert_refused(
        &env,
        "tester",
        &["registry", "promote", "nope", "1", "--to", "Staging"],
        2,
    );
    assert_refused(&env, "tester", &promote_args("x", "Staging"), 2);

    // JSON answers the moved version.
    let out = env
        .mlf(&[
            "registry", "promote", "m", "2", "--to", "archived", "--format", "json",
        ])
        .ok()
        .json();
    assert_eq!(out["model_version"]["current_stage"], "Archived");
    assert_eq!(out["model_version"]["version"], "2");
}

#[test]
fn archive_existing_archives_the_previous_production_version_only() {
    let env = new_env();
    train_run(&env);
    for _ in 0..4 {
        register(&env, "runs:/train/model", "m");
    }
    env.mlf(&promote_args("1", "Production")).ok();
    env.mlf(&promote_args("2", "Staging")).ok();

    as_user(
        &env,
        "erin",
        &[
            "registry",
            "promote",
            "m",
            "3",
            "--to",
            "Production",
            "--archive-existing",
            "-m",
            "better auc",
        ],
    )
    .ok();
    assert_eq!(stage_of(&env, "m", "1"), "Archived");
    assert_eq!(
        stage_of(&env, "m", "2"),
        "Staging",
        "a Staging version was moved"
    );
    assert_eq!(stage_of(&env, "m", "3"), "Production");
    assert_eq!(stage_of(&env, "m", "4"), "None");

    let ev = events(&env, "m");
    let tail: Vec<&str> = ev[ev.len() - 2..].iter().map(String::as_str).collect();
    assert_eq!(
        tail,
        [
            "stage v=1 from=Production to=Archived by=erin why=archived when version 3 entered Production",
            "stage v=3 from=None to=Production by=erin why=better auc",
        ]
    );

    // Without the flag, the version already there stays (any transition is allowed, as MLflow).
    env.mlf(&promote_args("4", "Production")).ok();
    assert_eq!(stage_of(&env, "m", "3"), "Production");
    assert_eq!(stage_of(&env, "m", "4"), "Production");

    // To Staging, the flag archives the Staging version and leaves Production alone.
    env.mlf(&[
        "registry",
        "promote",
        "m",
        "1",
        "--to",
        "Staging",
        "--archive-existing",
    ])
    .ok();
    assert_eq!(stage_of(&env, "m", "2"), "Archived");
    assert_eq!(stage_of(&env, "m", "1"), "Staging");
    assert_eq!(stage_of(&env, "m", "3"), "Production");
    assert_eq!(stage_of(&env, "m", "4"), "Production");
}

#[test]
fn archive_existing_only_applies_to_staging_and_production() {
    let env = new_env();
    train_run(&env);
    register(&env, "runs:/train/model", "m");
    register(&env, "runs:/train/model", "m");
    env.mlf(&promote_args("1", "Archived")).ok();
    for stage in ["Archived", "None", "archived"] {
        let out = assert_refused(
            &env,
            "tester",
            &[
                "registry",
                "promote",
                "m",
                "2",
                "--to",
                stage,
                "--archive-existing",
            ],
            2,
        );
        assert!(out.stderr.contains("--archive-existing"), "{out}");
    }
    assert_eq!(stage_of(&env, "m", "2"), "None");
}

// ---------------------------------------------------------------------------------------------
// Aliases

#[test]
fn aliases_are_set_moved_and_removed() {
    let env = new_env();
    train_run(&env);
    for _ in 0..3 {
        register(&env, "runs:/train/model", "m");
    }
    as_user(&env, "ann", &["registry", "alias", "m", "champion", "1"]).ok();
    assert_eq!(
        aliases(&env, "m"),
        [("champion".to_string(), "1".to_string())]
    );
    assert_eq!(version_json(&env, "m", "1")["aliases"], json!(["champion"]));

    let out = as_user(
        &env,
        "ben",
        &[
            "registry",
            "alias",
            "m",
            "champion",
            "3",
            "-m",
            "wins the a/b test",
        ],
    )
    .ok();
    assert!(out.stderr.contains("moved from version 1"), "{out}");
    assert_eq!(
        aliases(&env, "m"),
        [("champion".to_string(), "3".to_string())]
    );
    assert_eq!(version_json(&env, "m", "1")["aliases"], json!([]));
    assert_eq!(version_json(&env, "m", "3")["aliases"], json!(["champion"]));

    // One version may hold several aliases; an alias names one version.
    env.mlf(&["registry", "alias", "m", "shadow", "3"]).ok();
    assert_eq!(
        version_json(&env, "m", "3")["aliases"],
        json!(["champion", "shadow"])
    );

    as_user(
        &env,
        "cy",
        &["registry", "unalias", "m", "champion", "-m", "rollback"],
    )
    .ok();
    assert_eq!(
        aliases(&env, "m"),
        [("shadow".to_string(), "3".to_string())]
    );
    assert_refused(&env, "tester", &["registry", "unalias", "m", "champion"], 2);
    assert_refused(
        &env,
        "tester",
        &["registry", "unalias", "nope", "shadow"],
        2,
    );

    let ev = events(&env, "m");
    let alias_events: Vec<&str> = ev
        .iter()
        .map(String::as_str)
        .filter(|e| e.starts_with("alias") || e.starts_with("unalias"))
        .collect();
    assert_eq!(
        alias_events,
        [
            "alias v=1 from=- to=champion by=ann why=-",
            "alias v=3 from=1 to=champion by=ben why=wins the a/b test",
            "alias v=3 from=- to=shadow by=tester why=-",
            "unalias v=3 from=champion to=- by=cy why=rollback",
        ]
    );
    let text = env.mlf(&["registry", "history", "m"]).ok().stdout;
    assert!(
        text.contains("moved alias @champion from version 1 to version 3"),
        "{text}"
    );
    assert!(text.contains("removed alias @champion"), "{text}");
}

#[test]
fn reserved_and_malformed_aliases_are_refused() {
    let env = new_env();
    train_run(&env);
    register(&env, "runs:/train/model", "m");
    register(&env, "runs:/train/model", "m");

    for alias in ["latest", "LATEST", "Latest", "v3", "V10", "v0"] {
        let out = assert_refused(&env, "tester", &["registry", "alias", "m", alias, "1"], 2);
        assert!(out.stderr.contains("reserved"), "{alias}:\n{out}");
    }
    for alias in ["", "a b", "a/b", "a.b", "a@b", "../x", "a:b", "x\ny"] {
        assert_refused(&env, "tester", &["registry", "alias", "m", alias, "1"], 2);
    }
    // A missing version, a deleted one, an unknown model.
    assert_refused(
        &env,
        "tester",
        &["registry", "alias", "m", "champion", "9"],
        2,
    );
    env.mlf(&["registry", "delete", "m", "--version", "2"]).ok();
    assert_refused(
        &env,
        "tester",
        &["registry", "alias", "m", "champion", "2"],
        2,
    );
    assert_refused(
        &env,
        "tester",
        &["registry", "alias", "nope", "champion", "1"],
        2,
    );
    assert_eq!(aliases(&env, "m"), Vec::<(String, String)>::new());

    // Names that only look like the reserved ones are fine.
    for alias in ["v", "v3a", "version3", "latest-good", "champion_2-b"] {
        env.mlf(&["registry", "alias", "m", alias, "1"]).ok();
    }
    assert_eq!(aliases(&env, "m").len(), 5);
}

// ---------------------------------------------------------------------------------------------
// Sources

#[test]
fn register_from_a_run_by_name_or_id_prefix_records_the_full_id() {
    let env = new_env();
    let run = train_run(&env);
    let dir = artifact_dir(&env, &run);

    register(&env, "runs:/train/model", "m");
    register(&env, &format!("runs:/{}/model", &run[..8]), "m");
    register(&env, &format!("runs:/{run}/model/MLmodel"), "m");
    for (v, path) in [("1", "model"), ("2", "model"), ("3", "model/MLmodel")] {
        let mv = version_json(&env, "m", v);
        assert_eq!(mv["source"], format!("runs:/{run}/{path}"), "version {v}");
        assert_eq!(mv["run_id"], run.as_str(), "version {v}");
        let resolved = env
            .mlf(&["registry", "resolve", &format!("models:/m/{v}")])
            .ok();
        assert_eq!(
            canonical(resolved.stdout.trim()),
            canonical(dir.join(path)),
            "version {v}"
        );
    }
    // Nothing is copied for a source already in the store.
    assert_eq!(registry_files(&env), Vec::<String>::new());
}

#[test]
fn sources_outside_the_store_or_malformed_are_refused() {
    let env = new_env();
    let run = train_run(&env);
    register(&env, "runs:/train/model", "m");
    let dir = artifact_dir(&env, &run);
    let outside = outside_dir(&env);
    std::os::unix::fs::symlink(&outside, dir.join("etc")).unwrap();
    std::os::unix::fs::symlink(outside.join("secret.txt"), dir.join("passwd")).unwrap();

    for uri in [
        "runs:/train/../x",
        "runs:/train/model/../../../../etc",
        "runs:/train/..",
        "runs:/train/%2e%2e/x",
        "runs:/train/%252e%252e/x",
        "runs:/train/..\\..\\x",
        "runs:/train/missing",
        "runs:/train/etc",
        "runs:/train/passwd",
        "runs:/nope/model",
        "runs:/",
        "file:///etc/",
        "file:/etc/passwd",
        "file://./model",
        "file:model",
        "FILE:///etc/",
        "http://x/y",
        "https://example.com/model.pkl",
        "s3://bucket/model",
        "mlflow-artifacts:/0/abc/artifacts/model",
        "models:/m/9",
        "models:/nope/1",
        "models:/m@nope",
        "models:/m/bogus",
        "missing-dir",
    ] {
        let out = assert_refused(
            &env,
            "tester",
            &["registry", "register", uri, "--name", "m"],
            2,
        );
        assert!(!out.stderr.contains("panicked"), "{uri}:\n{out}");
        // Nor is a new model created on the way.
        assert_refused(
            &env,
            "tester",
            &["registry", "register", uri, "--name", "fresh"],
            2,
        );
    }
    env.mlf(&["registry", "show", "fresh"]).code(2);
    assert_eq!(versions(&env, "m"), ["1"]);
    assert_eq!(registry_files(&env), Vec::<String>::new());
}

#[test]
fn a_run_directory_with_a_symlink_leading_outside_is_refused() {
    let env = new_env();
    let run = train_run(&env);
    let dir = artifact_dir(&env, &run);
    // Planted by hand: `mlf log artifact` would not copy a symlink.
    std::os::unix::fs::symlink(outside_dir(&env), dir.join("model/leak")).unwrap();
    let out = assert_refused(
        &env,
        "tester",
        &["registry", "register", "runs:/train/model", "--name", "m"],
        2,
    );
    assert!(out.stderr.contains("symlink"), "{out}");
}

#[test]
fn bad_model_names_are_refused() {
    let env = new_env();
    train_run(&env);
    for name in ["", "a/b", "a:b", "..", ".", ".hidden", "../escape", "a\\b"] {
        assert_refused(&env, "tester", &["registry", "create", name], 2);
        assert_refused(
            &env,
            "tester",
            &["registry", "register", "runs:/train/model", "--name", name],
            2,
        );
    }
    env.write("local/w.txt", "w");
    assert_refused(
        &env,
        "tester",
        &["registry", "register", "local", "--name", "../escape"],
        2,
    );
    assert_eq!(registry_files(&env), Vec::<String>::new());
    assert!(!env.cwd().join(".mlf/escape").exists());
    assert!(!env.cwd().join("escape").exists());

    env.mlf(&["registry", "create", "ok-name_1 x"]).ok();
    assert_refused(&env, "tester", &["registry", "create", "ok-name_1 x"], 2);
}

#[test]
fn a_local_directory_is_copied_into_the_store() {
    let env = new_env();
    env.start_run(&["-n", "train"]);
    env.write("exports/clf/MLmodel", "flavors: {}\n");
    env.write("exports/clf/data/model.pkl", "pickle");
    let original = canonical(env.cwd().join("exports/clf"));

    assert_eq!(register(&env, "exports/clf", "m"), "1");
    let copy = env.store().join("registry/m/1/clf");
    assert_eq!(
        std::fs::read_to_string(copy.join("MLmodel")).unwrap(),
        "flavors: {}\n"
    );
    assert_eq!(
        std::fs::read_to_string(copy.join("data/model.pkl")).unwrap(),
        "pickle"
    );

    let mv = version_json(&env, "m", "1");
    let source = PathBuf::from(mv["source"].as_str().unwrap());
    assert_eq!(canonical(&source), canonical(&copy));
    assert!(
        canonical(&source).starts_with(canonical(env.store())),
        "the source {} is not inside the store",
        source.display()
    );
    assert_eq!(mv["run_id"], "");
    let tags = mv["tags"].as_array().unwrap();
    let original_tag = tags
        .iter()
        .find(|t| t["key"] == "mlf.source.original")
        .unwrap_or_else(|| panic!("no mlf.source.original tag in {mv:#}"));
    assert_eq!(original_tag["value"], original.display().to_string());
    let resolved = env.mlf(&["registry", "resolve", "models:/m/1"]).ok();
    assert_eq!(canonical(resolved.stdout.trim()), canonical(&copy));

    // It is a copy: changing or removing the original changes nothing.
    std::fs::write(original.join("MLmodel"), "changed").unwrap();
    std::fs::remove_dir_all(original.join("data")).unwrap();
    assert_eq!(
        std::fs::read_to_string(copy.join("MLmodel")).unwrap(),
        "flavors: {}\n"
    );
    assert!(copy.join("data/model.pkl").is_file());

    // A single file, and an absolute path, are copied too.
    let file = env.write("single.onnx", "onnx");
    assert_eq!(register(&env, "single.onnx", "m"), "2");
    assert_eq!(
        std::fs::read_to_string(env.store().join("registry/m/2/single.onnx")).unwrap(),
        "onnx"
    );
    assert_eq!(register(&env, file.to_str().unwrap(), "m"), "3");
    assert!(env.store().join("registry/m/3/single.onnx").is_file());

    // Only placed versions are in .mlf/registry: no staging leftovers.
    assert_eq!(
        registry_files(&env),
        [
            "m/",
            "m/1/",
            "m/1/clf/",
            "m/1/clf/MLmodel",
            "m/1/clf/data/",
            "m/1/clf/data/model.pkl",
            "m/2/",
            "m/2/single.onnx",
            "m/3/",
            "m/3/single.onnx",
        ]
    );
}

#[test]
fn a_refused_copy_leaves_nothing_behind() {
    let env = new_env();
    env.start_run(&["-n", "train"]);
    env.write("good/w.txt", "w");
    register(&env, "good", "m");
    // A directory holding a symlink that leads outside is not copied (nor half-copied).
    env.write("bad/a.txt", "a");
    env.write("bad/b.txt", "b");
    std::os::unix::fs::symlink(
        outside_dir(&env).join("secret.txt"),
        env.cwd().join("bad/host"),
    )
    .unwrap();
    assert_refused(
        &env,
        "tester",
        &["registry", "register", "bad", "--name", "m"],
        2,
    );
    assert_refused(
        &env,
        "tester",
        &["registry", "register", "bad", "--name", "other"],
        2,
    );
    env.mlf(&["registry", "show", "other"]).code(2);
    assert_eq!(versions(&env, "m"), ["1"]);
    assert_eq!(
        registry_files(&env),
        ["m/", "m/1/", "m/1/good/", "m/1/good/w.txt"]
    );
    // The next version is still 2.
    assert_eq!(register(&env, "good", "m"), "2");
}

#[test]
fn models_uris_are_sources_too() {
    let env = new_env();
    let run = train_run(&env);
    env.write("local/w.txt", "w");
    register(&env, "runs:/train/model", "m");
    register(&env, "local", "m");
    env.mlf(&["registry", "alias", "m", "champion", "2"]).ok();

    assert_eq!(register(&env, "models:/m/1", "serving"), "1");
    assert_eq!(register(&env, "models:/m@champion", "serving"), "2");
    let v1 = version_json(&env, "serving", "1");
    assert_eq!(v1["source"], "models:/m/1");
    assert_eq!(v1["run_id"], run.as_str());
    let v2 = version_json(&env, "serving", "2");
    assert_eq!(v2["source"], "models:/m@champion");
    assert_eq!(v2["run_id"], "");
    // Each version gets its own copy of the files: the same contents, in the new model's folder.
    for (a, b) in [
        ("models:/serving/1", "models:/m/1"),
        ("models:/serving/2", "models:/m/2"),
    ] {
        let pa = resolve(&env, a);
        let pb = resolve(&env, b);
        assert_ne!(pa, pb, "{a} should be a copy of {b}");
        assert!(pa.contains("/registry/serving/"), "{pa}");
        let list = |p: &str| {
            let mut files: Vec<(String, Vec<u8>)> = Vec::new();
            let mut stack = vec![std::path::PathBuf::from(p)];
            while let Some(d) = stack.pop() {
                if d.is_file() {
                    files.push((
                        d.file_name().unwrap().to_string_lossy().into_owned(),
                        std::fs::read(&d).unwrap(),
                    ));
                    continue;
                }
                for e in std::fs::read_dir(&d).unwrap().flatten() {
                    stack.push(e.path());
                }
            }
            files.sort();
            files
        };
        assert_eq!(list(&pa), list(&pb), "{a} and {b} hold different files");
    }
}

#[test]
fn deleting_a_model_keeps_the_files_other_models_versions_use() {
    let env = new_env();
    env.start_run(&["-n", "train"]);
    env.write("local/w.txt", "original weights");
    register(&env, "local", "m");
    register(&env, "models:/m/1", "serving");
    env.mlf(&["registry", "delete", "m", "--yes"]).ok();

    let path = resolve(&env, "models:/serving/1");
    assert!(
        Path::new(&path).join("w.txt").is_file(),
        "`serving` version 1 lost its files when `m` was deleted: {path} is gone"
    );
    // Nor may a new `m` version 1 silently take their place.
    std::fs::remove_dir_all(env.cwd().join("local")).unwrap();
    env.write("local/w.txt", "other weights");
    register(&env, "local", "m");
    let path = resolve(&env, "models:/serving/1");
    assert_eq!(
        std::fs::read_to_string(Path::new(&path).join("w.txt")).unwrap_or_default(),
        "original weights",
        "`serving` version 1 now serves another model's files"
    );
}

// ---------------------------------------------------------------------------------------------
// resolve

#[test]
fn resolve_prints_the_storage_path() {
    let env = new_env();
    env.start_run(&["-n", "train"]);
    for d in ["a", "b", "c"] {
        env.write(&format!("{d}/w.txt"), d);
        register(&env, d, "m");
    }
    env.mlf(&promote_args("1", "Production")).ok();
    env.mlf(&promote_args("3", "Archived")).ok();
    env.mlf(&["registry", "alias", "m", "champion", "2"]).ok();
    let path = |v: &str, d: &str| canonical(env.store().join(format!("registry/m/{v}/{d}")));

    for (uri, want) in [
        ("models:/m/1", path("1", "a")),
        ("models:/m/2", path("2", "b")),
        ("models:/m/Production", path("1", "a")),
        ("models:/m/production", path("1", "a")),
        // `latest` is the highest version, whatever its stage (Archived included).
        ("models:/m/latest", path("3", "c")),
        ("models:/m/Latest", path("3", "c")),
        ("models:/m@champion", path("2", "b")),
        ("models:///m/2", path("2", "b")),
    ] {
        let out = env.mlf(&["registry", "resolve", uri]).ok();
        assert_eq!(canonical(out.stdout.trim()), want, "{uri}");
        assert_eq!(out.stdout.lines().count(), 1, "{uri}:\n{out}");
    }

    for uri in [
        "models:/nope/1",
        "models:/m/9",
        "models:/m/0",
        "models:/m@nope",
        "models:/m/Staging",
        "models:/m/bogus",
        "models:/",
        "models:/m/",
        "models:/m@",
        "models:/m/Staging/0",
        "runs:/train/model",
        "m",
    ] {
        let out = env.mlf(&["registry", "resolve", uri]).code(2);
        assert!(out.stderr.contains("error:"), "{uri}:\n{out}");
        assert_eq!(out.stdout, "", "{uri}:\n{out}");
    }
}

// ---------------------------------------------------------------------------------------------
// Approvals

#[test]
fn a_protected_stage_needs_an_approved_request_which_a_promotion_uses_up() {
    let env = protected_model(2);

    // Refused without a request, whatever the case of the stage.
    for to in ["Production", "production"] {
        let out = assert_refused(
            &env,
            "carol",
            &["registry", "promote", "m", "1", "--to", to],
            1,
        );
        assert!(out.stderr.contains("protected"), "{out}");
        assert!(out.stderr.contains("request"), "{out}");
    }
    assert_refused(
        &env,
        "carol",
        &[
            "registry",
            "promote",
            "m",
            "1",
            "--to",
            "Production",
            "--archive-existing",
        ],
        1,
    );
    // An unprotected stage needs nothing.
    as_user(&env, "carol", &promote_args("1", "Staging")).ok();

    let out = as_user(
        &env,
        "alice",
        &request_args("1", "production", "passes the eval"),
    )
    .ok();
    let id = out.stdout.trim().to_string();
    assert!(id.parse::<i64>().is_ok(), "no request id on stdout:\n{out}");
    // A request alone is not enough.
    assert_refused(&env, "carol", &promote_args("1", "Production"), 1);
    // A second request while one is pending.
    assert_refused(&env, "alice", &request_args("1", "Production", "again"), 2);
    // A request needs a reason.
    assert_refused(&env, "alice", &request_args("2", "Production", " "), 2);

    // Pending requests are listed.
    let pending = requests_json(&env, &[]);
    let reqs = pending["requests"].as_array().unwrap();
    assert_eq!(reqs.len(), 1, "{pending:#}");
    let r = &reqs[0];
    assert_eq!(r["id"].to_string(), id);
    assert_eq!(r["name"], "m");
    assert_eq!(r["version"], "1");
    assert_eq!(r["to_stage"], "Production");
    assert_eq!(r["status"], "pending");
    assert_eq!(r["requested_by"], "alice");
    assert_eq!(r["comment"], "passes the eval");
    assert!(r["requested_at"].as_i64().unwrap() > 0);
    let text = env.mlf(&["registry", "requests", "m"]).ok().stdout;
    let rows = table(
        &text,
        &[
            "ID",
            "MODEL",
            "VERSION",
            "TO",
            "STATUS",
            "BY",
            "WHEN",
            "WHY",
            "DECIDED BY",
        ],
    );
    assert_eq!(rows.len(), 1, "{text}");
    let row: Vec<&str> = rows[0].iter().map(String::as_str).collect();
    let hash_id = format!("#{id}");
    assert_eq!(
        [
            row[0], row[1], row[2], row[3], row[4], row[5], row[7], row[8]
        ],
        [
            hash_id.as_str(),
            "m",
            "1",
            "Production",
            "pending",
            "alice",
            "passes the eval",
            ""
        ],
        "{text}"
    );

    // The requester may not approve their own request.
    let out = assert_refused(&env, "alice", &["registry", "approve", "m", "1"], 1);
    assert!(out.stderr.contains("allow_self_approval"), "{out}");
    as_user(
        &env,
        "bob",
        &["registry", "approve", "m", "1", "-m", "lgtm"],
    )
    .ok();
    // Approving twice: nothing is pending any more.
    assert_refused(&env, "bob", &["registry", "approve", "m", "1"], 2);
    let pending = requests_json(&env, &[]);
    assert_eq!(pending, json!({"requests": []}));

    // Now the promotion goes through, whoever does it.
    as_user(
        &env,
        "carol",
        &[
            "registry",
            "promote",
            "m",
            "1",
            "--to",
            "Production",
            "-m",
            "ship it",
        ],
    )
    .ok();
    assert_eq!(stage_of(&env, "m", "1"), "Production");

    let all = requests_json(&env, &["--all"]);
    let r = &all["requests"][0];
    assert_eq!(r["status"], "used");
    assert_eq!(r["decided_by"], "bob");
    assert_eq!(r["decision_comment"], "lgtm");
    assert!(r["decided_at"].as_i64().unwrap() > 0);

    // The approval is used up: back in Production later needs a new request.
    as_user(&env, "carol", &promote_args("1", "Staging")).ok();
    assert_refused(&env, "carol", &promote_args("1", "Production"), 1);
    // It was for version 1 only.
    assert_refused(&env, "carol", &promote_args("2", "Production"), 1);
    as_user(&env, "alice", &request_args("1", "Production", "back")).ok();
    as_user(&env, "bob", &["registry", "approve", "m", "1"]).ok();
    as_user(&env, "carol", &promote_args("1", "Production")).ok();
    assert_eq!(stage_of(&env, "m", "1"), "Production");

    let ev = events(&env, "m");
    let approvals: Vec<&str> = ev
        .iter()
        .map(String::as_str)
        .filter(|e| e.starts_with("request") || e.starts_with("approve") || e.starts_with("reject"))
        .collect();
    assert_eq!(
        approvals,
        [
            "request v=1 from=Staging to=Production by=alice why=passes the eval",
            "approve v=1 from=- to=Production by=bob why=lgtm",
            "request v=1 from=Staging to=Production by=alice why=back",
            "approve v=1 from=- to=Production by=bob why=-",
        ]
    );
}

#[test]
fn self_approval_is_allowed_only_when_configured() {
    let env = new_env();
    train_run(&env);
    register(&env, "runs:/train/model", "m");
    env.write(
        ".mlf/config.toml",
        "[registry]\nprotected_stages = [\"Production\", \"Staging\"]\nallow_self_approval = true\n",
    );
    as_user(&env, "alice", &request_args("1", "Staging", "solo team")).ok();
    as_user(&env, "alice", &["registry", "approve", "m", "1"]).ok();
    as_user(&env, "alice", &promote_args("1", "staging")).ok();
    assert_eq!(stage_of(&env, "m", "1"), "Staging");

    // Back to the default (false) when the key is absent.
    env.write(
        ".mlf/config.toml",
        "[registry]\nprotected_stages = [\"Production\"]\n",
    );
    as_user(&env, "alice", &request_args("1", "Production", "x")).ok();
    assert_refused(&env, "alice", &["registry", "approve", "m", "1"], 1);
    assert_refused(&env, "alice", &["registry", "reject", "m", "1"], 1);
}

#[test]
fn a_rejected_request_does_not_allow_the_promotion() {
    let env = protected_model(1);
    as_user(&env, "alice", &request_args("1", "Production", "try")).ok();
    as_user(
        &env,
        "bob",
        &["registry", "reject", "m", "1", "-m", "needs more data"],
    )
    .ok();
    assert_refused(&env, "carol", &promote_args("1", "Production"), 1);
    // A rejected request cannot be approved afterwards.
    assert_refused(&env, "dave", &["registry", "approve", "m", "1"], 2);
    let all = requests_json(&env, &["--all"]);
    assert_eq!(all["requests"][0]["status"], "rejected");
    assert_eq!(all["requests"][0]["decided_by"], "bob");
    assert_eq!(all["requests"][0]["decision_comment"], "needs more data");
    let pending = requests_json(&env, &["m"]);
    assert_eq!(pending, json!({"requests": []}));
    let text = env.mlf(&["registry", "requests", "--all"]).ok().stdout;
    assert!(text.contains("rejected"), "{text}");

    // A new request may follow.
    as_user(&env, "alice", &request_args("1", "Production", "more data")).ok();
    as_user(&env, "bob", &["registry", "approve", "m", "1"]).ok();
    as_user(&env, "carol", &promote_args("1", "Production")).ok();
    let ev = events(&env, "m");
    assert!(
        ev.contains(&"reject v=1 from=- to=Production by=bob why=needs more data".to_string()),
        "{ev:#?}"
    );
}

#[test]
fn deciding_needs_one_pending_request() {
    let env = protected_model(2);

    assert_refused(&env, "bob", &["registry", "approve", "m", "1"], 2);
    assert_refused(&env, "bob", &["registry", "approve", "m", "9"], 2);
    assert_refused(&env, "bob", &["registry", "approve", "nope", "1"], 2);
    assert_refused(&env, "alice", &request_args("9", "Production", "x"), 2);
    assert_refused(&env, "alice", &request_args("1", "Bogus", "x"), 2);
    // Already there.
    assert_refused(&env, "alice", &request_args("1", "None", "x"), 2);
    env.mlf(&["registry", "requests", "nope"]).code(2);

    as_user(&env, "alice", &request_args("1", "Staging", "s")).ok();
    as_user(&env, "alice", &request_args("1", "Production", "p")).ok();
    let out = assert_refused(&env, "bob", &["registry", "approve", "m", "1"], 2);
    assert!(out.stderr.contains("--to"), "{out}");
    as_user(
        &env,
        "bob",
        &["registry", "approve", "m", "1", "--to", "production"],
    )
    .ok();
    let all = requests_json(&env, &["--all"]);
    let status: Vec<(String, String)> = all["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["to_stage"].as_str().unwrap().to_string(),
                r["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        status.contains(&("Production".into(), "approved".into())),
        "{status:?}"
    );
    assert!(
        status.contains(&("Staging".into(), "pending".into())),
        "{status:?}"
    );

    // Deleting the version withdraws its requests: the approval cannot be used any more.
    env.mlf(&["registry", "delete", "m", "--version", "1"]).ok();
    let pending = requests_json(&env, &[]);
    assert_eq!(pending, json!({"requests": []}));
}

#[test]
fn an_invalid_policy_refuses_rather_than_allows() {
    let env = new_env();
    train_run(&env);
    register(&env, "runs:/train/model", "m");
    for config in [
        "[registry]\nprotected_stages = [\"Prod\"]\n",
        "[registry]\nprotected_stage = [\"Production\"]\n",
        "[registry\nprotected_stages = [\"Production\"]\n",
    ] {
        env.write(".mlf/config.toml", config);
        let out = assert_refused(&env, "carol", &promote_args("1", "Production"), 1);
        assert!(out.stderr.contains("config.toml"), "{config}:\n{out}");
    }
    assert_eq!(stage_of(&env, "m", "1"), "None");
}

// ---------------------------------------------------------------------------------------------
// Who acts

#[test]
fn the_actor_is_mlf_user_then_git_user_name_then_user() {
    // No MLF_USER here.
    let env = TestEnv::new();
    support::git(&env.cwd(), &["init", "-q"]);
    support::git(&env.cwd(), &["config", "user.name", "Grace Hopper"]);
    env.mlf(&["registry", "create", "m"]).ok();
    assert_eq!(
        model_json(&env, "m")["registered_model"]["user_id"],
        "Grace Hopper"
    );

    let mut cmd = env.command(&["registry", "alias", "m", "x", "1"]);
    cmd.env("MLF_USER", "zed");
    support::run(cmd).code(2);
    let mut cmd = env.command(&["registry", "describe", "m", "d"]);
    cmd.env("MLF_USER", "zed");
    support::run(cmd).ok();
    assert_eq!(
        events(&env, "m"),
        [
            "create_model v=- from=- to=- by=Grace Hopper why=-",
            "describe v=- from=- to=d by=zed why=-",
        ]
    );

    // Outside a repository: the git identity the user has, else $USER (`tester`).
    let plain = TestEnv::new();
    let git_name = std::process::Command::new("git")
        .args(["config", "--get", "user.name"])
        .current_dir(plain.cwd())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", plain.dir.path().join("home"))
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|n| !n.is_empty());
    plain.mlf(&["registry", "create", "m"]).ok();
    let want = git_name.unwrap_or_else(|| "tester".to_string());
    assert_eq!(
        model_json(&plain, "m")["registered_model"]["user_id"],
        want.as_str()
    );
}

// ---------------------------------------------------------------------------------------------
// History

#[test]
fn the_history_records_every_change_with_who_and_why() {
    let env = new_env();
    let run = train_run(&env);
    env.write(".mlf/config.toml", PROTECT_PRODUCTION);
    as_user(&env, "ann", &["registry", "create", "m", "-d", "churn"]).ok();
    as_user(
        &env,
        "ann",
        &["registry", "register", "runs:/train/model", "--name", "m"],
    )
    .ok();
    as_user(
        &env,
        "ann",
        &["registry", "register", "runs:/train/model", "--name", "m"],
    )
    .ok();
    as_user(
        &env,
        "ben",
        &[
            "registry", "promote", "m", "1", "--to", "Staging", "-m", "smoke",
        ],
    )
    .ok();
    as_user(&env, "alice", &request_args("1", "Production", "auc 0.91")).ok();
    as_user(&env, "bob", &["registry", "approve", "m", "1", "-m", "ok"]).ok();
    as_user(
        &env,
        "ben",
        &[
            "registry",
            "promote",
            "m",
            "1",
            "--to",
            "Production",
            "-m",
            "release",
        ],
    )
    .ok();
    as_user(&env, "alice", &request_args("2", "Production", "retrained")).ok();
    as_user(&env, "bob", &["registry", "approve", "m", "2"]).ok();
    as_user(
        &env,
        "ben",
        &[
            "registry",
            "promote",
            "m",
            "2",
            "--to",
            "Production",
            "--archive-existing",
            "-m",
            "v2 better",
        ],
    )
    .ok();
    as_user(&env, "alice", &request_args("1", "Production", "rollback?")).ok();
    as_user(&env, "bob", &["registry", "reject", "m", "1", "-m", "no"]).ok();
    as_user(&env, "cy", &["registry", "alias", "m", "champion", "1"]).ok();
    as_user(
        &env,
        "cy",
        &["registry", "alias", "m", "champion", "2", "-m", "v2 wins"],
    )
    .ok();
    as_user(
        &env,
        "cy",
        &["registry", "unalias", "m", "champion", "-m", "cleanup"],
    )
    .ok();
    as_user(
        &env,
        "dora",
        &["registry", "delete", "m", "--version", "1", "-m", "stale"],
    )
    .ok();
    as_user(
        &env,
        "dora",
        &["registry", "delete", "m", "--yes", "-m", "retired"],
    )
    .ok();

    let src = format!("runs:/{run}/model");
    let want = [
        "create_model v=- from=- to=- by=ann why=-".to_string(),
        format!("register v=1 from=- to={src} by=ann why=-"),
        format!("register v=2 from=- to={src} by=ann why=-"),
        "stage v=1 from=None to=Staging by=ben why=smoke".into(),
        "request v=1 from=Staging to=Production by=alice why=auc 0.91".into(),
        "approve v=1 from=- to=Production by=bob why=ok".into(),
        "stage v=1 from=Staging to=Production by=ben why=release".into(),
        "request v=2 from=None to=Production by=alice why=retrained".into(),
        "approve v=2 from=- to=Production by=bob why=-".into(),
        "stage v=1 from=Production to=Archived by=ben why=archived when version 2 entered Production"
            .into(),
        "stage v=2 from=None to=Production by=ben why=v2 better".into(),
        "request v=1 from=Archived to=Production by=alice why=rollback?".into(),
        "reject v=1 from=- to=Production by=bob why=no".into(),
        "alias v=1 from=- to=champion by=cy why=-".into(),
        "alias v=2 from=1 to=champion by=cy why=v2 wins".into(),
        "unalias v=2 from=champion to=- by=cy why=cleanup".into(),
        "delete_version v=1 from=- to=- by=dora why=stale".into(),
        "delete_model v=- from=- to=- by=dora why=retired".into(),
    ];
    // The model is gone; its history stays.
    env.mlf(&["registry", "show", "m"]).code(2);
    assert_eq!(events(&env, "m"), want);

    let history = env
        .mlf(&["registry", "history", "m", "--format", "json"])
        .ok()
        .json();
    let first = &history["events"][0];
    for k in ["id", "name", "kind", "actor", "timestamp"] {
        assert!(first.get(k).is_some(), "no `{k}` in {first:#}");
    }
    assert_eq!(first["name"], "m");

    let text = env.mlf(&["registry", "history", "m"]).ok().stdout;
    let rows = table(&text, &["TIME", "WHO", "WHAT", "WHY"]);
    assert_eq!(rows.len(), want.len(), "{text}");
    let what: Vec<[&str; 3]> = rows
        .iter()
        .map(|r| [r[1].as_str(), r[2].as_str(), r[3].as_str()])
        .collect();
    for row in [
        ["ann", "created the model", ""],
        ["ben", "moved version 1 from None to Staging", "smoke"],
        ["alice", "requested version 1 to Production", "auc 0.91"],
        ["bob", "approved version 1 to Production", "ok"],
        ["bob", "rejected version 1 to Production", "no"],
        [
            "ben",
            "moved version 1 from Production to Archived",
            "archived when version 2 entered Production",
        ],
        [
            "cy",
            "moved alias @champion from version 1 to version 2",
            "v2 wins",
        ],
        ["cy", "removed alias @champion (was version 2)", "cleanup"],
        ["dora", "deleted version 1", "stale"],
        ["dora", "deleted the model", "retired"],
    ] {
        assert!(what.contains(&row), "no history row {row:?} in\n{text}");
    }

    // A new model of the same name continues the same history.
    as_user(
        &env,
        "ann",
        &["registry", "register", "runs:/train/model", "--name", "m"],
    )
    .ok();
    let ev = events(&env, "m");
    assert_eq!(ev.len(), want.len() + 2);
    assert_eq!(ev[want.len()], "create_model v=- from=- to=- by=ann why=-");

    env.mlf(&["registry", "history", "never-existed"]).code(2);
}

// ---------------------------------------------------------------------------------------------
// --at

/// `show m --at WHEN --format json`, without `name` and `at`.
#[track_caller]
fn at(env: &TestEnv, when: &str) -> Value {
    let v = env
        .mlf(&["registry", "show", "m", "--at", when, "--format", "json"])
        .ok()
        .json();
    assert_eq!(v["name"], "m", "{v:#}");
    assert!(v["at"].is_i64(), "{v:#}");
    json!({"stages": v["stages"], "aliases": v["aliases"]})
}

#[test]
fn show_at_answers_what_held_each_stage_and_alias_then() {
    let env = new_env();
    train_run(&env);
    let reg = ["registry", "register", "runs:/train/model", "--name", "m"];
    let (t1, t2, t3, t4) = (T0 + 100_000, T0 + 200_000, T0 + 300_000, T0 + 400_000);
    at_time(&env, T0, "ann", &reg).ok();
    at_time(&env, T0 + 1_000, "ann", &reg).ok();
    at_time(&env, t1, "ann", &promote_args("1", "Production")).ok();
    at_time(
        &env,
        t1,
        "ann",
        &["registry", "alias", "m", "champion", "1"],
    )
    .ok();
    at_time(&env, t2, "ann", &promote_args("2", "Staging")).ok();
    at_time(
        &env,
        t3,
        "ann",
        &[
            "registry",
            "promote",
            "m",
            "2",
            "--to",
            "Production",
            "--archive-existing",
        ],
    )
    .ok();
    at_time(
        &env,
        t4,
        "ann",
        &["registry", "alias", "m", "champion", "2"],
    )
    .ok();
    at_time(&env, T0 + 500_000, "ann", &reg).ok();
    at_time(
        &env,
        T0 + 600_000,
        "ann",
        &["registry", "delete", "m", "--version", "3"],
    )
    .ok();

    let none = json!({});
    for (when, stages, aliases) in [
        (T0, json!({"None": ["1"]}), none.clone()),
        (T0 + 50_000, json!({"None": ["2", "1"]}), none.clone()),
        (
            t1,
            json!({"None": ["2"], "Production": ["1"]}),
            json!({"champion": "1"}),
        ),
        (
            t2 - 1,
            json!({"None": ["2"], "Production": ["1"]}),
            json!({"champion": "1"}),
        ),
        (
            t2,
            json!({"Staging": ["2"], "Production": ["1"]}),
            json!({"champion": "1"}),
        ),
        (
            t3,
            json!({"Archived": ["1"], "Production": ["2"]}),
            json!({"champion": "1"}),
        ),
        (
            t4 - 1,
            json!({"Archived": ["1"], "Production": ["2"]}),
            json!({"champion": "1"}),
        ),
        (
            t4,
            json!({"Archived": ["1"], "Production": ["2"]}),
            json!({"champion": "2"}),
        ),
        (
            T0 + 500_000,
            json!({"Archived": ["1"], "Production": ["2"], "None": ["3"]}),
            json!({"champion": "2"}),
        ),
        (
            T0 + 600_000,
            json!({"Archived": ["1"], "Production": ["2"]}),
            json!({"champion": "2"}),
        ),
    ] {
        assert_eq!(
            at(&env, &when.to_string()),
            json!({"stages": stages, "aliases": aliases}),
            "at {when}"
        );
    }
    let v = env
        .mlf(&[
            "registry",
            "show",
            "m",
            "--at",
            &t1.to_string(),
            "--format",
            "json",
        ])
        .ok()
        .json();
    assert_eq!(v["at"], t1);

    // ISO times (TZ=UTC here): T0 is 2023-11-14T22:13:20Z, t1 22:15:00, t3 22:18:20.
    let iso = [
        ("2023-11-14T22:13:20Z", json!({"None": ["1"]}), none.clone()),
        (
            "2023-11-14T22:15:00Z",
            json!({"None": ["2"], "Production": ["1"]}),
            json!({"champion": "1"}),
        ),
        (
            "2023-11-14T22:14:59Z",
            json!({"None": ["2", "1"]}),
            none.clone(),
        ),
        (
            "2023-11-14T23:18:20+01:00",
            json!({"Archived": ["1"], "Production": ["2"]}),
            json!({"champion": "1"}),
        ),
        (
            "2023-11-14T22:15",
            json!({"None": ["2"], "Production": ["1"]}),
            json!({"champion": "1"}),
        ),
    ];
    for (when, stages, aliases) in iso {
        assert_eq!(
            at(&env, when),
            json!({"stages": stages, "aliases": aliases}),
            "at {when}"
        );
    }

    // The text answer names the versions.
    let text = env
        .mlf(&["registry", "show", "m", "--at", &t3.to_string()])
        .ok()
        .stdout;
    let lines: Vec<Vec<&str>> = text
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert!(lines.contains(&vec!["Production", "2"]), "{text}");
    assert!(lines.contains(&vec!["Archived", "1"]), "{text}");
    assert!(lines.contains(&vec!["@champion", "1"]), "{text}");

    // Before the model existed; a time that is no time.
    for when in [
        (T0 - 1).to_string(),
        "2023-11-14T22:13:19Z".to_string(),
        "2023-11-13".to_string(),
    ] {
        let out = env.mlf(&["registry", "show", "m", "--at", &when]).code(2);
        assert!(out.stderr.contains("error:"), "{when}:\n{out}");
    }
    for when in ["yesterday", "2023-13-01", "2023-11-14T25:00Z", ""] {
        env.mlf(&["registry", "show", "m", "--at", when]).code(2);
    }
    env.mlf(&["registry", "show", "nope", "--at", &t1.to_string()])
        .code(2);
}

#[test]
fn show_at_follows_a_model_through_deletion_and_re_creation() {
    let env = new_env();
    train_run(&env);
    let reg = ["registry", "register", "runs:/train/model", "--name", "m"];
    at_time(&env, T0, "ann", &reg).ok();
    at_time(&env, T0 + 10, "ann", &promote_args("1", "Production")).ok();
    at_time(
        &env,
        T0 + 20,
        "ann",
        &["registry", "alias", "m", "champion", "1"],
    )
    .ok();
    at_time(&env, T0 + 30, "ann", &["registry", "delete", "m", "--yes"]).ok();
    at_time(&env, T0 + 40, "ann", &reg).ok();

    assert_eq!(
        at(&env, &(T0 + 25).to_string()),
        json!({"stages": {"Production": ["1"]}, "aliases": {"champion": "1"}})
    );
    env.mlf(&["registry", "show", "m", "--at", &(T0 + 35).to_string()])
        .code(2);
    assert_eq!(
        at(&env, &(T0 + 40).to_string()),
        json!({"stages": {"None": ["1"]}, "aliases": {}})
    );
}

// ---------------------------------------------------------------------------------------------
// list

#[test]
fn list_shows_models_as_a_table_and_json_and_filters_them() {
    let env = new_env();
    train_run(&env);
    // No models yet.
    let empty = env
        .mlf(&["registry", "list", "--format", "json"])
        .ok()
        .json();
    assert_eq!(empty, json!({"registered_models": []}));
    let out = env.mlf(&["registry", "list"]).ok();
    assert!(out.stderr.contains("No models"), "{out}");

    env.mlf(&[
        "registry",
        "create",
        "churn-a",
        "-d",
        "Churn model A\nsecond line",
        "-t",
        "team=risk",
    ])
    .ok();
    env.mlf(&["registry", "create", "churn-b", "-t", "team=growth"])
        .ok();
    env.mlf(&[
        "registry",
        "create",
        "Fraud",
        "-t",
        "team=risk",
        "-t",
        "tier=1",
    ])
    .ok();
    for _ in 0..3 {
        register(&env, "runs:/train/model", "m");
    }
    env.mlf(&promote_args("1", "Production")).ok();
    env.mlf(&promote_args("2", "Staging")).ok();
    env.mlf(&["registry", "alias", "m", "champion", "3"]).ok();

    let text = env.mlf(&["registry", "list"]).ok().stdout;
    let headers = [
        "NAME",
        "VERSIONS",
        "STAGING",
        "PRODUCTION",
        "ALIASES",
        "UPDATED",
        "DESCRIPTION",
    ];
    let rows = table(&text, &headers);
    let names: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(names, ["Fraud", "churn-a", "churn-b", "m"], "{text}");
    let m = &rows[3];
    assert_eq!(
        [&m[1], &m[2], &m[3], &m[4]],
        ["3", "2", "1", "champion→3"],
        "{text}"
    );
    assert!(!m[5].is_empty(), "{text}");
    let a = &rows[1];
    assert_eq!([&a[1], &a[2], &a[3], &a[4]], ["0", "", "", ""], "{text}");
    assert_eq!(
        a[6], "Churn model A",
        "only the first line of the description: {text}"
    );

    let csv = env
        .mlf(&["registry", "list", "--format", "csv"])
        .ok()
        .stdout;
    assert_eq!(
        csv.lines().next().unwrap(),
        "NAME,VERSIONS,STAGING,PRODUCTION,ALIASES,UPDATED,DESCRIPTION"
    );
    assert_eq!(csv.lines().count(), 5, "{csv}");

    let list = env
        .mlf(&["registry", "list", "--format", "json"])
        .ok()
        .json();
    let models = list["registered_models"].as_array().unwrap();
    assert_eq!(models.len(), 4);
    let mj = &models[3];
    assert_eq!(mj["name"], "m");
    assert_eq!(
        mj["aliases"],
        json!([{"alias": "champion", "version": "3"}])
    );
    assert_eq!(mj["latest_versions"].as_array().unwrap().len(), 3);
    assert_eq!(
        models[0]["tags"],
        json!([{"key": "team", "value": "risk"}, {"key": "tier", "value": "1"}])
    );
    assert_eq!(models[1]["description"], "Churn model A\nsecond line");

    for (filter, want) in [
        ("name LIKE 'churn%'", vec!["churn-a", "churn-b"]),
        ("name LIKE 'Churn%'", vec![]),
        ("name ILIKE 'CHURN%'", vec!["churn-a", "churn-b"]),
        ("name LIKE 'churn_a'", vec!["churn-a"]),
        ("name = 'm'", vec!["m"]),
        ("name = 'M'", vec![]),
        ("name != 'm'", vec!["Fraud", "churn-a", "churn-b"]),
        ("name IN ('m', 'Fraud')", vec!["Fraud", "m"]),
        ("tags.team = 'risk'", vec!["Fraud", "churn-a"]),
        ("tags.team != 'risk'", vec!["churn-b"]),
        ("tags.team LIKE 'gr%'", vec!["churn-b"]),
        ("tags.team = 'risk' AND name LIKE 'churn%'", vec!["churn-a"]),
        ("tags.team = 'growth' OR name = 'm'", vec!["churn-b", "m"]),
        ("NOT name LIKE 'churn%'", vec!["Fraud", "m"]),
        ("tags.tier = '1'", vec!["Fraud"]),
    ] {
        let v = env
            .mlf(&["registry", "list", "-f", filter, "--format", "json"])
            .ok()
            .json();
        let got: Vec<&str> = v["registered_models"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["name"].as_str().unwrap())
            .collect();
        assert_eq!(got, want, "filter {filter}");
    }
    for bad in ["bogus = 'x'", "name > 'a'", "name LIKE", "name = 'a' OR"] {
        let out = env.mlf(&["registry", "list", "-f", bad]).code(2);
        assert!(out.stderr.contains("error:"), "{bad}:\n{out}");
    }
}

// ---------------------------------------------------------------------------------------------
// describe, tag, untag

#[test]
fn describe_tag_and_untag_models_and_versions() {
    let env = new_env();
    train_run(&env);
    register(&env, "runs:/train/model", "m");
    register(&env, "runs:/train/model", "m");

    env.mlf(&["registry", "describe", "m", "Churn classifier"])
        .ok();
    env.mlf(&["registry", "describe", "m", "first cut", "--version", "1"])
        .ok();
    let m = model_json(&env, "m");
    assert_eq!(m["registered_model"]["description"], "Churn classifier");
    assert_eq!(version_json(&env, "m", "1")["description"], "first cut");
    assert_eq!(version_json(&env, "m", "2")["description"], "");

    env.mlf(&["registry", "tag", "m", "team=risk", "owner=ann"])
        .ok();
    env.mlf(&["registry", "tag", "m", "validated=yes", "--version", "2"])
        .ok();
    assert_eq!(
        model_json(&env, "m")["registered_model"]["tags"],
        json!([{"key": "owner", "value": "ann"}, {"key": "team", "value": "risk"}])
    );
    assert_eq!(
        version_json(&env, "m", "2")["tags"],
        json!([{"key": "validated", "value": "yes"}])
    );
    assert_eq!(version_json(&env, "m", "1")["tags"], json!([]));

    // Setting again replaces; `value` may hold `=`.
    env.mlf(&["registry", "tag", "m", "team=growth", "expr=a=b"])
        .ok();
    assert_eq!(
        model_json(&env, "m")["registered_model"]["tags"],
        json!([
            {"key": "expr", "value": "a=b"},
            {"key": "owner", "value": "ann"},
            {"key": "team", "value": "growth"}
        ])
    );

    env.mlf(&["registry", "untag", "m", "owner", "expr"]).ok();
    env.mlf(&["registry", "untag", "m", "validated", "--version", "2"])
        .ok();
    assert_eq!(
        model_json(&env, "m")["registered_model"]["tags"],
        json!([{"key": "team", "value": "growth"}])
    );
    assert_eq!(version_json(&env, "m", "2")["tags"], json!([]));

    // Unknown model or version, malformed tags.
    assert_refused(&env, "tester", &["registry", "describe", "nope", "x"], 2);
    assert_refused(
        &env,
        "tester",
        &["registry", "describe", "m", "x", "--version", "9"],
        2,
    );
    assert_refused(&env, "tester", &["registry", "tag", "nope", "a=b"], 2);
    assert_refused(
        &env,
        "tester",
        &["registry", "tag", "m", "a=b", "--version", "9"],
        2,
    );
    assert_refused(&env, "tester", &["registry", "tag", "m", "novalue"], 2);
    assert_refused(&env, "tester", &["registry", "tag", "m", "=v"], 2);
    assert_refused(&env, "tester", &["registry", "untag", "nope", "a"], 2);
    assert_refused(
        &env,
        "tester",
        &["registry", "untag", "m", "a", "--version", "9"],
        2,
    );

    let ev = events(&env, "m");
    let changes: Vec<&str> = ev
        .iter()
        .map(String::as_str)
        .filter(|e| e.starts_with("describe") || e.starts_with("tag") || e.starts_with("untag"))
        .collect();
    assert_eq!(
        changes,
        [
            "describe v=- from=- to=Churn classifier by=tester why=-",
            "describe v=1 from=- to=first cut by=tester why=-",
            "tag v=- from=- to=team=risk by=tester why=-",
            "tag v=- from=- to=owner=ann by=tester why=-",
            "tag v=2 from=- to=validated=yes by=tester why=-",
            "tag v=- from=- to=team=growth by=tester why=-",
            "tag v=- from=- to=expr=a=b by=tester why=-",
            "untag v=- from=- to=owner by=tester why=-",
            "untag v=- from=- to=expr by=tester why=-",
            "untag v=2 from=- to=validated by=tester why=-",
        ]
    );

    // The text view shows them.
    let text = env.mlf(&["registry", "show", "m"]).ok().stdout;
    assert!(text.contains("Churn classifier"), "{text}");
    assert!(text.contains("tag team"), "{text}");
    let text = env
        .mlf(&["registry", "show", "m", "--version", "1"])
        .ok()
        .stdout;
    assert!(text.contains("first cut"), "{text}");
}

#[test]
fn a_moved_store_still_finds_its_registered_files() {
    let env = TestEnv::new();
    env.write("model/MLmodel", "flavors: {}\n");
    env.write("model/weights.bin", "w");
    register(&env, "./model", "m");
    let db = env.store().join("mlf.db");
    let stored =
        crate::support::sqlite(&db, "SELECT storage_location FROM model_versions").unwrap();
    assert_eq!(
        stored.trim(),
        "registry/m/1/model",
        "kept relative to the store"
    );

    // Move the store; the version resolves to its new place.
    let moved = env.dir.path().join("elsewhere/.mlf");
    std::fs::create_dir_all(moved.parent().unwrap()).unwrap();
    std::fs::rename(env.store(), &moved).unwrap();
    let store = moved.to_str().unwrap();
    let out = env
        .mlf(&["--store", store, "registry", "resolve", "models:/m/1"])
        .ok();
    let path = std::path::PathBuf::from(out.stdout.trim());
    assert!(
        path.starts_with(std::fs::canonicalize(&moved).unwrap()),
        "{out}"
    );
    assert!(path.join("weights.bin").is_file(), "{out}");

    // A store written before: absolute locations inside it become relative when it opens.
    let db = moved.join("mlf.db");
    let root = std::fs::canonicalize(&moved).unwrap();
    crate::support::sqlite(
        &db,
        &format!(
            "UPDATE model_versions SET storage_location = '{}/registry/m/1/model'; PRAGMA user_version = 4;",
            root.display()
        ),
    );
    env.mlf(&["--store", store, "registry", "resolve", "models:/m/1"])
        .ok();
    let stored =
        crate::support::sqlite(&db, "SELECT storage_location FROM model_versions").unwrap();
    assert_eq!(stored.trim(), "registry/m/1/model");
}
