//! `mlf remote`, `mlf push` and `mlf pull` between two store directories: runs arrive with
//! their ids, params, tags, whole metric histories and artifacts; a second push sends nothing;
//! a param conflict is reported with exit code 1 while the rest is copied; of two copies of a
//! run the newer one's tags win and each change is said; bad remotes are refused in one line.

use std::path::{Path, PathBuf};

use crate::support::{TestEnv, history, param, run_of, tag};

/// A run in experiment `exp1` with a param, a tag, two metric points and an artifact file.
fn offline_run(env: &TestEnv) -> String {
    let id = env.start_run(&["-x", "exp1", "-p", "lr=0.1", "-t", "team=x"]);
    env.mlf(&["log", "metric", "loss", "0.5", "--step", "1"])
        .ok();
    env.mlf(&["log", "metric", "loss", "0.4", "--step", "2"])
        .ok();
    env.write("report.txt", "hello");
    env.mlf(&["log", "artifact", "report.txt", "--to", "eval"])
        .ok();
    env.mlf(&["run", "end"]).ok();
    id
}

/// Another project directory with a store of its own.
fn other_store(env: &TestEnv, name: &str) -> PathBuf {
    let dir = env.cwd().parent().unwrap().join(name);
    std::fs::create_dir_all(&dir).unwrap();
    env.mlf_in(&dir, &["init"]).ok();
    dir
}

fn artifact(store_dir: &Path, id: &str, rel: &str) -> Option<String> {
    let root = store_dir.join(".mlf/artifacts");
    for exp in std::fs::read_dir(&root).ok()?.flatten() {
        let p = exp.path().join(id).join("artifacts").join(rel);
        if p.is_file() {
            return std::fs::read_to_string(p).ok();
        }
    }
    None
}

#[test]
fn push_copies_runs_with_their_ids_and_a_second_push_sends_nothing() {
    let env = TestEnv::new();
    let id = offline_run(&env);
    let b = other_store(&env, "b");
    env.mlf(&["remote", "add", "origin", b.to_str().unwrap()])
        .ok();
    let out = env.mlf(&["push"]).ok();
    assert!(
        out.stderr
            .contains("Pushed 1 run to origin (1 new, 0 changed, 0 up to date)")
            && out.stderr.contains("2 metric points")
            && out.stderr.contains("(1 file)"),
        "{out}"
    );
    // The run is there with its id, param, tag, history and artifact.
    let there = run_of_in(&env, &b, &id);
    assert_eq!(there["info"]["run_id"], id.as_str());
    assert_eq!(param(&there, "lr").as_deref(), Some("0.1"));
    assert_eq!(tag(&there, "team").as_deref(), Some("x"));
    let exp = env
        .mlf_in(&b, &["experiments", "list", "--format", "json"])
        .ok()
        .json();
    assert!(exp.to_string().contains("\"exp1\""), "{exp}");
    assert_eq!(
        artifact(&b, &id, "eval/report.txt").as_deref(),
        Some("hello")
    );
    // A second push sends nothing.
    let out = env.mlf(&["push", "--format", "json"]).ok();
    assert!(out.stderr.contains("nothing to push"), "{out}");
    let report = &out.json()["report"];
    assert_eq!(report["runs_new"], 0);
    assert_eq!(report["runs_changed"], 0);
    assert_eq!(report["files"], 0);
    // Pulled back into an empty store: the same run.
    let c = env.cwd().parent().unwrap().join("c");
    std::fs::create_dir_all(&c).unwrap();
    let out = env.mlf_in(&c, &["pull", b.to_str().unwrap()]).ok();
    assert!(out.stderr.contains("Pulled 1 run"), "{out}");
    let here = run_of_in(&env, &c, &id);
    assert_eq!(param(&here, "lr").as_deref(), Some("0.1"));
    assert_eq!(
        artifact(&c, &id, "eval/report.txt").as_deref(),
        Some("hello")
    );
    let out = env.mlf_in(&c, &["pull", b.to_str().unwrap()]).ok();
    assert!(out.stderr.contains("nothing to pull"), "{out}");
}

