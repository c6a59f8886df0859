//! Remote mode: with `MLF_TRACKING_URI` set to a tracking server, the CLI works against it —
//! `mlf server` on a store elsewhere, and a real `mlflow server` (from target/e2e-venv) — with
//! nothing written to a local store; what the client wrote is then read back from the
//! server's store directly.

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::server::{Server, WAIT, bounded, venv_bin};
use crate::support::{Output, TestEnv};

/// A client environment whose commands talk to `url`.
fn client(url: &str) -> TestEnv {
    let mut env = TestEnv::new();
    env.set("MLF_TRACKING_URI", url);
    env
}

fn mlf(env: &TestEnv, args: &[&str]) -> Output {
    bounded(env.command(args), WAIT)
}

#[track_caller]
fn ok(env: &TestEnv, args: &[&str]) -> Output {
    let out = mlf(env, args);
    assert_eq!(out.code, 0, "mlf {args:?}:\n{out}");
    out
}

/// `mlf runs list --format json EXTRA…`: the runs.
#[track_caller]
fn runs(env: &TestEnv, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["runs", "list", "--format", "json"];
    args.extend_from_slice(extra);
    ok(env, &args).json()["runs"].as_array().unwrap().clone()
}

/// The one run `mlf runs list EXTRA…` lists.
#[track_caller]
fn only_run(env: &TestEnv, extra: &[&str]) -> Value {
    let mut all = runs(env, extra);
    assert_eq!(all.len(), 1, "{all:?}");
    all.remove(0)
}

/// A scoring request for the ONNX fixtures written in `c`'s directory, and what `model`
/// (a local directory) predicts for it.
fn scoring_input(c: &TestEnv, model: &Path) -> (String, String) {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/models");
    let rows = std::fs::read_to_string(fixtures.join("inputs.json")).unwrap();
    let input = c.write("input.json", &format!("{{\"dataframe_split\": {rows}}}"));
    let input = input.to_str().unwrap().to_string();
    let expected = TestEnv::new()
        .mlf(&[
            "models",
            "predict",
            "-m",
            model.to_str().unwrap(),
            "-i",
            &input,
        ])
        .ok()
        .stdout;
    (input, expected)
}

/// The run named `name` among `list`.
fn named<'a>(list: &'a [Value], name: &str) -> &'a Value {
    list.iter()
        .find(|r| r["info"]["run_name"] == name)
        .unwrap_or_else(|| panic!("no run {name} in {list:?}"))
}

