//! A throwaway PostgreSQL cluster for the contract's `postgres::…` cases: initdb in a
//! temporary directory, started on a free loopback port on first use (as the `postgres` user
//! when the tests run as root), one fresh database per case, and stopped and removed by a
//! watchdog when the test process ends.
//!
//! Without PostgreSQL's binaries the cases fail under `CI=true` and are skipped (with a
//! message) elsewhere. `MLF_TEST_PG_BIN` names the directory of `initdb` and `pg_ctl`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

const PASSWORD: &str = "mlf-contract";

pub struct Cluster {
    pub port: u16,
    admin: Mutex<postgres::Client>,
}

impl Cluster {
    /// The URI of a new, empty database.
    pub fn new_database(&self) -> String {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let name = format!("case_{}", NEXT.fetch_add(1, Ordering::SeqCst));
        self.admin
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create a database");
        self.uri(&name, PASSWORD)
    }

    /// Runs SQL as the cluster's owner (to drop a database's connections, say). The CLI tests,
    /// which share this file, use it.
    #[allow(dead_code)]
    pub fn execute(&self, sql: &str) {
        self.admin
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .batch_execute(sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    pub fn uri(&self, db: &str, password: &str) -> String {
        format!(
            "postgresql://postgres:{password}@127.0.0.1:{}/{db}",
            self.port
        )
    }
}

/// The directory holding `initdb` and `pg_ctl`, if PostgreSQL is installed.
fn bin_dir() -> Option<PathBuf> {
    if let Ok(dir) = std::env::var("MLF_TEST_PG_BIN") {
        return Some(PathBuf::from(dir));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((v, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Some(bin);
    }
    let path = std::env::var("PATH").unwrap_or_default();
    std::env::split_paths(&path).find(|d| d.join("initdb").is_file() && d.join("pg_ctl").is_file())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// `program args…`, as the `postgres` user when running as root.
fn as_owner(root: bool, program: &Path) -> Command {
    if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn run(mut c: Command, what: &str) {
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
fn start() -> Option<Cluster> {
    let Some(bin) = bin_dir() else {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!(
                "PostgreSQL's initdb and pg_ctl are not installed (apt-get install postgresql), \
                 and CI must run the PostgreSQL contract cases"
            );
        }
        eprintln!("skipping the PostgreSQL contract cases: no initdb/pg_ctl found");
        return None;
    };
    let root = is_root();
    let dir = tempfile::Builder::new()
        .prefix("mlf-pg-")
        .tempdir()
        .expect("tempdir")
        .keep();
    let data = dir.join("data");
    let pwfile = dir.join("pw");
    std::fs::write(&pwfile, PASSWORD).expect("write the password file");
    if root {
        run(
            {
                let mut c = Command::new("chown");
                c.args(["-R", "postgres:postgres"]).arg(&dir);
                c
            },
            "chown the cluster directory",
        );
    }
    let mut init = as_owner(root, &bin.join("initdb"));
    init.arg("-D")
        .arg(&data)
        .args(["-U", "postgres", "--locale=C", "-E", "UTF8"])
        .args(["--auth-local=trust", "--auth-host=scram-sha-256"])
        .arg(format!("--pwfile={}", pwfile.display()));
    run(init, "initdb");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let mut ctl = as_owner(root, &bin.join("pg_ctl"));
    ctl.arg("-D")
        .arg(&data)
        .args(["-w", "-l"])
        .arg(dir.join("log"))
        .arg("-o")
        .arg(format!(
            "-c listen_addresses=127.0.0.1 -p {port} -k {} -F -c max_connections=200",
            dir.display()
        ))
        .arg("start");
    run(ctl, "pg_ctl start");
    // Stops the cluster and removes it once this process is gone.
    let stop = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {owner}'{ctl}' -D '{data}' -m immediate stop; rm -rf '{dir}'",
        pid = std::process::id(),
        owner = if root { "runuser -u postgres -- " } else { "" },
        ctl = bin.join("pg_ctl").display(),
        data = data.display(),
        dir = dir.display(),
    );
    // It outlives this process on purpose: nobody waits for it.
    #[allow(clippy::zombie_processes)]
    Command::new("sh")
        .args(["-c", &stop])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the cluster's watchdog");
    let admin = postgres::Client::connect(
        &format!("postgresql://postgres:{PASSWORD}@127.0.0.1:{port}/postgres"),
        postgres::NoTls,
    )
    .expect("connect to the new cluster");
    Some(Cluster {
        port,
        admin: Mutex::new(admin),
    })
}

/// The cluster, started on first use; `None` when PostgreSQL is not installed (outside CI).
pub fn cluster() -> Option<&'static Cluster> {
    static CLUSTER: OnceLock<Option<Cluster>> = OnceLock::new();
    CLUSTER.get_or_init(start).as_ref()
}
