//! Tests of `mlf` (run), through the binary.
//!
//! `mlf run -- CMD`: exit codes, signals, output relaying and logs, `--capture-metrics`, the
//! child's environment, run setup flags, git information; `mlf run start` / `mlf run end`;
//! runs whose `mlf run` process died.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{
    Output, TestEnv, git, history, metric, mlf_bin, newest_run, only_run, param, run_ids, run_of,
    runs, sqlite, tag,
};

/// How long any bounded wait in this file may take.
const WAIT: Duration = Duration::from_secs(20);

// ----- helpers -----------------------------------------------------------------------------

/// `runs show ID --format json`: `{run, artifacts}`.
fn show(env: &TestEnv, id: &str) -> Value {
    env.mlf(&["runs", "show", id, "--format", "json"])
        .ok()
        .json()
}

fn status(env: &TestEnv, id: &str) -> String {
    run_of(env, id)["info"]["status"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The status of run `id` in `runs list --format json`.
fn listed_status(env: &TestEnv, id: &str) -> String {
    runs(env)
        .iter()
        .find(|r| r["info"]["run_id"] == id)
        .unwrap_or_else(|| panic!("run {id} not listed"))["info"]["status"]
        .as_str()
        .unwrap()
        .to_string()
}

fn metric_keys(run: &Value) -> Vec<String> {
    let mut keys: Vec<String> = run["data"]["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["key"].as_str().unwrap().to_string())
        .collect();
    keys.sort();
    keys
}

/// Paths of the files (not directories) among a run's artifacts, recursively.
fn artifact_files(env: &TestEnv, id: &str) -> Vec<(String, u64)> {
    let out = env
        .mlf(&["artifacts", "list", "--run", id, "--format", "json", "-R"])
        .ok();
    out.json()["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["is_dir"] == false)
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["file_size"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// Copies an artifact out with `mlf artifacts get` and returns its text.
fn artifact_text(env: &TestEnv, id: &str, path: &str) -> String {
    let dest = env
        .dir
        .path()
        .join(format!("get-{}-{}", &id[..8], path.replace('/', "_")));
    std::fs::create_dir_all(&dest).unwrap();
    env.mlf(&[
        "artifacts",
        "get",
        path,
        "--run",
        id,
        "-o",
        dest.to_str().unwrap(),
    ])
    .ok();
    let name = Path::new(path).file_name().unwrap();
    std::fs::read_to_string(dest.join(name)).unwrap()
}

/// Polls until `path` exists (bounded); false when it never appeared.
fn wait_for_file(path: &Path) -> bool {
    let deadline = Instant::now() + WAIT;
    while Instant::now() < deadline {
        if path.exists() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// Polls until `path` holds a number (bounded).
fn wait_for_pid(path: &Path) -> u32 {
    let deadline = Instant::now() + WAIT;
    while Instant::now() < deadline {
        if let Ok(text) = std::fs::read_to_string(path) {
            if text.ends_with('\n') {
                if let Ok(pid) = text.trim().parse() {
                    return pid;
                }
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("{} never held a pid", path.display());
}

fn send_signal(pid: u32, sig: &str) {
    let st = std::process::Command::new("kill")
        .args([format!("-{sig}"), pid.to_string()])
        .status()
        .expect("run kill");
    assert!(st.success(), "kill -{sig} {pid} failed");
}

/// An `mlf` process running in the background; killed if the test ends while it runs.
struct Background {
    child: Option<Child>,
}

impl Background {
    fn spawn(env: &TestEnv, args: &[&str]) -> Background {
        let mut cmd = env.command(args);
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        Background {
            child: Some(cmd.spawn().expect("spawn mlf")),
        }
    }

    /// Starts `mlf run -- sh -c SCRIPT sh FILES…`: the script finds the files as `$1`, `$2`….
    fn run_sh(env: &TestEnv, script: &str, files: &[&Path]) -> Background {
        let mut args = vec!["run", "--", "sh", "-c", script, "sh"];
        args.extend(files.iter().map(|f| path_str(f)));
        Background::spawn(env, &args)
    }

    fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    fn child(&mut self) -> &mut Child {
        self.child.as_mut().unwrap()
    }

    /// Waits (bounded) for the process to end and returns what it printed.
    fn wait(mut self) -> Output {
        use std::os::unix::process::ExitStatusExt;
        let mut child = self.child.take().unwrap();
        let deadline = Instant::now() + WAIT;
        let status = loop {
            if let Some(st) = child.try_wait().unwrap() {
                break st;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("mlf did not end within {WAIT:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut stdout = String::new();
        let mut stderr = String::new();
        if let Some(mut o) = child.stdout.take() {
            o.read_to_string(&mut stdout).unwrap();
        }
        if let Some(mut e) = child.stderr.take() {
            e.read_to_string(&mut stderr).unwrap();
        }
        Output {
            code: status
                .code()
                .unwrap_or_else(|| 128 + status.signal().unwrap_or(0)),
            stdout,
            stderr,
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            if let Ok(None) = child.try_wait() {
                let _ = child.kill();
            }
            let _ = child.wait();
        }
    }
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// A git repository in the working directory with one committed file `a.txt`.
fn git_repo(env: &TestEnv) -> PathBuf {
    let dir = env.cwd();
    git(&dir, &["init", "-q"]);
    std::fs::write(dir.join("a.txt"), "original\n").unwrap();
    git(&dir, &["add", "a.txt"]);
    git(&dir, &["commit", "-q", "-m", "first"]);
    dir
}

// ----- exit codes and statuses -------------------------------------------------------------

#[test]
fn exit_code_is_passed_through_and_run_fails() {
    let env = TestEnv::new();
    let out = env.mlf(&["run", "--", "sh", "-c", "exit 3"]).code(3);
    assert!(
        out.stderr.contains("failed with exit code 3"),
        "stderr: {}",
        out.stderr
    );
    let id = only_run(&env);
    assert_eq!(listed_status(&env, &id), "FAILED");
    let run = run_of(&env, &id);
    assert_eq!(run["info"]["status"], "FAILED");
    assert!(run["info"]["end_time"].as_i64().is_some(), "no end_time");
    assert_eq!(tag(&run, "mlf.exitCode").as_deref(), Some("3"));
    assert_eq!(tag(&run, "mlf.signal"), None);
    assert_eq!(
        tag(&run, "mlf.command").as_deref(),
        Some("sh -c 'exit 3'"),
        "the command line is recorded, quoted"
    );

    env.mlf(&["run", "--", "sh", "-c", "exit 255"]).code(255);
    let id = newest_run(&env, 2);
    assert_eq!(listed_status(&env, &id), "FAILED");
    assert_eq!(
        tag(&run_of(&env, &id), "mlf.exitCode").as_deref(),
        Some("255")
    );

    env.mlf(&["run", "--", "false"]).code(1);
    let id = newest_run(&env, 3);
    assert_eq!(status(&env, &id), "FAILED");
    assert_eq!(
        tag(&run_of(&env, &id), "mlf.exitCode").as_deref(),
        Some("1")
    );
}

#[test]
fn success_finishes_the_run() {
    let env = TestEnv::new();
    let out = env.mlf(&["run", "--", "true"]).ok();
    assert_eq!(out.stdout, "", "mlf prints nothing of its own on stdout");
    assert!(
        out.stderr.contains("Finished run"),
        "stderr: {}",
        out.stderr
    );
    let id = only_run(&env);
    assert_eq!(id.len(), 32);
    assert_eq!(listed_status(&env, &id), "FINISHED");
    let run = run_of(&env, &id);
    assert_eq!(run["info"]["status"], "FINISHED");
    assert!(
        run["info"]["end_time"].as_i64().unwrap() >= run["info"]["start_time"].as_i64().unwrap()
    );
    assert_eq!(tag(&run, "mlf.exitCode").as_deref(), Some("0"));
    assert_eq!(tag(&run, "mlf.command").as_deref(), Some("true"));
    assert_eq!(tag(&run, "mlflow.source.type").as_deref(), Some("LOCAL"));
    assert_eq!(tag(&run, "mlflow.user").as_deref(), Some("tester"));
    assert_eq!(run["info"]["user_id"], "tester");
    assert_eq!(run["info"]["experiment_id"], "0");
}

#[test]
fn child_killed_by_a_signal_gives_128_plus_n_and_a_killed_run() {
    let env = TestEnv::new();
    let out = env
        .mlf(&["run", "--", "sh", "-c", "kill -TERM $$"])
        .code(143);
    assert!(out.stderr.contains("killed"), "stderr: {}", out.stderr);
    let id = only_run(&env);
    assert_eq!(listed_status(&env, &id), "KILLED");
    let run = run_of(&env, &id);
    assert_eq!(run["info"]["status"], "KILLED");
    assert_eq!(tag(&run, "mlf.exitCode").as_deref(), Some("143"));
    assert_eq!(tag(&run, "mlf.signal").as_deref(), Some("15"));

    env.mlf(&["run", "--", "sh", "-c", "kill -KILL $$"])
        .code(137);
    let id = newest_run(&env, 2);
    let run = run_of(&env, &id);
    assert_eq!(run["info"]["status"], "KILLED");
    assert_eq!(tag(&run, "mlf.exitCode").as_deref(), Some("137"));
    assert_eq!(tag(&run, "mlf.signal").as_deref(), Some("9"));
}

// ----- signal forwarding -------------------------------------------------------------------

#[test]
fn sigterm_to_mlf_is_forwarded_to_a_trapping_child() {
    let env = TestEnv::new();
    let ready = env.dir.path().join("ready");
    let got = env.dir.path().join("got-term");
    // The child traps TERM, records it and exits 42; it gives up by itself after ~10 s so that
    // a lost signal fails the test instead of hanging it.
    let script = r#"trap 'echo TERM > "$2"; exit 42' TERM
echo started
: > "$1"
i=0
while [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done
exit 0"#;
    let bg = Background::run_sh(&env, script, &[&ready, &got]);
    assert!(wait_for_file(&ready), "the child never started");
    send_signal(bg.pid(), "TERM");
    let out = bg.wait();
    assert_eq!(
        std::fs::read_to_string(&got).ok().as_deref(),
        Some("TERM\n"),
        "the child did not receive SIGTERM:\n{out}"
    );
    assert_eq!(out.code, 42, "mlf exits with the child's code:\n{out}");
    assert!(out.stdout.contains("started"), "{out}");
    let id = only_run(&env);
    assert_eq!(listed_status(&env, &id), "KILLED", "{out}");
    let run = run_of(&env, &id);
    assert_eq!(tag(&run, "mlf.exitCode").as_deref(), Some("42"));
}

#[test]
fn sigterm_to_mlf_kills_a_plain_child_and_exits_143() {
    let env = TestEnv::new();
    let ready = env.dir.path().join("ready");
    // `exec` so that the signalled process is the child itself (no grandchild keeps the
    // output pipes open); the sleep is long, but a lost signal is caught by the bounded wait.
    let bg = Background::run_sh(&env, r#": > "$1"; exec sleep 15"#, &[&ready]);
    assert!(wait_for_file(&ready), "the child never started");
    // The file is written just before `exec`; wait until the child is `sleep` for sure so
    // that the signal is not taken by the shell, which would end the same way anyway.
    std::thread::sleep(Duration::from_millis(100));
    send_signal(bg.pid(), "TERM");
    let out = bg.wait();
    assert_eq!(out.code, 143, "{out}");
    let id = only_run(&env);
    assert_eq!(listed_status(&env, &id), "KILLED");
    let run = run_of(&env, &id);
    assert_eq!(tag(&run, "mlf.exitCode").as_deref(), Some("143"));
    assert_eq!(tag(&run, "mlf.signal").as_deref(), Some("15"));
    assert!(out.stderr.contains("killed by signal 15"), "{out}");
}

/// Sends `sig` to `mlf run` while its child traps it, writes the signal's name and exits with
/// `code`; checks the child got it, mlf exits `code` and the run is KILLED.
fn check_forwarded(sig: &str, code: i32) {
    let env = TestEnv::new();
    let ready = env.dir.path().join("ready");
    let got = env.dir.path().join("got");
    let script = format!(
        r#"trap 'echo {sig} > "$2"; exit {code}' {sig}
: > "$1"
i=0
while [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done
exit 0"#
    );
    let bg = Background::run_sh(&env, &script, &[&ready, &got]);
    assert!(wait_for_file(&ready), "the child never started");
    send_signal(bg.pid(), sig);
    let out = bg.wait();
    assert_eq!(
        std::fs::read_to_string(&got).ok(),
        Some(format!("{sig}\n")),
        "the child did not receive SIG{sig}:\n{out}"
    );
    assert_eq!(out.code, code, "{out}");
    let id = only_run(&env);
    assert_eq!(listed_status(&env, &id), "KILLED", "SIG{sig}");
    assert_eq!(
        tag(&run_of(&env, &id), "mlf.exitCode"),
        Some(code.to_string())
    );
}

#[test]
fn sigint_from_kill_is_forwarded_too() {
    check_forwarded("INT", 7);
}

#[test]
fn sighup_is_forwarded() {
    check_forwarded("HUP", 9);
}

#[test]
fn sigquit_is_forwarded() {
    check_forwarded("QUIT", 11);
}

// ----- output ------------------------------------------------------------------------------

#[test]
fn output_is_relayed_and_saved_as_log_artifacts() {
    let env = TestEnv::new();
    let out = env
        .mlf(&[
            "run",
            "--",
            "sh",
            "-c",
            "echo out-1; echo err-1 >&2; echo out-2; printf 'err-2' >&2",
        ])
        .ok();
    assert_eq!(out.stdout, "out-1\nout-2\n", "stdout is the child's stdout");
    assert!(out.stderr.contains("err-1\n"), "{out}");
    assert!(out.stderr.contains("err-2"), "{out}");
    let id = only_run(&env);
    let files = artifact_files(&env, &id);
    assert!(
        files.contains(&("logs/stdout.txt".to_string(), 12)),
        "{files:?}"
    );
    assert!(
        files.contains(&("logs/stderr.txt".to_string(), 11)),
        "{files:?}"
    );
    assert_eq!(
        artifact_text(&env, &id, "logs/stdout.txt"),
        "out-1\nout-2\n"
    );
    assert_eq!(artifact_text(&env, &id, "logs/stderr.txt"), "err-1\nerr-2");
    // The run's artifacts are also listed by `runs show`.
    let shown: Vec<String> = show(&env, &id)["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    assert!(shown.contains(&"logs/stdout.txt".to_string()), "{shown:?}");
}

#[test]
fn large_output_is_relayed_and_saved_whole() {
    let env = TestEnv::new();
    let out = env.mlf(&["run", "--", "seq", "1", "40000"]).ok();
    let want: String = (1..=40000).map(|i| format!("{i}\n")).collect();
    assert!(want.len() > 64 * 1024);
    assert_eq!(out.stdout.len(), want.len());
    assert!(out.stdout == want, "relayed stdout differs");
    let id = only_run(&env);
    let saved = artifact_text(&env, &id, "logs/stdout.txt");
    assert_eq!(saved.len(), want.len());
    assert!(saved == want, "saved stdout differs");
}

#[test]
fn output_of_a_failing_command_is_saved_too() {
    let env = TestEnv::new();
    env.mlf(&[
        "run",
        "--",
        "sh",
        "-c",
        "echo partial; echo 'Traceback: boom' >&2; exit 2",
    ])
    .code(2);
    let id = only_run(&env);
    assert_eq!(status(&env, &id), "FAILED");
    assert_eq!(artifact_text(&env, &id, "logs/stdout.txt"), "partial\n");
    assert_eq!(
        artifact_text(&env, &id, "logs/stderr.txt"),
        "Traceback: boom\n"
    );
}

#[test]
fn output_is_streamed_while_the_child_runs() {
    let env = TestEnv::new();
    let go = env.dir.path().join("go");
    let done = env.dir.path().join("done");
    // The child prints a line on each stream, then waits (at most ~10 s) for `go`.
    let script = r#"echo first-out; echo first-err >&2
i=0
while [ ! -e "$1" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done
: > "$2"
echo second-out"#;
    let mut bg = Background::run_sh(&env, script, &[&go, &done]);
    let mut stdout = BufReader::new(bg.child().stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    assert_eq!(line, "first-out\n");
    assert!(
        !done.exists(),
        "stdout came only after the child had finished"
    );
    let mut stderr = BufReader::new(bg.child().stderr.take().unwrap());
    let mut seen = Vec::new();
    loop {
        let mut l = String::new();
        if stderr.read_line(&mut l).unwrap() == 0 {
            break;
        }
        seen.push(l.clone());
        if l == "first-err\n" {
            break;
        }
    }
    assert_eq!(
        seen.last().map(String::as_str),
        Some("first-err\n"),
        "{seen:?}"
    );
    assert!(
        !done.exists(),
        "stderr came only after the child had finished"
    );
    std::fs::write(&go, "").unwrap();
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "second-out\n");
    let out = bg.wait();
    assert_eq!(out.code, 0, "{out}");
    let id = only_run(&env);
    assert_eq!(
        artifact_text(&env, &id, "logs/stdout.txt"),
        "first-out\nsecond-out\n"
    );
}

// ----- --capture-metrics -------------------------------------------------------------------

#[test]
fn capture_metrics_logs_metric_lines_with_steps() {
    let env = TestEnv::new();
    let script = "echo 'loss=0.5 acc=0.8'
echo 'saved 3 files'
echo 'loss=0.31 acc=0.9'
echo 'epoch 3: loss 0.25'
echo 'step=7, rmse=1e-3'
echo 'on_stderr=1' >&2
echo 'Downloading data...'
printf 'final_score=42'";
    let out = env
        .mlf(&["run", "--capture-metrics", "--", "sh", "-c", script])
        .ok();
    // Every line is still relayed, metric or not.
    assert_eq!(
        out.stdout,
        "loss=0.5 acc=0.8\nsaved 3 files\nloss=0.31 acc=0.9\nepoch 3: loss 0.25\n\
         step=7, rmse=1e-3\nDownloading data...\nfinal_score=42"
    );
    assert!(
        out.stderr.contains("Captured 7 metric points"),
        "{}",
        out.stderr
    );
    let id = only_run(&env);
    let run = run_of(&env, &id);
    assert_eq!(
        metric_keys(&run),
        ["acc", "final_score", "loss", "rmse"],
        "prose, step words and stderr lines are not metrics"
    );
    assert_eq!(metric(&run, "loss"), Some((0.25, 3)));
    assert_eq!(metric(&run, "acc"), Some((0.9, 1)));
    assert_eq!(metric(&run, "rmse"), Some((0.001, 7)));
    assert_eq!(
        metric(&run, "final_score"),
        Some((42.0, 0)),
        "a last line without a newline counts too"
    );

    assert_eq!(history(&env, &id, "loss"), [(0, 0.5), (1, 0.31), (3, 0.25)]);
    assert_eq!(history(&env, &id, "acc"), [(0, 0.8), (1, 0.9)]);
    assert_eq!(history(&env, &id, "rmse"), [(7, 0.001)]);
    assert_eq!(history(&env, &id, "final_score"), [(0, 42.0)]);

    // The whole history, straight from the database.
    if let Some(rows) = sqlite(
        &env.store().join("mlf.db"),
        &format!(
            "SELECT m.key, m.step, m.value FROM metrics m JOIN runs r ON r.id = m.run_id \
             WHERE r.run_uuid = '{id}' ORDER BY m.key, m.step"
        ),
    ) {
        assert_eq!(
            rows,
            "acc|0|0.8\nacc|1|0.9\nfinal_score|0|42.0\nloss|0|0.5\nloss|1|0.31\nloss|3|0.25\n\
             rmse|7|0.001\n"
        );
    }
}

#[test]
fn without_capture_metrics_nothing_is_parsed() {
    let env = TestEnv::new();
    env.mlf(&["run", "--", "sh", "-c", "echo loss=0.5"]).ok();
    let id = only_run(&env);
    assert_eq!(metric_keys(&run_of(&env, &id)), Vec::<String>::new());
}

#[test]
fn capture_metrics_numbers_steps_per_key_across_many_lines() {
    let env = TestEnv::new();
    let script = "i=1; while [ $i -le 300 ]; do echo \"loss=$i\"; i=$((i+1)); done";
    env.mlf(&["run", "--capture-metrics", "--", "sh", "-c", script])
        .ok();
    let id = only_run(&env);
    assert_eq!(metric(&run_of(&env, &id), "loss"), Some((300.0, 299)));
    let want: Vec<(i64, f64)> = (0..300).map(|i| (i, (i + 1) as f64)).collect();
    assert_eq!(history(&env, &id, "loss"), want);
    if let Some(rows) = sqlite(
        &env.store().join("mlf.db"),
        "SELECT count(*), min(step), max(step), sum(value) FROM metrics WHERE key = 'loss'",
    ) {
        assert_eq!(rows, "300|0|299|45150.0\n");
    }
}

// ----- the child's environment ---------------------------------------------------------------

/// Parses `env` output (`KEY=value` lines).
fn parse_env(text: &str) -> std::collections::HashMap<String, String> {
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn child_sees_run_store_experiment_and_params() {
    let env = TestEnv::new();
    let out = env
        .mlf(&[
            "run",
            "-x",
            "envexp",
            "-p",
            "lr=0.1",
            "-p",
            "batch.size=32",
            "--",
            "env",
        ])
        .ok();
    let vars = parse_env(&out.stdout);
    let id = only_run(&env);
    let run = run_of(&env, &id);
    let exp = run["info"]["experiment_id"].as_str().unwrap().to_string();
    assert_ne!(exp, "0", "-x envexp is a new experiment");
    assert_eq!(vars.get("MLF_RUN_ID"), Some(&id));
    assert_eq!(vars.get("MLFLOW_RUN_ID"), Some(&id));
    assert_eq!(vars.get("MLFLOW_EXPERIMENT_ID"), Some(&exp));
    let store = std::fs::canonicalize(env.store()).unwrap();
    assert_eq!(
        vars.get("MLF_STORE").map(PathBuf::from),
        Some(store),
        "MLF_STORE is the store directory"
    );
    assert_eq!(vars.get("MLF_PARAM_LR").map(String::as_str), Some("0.1"));
    assert_eq!(
        vars.get("MLF_PARAM_BATCH_SIZE").map(String::as_str),
        Some("32")
    );
    assert_eq!(vars.get("PYTHONUNBUFFERED").map(String::as_str), Some("1"));
    let params: Value = serde_json::from_str(vars.get("MLF_PARAMS").expect("MLF_PARAMS")).unwrap();
    assert_eq!(params, serde_json::json!({"lr": "0.1", "batch.size": "32"}));
    // And the params are the run's.
    assert_eq!(param(&run, "lr").as_deref(), Some("0.1"));
    assert_eq!(param(&run, "batch.size").as_deref(), Some("32"));
}

#[test]
fn child_without_params_gets_an_empty_params_object() {
    let mut env = TestEnv::new();
    env.set("PYTHONUNBUFFERED", "0");
    let out = env.mlf(&["run", "--", "env"]).ok();
    let vars = parse_env(&out.stdout);
    assert_eq!(vars.get("MLF_PARAMS").map(String::as_str), Some("{}"));
    assert!(
        !vars.keys().any(|k| k.starts_with("MLF_PARAM_")),
        "{vars:?}"
    );
    assert_eq!(
        vars.get("PYTHONUNBUFFERED").map(String::as_str),
        Some("0"),
        "a PYTHONUNBUFFERED of the user's is kept"
    );
    assert_eq!(
        vars.get("MLFLOW_EXPERIMENT_ID").map(String::as_str),
        Some("0")
    );
}

#[test]
fn nested_mlf_log_writes_to_the_same_run() {
    let env = TestEnv::new();
    let script = r#""$0" log metric inner 7 --step 2 && "$0" log param from_child yes && "$0" log tag stage nested"#;
    env.mlf(&["run", "--", "sh", "-c", script, mlf_bin()]).ok();
    let id = only_run(&env);
    let run = run_of(&env, &id);
    assert_eq!(metric(&run, "inner"), Some((7.0, 2)));
    assert_eq!(param(&run, "from_child").as_deref(), Some("yes"));
    assert_eq!(tag(&run, "stage").as_deref(), Some("nested"));
    assert_eq!(run["info"]["status"], "FINISHED");
}

#[test]
fn nested_mlf_log_prefers_its_run_over_the_active_run() {
    let env = TestEnv::new();
    let active = env.start_run(&[]);
    let script = r#""$0" log metric x 1"#;
    env.mlf(&["run", "--", "sh", "-c", script, mlf_bin()]).ok();
    let ids = run_ids(&env);
    assert_eq!(ids.len(), 2);
    let child_run = ids.iter().find(|i| **i != active).unwrap().clone();
    assert_eq!(metric(&run_of(&env, &child_run), "x"), Some((1.0, 0)));
    assert_eq!(metric(&run_of(&env, &active), "x"), None);
    // The active run is still active afterwards.
    env.mlf(&["log", "metric", "y", "2"]).ok();
    assert_eq!(metric(&run_of(&env, &active), "y"), Some((2.0, 0)));
}

// ----- setup flags and refusals ------------------------------------------------------------

#[test]
fn experiment_name_and_tags_flags() {
    let env = TestEnv::new();
    let out = env
        .mlf(&[
            "run",
            "-x",
            "newexp",
            "-n",
            "myrun",
            "-t",
            "team=vision",
            "-t",
            "k=v",
            "--",
            "true",
        ])
        .ok();
    assert!(
        out.stderr.contains("Created experiment `newexp`"),
        "{}",
        out.stderr
    );
    let exps = env
        .mlf(&["experiments", "list", "--format", "json"])
        .ok()
        .json();
    let newexp = exps["experiments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "newexp")
        .expect("experiment newexp created")
        .clone();
    let id = only_run(&env);
    let run = run_of(&env, &id);
    assert_eq!(run["info"]["run_name"], "myrun");
    assert_eq!(tag(&run, "mlflow.runName").as_deref(), Some("myrun"));
    assert_eq!(run["info"]["experiment_id"], newexp["experiment_id"]);
    assert_eq!(tag(&run, "team").as_deref(), Some("vision"));
    assert_eq!(tag(&run, "k").as_deref(), Some("v"));

    // The second time the experiment exists: not created again.
    let out = env.mlf(&["run", "-x", "newexp", "--", "true"]).ok();
    assert!(!out.stderr.contains("Created experiment"), "{}", out.stderr);
    let id2 = newest_run(&env, 2);
    assert_eq!(
        run_of(&env, &id2)["info"]["experiment_id"],
        newexp["experiment_id"]
    );
    // The run is found by its name.
    assert_eq!(
        env.mlf(&["runs", "show", "myrun", "--format", "json"])
            .ok()
            .json()["run"]["info"]["run_id"],
        id.as_str()
    );
}

#[test]
fn unknown_experiment_id_is_refused() {
    let env = TestEnv::new();
    env.mlf(&["init"]).ok();
    let before = env.snapshot_store();
    let out = env.mlf(&["run", "-x", "999", "--", "true"]).code(2);
    assert!(out.stderr.contains("999"), "{}", out.stderr);
    assert_eq!(env.snapshot_store(), before);
}

#[test]
fn bad_param_is_refused_before_anything_is_created() {
    let env = TestEnv::new();
    let out = env
        .mlf(&["run", "-x", "never", "-p", "novalue", "--", "true"])
        .code(2);
    assert!(out.stderr.contains("novalue"), "{}", out.stderr);
    assert!(!env.store().exists(), "a refused `mlf run` created a store");

    env.mlf(&["run", "--", "true"]).ok();
    let before = env.snapshot_store();
    env.mlf(&["run", "-x", "never", "-p", "novalue", "--", "true"])
        .code(2);
    env.mlf(&["run", "-t", "novalue", "--", "true"]).code(2);
    assert_eq!(
        env.snapshot_store(),
        before,
        "a refused run changed the store"
    );
    assert_eq!(run_ids(&env).len(), 1);
}

#[test]
fn unknown_command_is_refused_without_a_run() {
    let env = TestEnv::new();
    let out = env.mlf(&["run", "--", "no-such-program-xyz"]).code(2);
    assert!(
        out.stderr.contains("no-such-program-xyz") && out.stderr.contains("not found"),
        "{}",
        out.stderr
    );
    assert!(!env.store().exists(), "a refused `mlf run` created a store");

    env.mlf(&["run", "--", "true"]).ok();
    let before = env.snapshot_store();
    env.mlf(&["run", "--", "no-such-program-xyz", "--flag"])
        .code(2);
    env.mlf(&["run", "--", "./missing-script.sh"]).code(2);
    assert_eq!(env.snapshot_store(), before);
}

#[test]
fn invalid_params_tags_or_name_leave_no_trace() {
    // Refused after parsing, by validation: still nothing may be created, neither the store nor
    // the `-x` experiment. Every case is tried; the failures are reported together.
    let mut problems = Vec::new();
    for bad in [
        &["-p", "lr=1", "-p", "lr=2"][..],
        &["-p", "bad key!=1"][..],
        &["-t", "bad key!=1"][..],
        &["-n", ""][..],
    ] {
        let env = TestEnv::new();
        let mut args = vec!["run", "-x", "brandnew"];
        args.extend_from_slice(bad);
        args.extend_from_slice(&["--", "true"]);
        env.mlf(&args).code(2);
        if env.store().exists() {
            problems.push(format!(
                "`mlf {}` was refused but created a store",
                args.join(" ")
            ));
            std::fs::remove_dir_all(env.store()).unwrap();
        }

        env.mlf(&["init"]).ok();
        let before = env.snapshot_store();
        env.mlf(&args).code(2);
        if env.snapshot_store() != before {
            problems.push(format!(
                "`mlf {}` was refused but changed the store",
                args.join(" ")
            ));
        }
        let env = TestEnv::new();
        env.mlf(&["init"]).ok();
        let before = env.snapshot_store();
        let mut start = vec!["run", "start", "-x", "brandnew"];
        start.extend_from_slice(bad);
        env.mlf(&start).code(2);
        if env.snapshot_store() != before {
            problems.push(format!(
                "`mlf {}` was refused but changed the store",
                start.join(" ")
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn experiment_from_the_environment() {
    let mut env = TestEnv::new();
    env.set("MLF_EXPERIMENT", "from-env");
    env.mlf(&["run", "--", "true"]).ok();
    let id = only_run(&env);
    let exp_id = run_of(&env, &id)["info"]["experiment_id"]
        .as_str()
        .unwrap()
        .to_string();
    let exp = env
        .mlf(&["experiments", "show", &exp_id, "--format", "json"])
        .ok()
        .json();
    assert_eq!(exp["experiment"]["name"], "from-env");
    // `-x` wins over the variable.
    env.mlf(&["run", "-x", "flag", "--", "true"]).ok();
    let id2 = newest_run(&env, 2);
    let exp_id2 = run_of(&env, &id2)["info"]["experiment_id"]
        .as_str()
        .unwrap()
        .to_string();
    let exp2 = env
        .mlf(&["experiments", "show", &exp_id2, "--format", "json"])
        .ok()
        .json();
    assert_eq!(exp2["experiment"]["name"], "flag");
}

#[test]
fn closed_stdout_does_not_stop_the_run() {
    let env = TestEnv::new();
    let mut bg = Background::spawn(&env, &["run", "--", "seq", "1", "200000"]);
    {
        let mut stdout = BufReader::new(bg.child().stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        assert_eq!(line, "1\n");
        // Dropped here: mlf's stdout is closed (`mlf run -- ... | head -1`).
    }
    let out = bg.wait();
    assert_eq!(out.code, 0, "{out}");
    let id = only_run(&env);
    assert_eq!(status(&env, &id), "FINISHED");
    let saved = artifact_text(&env, &id, "logs/stdout.txt");
    let want: String = (1..=200000).map(|i| format!("{i}\n")).collect();
    assert_eq!(saved.len(), want.len(), "the log is complete");
    assert!(saved == want);
}

#[test]
fn exit_code_passes_through_even_when_the_run_cannot_be_ended() {
    // The child deletes its own run; mlf cannot record the end, but a script calling
    // `mlf run -- CMD` must still see CMD's exit code.
    let env = TestEnv::new();
    let script = r#""$0" runs delete "$MLF_RUN_ID" && exit 4"#;
    let out = env.mlf(&["run", "--", "sh", "-c", script, mlf_bin()]);
    assert_eq!(out.code, 4, "{out}");
}

#[test]
fn a_command_is_required() {
    let env = TestEnv::new();
    env.mlf(&["run"]).code(2);
    env.mlf(&["run", "--"]).code(2);
    assert!(!env.store().exists());
}

#[test]
fn script_by_relative_path_runs() {
    let env = TestEnv::new();
    let script = env.write("train.sh", "#!/bin/sh\necho \"args: $*\"\nexit 5\n");
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let out = env
        .mlf(&["run", "--", "./train.sh", "--epochs", "3", "two words"])
        .code(5);
    assert_eq!(out.stdout, "args: --epochs 3 two words\n");
    let id = only_run(&env);
    let run = run_of(&env, &id);
    assert_eq!(
        tag(&run, "mlf.command").as_deref(),
        Some("./train.sh --epochs 3 'two words'")
    );
    assert_eq!(run["info"]["status"], "FAILED");
}

// ----- git -----------------------------------------------------------------------------------

#[test]
fn git_commit_branch_and_clean_state_are_recorded() {
    let env = TestEnv::new();
    let dir = git_repo(&env);
    env.mlf(&["run", "--", "true"]).ok();
    let id = only_run(&env);
    let run = run_of(&env, &id);
    let head = git(&dir, &["rev-parse", "HEAD"]);
    let branch = git(&dir, &["symbolic-ref", "--short", "HEAD"]);
    assert_eq!(
        tag(&run, "mlflow.source.git.commit").as_deref(),
        Some(head.as_str())
    );
    assert_eq!(
        tag(&run, "mlflow.source.git.branch").as_deref(),
        Some(branch.as_str())
    );
    assert_eq!(tag(&run, "mlf.source.git.dirty").as_deref(), Some("false"));
    assert_eq!(tag(&run, "mlflow.source.git.repoURL"), None, "no remote");
    assert!(
        !artifact_files(&env, &id)
            .iter()
            .any(|(p, _)| p == "source/diff.patch"),
        "a clean tree has no diff"
    );
    // The store mlf created does not make the tree dirty.
    env.mlf(&["run", "--", "true"]).ok();
    let id2 = newest_run(&env, 2);
    assert_eq!(
        tag(&run_of(&env, &id2), "mlf.source.git.dirty").as_deref(),
        Some("false")
    );
}

#[test]
fn dirty_tree_is_recorded_with_its_diff() {
    let env = TestEnv::new();
    let dir = git_repo(&env);
    env.mlf(&["run", "--", "true"]).ok();
    std::fs::write(dir.join("a.txt"), "changed\n").unwrap();
    env.mlf(&["run", "--", "true"]).ok();
    let id = newest_run(&env, 2);
    let run = run_of(&env, &id);
    assert_eq!(tag(&run, "mlf.source.git.dirty").as_deref(), Some("true"));
    assert_eq!(
        tag(&run, "mlflow.source.git.commit").as_deref(),
        Some(git(&dir, &["rev-parse", "HEAD"]).as_str())
    );
    assert!(
        artifact_files(&env, &id)
            .iter()
            .any(|(p, _)| p == "source/diff.patch")
    );
    let patch = artifact_text(&env, &id, "source/diff.patch");
    assert!(patch.contains("a.txt"), "{patch}");
    assert!(patch.contains("-original\n"), "{patch}");
    assert!(patch.contains("+changed\n"), "{patch}");
    // The patch is what `git diff HEAD` says, so that `git apply` can replay it.
    let want = git(&dir, &["diff", "HEAD"]);
    assert_eq!(patch.trim_end(), want.trim_end());

    // Committed, the tree is clean again.
    git(&dir, &["commit", "-q", "-am", "second"]);
    env.mlf(&["run", "--", "true"]).ok();
    let id3 = newest_run(&env, 3);
    let run3 = run_of(&env, &id3);
    assert_eq!(tag(&run3, "mlf.source.git.dirty").as_deref(), Some("false"));
    assert!(
        !artifact_files(&env, &id3)
            .iter()
            .any(|(p, _)| p == "source/diff.patch")
    );
}

#[test]
fn staged_changes_are_dirty_untracked_files_are_not() {
    let env = TestEnv::new();
    let dir = git_repo(&env);
    std::fs::write(dir.join("untracked.txt"), "scratch\n").unwrap();
    env.mlf(&["run", "--", "true"]).ok();
    let id = only_run(&env);
    assert_eq!(
        tag(&run_of(&env, &id), "mlf.source.git.dirty").as_deref(),
        Some("false"),
        "untracked files do not count"
    );

    std::fs::write(dir.join("new.txt"), "new content\n").unwrap();
    git(&dir, &["add", "new.txt"]);
    env.mlf(&["run", "--", "true"]).ok();
    let id2 = newest_run(&env, 2);
    assert_eq!(
        tag(&run_of(&env, &id2), "mlf.source.git.dirty").as_deref(),
        Some("true"),
        "a staged file counts"
    );
    let patch = artifact_text(&env, &id2, "source/diff.patch");
    assert!(patch.contains("+new content"), "{patch}");
    assert!(
        !patch.contains("scratch"),
        "untracked files are not in the diff: {patch}"
    );
}

#[test]
fn git_remote_url_is_recorded() {
    let env = TestEnv::new();
    let dir = git_repo(&env);
    git(
        &dir,
        &["remote", "add", "origin", "https://example.com/r.git"],
    );
    env.mlf(&["run", "--", "true"]).ok();
    let id = only_run(&env);
    assert_eq!(
        tag(&run_of(&env, &id), "mlflow.source.git.repoURL").as_deref(),
        Some("https://example.com/r.git")
    );
}

#[test]
fn detached_head_has_a_commit_but_no_branch() {
    let env = TestEnv::new();
    let dir = git_repo(&env);
    git(&dir, &["checkout", "-q", "--detach"]);
    env.mlf(&["run", "--", "true"]).ok();
    let run = run_of(&env, &only_run(&env));
    assert_eq!(
        tag(&run, "mlflow.source.git.commit").as_deref(),
        Some(git(&dir, &["rev-parse", "HEAD"]).as_str())
    );
    assert_eq!(tag(&run, "mlflow.source.git.branch"), None);
}

#[test]
fn outside_git_no_git_tags() {
    let env = TestEnv::new();
    env.mlf(&["run", "--", "true"]).ok();
    let run = run_of(&env, &only_run(&env));
    for key in [
        "mlflow.source.git.commit",
        "mlflow.source.git.branch",
        "mlflow.source.git.repoURL",
        "mlf.source.git.dirty",
    ] {
        assert_eq!(tag(&run, key), None, "{key}");
    }
}

#[test]
fn store_is_created_at_the_work_tree_root_and_excluded_from_git() {
    let env = TestEnv::new();
    let dir = git_repo(&env);
    let sub = dir.join("src").join("deep");
    std::fs::create_dir_all(&sub).unwrap();
    let out = env.mlf_in(&sub, &["run", "--", "true"]).ok();
    assert!(out.stderr.contains("Created store"), "{}", out.stderr);
    assert!(
        dir.join(".mlf").join("mlf.db").is_file(),
        "store at the work-tree root"
    );
    assert!(!sub.join(".mlf").exists(), "no store in the subdirectory");
    let exclude = std::fs::read_to_string(dir.join(".git/info/exclude")).unwrap();
    assert_eq!(
        exclude.lines().filter(|l| l.trim() == ".mlf/").count(),
        1,
        "{exclude}"
    );
    let status = git(&dir, &["status", "--porcelain", "--untracked-files=all"]);
    assert!(!status.contains(".mlf"), "git sees the store: {status}");

    // A second run from the subdirectory uses the same store and adds nothing.
    let out = env.mlf_in(&sub, &["run", "--", "true"]).ok();
    assert!(!out.stderr.contains("Created store"), "{}", out.stderr);
    let exclude2 = std::fs::read_to_string(dir.join(".git/info/exclude")).unwrap();
    assert_eq!(exclude2, exclude);
    assert_eq!(run_ids(&env).len(), 2, "both runs in the root store");
    // The git info of a run started in a subdirectory is the repository's.
    let run = run_of(&env, &newest_run(&env, 2));
    assert_eq!(
        tag(&run, "mlflow.source.git.commit").as_deref(),
        Some(git(&dir, &["rev-parse", "HEAD"]).as_str())
    );
}

// ----- run start / run end -----------------------------------------------------------------

#[test]
fn run_start_makes_an_active_run_that_log_writes_to() {
    let env = TestEnv::new();
    let out = env
        .mlf(&[
            "run", "start", "-n", "ci-run", "-p", "lr=0.1", "-t", "team=a",
        ])
        .ok();
    let id = out.stdout.trim().to_string();
    assert_eq!(out.stdout, format!("{id}\n"), "stdout is the id alone");
    assert_eq!(id.len(), 32);
    assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(only_run(&env), id);
    let run = run_of(&env, &id);
    assert_eq!(run["info"]["status"], "RUNNING");
    assert_eq!(run["info"]["run_name"], "ci-run");
    assert_eq!(param(&run, "lr").as_deref(), Some("0.1"));
    assert_eq!(tag(&run, "team").as_deref(), Some("a"));

    env.mlf(&["log", "metric", "loss", "0.5", "--step", "4"])
        .ok();
    assert_eq!(metric(&run_of(&env, &id), "loss"), Some((0.5, 4)));

    // Only one active run at a time.
    let out = env.mlf(&["run", "start"]).code(2);
    assert!(out.stderr.contains("still active"), "{}", out.stderr);
    assert_eq!(run_ids(&env).len(), 1, "the refused start made no run");

    let out = env.mlf(&["run", "end"]).ok();
    assert_eq!(out.stdout, "");
    let run = run_of(&env, &id);
    assert_eq!(run["info"]["status"], "FINISHED");
    assert!(run["info"]["end_time"].as_i64().is_some());

    // Nothing is active any more.
    let out = env.mlf(&["log", "metric", "loss", "0.4"]).code(2);
    assert!(out.stderr.contains("no run"), "{}", out.stderr);
    let out = env.mlf(&["run", "end"]).code(2);
    assert!(out.stderr.contains("hint:"), "{}", out.stderr);
    assert!(out.stderr.contains("mlf run start"), "{}", out.stderr);

    // A new run can start now.
    let id2 = env.start_run(&[]);
    assert_ne!(id2, id);
    env.mlf(&["run", "end", "--status", "failed"]).ok();
    assert_eq!(status(&env, &id2), "FAILED");
}

#[test]
fn run_end_with_no_run_is_a_usage_error() {
    let env = TestEnv::new();
    env.mlf(&["init"]).ok();
    let out = env.mlf(&["run", "end"]).code(2);
    assert!(out.stderr.contains("hint:"), "{}", out.stderr);
}

#[test]
fn run_end_by_id_and_already_ended_runs() {
    let env = TestEnv::new();
    let id = env.start_run(&[]);
    env.mlf(&["run", "end", "--run", &id, "--status", "killed"])
        .ok();
    assert_eq!(status(&env, &id), "KILLED");
    // Ending it by id also cleared the active run.
    env.start_run(&[]);
    let out = env.mlf(&["run", "end", "--run", &id]).code(2);
    assert!(out.stderr.contains("already ended"), "{}", out.stderr);
    assert_eq!(status(&env, &id), "KILLED", "unchanged");
    env.mlf(&["run", "end", "--status", "bogus"]).code(2);
}

#[test]
fn run_start_records_git_info() {
    let env = TestEnv::new();
    let dir = git_repo(&env);
    let id = env.start_run(&[]);
    let run = run_of(&env, &id);
    assert_eq!(
        tag(&run, "mlflow.source.git.commit").as_deref(),
        Some(git(&dir, &["rev-parse", "HEAD"]).as_str())
    );
    assert_eq!(tag(&run, "mlf.source.git.dirty").as_deref(), Some("false"));
    assert_eq!(tag(&run, "mlf.command"), None);
    env.mlf(&["run", "end"]).ok();
}

// ----- dead runs ---------------------------------------------------------------------------

#[test]
fn run_whose_mlf_process_died_is_dead_and_can_be_ended() {
    let env = TestEnv::new();
    let pid_file = env.dir.path().join("child.pid");
    // The child records its pid, then becomes `sleep` (same pid).
    let mut bg = Background::spawn(
        &env,
        &[
            "run",
            "-n",
            "doomed",
            "--",
            "sh",
            "-c",
            r#"echo $$ > "$1"; exec sleep 30"#,
            "sh",
            path_str(&pid_file),
        ],
    );
    let child_pid = wait_for_pid(&pid_file);
    send_signal(bg.pid(), "KILL");
    // Reap mlf, so that its pid is really gone (a zombie still exists).
    let st = bg.child().wait().unwrap();
    assert!(!st.success());
    send_signal(child_pid, "KILL");
    drop(bg);

    let id = only_run(&env);
    assert_eq!(
        listed_status(&env, &id),
        "RUNNING",
        "JSON keeps the stored status"
    );
    let table = env.mlf(&["runs", "list"]).ok().stdout;
    let row = table
        .lines()
        .find(|l| l.contains("doomed"))
        .unwrap_or_else(|| panic!("no row for the run:\n{table}"));
    assert!(row.split_whitespace().next() == Some("DEAD"), "{table}");
    assert_eq!(
        row.split_whitespace().nth(5),
        Some("?"),
        "a dead run's duration does not grow:\n{table}"
    );
    let shown = env.mlf(&["runs", "show", &id]).ok().stdout;
    assert!(shown.contains("is gone"), "{shown}");
    assert!(shown.contains("duration    unknown"), "{shown}");
    let status = env.mlf(&["status", "--format", "json"]).ok().json();
    assert_eq!(status["dead"][0]["run_id"], id.as_str(), "{status}");
    assert_eq!(status["running"].as_array().unwrap().len(), 0, "{status}");
    let status = env.mlf(&["status"]).ok().stdout;
    assert!(status.contains("dead (1)\n  doomed ("), "{status}");

    env.mlf(&["run", "end", "--run", &id, "--status", "killed"])
        .ok();
    assert_eq!(listed_status(&env, &id), "KILLED");
    let table = env.mlf(&["runs", "list"]).ok().stdout;
    let row = table.lines().find(|l| l.contains("doomed")).unwrap();
    assert!(row.split_whitespace().next() == Some("KILLED"), "{table}");
    assert!(!table.contains("DEAD"), "{table}");
}

#[test]
fn a_live_run_is_not_dead() {
    let env = TestEnv::new();
    let ready = env.dir.path().join("ready");
    let go = env.dir.path().join("go");
    let script = r#": > "$1"
i=0
while [ ! -e "$2" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done"#;
    let bg = Background::spawn(
        &env,
        &[
            "run",
            "-n",
            "alive",
            "--",
            "sh",
            "-c",
            script,
            "sh",
            path_str(&ready),
            path_str(&go),
        ],
    );
    assert!(wait_for_file(&ready));
    let table = env.mlf(&["runs", "list"]).ok().stdout;
    let row = table.lines().find(|l| l.contains("alive")).unwrap();
    assert_eq!(row.split_whitespace().next(), Some("RUNNING"), "{table}");
    // A run started by `mlf run start` has no owner process: never DEAD.
    env.start_run(&["-n", "manual"]);
    let table = env.mlf(&["runs", "list"]).ok().stdout;
    let row = table.lines().find(|l| l.contains("manual")).unwrap();
    assert_eq!(row.split_whitespace().next(), Some("RUNNING"), "{table}");
    std::fs::write(&go, "").unwrap();
    let out = bg.wait();
    assert_eq!(out.code, 0, "{out}");
}

#[test]
fn a_command_does_not_outlive_mlf_run_killed_with_sigkill() {
    let env = TestEnv::new();
    let pid_file = env.dir.path().join("pid");
    let gone = env.dir.path().join("gone");
    // The child records its pid, and notes SIGTERM if it gets one.
    let script = r#"trap 'echo TERM > "$2"; exit 143' TERM
echo $$ > "$1"
i=0
while [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done"#;
    let mut bg = Background::run_sh(&env, script, &[&pid_file, &gone]);
    assert!(wait_for_file(&pid_file), "the child never started");
    std::thread::sleep(Duration::from_millis(100));
    send_signal(bg.pid(), "KILL");
    let _ = bg.child().wait();
    // Within a few seconds the child got SIGTERM (it polls every 50 ms).
    let deadline = Instant::now() + WAIT;
    while !gone.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        std::fs::read_to_string(&gone).ok().as_deref(),
        Some("TERM\n"),
        "the command went on after mlf run was killed"
    );
}

/// `mlf run -- CMD 2>&1 | head`: once the reader is gone, what mlf cannot show is dropped; the
/// run is still recorded whole, its logs saved, and the command's exit code passed on (no
/// internal error).
#[test]
fn a_closed_stdout_and_stderr_are_not_an_internal_error() {
    let env = TestEnv::new();
    let code_file = env.cwd().join("code");
    let script = format!(
        "{{ '{mlf}' run --capture-metrics -- sh -c 'for i in $(seq 1 3000); do echo loss=0.$i; echo err $i >&2; done'; echo $? > '{code}'; }} 2>&1 | head -n 1",
        mlf = crate::support::mlf_bin(),
        code = code_file.display()
    );
    let mut cmd = std::process::Command::new("sh");
    cmd.args(["-c", &script]).current_dir(env.cwd());
    env.pin_env(&mut cmd);
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let code = std::fs::read_to_string(&code_file).unwrap();
    assert_eq!(code.trim(), "0", "{}", String::from_utf8_lossy(&out.stdout));
    let id = only_run(&env);
    assert_eq!(status(&env, &id), "FINISHED");
    assert_eq!(
        artifact_text(&env, &id, "logs/stderr.txt").lines().count(),
        3000
    );
}

/// `{key}` in the command is replaced by the `-p` value, which is what the run records and
/// what the command sees in `MLF_PARAM_<KEY>`.
#[test]
fn placeholders_in_the_command_take_the_param_values() {
    let env = TestEnv::new();
    let out = env
        .mlf(&[
            "run",
            "-p",
            "lr=0.01",
            "-p",
            "batch_size=32",
            "--",
            "sh",
            "-c",
            "echo lr={lr} bs={batch_size} env=$MLF_PARAM_LR other={x}",
        ])
        .ok();
    assert_eq!(out.stdout, "lr=0.01 bs=32 env=0.01 other={x}\n");
    assert!(!out.stderr.contains("warning"), "{out}");
    let run = run_of(&env, &only_run(&env));
    assert!(
        tag(&run, "mlf.command")
            .unwrap()
            .contains("echo lr=0.01 bs=32"),
        "{run}"
    );
}

/// A `-p` key the command also passes as a flag with another value is warned about; the same
/// value (directly or through `{key}`) is not.
#[test]
fn a_param_passed_as_a_flag_with_another_value_is_warned_about() {
    let env = TestEnv::new();
    let out = env
        .mlf(&[
            "run", "-p", "lr=0.01", "--", "sh", "-c", "true", "--lr", "0.1",
        ])
        .ok();
    assert!(
        out.stderr.contains(
            "warning: param `lr` is `0.01` but the command passes `--lr 0.1`: the run records `0.01`; write `--lr {lr}` to pass the param"
        ),
        "{out}"
    );
    for args in [
        &["--lr", "{lr}"][..],
        &["--lr=0.01"],
        &["--lr", "0.01"],
        &["--other", "0.1"],
    ] {
        let mut all = vec!["run", "-p", "lr=0.01", "--", "sh", "-c", "true"];
        all.extend_from_slice(args);
        let out = env.mlf(&all).ok();
        assert!(!out.stderr.contains("warning"), "{args:?}: {out}");
    }
    let out = env
        .mlf(&[
            "run",
            "-p",
            "batch_size=8",
            "--",
            "sh",
            "-c",
            "true",
            "--batch-size=16",
        ])
        .ok();
    assert!(out.stderr.contains("param `batch_size` is `8`"), "{out}");
}

/// `--help` says how params reach the command.
#[test]
fn run_help_names_the_param_variables_and_placeholders() {
    let env = TestEnv::new();
    let out = env.mlf(&["run", "--help"]).ok();
    assert!(out.stdout.contains("MLF_PARAM_<KEY>"), "{out}");
    assert!(out.stdout.contains("{lr}"), "{out}");
    let man = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("man/mlf-run.1"))
        .unwrap();
    assert!(man.contains("MLF_PARAM_"), "the man page");
}

#[test]
fn one_captured_metric_point_is_singular() {
    let env = TestEnv::new();
    let out = env
        .mlf(&[
            "run",
            "--capture-metrics",
            "--",
            "sh",
            "-c",
            "echo loss=0.5",
        ])
        .ok();
    assert!(
        out.stderr.contains("Captured 1 metric point from stdout"),
        "{out}"
    );
}