fn kv(run: &Value, section: &str, key: &str) -> Option<String> {
    run["data"][section].as_array()?.iter().find_map(|p| {
        (p["key"] == key).then(|| match &p["value"] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
    })
}

/// The tracking flow every server must support, driven from the client `c`.
fn tracking_flow(c: &TestEnv) {
    ok(c, &["experiments", "create", "remote-exp"]);
    let listed = ok(c, &["experiments", "list"]).stdout;
    assert!(listed.contains("remote-exp"), "{listed}");

    // A wrapped command: the child is pointed at the server, not at a local store, and its
    // output and captured metrics land in the run.
    let out = ok(
        c,
        &[
            "run",
            "-x",
            "remote-exp",
            "-n",
            "first",
            "-p",
            "lr=0.1",
            "--capture-metrics",
            "--",
            "sh",
            "-c",
            "echo loss=0.5; echo \"uri=$MLF_TRACKING_URI store=${MLF_STORE:-none}\"",
        ],
    );
    assert!(out.stdout.contains("store=none"), "{out}");
    assert!(out.stdout.contains("uri=http"), "{out}");

    // An interactive run: start, log, end.
    let id = ok(
        c,
        &[
            "run",
            "start",
            "-x",
            "remote-exp",
            "-n",
            "second",
            "-p",
            "lr=0.2",
        ],
    )
    .stdout
    .trim()
    .to_string();
    assert_eq!(id.len(), 32, "{id}");
    ok(c, &["log", "param", "depth", "3"]);
    ok(c, &["log", "metric", "acc", "0.7"]);
    ok(c, &["log", "metric", "acc", "0.8", "--step", "1"]);
    ok(c, &["log", "tag", "team", "vision"]);
    c.write("batch.csv", "step,acc,loss\n2,0.85,0.2\n3,0.9,0.1\n");
    ok(c, &["log", "batch", "-f", "batch.csv"]);
    c.write("outputs/a.txt", "alpha\n");
    c.write("outputs/sub/b.txt", "beta\n");
    ok(c, &["log", "artifact", "outputs"]);
    ok(c, &["run", "end"]);

    let all = runs(c, &[]);
    assert_eq!(all.len(), 2, "{all:?}");
    let second = named(&all, "second");
    assert_eq!(kv(second, "params", "depth").as_deref(), Some("3"));
    assert_eq!(kv(second, "tags", "team").as_deref(), Some("vision"));
    assert_eq!(second["info"]["status"], "FINISHED");
    let first = named(&all, "first");
    assert_eq!(kv(first, "metrics", "loss").as_deref(), Some("0.5"));

    // Search, order and the console views.
    let only = only_run(c, &["-f", "params.lr = '0.2'"]);
    assert_eq!(only["info"]["run_id"], id.as_str());
    let ordered = runs(c, &["--order-by", "params.lr DESC"]);
    assert_eq!(ordered[0]["info"]["run_name"], "second");
    let history = ok(c, &["runs", "metric", "second", "acc", "--format", "csv"]).stdout;
    assert_eq!(history.lines().count(), 5, "{history}");
    let compare = ok(c, &["runs", "compare", "first", "second"]).stdout;
    assert!(
        compare.contains("params.lr") && compare.contains('≠'),
        "{compare}"
    );
    let plot = ok(
        c,
        &["runs", "plot", "second", "-m", "acc", "--style", "markers"],
    )
    .stdout;
    assert!(plot.contains("second"), "{plot}");
    let diff = ok(c, &["runs", "diff", "first", "second"]).stdout;
    assert!(diff.contains("outputs/sub/b.txt"), "{diff}");
    let show = ok(c, &["runs", "show", &id[..8]]).stdout;
    assert!(show.contains("outputs/a.txt"), "{show}");

    // Artifacts: listing, and copying out byte for byte.
    let listing = ok(c, &["artifacts", "ls", "-R", "--run", "second"]).stdout;
    assert!(listing.contains("outputs/sub/b.txt"), "{listing}");
    let logs = ok(c, &["artifacts", "ls", "logs", "--run", "first"]).stdout;
    assert!(logs.contains("logs/stdout.txt"), "{logs}");
    ok(
        c,
        &[
            "artifacts",
            "get",
            "outputs",
            "--run",
            "second",
            "-o",
            "copy",
        ],
    );
    assert_eq!(
        std::fs::read_to_string(c.cwd().join("copy/outputs/sub/b.txt")).unwrap(),
        "beta\n"
    );
    ok(
        c,
        &[
            "artifacts",
            "get",
            "logs/stdout.txt",
            "--run",
            "first",
            "-o",
            "logs",
        ],
    );
    let stdout = std::fs::read_to_string(c.cwd().join("logs/stdout.txt")).unwrap();
    assert!(stdout.starts_with("loss=0.5\n"), "{stdout}");

    // Delete and restore.
    ok(c, &["runs", "delete", "first"]);
    assert_eq!(runs(c, &[]).len(), 1);
    ok(c, &["runs", "restore", "first"]);
    assert_eq!(runs(c, &[]).len(), 2);

    // Nothing was written locally.
    assert!(!c.store().exists(), "a local store was created");
}

#[test]
fn every_tracking_command_works_against_mlf_server() {
    let s = TestEnv::new();
    s.mlf(&["init"]).ok();
    let server = Server::start(&s, &[]);
    let c = client(&server.url());
    tracking_flow(&c);

    // The server's own store holds what the client wrote.
    let local = runs(&s, &["-x", "remote-exp"]);
    assert_eq!(local.len(), 2);
    let second = named(&local, "second");
    assert_eq!(kv(second, "params", "depth").as_deref(), Some("3"));
    assert_eq!(kv(second, "metrics", "acc").as_deref(), Some("0.9"));
    let files = s
        .mlf(&["artifacts", "ls", "-R", "--run", "second"])
        .ok()
        .stdout;
    assert!(files.contains("outputs/sub/b.txt"), "{files}");

    // Experiments are renamed, deleted and restored on the server.
    ok(&c, &["experiments", "rename", "remote-exp", "renamed"]);
    ok(&c, &["experiments", "delete", "renamed"]);
    let exps = s.mlf(&["experiments", "list", "--all"]).ok().stdout;
    assert!(
        exps.contains("renamed") && exps.contains("deleted"),
        "{exps}"
    );
    ok(&c, &["experiments", "restore", "renamed"]);
    let shown = ok(&c, &["experiments", "show", "renamed"]).stdout;
    assert!(shown.contains("runs       2"), "{shown}");
}

#[test]
fn registry_and_models_work_against_mlf_server() {
    let s = TestEnv::new();
    s.mlf(&["init"]).ok();
    let server = Server::start(&s, &[]);
    let c = client(&server.url());
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/models");
    let model = fixtures.join("onnx_logreg_mlflow");
    let id = ok(&c, &["run", "start", "-n", "trainer"])
        .stdout
        .trim()
        .to_string();
    ok(
        &c,
        &["models", "log", model.to_str().unwrap(), "--run", &id],
    );
    ok(&c, &["run", "end"]);

    ok(
        &c,
        &[
            "registry",
            "register",
            "runs:/trainer/model",
            "--name",
            "clf",
        ],
    );
    ok(&c, &["registry", "promote", "clf", "1", "--to", "staging"]);
    ok(&c, &["registry", "alias", "clf", "champion", "1"]);
    ok(&c, &["registry", "tag", "clf", "team=ml"]);
    ok(&c, &["registry", "describe", "clf", "the classifier"]);
    ok(
        &c,
        &["registry", "tag", "clf", "--version", "1", "stage=ok"],
    );
    ok(&c, &["registry", "create", "other", "-d", "empty for now"]);
    let listed = ok(&c, &["registry", "list"]).stdout;
    assert!(
        listed.contains("champion→1") && listed.contains("other"),
        "{listed}"
    );
    let filtered = ok(&c, &["registry", "list", "-f", "name LIKE 'c%'"]).stdout;
    assert!(
        filtered.contains("clf") && !filtered.contains("other"),
        "{filtered}"
    );
    let version = ok(&c, &["registry", "show", "clf", "--version", "1"]).stdout;
    assert!(
        version
            .lines()
            .any(|l| l.split_whitespace().eq(["tag", "stage", "ok"])),
        "{version}"
    );
    ok(&c, &["registry", "untag", "clf", "team"]);
    let untagged = s.mlf(&["registry", "show", "clf"]).ok().stdout;
    assert!(!untagged.contains("team"), "{untagged}");

    // Packing and containerising a model the server holds.
    ok(
        &c,
        &[
            "models",
            "export",
            "-m",
            "models:/clf/1",
            "-o",
            "clf.tar.gz",
        ],
    );
    ok(&c, &["models", "import", "clf.tar.gz", "-o", "imported"]);
    assert!(c.cwd().join("imported/MLmodel").is_file());
    ok(
        &c,
        &[
            "models",
            "generate-dockerfile",
            "-m",
            "models:/clf/1",
            "-d",
            "ctx",
        ],
    );
    assert!(c.cwd().join("ctx/Dockerfile").is_file());

    // The server's registry holds it, as its own CLI shows.
    let shown = s.mlf(&["registry", "show", "clf"]).ok().stdout;
    assert!(
        shown.contains("Staging") && shown.contains("champion"),
        "{shown}"
    );
    assert!(shown.contains("the classifier"), "{shown}");

    // Scoring through models:/ and runs:/ downloads the model and predicts as locally.
    let (input, expected) = scoring_input(&c, &model);
    let input = input.as_str();
    for uri in [
        "models:/clf@champion",
        "models:/clf/Staging",
        "runs:/trainer/model",
    ] {
        let got = ok(&c, &["models", "predict", "-m", uri, "-i", input]).stdout;
        assert_eq!(got, expected, "{uri}");
    }
    let path = ok(&c, &["registry", "resolve", "models:/clf/1"]).stdout;
    assert!(Path::new(path.trim()).join("MLmodel").is_file(), "{path}");

    // A local path cannot be registered on a server.
    let path_reg = mlf(
        &c,
        &[
            "registry",
            "register",
            model.to_str().unwrap(),
            "--name",
            "x",
        ],
    );
    assert_eq!(path_reg.code, 2, "{path_reg}");
    assert!(path_reg.stderr.contains("mlf models log"), "{path_reg}");

    ok(&c, &["registry", "unalias", "clf", "champion"]);
    ok(&c, &["registry", "delete", "clf", "--version", "1"]);
    ok(&c, &["registry", "delete", "clf"]);
    let gone = s.mlf(&["registry", "list"]).ok().stdout;
    assert!(!gone.contains("clf"), "{gone}");
    assert!(!c.store().exists(), "a local store was created");
}

#[test]
fn a_project_runs_against_a_server() {
    let s = TestEnv::new();
    s.mlf(&["init"]).ok();
    let server = Server::start(&s, &[]);
    let c = client(&server.url());
    let project = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/projects/basic");
    ok(
        &c,
        &[
            "project",
            "run",
            project.to_str().unwrap(),
            "-P",
            "alpha=0.4",
            "--capture-metrics",
        ],
    );
    let run = only_run(&s, &[]);
    assert_eq!(
        kv(&run, "tags", "mlflow.source.type").as_deref(),
        Some("PROJECT")
    );
    assert_eq!(kv(&run, "params", "alpha").as_deref(), Some("0.4"));
    assert!(kv(&run, "metrics", "loss").is_some(), "{run}");
    assert_eq!(run["info"]["status"], "FINISHED");
    assert!(!c.store().exists());
}

#[test]
fn server_trouble_gives_one_clear_line() {
    // Not an http URL.
    let mut c = TestEnv::new();
    c.set("MLF_TRACKING_URI", "file:///tmp/mlruns");
    let out = c.mlf(&["runs", "list"]);
    assert_eq!(out.code, 2, "{out}");
    assert!(out.stderr.contains("not an http"), "{out}");

    // Nobody listening.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let c = client(&format!("http://127.0.0.1:{port}"));
    let out = c.mlf(&["experiments", "list"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(
        out.stderr.contains("cannot reach the tracking server"),
        "{out}"
    );
    assert_eq!(out.stderr.lines().count(), 1, "{out}");
    let out = c.mlf(&["log", "metric", "--run", "abcd", "acc", "1"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(!c.store().exists());

    // A server that wants a token: refused without, accepted with.
    let s = TestEnv::new();
    s.mlf(&["init"]).ok();
    let server = Server::start(&s, &["--auth-token", "sesame"]);
    let mut c = client(&server.url());
    let out = c.mlf(&["experiments", "list"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stderr.contains("MLFLOW_TRACKING_TOKEN"), "{out}");
    c.set("MLFLOW_TRACKING_TOKEN", "sesame");
    assert!(
        c.mlf(&["experiments", "list"])
            .ok()
            .stdout
            .contains("Default")
    );

    // HTTP Basic from MLflow's variables against a users file.
    let users = s.cwd().join("users");
    let mut passwd = s.command(&[
        "server",
        "passwd",
        "ada",
        "--users",
        users.to_str().unwrap(),
    ]);
    passwd
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = passwd.spawn().unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"pa:ss\n").unwrap();
    assert!(child.wait().unwrap().success());
    let server = Server::start(&s, &["--users", users.to_str().unwrap()]);
    let mut c = client(&server.url());
    c.set("MLFLOW_TRACKING_USERNAME", "ada");
    c.set("MLFLOW_TRACKING_PASSWORD", "wrong");
    assert_eq!(c.mlf(&["experiments", "list"]).code, 1);
    let mut c = client(&server.url());
    c.set("MLFLOW_TRACKING_USERNAME", "ada");
    c.set("MLFLOW_TRACKING_PASSWORD", "pa:ss");
    ok(&c, &["experiments", "create", "with-basic"]);
    assert!(
        s.mlf(&["experiments", "list"])
            .ok()
            .stdout
            .contains("with-basic")
    );
}

#[test]
fn a_named_store_wins_over_mlflow_tracking_uri_but_not_over_mlf_tracking_uri() {
    let s = TestEnv::new();
    s.mlf(&["init"]).ok();
    let server = Server::start(&s, &[]);
    let mut c = TestEnv::new();
    c.mlf(&["experiments", "create", "local-only"]).ok();
    c.set("MLFLOW_TRACKING_URI", &server.url());
    // MLFLOW_TRACKING_URI alone: the server.
    assert!(
        !c.mlf(&["experiments", "list"])
            .ok()
            .stdout
            .contains("local-only")
    );
    // With --store: the local store.
    let store = c.store();
    let local = c.mlf(&["--store", store.to_str().unwrap(), "experiments", "list"]);
    assert!(local.ok().stdout.contains("local-only"));
    // MLF_TRACKING_URI beats --store.
    c.set("MLF_TRACKING_URI", &server.url());
    let remote = c.mlf(&["--store", store.to_str().unwrap(), "experiments", "list"]);
    assert!(!remote.ok().stdout.contains("local-only"));
}

/// A real `mlflow server` on SQLite with its artifact proxy, from target/e2e-venv.
pub(crate) struct MlflowServer {
    child: Child,
    pub(crate) url: String,
}

impl MlflowServer {
    pub(crate) fn start(dir: &Path) -> MlflowServer {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let child = Command::new(venv_bin().join("mlflow"))
            .args([
                "server",
                "--backend-store-uri",
                &format!("sqlite:///{}/mlflow.db", dir.display()),
                "--artifacts-destination",
                &dir.join("artifacts").display().to_string(),
                "--host",
                "127.0.0.1",
                "--port",
                &port.to_string(),
                "--workers",
                "1",
            ])
            .current_dir(dir)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("start mlflow server");
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(180);
        loop {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            assert!(Instant::now() < deadline, "mlflow server did not start");
            std::thread::sleep(Duration::from_millis(250));
        }
        MlflowServer { child, url }
    }
}

impl Drop for MlflowServer {
    fn drop(&mut self) {
        // gunicorn/uvicorn workers go with their process group leader.
        // SAFETY: killing a process group we started.
        unsafe {
            libc_kill(-(self.child.id() as i32));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

unsafe fn libc_kill(pid: i32) {
    unsafe extern "C" {
        fn kill(pid: i32, sig: i32) -> i32;
    }
    // SAFETY: plain kill(2).
    unsafe {
        kill(pid, 15);
    }
}

#[test]
fn the_cli_works_against_a_real_mlflow_server() {
    let dir = tempfile::tempdir().unwrap();
    let server = MlflowServer::start(dir.path());
    let c = client(&server.url);
    // The server may take a moment after the port opens.
    let deadline = Instant::now() + Duration::from_secs(120);
    while c.mlf(&["experiments", "list"]).code != 0 {
        assert!(Instant::now() < deadline, "mlflow server does not answer");
        std::thread::sleep(Duration::from_millis(500));
    }
    tracking_flow(&c);

    // The registry and a model served from it.
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/models");
    let model = fixtures.join("onnx_logreg_mlflow");
    ok(
        &c,
        &["models", "log", model.to_str().unwrap(), "--run", "second"],
    );
    ok(
        &c,
        &[
            "registry",
            "register",
            "runs:/second/model",
            "--name",
            "clf",
        ],
    );
    ok(
        &c,
        &["registry", "promote", "clf", "1", "--to", "production"],
    );
    ok(&c, &["registry", "alias", "clf", "champion", "1"]);
    let shown = ok(&c, &["registry", "show", "clf"]).stdout;
    assert!(
        shown.contains("Production") && shown.contains("champion"),
        "{shown}"
    );
    let (input, expected) = scoring_input(&c, &model);
    let input = input.as_str();
    let got = ok(
        &c,
        &[
            "models",
            "predict",
            "-m",
            "models:/clf@champion",
            "-i",
            input,
        ],
    )
    .stdout;
    assert_eq!(got, expected);

    // mlf's own registry calls are not MLflow's: refused with a pointer.
    let history = mlf(&c, &["registry", "history", "clf"]);
    assert_eq!(history.code, 2, "{history}");
    assert!(
        history
            .stderr
            .contains("needs `mlf server` or a local store"),
        "{history}"
    );
}

#[test]
fn approvals_and_history_go_through_mlf_server_with_the_callers_name() {
    let s = TestEnv::new();
    s.mlf(&["init"]).ok();
    s.write(
        ".mlf/config.toml",
        "[registry]\nprotected_stages = [\"Production\"]\n",
    );
    let server = Server::start(&s, &[]);
    let as_user = |user: &str| {
        let mut c = client(&server.url());
        c.set("MLF_USER", user);
        c
    };
    let (alice, bob) = (as_user("alice"), as_user("bob"));
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/models/onnx_logreg_mlflow");
    ok(&alice, &["run", "start", "-n", "trainer"]);
    ok(&alice, &["models", "log", model.to_str().unwrap()]);
    ok(&alice, &["run", "end"]);
    ok(
        &alice,
        &[
            "registry",
            "register",
            "runs:/trainer/model",
            "--name",
            "clf",
        ],
    );

    // The server's policy holds: no promotion without an approved request, and not by oneself.
    let refused = mlf(
        &alice,
        &["registry", "promote", "clf", "1", "--to", "production"],
    );
    assert_eq!(refused.code, 1, "{refused}");
    assert!(refused.stderr.contains("protected stage"), "{refused}");
    assert!(
        !refused.stderr.contains("MLFLOW_TRACKING_TOKEN"),
        "{refused}"
    );
    ok(
        &alice,
        &[
            "registry",
            "request",
            "clf",
            "1",
            "--to",
            "production",
            "-m",
            "ship it",
        ],
    );
    let pending = ok(&bob, &["registry", "requests"]).stdout;
    assert!(
        pending.contains("pending") && pending.contains("alice"),
        "{pending}"
    );
    let own = mlf(&alice, &["registry", "approve", "clf", "1"]);
    assert_eq!(own.code, 1, "{own}");
    assert!(own.stderr.contains("someone else"), "{own}");
    ok(
        &bob,
        &["registry", "approve", "clf", "1", "-m", "looks good"],
    );
    ok(
        &alice,
        &["registry", "promote", "clf", "1", "--to", "production"],
    );

    // The history names who did what, read remotely and in the server's store alike.
    let remote = ok(&bob, &["registry", "history", "clf", "--format", "json"]).json();
    let local = s
        .mlf(&["registry", "history", "clf", "--format", "json"])
        .ok()
        .json();
    assert_eq!(remote, local);
    let events: Vec<(String, String)> = remote["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap().to_string(),
                e["actor"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = [
        ("create_model", "alice"),
        ("register", "alice"),
        ("request", "alice"),
        ("approve", "bob"),
        ("stage", "alice"),
    ]
    .iter()
    .map(|(k, a)| (k.to_string(), a.to_string()))
    .collect();
    assert_eq!(events, expected);
    let at = ok(&bob, &["registry", "show", "clf", "--at", "2999-01-01"]).stdout;
    assert!(at.contains("Production"), "{at}");
    let used = ok(&bob, &["registry", "requests", "--all"]).stdout;
    assert!(used.contains("used") && used.contains("bob"), "{used}");
}

#[test]
fn completion_asks_the_server() {
    let s = TestEnv::new();
    s.mlf(&["init"]).ok();
    let server = Server::start(&s, &[]);
    let c = client(&server.url());
    let id = ok(
        &c,
        &[
            "run",
            "start",
            "-x",
            "vision",
            "-n",
            "swift-otter",
            "-p",
            "lr=0.1",
        ],
    )
    .stdout
    .trim()
    .to_string();
    ok(&c, &["log", "metric", "val_loss", "0.5"]);
    ok(&c, &["run", "end"]);
    let fish = crate::complete::fish;
    assert_eq!(
        fish(&c, &["runs", "show", "sw"]),
        vec![format!("swift-otter\trun {}", &id[..8])]
    );
    assert_eq!(
        fish(&c, &["runs", "list", "-x", "vi"]),
        vec!["vision\texperiment 1".to_string()]
    );
    assert_eq!(
        fish(&c, &["runs", "list", "--order-by", "metrics."]),
        vec!["metrics.val_loss".to_string()]
    );
    // A dead server offers nothing rather than an error.
    drop(server);
    assert!(fish(&c, &["runs", "show", "sw"]).is_empty());
}

/// A TLS front (tests/e2e/tls_proxy.py) before `backend`, with a fresh self-signed
/// certificate for 127.0.0.1; killed when dropped.
struct TlsFront {
    child: Child,
    url: String,
    /// The certificate authority to trust.
    cert: std::path::PathBuf,
}

impl TlsFront {
    fn start(dir: &Path, backend: &str) -> TlsFront {
        // A certificate authority, and a server certificate for 127.0.0.1 that it signs.
        let (ca, ca_key) = (dir.join("ca.pem"), dir.join("ca.key"));
        let (cert, key, csr, ext) = (
            dir.join("cert.pem"),
            dir.join("key.pem"),
            dir.join("server.csr"),
            dir.join("server.ext"),
        );
        std::fs::write(
            &ext,
            "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
        )
        .unwrap();
        let openssl = |args: &[&std::ffi::OsStr]| {
            let status = Command::new("openssl")
                .args(args)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .expect("run openssl");
            assert!(status.success(), "openssl {args:?} failed");
        };
        let os = |s: &'static str| std::ffi::OsStr::new(s);
        openssl(&[
            os("req"),
            os("-x509"),
            os("-newkey"),
            os("rsa:2048"),
            os("-nodes"),
            os("-days"),
            os("1"),
            os("-subj"),
            os("/CN=mlf test CA"),
            os("-keyout"),
            ca_key.as_os_str(),
            os("-out"),
            ca.as_os_str(),
        ]);
        openssl(&[
            os("req"),
            os("-newkey"),
            os("rsa:2048"),
            os("-nodes"),
            os("-subj"),
            os("/CN=127.0.0.1"),
            os("-keyout"),
            key.as_os_str(),
            os("-out"),
            csr.as_os_str(),
        ]);
        openssl(&[
            os("x509"),
            os("-req"),
            os("-in"),
            csr.as_os_str(),
            os("-CA"),
            ca.as_os_str(),
            os("-CAkey"),
            ca_key.as_os_str(),
            os("-CAcreateserial"),
            os("-days"),
            os("1"),
            os("-extfile"),
            ext.as_os_str(),
            os("-out"),
            cert.as_os_str(),
        ]);
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/tls_proxy.py");
        let mut child = Command::new("python3")
            .arg(script)
            .arg(&cert)
            .arg(&key)
            .arg(backend)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the TLS front");
        let mut line = String::new();
        use std::io::BufRead;
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = format!("https://127.0.0.1:{}", line.trim());
        TlsFront {
            child,
            url,
            cert: ca,
        }
    }
}

impl Drop for TlsFront {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn https_servers_are_verified_as_the_mlflow_client_does() {
    let s = TestEnv::new();
    s.mlf(&["init"]).ok();
    let server = Server::start(&s, &[]);
    let tls = TlsFront::start(&s.cwd(), &server.url());

    // An unknown certificate authority is refused, in one line.
    let c = client(&tls.url);
    let out = c.mlf(&["experiments", "list"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(
        out.stderr
            .contains("cannot reach the tracking server https://"),
        "{out}"
    );
    assert_eq!(out.stderr.lines().count(), 1, "{out}");

    // Trusting its certificate: tracking and artifacts both go over TLS.
    let mut c = client(&tls.url);
    c.set(
        "MLFLOW_TRACKING_SERVER_CERT_PATH",
        tls.cert.to_str().unwrap(),
    );
    ok(&c, &["run", "start", "-x", "secure", "-n", "tls-run"]);
    ok(&c, &["log", "metric", "acc", "0.5"]);
    c.write("notes/a.txt", "over tls\n");
    ok(&c, &["log", "artifact", "notes"]);
    ok(&c, &["run", "end"]);
    ok(
        &c,
        &[
            "artifacts",
            "get",
            "notes/a.txt",
            "--run",
            "tls-run",
            "-o",
            "back",
        ],
    );
    assert_eq!(
        std::fs::read_to_string(c.cwd().join("back/a.txt")).unwrap(),
        "over tls\n"
    );
    let run = only_run(&s, &["-x", "secure"]);
    assert_eq!(kv(&run, "metrics", "acc").as_deref(), Some("0.5"));

    // Or not verifying at all.
    let mut c = client(&tls.url);
    c.set("MLFLOW_TRACKING_INSECURE_TLS", "true");
    assert!(ok(&c, &["experiments", "list"]).stdout.contains("secure"));

    // A bundle that holds no certificate is a usage error.
    let mut c = client(&tls.url);
    let bogus = c.write("bogus.pem", "not a certificate\n");
    c.set("MLFLOW_TRACKING_SERVER_CERT_PATH", bogus.to_str().unwrap());
    let out = c.mlf(&["experiments", "list"]);
    assert_eq!(out.code, 2, "{out}");
    assert!(out.stderr.contains("holds no PEM certificate"), "{out}");
}

/// A stand-in tracking server that answers `experiments/get` with 503 `failures` times, then
/// with experiment 0, and every other call with `{}`; returns its URL and the requests seen.
fn flaky_server(failures: usize) -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream);
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            let mut length = 0;
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
                    break;
                }
                if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let target = line.split_whitespace().nth(1).unwrap_or("").to_string();
            let gets = {
                let mut seen = log.lock().unwrap();
                seen.push(target.clone());
                seen.iter()
                    .filter(|t| t.contains("experiments/get"))
                    .count()
            };
            let (status, answer) = if target.contains("experiments/get") && gets <= failures {
                ("503 Service Unavailable", "busy".to_string())
            } else if target.contains("experiments/get") {
                (
                    "200 OK",
                    r#"{"experiment": {"experiment_id": "0", "name": "Default", "lifecycle_stage": "active"}}"#
                        .to_string(),
                )
            } else {
                ("200 OK", "{}".to_string())
            };
            let mut stream = reader.into_inner();
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                answer.len()
            );
        }
    });
    (url, seen)
}

#[test]
fn reads_are_retried_on_503_as_often_as_mlflow_http_request_max_retries_says() {
    let gets = |seen: &std::sync::Mutex<Vec<String>>| {
        seen.lock()
            .unwrap()
            .iter()
            .filter(|t| t.contains("experiments/get"))
            .count()
    };
    // Two failures, two retries by default: the third answer is used.
    let (url, seen) = flaky_server(2);
    let c = client(&url);
    let shown = ok(&c, &["experiments", "show", "0"]).stdout;
    assert!(shown.contains("Default"), "{shown}");
    assert_eq!(gets(&seen), 3);

    // No retries: the 503 is the answer, in one line.
    let (url, seen) = flaky_server(1);
    let mut c = client(&url);
    c.set("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0");
    let out = c.mlf(&["experiments", "show", "0"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stderr.contains("HTTP 503"), "{out}");
    assert_eq!(out.stderr.lines().count(), 1, "{out}");
    assert_eq!(gets(&seen), 1);

    // A setting that is no number is refused before anything is sent.
    let (url, seen) = flaky_server(0);
    let mut c = client(&url);
    c.set("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "many");
    let out = c.mlf(&["experiments", "show", "0"]);
    assert_eq!(out.code, 2, "{out}");
    assert!(
        out.stderr.contains("MLFLOW_HTTP_REQUEST_MAX_RETRIES"),
        "{out}"
    );
    assert!(seen.lock().unwrap().is_empty());
}
