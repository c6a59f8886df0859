//! Tests of `mlf server` (MLflow's REST API over the store), through the binary: the real
//! `mlflow` client end to end (tests/e2e/mlflow_client.py) and inside `mlf run`; MLflow's
//! statuses, error codes and JSON over raw HTTP/1.1 (a tiny client over `TcpStream`); the
//! attack shapes of shared/reference/security-lessons.md (artifact-proxy traversal, store
//! files, symlinks, artifact locations, model-version sources); the auth token; and many
//! concurrent writers.
//!
//! The Python tests use the virtualenv `target/e2e-venv` (mlflow 3.17.2, scikit-learn 1.9.1),
//! made by `scripts/e2e-python-env.sh` when it is missing.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{Output, TestEnv, http_exchange};

mod azure;
mod bucket;
mod fidelity;
mod gcs;
mod mysql;
mod paging;
mod params;
mod postgres;
mod routing;
mod sync;

/// The longest a server may take to start, or to answer one request.
pub(crate) const WAIT: Duration = Duration::from_secs(120);
/// The longest a Python process may run.
const PY_WAIT: Duration = Duration::from_secs(600);

const TRACKING: &str = "/api/2.0/mlflow";
const PROXY: &str = "/api/2.0/mlflow-artifacts/artifacts";

/// What the file planted outside the store holds: no response may ever contain it.
const SECRET: &str = "TOP-SECRET-7f3a9c";

// ---------------------------------------------------------------------------------------------
// Processes

/// Runs `cmd`, killing it if it outlives `limit`.
pub(crate) fn bounded(mut cmd: Command, limit: Duration) -> Output {
    use std::os::unix::process::ExitStatusExt;
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
    let drain = |mut pipe: Box<dyn Read + Send>| {
        thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = pipe.read_to_end(&mut buf);
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let out = drain(Box::new(child.stdout.take().unwrap()));
    let err = drain(Box::new(child.stderr.take().unwrap()));
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{cmd:?} still running after {limit:?}:\n{}{}",
                out.join().unwrap_or_default(),
                err.join().unwrap_or_default()
            );
        }
        thread::sleep(Duration::from_millis(20));
    };
    Output {
        code: status
            .code()
            .unwrap_or_else(|| 128 + status.signal().unwrap_or(0)),
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    }
}

/// `mlf ARGS` in the test's working directory, bounded.
fn mlf(env: &TestEnv, args: &[&str]) -> Output {
    bounded(env.command(args), WAIT)
}

/// The `bin` folder of target/e2e-venv, made by scripts/e2e-python-env.sh when missing.
pub(crate) fn venv_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let venv = root.join("target/e2e-venv");
        if !venv.join("bin/python").is_file() || !venv.join(".ready").is_file() {
            let mut cmd = Command::new(root.join("scripts/e2e-python-env.sh"));
            cmd.current_dir(root);
            let out = bounded(cmd, Duration::from_secs(1800));
            assert_eq!(out.code, 0, "scripts/e2e-python-env.sh failed:\n{out}");
        }
        assert!(venv.join("bin/python").is_file(), "no target/e2e-venv");
        venv.join("bin")
    })
}

/// `PATH` with the e2e virtualenv first.
fn venv_path() -> String {
    format!(
        "{}:{}",
        venv_bin().display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// A running `mlf server`; killed when dropped.
pub(crate) struct Server {
    child: Child,
    /// Where to connect: `127.0.0.1:PORT`.
    addr: String,
    /// The address the server said it serves on.
    printed: String,
    log: Arc<Mutex<String>>,
    /// Sent as `Authorization: Bearer` on the helpers' requests.
    token: Option<String>,
}

impl Server {
    /// `mlf server --port 0 EXTRA…` in the test's working directory.
    pub(crate) fn start(env: &TestEnv, extra: &[&str]) -> Server {
        let mut args = vec!["server", "--port", "0"];
        args.extend_from_slice(extra);
        let mut cmd = env.command(&args);
        cmd.stdout(Stdio::null()).stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn mlf server");
        let pipe = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = mpsc::channel::<String>();
        {
            let log = log.clone();
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
                    if line.contains("Serving") {
                        if let Some(addr) = line
                            .split("http://")
                            .nth(1)
                            .and_then(|r| r.split_whitespace().next())
                        {
                            if let Some(tx) = tx.take() {
                                let _ = tx.send(addr.to_string());
                            }
                        }
                    }
                }
            });
        }
        let mut server = Server {
            child,
            addr: String::new(),
            printed: String::new(),
            log,
            token: None,
        };
        match rx.recv_timeout(WAIT) {
            Ok(printed) => {
                let port = printed.rsplit(':').next().unwrap().to_string();
                server.addr = format!("127.0.0.1:{port}");
                server.printed = printed;
            }
            Err(_) => panic!("mlf server did not start:\n{}", server.stderr()),
        }
        server
    }

    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn stderr(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// A raw request; the helper's token is added unless `headers` has an Authorization.
    fn raw(&self, method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) -> Resp {
        let mut all: Vec<(String, String)> = headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        if let Some(t) = &self.token {
            if !headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("authorization"))
            {
                all.push(("Authorization".into(), format!("Bearer {t}")));
            }
        }
        http(&self.addr, method, target, &all, body)
    }

    /// `METHOD /api/2.0/mlflow/ENDPOINT` with a JSON body.
    fn call(&self, method: &str, endpoint: &str, body: &Value) -> Resp {
        self.raw(
            method,
            &format!("{TRACKING}/{endpoint}"),
            &[("Content-Type", "application/json")],
            body.to_string().as_bytes(),
        )
    }

    fn post(&self, endpoint: &str, body: Value) -> Resp {
        self.call("POST", endpoint, &body)
    }

    /// `GET /api/2.0/mlflow/ENDPOINT?QUERY`.
    fn get(&self, endpoint: &str, query: &[(&str, &str)]) -> Resp {
        self.raw(
            "GET",
            &format!("{TRACKING}/{endpoint}{}", query_string(query)),
            &[],
            b"",
        )
    }

    /// POST, asserting 200; the JSON answer.
    #[track_caller]
    fn post_ok(&self, endpoint: &str, body: Value) -> Value {
        let r = self.post(endpoint, body.clone());
        assert_eq!(r.status, 200, "POST {endpoint} {body}:\n{r}");
        r.json()
    }

    /// GET, asserting 200; the JSON answer.
    #[track_caller]
    pub(crate) fn get_ok(&self, endpoint: &str, query: &[(&str, &str)]) -> Value {
        let r = self.get(endpoint, query);
        assert_eq!(r.status, 200, "GET {endpoint} {query:?}:\n{r}");
        r.json()
    }

    /// Creates a run in `experiment` and returns its id.
    #[track_caller]
    fn create_run(&self, experiment: &str, name: &str) -> String {
        let v = self.post_ok(
            "runs/create",
            json!({ "experiment_id": experiment, "run_name": name, "start_time": 1 }),
        );
        v["run"]["info"]["run_id"].as_str().unwrap().to_string()
    }

    /// `PUT` of an artifact through the proxy, asserting 200.
    #[track_caller]
    fn put_artifact(&self, path: &str, bytes: &[u8]) {
        let r = self.raw("PUT", &format!("{PROXY}/{path}"), &[], bytes);
        assert_eq!(r.status, 200, "PUT {path}:\n{r}");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP/1.1

struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    #[track_caller]
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("the body is not JSON ({e}):\n{self}"))
    }

    /// Asserts an MLflow error body with this status and code; returns the message.
    #[track_caller]
    fn error(&self, status: u16, code: &str) -> String {
        assert_eq!(self.status, status, "expected {status} {code}:\n{self}");
        let v = self.json();
        assert_eq!(v["error_code"], code, "expected {status} {code}:\n{self}");
        v["message"].as_str().unwrap_or_default().to_string()
    }
}

impl fmt::Display for Resp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "HTTP {}", self.status)?;
        for (k, v) in &self.headers {
            writeln!(f, "{k}: {v}")?;
        }
        write!(f, "\n{}", self.text())
    }
}

/// One request on a fresh connection (`Connection: close`), the whole answer read.
fn http(addr: &str, method: &str, target: &str, headers: &[(String, String)], body: &[u8]) -> Resp {
    let mut head = format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut request = head.into_bytes();
    request.extend_from_slice(body);
    let a = http_exchange(addr, &request, WAIT, &format!("{method} {target}"));
    Resp {
        status: a.status,
        headers: a.headers,
        body: a.body,
    }
}

/// Percent-encodes everything but the unreserved characters.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn query_string(query: &[(&str, &str)]) -> String {
    if query.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = query
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect();
    format!("?{}", parts.join("&"))
}

// ---------------------------------------------------------------------------------------------
// Files

