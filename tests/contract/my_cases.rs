//! What the MySQL store has to show beyond the contract, as the PostgreSQL store does
//! (`pg_cases.rs`): many processes on one database (migrations once under the lock, gap-free
//! registry numbers under concurrent registration, no lost metric points), the command line on
//! a database, and one-line errors for a database it cannot reach.

use std::process::Command;
use std::sync::{Arc, Barrier};
use std::thread;

use mlf::store::mysql::MyStore;
use mlf::store::{LogBatch, NewVersion};
use mysql::prelude::Queryable;

use crate::common::{act, metric};

/// The server, or `None` (skipping) when MariaDB is not installed outside CI.
fn cluster() -> Option<&'static crate::my::Server> {
    crate::my::server()
}

/// Opens `n` stores on one database at the same moment, each on its own thread.
fn open_together(uri: &str, root: &std::path::Path, n: usize) -> Vec<MyStore> {
    let barrier = Arc::new(Barrier::new(n));
    let handles: Vec<_> = (0..n)
        .map(|_| {
            let (uri, root, barrier) = (uri.to_string(), root.to_path_buf(), barrier.clone());
            thread::spawn(move || {
                barrier.wait();
                MyStore::open(&uri, &root)
            })
        })
        .collect();
    handles
        .into_iter()
        .map(|h| h.join().unwrap().expect("open the store"))
        .collect()
}

#[test]
fn stores_opening_together_migrate_once() {
    let Some(cluster) = cluster() else { return };
    let dir = tempfile::tempdir().unwrap();
    let uri = cluster.new_database();
    let stores = open_together(&uri, dir.path(), 6);
    // One Default experiment: the first migration ran once.
    for s in &stores {
        let exps = s.list_experiments(mlf::tracking::ViewType::All).unwrap();
        assert_eq!(exps.len(), 1, "{exps:?}");
    }
}

#[test]
fn concurrent_registrations_are_numbered_without_gaps() {
    let Some(cluster) = cluster() else { return };
    let dir = tempfile::tempdir().unwrap();
    let uri = cluster.new_database();
    let mut first = MyStore::open(&uri, dir.path()).unwrap();
    let exp = first.create_experiment("e", None).unwrap().experiment_id;
    let run = crate::common::run(&mut first, &exp, "train");
    let source = format!("runs:/{}/model", run.info.run_id);
    let stores = open_together(&uri, dir.path(), 8);
    let barrier = Arc::new(Barrier::new(stores.len()));
    let handles: Vec<_> = stores
        .into_iter()
        .map(|s| {
            let (barrier, source, run_id) =
                (barrier.clone(), source.clone(), run.info.run_id.clone());
            thread::spawn(move || {
                barrier.wait();
                let new = NewVersion {
                    name: "shared".into(),
                    source,
                    run_id,
                    storage_location: "/models/shared".into(),
                    description: String::new(),
                    tags: Vec::new(),
                };
                s.create_version(&new, &act(), &mut |_| Err("nothing to place".into()))
                    .expect("register")
                    .version
            })
        })
        .collect();
    let mut numbers: Vec<i64> = handles
        .into_iter()
        .map(|h| h.join().unwrap().parse().unwrap())
        .collect();
    numbers.sort();
    assert_eq!(numbers, (1..=8).collect::<Vec<i64>>());
    assert_eq!(first.versions("shared").unwrap().len(), 8);
}