#[test]
fn a_param_conflict_is_reported_and_everything_else_is_copied() {
    let env = TestEnv::new();
    let id = offline_run(&env);
    let b = other_store(&env, "b");
    env.mlf(&["remote", "add", "origin", b.to_str().unwrap()])
        .ok();
    env.mlf(&["push"]).ok();
    // Both sides go on: the other store gets a point and a tag later than anything here.
    env.mlf(&["log", "param", "seed", "1", "--run", &id]).ok();
    env.mlf(&["log", "metric", "loss", "0.35", "--step", "3", "--run", &id])
        .ok();
    env.mlf_in(&b, &["log", "param", "seed", "2", "--run", &id])
        .ok();
    env.mlf_in(&b, &["log", "param", "batch", "64", "--run", &id])
        .ok();
    std::thread::sleep(std::time::Duration::from_millis(20));
    env.mlf_in(
        &b,
        &["log", "metric", "loss", "0.3", "--step", "4", "--run", &id],
    )
    .ok();
    env.mlf_in(&b, &["log", "tag", "team", "y", "--run", &id])
        .ok();
    // Push: the conflict is one line, the exit code 1, the new point still goes.
    let out = env.mlf(&["push"]).code(1);
    assert!(
        out.stderr.contains(&format!(
            "param conflict: run {id} param `seed`: ours `1`, theirs `2`"
        )),
        "{out}"
    );
    assert!(out.stderr.contains("1 metric point"), "{out}");
    // The remote's copy is newer (its last point), so its tag stays.
    assert!(
        out.stderr
            .contains(&format!("`team` of run {id} stays `y` on origin (not `x`)")),
        "{out}"
    );
    let there = run_of_in(&env, &b, &id);
    assert_eq!(param(&there, "seed").as_deref(), Some("2"));
    assert_eq!(tag(&there, "team").as_deref(), Some("y"));
    // Pull: the newer tag replaces ours and says so; histories joined, each point once.
    let out = env.mlf(&["pull"]).code(1);
    assert!(
        out.stderr
            .contains(&format!("`team` of run {id} is now `y` here (was `x`)")),
        "{out}"
    );
    assert!(
        out.stderr.contains(&format!(
            "param conflict: run {id} param `seed`: ours `1`, theirs `2`"
        )),
        "{out}"
    );
    let here = run_of(&env, &id);
    assert_eq!(tag(&here, "team").as_deref(), Some("y"));
    assert_eq!(param(&here, "batch").as_deref(), Some("64"));
    assert_eq!(param(&here, "seed").as_deref(), Some("1"));
    assert_eq!(
        history(&env, &id, "loss"),
        vec![(1, 0.5), (2, 0.4), (3, 0.35), (4, 0.3)]
    );
    // Pushing again sends the point the remote lacked, once.
    env.mlf(&["push"]).code(1);
    let out = env
        .mlf_in(&b, &["runs", "metric", &id, "loss", "--format", "json"])
        .ok();
    assert_eq!(out.json()["metrics"].as_array().unwrap().len(), 4, "{out}");
}

fn run_of_in(env: &TestEnv, dir: &Path, id: &str) -> serde_json::Value {
    env.mlf_in(dir, &["runs", "show", id, "--format", "json"])
        .ok()
        .json()["run"]
        .clone()
}

