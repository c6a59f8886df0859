//! `mlf import mlflow`: a store written by the real MLflow client (3.17.2, from
//! target/e2e-venv) imported with its ids, every metric point and artifact byte, compared
//! with what MLflow's client reads back; a second import changes nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::support::TestEnv;

/// An MLflow store made by scripts/make_mlflow_store.py with MLflow's client, and what MLflow
/// read back from it: the SQLite one (`sqlite:///…`) or the file store (`…/mlruns`).
fn made(file_store: bool) -> (PathBuf, Value, String) {
    let dir = tempfile::tempdir().unwrap().keep();
    let (uri, arg) = if file_store {
        let p = dir.join("mlruns");
        (format!("file://{}", p.display()), p.display().to_string())
    } else {
        let p = dir.join("mlflow.db");
        (
            format!("sqlite:///{}", p.display()),
            format!("sqlite:///{}", p.display()),
        )
    };
    let expected = logged(&dir, &uri);
    (dir, expected, arg)
}

/// Runs the script against `uri`; what MLflow's client read back.
fn logged(dir: &Path, uri: &str) -> Value {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = dir.join("expected.json");
    let status = Command::new(crate::server::venv_bin().join("python"))
        .arg(root.join("scripts/make_mlflow_store.py"))
        .arg(uri)
        .arg(dir.join("artifacts"))
        .arg(&out)
        .current_dir(dir)
        .env_remove("MLFLOW_TRACKING_URI")
        .env("MLFLOW_ALLOW_FILE_STORE", "true")
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "make_mlflow_store.py: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap()
}

/// The SQLite store: (database file, what MLflow read, the SRC argument).
fn mlflow_store() -> &'static (PathBuf, Value, String) {
    static MADE: OnceLock<(PathBuf, Value, String)> = OnceLock::new();
    MADE.get_or_init(|| {
        let (dir, expected, arg) = made(false);
        (dir.join("mlflow.db"), expected, arg)
    })
}

/// The file store: (the `mlruns` directory, what MLflow read, the SRC argument).
fn mlruns_store() -> &'static (PathBuf, Value, String) {
    static MADE: OnceLock<(PathBuf, Value, String)> = OnceLock::new();
    MADE.get_or_init(|| {
        let (dir, expected, arg) = made(true);
        (dir.join("mlruns"), expected, arg)
    })
}

fn sha(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap();
    Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A metric value as text, so that NaN and the infinities compare.
fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => format!("{:e}", n.as_f64().unwrap()),
        other => panic!("metric value {other}"),
    }
}

