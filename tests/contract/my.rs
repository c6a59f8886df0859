//! A throwaway MariaDB server for the contract's `mysql::…` cases: `mariadb-install-db` in a
//! temporary directory, `mariadbd` started on a free loopback port on first use, one fresh
//! database per case, and stopped and removed by a watchdog when the test process ends.
//!
//! Without MariaDB's binaries the cases fail under `CI=true` and are skipped (with a message)
//! elsewhere.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use mysql::prelude::Queryable;

const USER: &str = "mlf";
const PASSWORD: &str = "mlf-contract";

pub struct Server {
    pub port: u16,
    admin: Mutex<mysql::Conn>,
}

impl Server {
    /// The URI of a new, empty database.
    pub fn new_database(&self) -> String {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let name = format!("case_{}", NEXT.fetch_add(1, Ordering::SeqCst));
        self.execute(&format!("CREATE DATABASE {name}"));
        self.uri(&name, PASSWORD)
    }

    /// Runs SQL as the server's administrator.
    pub fn execute(&self, sql: &str) {
        self.admin
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .query_drop(sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// Ends every connection to database `db` (as a database restarting would). The CLI
    /// tests, which share this file, use it.
    #[allow(dead_code)]
    pub fn kill_connections(&self, db: &str) {
        let mut admin = self.admin.lock().unwrap_or_else(|p| p.into_inner());
        let ids: Vec<u64> = admin
            .exec(
                "SELECT id FROM information_schema.processlist WHERE db = ?",
                (db,),
            )
            .expect("list the connections");
        for id in ids {
            // A connection may end by itself meanwhile.
            let _ = admin.query_drop(format!("KILL CONNECTION {id}"));
        }
    }

    pub fn uri(&self, db: &str, password: &str) -> String {
        format!("mysql://{USER}:{password}@127.0.0.1:{}/{db}", self.port)
    }
}

/// A MariaDB (or MySQL) server program and its data-directory initializer.
fn programs() -> Option<(PathBuf, PathBuf)> {
    let path = std::env::var("PATH").unwrap_or_default();
    let dirs: Vec<PathBuf> = std::env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/usr/bin".into()])
        .collect();
    let find = |name: &str| dirs.iter().map(|d| d.join(name)).find(|p| p.is_file());
    Some((find("mariadbd")?, find("mariadb-install-db")?))
}

fn run(c: &mut Command, what: &str) {
    let out = c
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

// Says why the cases pass without running.
#[allow(clippy::print_stderr)]
fn start() -> Option<Server> {
    let Some((server, install)) = programs() else {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!(
                "MariaDB's mariadbd and mariadb-install-db are not installed \
                 (apt-get install mariadb-server), and CI must run the MySQL contract cases"
            );
        }
        eprintln!("skipping the MySQL contract cases: no mariadbd found");
        return None;
    };
    let dir = tempfile::Builder::new()
        .prefix("mlf-my-")
        .tempdir()
        .expect("tempdir")
        .keep();
    let data = dir.join("data");
    let socket = dir.join("sock");
    run(
        Command::new(&install)
            .arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .args([
                "--user=root",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
            ]),
        "mariadb-install-db",
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    // It is stopped by the watchdog below: nobody waits for it here.
    #[allow(clippy::zombie_processes)]
    let child = Command::new(&server)
        .arg("--no-defaults")
        .arg(format!("--datadir={}", data.display()))
        .arg(format!("--socket={}", socket.display()))
        .arg(format!("--pid-file={}", dir.join("pid").display()))
        .arg(format!("--log-error={}", dir.join("log").display()))
        .arg(format!("--port={port}"))
        .args([
            "--bind-address=127.0.0.1",
            "--user=root",
            "--skip-log-bin",
            "--innodb-buffer-pool-size=64M",
            "--innodb-flush-log-at-trx-commit=2",
            "--max-connections=300",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start mariadbd");
    let stop = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; kill -9 {server} 2>/dev/null; sleep 1; rm -rf '{dir}'",
        pid = std::process::id(),
        server = child.id(),
        dir = dir.display(),
    );
    #[allow(clippy::zombie_processes)]
    Command::new("sh")
        .args(["-c", &stop])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the server's watchdog");
    let admin = connect_admin(&socket, &dir);
    let server = Server {
        port,
        admin: Mutex::new(admin),
    };
    server.execute(&format!(
        "CREATE USER '{USER}'@'%' IDENTIFIED BY '{PASSWORD}'"
    ));
    server.execute(&format!("GRANT ALL ON *.* TO '{USER}'@'%'"));
    Some(server)
}

/// root on the server's socket, once it answers.
fn connect_admin(socket: &Path, dir: &Path) -> mysql::Conn {
    let opts = mysql::OptsBuilder::new()
        .socket(Some(socket.display().to_string()))
        .user(Some("root"))
        .prefer_socket(true);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match mysql::Conn::new(opts.clone()) {
            Ok(c) => return c,
            Err(e) if Instant::now() > deadline => panic!(
                "mariadbd did not start ({e}):\n{}",
                std::fs::read_to_string(dir.join("log")).unwrap_or_default()
            ),
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

/// The server, started on first use; `None` when MariaDB is not installed (outside CI).
pub fn server() -> Option<&'static Server> {
    static SERVER: OnceLock<Option<Server>> = OnceLock::new();
    SERVER.get_or_init(start).as_ref()
}
