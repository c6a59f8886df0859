//! The stores every contract runs against: a fresh SQLite store in a temporary directory, a
//! `PgStore` on a fresh database of a throwaway PostgreSQL cluster (`pg.rs`), a `MyStore` on a
//! fresh database of a throwaway MariaDB server (`my.rs`), and a `RestStore` talking to a real
//! `mlf server` process over its own fresh store (a directory, or either database).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::Duration;

use mlf::remote::Client;
use mlf::store::mysql::MyStore;
use mlf::store::postgres::PgStore;
use mlf::store::rest::RestStore;
use mlf::store::{Backend, Store};

/// The longest the server may take to say where it listens.
const START: Duration = Duration::from_secs(120);

/// Runs `case` against a new SQLite store.
pub fn with_sqlite(case: fn(&mut dyn Backend)) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = Store::create(&dir.path().join(".mlf")).expect("create the store");
    case(&mut store);
}

/// Runs `case` against a `PgStore` on a new database of the throwaway cluster (skipped, with a
/// message, when PostgreSQL is not installed outside CI).
pub fn with_postgres(case: fn(&mut dyn Backend)) {
    let Some(cluster) = crate::pg::cluster() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let uri = cluster.new_database();
    let mut store = PgStore::open(&uri, &dir.path().join("artifacts")).expect("open the database");
    case(&mut store);
}

/// Runs `case` against a `MyStore` on a new database of the throwaway MariaDB server (skipped,
/// with a message, when MariaDB is not installed outside CI).
pub fn with_mysql(case: fn(&mut dyn Backend)) {
    let Some(server) = crate::my::server() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let uri = server.new_database();
    let mut store = MyStore::open(&uri, &dir.path().join("artifacts")).expect("open the database");
    case(&mut store);
}

/// Runs `case` against a `RestStore` talking to a new `mlf server`.
pub fn with_rest(case: fn(&mut dyn Backend)) {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path(), dir.path().join("server").as_os_str());
    rest_case(case, &dir, server);
}

/// Runs `case` against a `RestStore` talking to a new `mlf server --store postgresql://…` on
/// a new database of the throwaway cluster (skipped as `with_postgres` is).
pub fn with_rest_postgres(case: fn(&mut dyn Backend)) {
    let Some(cluster) = crate::pg::cluster() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let uri = cluster.new_database();
    let server = Server::start(dir.path(), uri.as_ref());
    rest_case(case, &dir, server);
}

/// Runs `case` against a `RestStore` talking to a new `mlf server --store mysql://…` on a new
/// database of the throwaway MariaDB server (skipped as `with_mysql` is).
pub fn with_rest_mysql(case: fn(&mut dyn Backend)) {
    let Some(server) = crate::my::server() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let uri = server.new_database();
    let server = Server::start(dir.path(), uri.as_ref());
    rest_case(case, &dir, server);
}

fn rest_case(case: fn(&mut dyn Backend), dir: &tempfile::TempDir, server: Server) {
    let client = Client::new(&server.url).expect("a client of the server");
    // As `context::open_remote`, with the active-run state in the test's own directory.
    let mut store = RestStore::new(client, dir.path().join("state"), true);
    case(&mut store);
    // A server that died during the case (rather than answering with errors) is a failure too.
    server.assert_alive();
}

/// A running `mlf server`, killed when dropped (also when the case panics).
struct Server {
    child: Child,
    url: String,
    log: Arc<Mutex<String>>,
}

impl Server {
    /// `mlf server --store STORE --port 0` in `dir`, with a cleared environment (PATH, and
    /// HOME in `dir`), waiting for the `Serving … on http://ADDR` line on stderr.
    fn start(dir: &Path, store: &std::ffi::OsStr) -> Server {
        let home = dir.join("home");
        std::fs::create_dir_all(&home).expect("create HOME");
        let mut child = Command::new(env!("CARGO_BIN_EXE_mlf"))
            .args(["server", "--port", "0", "--store"])
            .arg(store)
            .current_dir(dir)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", &home)
            .env("USER", "tester")
            .env("NO_COLOR", "1")
            .env("TZ", "UTC")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn mlf server");
        let pipe = child.stderr.take().expect("stderr");
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = mpsc::channel::<String>();
        {
            let log = log.clone();
            // Keeps draining stderr for the server's whole life, so it never blocks on it.
            thread::spawn(move || {
                let mut reader = BufReader::new(pipe);
                let mut tx = Some(tx);
                let mut line = String::new();
                loop {
                    line.clear();
                    match reader.read_line(&mut line) {
                        Ok(0) | Err(_) => break,
                        Ok(_) => {}
                    }
                    log.lock().unwrap().push_str(&line);
                    // `Serving `STORE` on http://127.0.0.1:PORT (stop with Ctrl-C)`
                    if line.contains("Serving")
                        && let Some(addr) = line
                            .split("http://")
                            .nth(1)
                            .and_then(|r| r.split_whitespace().next())
                        && let Some(tx) = tx.take()
                    {
                        let _ = tx.send(addr.to_string());
                    }
                }
            });
        }
        let mut server = Server {
            child,
            url: String::new(),
            log,
        };
        match rx.recv_timeout(START) {
            Ok(addr) => server.url = format!("http://{addr}"),
            Err(_) => panic!("mlf server did not start:\n{}", server.stderr()),
        }
        server
    }

    fn stderr(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    fn assert_alive(mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!("mlf server exited ({status}):\n{}", self.stderr());
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