/// Every file and symlink under `root` (not following links), with its contents or link
/// target, except under the `skip` folders.
fn tree(root: &Path, skip: &[PathBuf]) -> BTreeMap<String, Vec<u8>> {
    fn walk(dir: &Path, skip: &[PathBuf], out: &mut BTreeMap<String, Vec<u8>>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if skip.contains(&p) {
                continue;
            }
            let Ok(meta) = std::fs::symlink_metadata(&p) else {
                continue;
            };
            if meta.file_type().is_symlink() {
                let target = std::fs::read_link(&p).unwrap_or_default();
                out.insert(
                    format!("{} -> ", p.display()),
                    target.display().to_string().into_bytes(),
                );
            } else if meta.is_dir() {
                out.insert(format!("{}/", p.display()), Vec::new());
                walk(&p, skip, out);
            } else {
                out.insert(
                    p.display().to_string(),
                    std::fs::read(&p).unwrap_or_default(),
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, skip, &mut out);
    out
}

/// The test's files outside the store: its working directory and home, but not `.mlf`.
fn outside_store(env: &TestEnv) -> BTreeMap<String, Vec<u8>> {
    tree(env.dir.path(), &[env.store()])
}

/// What the proxy serves: the store's `artifacts/` and `registry/` folders.
fn proxied(env: &TestEnv) -> BTreeMap<String, Vec<u8>> {
    let mut t = tree(&env.store().join("artifacts"), &[]);
    t.extend(tree(&env.store().join("registry"), &[]));
    t
}

/// Plants `DIR/outside/secret.txt` next to the working directory; returns the folder.
fn plant_secret(env: &TestEnv) -> PathBuf {
    let dir = env.dir.path().join("outside");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("secret.txt"), SECRET).unwrap();
    dir
}

/// Whether an answer gives away the secret or the store's database.
fn leaks(r: &Resp) -> bool {
    let text = r.text();
    text.contains(SECRET) || text.contains("SQLite format 3") || text.contains("root:x:0:0")
}

/// Notes in `bad` a PUT or a DELETE of `{PROXY}/{path}` that is not refused.
fn refuse_writes(s: &Server, path: &str, bad: &mut Vec<String>) {
    let r = s.raw("PUT", &format!("{PROXY}/{path}"), &[], b"PWNED");
    if !is_refusal(r.status) {
        bad.push(format!("PUT {path}:\n{r}"));
    }
    let r = s.raw("DELETE", &format!("{PROXY}/{path}"), &[], b"");
    if !is_refusal(r.status) {
        bad.push(format!("DELETE {path}:\n{r}"));
    }
}

/// What paths tried against the server must leave as it was: the planted secret, and the files
/// outside the store and inside it.
struct Untouched {
    secret: PathBuf,
    outside: BTreeMap<String, Vec<u8>>,
    inside: BTreeMap<String, Vec<u8>>,
}

impl Untouched {
    fn record(env: &TestEnv, secret: &Path) -> Untouched {
        Untouched {
            secret: secret.to_path_buf(),
            outside: outside_store(env),
            inside: proxied(env),
        }
    }

    /// Checks that no answer was noted in `bad` and that nothing changed.
    #[track_caller]
    fn check(&self, env: &TestEnv, bad: &[String]) {
        assert!(
            bad.is_empty(),
            "{} answers let a path out:\n\n{}",
            bad.len(),
            bad.join("\n\n")
        );
        assert_eq!(std::fs::read_to_string(&self.secret).unwrap(), SECRET);
        assert_eq!(
            outside_store(env),
            self.outside,
            "files outside the store changed"
        );
        assert_eq!(proxied(env), self.inside, "files inside the store changed");
    }
}

fn is_refusal(status: u16) -> bool {
    matches!(status, 400 | 403 | 404)
}

// ---------------------------------------------------------------------------------------------
// JSON helpers

/// `[{key, value}]` as a map.
fn kv_map(list: &Value) -> BTreeMap<String, Value> {
    list.as_array()
        .map(|a| {
            a.iter()
                .map(|e| (e["key"].as_str().unwrap().to_string(), e["value"].clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// `data.metrics` of a run as key → metric.
fn metric_map(run: &Value) -> BTreeMap<String, Value> {
    run["data"]["metrics"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|m| (m["key"].as_str().unwrap().to_string(), m.clone()))
                .collect()
        })
        .unwrap_or_default()
}

fn run_named<'a>(runs: &'a Value, name: &str) -> &'a Value {
    runs["runs"]
        .as_array()
        .and_then(|a| a.iter().find(|r| r["info"]["run_name"] == name))
        .unwrap_or_else(|| panic!("no run named {name} in {runs:#}"))
}

// ---------------------------------------------------------------------------------------------
// The mlflow client end to end

#[test]
fn the_mlflow_client_tracks_registers_and_loads_models_through_mlf_server() {
    let env = TestEnv::new();
    let server = Server::start(&env, &[]);
    mlflow_client_through(&env, &server, &[]);
}

/// `tests/e2e/mlflow_client.py` against `server`, then the CLI (given `store`, the arguments
/// naming the server's store) reads what it logged.
pub(crate) fn mlflow_client_through(env: &TestEnv, server: &Server, store: &[&str]) {
    let cli = |args: &[&str]| {
        let mut all = store.to_vec();
        all.extend_from_slice(args);
        mlf(env, &all)
    };
    let work = env.dir.path().join("py");
    std::fs::create_dir_all(&work).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/mlflow_client.py");
    let mut cmd = Command::new(venv_bin().join("python"));
    cmd.arg(&script)
        .arg(server.url())
        .arg(&work)
        .current_dir(&work)
        .env_clear()
        .env("PATH", venv_path())
        .env("HOME", env.dir.path().join("home"))
        .env("TZ", "UTC")
        .env("GIT_PYTHON_REFRESH", "quiet")
        .env("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0");
    let out = bounded(cmd, PY_WAIT);
    assert_eq!(
        out.code,
        0,
        "mlflow_client.py failed:\n{out}\n----- server -----\n{}",
        server.stderr()
    );
    let line = out
        .stdout
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .unwrap_or_else(|| panic!("no JSON line:\n{out}"));
    let got: Value = serde_json::from_str(line).unwrap();

    let run_id = got["run_id"].as_str().unwrap().to_string();
    assert_eq!(run_id.len(), 32, "{got:#}");
    assert_eq!(got["search"], json!(["train"]), "{got:#}");
    assert_eq!(got["statuses"], json!(["FAILED", "FINISHED"]), "{got:#}");
    let history = got["history"].as_array().unwrap();
    assert_eq!(history.len(), 5, "{got:#}");
    for (i, point) in history.iter().enumerate() {
        assert_eq!(point[0], json!(i), "{got:#}");
        let want = 1.0 / (i as f64 + 1.0);
        assert!((point[1].as_f64().unwrap() - want).abs() < 1e-12, "{got:#}");
    }
    assert_eq!(got["experiments"], json!(["Default", "e2e"]), "{got:#}");
    assert_eq!(
        got["artifacts"],
        json!(["tree/a.txt", "tree/sub"]),
        "{got:#}"
    );
    assert_eq!(got["version"], "1", "{got:#}");
    assert_eq!(got["stage"], "Staging", "{got:#}");
    assert_eq!(got["alias_version"], "1", "{got:#}");
    assert!(
        got["model_uri"].as_str().unwrap().starts_with("models:/m-"),
        "{got:#}"
    );
    assert_eq!(got["predictions"].as_array().unwrap().len(), 4, "{got:#}");
    assert_eq!(got["predictions"], got["sklearn"], "{got:#}");

    // The CLI sees the same store.
    let runs = cli(&["runs", "list", "-x", "e2e", "--format", "json"])
        .ok()
        .json();
    assert_eq!(runs["runs"].as_array().unwrap().len(), 2, "{runs:#}");
    let train = run_named(&runs, "train");
    assert_eq!(train["info"]["run_id"], run_id.as_str());
    assert_eq!(train["info"]["status"], "FINISHED");
    assert_eq!(train["info"]["experiment_id"], got["experiment_id"]);
    assert_eq!(run_named(&runs, "broken")["info"]["status"], "FAILED");
    // The client's "View run train at: URL/#/experiments/E/runs/R": the UI's script sends
    // that route to the run's page (tests/browser/ui.py follows it in a browser), which the
    // server answers.
    let printed = format!("{}{}", out.stdout, out.stderr);
    let link = printed
        .lines()
        .find(|l| l.contains("View run train at: "))
        .and_then(|l| l.split("at: ").nth(1))
        .unwrap_or_else(|| panic!("no 'View run' link:\n{out}"))
        .trim()
        .to_string();
    let route = format!(
        "{}/#/experiments/{}/runs/{run_id}",
        server.url(),
        got["experiment_id"].as_str().unwrap()
    );
    assert_eq!(link, route);
    // The web UI is served over a store directory (`store` names none); a server on a
    // database serves the API alone.
    if store.is_empty() {
        let page = http(&server.addr, "GET", &format!("/ui/runs/{run_id}"), &[], b"");
        assert_eq!(page.status, 200);
        assert!(
            page.text().contains("<h1 id=\"run-name\">train</h1>"),
            "{}",
            page.text()
        );
    }
    let params = kv_map(&train["data"]["params"]);
    for (k, v) in [
        ("alpha", "0.5"),
        ("depth", "3"),
        ("opt", "adam"),
        ("batch", "32"),
    ] {
        assert_eq!(params.get(k), Some(&json!(v)), "param {k}: {train:#}");
    }
    let metrics = metric_map(train);
    for (k, v) in [("loss", 0.2), ("acc", 0.9), ("f1", 0.8), ("rmse", 0.25)] {
        let m = metrics
            .get(k)
            .unwrap_or_else(|| panic!("no metric {k}: {train:#}"));
        assert!((m["value"].as_f64().unwrap() - v).abs() < 1e-12, "{k}: {m}");
    }
    assert_eq!(metrics["loss"]["step"], 4);
    let tags = kv_map(&train["data"]["tags"]);
    assert_eq!(tags.get("team"), Some(&json!("vision")), "{train:#}");
    assert_eq!(tags.get("stage"), Some(&json!("dev")), "{train:#}");
    assert_eq!(
        tags.get("mlflow.runName"),
        Some(&json!("train")),
        "{train:#}"
    );

    let model = cli(&["registry", "show", "e2e-model", "--format", "json"])
        .ok()
        .json();
    let versions = model["model_versions"].as_array().unwrap();
    assert_eq!(versions.len(), 1, "{model:#}");
    assert_eq!(versions[0]["version"], "1", "{model:#}");
    assert_eq!(versions[0]["current_stage"], "Staging", "{model:#}");
    assert_eq!(versions[0]["run_id"], run_id.as_str(), "{model:#}");
    assert_eq!(versions[0]["aliases"], json!(["champion"]), "{model:#}");
    assert_eq!(
        model["registered_model"]["aliases"],
        json!([{ "alias": "champion", "version": "1" }]),
        "{model:#}"
    );

    let listing = cli(&[
        "artifacts",
        "list",
        "--run",
        "train",
        "-R",
        "--format",
        "json",
    ])
    .ok()
    .json();
    let files: BTreeSet<&str> = listing["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["is_dir"] == false)
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    for want in ["docs/notes.txt", "tree/a.txt", "tree/sub/b.txt"] {
        assert!(files.contains(want), "{want} missing: {listing:#}");
    }
    let text = cli(&["artifacts", "list", "--run", "train", "-R"]).ok();
    for want in ["docs/notes.txt", "tree/a.txt", "tree/sub/b.txt"] {
        assert!(text.stdout.contains(want), "{want} missing:\n{text}");
    }
}

/// A child that logs with the mlflow client and prints its environment first.
const CHILD: &str = r#"import json, os
print("ENV " + json.dumps({k: v for k, v in os.environ.items() if k.startswith("MLF")}), flush=True)
import mlflow
tag = os.environ.get("CHILD_TAG", "plain")
mlflow.log_metric("score", 0.75, step=2)
mlflow.log_param("lr", "0.01")
with open(tag + ".txt", "w") as f:
    f.write("from the child " + tag + "\n")
mlflow.log_artifact(tag + ".txt", "res")
print("RUN " + mlflow.active_run().info.run_id, flush=True)
"#;

/// `mlf run -n NAME -- python child.py` with the e2e virtualenv first on `PATH`; returns the
/// child's environment and the run as `mlf runs list` shows it.
fn run_child(env: &TestEnv, name: &str, extra_env: &[(&str, &str)]) -> (Value, Value) {
    env.write("child.py", CHILD);
    let mut cmd = env.command(&["run", "-n", name, "--", "python", "child.py"]);
    cmd.env("PATH", venv_path())
        .env("GIT_PYTHON_REFRESH", "quiet")
        .env("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
        .env("CHILD_TAG", name);
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    let out = bounded(cmd, PY_WAIT);
    assert_eq!(out.code, 0, "mlf run -- python child.py:\n{out}");
    let seen: Value = out
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("ENV "))
        .map(|j| serde_json::from_str(j).unwrap())
        .unwrap_or_else(|| panic!("the child printed no environment:\n{out}"));
    let child_run = out
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("RUN "))
        .unwrap_or_else(|| panic!("the child printed no run:\n{out}"))
        .trim()
        .to_string();
    let runs = mlf(env, &["runs", "list", "--format", "json"]).ok().json();
    let run = run_named(&runs, name).clone();
    assert_eq!(run["info"]["run_id"], child_run.as_str(), "{out}\n{run:#}");
    assert_eq!(seen["MLF_RUN_ID"], child_run.as_str(), "{seen:#}");

    // What the child logged is in the run.
    assert_eq!(run["info"]["status"], "FINISHED", "{run:#}");
    let metrics = metric_map(&run);
    assert_eq!(
        metrics.get("score").map(|m| &m["value"]),
        Some(&json!(0.75)),
        "{run:#}"
    );
    assert_eq!(metrics["score"]["step"], 2, "{run:#}");
    assert_eq!(
        kv_map(&run["data"]["params"]).get("lr"),
        Some(&json!("0.01")),
        "{run:#}"
    );
    let listing = mlf(
        env,
        &["artifacts", "list", "--run", name, "-R", "--format", "json"],
    )
    .ok()
    .json();
    let file = format!("res/{name}.txt");
    assert!(
        listing["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["path"] == file.as_str()),
        "{file} missing: {listing:#}"
    );
    let local = Path::new(run["info"]["artifact_uri"].as_str().unwrap()).join(&file);
    assert_eq!(
        std::fs::read_to_string(&local).unwrap_or_default(),
        format!("from the child {name}\n"),
        "{}",
        local.display()
    );
    (seen, run)
}

#[test]
fn mlflow_in_a_run_child_logs_into_the_mlf_run_and_a_given_tracking_server_is_kept() {
    let env = TestEnv::new();

    // No tracking URI: mlf starts its own server for the child.
    let (seen, _) = run_child(&env, "kid", &[]);
    let uri = seen["MLFLOW_TRACKING_URI"].as_str().unwrap_or_default();
    assert!(uri.starts_with("http://127.0.0.1:"), "{seen:#}");

    // A non-HTTP tracking URI is replaced by mlf's server (the child logs into the mlf run).
    let other = env.dir.path().join("other.db");
    let sqlite = format!("sqlite:///{}", other.display());
    let (seen, _) = run_child(&env, "kid-sqlite", &[("MLFLOW_TRACKING_URI", &sqlite)]);
    let uri = seen["MLFLOW_TRACKING_URI"].as_str().unwrap_or_default();
    assert!(uri.starts_with("http://127.0.0.1:"), "{seen:#}");
    assert!(!other.exists(), "the child wrote {}", other.display());

    // An HTTP tracking URI is passed through unchanged (here: `mlf server` on the same store).
    let server = Server::start(&env, &[]);
    let url = server.url();
    let (seen, _) = run_child(&env, "kid-http", &[("MLFLOW_TRACKING_URI", &url)]);
    assert_eq!(seen["MLFLOW_TRACKING_URI"], url.as_str(), "{seen:#}");
    drop(server);
}

// ---------------------------------------------------------------------------------------------
// REST behaviour

#[test]
fn errors_have_mlflow_codes_statuses_and_messages() {
    let env = TestEnv::new();
    let s = Server::start(&env, &[]);

    let id = s.post_ok("experiments/create", json!({ "name": "exp" }))["experiment_id"]
        .as_str()
        .unwrap()
        .to_string();
    s.post("experiments/create", json!({ "name": "exp" }))
        .error(400, "RESOURCE_ALREADY_EXISTS");
    let got = s.get_ok("experiments/get-by-name", &[("experiment_name", "exp")]);
    assert_eq!(got["experiment"]["experiment_id"], id.as_str());
    let m = s
        .get("experiments/get-by-name", &[("experiment_name", "nope")])
        .error(404, "RESOURCE_DOES_NOT_EXIST");
    assert!(m.contains("nope"), "{m}");
    s.get("experiments/get", &[("experiment_id", "abc")])
        .error(400, "INVALID_PARAMETER_VALUE");
    s.get("experiments/get", &[("experiment_id", "999")])
        .error(404, "RESOURCE_DOES_NOT_EXIST");

    let missing = "0123456789abcdef0123456789abcdef";
    let m = s
        .get("runs/get", &[("run_id", missing)])
        .error(404, "RESOURCE_DOES_NOT_EXIST");
    assert_eq!(m, format!("Run with id={missing} not found"));

    let run = s.create_run(&id, "r");
    let param = |value: &str| {
        s.post(
            "runs/log-parameter",
            json!({ "run_id": run, "key": "alpha", "value": value }),
        )
    };
    assert_eq!(param("0.5").status, 200);
    assert_eq!(
        param("0.5").status,
        200,
        "re-logging the same value is fine"
    );
    let m = param("0.6").error(400, "INVALID_PARAMETER_VALUE");
    assert!(m.contains("alpha"), "{m}");
    let got = s.get_ok("runs/get", &[("run_id", &run)]);
    assert_eq!(kv_map(&got["run"]["data"]["params"])["alpha"], "0.5");

    for (endpoint, body) in [
        (
            "runs/log-parameter",
            json!({ "run_id": run, "key": "bad$key", "value": "1" }),
        ),
        (
            "runs/log-metric",
            json!({ "run_id": run, "key": "bad$key", "value": 1, "timestamp": 1 }),
        ),
        (
            "runs/set-tag",
            json!({ "run_id": run, "key": "bad$key", "value": "1" }),
        ),
        (
            "runs/log-metric",
            json!({ "run_id": run, "key": "../up", "value": 1, "timestamp": 1 }),
        ),
        (
            "runs/log-batch",
            json!({ "run_id": run, "params": [{ "key": "a//b", "value": "1" }] }),
        ),
        (
            "runs/log-metric",
            json!({ "run_id": run, "key": "m", "value": 1 }),
        ),
        (
            "runs/log-metric",
            json!({ "run_id": run, "key": "m", "value": true, "timestamp": 1 }),
        ),
        (
            "runs/log-metric",
            json!({ "key": "m", "value": 1, "timestamp": 1 }),
        ),
    ] {
        let r = s.post(endpoint, body.clone());
        r.error(400, "INVALID_PARAMETER_VALUE");
    }
    let got = s.get_ok("runs/get", &[("run_id", &run)]);
    assert_eq!(got["run"]["data"]["metrics"], json!([]), "{got:#}");
}

#[test]
fn client_mistakes_are_answered_4xx_never_5xx() {
    let env = TestEnv::new();
    let s = Server::start(&env, &[]);
    let exp = s.post_ok("experiments/create", json!({ "name": "e" }))["experiment_id"]
        .as_str()
        .unwrap()
        .to_string();
    let run = s.create_run(&exp, "r");
    let gone = s.create_run(&exp, "gone");
    s.post_ok("runs/delete", json!({ "run_id": gone }));
    let dead = s.post_ok("experiments/create", json!({ "name": "dead" }))["experiment_id"]
        .as_str()
        .unwrap()
        .to_string();
    s.post_ok("experiments/delete", json!({ "experiment_id": dead }));
    s.post_ok("registered-models/create", json!({ "name": "m" }));
    let json_ct = [("Content-Type", "application/json")];

    let mut bad = Vec::new();
    let mut check = |what: String, r: Resp| {
        if !(400..500).contains(&r.status) {
            bad.push(format!("{what}:\n{r}"));
        } else if r.header("content-type") == Some("application/json")
            && r.json().get("error_code").is_none()
        {
            bad.push(format!("{what}: no error_code:\n{r}"));
        }
    };
    let raw_bodies: [&[u8]; 6] = [
        b"{not json",
        b"[1, 2]",
        b"\"{still not json\"",
        b"42",
        b"null",
        b"\xff\xfe",
    ];
    for body in raw_bodies {
        let r = s.raw("POST", &format!("{TRACKING}/runs/create"), &json_ct, body);
        check(format!("runs/create {}", String::from_utf8_lossy(body)), r);
    }
    let posts: Vec<(&str, Value)> = vec![
        ("experiments/create", json!({})),
        ("experiments/create", json!({ "name": "" })),
        ("experiments/create", json!({ "name": "x".repeat(600) })),
        ("experiments/create", json!({ "name": ["a"] })),
        ("experiments/delete", json!({ "experiment_id": "999" })),
        ("experiments/restore", json!({ "experiment_id": "abc" })),
        (
            "experiments/update",
            json!({ "experiment_id": dead, "new_name": "zz" }),
        ),
        (
            "experiments/update",
            json!({ "experiment_id": exp, "new_name": "dead" }),
        ),
        ("experiments/search", json!({ "max_results": 0 })),
        ("experiments/search", json!({ "max_results": -1 })),
        ("experiments/search", json!({ "max_results": "many" })),
        (
            "experiments/search",
            json!({ "max_results": 10, "page_token": "zzz" }),
        ),
        (
            "experiments/search",
            json!({ "max_results": 10, "filter": "name ===" }),
        ),
        ("runs/create", json!({ "experiment_id": "999" })),
        ("runs/create", json!({ "experiment_id": dead })),
        ("runs/create", json!({ "experiment_id": "../0" })),
        (
            "runs/create",
            json!({ "experiment_id": exp, "run_name": "a", "tags": [{ "key": "mlflow.runName", "value": "b" }] }),
        ),
        (
            "runs/create",
            json!({ "experiment_id": exp, "tags": [{ "value": "no key" }] }),
        ),
        ("runs/update", json!({ "run_id": run, "status": "BOGUS" })),
        ("runs/update", json!({ "run_id": run, "status": 99 })),
        ("runs/update", json!({ "run_id": run, "end_time": "soon" })),
        (
            "runs/update",
            json!({ "run_id": gone, "status": "FINISHED" }),
        ),
        ("runs/update", json!({ "run_id": "nope" })),
        ("runs/delete", json!({ "run_id": "nope" })),
        (
            "runs/log-metric",
            json!({ "run_id": run, "key": "m", "value": "lots", "timestamp": 1 }),
        ),
        (
            "runs/log-metric",
            json!({ "run_id": run, "key": "m", "value": 1, "timestamp": -5 }),
        ),
        (
            "runs/log-metric",
            json!({ "run_id": run, "key": "m", "value": 1, "timestamp": 1.5 }),
        ),
        (
            "runs/log-metric",
            json!({ "run_id": run, "key": "m", "value": 1, "timestamp": 1, "step": "x" }),
        ),
        (
            "runs/log-metric",
            json!({ "run_id": gone, "key": "m", "value": 1, "timestamp": 1 }),
        ),
        (
            "runs/log-metric",
            json!({ "run_id": "../../x", "key": "m", "value": 1, "timestamp": 1 }),
        ),
        (
            "runs/log-parameter",
            json!({ "run_id": run, "key": "k".repeat(300), "value": "1" }),
        ),
        ("runs/set-tag", json!({ "run_id": run })),
        ("runs/delete-tag", json!({ "run_id": run, "key": "nosuch" })),
        (
            "runs/log-batch",
            json!({ "run_id": run, "metrics": [{ "key": "m" }] }),
        ),
        (
            "runs/log-batch",
            json!({ "run_id": run, "metrics": "many" }),
        ),
        ("runs/log-batch", json!({ "run_id": run, "params": [1, 2] })),
        (
            "runs/log-model",
            json!({ "run_id": run, "model_json": "{not json" }),
        ),
        ("runs/search", json!({ "max_results": 0 })),
        ("runs/search", json!({ "max_results": 50001 })),
        ("runs/search", json!({ "page_token": "garbage" })),
        ("runs/search", json!({ "filter": "metrics.x >>> 1" })),
        ("runs/search", json!({ "filter": "params.p = 1" })),
        ("runs/search", json!({ "order_by": ["nonsense DESC DESC"] })),
        ("registered-models/create", json!({ "name": "m" })),
        ("registered-models/create", json!({})),
        (
            "registered-models/rename",
            json!({ "name": "nope", "new_name": "x" }),
        ),
        (
            "registered-models/alias",
            json!({ "name": "m", "alias": "latest", "version": "1" }),
        ),
        (
            "registered-models/alias",
            json!({ "name": "m", "alias": "v3", "version": "1" }),
        ),
        (
            "registered-models/alias",
            json!({ "name": "m", "alias": "a", "version": "9" }),
        ),
        (
            "registered-models/alias",
            json!({ "name": "m", "alias": "a", "version": "abc" }),
        ),
        (
            "registered-models/get-latest-versions",
            json!({ "name": "nope" }),
        ),
        (
            "registered-models/get-latest-versions",
            json!({ "name": "m", "stages": ["Nowhere"] }),
        ),
        ("registered-models/search", json!({ "max_results": 5000 })),
        (
            "model-versions/create",
            json!({ "name": "nope", "source": "runs:/x/model" }),
        ),
        (
            "model-versions/create",
            json!({ "name": "m", "source": "runs:/nope/model" }),
        ),
        ("model-versions/create", json!({ "name": "m" })),
        (
            "model-versions/transition-stage",
            json!({ "name": "m", "version": "1", "stage": "Staging" }),
        ),
        (
            "model-versions/transition-stage",
            json!({ "name": "m", "version": "x", "stage": "Moon" }),
        ),
        (
            "model-versions/set-tag",
            json!({ "name": "m", "version": "7", "key": "k", "value": "v" }),
        ),
        (
            "logged-models",
            json!({ "experiment_id": "999", "name": "lm" }),
        ),
    ];
    for (endpoint, body) in posts {
        let r = s.post(endpoint, body.clone());
        check(format!("POST {endpoint} {body}"), r);
    }
    let gets: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("experiments/get", vec![]),
        ("experiments/get", vec![("experiment_id", "abc")]),
        (
            "experiments/get",
            vec![("experiment_id", "99999999999999999999999")],
        ),
        ("experiments/get-by-name", vec![]),
        ("runs/get", vec![("run_id", "nope")]),
        ("runs/get", vec![]),
        ("metrics/get-history", vec![("run_id", &run)]),
        (
            "metrics/get-history",
            vec![("run_id", "nope"), ("metric_key", "m")],
        ),
        (
            "metrics/get-history",
            vec![
                ("run_id", &run),
                ("metric_key", "m"),
                ("max_results", "abc"),
            ],
        ),
        (
            "metrics/get-history",
            vec![("run_id", &run), ("metric_key", "m"), ("max_results", "0")],
        ),
        (
            "metrics/get-history",
            vec![("run_id", &run), ("metric_key", "m"), ("page_token", "zz")],
        ),
        ("artifacts/list", vec![("run_id", "nope")]),
        (
            "artifacts/list",
            vec![("run_id", &run), ("path", "../../..")],
        ),
        ("artifacts/list", vec![("run_id", &run), ("path", "/etc")]),
        ("registered-models/get", vec![("name", "nope")]),
        (
            "registered-models/alias",
            vec![("name", "m"), ("alias", "nope")],
        ),
        (
            "registered-models/alias",
            vec![("name", "nope"), ("alias", "latest")],
        ),
        (
            "model-versions/get",
            vec![("name", "m"), ("version", "abc")],
        ),
        ("model-versions/get", vec![("name", "m"), ("version", "1")]),
        (
            "model-versions/get-download-uri",
            vec![("name", "m"), ("version", "1")],
        ),
        ("logged-models/m-0123456789abcdef0123456789abcdef", vec![]),
        ("logged-models/m-nope/artifacts/directories", vec![]),
        ("nope", vec![]),
        ("runs/create", vec![]),
    ];
    for (endpoint, query) in gets {
        let r = s.get(endpoint, &query);
        check(format!("GET {endpoint} {query:?}"), r);
    }
    for (method, endpoint, body) in [
        (
            "DELETE",
            "registered-models/delete",
            json!({ "name": "nope" }),
        ),
        (
            "DELETE",
            "model-versions/delete",
            json!({ "name": "m", "version": "3" }),
        ),
        (
            "DELETE",
            "registered-models/alias",
            json!({ "name": "m", "alias": "nope" }),
        ),
        (
            "PATCH",
            "model-versions/update",
            json!({ "name": "m", "version": "3", "description": "d" }),
        ),
        (
            "PATCH",
            "registered-models/update",
            json!({ "name": "nope", "description": "d" }),
        ),
        (
            "PATCH",
            "logged-models/m-nope",
            json!({ "status": "READY" }),
        ),
        ("PUT", "runs/create", json!({})),
    ] {
        let r = s.call(method, endpoint, &body);
        check(format!("{method} {endpoint} {body}"), r);
    }
    // The artifact proxy: a file where a folder is, a folder where a file is, a name too long.
    let base = format!("artifacts/{exp}/{run}/artifacts");
    s.put_artifact(&format!("{base}/dir/f.txt"), b"f");
    for (method, target) in [
        ("PUT", format!("{PROXY}/{base}/dir")),
        ("PUT", format!("{PROXY}/{base}/dir/f.txt/under")),
        ("PUT", format!("{PROXY}/artifacts/{exp}")),
        ("PUT", format!("{PROXY}/{base}/{}", "n".repeat(300))),
        ("GET", format!("{PROXY}/{base}/dir/f.txt/under")),
        ("GET", format!("{PROXY}/artifacts/0/nope/artifacts/x.txt")),
        ("GET", format!("{PROXY}/artifacts")),
        ("GET", format!("{PROXY}/%zz")),
        ("POST", format!("{PROXY}/artifacts/x")),
        ("PUT", PROXY.to_string()),
        (
            "DELETE",
            format!("{PROXY}/artifacts/0/nope/artifacts/x.txt"),
        ),
    ] {
        let r = s.raw(method, &target, &[], b"x");
        check(format!("{method} {target}"), r);
    }
    assert!(
        bad.is_empty(),
        "{} answers were not 4xx:\n\n{}",
        bad.len(),
        bad.join("\n\n")
    );
}

#[test]
fn refused_requests_leave_nothing_behind() {
    let env = TestEnv::new();
    let s = Server::start(&env, &[]);
    let bad_tag = json!([{ "key": "ok", "value": "1" }, { "key": "bad$key", "value": "2" }]);
    s.post(
        "experiments/create",
        json!({ "name": "half", "tags": bad_tag }),
    )
    .error(400, "INVALID_PARAMETER_VALUE");
    s.post(
        "runs/create",
        json!({ "experiment_id": "0", "run_name": "half", "tags": bad_tag }),
    )
    .error(400, "INVALID_PARAMETER_VALUE");
    let run = s.create_run("0", "whole");
    s.post(
        "runs/log-batch",
        json!({
            "run_id": run,
            "metrics": [{ "key": "m", "value": 1, "timestamp": 1 }],
            "params": [{ "key": "p", "value": "1" }],
            "tags": bad_tag,
        }),
    )
    .error(400, "INVALID_PARAMETER_VALUE");
    let got = s.get_ok("runs/get", &[("run_id", &run)])["run"].clone();
    assert_eq!(got["data"]["metrics"], json!([]), "{got:#}");
    assert_eq!(got["data"]["params"], json!([]), "{got:#}");
    assert!(!kv_map(&got["data"]["tags"]).contains_key("ok"), "{got:#}");
    let runs = s.post_ok("runs/search", json!({ "experiment_ids": ["0"] }));
    assert_eq!(runs["runs"].as_array().map(Vec::len), Some(1), "{runs:#}");
    // The experiment of the refused create does not exist, so a corrected retry works.
    let r = s.get("experiments/get-by-name", &[("experiment_name", "half")]);
    assert_eq!(
        r.status, 404,
        "a refused experiments/create created it:\n{r}"
    );
    s.post_ok("experiments/create", json!({ "name": "half" }));
}

#[test]
fn runs_create_keeps_the_given_start_time() {
    let env = TestEnv::new();
    let s = Server::start(&env, &[]);
    let v = s.post_ok(
        "runs/create",
        json!({ "experiment_id": "0", "run_name": "dated", "start_time": 1_600_000_000_000i64 }),
    );
    assert_eq!(
        v["run"]["info"]["start_time"],
        json!(1_600_000_000_000i64),
        "{v:#}"
    );
}

#[test]
fn post_bodies_must_be_declared_json() {
    let env = TestEnv::new();
    let s = Server::start(&env, &[]);
    let target = format!("{TRACKING}/experiments/create");
    let body = br#"{"name": "typed"}"#;
    for headers in [
        vec![],
        vec![("Content-Type", "text/plain")],
        vec![("Content-Type", "application/x-www-form-urlencoded")],
        vec![("Content-Type", "application/jsonx")],
    ] {
        let r = s.raw("POST", &target, &headers, body);
        let m = r.error(400, "INVALID_PARAMETER_VALUE");
        assert!(m.contains("Content-Type"), "{headers:?}: {m}");
    }
    s.get("experiments/get-by-name", &[("experiment_name", "typed")])
        .error(404, "RESOURCE_DOES_NOT_EXIST");
    for (i, ct) in ["application/json; charset=utf-8", "Application/JSON"]
        .iter()
        .enumerate()
    {
        let body = json!({ "name": format!("typed{i}") }).to_string();
        let r = s.raw("POST", &target, &[("Content-Type", ct)], body.as_bytes());
        assert_eq!(r.status, 200, "{ct}:\n{r}");
    }
}

/// `mlf log` takes a store for its process alone only when nobody else has it open: beside a
/// server that holds the store, it shares it (rather than waiting for the server to stop), and
/// each sees the other's writes.
#[test]
fn logging_from_the_shell_beside_a_running_server_shares_the_store() {
    let env = TestEnv::new();
    let s = Server::start(&env, &[]);
    let run = s.create_run("0", "beside");
    let point = |key: &str, value: f64| {
        json!({ "run_id": run, "metrics": [
            { "key": key, "value": value, "timestamp": 1, "step": 0 }
        ] })
    };
    // The server's writer now has the database open.
    s.post_ok("runs/log-batch", point("served", 1.0));
    env.mlf(&["log", "metric", "direct", "2", "--run", &run])
        .ok();
    env.mlf(&["log", "param", "p", "x", "--run", &run]).ok();
    s.post_ok("runs/log-batch", point("served", 3.0));
    let got = s.get_ok("runs/get", &[("run_id", &run)]);
    let metrics: BTreeMap<String, f64> = got["run"]["data"]["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["key"].as_str().unwrap().to_string(),
                m["value"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        metrics,
        BTreeMap::from([("direct".to_string(), 2.0), ("served".to_string(), 3.0)])
    );
    let shown = env
        .mlf(&["runs", "show", &run, "--format", "json"])
        .ok()
        .json();
    assert_eq!(shown["run"]["data"]["params"][0]["value"], "x", "{shown}");
}

/// Group commit: concurrent writers share transactions, yet every acknowledged point is
/// stored, and a request that fails in the middle of its writes undoes only its own.
#[test]
fn concurrent_writes_keep_every_acknowledged_point_and_only_those() {
    let env = TestEnv::new();
    let s = Server::start(&env, &[]);
    concurrent_writes(&s);
}

/// 8 writers of log-batch on one run, every fifth batch refused in the middle of its writes:
/// exactly the acknowledged points are stored.
fn concurrent_writes(s: &Server) {
    let run = s.create_run("0", "load");
    s.post_ok(
        "runs/log-parameter",
        json!({ "run_id": run, "key": "fixed", "value": "a" }),
    );
    let (threads, per_thread) = (8, 40);
    let acknowledged: Vec<(usize, usize)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (s, run) = (&s, &run);
                scope.spawn(move || {
                    let mut ok = (0, 0);
                    for i in 0..per_thread {
                        let step = t * 1000 + i;
                        let metrics: Vec<Value> = (0..10)
                            .map(|k| {
                                json!({ "key": format!("m{k}"), "value": step, "timestamp": 1, "step": step })
                            })
                            .collect();
                        if i % 5 == 4 {
                            // The metrics of this batch are written, then its param fails: the
                            // whole batch is refused and nothing of it may remain.
                            let mut bad = metrics.clone();
                            bad.push(json!({ "key": "bad", "value": 1, "timestamp": 1, "step": step }));
                            let r = s.post(
                                "runs/log-batch",
                                json!({ "run_id": run, "metrics": bad, "params": [{ "key": "fixed", "value": "b" }] }),
                            );
                            r.error(400, "INVALID_PARAMETER_VALUE");
                            ok.1 += 1;
                            continue;
                        }
                        let r = s.post(
                            "runs/log-batch",
                            json!({ "run_id": run, "metrics": metrics }),
                        );
                        assert_eq!(r.status, 200, "{r}");
                        ok.0 += 1;
                    }
                    ok
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let stored: usize = acknowledged.iter().map(|a| a.0).sum();
    assert_eq!(stored, threads * per_thread * 4 / 5);
    for k in 0..10 {
        let key = format!("m{k}");
        let h = s.get_ok(
            "metrics/get-history",
            &[("run_id", &run), ("metric_key", &key)],
        );
        let points = h["metrics"].as_array().map_or(0, Vec::len);
        assert_eq!(
            points, stored,
            "{key}: {points} points stored, {stored} acknowledged"
        );
    }
    let h = s.get_ok(
        "metrics/get-history",
        &[("run_id", &run), ("metric_key", "bad")],
    );
    assert_eq!(h["metrics"].as_array().map_or(0, Vec::len), 0, "{h}");
    let got = s.get_ok("runs/get", &[("run_id", &run)]);
    assert_eq!(
        got["run"]["data"]["params"],
        json!([{ "key": "fixed", "value": "a" }])
    );
}

/// Batches of metrics alone from concurrent clients, to two runs, a deleted run and a missing
/// one: the server's writer writes each group's batches together, yet every request is
/// answered for its own run, as the same batch is answered alone and with a tag (which takes
/// the writer's general path), and every acknowledged point is stored once, the latest value
/// per key the one of the highest step.
#[test]
fn concurrent_metric_batches_to_several_runs_are_each_answered_and_all_stored() {
    let env = TestEnv::new();
    let s = Server::start(&env, &[]);
    let (a, b, gone) = (
        s.create_run("0", "a"),
        s.create_run("0", "b"),
        s.create_run("0", "gone"),
    );
    s.post_ok("runs/delete", json!({ "run_id": gone }));
    let missing = "0123456789abcdef0123456789abcdef".to_string();
    let point = |step: usize| json!([{ "key": "m", "value": step, "timestamp": 1, "step": step }]);
    let answer = |r: &Resp| (r.status, r.json()["error_code"].clone());
    let expected = |run: &str| {
        let alone = s.post(
            "runs/log-batch",
            json!({ "run_id": run, "metrics": point(0) }),
        );
        let tagged = s.post(
            "runs/log-batch",
            json!({ "run_id": run, "metrics": point(0), "tags": [{ "key": "t", "value": "v" }] }),
        );
        assert!(alone.status >= 400 && alone.status < 500, "{alone}");
        assert_eq!(answer(&alone), answer(&tagged), "{alone}\n{tagged}");
        answer(&alone)
    };
    let (expected_gone, expected_missing) = (expected(&gone), expected(&missing));
    let runs = [&a, &b, &gone, &missing];
    let (threads, per_thread) = (8, 40);
    let stored: Vec<Vec<(usize, usize)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (s, runs, expected_gone, expected_missing) =
                    (&s, &runs, &expected_gone, &expected_missing);
                scope.spawn(move || {
                    let mut ok = Vec::new();
                    for i in 0..per_thread {
                        let which = (t + i) % 4;
                        let step = t * 1000 + i;
                        let metrics: Vec<Value> = (0..5)
                            .map(|k| json!({ "key": format!("m{k}"), "value": step, "timestamp": 1, "step": step }))
                            .collect();
                        let r = s.post(
                            "runs/log-batch",
                            json!({ "run_id": runs[which], "metrics": metrics }),
                        );
                        match which {
                            0 | 1 => {
                                assert_eq!(r.status, 200, "{r}");
                                ok.push((which, step));
                            }
                            2 => assert_eq!(&answer(&r), expected_gone, "{r}"),
                            _ => assert_eq!(&answer(&r), expected_missing, "{r}"),
                        }
                    }
                    ok
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let stored: Vec<(usize, usize)> = stored.into_iter().flatten().collect();
    for (which, run) in [(0, &a), (1, &b)] {
        let mut want: Vec<usize> = stored
            .iter()
            .filter(|p| p.0 == which)
            .map(|p| p.1)
            .collect();
        want.sort_unstable();
        assert_eq!(want.len(), threads * per_thread / 4);
        for k in 0..5 {
            let key = format!("m{k}");
            let h = s.get_ok(
                "metrics/get-history",
                &[("run_id", run), ("metric_key", &key)],
            );
            let mut steps: Vec<usize> = h["metrics"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["step"].as_u64().unwrap() as usize)
                .collect();
            steps.sort_unstable();
            assert_eq!(steps, want, "{key} of run {which}");
        }
        let got = s.get_ok("runs/get", &[("run_id", run)]);
        let latest = &got["run"]["data"]["metrics"][0];
        assert_eq!(
            latest["step"].as_u64(),
            want.last().map(|&s| s as u64),
            "{got}"
        );
    }
    let h = s.get(
        "metrics/get-history",
        &[("run_id", &gone), ("metric_key", "m0")],
    );
    if h.status == 200 {
        assert_eq!(h.json()["metrics"].as_array().map_or(0, Vec::len), 0, "{h}");
    }
}

/// A server under steady writes keeps its write-ahead log bounded: checkpoints copy it into
/// `mlf.db` while requests keep coming, and the log starts over instead of growing with every
/// commit. Four writers rewrite 100 long tags per request, about 65 MB of log in all.
#[test]
fn a_busy_server_keeps_its_write_ahead_log_bounded_and_loses_nothing() {
    let env = TestEnv::new();
    let s = Server::start(&env, &[]);
    let run = s.create_run("0", "busy");
    let wal = env.store().join("mlf.db-wal");
    let (threads, per_thread) = (4, 40);
    let largest = std::sync::atomic::AtomicU64::new(0);
    std::thread::scope(|scope| {
        for t in 0..threads {
            let (s, run, wal, largest) = (&s, &run, &wal, &largest);
            scope.spawn(move || {
                for i in 0..per_thread {
                    let fill = char::from(b'a' + ((t * per_thread + i) % 26) as u8);
                    let tags: Vec<Value> = (0..100)
                        .map(|k| json!({ "key": format!("t{t}_{k}"), "value": format!("{i}:{}", fill.to_string().repeat(4000)) }))
                        .collect();
                    let r = s.post("runs/log-batch", json!({ "run_id": run, "tags": tags }));
                    assert_eq!(r.status, 200, "{r}");
                    let size = std::fs::metadata(wal).map(|m| m.len()).unwrap_or(0);
                    largest.fetch_max(size, std::sync::atomic::Ordering::Relaxed);
                }
            });
        }
    });
    let largest = largest.into_inner();
    // 160 requests of about 100 overflow pages each went through the log; SQLite's checkpoint
    // threshold is 1,000 pages, and a checkpoint may lag a few thousand behind a busy writer.
    assert!(
        largest < 32 * 1024 * 1024,
        "the write-ahead log grew to {largest} bytes"
    );
    let db = std::fs::metadata(env.store().join("mlf.db")).unwrap().len();
    assert!(
        db > 1024 * 1024,
        "nothing was checkpointed: mlf.db is {db} bytes"
    );
    let got = s.get_ok("runs/get", &[("run_id", &run)]);
    let tags = got["run"]["data"]["tags"].as_array().unwrap();
    for t in 0..threads {
        for k in 0..100 {
            let key = format!("t{t}_{k}");
            let tag = tags.iter().find(|x| x["key"] == key.as_str()).expect(&key);
            let value = tag["value"].as_str().unwrap();
            assert!(
                value.starts_with(&format!("{}:", per_thread - 1)) && value.len() > 4000,
                "{key} lost its last value"
            );
        }
    }
}

#[test]
fn log_batch_limits_and_duplicate_params_are_refused_whole() {
    let env = TestEnv::new();
    let s = Server::start(&env, &[]);
    let run = s.create_run("0", "batch");
    let metrics = |n: usize| -> Vec<Value> {
        (0..n)
            .map(|i| json!({ "key": "k", "value": i, "timestamp": 1, "step": i }))
            .collect()
    };
    let m = s
        .post(
            "runs/log-batch",
            json!({ "run_id": run, "metrics": metrics(1001) }),
        )
        .error(400, "INVALID_PARAMETER_VALUE");
    assert!(m.contains("1000"), "{m}");
    let params: Vec<Value> = (0..101)
        .map(|i| json!({ "key": format!("p{i}"), "value": "v" }))
        .collect();
    s.post("runs/log-batch", json!({ "run_id": run, "params": params }))
        .error(400, "INVALID_PARAMETER_VALUE");
    let m = s
        .post(
            "runs/log-batch",
            json!({
                "run_id": run,
                "metrics": metrics(3),
                "params": [{ "key": "p", "value": "1" }, { "key": "p", "value": "1" }],
            }),
        )
        .error(400, "INVALID_PARAMETER_VALUE");
    assert!(m.contains("Duplicate"), "{m}");
    // Nothing of the refused batches was logged.
    let got = s.get_ok("runs/get", &[("run_id", &run)]);
    assert_eq!(got["run"]["data"]["metrics"], json!([]), "{got:#}");
    assert_eq!(got["run"]["data"]["params"], json!([]), "{got:#}");
    // A batch of exactly 1000 goes in.
    s.post_ok(
        "runs/log-batch",
        json!({ "run_id": run, "metrics": metrics(1000) }),
    );
    let history = s.get_ok(
        "metrics/get-history",
        &[("run_id", &run), ("metric_key", "k")],
    );
    assert_eq!(history["metrics"].as_array().unwrap().len(), 1000);
}

#[test]
fn search_pages_walk_every_run_exactly_once() {
    let env = TestEnv::new();
    let s = Server::start(&env, &[]);
    let exp = s.post_ok("experiments/create", json!({ "name": "pages" }))["experiment_id"]
        .as_str()
        .unwrap()
        .to_string();
    let created: BTreeSet<String> = (0..25)
        .map(|i| s.create_run(&exp, &format!("run-{i}")))
        .collect();
    assert_eq!(created.len(), 25);
    // The default order, and one where every run ties (all RUNNING).
    for order in [json!([]), json!(["attributes.status ASC"])] {
        let mut seen = Vec::new();
        let mut sizes = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..10 {
            let mut body = json!({ "experiment_ids": [exp], "max_results": 10, "order_by": order });
            if let Some(t) = &token {
                body["page_token"] = json!(t);
            }
            let page = s.post_ok("runs/search", body);
            let runs = page["runs"].as_array().cloned().unwrap_or_default();
            sizes.push(runs.len());
            seen.extend(
                runs.iter()
                    .map(|r| r["info"]["run_id"].as_str().unwrap().to_string()),
            );
            token = page["next_page_token"].as_str().map(str::to_string);
            if token.is_none() {
                break;
            }
        }
        assert!(token.is_none(), "more than 10 pages");
        assert_eq!(sizes, vec![10, 10, 5], "order {order}");
        let unique: BTreeSet<String> = seen.iter().cloned().collect();
        assert_eq!(
            unique.len(),
            seen.len(),
            "a run came twice (order {order}): {seen:?}"
        );
        assert_eq!(unique, created, "order {order}");
    }

    // Metric history pages too.
    let run = created.iter().next().unwrap().clone();
    let metrics: Vec<Value> = (0..5)
        .map(|i| json!({ "key": "h", "value": i, "timestamp": 10 + i, "step": i }))
        .collect();
    s.post_ok(
        "runs/log-batch",
        json!({ "run_id": run, "metrics": metrics }),
    );
    let mut steps = Vec::new();
    let mut token = String::new();
    for _ in 0..10 {
        let mut q = vec![
            ("run_id", run.as_str()),
            ("metric_key", "h"),
            ("max_results", "2"),
        ];
        if !token.is_empty() {
            q.push(("page_token", &token));
        }
        let page = s.get_ok("metrics/get-history", &q);
        steps.extend(
            page["metrics"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["step"].as_i64().unwrap()),
        );
        match page["next_page_token"].as_str() {
            Some(t) => token = t.to_string(),
            None => break,
        }
    }
    assert_eq!(steps, vec![0, 1, 2, 3, 4]);
}

#[test]
fn nan_goes_out_as_a_string_and_int64_fields_as_numbers() {
    let env = TestEnv::new();
    let s = Server::start(&env, &[]);
    let run = s.create_run("0", "numbers");
    let big_step: i64 = (1 << 62) + 1;
    for (key, value) in [
        ("nan", json!("NaN")),
        ("inf", json!("Infinity")),
        ("ninf", json!("-Infinity")),
    ] {
        s.post_ok(
            "runs/log-metric",
            json!({ "run_id": run, "key": key, "value": value, "timestamp": 4_102_444_800_000i64, "step": big_step }),
        );
        let h = s.get_ok(
            "metrics/get-history",
            &[("run_id", &run), ("metric_key", key)],
        );
        assert_eq!(h["metrics"][0]["value"], value, "{h:#}");
        assert_eq!(
            h["metrics"][0]["timestamp"],
            json!(4_102_444_800_000i64),
            "{h:#}"
        );
        assert_eq!(h["metrics"][0]["step"], json!(big_step), "{h:#}");
    }
    s.post_ok(
        "runs/update",
        json!({ "run_id": run, "status": "FINISHED", "end_time": 1_700_000_000_123i64 }),
    );
    let got = s.get_ok("runs/get", &[("run_id", &run)])["run"].clone();
    let info = &got["info"];
    assert!(info["start_time"].is_i64(), "{info:#}");
    assert_eq!(info["end_time"], json!(1_700_000_000_123i64), "{info:#}");
    assert!(
        info["run_id"].is_string() && info["experiment_id"] == "0",
        "{info:#}"
    );
    let metrics = metric_map(&got);
    assert_eq!(metrics["nan"]["value"], "NaN", "{got:#}");
    assert_eq!(metrics["inf"]["value"], "Infinity", "{got:#}");
    assert_eq!(metrics["ninf"]["value"], "-Infinity", "{got:#}");
    assert!(metrics["nan"]["timestamp"].is_i64() && metrics["nan"]["step"].is_i64());

    let e = s.get_ok("experiments/get", &[("experiment_id", "0")])["experiment"].clone();
    assert!(e["experiment_id"].is_string(), "{e:#}");
    assert!(
        e["creation_time"].is_i64() && e["last_update_time"].is_i64(),
        "{e:#}"
    );

    s.put_artifact(
        &format!("artifacts/0/{run}/artifacts/model/MLmodel"),
        b"flavors: {}\n",
    );
    s.post_ok("registered-models/create", json!({ "name": "nums" }));
    let v = s.post_ok(
        "model-versions/create",
        json!({ "name": "nums", "source": format!("runs:/{run}/model"), "run_id": run }),
    )["model_version"]
        .clone();
    assert_eq!(v["version"], "1", "{v:#}");
    assert!(
        v["creation_timestamp"].is_i64() && v["last_updated_timestamp"].is_i64(),
        "{v:#}"
    );
    let m = s.get_ok("registered-models/get", &[("name", "nums")])["registered_model"].clone();
    assert!(m["creation_timestamp"].is_i64(), "{m:#}");
}

#[test]
fn health_unknown_routes_and_security_headers() {
    let env = TestEnv::new();
    let s = Server::start(&env, &[]);
    let r = s.raw("GET", "/health", &[], b"");
    assert_eq!((r.status, r.text().as_str()), (200, "OK"), "{r}");
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"), "{r}");
    // Without a place for artifacts the server is not healthy, and says which part fails.
    let artifacts = env.store().join("artifacts");
    std::fs::rename(&artifacts, env.store().join("moved")).unwrap();
    std::fs::write(&artifacts, "not a folder").unwrap();
    let r = s.raw("GET", "/health", &[], b"");
    assert_eq!(
        (r.status, r.text().as_str()),
        (503, "the artifact folder cannot be made"),
        "{r}"
    );
    std::fs::remove_file(&artifacts).unwrap();
    std::fs::rename(env.store().join("moved"), &artifacts).unwrap();
    assert_eq!(s.raw("GET", "/health", &[], b"").status, 200);
    for target in [
        format!("{TRACKING}/no/such/endpoint"),
        "/api/2.0/mlflow".to_string(),
        "/nope".to_string(),
        "/api/9.0/mlflow/runs/get".to_string(),
    ] {
        let r = s.raw("GET", &target, &[], b"");
        assert_eq!(r.status, 404, "{target}:\n{r}");
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"), "{r}");
    }
    // Every kind of answer carries the header: JSON, errors, artifact bytes.
    let run = s.create_run("0", "h");
    s.put_artifact(
        &format!("artifacts/0/{run}/artifacts/page.html"),
        b"<script>1</script>",
    );
    for r in [
        s.get("runs/get", &[("run_id", &run)]),
        s.get("runs/get", &[("run_id", "nope")]),
        s.raw(
            "GET",
            &format!("{PROXY}/artifacts/0/{run}/artifacts/page.html"),
            &[],
            b"",
        ),
    ] {
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"), "{r}");
    }
    let r = s.raw(
        "GET",
        &format!("{PROXY}/artifacts/0/{run}/artifacts/page.html"),
        &[],
        b"",
    );
    assert_eq!(r.status, 200, "{r}");
    assert_eq!(r.text(), "<script>1</script>");
    assert_ne!(r.header("content-type"), Some("text/html"), "{r}");
}

// ---------------------------------------------------------------------------------------------
// The artifact proxy

#[test]
fn a_folder_is_not_downloaded_as_its_only_file() {
    let env = TestEnv::new();
    let s = Server::start(&env, &[]);
    let run = s.create_run("0", "one");
    let base = format!("artifacts/0/{run}/artifacts");
    s.put_artifact(&format!("{base}/only/inner.txt"), b"inner");
    let r = s.raw("GET", &format!("{PROXY}/{base}/only"), &[], b"");
    assert!(
        (400..500).contains(&r.status),
        "GET of a folder answered with its file:\n{r}"
    );
}

#[test]
fn the_artifact_proxy_puts_gets_lists_and_deletes_inside_the_store() {
    let env = TestEnv::new();
    let s = Server::start(&env, &[]);
    let run = s.create_run("0", "files");
    let info = s.get_ok("runs/get", &[("run_id", &run)]);
    let uri = info["run"]["info"]["artifact_uri"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        uri,
        format!("mlflow-artifacts:/artifacts/0/{run}/artifacts")
    );
    let base = format!("artifacts/0/{run}/artifacts");
    s.put_artifact(&format!("{base}/dir/a.txt"), b"alpha");
    s.put_artifact(&format!("{base}/dir/sub/b.bin"), &[0, 1, 2, 255]);
    let local = env.store().join(&base);
    assert_eq!(std::fs::read(local.join("dir/a.txt")).unwrap(), b"alpha");
    let r = s.raw("GET", &format!("{PROXY}/{base}/dir/sub/b.bin"), &[], b"");
    assert_eq!((r.status, r.body.clone()), (200, vec![0, 1, 2, 255]), "{r}");
    assert!(
        r.header("content-disposition")
            .is_some_and(|d| d.contains("attachment") && d.contains("b.bin")),
        "{r}"
    );
    let list = s.raw(
        "GET",
        &format!("{PROXY}?path={}", encode(&format!("{base}/dir"))),
        &[],
        b"",
    );
    assert_eq!(list.status, 200, "{list}");
    let mut files: Vec<(String, bool)> = list.json()["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["is_dir"].as_bool().unwrap(),
            )
        })
        .collect();
    files.sort();
    assert_eq!(files, vec![("a.txt".into(), false), ("sub".into(), true)]);
    let none = s.raw(
        "GET",
        &format!("{PROXY}?path={}", encode(&format!("{base}/nope"))),
        &[],
        b"",
    );
    assert_eq!((none.status, none.json()), (200, json!({})), "{none}");
    let tracked = s.get_ok("artifacts/list", &[("run_id", &run), ("path", "dir")]);
    let paths: BTreeSet<&str> = tracked["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        BTreeSet::from(["dir/a.txt", "dir/sub"]),
        "{tracked:#}"
    );
    let r = s.raw("DELETE", &format!("{PROXY}/{base}/dir/a.txt"), &[], b"");
    assert_eq!(r.status, 200, "{r}");
    assert!(!local.join("dir/a.txt").exists());
    let r = s.raw("GET", &format!("{PROXY}/{base}/dir/a.txt"), &[], b"");
    r.error(404, "RESOURCE_DOES_NOT_EXIST");
}

/// Paths (after `/api/2.0/mlflow-artifacts/artifacts/`) that try to leave the store's
/// `artifacts/` folder for DIR/outside/secret.txt or the store's own files; `abs` is the
/// secret's absolute path.
fn traversals(abs: &str) -> Vec<String> {
    let abs_rel = abs.trim_start_matches('/');
    vec![
        "artifacts/../../../outside/secret.txt".into(),
        "artifacts/0/../../../../outside/secret.txt".into(),
        "artifacts/%2e%2e/%2e%2e/%2e%2e/outside/secret.txt".into(),
        "artifacts/%2E%2E%2F%2E%2E%2F%2E%2E%2Foutside%2Fsecret.txt".into(),
        "artifacts%2f..%2f..%2f..%2foutside%2fsecret.txt".into(),
        "artifacts/%252e%252e%252f%252e%252e%252f%252e%252e%252foutside%252fsecret.txt".into(),
        "artifacts/%25252e%25252e%25252f%25252e%25252e%25252f%25252e%25252e%25252foutside%25252fsecret.txt".into(),
        "artifacts/..\\..\\..\\outside\\secret.txt".into(),
        "artifacts/..%5c..%5c..%5coutside%5csecret.txt".into(),
        "artifacts/..%255c..%255c..%255coutside%255csecret.txt".into(),
        format!("/{abs_rel}"),
        format!("%2f{}", abs_rel.replace('/', "%2f")),
        format!("artifacts/../../../{}", "../".repeat(12) + abs_rel),
        "artifacts/a;/../../../../outside/secret.txt".into(),
        "artifacts/a%3b/../../../../outside/secret.txt".into(),
        "artifacts;/../../../outside/secret.txt".into(),
        "artifacts/a%3f/../../../../outside/secret.txt".into(),
        "artifacts/a%23/../../../../outside/secret.txt".into(),
        "artifacts/a%00/../../../../outside/secret.txt".into(),
        "artifacts/../../../outside/secret.txt%00.png".into(),
        "artifacts/.%2e/.%2e/.%2e/outside/secret.txt".into(),
        "registry/../../../outside/secret.txt".into(),
        "file:///etc/passwd".into(),
        "artifacts/../../../../../../../../../etc/passwd".into(),
        "artifacts/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd".into(),
    ]
}

#[test]
fn the_artifact_proxy_refuses_traversal_in_every_encoding() {
    let env = TestEnv::new();
    let s = Server::start(&env, &[]);
    let run = s.create_run("0", "t");
    s.put_artifact(&format!("artifacts/0/{run}/artifacts/ok.txt"), b"ok");
    let outside = plant_secret(&env);
    let secret = outside.join("secret.txt");
    let abs = secret.display().to_string();
    let untouched = Untouched::record(&env, &secret);

    let mut bad = Vec::new();
    for path in traversals(&abs) {
        // Downloads.
        let r = s.raw("GET", &format!("{PROXY}/{path}"), &[], b"");
        if !is_refusal(r.status) || leaks(&r) {
            bad.push(format!("GET {path}:\n{r}"));
        }
        // Listings of the same place, and of its folder.
        for p in [
            path.clone(),
            path.trim_end_matches("secret.txt").to_string(),
        ] {
            let r = s.raw("GET", &format!("{PROXY}?path={p}"), &[], b"");
            if !is_refusal(r.status) && r.json() != json!({}) || r.text().contains("secret.txt\"") {
                bad.push(format!("GET ?path={p}:\n{r}"));
            }
        }
        // Uploads and deletes.
        refuse_writes(&s, &path, &mut bad);
    }
    // Listings that climb out.
    for p in [
        "..",
        "artifacts/../..",
        "%2e%2e",
        "%252e%252e",
        "artifacts%2f..%2f..",
        "/",
        "/etc",
        &abs,
        "artifacts/..\\..",
    ] {
        let r = s.raw("GET", &format!("{PROXY}?path={p}"), &[], b"");
        if !is_refusal(r.status) && r.json() != json!({}) {
            bad.push(format!("GET ?path={p}:\n{r}"));
        }
    }
    // MLflow's UI download routes (the CVE-2023-30172 / CVE-2023-1177 shapes): not served.
    for target in [
        format!("/get-artifact?path=..%2f..%2f..%2f..%2foutside%2fsecret.txt&run_uuid={run}"),
        format!("/get-artifact?path={}&run_id={run}", encode(&abs)),
        "/model-versions/get-artifact?path=..%2f..%2f..%2fmlf.db&name=m&version=1".to_string(),
        format!("/ajax-api/2.0/mlflow/get-artifact?path=..%2f..%2fmlf.db&run_uuid={run}"),
        "/ajax-api/2.0/mlflow-artifacts/artifacts/artifacts/../../../outside/secret.txt"
            .to_string(),
    ] {
        let r = s.raw("GET", &target, &[], b"");
        if !is_refusal(r.status) || leaks(&r) {
            bad.push(format!("GET {target}:\n{r}"));
        }
    }
    // Through the tracking API's listing.
    for p in [
        "../../..",
        "../../../../../outside",
        "/etc",
        "%2e%2e/%2e%2e",
    ] {
        let r = s.get("artifacts/list", &[("run_id", &run), ("path", p)]);
        if r.text().contains("secret.txt") || r.text().contains("mlf.db") {
            bad.push(format!("artifacts/list path={p}:\n{r}"));
        }
    }
    untouched.check(&env, &bad);
    // The legitimate file is still served.
    let r = s.raw(
        "GET",
        &format!("{PROXY}/artifacts/0/{run}/artifacts/ok.txt"),
        &[],
        b"",
    );
    assert_eq!((r.status, r.text().as_str()), (200, "ok"), "{r}");
}

#[test]
fn the_store_database_and_other_store_files_are_not_served() {
    let env = TestEnv::new();
    let s = Server::start(&env, &[]);
    let run = s.create_run("0", "db");
    let store = env.store();
    assert!(store.join("mlf.db").is_file());
    let mut bad = Vec::new();
    for path in [
        "mlf.db".to_string(),
        "./mlf.db".into(),
        "%2e/mlf.db".into(),
        "mlf.db-wal".into(),
        "artifacts/../mlf.db".into(),
        "artifacts/..%2fmlf.db".into(),
        "artifacts%2f%2e%2e%2fmlf.db".into(),
        "registry/../mlf.db".into(),
        "artifacts/0/../../mlf.db".into(),
        format!("artifacts/0/{run}/artifacts/../../../../mlf.db"),
        "artifacts/%252e%252e/mlf.db".into(),
        "artifacts/..;/mlf.db".into(),
        format!(
            "/{}",
            store
                .join("mlf.db")
                .display()
                .to_string()
                .trim_start_matches('/')
        ),
    ] {
        let r = s.raw("GET", &format!("{PROXY}/{path}"), &[], b"");
        if !is_refusal(r.status) || leaks(&r) {
            bad.push(format!("GET {path}:\n{r}"));
        }
        refuse_writes(&s, &path, &mut bad);
    }
    for p in ["", ".", "./", "%2e"] {
        let r = s.raw("GET", &format!("{PROXY}?path={p}"), &[], b"");
        if r.text().contains("mlf.db\"") {
            bad.push(format!("GET ?path={p} lists the store root:\n{r}"));
        }
    }
    assert!(
        bad.is_empty(),
        "{} answers served store files:\n\n{}",
        bad.len(),
        bad.join("\n\n")
    );
    let db_after = std::fs::read(store.join("mlf.db")).unwrap();
    assert!(
        db_after.starts_with(b"SQLite format 3"),
        "mlf.db was overwritten"
    );
    // The store still works.
    s.get_ok("runs/get", &[("run_id", &run)]);
}

#[test]
fn symlinks_planted_in_the_store_do_not_lead_outside() {
    let env = TestEnv::new();
    let s = Server::start(&env, &[]);
    let run = s.create_run("0", "links");
    let base = format!("artifacts/0/{run}/artifacts");
    s.put_artifact(&format!("{base}/ok.txt"), b"ok");
    let outside = plant_secret(&env);
    let secret = outside.join("secret.txt");
    let dir = env.store().join(&base);
    std::os::unix::fs::symlink(&secret, dir.join("flink.txt")).unwrap();
    std::os::unix::fs::symlink(&outside, dir.join("dlink")).unwrap();
    std::os::unix::fs::symlink(&outside, env.store().join("artifacts/toplink")).unwrap();
    std::fs::create_dir_all(env.store().join("registry")).unwrap();
    std::os::unix::fs::symlink(&outside, env.store().join("registry/reglink")).unwrap();
    std::os::unix::fs::symlink(env.store().join("mlf.db"), dir.join("db")).unwrap();
    let before_out = outside_store(&env);

    let mut bad = Vec::new();
    for path in [
        format!("{base}/flink.txt"),
        format!("{base}/dlink/secret.txt"),
        "artifacts/toplink/secret.txt".to_string(),
        "registry/reglink/secret.txt".to_string(),
        format!("{base}/db"),
    ] {
        let r = s.raw("GET", &format!("{PROXY}/{path}"), &[], b"");
        if !(400..500).contains(&r.status) || leaks(&r) {
            bad.push(format!("GET {path}:\n{r}"));
        }
    }
    for path in [
        format!("{base}/dlink"),
        "artifacts/toplink".into(),
        "registry/reglink".into(),
    ] {
        let r = s.raw("GET", &format!("{PROXY}?path={}", encode(&path)), &[], b"");
        if r.text().contains("secret.txt") {
            bad.push(format!("GET ?path={path}:\n{r}"));
        }
    }
    let r = s.get("artifacts/list", &[("run_id", &run), ("path", "dlink")]);
    if r.text().contains("secret.txt") {
        bad.push(format!("artifacts/list path=dlink:\n{r}"));
    }
    // A model version whose source goes through a link: refused, or at least not downloadable.
    s.post_ok("registered-models/create", json!({ "name": "linked" }));
    let r = s.post(
        "model-versions/create",
        json!({ "name": "linked", "source": format!("mlflow-artifacts:/{base}/dlink"), "run_id": run }),
    );
    if r.status == 200 {
        let uri = s.get_ok(
            "model-versions/get-download-uri",
            &[("name", "linked"), ("version", "1")],
        );
        let path = uri["artifact_uri"]
            .as_str()
            .unwrap()
            .trim_start_matches("mlflow-artifacts:/")
            .to_string();
        for target in [
            format!("{PROXY}?path={}", encode(&path)),
            format!("{PROXY}/{path}/secret.txt"),
        ] {
            let r = s.raw("GET", &target, &[], b"");
            if r.text().contains("secret.txt\"") || leaks(&r) {
                bad.push(format!("GET {target} (model version through a link):\n{r}"));
            }
        }
    } else if !is_refusal(r.status) {
        bad.push(format!("model version through a link:\n{r}"));
    }
    // Writes and deletes through the links.
    for path in [
        format!("{base}/dlink/new.txt"),
        format!("{base}/dlink/secret.txt"),
        "artifacts/toplink/new.txt".to_string(),
        format!("{base}/flink.txt"),
    ] {
        let _ = s.raw("PUT", &format!("{PROXY}/{path}"), &[], b"PWNED");
        let _ = s.raw("DELETE", &format!("{PROXY}/{path}"), &[], b"");
    }
    for path in [format!("{base}/dlink"), "artifacts/toplink".to_string()] {
        let _ = s.raw("DELETE", &format!("{PROXY}/{path}"), &[], b"");
    }
    assert!(
        bad.is_empty(),
        "{} answers followed a link out:\n\n{}",
        bad.len(),
        bad.join("\n\n")
    );
    assert_eq!(
        std::fs::read_to_string(&secret).unwrap(),
        SECRET,
        "secret changed"
    );
    assert_eq!(
        outside_store(&env),
        before_out,
        "files outside the store changed"
    );
    let db = std::fs::read(env.store().join("mlf.db")).unwrap();
    assert!(db.starts_with(b"SQLite format 3"));
}

#[test]
fn registry_files_are_read_only_through_the_proxy() {
    let env = TestEnv::new();
    let s = Server::start(&env, &[]);
    let reg = env.store().join("registry");
    std::fs::create_dir_all(reg.join("m/1")).unwrap();
    std::fs::write(reg.join("m/1/MLmodel"), "flavors: {}\n").unwrap();
    let r = s.raw("GET", &format!("{PROXY}/registry/m/1/MLmodel"), &[], b"");
    assert_eq!((r.status, r.text().as_str()), (200, "flavors: {}\n"), "{r}");
    let before = proxied(&env);
    for path in [
        "registry/m/1/MLmodel",
        "registry/m/1/new.txt",
        "registry/new.txt",
    ] {
        let r = s.raw("PUT", &format!("{PROXY}/{path}"), &[], b"PWNED");
        r.error(403, "PERMISSION_DENIED");
        let r = s.raw("DELETE", &format!("{PROXY}/{path}"), &[], b"");
        assert!(matches!(r.status, 403 | 404), "DELETE {path}:\n{r}");
    }
    assert_eq!(proxied(&env), before, "registry files changed");
}

// ---------------------------------------------------------------------------------------------
// Artifact locations and model-version sources

#[test]
fn experiments_cannot_choose_their_artifact_location() {
    let env = TestEnv::new();
    let s = Server::start(&env, &[]);
    for (i, loc) in [
        "file:///etc",
        "http:///#/../../../../../../etc/",
        "http://host/path?../../../../etc",
        "/etc",
        "../../..",
        "mlflow-artifacts:/../../etc",
        "s3://bucket/;/../../etc",
    ]
    .iter()
    .enumerate()
    {
        let name = format!("loc{i}");
        s.post(
            "experiments/create",
            json!({ "name": name, "artifact_location": loc }),
        )
        .error(400, "INVALID_PARAMETER_VALUE");
        s.get("experiments/get-by-name", &[("experiment_name", &name)])
            .error(404, "RESOURCE_DOES_NOT_EXIST");
    }
    let list = s.post_ok("experiments/search", json!({ "max_results": 100 }));
    assert_eq!(list["experiments"].as_array().unwrap().len(), 1, "{list:#}");
}

fn versions_of(s: &Server, name: &str) -> Vec<Value> {
    let r = s.get(
        "model-versions/search",
        &[("filter", &format!("name = '{name}'"))],
    );
    assert_eq!(r.status, 200, "{r}");
    r.json()["model_versions"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[test]
fn model_version_sources_outside_the_run_are_refused() {
    let env = TestEnv::new();
    let s = Server::start(&env, &[]);
    let run = s.create_run("0", "src");
    let base = format!("artifacts/0/{run}/artifacts");
    s.put_artifact(&format!("{base}/model/MLmodel"), b"flavors: {}\n");
    let outside = plant_secret(&env);
    s.post_ok("registered-models/create", json!({ "name": "m" }));
    let o = outside.display().to_string();

    let mut bad = Vec::new();
    let sources = vec![
        "file:///etc/".to_string(),
        "/etc".into(),
        "../../etc".into(),
        "//proc/self/root".into(),
        "mlflow-artifacts:/../../etc".into(),
        format!("mlflow-artifacts:/artifacts/0/{run}/artifacts/../../../.."),
        format!("file://{o}"),
        o.clone(),
        "file:/etc".into(),
        "file://./etc".into(),
        "\\..\\..\\etc".into(),
        format!("mlflow-artifacts:/artifacts/0/{run}/artifacts/%2e%2e/%2e%2e/%2e%2e"),
        format!("mlflow-artifacts:/artifacts/0/{run}/artifacts/%252e%252e/%252e%252e"),
        format!("mlflow-artifacts:/artifacts/0/{run}/artifacts/model;/../../../.."),
        format!("mlflow-artifacts:/artifacts/0/{run}/artifacts/model\0"),
        format!("runs:/{run}/../../../.."),
        format!(
            "http://evil/api/2.0/mlflow-artifacts/artifacts/artifacts/0/{run}/artifacts/../../../.."
        ),
        "dbfs:/../../etc".into(),
    ];
    // Not traversal, but not a model of the run either: any refusal will do.
    let others: [String; 5] = [
        "mlflow-artifacts:/mlf.db".to_string(),
        "mlflow-artifacts:/".into(),
        "mlflow-artifacts:/registry".into(),
        "mlflow-artifacts:/artifacts".into(),
        "".into(),
    ];
    for (source, must_be_400) in sources
        .iter()
        .map(|s| (s, true))
        .chain(others.iter().map(|s| (s, false)))
    {
        let r = s.post(
            "model-versions/create",
            json!({ "name": "m", "source": source, "run_id": run }),
        );
        if (must_be_400 && r.status != 400) || !is_refusal(r.status) {
            bad.push(format!("source {source:?}:\n{r}"));
        }
    }
    assert!(
        bad.is_empty(),
        "{} sources were accepted:\n\n{}",
        bad.len(),
        bad.join("\n\n")
    );
    assert_eq!(versions_of(&s, "m"), Vec::<Value>::new());
    let m = s.get_ok("registered-models/get", &[("name", "m")]);
    assert!(
        m["registered_model"]["latest_versions"]
            .as_array()
            .is_none_or(|a| a.is_empty()),
        "{m:#}"
    );
    // The run's own model is accepted, as version 1: no number went to a refused source.
    let v = s.post_ok(
        "model-versions/create",
        json!({ "name": "m", "source": format!("mlflow-artifacts:/{base}/model"), "run_id": run }),
    );
    assert_eq!(v["model_version"]["version"], "1", "{v:#}");
    let uri = s.get_ok(
        "model-versions/get-download-uri",
        &[("name", "m"), ("version", "1")],
    );
    assert_eq!(
        uri["artifact_uri"],
        format!("mlflow-artifacts:/{base}/model")
    );
}

#[test]
fn a_model_version_source_in_another_run_is_refused() {
    let env = TestEnv::new();
    let s = Server::start(&env, &[]);
    let mine = s.create_run("0", "mine");
    let theirs = s.create_run("0", "theirs");
    for run in [&mine, &theirs] {
        s.put_artifact(
            &format!("artifacts/0/{run}/artifacts/model/MLmodel"),
            b"flavors: {}\n",
        );
    }
    s.post_ok("registered-models/create", json!({ "name": "m" }));
    let mut bad = Vec::new();
    for source in [
        format!("mlflow-artifacts:/artifacts/0/{theirs}/artifacts/model"),
        format!("runs:/{theirs}/model"),
    ] {
        let r = s.post(
            "model-versions/create",
            json!({ "name": "m", "source": source, "run_id": mine }),
        );
        if r.status != 400 {
            bad.push(format!("source {source} with run_id {mine}:\n{r}"));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n\n"));
    assert_eq!(versions_of(&s, "m"), Vec::<Value>::new());
}

// ---------------------------------------------------------------------------------------------
// Auth and listening address

/// A request for `http`: method, target, headers, body.
type Request = (&'static str, String, Vec<(String, String)>, &'static [u8]);

/// One request of each kind an authenticating server must guard — a tracking read, a tracking
/// write, an artifact upload and download — carrying `auth` as `Authorization` when given.
fn guarded_requests(auth: Option<&str>) -> Vec<Request> {
    let headers: Vec<(String, String)> = auth
        .iter()
        .map(|a| ("Authorization".to_string(), a.to_string()))
        .collect();
    let mut json_headers = headers.clone();
    json_headers.push(("Content-Type".into(), "application/json".into()));
    let artifact = format!("{PROXY}/artifacts/0/x/artifacts/f.txt");
    vec![
        (
            "GET",
            format!("{TRACKING}/experiments/search?max_results=10"),
            headers.clone(),
            b"",
        ),
        (
            "POST",
            format!("{TRACKING}/runs/create"),
            json_headers,
            br#"{"experiment_id": "0"}"#,
        ),
        ("PUT", artifact.clone(), headers.clone(), b"PWNED"),
        ("GET", artifact, headers, b""),
    ]
}

#[test]
fn an_auth_token_is_required_by_every_route() {
    let env = TestEnv::new();
    let mut s = Server::start(&env, &["--auth-token", "s3cret"]);
    // base64("user:s3cret"), base64("user:wrong"), base64("s3cret")
    const BASIC_OK: &str = "Basic dXNlcjpzM2NyZXQ=";
    const BASIC_BAD: &str = "Basic dXNlcjp3cm9uZw==";
    const BASIC_NO_COLON: &str = "Basic czNjcmV0";
    let search = format!("{TRACKING}/experiments/search?max_results=10");
    for auth in [
        None,
        Some("Bearer wrong"),
        Some("Bearer s3cre"),
        Some("Bearer s3cretX"),
        Some("Bearer "),
        Some("s3cret"),
        Some("Token s3cret"),
        Some(BASIC_BAD),
        Some(BASIC_NO_COLON),
        Some("Basic !!!"),
    ] {
        for (method, target, headers, body) in guarded_requests(auth) {
            let r = http(&s.addr, method, &target, &headers, body);
            assert_eq!(r.status, 401, "{method} {target} with {auth:?}:\n{r}");
            assert_eq!(r.json()["error_code"], "UNAUTHENTICATED", "{r}");
        }
    }
    assert!(
        !env.store().join("artifacts/0/x").exists(),
        "an unauthenticated PUT wrote"
    );
    for auth in ["Bearer s3cret", BASIC_OK] {
        let r = s.raw("GET", &search, &[("Authorization", auth)], b"");
        assert_eq!(r.status, 200, "{auth}:\n{r}");
    }
    s.token = Some("s3cret".into());
    let runs = s.post_ok("runs/search", json!({ "experiment_ids": ["0"] }));
    assert!(
        runs["runs"].as_array().is_none_or(|a| a.is_empty()),
        "an unauthenticated runs/create ran: {runs:#}"
    );

    // The token may come from MLF_SERVER_TOKEN.
    let mut env = TestEnv::new();
    env.set("MLF_SERVER_TOKEN", "from-env");
    let s = Server::start(&env, &[]);
    assert_eq!(s.raw("GET", &search, &[], b"").status, 401);
    let r = s.raw("GET", &search, &[("Authorization", "Bearer from-env")], b"");
    assert_eq!(r.status, 200, "{r}");
}

#[test]
fn the_server_listens_on_loopback_unless_told_and_warns_when_open_without_a_token() {
    let env = TestEnv::new();
    let s = Server::start(&env, &[]);
    assert!(s.printed.starts_with("127.0.0.1:"), "{}", s.stderr());
    assert!(!s.stderr().contains("warning"), "{}", s.stderr());
    drop(s);

    let s = Server::start(&env, &["--host", "0.0.0.0"]);
    assert!(s.printed.starts_with("0.0.0.0:"), "{}", s.stderr());
    let err = s.stderr();
    assert!(
        err.contains("warning:") && err.contains("--auth-token"),
        "{err}"
    );
    assert_eq!(s.raw("GET", "/health", &[], b"").status, 200);
    drop(s);

    let s = Server::start(&env, &["--host", "0.0.0.0", "--auth-token", "s3cret"]);
    assert!(!s.stderr().contains("warning"), "{}", s.stderr());
}

// ---------------------------------------------------------------------------------------------
// Concurrency

#[test]
fn concurrent_writers_through_one_server_lose_nothing() {
    const THREADS: usize = 8;
    const EACH: usize = 100;
    let env = TestEnv::new();
    let s = Server::start(&env, &[]);
    let run = s.create_run("0", "busy");
    let addr = s.addr.clone();
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let addr = addr.clone();
            let run = run.clone();
            thread::spawn(move || {
                let mut errors = Vec::new();
                for i in 0..EACH {
                    let step = t * EACH + i;
                    let body = json!({
                        "run_id": run, "key": "c", "value": step as f64 / 10.0,
                        "timestamp": 1_000 + i, "step": step,
                    });
                    let r = http(
                        &addr,
                        "POST",
                        &format!("{TRACKING}/runs/log-metric"),
                        &[("Content-Type".into(), "application/json".into())],
                        body.to_string().as_bytes(),
                    );
                    if r.status != 200 {
                        errors.push(format!("step {step}: {r}"));
                    }
                }
                errors
            })
        })
        .collect();
    let errors: Vec<String> = handles
        .into_iter()
        .flat_map(|h| h.join().expect("writer thread"))
        .collect();
    assert!(
        errors.is_empty(),
        "{} failed requests:\n{}",
        errors.len(),
        errors.join("\n")
    );
    let h = s.get_ok(
        "metrics/get-history",
        &[("run_id", &run), ("metric_key", "c")],
    );
    let steps: BTreeSet<i64> = h["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["step"].as_i64().unwrap())
        .collect();
    assert_eq!(h["metrics"].as_array().unwrap().len(), THREADS * EACH);
    assert_eq!(steps, (0..(THREADS * EACH) as i64).collect::<BTreeSet<_>>());
    let log = s.stderr();
    assert!(!log.contains("database is locked"), "{log}");
    let run_json = s.get_ok("runs/get", &[("run_id", &run)]);
    let latest = &metric_map(&run_json["run"])["c"];
    assert_eq!(latest["step"], json!(THREADS * EACH - 1), "{run_json:#}");
}

// ---------------------------------------------------------------------------------------------
// Users file

/// werkzeug 3.1.9's `generate_password_hash(PW, method="pbkdf2:sha256:1000", salt_length=16)`
/// (few iterations, so that wrong passwords are refused quickly in a debug build).
const ALICE: &str = "alice:pbkdf2:sha256:1000$m9dbC8TxrXsRu6jP$8b5a03376412bfc2c8ac00f8cfe6fe774c8f6d19463a3e09baa4ace2f45acff2";
const ALICE_PW: &str = "s3cret pw";
const BOB: &str = "bob:pbkdf2:sha256:1000$4eZezkMbEzSLETTU$723ce65f791f2eeddef1f83a8413097afd8141138943b37bee3b952c4e902a80";
const BOB_PW: &str = "b0b:pw";
const CAROL: &str = "carol:pbkdf2:sha256:1000$SAU8vXaxZXyZjUrF$021deeb6f06273fa61225e426ac5a1bc4bc6258d0212d8dc0a07f9d2a3759222";
const CAROL_PW: &str = "café";

/// `Basic base64(user:password)`.
fn basic(user: &[u8], password: &[u8]) -> String {
    const ABC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let raw = [user, b":", password].concat();
    let mut out = String::new();
    for chunk in raw.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    format!("Basic {out}")
}

/// `mlf server passwd USER --users FILE` with `password` (and a newline) on stdin.
fn passwd(env: &TestEnv, user: &str, file: &str, password: &str) -> Output {
    env.mlf_stdin(
        &["server", "passwd", user, "--users", file],
        &format!("{password}\n"),
    )
}

/// Whether `line` is `USER:pbkdf2:sha256:600000$SALT$HEX` with a 16-character alphanumeric
/// salt and a 64-digit hex digest.
fn is_passwd_line(line: &str, user: &str) -> bool {
    let Some(rest) = line.strip_prefix(&format!("{user}:pbkdf2:sha256:600000$")) else {
        return false;
    };
    let Some((salt, hex)) = rest.split_once('$') else {
        return false;
    };
    salt.len() == 16
        && salt.chars().all(|c| c.is_ascii_alphanumeric())
        && hex.len() == 64
        && hex
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
}

#[test]
fn passwd_writes_hashed_passwords_to_a_private_file_and_keeps_other_lines() {
    use std::os::unix::fs::PermissionsExt;
    let env = TestEnv::new();
    let file = env.cwd().join("users.txt");

    passwd(&env, "alice", "users.txt", "first pw").ok();
    let text = std::fs::read_to_string(&file).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "{text}");
    assert!(is_passwd_line(lines[0], "alice"), "{text}");
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{mode:o}");
    assert!(!env.store().exists(), "passwd made a store");

    // Other users, comments and blank lines are kept as they are; alice's line is replaced in
    // place.
    let first_alice = lines[0].to_string();
    std::fs::write(
        &file,
        format!("# the team\n{first_alice}\n\n{BOB}\n# end\n"),
    )
    .unwrap();
    let out = passwd(&env, "alice", "users.txt", "second pw").ok();
    assert!(out.stderr.contains("alice"), "{out}");
    let text = std::fs::read_to_string(&file).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5, "{text}");
    assert_eq!(lines[0], "# the team", "{text}");
    assert!(is_passwd_line(lines[1], "alice"), "{text}");
    assert_ne!(lines[1], first_alice, "the hash did not change");
    assert_eq!(&lines[2..], ["", BOB, "# end"], "{text}");
    // No temporary file is left beside it.
    let names: Vec<String> = std::fs::read_dir(env.cwd())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["users.txt"], "{names:?}");

    // The server takes the file: alice's new password, bob's kept one; not alice's old one.
    let s = Server::start(&env, &["--users", "users.txt"]);
    let search = format!("{TRACKING}/experiments/search?max_results=10");
    for (user, pw, status) in [
        ("alice", "second pw", 200),
        ("alice", "first pw", 401),
        ("bob", BOB_PW, 200),
    ] {
        let auth = basic(user.as_bytes(), pw.as_bytes());
        let r = s.raw("GET", &search, &[("Authorization", &auth)], b"");
        assert_eq!(r.status, status, "{user}:{pw}:\n{r}");
    }
    drop(s);

    // Refused, leaving the file as it was: an empty password, no password at all, a name
    // that cannot be sent in HTTP Basic or written to the file.
    let before = std::fs::read_to_string(&file).unwrap();
    let out = passwd(&env, "carol", "users.txt", "").code(2);
    assert!(out.stderr.contains("empty password"), "{out}");
    let out = mlf(&env, &["server", "passwd", "carol", "--users", "users.txt"]).code(2);
    assert!(out.stderr.contains("empty password"), "{out}");
    for name in ["a:b", "a b", "#a", ""] {
        let out = passwd(&env, name, "users.txt", "pw").code(2);
        assert!(out.stderr.contains("user name"), "{name:?}: {out}");
    }
    assert_eq!(std::fs::read_to_string(&file).unwrap(), before);

    // The subcommand does not mix with the server's options.
    let out = env
        .mlf_stdin(
            &[
                "server",
                "--port",
                "0",
                "passwd",
                "carol",
                "--users",
                "users.txt",
            ],
            "pw\n",
        )
        .code(2);
    assert!(out.stderr.contains("passwd"), "{out}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), before);
}

#[test]
fn a_users_file_requires_a_user_and_password_on_every_route() {
    let env = TestEnv::new();
    env.write(
        "users.txt",
        &format!("# werkzeug hashes\n{ALICE}\n\n  {BOB}  \n{CAROL}\n"),
    );
    let s = Server::start(&env, &["--users", "users.txt"]);
    let create = format!("{TRACKING}/runs/create");
    let search = format!("{TRACKING}/experiments/search?max_results=10");
    let refused = [
        None,
        Some(basic(b"alice", b"wrong")),
        Some(basic(b"alice", b"s3cret p")),
        Some(basic(b"alice", b"s3cret pw ")),
        Some(basic(b"alice", b"")),
        Some(basic(b"Alice", ALICE_PW.as_bytes())),
        Some(basic(b"mallory", ALICE_PW.as_bytes())),
        Some(basic(b"", ALICE_PW.as_bytes())),
        Some(basic(b"bob", ALICE_PW.as_bytes())),
        Some(basic(b"bob", b"b0b")),
        Some("Basic YWxpY2U=".to_string()), // "alice", no colon
        Some(format!("Bearer {ALICE_PW}")),
        Some(format!("Bearer {ALICE}")),
    ];
    for auth in &refused {
        for (method, target, headers, body) in guarded_requests(auth.as_deref()) {
            let r = http(&s.addr, method, &target, &headers, body);
            let message = r.error(401, "UNAUTHENTICATED");
            assert!(message.contains("password"), "{r}");
            assert_eq!(
                r.header("www-authenticate"),
                Some(r#"Basic realm="mlf""#),
                "{method} {target} with {auth:?}:\n{r}"
            );
        }
    }
    assert!(
        !env.store().join("artifacts/0/x").exists(),
        "an unauthenticated PUT wrote"
    );
    // The right passwords, asked twice (the second time from memory); a colon in a password;
    // a non-ASCII password in UTF-8 and in Latin-1 (what Python's requests sends).
    let latin1: Vec<u8> = CAROL_PW.chars().map(|c| c as u8).collect();
    for (user, pw) in [
        ("alice", ALICE_PW.as_bytes()),
        ("alice", ALICE_PW.as_bytes()),
        ("bob", BOB_PW.as_bytes()),
        ("carol", CAROL_PW.as_bytes()),
        ("carol", &latin1[..]),
    ] {
        let auth = basic(user.as_bytes(), pw);
        let r = s.raw("GET", &search, &[("Authorization", &auth)], b"");
        assert_eq!(r.status, 200, "{user}:\n{r}");
    }
    // A refused password stays refused after the right one was accepted.
    let r = s.raw(
        "GET",
        &search,
        &[("Authorization", &basic(b"alice", b"wrong"))],
        b"",
    );
    assert_eq!(r.status, 401, "{r}");
    // Writes go through for a user.
    let alice = basic(b"alice", ALICE_PW.as_bytes());
    let r = s.raw(
        "POST",
        &create,
        &[
            ("Authorization", &alice),
            ("Content-Type", "application/json"),
        ],
        br#"{"experiment_id": "0", "run_name": "by-alice"}"#,
    );
    assert_eq!(r.status, 200, "{r}");
    assert_eq!(s.raw("GET", "/health", &[], b"").status, 200);
    drop(s);

    // With a token as well, both work; the 401 offers both.
    let mut env = env;
    env.set("MLF_SERVER_USERS", "users.txt");
    let s = Server::start(&env, &["--auth-token", "tok3n", "--host", "0.0.0.0"]);
    assert!(!s.stderr().contains("warning"), "{}", s.stderr());
    for (auth, status) in [
        ("Bearer tok3n".to_string(), 200),
        (basic(b"anyone", b"tok3n"), 200),
        (basic(b"bob", BOB_PW.as_bytes()), 200),
        ("Bearer nope".to_string(), 401),
        (basic(b"bob", b"tok3n!"), 401),
    ] {
        let r = s.raw("GET", &search, &[("Authorization", &auth)], b"");
        assert_eq!(r.status, status, "{auth}:\n{r}");
    }
    let r = s.raw("GET", &search, &[], b"");
    let challenges: Vec<&str> = r
        .headers
        .iter()
        .filter(|(k, _)| k == "www-authenticate")
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(challenges, [r#"Basic realm="mlf""#, "Bearer"], "{r}");
}

#[test]
fn a_malformed_users_file_is_refused_at_startup() {
    let env = TestEnv::new();
    let good = ALICE.split_once(':').unwrap().1;
    for (text, line, what) in [
        (format!("# team\n{ALICE}\nbob\n"), Some(3), "NAME:HASH"),
        (
            "bob:hunter2\n".to_string(),
            Some(1),
            "pbkdf2:sha256:ITERATIONS$SALT$HEX",
        ),
        (
            "bob:scrypt:32768:8:1$BzIXQNbjAKhxs1DB$157205b63958dbd8fe3edcd601adff1f\n".to_string(),
            Some(1),
            "`scrypt`",
        ),
        (
            format!("bob:{}\n", &good[..good.len() - 1]),
            Some(1),
            "64 hex",
        ),
        (format!("\n\nbob carol:{good}\n"), Some(3), "user name"),
        (format!("{ALICE}\n{ALICE}\n"), Some(2), "already on line 1"),
        ("# nobody yet\n\n".to_string(), None, "no users"),
    ] {
        env.write("users.txt", &text);
        let out = mlf(&env, &["server", "--port", "0", "--users", "users.txt"]).code(2);
        let err = out.stderr.trim_end();
        assert_eq!(err.lines().count(), 1, "{text:?}:\n{out}");
        let want = match line {
            Some(n) => format!("error: `users.txt` line {n}: "),
            None => "error: `users.txt` ".to_string(),
        };
        assert!(err.starts_with(&want), "{text:?}:\n{out}");
        assert!(err.contains(what), "{text:?}:\n{out}");
        assert!(
            err.contains("mlf server passwd") || err.contains("remove"),
            "{out}"
        );
    }
    let out = mlf(&env, &["server", "--port", "0", "--users", "missing.txt"]).code(2);
    assert!(
        out.stderr.contains("missing.txt") && out.stderr.contains("mlf server passwd"),
        "{out}"
    );
    assert!(!env.store().exists(), "a refused server made a store");
}

/// Logs a metric with the `mlflow` client; the credentials come from the environment.
const AUTHED_CLIENT: &str = r#"
import json, sys
import mlflow
mlflow.set_tracking_uri(sys.argv[1])
with mlflow.start_run(run_name="authed") as run:
    mlflow.log_metric("loss", 0.25, step=3)
print(json.dumps({"run_id": run.info.run_id}))
"#;

#[test]
fn the_mlflow_client_logs_with_a_user_name_and_password() {
    let env = TestEnv::new();
    env.write("users.txt", &format!("{ALICE}\n"));
    let script = env.write("authed.py", AUTHED_CLIENT);
    let s = Server::start(&env, &["--users", "users.txt"]);
    let client = |password: &str| {
        let mut cmd = Command::new(venv_bin().join("python"));
        cmd.arg(&script)
            .arg(s.url())
            .current_dir(env.cwd())
            .env_clear()
            .env("PATH", venv_path())
            .env("HOME", env.dir.path().join("home"))
            .env("TZ", "UTC")
            .env("GIT_PYTHON_REFRESH", "quiet")
            .env("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
            .env("MLFLOW_TRACKING_USERNAME", "alice")
            .env("MLFLOW_TRACKING_PASSWORD", password);
        bounded(cmd, PY_WAIT)
    };
    let out = client("wrong");
    assert_ne!(out.code, 0, "{out}");
    assert!(
        out.stderr.contains("401") || out.stderr.contains("UNAUTHENTICATED"),
        "{out}"
    );
    let out = client(ALICE_PW);
    assert_eq!(out.code, 0, "{out}\n----- server -----\n{}", s.stderr());
    let runs = mlf(&env, &["runs", "list", "--format", "json"]).ok().json();
    let run = run_named(&runs, "authed");
    assert_eq!(metric_map(run)["loss"]["value"], json!(0.25), "{run:#}");
}

// ---------------------------------------------------------------------------------------------
// Bulk metric history, the UI's file routes, server-info

/// Logs `(step, timestamp, value)` points of `key` to `run` through log-batch.
#[track_caller]
fn log_points(s: &Server, run: &str, key: &str, points: &[(i64, i64, Value)]) {
    for chunk in points.chunks(1000) {
        let metrics: Vec<Value> = chunk
            .iter()
            .map(|(step, ts, v)| json!({ "key": key, "value": v, "timestamp": ts, "step": step }))
            .collect();
        s.post_ok(
            "runs/log-batch",
            json!({ "run_id": run, "metrics": metrics }),
        );
    }
}

/// `GET PATH?QUERY` (any route), asserting 200; the JSON answer.
#[track_caller]
fn get_path_ok(s: &Server, path: &str, query: &[(&str, &str)]) -> Value {
    let r = s.raw("GET", &format!("{path}{}", query_string(query)), &[], b"");
    assert_eq!(r.status, 200, "GET {path} {query:?}:\n{r}");
    r.json()
}

/// `(run_id, step, timestamp, value)` of each point of a bulk answer.
fn points_of(v: &Value) -> Vec<(String, i64, i64, Value)> {
    v["metrics"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|m| {
                    assert!(m["key"].is_string(), "{m}");
                    (
                        m["run_id"].as_str().unwrap().to_string(),
                        m["step"].as_i64().unwrap(),
                        m["timestamp"].as_i64().unwrap(),
                        m["value"].clone(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Two runs: `a` with steps 0..20 (timestamp 1000+step, value step), `b` with steps 0, 3, …,
/// 18 (timestamp 5000+i, value 10·i) and three more points at step 2 (4.0 at 6999; NaN and
/// 5.0 at 7000). The same points were logged into mlflow 3.17.2's server to find its answers.
fn two_histories(s: &Server) -> (String, String) {
    let a = s.create_run("0", "a");
    let b = s.create_run("0", "b");
    let points: Vec<(i64, i64, Value)> = (0..20).map(|i| (i, 1000 + i, json!(i as f64))).collect();
    log_points(s, &a, "loss", &points);
    let mut points: Vec<(i64, i64, Value)> = (0..7)
        .map(|i| (i * 3, 5000 + i, json!((i * 10) as f64)))
        .collect();
    points.extend([
        (2, 7000, json!("NaN")),
        (2, 7000, json!(5.0)),
        (2, 6999, json!(4.0)),
    ]);
    log_points(s, &b, "loss", &points);
    (a, b)
}

const INTERVAL: &str = "metrics/get-history-bulk-interval";

#[test]
fn history_bulk_interval_samples_like_mlflow_sql_store() {
    let env = TestEnv::new();
    let s = Server::start(&env, &[]);
    let (a, b) = two_histories(&s);
    let steps = |v: &Value, run: &str| -> Vec<i64> {
        points_of(v)
            .into_iter()
            .filter(|p| p.0 == run)
            .map(|p| p.1)
            .collect()
    };

    // More points than max_results: the first point of each of 5 even buckets, the last bucket's
    // replaced by the last point; runs in the order asked, each by step, timestamp, value.
    let v = s.get_ok(
        INTERVAL,
        &[
            ("run_ids", &a),
            ("run_ids", &b),
            ("metric_key", "loss"),
            ("max_results", "5"),
        ],
    );
    let got = points_of(&v);
    assert_eq!(got.len(), 10, "{v:#}");
    assert!(
        got[..5].iter().all(|p| p.0 == a) && got[5..].iter().all(|p| p.0 == b),
        "{v:#}"
    );
    assert_eq!(steps(&v, &a), [0, 4, 8, 12, 19], "{v:#}");
    let b_points: Vec<(i64, i64, Value)> =
        got[5..].iter().map(|p| (p.1, p.2, p.3.clone())).collect();
    assert_eq!(
        b_points,
        [
            (0, 5000, json!(0.0)),
            (2, 7000, json!("NaN")),
            (3, 5001, json!(10.0)),
            (9, 5003, json!(30.0)),
            (18, 5006, json!(60.0)),
        ],
        "{v:#}"
    );
    assert!(v["metrics"][0]["timestamp"].is_i64() && v["metrics"][0]["key"] == "loss");

    // The run order follows the request; a run named twice is answered twice.
    let v = s.get_ok(
        INTERVAL,
        &[
            ("run_ids", &b),
            ("run_ids", &a),
            ("run_ids", &b),
            ("metric_key", "loss"),
            ("max_results", "1"),
        ],
    );
    let got: Vec<(String, i64)> = points_of(&v).into_iter().map(|p| (p.0, p.1)).collect();
    assert_eq!(
        got,
        [(b.clone(), 18), (a.clone(), 19), (b.clone(), 18)],
        "max_results=1 keeps only the last point: {v:#}"
    );

    // A step range (inclusive); value breaks ties within a step.
    let v = s.get_ok(
        INTERVAL,
        &[
            ("run_ids", &b),
            ("metric_key", "loss"),
            ("max_results", "3"),
            ("start_step", "2"),
            ("end_step", "6"),
        ],
    );
    let got: Vec<(i64, i64, Value)> = points_of(&v).into_iter().map(|p| (p.1, p.2, p.3)).collect();
    assert_eq!(
        got,
        [
            (2, 6999, json!(4.0)),
            (2, 7000, json!(5.0)),
            (6, 5002, json!(20.0))
        ],
        "{v:#}"
    );
    let v = s.get_ok(
        INTERVAL,
        &[
            ("run_ids", &a),
            ("metric_key", "loss"),
            ("start_step", "3"),
            ("end_step", "3"),
        ],
    );
    assert_eq!(steps(&v, &a), [3], "{v:#}");
    let v = s.get_ok(
        INTERVAL,
        &[
            ("run_ids", &a),
            ("metric_key", "loss"),
            ("max_results", "3"),
            ("start_step", "3"),
            ("end_step", "17"),
        ],
    );
    assert_eq!(steps(&v, &a), [3, 8, 17], "{v:#}");

    // No more points than max_results (the default is 2500): all of them.
    let v = s.get_ok(INTERVAL, &[("run_ids", &a), ("metric_key", "loss")]);
    assert_eq!(steps(&v, &a), (0..20).collect::<Vec<_>>(), "{v:#}");
    let v = s.get_ok(
        INTERVAL,
        &[
            ("run_ids", &a),
            ("metric_key", "loss"),
            ("max_results", "20"),
        ],
    );
    assert_eq!(steps(&v, &a).len(), 20, "{v:#}");

    // A larger history: 3000 points sampled to 7 and to 2500.
    let c = s.create_run("0", "c");
    let points: Vec<(i64, i64, Value)> = (0..3000)
        .map(|i| (i, 10_000 + i, json!(i as f64 / 2.0)))
        .collect();
    log_points(&s, &c, "acc", &points);
    let v = s.get_ok(
        INTERVAL,
        &[("run_ids", &c), ("metric_key", "acc"), ("max_results", "7")],
    );
    // 3000 = 7·428 + 4: buckets of 429, 429, 429, 429, 428, 428, 428.
    assert_eq!(
        steps(&v, &c),
        [0, 429, 858, 1287, 1716, 2144, 2999],
        "{v:#}"
    );
    let v = s.get_ok(INTERVAL, &[("run_ids", &c), ("metric_key", "acc")]);
    let got = steps(&v, &c);
    assert_eq!(got.len(), 2500);
    // 3000 = 2500·1 + 500: the first 500 buckets hold two points, the others one.
    let expected: Vec<i64> = (0..2499)
        .map(|b: i64| b + b.min(500))
        .chain([2999])
        .collect();
    assert_eq!(got, expected);

    // Unknown runs and keys have no points: the empty list is left out, as protobuf does.
    let none = "0123456789abcdef0123456789abcdef";
    assert_eq!(
        s.get_ok(INTERVAL, &[("run_ids", none), ("metric_key", "loss")]),
        json!({})
    );
    assert_eq!(
        s.get_ok(INTERVAL, &[("run_ids", &a), ("metric_key", "nope")]),
        json!({})
    );
    // The UI's path answers the same.
    let v = get_path_ok(
        &s,
        &format!("/ajax-api/2.0/mlflow/{INTERVAL}"),
        &[
            ("run_ids", &a),
            ("metric_key", "loss"),
            ("max_results", "5"),
        ],
    );
    assert_eq!(steps(&v, &a), [0, 4, 8, 12, 19], "{v:#}");
}

#[test]
fn history_bulk_interval_refuses_bad_parameters_as_mlflow_does() {
    let env = TestEnv::new();
    let s = Server::start(&env, &[]);
    let (a, _) = two_histories(&s);
    let many: Vec<String> = (0..101).map(|i| format!("{i:032x}")).collect();
    let hundred: Vec<(&str, &str)> = many[..100]
        .iter()
        .map(|r| ("run_ids", r.as_str()))
        .chain([("metric_key", "loss")])
        .collect();
    let too_many: Vec<(&str, &str)> = many
        .iter()
        .map(|r| ("run_ids", r.as_str()))
        .chain([("metric_key", "loss")])
        .collect();
    assert_eq!(
        s.get_ok(INTERVAL, &hundred),
        json!({}),
        "100 runs are allowed"
    );
    let docs = "See the API docs for more information about request parameters.";
    let cases: Vec<(Vec<(&str, &str)>, String)> = vec![
        (
            vec![("metric_key", "loss")],
            format!("Missing value for required parameter 'run_ids'. {docs}"),
        ),
        (
            vec![("run_ids", &a)],
            format!("Missing value for required parameter 'metric_key'. {docs}"),
        ),
        (
            vec![("run_ids", &a), ("metric_key", "")],
            format!("Missing value for required parameter 'metric_key'. {docs}"),
        ),
        (
            too_many,
            format!(
                "GetMetricHistoryBulkInterval request must specify at most 100 run_ids. Received 101 run_ids. {docs}"
            ),
        ),
        (
            vec![
                ("run_ids", &a),
                ("metric_key", "loss"),
                ("max_results", "0"),
            ],
            format!("max_results must be between 1 and 2500. {docs}"),
        ),
        (
            vec![
                ("run_ids", &a),
                ("metric_key", "loss"),
                ("max_results", "-3"),
            ],
            format!("max_results must be between 1 and 2500. {docs}"),
        ),
        (
            vec![
                ("run_ids", &a),
                ("metric_key", "loss"),
                ("max_results", "2501"),
            ],
            format!("max_results must be between 1 and 2500. {docs}"),
        ),
        (
            vec![
                ("run_ids", &a),
                ("metric_key", "loss"),
                ("max_results", "abc"),
            ],
            format!(
                "Invalid value \"abc\" for parameter 'max_results' supplied:  Hint: Value was of type 'str'. {docs}"
            ),
        ),
        (
            vec![
                ("run_ids", &a),
                ("metric_key", "loss"),
                ("max_results", "2.5"),
            ],
            format!(
                "Invalid value \"2.5\" for parameter 'max_results' supplied:  Hint: Value was of type 'str'. {docs}"
            ),
        ),
        (
            vec![
                ("run_ids", &a),
                ("metric_key", "loss"),
                ("start_step", "x"),
                ("end_step", "1"),
            ],
            format!(
                "Invalid value \"x\" for parameter 'start_step' supplied:  Hint: Value was of type 'str'. {docs}"
            ),
        ),
        (
            vec![
                ("run_ids", &a),
                ("metric_key", "loss"),
                ("start_step", ""),
                ("end_step", ""),
            ],
            format!(
                "Invalid value \"\" for parameter 'start_step' supplied:  Hint: Value was of type 'str'. {docs}"
            ),
        ),
        (
            vec![("run_ids", &a), ("metric_key", "loss"), ("start_step", "1")],
            "If either start step or end step are specified, both must be specified.".into(),
        ),
        (
            vec![("run_ids", &a), ("metric_key", "loss"), ("end_step", "1")],
            "If either start step or end step are specified, both must be specified.".into(),
        ),
        (
            vec![
                ("run_ids", &a),
                ("metric_key", "loss"),
                ("start_step", "5"),
                ("end_step", "1"),
            ],
            "end_step must be greater than start_step. Found start_step=5 and end_step=1.".into(),
        ),
    ];
    for (query, message) in cases {
        let r = s.get(INTERVAL, &query);
        let got = r.error(400, "INVALID_PARAMETER_VALUE");
        assert_eq!(got, message, "{query:?}");
    }
    // GET only.
    let r = s.post(INTERVAL, json!({ "run_ids": [a], "metric_key": "loss" }));
    assert!((400..500).contains(&r.status), "{r}");
}

const BULK: &str = "/ajax-api/2.0/mlflow/metrics/get-history-bulk";

#[test]
fn history_bulk_answers_every_point_by_run_then_time_and_refuses_bad_parameters() {
    let env = TestEnv::new();
    let s = Server::start(&env, &[]);
    let (a, b) = two_histories(&s);
    let (first, second) = if a < b { (&a, &b) } else { (&b, &a) };

    // By run id (not the order asked), then timestamp, step, value; every point.
    let v = get_path_ok(
        &s,
        BULK,
        &[
            ("run_id", second),
            ("run_id", first),
            ("metric_key", "loss"),
        ],
    );
    let got = points_of(&v);
    assert_eq!(got.len(), 30, "{v:#}");
    let mut sorted = got.clone();
    sorted.sort_by(|x, y| (&x.0, x.2, x.1).cmp(&(&y.0, y.2, y.1)));
    assert_eq!(got, sorted, "{v:#}");
    assert_eq!(&got[0].0, first, "{v:#}");
    let b_points: Vec<(i64, i64, Value)> = got
        .iter()
        .filter(|p| p.0 == b)
        .map(|p| (p.1, p.2, p.3.clone()))
        .collect();
    assert_eq!(
        b_points[b_points.len() - 3..],
        [
            (2, 6999, json!(4.0)),
            (2, 7000, json!("NaN")),
            (2, 7000, json!(5.0))
        ],
        "NaN (stored as 0) before 5.0 at the same time and step: {v:#}"
    );
    // max_results caps the whole answer, not each run.
    let v = get_path_ok(
        &s,
        BULK,
        &[
            ("run_id", &a),
            ("run_id", &b),
            ("metric_key", "loss"),
            ("max_results", "12"),
        ],
    );
    let got = points_of(&v);
    assert_eq!(got.len(), 12, "{v:#}");
    assert!(got.iter().all(|p| &p.0 == first), "{v:#}");
    // Larger than 25,000 is taken as 25,000; 0 gives nothing; unknown runs and keys nothing.
    let v = get_path_ok(
        &s,
        BULK,
        &[
            ("run_id", &a),
            ("metric_key", "loss"),
            ("max_results", "99999"),
        ],
    );
    assert_eq!(points_of(&v).len(), 20);
    for query in [
        vec![
            ("run_id", a.as_str()),
            ("metric_key", "loss"),
            ("max_results", "0"),
        ],
        vec![
            ("run_id", "0123456789abcdef0123456789abcdef"),
            ("metric_key", "loss"),
        ],
        vec![("run_id", a.as_str()), ("metric_key", "")],
    ] {
        assert_eq!(
            get_path_ok(&s, BULK, &query),
            json!({ "metrics": [] }),
            "{query:?}"
        );
    }

    let many: Vec<String> = (0..101).map(|i| format!("{i:032x}")).collect();
    let too_many: Vec<(&str, &str)> = many
        .iter()
        .map(|r| ("run_id", r.as_str()))
        .chain([("metric_key", "loss")])
        .collect();
    for (query, message) in [
        (
            vec![("metric_key", "loss")],
            "GetMetricHistoryBulk request must specify at least one run_id.",
        ),
        (
            vec![("run_id", a.as_str())],
            "GetMetricHistoryBulk request must specify a metric_key.",
        ),
        (
            too_many,
            "GetMetricHistoryBulk request cannot specify more than 100 run_ids. Received 101 run_ids.",
        ),
    ] {
        let r = s.raw("GET", &format!("{BULK}{}", query_string(&query)), &[], b"");
        assert_eq!(r.error(400, "INVALID_PARAMETER_VALUE"), message);
    }
    // MLflow answers these with a 500 or a strange slice; a client's mistake is a 400 here.
    for bad in ["abc", "-3", ""] {
        let query = [
            ("run_id", a.as_str()),
            ("metric_key", "loss"),
            ("max_results", bad),
        ];
        let r = s.raw("GET", &format!("{BULK}{}", query_string(&query)), &[], b"");
        r.error(400, "INVALID_PARAMETER_VALUE");
    }
    // Only under /ajax-api, as MLflow.
    s.get(
        "metrics/get-history-bulk",
        &[("run_id", &a), ("metric_key", "loss")],
    )
    .error(404, "ENDPOINT_NOT_FOUND");
}

#[test]
fn metric_history_orders_by_timestamp_step_then_value() {
    let env = TestEnv::new();
    let s = Server::start(&env, &[]);
    let run = s.create_run("0", "order");
    log_points(
        &s,
        &run,
        "m",
        &[
            (1, 10, json!(3.0)),
            (1, 10, json!(-1.0)),
            (0, 20, json!(1.0)),
            (2, 5, json!(0.0)),
            (1, 10, json!("NaN")),
            (1, 10, json!(0.0)),
        ],
    );
    let v = s.get_ok(
        "metrics/get-history",
        &[("run_id", &run), ("metric_key", "m")],
    );
    let got: Vec<(i64, i64, Value)> = v["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["timestamp"].as_i64().unwrap(),
                m["step"].as_i64().unwrap(),
                m["value"].clone(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (5, 2, json!(0.0)),
            (10, 1, json!(-1.0)),
            (10, 1, json!(0.0)),
            (10, 1, json!("NaN")),
            (10, 1, json!(3.0)),
            (20, 0, json!(1.0)),
        ],
        "{v:#}"
    );
}

/// Files of a run, a model version of it and a logged model, for the download routes.
fn files_for_downloads(s: &Server) -> (String, String) {
    let run = s.create_run("0", "files");
    s.put_artifact(
        &format!("artifacts/0/{run}/artifacts/model/MLmodel"),
        b"flavors: {}\n",
    );
    s.put_artifact(
        &format!("artifacts/0/{run}/artifacts/model/sub/w.bin"),
        b"\x00\x01weights",
    );
    s.put_artifact(&format!("artifacts/0/{run}/artifacts/notes.txt"), b"hello");
    s.post_ok("registered-models/create", json!({ "name": "dl" }));
    s.post_ok(
        "model-versions/create",
        json!({ "name": "dl", "source": format!("runs:/{run}/model"), "run_id": run }),
    );
    let m = s.post_ok(
        "logged-models",
        json!({ "experiment_id": "0", "name": "lm" }),
    )["model"]["info"]["model_id"]
        .as_str()
        .unwrap()
        .to_string();
    s.put_artifact(
        &format!("artifacts/0/models/{m}/artifacts/MLmodel"),
        b"logged: yes\n",
    );
    (run, m)
}

#[test]
fn the_ui_download_routes_send_files_of_runs_model_versions_and_logged_models() {
    let env = TestEnv::new();
    let s = Server::start(&env, &[]);
    let (run, model) = files_for_downloads(&s);
    let get = |target: String| s.raw("GET", &target, &[], b"");
    let file = |target: String, body: &[u8], name: &str| {
        let r = get(target.clone());
        assert_eq!(r.status, 200, "{target}:\n{r}");
        assert_eq!(r.body, body, "{target}");
        assert_eq!(
            r.header("content-disposition"),
            Some(format!("attachment; filename={name}").as_str()),
            "{r}"
        );
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"), "{r}");
    };
    file(
        format!("/get-artifact?run_id={run}&path=notes.txt"),
        b"hello",
        "notes.txt",
    );
    file(
        format!("/get-artifact?run_uuid={run}&path=model%2Fsub%2Fw.bin"),
        b"\x00\x01weights",
        "w.bin",
    );
    file(
        "/model-versions/get-artifact?name=dl&version=1&path=MLmodel".into(),
        b"flavors: {}\n",
        "MLmodel",
    );
    file(
        "/model-versions/get-artifact?name=dl&version=1&path=sub/w.bin".into(),
        b"\x00\x01weights",
        "w.bin",
    );
    file(
        format!(
            "/ajax-api/2.0/mlflow/logged-models/{model}/artifacts/files?artifact_file_path=MLmodel"
        ),
        b"logged: yes\n",
        "MLmodel",
    );

    let err = |target: String, status: u16, code: &str| -> String {
        let r = get(target.clone());
        assert!(
            !r.text().contains("hello") && !r.text().contains("weights"),
            "{target}:\n{r}"
        );
        r.error(status, code)
    };
    let m = err(
        format!("/get-artifact?run_id={run}&path=model"),
        400,
        "INVALID_PARAMETER_VALUE",
    );
    assert_eq!(
        m,
        format!(
            "Artifact path refers to a directory, not a file: 'artifacts/0/{run}/artifacts/model'"
        )
    );
    err(
        format!("/get-artifact?run_id={run}&path="),
        400,
        "INVALID_PARAMETER_VALUE",
    );
    let m = err(
        format!("/get-artifact?run_id={run}&path=nope.txt"),
        404,
        "RESOURCE_DOES_NOT_EXIST",
    );
    assert_eq!(
        m,
        format!("No such artifact: 'artifacts/0/{run}/artifacts/nope.txt'")
    );
    let none = "0123456789abcdef0123456789abcdef";
    let m = err(
        format!("/get-artifact?run_id={none}&path=notes.txt"),
        404,
        "RESOURCE_DOES_NOT_EXIST",
    );
    assert_eq!(m, format!("Run with id={none} not found"));
    err(
        format!("/get-artifact?run_id={run}"),
        400,
        "INVALID_PARAMETER_VALUE",
    );
    err(
        "/get-artifact?path=notes.txt".into(),
        400,
        "INVALID_PARAMETER_VALUE",
    );
    let m = err(
        "/model-versions/get-artifact?name=dl&version=9&path=MLmodel".into(),
        404,
        "RESOURCE_DOES_NOT_EXIST",
    );
    assert_eq!(m, "Model Version (name=dl, version=9) not found");
    err(
        "/model-versions/get-artifact?name=zz&version=1&path=MLmodel".into(),
        404,
        "RESOURCE_DOES_NOT_EXIST",
    );
    let m = err(
        "/model-versions/get-artifact?name=dl&version=abc&path=MLmodel".into(),
        400,
        "INVALID_PARAMETER_VALUE",
    );
    assert_eq!(m, "Parameter 'version' must be an integer, got 'abc'.");
    err(
        "/model-versions/get-artifact?version=1&path=MLmodel".into(),
        400,
        "INVALID_PARAMETER_VALUE",
    );
    err(
        "/model-versions/get-artifact?name=dl&path=MLmodel".into(),
        400,
        "INVALID_PARAMETER_VALUE",
    );
    err(
        "/model-versions/get-artifact?name=dl&version=1&path=sub".into(),
        400,
        "INVALID_PARAMETER_VALUE",
    );
    err(
        format!("/ajax-api/2.0/mlflow/logged-models/{model}/artifacts/files"),
        400,
        "BAD_REQUEST",
    );
    let m = err(
        "/ajax-api/2.0/mlflow/logged-models/m-nope/artifacts/files?artifact_file_path=MLmodel"
            .into(),
        404,
        "RESOURCE_DOES_NOT_EXIST",
    );
    assert_eq!(m, "Logged model with ID 'm-nope' not found.");
    // GET only.
    let r = s.raw(
        "POST",
        &format!("/get-artifact?run_id={run}&path=notes.txt"),
        &[],
        b"",
    );
    assert_eq!(r.status, 405, "{r}");
}

#[test]
fn the_ui_file_routes_refuse_traversal_and_read_nothing_outside_the_store() {
    let env = TestEnv::new();
    let s = Server::start(&env, &[]);
    let (run, model) = files_for_downloads(&s);
    let other = s.create_run("0", "other");
    s.put_artifact(
        &format!("artifacts/0/{other}/artifacts/private.txt"),
        b"hello",
    );
    let outside = plant_secret(&env);
    let secret = outside.join("secret.txt");
    let abs = secret.display().to_string();
    // Symlinks planted in the run's folder: out of the store, and into another run.
    let run_dir = env.store().join(format!("artifacts/0/{run}/artifacts"));
    let other_file = env
        .store()
        .join(format!("artifacts/0/{other}/artifacts/private.txt"));
    std::os::unix::fs::symlink(&outside, run_dir.join("evil")).unwrap();
    std::os::unix::fs::symlink(&secret, run_dir.join("evil.txt")).unwrap();
    std::os::unix::fs::symlink(&other_file, run_dir.join("peer.txt")).unwrap();
    let untouched = Untouched::record(&env, &secret);
    let mut bad = Vec::new();
    for path in ["evil/secret.txt", "evil.txt", "peer.txt", "evil"] {
        let target = format!("/get-artifact?run_id={run}&path={path}");
        let r = s.raw("GET", &target, &[], b"");
        if !is_refusal(r.status) || leaks(&r) || r.text().contains("hello") {
            bad.push(format!("GET {target}:\n{r}"));
        }
    }
    let mut paths: Vec<String> = vec![
        "../../../../outside/secret.txt".into(),
        "../../../../../outside/secret.txt".into(),
        format!("../{other}/artifacts/private.txt"),
        format!("../../{other}/artifacts/private.txt"),
        "../../../mlf.db".into(),
        "../../../../mlf.db".into(),
        "sub/../../../../../outside/secret.txt".into(),
        "notes.txt/../../../../../outside/secret.txt".into(),
        "%2e%2e/%2e%2e/%2e%2e/%2e%2e/outside/secret.txt".into(),
        "%252e%252e%252f%252e%252e%252f%252e%252e%252f%252e%252e%252foutside%252fsecret.txt".into(),
        "..\\..\\..\\..\\outside\\secret.txt".into(),
        "..%5c..%5c..%5c..%5coutside%5csecret.txt".into(),
        abs.clone(),
        format!("file://{abs}"),
        "/etc/passwd".into(),
        "../../../../../../../../../../etc/passwd".into(),
        "a;/../../../../../outside/secret.txt".into(),
        "a%3f/../../../../../outside/secret.txt".into(),
        "a%23/../../../../../outside/secret.txt".into(),
        "a%00/../../../../../outside/secret.txt".into(),
        ".%2e/.%2e/.%2e/.%2e/outside/secret.txt".into(),
    ];
    paths.extend(traversals(&abs));
    for path in &paths {
        // Each path goes in raw (as a client could send it) and percent-encoded once.
        for value in [path.clone(), encode(path)] {
            for target in [
                format!("/get-artifact?run_id={run}&path={value}"),
                format!("/get-artifact?path={value}&run_uuid={run}"),
                format!("/model-versions/get-artifact?name=dl&version=1&path={value}"),
                format!(
                    "/ajax-api/2.0/mlflow/logged-models/{model}/artifacts/files?artifact_file_path={value}"
                ),
            ] {
                let r = s.raw("GET", &target, &[], b"");
                if !is_refusal(r.status) || leaks(&r) || r.text().contains("hello") {
                    bad.push(format!("GET {target}:\n{r}"));
                }
            }
            let target =
                format!("/ajax-api/2.0/mlflow/upload-artifact?run_uuid={run}&path={value}");
            let r = s.raw(
                "POST",
                &target,
                &[("Content-Type", "application/octet-stream")],
                b"PWNED",
            );
            if !is_refusal(r.status) {
                bad.push(format!("POST {target}:\n{r}"));
            }
        }
    }
    untouched.check(&env, &bad);
    // A traversal is refused before the run is looked up, as MLflow does.
    let r = s.raw("GET", "/get-artifact?run_id=nope&path=../x", &[], b"");
    assert_eq!(r.error(400, "INVALID_PARAMETER_VALUE"), "Invalid path");
}

#[test]
fn the_ui_upload_route_writes_one_small_file_into_the_run() {
    let env = TestEnv::new();
    let s = Server::start(&env, &[]);
    let run = s.create_run("0", "up");
    let upload = |query: String, body: &[u8]| {
        s.raw(
            "POST",
            &format!("/ajax-api/2.0/mlflow/upload-artifact?{query}"),
            &[("Content-Type", "application/octet-stream")],
            body,
        )
    };
    let r = upload(format!("run_uuid={run}&path=dir/note.txt"), b"first");
    assert_eq!((r.status, r.body.as_slice()), (200, &b""[..]), "{r}");
    let r = upload(format!("run_uuid={run}&path=dir%2Fnote.txt"), b"second");
    assert_eq!(r.status, 200, "a file is replaced:\n{r}");
    let file = env
        .store()
        .join(format!("artifacts/0/{run}/artifacts/dir/note.txt"));
    assert_eq!(std::fs::read(&file).unwrap(), b"second");
    let r = s.raw(
        "GET",
        &format!("/get-artifact?run_id={run}&path=dir/note.txt"),
        &[],
        b"",
    );
    assert_eq!(r.body, b"second", "{r}");

    for (query, body, status, code, message) in [
        (
            format!("run_id={run}&path=x.txt"),
            &b"d"[..],
            400,
            "INVALID_PARAMETER_VALUE",
            "Request must specify run_uuid.",
        ),
        (
            format!("run_uuid={run}"),
            &b"d"[..],
            400,
            "INVALID_PARAMETER_VALUE",
            "Request must specify path.",
        ),
        (
            format!("run_uuid={run}&path=e.txt"),
            &b""[..],
            400,
            "INVALID_PARAMETER_VALUE",
            "Request must specify data.",
        ),
        (
            format!("run_uuid={run}&path=../x.txt"),
            &b"d"[..],
            400,
            "INVALID_PARAMETER_VALUE",
            "Invalid path",
        ),
        (
            "run_uuid=nope&path=x.txt".to_string(),
            &b"d"[..],
            404,
            "RESOURCE_DOES_NOT_EXIST",
            "Run with id=nope not found",
        ),
    ] {
        let r = upload(query.clone(), body);
        assert_eq!(r.error(status, code), message, "{query}");
    }
    // A folder is not replaced by a file, nor a file by a folder.
    upload(format!("run_uuid={run}&path=dir"), b"d").error(400, "INVALID_PARAMETER_VALUE");
    upload(format!("run_uuid={run}&path=dir/note.txt/deeper"), b"d")
        .error(400, "INVALID_PARAMETER_VALUE");
    let big = vec![b'x'; 10 * 1024 * 1024 + 1];
    let m =
        upload(format!("run_uuid={run}&path=big.bin"), &big).error(400, "INVALID_PARAMETER_VALUE");
    assert_eq!(m, "Artifact size is too large. Max size is 10MB.");
    assert!(
        !env.store()
            .join(format!("artifacts/0/{run}/artifacts/big.bin"))
            .exists()
    );
    assert_eq!(
        s.raw(
            "GET",
            &format!("/ajax-api/2.0/mlflow/upload-artifact?run_uuid={run}&path=a"),
            &[],
            b""
        )
        .status,
        405
    );
}

#[test]
fn server_info_has_mlflow_3_17_shape_and_needs_no_credentials() {
    let env = TestEnv::new();
    let s = Server::start(&env, &["--auth-token", "s3cret"]);
    let expected = json!({
        "store_type": "SqlStore",
        "workspaces_enabled": false,
        "trace_archival_enabled": false,
        "multipart_uploads_enabled": false,
        "multipart_downloads_enabled": false,
        "presigned_upload_run_id_supported": true,
        "presigned_upload_model_id_supported": true,
        "features_enabled": { "gateway": false },
    });
    for path in [
        "/api/3.0/mlflow/server-info",
        "/ajax-api/3.0/mlflow/server-info",
    ] {
        let r = s.raw("GET", path, &[], b"");
        assert_eq!(r.status, 200, "{r}");
        assert_eq!(r.header("content-type"), Some("application/json"), "{r}");
        assert_eq!(r.json(), expected, "{r}");
        assert_eq!(s.raw("POST", path, &[], b"").status, 405);
    }
    // The other new routes still need the token.
    for target in [
        "/get-artifact?run_id=x&path=a".to_string(),
        "/model-versions/get-artifact?name=m&version=1&path=a".into(),
        format!("{BULK}?run_id=x&metric_key=m"),
        format!("{TRACKING}/{INTERVAL}?run_ids=x&metric_key=m"),
        "/ajax-api/2.0/mlflow/logged-models/m-x/artifacts/files?artifact_file_path=a".into(),
    ] {
        let r = s.raw("GET", &target, &[], b"");
        assert_eq!(r.status, 401, "{target}:\n{r}");
    }
    let r = s.raw(
        "POST",
        "/ajax-api/2.0/mlflow/upload-artifact?run_uuid=x&path=a",
        &[],
        b"d",
    );
    assert_eq!(r.status, 401, "{r}");
    let r = s.raw(
        "GET",
        "/get-artifact?run_id=x&path=a",
        &[("Authorization", "Bearer s3cret")],
        b"",
    );
    r.error(404, "RESOURCE_DOES_NOT_EXIST");
}

#[test]
fn experiment_tags_searches_outputs_and_aliases_answer_as_mlflow() {
    let env = TestEnv::new();
    let s = Server::start(&env, &[]);
    // experiments/create takes tags[], checked whole before anything is created.
    let id = s.post_ok(
        "experiments/create",
        json!({ "name": "tagged", "tags": [{ "key": "team", "value": "ml" }, { "key": "empty" }] }),
    )["experiment_id"]
        .as_str()
        .unwrap()
        .to_string();
    let e = s.get_ok("experiments/get", &[("experiment_id", &id)])["experiment"].clone();
    assert_eq!(
        kv_map(&e["tags"]),
        BTreeMap::from([
            ("empty".to_string(), json!("")),
            ("team".to_string(), json!("ml")),
        ]),
        "{e:#}"
    );
    let long = "x".repeat(20_001);
    for (name, tags) in [
        ("bad1", json!([{ "key": "bad$key", "value": "v" }])),
        ("bad2", json!([{ "key": "k".repeat(251), "value": "v" }])),
        ("bad3", json!([{ "key": "k", "value": long }])),
        ("bad4", json!([{ "value": "v" }])),
        (
            "bad5",
            json!([{ "key": "k", "value": "1" }, { "key": "k", "value": "2" }]),
        ),
        ("bad6", json!("x")),
    ] {
        s.post("experiments/create", json!({ "name": name, "tags": tags }))
            .error(400, "INVALID_PARAMETER_VALUE");
        s.get("experiments/get-by-name", &[("experiment_name", name)])
            .error(404, "RESOURCE_DOES_NOT_EXIST");
    }
    s.post_ok(
        "experiments/create",
        json!({ "name": "edge", "tags": [{ "key": "k", "value": "x".repeat(20_000) }] }),
    );
    let m = s
        .post(
            "experiments/set-experiment-tag",
            json!({ "experiment_id": id, "key": "k", "value": long }),
        )
        .error(400, "INVALID_PARAMETER_VALUE");
    assert_eq!(m, "'value' exceeds the maximum length of 20000 characters");

    // experiments/search has no default max_results in MLflow.
    for body in [
        json!({}),
        json!({ "max_results": 0 }),
        json!({ "max_results": -1 }),
    ] {
        let m = s
            .post("experiments/search", body.clone())
            .error(400, "INVALID_PARAMETER_VALUE");
        assert!(m.contains("It must be a positive integer"), "{body}: {m}");
    }
    let m = s
        .post("experiments/search", json!({ "max_results": 50_001 }))
        .error(400, "INVALID_PARAMETER_VALUE");
    assert!(m.contains("It must be at most 50000"), "{m}");
    s.get("experiments/search", &[])
        .error(400, "INVALID_PARAMETER_VALUE");
    s.post_ok("experiments/search", json!({ "max_results": 50_000 }));

    // runs/outputs needs models (an empty list is fine).
    let run = s.create_run(&id, "r");
    let m = s
        .post("runs/outputs", json!({ "run_id": run }))
        .error(400, "INVALID_PARAMETER_VALUE");
    assert!(m.contains("'models'"), "{m}");
    s.post_ok("runs/outputs", json!({ "run_id": run, "models": [] }));

    // Logged-model params are kept.
    let model = s.post_ok(
        "logged-models",
        json!({ "experiment_id": id, "name": "lm" }),
    )["model"]["info"]["model_id"]
        .as_str()
        .unwrap()
        .to_string();
    s.post_ok(
        &format!("logged-models/{model}/params"),
        json!({ "params": [{ "key": "alpha", "value": "0.5" }] }),
    );
    let got = s.get_ok(&format!("logged-models/{model}"), &[]);
    assert_eq!(
        got["model"]["data"]["params"],
        json!([{ "key": "alpha", "value": "0.5" }]),
        "{got:#}"
    );
    s.post("logged-models/m-nope/params", json!({ "params": [] }))
        .error(404, "RESOURCE_DOES_NOT_EXIST");

    // A missing alias is MLflow's 400; a missing model its 404.
    s.put_artifact(
        &format!("artifacts/{id}/{run}/artifacts/model/MLmodel"),
        b"flavors: {}\n",
    );
    s.post_ok("registered-models/create", json!({ "name": "al" }));
    s.post_ok(
        "model-versions/create",
        json!({ "name": "al", "source": format!("runs:/{run}/model"), "run_id": run }),
    );
    let m = s
        .get(
            "registered-models/alias",
            &[("name", "al"), ("alias", "nope")],
        )
        .error(400, "INVALID_PARAMETER_VALUE");
    assert_eq!(m, "Registered model alias nope not found.");
    let m = s
        .get(
            "registered-models/alias",
            &[("name", "zz"), ("alias", "champ")],
        )
        .error(404, "RESOURCE_DOES_NOT_EXIST");
    assert_eq!(m, "Registered Model with name=zz not found");
}

#[test]
fn deleting_through_the_server_removes_the_files_registering_copied_in() {
    let env = TestEnv::new();
    crate::support::copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/models/onnx_gbr_mlflow"),
        &env.cwd().join("model"),
    );
    for _ in 0..2 {
        mlf(&env, &["registry", "register", "./model", "--name", "m"]).ok();
    }
    let files = env.store().join("registry/m");
    assert!(files.join("1/model/MLmodel").is_file() && files.join("2").is_dir());
    let s = Server::start(&env, &[]);

    let r = s.call(
        "DELETE",
        "model-versions/delete",
        &json!({"name": "m", "version": "1"}),
    );
    assert_eq!(r.status, 200, "{r}");
    assert!(!files.join("1").exists(), "version 1's files stayed");
    assert!(
        files.join("2/model/MLmodel").is_file(),
        "version 2's files went"
    );

    let r = s.call("DELETE", "registered-models/delete", &json!({"name": "m"}));
    assert_eq!(r.status, 200, "{r}");
    assert!(!files.exists(), "the model's files stayed");
}

#[test]
fn mlflow_clients_are_not_told_to_run_mlf_commands() {
    let env = TestEnv::new();
    let s = Server::start(&env, &[]);
    let id = s.post_ok("experiments/create", json!({"name": "gone"}))["experiment_id"]
        .as_str()
        .unwrap()
        .to_string();
    s.post_ok("experiments/delete", json!({ "experiment_id": id }));
    let run = s.create_run("0", "r");
    s.post_ok("runs/delete", json!({ "run_id": run }));
    let answers = [
        s.post("runs/create", json!({ "experiment_id": id })),
        s.post(
            "experiments/update",
            json!({ "experiment_id": id, "new_name": "back" }),
        ),
        s.post("experiments/create", json!({"name": "gone"})),
        s.post(
            "runs/log-metric",
            json!({ "run_id": run, "key": "m", "value": 1, "timestamp": 1 }),
        ),
    ];
    for r in answers {
        assert!(r.status >= 400 && r.status < 500, "{r}");
        let message = r.json()["message"].as_str().unwrap_or_default().to_string();
        assert!(!message.is_empty(), "{r}");
        assert!(!message.contains("`mlf "), "{r}");
    }
    // The command line still says what to run.
    let out = mlf(&env, &["experiments", "rename", "gone", "back"]);
    assert_eq!(out.code, 2, "{out}");
    assert!(
        out.stderr
            .contains("restore it with `mlf experiments restore"),
        "{out}"
    );
}

#[test]
fn hostile_filters_get_400_and_the_server_keeps_serving() {
    let env = TestEnv::new();
    let s = Server::start(&env, &[]);
    let run = s.create_run("0", "r");
    let nested = format!("{}params.a = 'x'{}", "(".repeat(2230), ")".repeat(2230));
    let nots = format!("{}params.a = 'x'", "NOT ".repeat(10_000));
    let ids: Vec<String> = (0..10_001).map(|i| format!("'{i:032x}'")).collect();
    let long_in = format!("attributes.run_id IN ({})", ids.join(","));
    let clauses = (0..501)
        .map(|i| format!("params.k{i} = '1'"))
        .collect::<Vec<_>>()
        .join(" AND ");
    let keys: Vec<String> = (0..63).map(|i| format!("metrics.m{i}")).collect();
    let requests = [
        ("runs/search", json!({ "filter": nested })),
        ("runs/search", json!({ "filter": nots })),
        ("runs/search", json!({ "filter": "éé" })),
        ("runs/search", json!({ "filter": long_in })),
        ("runs/search", json!({ "filter": clauses })),
        ("runs/search", json!({ "order_by": keys })),
        (
            "experiments/search",
            json!({ "max_results": 10, "filter": nested }),
        ),
    ];
    for (endpoint, body) in requests {
        let r = s.post(endpoint, body);
        assert_eq!(r.status, 400, "{endpoint}:\n{r}");
        assert_eq!(r.json()["error_code"], "INVALID_PARAMETER_VALUE", "{r}");
    }
    let r = s.get("registered-models/search", &[("filter", &nested)]);
    assert_eq!(r.status, 400, "{r}");
    // Still serving, the run intact.
    let v = s.get_ok("runs/get", &[("run_id", &run)]);
    assert_eq!(v["run"]["info"]["run_id"], run);
}

#[test]
fn concurrent_writes_of_one_artifact_are_each_whole_and_the_last_wins() {
    let env = TestEnv::new();
    let s = Server::start(&env, &[]);
    let run = s.create_run("0", "r");
    let target = format!("{PROXY}/artifacts/0/{run}/artifacts/model.bin");
    let bodies: [Vec<u8>; 2] = [vec![b'A'; 200_000], vec![b'B'; 300_000]];
    let addr = s.addr.clone();
    let bad = Arc::new(Mutex::new(Vec::<String>::new()));
    thread::scope(|scope| {
        for t in 0..8 {
            let (addr, target, bodies, bad) = (&addr, &target, &bodies, Arc::clone(&bad));
            scope.spawn(move || {
                for i in 0..25 {
                    let body = &bodies[(t + i) % 2];
                    let r = http(addr, "PUT", target, &[], body);
                    if r.status != 200 {
                        bad.lock().unwrap().push(format!("PUT: {r}"));
                    }
                    let r = http(addr, "GET", target, &[], b"");
                    let whole = r.body.len() == 200_000 && r.body.iter().all(|&b| b == b'A')
                        || r.body.len() == 300_000 && r.body.iter().all(|&b| b == b'B');
                    if r.status != 200 || !whole {
                        bad.lock().unwrap().push(format!(
                            "GET {} gave {} bytes",
                            r.status,
                            r.body.len()
                        ));
                    }
                }
            });
        }
    });
    let bad = bad.lock().unwrap();
    assert!(
        bad.is_empty(),
        "{} of 400 went wrong: {:?}",
        bad.len(),
        &bad[..bad.len().min(5)]
    );
    // Nothing is left behind but the file itself.
    let dir = env.store().join(format!("artifacts/0/{run}/artifacts"));
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["model.bin"]);
}

#[test]
fn token_holders_cannot_approve_their_own_requests_by_naming_someone_else() {
    let env = TestEnv::new();
    env.write("users.txt", &format!("{ALICE}\n{BOB}\n"));
    let mut s = Server::start(&env, &["--users", "users.txt", "--auth-token", "sesame"]);
    s.token = Some("sesame".into());
    let run = s.create_run("0", "r");
    s.put_artifact(
        &format!("artifacts/0/{run}/artifacts/model/MLmodel"),
        b"flavors: {}\n",
    );
    s.post_ok("registered-models/create", json!({ "name": "m" }));
    s.post_ok(
        "model-versions/create",
        json!({ "name": "m", "source": format!("runs:/{run}/model"), "run_id": run }),
    );
    fn as_token(who: &str) -> [(&str, &str); 3] {
        [
            ("Content-Type", "application/json"),
            ("Authorization", "Bearer sesame"),
            ("X-Mlf-User", who),
        ]
    }
    let body = json!({ "name": "m", "version": "1", "stage": "Production" }).to_string();
    let r = s.raw(
        "POST",
        "/api/2.0/mlf/registry/request",
        &as_token("bob"),
        body.as_bytes(),
    );
    assert_eq!(r.status, 200, "{r}");
    let id = r.json()["request"]["id"].as_i64().expect("an id");
    let decide = json!({ "id": id, "approve": true }).to_string();
    // Naming someone else through the token is not taken: the same caller decides.
    let r = s.raw(
        "POST",
        "/api/2.0/mlf/registry/decide",
        &as_token("carol"),
        decide.as_bytes(),
    );
    assert_eq!(r.status, 403, "{r}");
    // A user from the users file may, with the scheme in any case.
    let alice = basic(b"alice", ALICE_PW.as_bytes()).replacen("Basic", "bASIC", 1);
    let r = s.raw(
        "POST",
        "/api/2.0/mlf/registry/decide",
        &[
            ("Content-Type", "application/json"),
            ("Authorization", &alice),
        ],
        decide.as_bytes(),
    );
    assert_eq!(r.status, 200, "{r}");
    assert_eq!(r.json()["request"]["status"], "approved", "{r}");
    let r = s.raw(
        "GET",
        &format!("{TRACKING}/experiments/search?max_results=10"),
        &[("Authorization", "BEARER sesame")],
        b"",
    );
    assert_eq!(r.status, 200, "{r}");
}

#[test]
fn other_sites_cannot_reach_or_change_the_store_through_a_browser() {
    let env = TestEnv::new();
    let s = Server::start(&env, &[]);
    let exp_id = s.post_ok("experiments/create", json!({"name": "keep"}))["experiment_id"]
        .as_str()
        .unwrap()
        .to_string();
    let json_ct = ("Content-Type", "application/json");
    // DNS rebinding: a foreign host name is refused, reads included.
    let r = s.raw(
        "GET",
        &format!("{TRACKING}/experiments/search?max_results=10"),
        &[("Host", "evil.example:5000")],
        b"",
    );
    assert_eq!(r.status, 403, "{r}");
    assert!(
        r.json()["message"]
            .as_str()
            .unwrap()
            .contains("--allowed-hosts"),
        "{r}"
    );
    // A write from another origin is refused; from the server's own origin it goes through.
    let delete = json!({ "experiment_id": exp_id }).to_string();
    let r = s.raw(
        "POST",
        &format!("{TRACKING}/experiments/delete"),
        &[json_ct, ("Origin", "http://evil.example")],
        delete.as_bytes(),
    );
    assert_eq!(r.status, 403, "{r}");
    // A form post: parameters in the URL and no JSON body are not read.
    let r = s.raw(
        "POST",
        &format!("{TRACKING}/experiments/delete?experiment_id={exp_id}"),
        &[("Content-Type", "application/x-www-form-urlencoded")],
        b"",
    );
    assert_eq!(r.status, 400, "{r}");
    let r = s.raw(
        "POST",
        &format!("{TRACKING}/experiments/delete"),
        &[("Content-Type", "text/plain")],
        delete.as_bytes(),
    );
    assert_eq!(r.status, 400, "{r}");
    let v = s.get_ok("experiments/get", &[("experiment_id", &exp_id)]);
    assert_eq!(v["experiment"]["lifecycle_stage"], "active", "{v}");
    let own = format!("http://{}", s.addr);
    let r = s.raw(
        "POST",
        &format!("{TRACKING}/experiments/delete"),
        &[json_ct, ("Origin", &own)],
        delete.as_bytes(),
    );
    assert_eq!(r.status, 200, "{r}");

    // Both can be widened.
    let env = TestEnv::new();
    let s = Server::start(
        &env,
        &[
            "--allowed-hosts",
            "mlflow.internal",
            "--cors-allowed-origins",
            "https://ui.internal",
        ],
    );
    let r = s.raw(
        "POST",
        &format!("{TRACKING}/experiments/create"),
        &[
            json_ct,
            ("Host", "mlflow.internal"),
            ("Origin", "https://ui.internal"),
        ],
        br#"{"name": "from-the-ui"}"#,
    );
    assert_eq!(r.status, 200, "{r}");
}

#[test]
fn an_announced_body_over_the_limit_is_refused_before_it_is_sent() {
    use std::io::Write;
    let env = TestEnv::new();
    let s = Server::start(&env, &["--max-body", "1000"]);
    let run = s.create_run("0", "r");
    let mut stream = std::net::TcpStream::connect(&s.addr).unwrap();
    stream.set_read_timeout(Some(WAIT)).unwrap();
    // Headers only: the 10 GB never follow, so an answer means it did not wait for them.
    write!(
        stream,
        "PUT {PROXY}/artifacts/0/{run}/artifacts/big.bin HTTP/1.1\r\nHost: {}\r\nContent-Length: 10000000000\r\n\r\n",
        s.addr
    )
    .unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert!(text.contains("--max-body"), "{text}");
    assert!(
        !env.store()
            .join(format!("artifacts/0/{run}/artifacts/big.bin"))
            .exists()
    );
}

/// Endpoints of MLflow's API that `mlf server` serves, with their methods, for the fuzz test.
const FUZZED: [(&str, &str); 48] = [
    ("POST", "experiments/create"),
    ("POST", "experiments/search"),
    ("GET", "experiments/search"),
    ("GET", "experiments/get"),
    ("GET", "experiments/get-by-name"),
    ("POST", "experiments/delete"),
    ("POST", "experiments/restore"),
    ("POST", "experiments/update"),
    ("POST", "experiments/set-experiment-tag"),
    ("POST", "experiments/delete-experiment-tag"),
    ("POST", "runs/create"),
    ("POST", "runs/update"),
    ("POST", "runs/delete"),
    ("POST", "runs/restore"),
    ("POST", "runs/log-metric"),
    ("POST", "runs/log-parameter"),
    ("POST", "runs/set-tag"),
    ("POST", "runs/delete-tag"),
    ("GET", "runs/get"),
    ("POST", "runs/search"),
    ("POST", "runs/log-batch"),
    ("POST", "runs/log-model"),
    ("POST", "runs/log-inputs"),
    ("POST", "runs/outputs"),
    ("GET", "artifacts/list"),
    ("GET", "metrics/get-history"),
    ("GET", "metrics/get-history-bulk-interval"),
    ("POST", "logged-models"),
    ("POST", "logged-models/search"),
    ("POST", "registered-models/create"),
    ("POST", "registered-models/rename"),
    ("PATCH", "registered-models/update"),
    ("DELETE", "registered-models/delete"),
    ("GET", "registered-models/get"),
    ("GET", "registered-models/search"),
    ("POST", "registered-models/get-latest-versions"),
    ("POST", "registered-models/set-tag"),
    ("DELETE", "registered-models/delete-tag"),
    ("POST", "registered-models/alias"),
    ("GET", "registered-models/alias"),
    ("POST", "model-versions/create"),
    ("PATCH", "model-versions/update"),
    ("POST", "model-versions/transition-stage"),
    ("DELETE", "model-versions/delete"),
    ("GET", "model-versions/get"),
    ("GET", "model-versions/search"),
    ("GET", "model-versions/get-download-uri"),
    ("POST", "model-versions/set-tag"),
];

/// A deterministic stream of pseudo-random numbers (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// A JSON value of a random kind, at most `depth` deep.
    fn value(&mut self, ids: &[String], depth: usize) -> Value {
        const TEXT: [&str; 12] = [
            "",
            "m",
            "0",
            "-1",
            "NaN",
            "../../etc/passwd",
            "é日本",
            "a'b\"c",
            "%2e%2e",
            "models:/m/1",
            "runs:/x/model",
            "Production",
        ];
        match self.below(if depth == 0 { 7 } else { 9 }) {
            0 => Value::Null,
            1 => json!(self.next() % 2 == 0),
            2 => json!(self.next() as i64),
            3 => json!(self.below(5) as i64 - 1),
            4 => json!(f64::from_bits(self.next()).clamp(-1e300, 1e300)),
            5 => json!(TEXT[self.below(TEXT.len())]),
            6 => json!(ids[self.below(ids.len())]),
            7 => Value::Array(
                (0..self.below(4))
                    .map(|_| self.value(ids, depth - 1))
                    .collect(),
            ),
            _ => {
                let mut m = serde_json::Map::new();
                for _ in 0..self.below(4) {
                    m.insert(self.key(), self.value(ids, depth - 1));
                }
                Value::Object(m)
            }
        }
    }

    fn key(&mut self) -> String {
        const KEYS: [&str; 30] = [
            "name",
            "experiment_id",
            "run_id",
            "run_uuid",
            "key",
            "value",
            "timestamp",
            "step",
            "metrics",
            "params",
            "tags",
            "filter",
            "max_results",
            "page_token",
            "order_by",
            "version",
            "stage",
            "alias",
            "source",
            "new_name",
            "description",
            "status",
            "end_time",
            "start_time",
            "run_ids",
            "metric_key",
            "model_json",
            "view_type",
            "archive_existing_versions",
            "experiment_ids",
        ];
        KEYS[self.below(KEYS.len())].to_string()
    }
}

#[test]
fn random_requests_to_every_route_get_no_5xx_and_leave_the_store_whole() {
    let env = TestEnv::new();
    let s = Server::start(&env, &[]);
    let before = outside_store(&env);
    let run = s.create_run("0", "fuzz");
    s.post_ok("registered-models/create", json!({ "name": "m" }));
    let ids = vec![run, "0".to_string(), "m".to_string(), "1".to_string()];
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut bad = Vec::new();
    for i in 0..3000 {
        let (method, endpoint) = FUZZED[rng.below(FUZZED.len())];
        let mut body = serde_json::Map::new();
        for _ in 0..rng.below(6) {
            body.insert(rng.key(), rng.value(&ids, 2));
        }
        let r = if method == "GET" {
            let query: Vec<(String, String)> = body
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().map_or(v.to_string(), str::to_string)))
                .collect();
            let query: Vec<(&str, &str)> = query
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            s.get(endpoint, &query)
        } else {
            s.call(method, endpoint, &Value::Object(body.clone()))
        };
        if r.status >= 500 {
            bad.push(format!(
                "#{i} {method} {endpoint} {}: {r}",
                Value::Object(body)
            ));
        }
    }
    // Bodies that are not JSON objects at all, under every content type.
    for i in 0..500 {
        let (method, endpoint) = FUZZED[rng.below(FUZZED.len())];
        let len = rng.below(64);
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let body: &[u8] = match rng.below(4) {
            0 => b"[1, 2]",
            1 => b"\"{\\\"name\\\": 1}\"",
            2 => b"{\"name\": \"\\ud800\"}",
            _ => &bytes,
        };
        let ct = [
            "application/json",
            "text/plain",
            "",
            "application/json; charset=latin1",
        ][rng.below(4)];
        let headers: Vec<(&str, &str)> = if ct.is_empty() {
            Vec::new()
        } else {
            vec![("Content-Type", ct)]
        };
        let r = s.raw(method, &format!("{TRACKING}/{endpoint}"), &headers, body);
        if r.status >= 500 {
            bad.push(format!("raw #{i} {method} {endpoint} {body:?}: {r}"));
        }
    }
    assert!(
        bad.is_empty(),
        "{} answers were 5xx:\n{}",
        bad.len(),
        bad[..bad.len().min(5)].join("\n")
    );
    // Still serving, the database whole, nothing outside the store touched.
    s.get_ok("experiments/get", &[("experiment_id", "0")]);
    let db = env.store().join("mlf.db");
    assert_eq!(
        crate::support::sqlite(&db, "PRAGMA integrity_check")
            .as_deref()
            .map(str::trim),
        Some("ok")
    );
    assert_eq!(
        outside_store(&env),
        before,
        "files outside the store changed"
    );
}

#[test]
fn password_guessing_cannot_take_every_core() {
    let env = TestEnv::new();
    // A slow hash (300,000 iterations): every wrong password costs its full derivation.
    let zeros = "0".repeat(64);
    env.write(
        "users.txt",
        &format!("alice:pbkdf2:sha256:300000$saltsaltsaltsalt${zeros}\n"),
    );
    let s = Server::start(&env, &["--users", "users.txt"]);
    let target = format!("{TRACKING}/experiments/search?max_results=10");
    let statuses = Arc::new(Mutex::new(Vec::new()));
    thread::scope(|scope| {
        for i in 0..8 {
            let (addr, target, statuses) = (&s.addr, &target, Arc::clone(&statuses));
            scope.spawn(move || {
                let auth = basic(b"alice", format!("guess{i}").as_bytes());
                let r = http(addr, "GET", target, &[("Authorization".into(), auth)], b"");
                let retry = r.header("retry-after").map(str::to_string);
                statuses.lock().unwrap().push((r.status, retry));
            });
        }
    });
    let statuses = statuses.lock().unwrap();
    assert!(
        statuses.iter().all(|(s, _)| *s == 401 || *s == 429),
        "{statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .any(|(s, r)| *s == 429 && r.as_deref() == Some("1")),
        "no check was refused for being one too many: {statuses:?}"
    );
    // The server is still there for the right user afterwards.
    assert_eq!(
        s.get("experiments/search", &[("max_results", "1")]).status,
        401
    );
}

/// A process's peak resident memory (VmHWM), in KiB.
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("VmHWM")
}

#[test]
fn a_large_artifact_upload_is_streamed_to_disk_not_held_in_memory() {
    let env = TestEnv::new();
    let s = Server::start(&env, &[]);
    let run = s.create_run("0", "r");
    let before = peak_rss_kib(s.child.id());
    let size = 200 * 1024 * 1024;
    let body: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
    s.put_artifact(&format!("artifacts/0/{run}/artifacts/big.bin"), &body);
    let grew = peak_rss_kib(s.child.id()).saturating_sub(before);
    assert!(
        grew < 64 * 1024,
        "the server's peak memory grew by {} MiB for a 200 MiB upload",
        grew / 1024
    );
    let stored = env
        .store()
        .join(format!("artifacts/0/{run}/artifacts/big.bin"));
    assert_eq!(std::fs::metadata(&stored).unwrap().len(), size as u64);
    assert!(
        std::fs::read(&stored).unwrap() == body,
        "the stored file differs"
    );
    // An upload over --max-body stops at the limit and leaves nothing behind.
    drop(s);
    let s = Server::start(&env, &["--max-body", "1000000"]);
    let mut raw = std::net::TcpStream::connect(&s.addr).unwrap();
    raw.set_read_timeout(Some(WAIT)).unwrap();
    let target = format!("{PROXY}/artifacts/0/{run}/artifacts/chunked.bin");
    let head = format!(
        "PUT {target} HTTP/1.1\r\nHost: {}\r\nTransfer-Encoding: chunked\r\n\r\n",
        s.addr
    );
    use std::io::Write;
    raw.write_all(head.as_bytes()).unwrap();
    let chunk = vec![b'x'; 100_000];
    for _ in 0..20 {
        let mut c = format!("{:x}\r\n", chunk.len()).into_bytes();
        c.extend_from_slice(&chunk);
        c.extend_from_slice(b"\r\n");
        if raw.write_all(&c).is_err() {
            break;
        }
    }
    let _ = raw.write_all(b"0\r\n\r\n");
    let mut answer = Vec::new();
    let _ = raw.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    let dir = env.store().join(format!("artifacts/0/{run}/artifacts"));
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["big.bin"], "a partial upload was left");
}

#[test]
fn a_body_that_stops_arriving_gets_408() {
    use std::io::Write;
    let env = TestEnv::new();
    let s = Server::start(&env, &["--body-timeout", "1"]);
    let run = s.create_run("0", "r");
    for (method, target) in [
        ("POST", format!("{TRACKING}/runs/log-metric")),
        (
            "PUT",
            format!("{PROXY}/artifacts/0/{run}/artifacts/slow.bin"),
        ),
    ] {
        let mut raw = std::net::TcpStream::connect(&s.addr).unwrap();
        raw.set_read_timeout(Some(WAIT)).unwrap();
        let started = Instant::now();
        write!(
            raw,
            "{method} {target} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"run_id\"",
            s.addr
        )
        .unwrap();
        let mut answer = Vec::new();
        let _ = raw.read_to_end(&mut answer);
        let text = String::from_utf8_lossy(&answer);
        assert!(text.starts_with("HTTP/1.1 408"), "{method}: {text}");
        assert!(text.contains("--body-timeout"), "{text}");
        assert!(started.elapsed() < Duration::from_secs(30));
    }
    let names: Vec<String> =
        std::fs::read_dir(env.store().join(format!("artifacts/0/{run}/artifacts")))
            .map(|d| {
                d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
    assert!(names.is_empty(), "left behind: {names:?}");
}

#[test]
fn experiments_search_filters_by_name_and_tags_in_the_store() {
    let env = TestEnv::new();
    let s = Server::start(&env, &[]);
    for (name, tags) in [
        ("alpha", json!([{"key": "team", "value": "nlp"}])),
        ("Alpine", json!([{"key": "team", "value": "vision"}])),
        ("beta", json!([])),
    ] {
        s.post_ok("experiments/create", json!({ "name": name, "tags": tags }));
    }
    let names = |filter: &str| -> Vec<String> {
        let v = s.post_ok(
            "experiments/search",
            json!({ "max_results": 100, "filter": filter }),
        );
        let mut n: Vec<String> = v["experiments"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|e| e["name"].as_str().unwrap().to_string())
            .collect();
        n.sort();
        n
    };
    assert_eq!(names("name LIKE 'al%'"), ["alpha"]);
    assert_eq!(names("name ILIKE 'al%'"), ["Alpine", "alpha"]);
    assert_eq!(names("tags.team = 'nlp'"), ["alpha"]);
    assert_eq!(names("tags.team != 'nlp'"), ["Alpine"]);
    assert_eq!(names("tags.team IS NULL"), ["Default", "beta"]);
    assert_eq!(names("name IN ('beta', 'Default')"), ["Default", "beta"]);
    assert_eq!(
        names("NOT (name = 'beta') AND tags.team IS NOT NULL"),
        ["Alpine", "alpha"]
    );
    // A pattern that backtracks badly in a naive matcher answers at once.
    let slow = format!("name LIKE '{}ta'", "%".repeat(60));
    assert_eq!(names(&slow), ["beta"]);
}

/// A miss the store reports answers 404 RESOURCE_DOES_NOT_EXIST with MLflow's own message,
/// on every route that lets the store's error through.
#[test]
fn store_misses_answer_mlflow_messages() {
    let env = TestEnv::new();
    let s = Server::start(&env, &[]);
    let missing = "0123456789abcdef0123456789abcdef";
    let m = s
        .post("runs/delete", json!({ "run_id": missing }))
        .error(404, "RESOURCE_DOES_NOT_EXIST");
    assert_eq!(m, format!("Run with id={missing} not found"));
    let m = s
        .post(
            "runs/set-tag",
            json!({ "run_id": missing, "key": "k", "value": "v" }),
        )
        .error(404, "RESOURCE_DOES_NOT_EXIST");
    assert_eq!(m, format!("Run with id={missing} not found"));
    let m = s
        .post("experiments/delete", json!({ "experiment_id": "999" }))
        .error(404, "RESOURCE_DOES_NOT_EXIST");
    assert_eq!(m, "No Experiment with id=999 exists");
    let m = s
        .call(
            "DELETE",
            "registered-models/delete",
            &json!({ "name": "zz" }),
        )
        .error(404, "RESOURCE_DOES_NOT_EXIST");
    assert_eq!(m, "Registered Model with name=zz not found");
    s.post_ok("registered-models/create", json!({ "name": "m" }));
    let m = s
        .call(
            "PATCH",
            "model-versions/update",
            &json!({ "name": "m", "version": "9", "description": "x" }),
        )
        .error(404, "RESOURCE_DOES_NOT_EXIST");
    assert_eq!(m, "Model Version (name=m, version=9) not found");
    let m = s
        .get("logged-models/m-0123456789abcdef0123456789abcdef", &[])
        .error(404, "RESOURCE_DOES_NOT_EXIST");
    assert_eq!(
        m,
        "Logged model with ID 'm-0123456789abcdef0123456789abcdef' not found."
    );
}