fn pairs(list: &Value) -> BTreeMap<String, String> {
    list.as_array()
        .map(|a| {
            a.iter()
                .map(|kv| {
                    (
                        kv["key"].as_str().unwrap().to_string(),
                        kv["value"].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn files_below(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            files_below(root, &p, out);
        } else {
            let rel = p.strip_prefix(root).unwrap().display().to_string();
            out.insert(rel, sha(&p));
        }
    }
}

fn import(env: &TestEnv, src: &str) -> crate::support::Output {
    env.mlf(&["import", "mlflow", src]).ok()
}

#[test]
fn an_mlflow_database_comes_in_whole_with_its_ids() {
    let (db, expected, src) = mlflow_store();
    let before = sha(db);
    let env = TestEnv::new();
    let out = import(&env, src);
    assert!(
        out.stderr.contains("Imported 3 experiments and 7 runs"),
        "{}",
        out.stderr
    );
    assert_eq!(sha(db), before, "the source was modified");
    compare(&env, expected);
}

/// MLflow's own client writes into a PostgreSQL database (MLflow's schema, made by MLflow);
/// the import reads it without changing it, keeps every id, and a second import changes
/// nothing. Also given as SQLAlchemy writes it (`postgresql+psycopg://`).
#[test]
fn an_mlflow_postgres_database_comes_in_whole_with_its_ids() {
    let Some(cluster) = crate::pg::cluster() else {
        return;
    };
    let uri = cluster.new_database();
    let dir = tempfile::tempdir().unwrap();
    let expected = logged(dir.path(), &uri);
    let env = TestEnv::new();
    let out = import(&env, &uri);
    assert!(
        out.stderr.contains("Imported 3 experiments and 7 runs"),
        "{}",
        out.stderr
    );
    compare(&env, &expected);
    let driver = uri.replacen("postgresql://", "postgresql+psycopg://", 1);
    let again = import(&env, &driver);
    assert!(again.stderr.contains("Unchanged"), "{}", again.stderr);
    // A database without MLflow's tables is refused, naming it without its password.
    let empty = cluster.new_database();
    let refused = env.mlf(&["import", "mlflow", &empty]).code(2);
    assert!(
        refused
            .stderr
            .contains("is not an MLflow tracking database"),
        "{}",
        refused.stderr
    );
    let password = empty.split(':').nth(2).unwrap().split('@').next().unwrap();
    assert!(!refused.stderr.contains(password), "{}", refused.stderr);
}

#[test]
fn an_mlruns_file_store_comes_in_whole_with_its_ids() {
    let (dir, expected, src) = mlruns_store();
    let mut before = BTreeMap::new();
    files_below(dir, dir, &mut before);
    let env = TestEnv::new();
    let out = import(&env, src);
    assert!(
        out.stderr.contains("Imported 3 experiments and 7 runs"),
        "{}",
        out.stderr
    );
    let mut after = BTreeMap::new();
    files_below(dir, dir, &mut after);
    assert_eq!(before, after, "the source was modified");
    compare(&env, expected);
    let again = import(&env, src);
    assert!(again.stderr.contains("Unchanged"), "{}", again.stderr);
}

/// Every experiment, run, param, tag, metric point and artifact that MLflow read back is here.
fn compare(env: &TestEnv, expected: &Value) {
    let exps = env
        .mlf(&["experiments", "list", "--all", "--format", "json"])
        .ok()
        .json();
    for e in expected["experiments"].as_array().unwrap() {
        let here = exps["experiments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["experiment_id"] == e["experiment_id"])
            .unwrap_or_else(|| panic!("experiment {e} missing: {exps}"));
        assert_eq!(here["name"], e["name"]);
        assert_eq!(here["lifecycle_stage"], e["lifecycle_stage"]);
        if e["experiment_id"] != "0" {
            // (The Default experiment was here already.)
            assert_eq!(here["creation_time"].as_i64(), e["creation_time"].as_i64());
        }
    }
    for r in expected["runs"].as_array().unwrap() {
        let id = r["run_id"].as_str().unwrap();
        let shown = env
            .mlf(&["runs", "show", id, "--format", "json"])
            .ok()
            .json();
        let info = &shown["run"]["info"];
        for field in ["experiment_id", "run_name", "status", "lifecycle_stage"] {
            assert_eq!(info[field], r[field], "{id} {field}");
        }
        for field in ["start_time", "end_time"] {
            assert_eq!(info[field].as_i64(), r[field].as_i64(), "{id} {field}");
        }
        let data = &shown["run"]["data"];
        let params: BTreeMap<String, String> = serde_json::from_value(r["params"].clone()).unwrap();
        assert_eq!(pairs(&data["params"]), params, "{id} params");
        let tags: BTreeMap<String, String> = serde_json::from_value(r["tags"].clone()).unwrap();
        assert_eq!(pairs(&data["tags"]), tags, "{id} tags");
        for (key, points) in r["metrics"].as_object().unwrap() {
            let got = env
                .mlf(&["runs", "metric", id, key, "--format", "json"])
                .ok()
                .json();
            let mut got: Vec<(i64, i64, String)> = got["metrics"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| {
                    (
                        m["step"].as_i64().unwrap(),
                        m["timestamp"].as_i64().unwrap(),
                        value_text(&m["value"]),
                    )
                })
                .collect();
            got.sort();
            let want: Vec<(i64, i64, String)> = points
                .as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    (
                        p[0].as_i64().unwrap(),
                        p[1].as_i64().unwrap(),
                        value_text(&p[2]),
                    )
                })
                .collect();
            assert_eq!(got, want, "{id} {key}");
        }
        let uri = info["artifact_uri"].as_str().unwrap();
        let root = PathBuf::from(uri.trim_start_matches("file://"));
        let mut files = BTreeMap::new();
        files_below(&root, &root, &mut files);
        let want: BTreeMap<String, String> =
            serde_json::from_value(r["artifacts"].clone()).unwrap();
        if r["lifecycle_stage"] == "active" {
            assert_eq!(files, want, "{id} artifacts");
        }
    }
    // The registry, with sources that resolve here.
    let model = env
        .mlf(&["registry", "show", "classifier", "--format", "json"])
        .ok()
        .json();
    let text = model.to_string();
    assert!(
        text.contains("the classifier") && text.contains("champion"),
        "{text}"
    );
    for v in expected["versions"].as_array().unwrap() {
        let version = match &v["version"] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let shown = env
            .mlf(&[
                "registry",
                "show",
                "classifier",
                "--version",
                &version,
                "--format",
                "json",
            ])
            .ok()
            .json()
            .to_string();
        assert!(
            shown.contains(v["current_stage"].as_str().unwrap()),
            "{shown}"
        );
        assert!(shown.contains(v["run_id"].as_str().unwrap()), "{shown}");
    }
    let resolved = env
        .mlf(&["registry", "resolve", "models:/classifier@champion"])
        .ok();
    let dir = PathBuf::from(resolved.stdout.trim());
    assert!(dir.join("curve.bin").is_file(), "{}", resolved.stdout);

    // MLflow 3's logged model, as the tracking API serves it from here.
    let id = expected["logged_model"].as_str().unwrap();
    let server = crate::server::Server::start(env, &[]);
    let got = server.get_ok(&format!("logged-models/{id}"), &[]);
    let info = &got["model"]["info"];
    assert_eq!(info["name"], "lm", "{got:#}");
    assert_eq!(
        info["source_run_id"], expected["runs"][0]["run_id"],
        "{got:#}"
    );
    assert_eq!(
        pairs(&info["tags"]).get("t").map(String::as_str),
        Some("1"),
        "{got:#}"
    );
    assert_eq!(
        pairs(&got["model"]["data"]["params"])
            .get("k")
            .map(String::as_str),
        Some("v"),
        "{got:#}"
    );
    let files = server.get_ok(&format!("logged-models/{id}/artifacts/directories"), &[]);
    assert_eq!(files["files"][0]["path"], "weights.txt", "{files:#}");
    assert_eq!(files["files"][0]["file_size"], 8, "{files:#}");
}

#[test]
fn an_mlflow_server_comes_in_whole_with_its_ids() {
    let dir = tempfile::tempdir().unwrap();
    let server = crate::remote::MlflowServer::start(dir.path());
    let expected = logged(dir.path(), &server.url);
    let env = TestEnv::new();
    let out = import(&env, &server.url);
    assert!(
        out.stderr.contains("Imported 3 experiments and 7 runs")
            && out.stderr.contains(", 1 logged model"),
        "{}",
        out.stderr
    );
    compare(&env, &expected);
    let again = import(&env, &server.url);
    assert!(again.stderr.contains("Unchanged"), "{}", again.stderr);
}

#[test]
fn a_second_import_changes_nothing() {
    let (_, _, src) = mlflow_store();
    let env = TestEnv::new();
    import(&env, src);
    let before = env.snapshot_store();
    let again = import(&env, src);
    assert!(again.stderr.contains("Unchanged"), "{}", again.stderr);
    assert_eq!(env.snapshot_store(), before);
}

#[test]
fn the_dry_run_writes_nothing_and_experiments_can_be_picked() {
    let (_, _, uri) = mlflow_store();
    let env = TestEnv::new();
    env.mlf(&["init"]).ok();
    let before = env.snapshot_store();
    let out = env.mlf(&["import", "mlflow", uri, "--dry-run"]).ok();
    assert!(
        out.stderr.contains("Would import 3 experiments and 7 runs"),
        "{}",
        out.stderr
    );
    assert_eq!(env.snapshot_store(), before);
    let out = env.mlf(&["import", "mlflow", uri, "-x", "beta"]).ok();
    assert!(
        out.stderr.contains("Imported 1 experiment and 2 runs"),
        "{}",
        out.stderr
    );
    // A partial import is picked up where it stopped.
    let rest = env.mlf(&["import", "mlflow", uri]).ok();
    assert!(
        rest.stderr
            .contains("Imported 2 experiments and 5 runs (2 already here)"),
        "{}",
        rest.stderr
    );
}

#[test]
fn a_taken_experiment_id_is_mapped_and_said() {
    let (_, _, src) = mlflow_store();
    let env = TestEnv::new();
    env.mlf(&["experiments", "create", "mine"]).ok(); // takes id 1
    let out = import(&env, src);
    assert!(
        out.stderr
            .contains("experiment `alpha` has id 4 here: id 1 is taken"),
        "{}",
        out.stderr
    );
}

#[test]
fn sources_that_are_not_mlflow_stores_are_refused() {
    let env = TestEnv::new();
    let out = env.mlf(&["import", "mlflow", "mysql://x"]).code(2);
    assert!(out.stderr.contains("`mysql://x`"), "{}", out.stderr);
    // A PostgreSQL server that is not there: one line naming it.
    let out = env.mlf(&["import", "mlflow", "postgresql://u:secret@127.0.0.1:1/db"]);
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("127.0.0.1:1"), "{}", out.stderr);
    assert!(!out.stderr.contains("secret"), "{}", out.stderr);
    std::fs::write(env.cwd().join("empty.db"), "").unwrap();
    let out = env.mlf(&["import", "mlflow", "sqlite:///empty.db"]);
    assert_ne!(out.code, 0);
    assert!(
        out.stderr.contains("not an MLflow tracking database"),
        "{}",
        out.stderr
    );
}