#[test]
fn remotes_are_added_listed_and_removed_keeping_the_rest_of_the_settings() {
    let env = TestEnv::new();
    env.mlf(&["init"]).ok();
    let settings = env.store().join("config.toml");
    std::fs::write(&settings, "# mine\n[defaults]\nexperiment = \"mnist\"\n").unwrap();
    let b = other_store(&env, "b");
    env.mlf(&["remote", "add", "origin", b.to_str().unwrap()])
        .ok();
    env.mlf(&["remote", "add", "server", "http://127.0.0.1:5000/"])
        .ok();
    let out = env.mlf(&["remote", "list"]).ok();
    assert_eq!(out.stdout, "origin\nserver\n");
    let out = env.mlf(&["remote", "list", "-v"]).ok();
    assert!(
        out.stdout.contains("server\thttp://127.0.0.1:5000\n")
            && out.stdout.contains(&format!(
                "origin\t{}",
                b.join(".mlf").canonicalize().unwrap().display()
            )),
        "{out}"
    );
    // Several remotes, one is origin: push goes there.
    let out = env.mlf(&["push", "--dry-run"]).ok();
    assert!(out.stderr.contains("nothing to push: origin"), "{out}");
    env.mlf(&["remote", "remove", "origin"]).ok();
    let text = std::fs::read_to_string(&settings).unwrap();
    assert!(
        text.starts_with("# mine\n[defaults]\nexperiment = \"mnist\"\n")
            && !text.contains("origin")
            && text.contains("[remote.server]"),
        "{text}"
    );
    let out = env.mlf(&["remote", "list"]).ok();
    assert_eq!(out.stdout, "server\n");
    let out = env.mlf(&["remote", "list", "--format", "json"]).ok();
    assert_eq!(
        out.json(),
        serde_json::json!([{ "name": "server", "url": "http://127.0.0.1:5000" }])
    );
    // Refusals: one line naming the value, and the fix.
    let out = env
        .mlf(&["remote", "add", "server", "http://elsewhere"])
        .code(2);
    assert!(
        out.stderr.contains("remote `server` exists already"),
        "{out}"
    );
    let out = env.mlf(&["remote", "add", "x", "ftp://host/x"]).code(2);
    assert!(
        out.stderr
            .contains("`ftp://host/x` is neither an `mlf server` URL"),
        "{out}"
    );
    let out = env.mlf(&["remote", "add", "bad name", "http://h"]).code(2);
    assert!(
        out.stderr.contains("invalid remote name `bad name`"),
        "{out}"
    );
    let out = env.mlf(&["remote", "remove", "nope"]).code(2);
    assert!(out.stderr.contains("no remote named `nope`"), "{out}");
}

#[test]
fn bad_remotes_are_refused_and_nothing_is_written() {
    let env = TestEnv::new();
    let id = offline_run(&env);
    let out = env.mlf(&["push"]).code(2);
    assert!(
        out.stderr.contains("this store has no remote")
            && out.stderr.contains("`mlf remote add origin URL`"),
        "{out}"
    );
    let out = env.mlf(&["push", "upstream"]).code(2);
    assert!(
        out.stderr.contains("no remote named `upstream`")
            && out.stderr.contains("mlf remote add upstream URL"),
        "{out}"
    );
    let out = env.mlf(&["pull", "./no/such/dir"]).code(2);
    assert!(out.stderr.contains("`./no/such/dir` is neither"), "{out}");
    let empty = env.cwd().parent().unwrap().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let out = env.mlf(&["push", empty.to_str().unwrap()]).code(2);
    assert!(out.stderr.contains("no mlf store in"), "{out}");
    assert!(!empty.join(".mlf").exists());
    // A server that is not there: one line naming it, exit 1, nothing changed here.
    env.mlf(&["remote", "add", "origin", "http://127.0.0.1:9"])
        .ok();
    let before = env.snapshot_store();
    let out = env.mlf(&["pull"]).code(1);
    assert!(
        out.stderr
            .contains("cannot reach the tracking server http://127.0.0.1:9"),
        "{out}"
    );
    assert_eq!(env.snapshot_store(), before);
    assert_eq!(run_of(&env, &id)["info"]["run_id"], id.as_str());
}

