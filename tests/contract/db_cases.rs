//! What each store on a database server has to show beyond the contract, written once and
//! run on PostgreSQL (`pg_cases::…`, the throwaway cluster) and MySQL (`my_cases::…`, the
//! throwaway MariaDB server): many processes on one database (migrations once under the lock,
//! gap-free registry numbers under concurrent registration, no lost metric points), the command
//! line on a database, and one-line errors for a database it cannot reach.

/// The cases for one kind of database: its server (`None` skips, when it is not installed
/// outside CI), its store type, its URI scheme, how its errors name it, the user of its URIs,
/// a database that user may open, and a function that runs SQL on a database by URI.
macro_rules! database_cases {
    ($module:ident, $server:path, $store:ty, $scheme:literal, $label:literal, $user:literal,
     $admin_db:literal, $sql:path) => {
        mod $module {
            use std::process::Command;
            use std::sync::{Arc, Barrier};
            use std::thread;

            use mlf::store::{LogBatch, NewVersion};

            use crate::common::{act, metric};
            use crate::db_cases::DatabaseServer;

            fn cluster() -> Option<&'static impl DatabaseServer> {
                $server()
            }

            /// Opens `n` stores on one database at the same moment, each on its own thread.
            fn open_together(uri: &str, root: &std::path::Path, n: usize) -> Vec<$store> {
                let barrier = Arc::new(Barrier::new(n));
                let handles: Vec<_> = (0..n)
                    .map(|_| {
                        let (uri, root, barrier) =
                            (uri.to_string(), root.to_path_buf(), barrier.clone());
                        thread::spawn(move || {
                            barrier.wait();
                            <$store>::open(&uri, &root)
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
                let mut first = <$store>::open(&uri, dir.path()).unwrap();
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
                let mut first = <$store>::open(&uri, dir.path()).unwrap();
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
                let s = <$store>::open(&uri, dir.path()).unwrap();
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
                assert!(
                    stdout.starts_with(&format!("{}://{}@127.0.0.1:", $scheme, $user)),
                    "{stdout}"
                );
                assert!(!stdout.contains("mlf-contract"), "{stdout}");
                // Nothing was made in the directory: the tables are in the database.
                assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
                let s = <$store>::open(&uri, dir.path()).unwrap();
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
                let uri = cluster.uri($admin_db, "not-the-password");
                let (code, stderr) = mlf_list(&uri);
                assert_eq!(code, 1, "{stderr}");
                let port = cluster.port();
                assert!(
                    stderr.contains(&format!(
                        "{} at 127.0.0.1:{port} refused user `{}`",
                        $label, $user
                    )),
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
                let (code, stderr) =
                    mlf_list(&format!("{}://u:secret@127.0.0.1:{port}/db", $scheme));
                assert_eq!(code, 1, "{stderr}");
                assert!(
                    stderr.contains(&format!("cannot connect to {} at 127.0.0.1:{port}", $label)),
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
                drop(<$store>::open(&uri, dir.path()).unwrap());
                $sql(&uri, "UPDATE mlf_schema SET version = 999");
                let e = <$store>::open(&uri, dir.path()).err().expect("refused");
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
                let script =
                    format!("test \"$MLF_PARAM_LR\" = 0.2 && '{mlf}' log metric acc 0.9 --step 2");
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
                let s = <$store>::open(&uri, dir.path()).unwrap();
                let id = s.resolve_run("ci-job", None).unwrap();
                let run = s.run(&id).unwrap();
                assert_eq!(run.info.status, mlf::tracking::RunStatus::Finished);
                assert_eq!(run.data.metrics.len(), 1, "{run:?}");
                assert_eq!(run.data.metrics[0].key, "acc");
                assert_eq!(run.data.params[0].value, "0.2");
            }
        }
    };
}

/// What the cases ask of a throwaway database server.
pub trait DatabaseServer: Sync {
    fn new_database(&self) -> String;
    fn uri(&self, db: &str, password: &str) -> String;
    fn port(&self) -> u16;
}

impl DatabaseServer for crate::pg::Cluster {
    fn new_database(&self) -> String {
        crate::pg::Cluster::new_database(self)
    }
    fn uri(&self, db: &str, password: &str) -> String {
        crate::pg::Cluster::uri(self, db, password)
    }
    fn port(&self) -> u16 {
        self.port
    }
}

impl DatabaseServer for crate::my::Server {
    fn new_database(&self) -> String {
        crate::my::Server::new_database(self)
    }
    fn uri(&self, db: &str, password: &str) -> String {
        crate::my::Server::uri(self, db, password)
    }
    fn port(&self) -> u16 {
        self.port
    }
}

fn pg_sql(uri: &str, sql: &str) {
    let mut client = postgres::Client::connect(uri, postgres::NoTls).unwrap();
    client.batch_execute(sql).unwrap();
}

fn my_sql(uri: &str, sql: &str) {
    use mysql::prelude::Queryable;
    let mut client = mysql::Conn::new(mysql::Opts::from_url(uri).unwrap()).unwrap();
    client.query_drop(sql).unwrap();
}

database_cases!(
    pg_cases,
    crate::pg::cluster,
    mlf::store::postgres::PgStore,
    "postgresql",
    "PostgreSQL",
    "postgres",
    "postgres",
    super::pg_sql
);
database_cases!(
    my_cases,
    crate::my::server,
    mlf::store::mysql::MyStore,
    "mysql",
    "MySQL",
    "mlf",
    "mysql",
    super::my_sql
);