#[test]
fn concurrent_writers_lose_no_metric_points() {
    let Some(cluster) = cluster() else { return };
    let dir = tempfile::tempdir().unwrap();
    let uri = cluster.new_database();
    let mut first = MyStore::open(&uri, dir.path()).unwrap();
    let run = crate::common::run(&mut first, "0", "busy").info.run_id;
    let stores = open_together(&uri, dir.path(), 4);
    let handles: Vec<_> = stores
        .into_iter()
        .enumerate()
        .map(|(w, s)| {
            let run = run.clone();
            thread::spawn(move || {
                for i in 0..50i64 {
                    let step = w as i64 * 1000 + i;
                    let batch = LogBatch {
                        metrics: vec![metric("loss", step as f64, 1, step)],
                        ..Default::default()
                    };
                    s.log_batch(&run, batch).expect("log");
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let history = first.metric_history(&run, "loss").unwrap();
    assert_eq!(history.len(), 200);
    let latest = first.run(&run).unwrap().data.metrics;
    assert_eq!(latest[0].step, 3049, "{latest:?}");
}

/// Runs `mlf experiments list --store URI`: (exit code, stderr).
fn mlf_list(uri: &str) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_mlf"))
        .args(["experiments", "list", "--store", uri])
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .env_remove("MLF_TRACKING_URI")
        .env_remove("MLFLOW_TRACKING_URI")
        .output()
        .expect("run mlf");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_command_line_works_on_a_database() {
    let Some(cluster) = cluster() else { return };
    let uri = cluster.new_database();
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_mlf"))
        .args(["experiments", "create", "from-cli", "--store", &uri])
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .output()
        .expect("run mlf");
    assert!(out.status.success(), "{out:?}");
    let s = MyStore::open(&uri, dir.path()).unwrap();
    let exp = s.find_experiment("from-cli").unwrap().expect("created");
    assert!(
        exp.artifact_location
            .starts_with(&dir.path().join("mlruns").display().to_string()),
        "{exp:?}"
    );
}

#[test]
fn init_prepares_a_database() {
    let Some(cluster) = cluster() else { return };
    let uri = cluster.new_database();
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_mlf"))
        .args(["init", "--store", &uri])
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .output()
        .expect("run mlf");
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("mysql://mlf@127.0.0.1:"), "{stdout}");
    assert!(!stdout.contains("mlf-contract"), "{stdout}");
    // Nothing was made in the directory: the tables are in the database.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    let s = MyStore::open(&uri, dir.path()).unwrap();
    assert_eq!(
        s.list_experiments(mlf::tracking::ViewType::All)
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn a_wrong_password_is_one_line_naming_the_server() {
    let Some(cluster) = cluster() else { return };
    let uri = cluster.uri("mysql", "not-the-password");
    let (code, stderr) = mlf_list(&uri);
    assert_eq!(code, 1, "{stderr}");
    let port = cluster.port;
    assert!(
        stderr.contains(&format!("MySQL at 127.0.0.1:{port} refused user `mlf`")),
        "{stderr}"
    );
    assert!(stderr.contains("check the user and password"), "{stderr}");
    assert!(!stderr.contains("not-the-password"), "{stderr}");
}

#[test]
fn an_unreachable_database_is_one_line_naming_the_server() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let (code, stderr) = mlf_list(&format!("mysql://u:secret@127.0.0.1:{port}/db"));
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains(&format!("cannot connect to MySQL at 127.0.0.1:{port}")),
        "{stderr}"
    );
    assert!(
        stderr.contains("check that the database server is running"),
        "{stderr}"
    );
    assert!(!stderr.contains("secret"), "{stderr}");
}

#[test]
fn a_database_from_a_newer_mlf_is_refused() {
    let Some(cluster) = cluster() else { return };
    let dir = tempfile::tempdir().unwrap();
    let uri = cluster.new_database();
    drop(MyStore::open(&uri, dir.path()).unwrap());
    let mut client = mysql::Conn::new(mysql::Opts::from_url(&uri).unwrap()).unwrap();
    client
        .query_drop("UPDATE mlf_schema SET version = 999")
        .unwrap();
    let e = MyStore::open(&uri, dir.path()).err().expect("refused");
    assert!(matches!(e, mlf::store::Error::Newer(_, 999, _)), "{e:?}");
    assert!(e.to_string().contains("upgrade mlf"), "{e}");
    assert!(!e.to_string().contains("mlf-contract"), "{e}");
}

#[test]
fn mlf_run_tracks_a_command_in_the_database() {
    let Some(cluster) = cluster() else { return };
    let uri = cluster.new_database();
    let dir = tempfile::tempdir().unwrap();
    let mlf = env!("CARGO_BIN_EXE_mlf");
    // The command logs through `mlf` too: MLF_STORE names the same database for it.
    let script = format!("test \"$MLF_PARAM_LR\" = 0.2 && '{mlf}' log metric acc 0.9 --step 2");
    let out = Command::new(mlf)
        .args(["run", "--name", "ci-job", "-p", "lr=0.2", "--store", &uri])
        .args(["--", "sh", "-c", &script])
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .env_remove("MLF_TRACKING_URI")
        .env_remove("MLFLOW_TRACKING_URI")
        .output()
        .expect("run mlf");
    assert!(out.status.success(), "{out:?}");
    let s = MyStore::open(&uri, dir.path()).unwrap();
    let id = s.resolve_run("ci-job", None).unwrap();
    let run = s.run(&id).unwrap();
    assert_eq!(run.info.status, mlf::tracking::RunStatus::Finished);
    assert_eq!(run.data.metrics.len(), 1, "{run:?}");
    assert_eq!(run.data.metrics[0].key, "acc");
    assert_eq!(run.data.params[0].value, "0.2");
}