#[test]
fn the_registry_travels_with_versions_aliases_and_files() {
    let env = TestEnv::new();
    let id = offline_run(&env);
    env.write("model/MLmodel", "flavors: {}\n");
    env.mlf(&["log", "artifact", "model", "--run", &id]).ok();
    let source = format!("runs:/{id}/model");
    env.mlf(&["registry", "register", &source, "--name", "churn"])
        .ok();
    env.write("local/MLmodel", "flavors: {}\n");
    env.mlf(&["registry", "register", "./local", "--name", "churn"])
        .ok();
    env.mlf(&["registry", "alias", "churn", "prod", "1"]).ok();
    let b = other_store(&env, "b");
    env.mlf(&["remote", "add", "origin", b.to_str().unwrap()])
        .ok();
    let out = env.mlf(&["push"]).ok();
    assert!(
        out.stderr
            .contains("1 model of the registry (1 new, 2 new versions, 1 alias"),
        "{out}"
    );
    // Version 1 points at the run's files there, version 2 has its own files copied.
    let one = env
        .mlf_in(&b, &["registry", "resolve", "models:/churn@prod"])
        .ok();
    let b_store = b.join(".mlf").canonicalize().unwrap();
    assert_eq!(
        one.stdout.trim(),
        b_store
            .join("artifacts/1")
            .join(&id)
            .join("artifacts/model")
            .display()
            .to_string()
    );
    let two = env
        .mlf_in(&b, &["registry", "resolve", "models:/churn/2"])
        .ok();
    let two = PathBuf::from(two.stdout.trim());
    assert!(two.starts_with(&b_store), "{}", two.display());
    assert_eq!(
        std::fs::read_to_string(two.join("MLmodel")).unwrap(),
        "flavors: {}\n"
    );
    let out = env.mlf(&["push"]).ok();
    assert!(out.stderr.contains("nothing to push"), "{out}");
    // The same version number from another source on each side: a conflict, kept apart.
    env.write("a3/MLmodel", "a\n");
    env.mlf(&["registry", "register", "./a3", "--name", "churn"])
        .ok();
    std::fs::create_dir_all(b.join("b3")).unwrap();
    std::fs::write(b.join("b3/MLmodel"), "b\n").unwrap();
    env.mlf_in(&b, &["registry", "register", "./b3", "--name", "churn"])
        .ok();
    let out = env.mlf(&["push"]).code(1);
    assert!(
        out.stderr
            .contains("version conflict: model `churn` version 3: ours from `"),
        "{out}"
    );
    let three = env
        .mlf_in(&b, &["registry", "resolve", "models:/churn/3"])
        .ok();
    assert_eq!(
        std::fs::read_to_string(PathBuf::from(three.stdout.trim()).join("MLmodel")).unwrap(),
        "b\n"
    );
}

#[test]
fn a_push_that_stopped_part_way_resumes_with_what_is_missing() {
    let env = TestEnv::new();
    let first = offline_run(&env);
    let second = env.start_run(&["-x", "exp2", "-p", "lr=0.3"]);
    env.mlf(&["log", "metric", "loss", "0.9"]).ok();
    env.mlf(&["run", "end"]).ok();
    let b = other_store(&env, "b");
    env.mlf(&["remote", "add", "origin", b.to_str().unwrap()])
        .ok();
    // As if a push had stopped after its first batch: only exp1's run arrived.
    env.mlf(&["push", "-x", "exp1"]).ok();
    let out = env.mlf(&["push", "--dry-run"]).ok();
    assert!(
        out.stderr
            .contains("Would push 1 run to origin (1 new, 0 changed, 1 up to date)"),
        "{out}"
    );
    let out = env.mlf(&["push"]).ok();
    assert!(
        out.stderr
            .contains("Pushed 1 run to origin (1 new, 0 changed, 1 up to date)"),
        "{out}"
    );
    for id in [&first, &second] {
        assert_eq!(run_of_in(&env, &b, id)["info"]["run_id"], id.as_str());
    }
    assert!(env.mlf(&["push"]).ok().stderr.contains("nothing to push"));
}

#[test]
fn a_deletion_on_the_remote_is_not_undone_by_a_push_and_comes_back_by_pull() {
    let env = TestEnv::new();
    let id = offline_run(&env);
    let b = other_store(&env, "b");
    env.mlf(&["remote", "add", "origin", b.to_str().unwrap()])
        .ok();
    env.mlf(&["push"]).ok();
    std::thread::sleep(std::time::Duration::from_millis(20));
    env.mlf_in(&b, &["runs", "delete", &id]).ok();
    env.mlf(&["push"]).ok();
    assert_eq!(
        run_of_in(&env, &b, &id)["info"]["lifecycle_stage"],
        "deleted"
    );
    env.mlf(&["pull"]).ok();
    assert_eq!(run_of(&env, &id)["info"]["lifecycle_stage"], "deleted");
    let out = env.mlf(&["push"]).ok();
    assert!(out.stderr.contains("nothing to push"), "{out}");
}
