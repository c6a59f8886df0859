//! Launching the process of a run: the tracking environment (`MLF_RUN_ID`, `MLF_STORE`,
//! `MLFLOW_*`, params), its output streamed and saved as `logs/stdout.txt` and
//! `logs/stderr.txt`, metrics captured from stdout, signals passed on, and the end recorded.
//! Shared by `mlf run` and `mlf project run`.

use std::fs::File;
use std::io::{Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use crate::artifacts::Repo;
use crate::env;
use crate::error::{self, CliResult, failure};
use crate::process;
use crate::store::{Backend, LogBatch, Store};
use crate::tracking::capture::{StepCounter, parse_line};
use crate::tracking::ids::now_ms;
use crate::tracking::{KeyValue, Metric, Run, RunStatus, tags};

/// Where a launched run is tracked: a local store, or a tracking server.
#[derive(Debug, Clone)]
pub enum Tracking {
    Local(PathBuf),
    Remote(String),
    /// A database store (its URI), opened from a directory (for a relative artifact root).
    Database(String, PathBuf),
}

impl Tracking {
    /// A fresh handle on the store (each thread opens its own).
    pub fn open(&self) -> CliResult<Box<dyn Backend>> {
        match self {
            Tracking::Local(root) => Ok(Box::new(Store::open(root)?)),
            Tracking::Remote(uri) => crate::commands::context::open_remote(uri),
            Tracking::Database(uri, cwd) => crate::commands::context::open_database(uri, cwd),
        }
    }
}

/// What to start for a run.
#[derive(Debug, Clone)]
pub struct Launch {
    pub program: String,
    pub args: Vec<String>,
    /// Working directory [default: the current one].
    pub cwd: Option<PathBuf>,
    /// Extra environment, after the tracking variables.
    pub env: Vec<(String, String)>,
    /// Record `key=value` lines of stdout as metrics.
    pub capture: bool,
    /// Relay the output to our stdout and stderr (else only save it).
    pub echo: bool,
    /// Log system metrics at this interval while the command runs.
    pub system_metrics: Option<Duration>,
    /// Which of the child's streams are a pseudo-terminal rather than a pipe.
    pub tty: Tty,
}

/// Which of a child's output streams get a pseudo-terminal of their own (its output is still
/// read by mlf, relayed and saved): libraries then print colours and progress bars as they do
/// in a terminal.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tty {
    pub stdout: bool,
    pub stderr: bool,
}

/// A pipe-like reader for one of the child's streams: the controller of its pseudo-terminal,
/// and the terminal end the child gets.
fn pty_stream() -> CliResult<(File, Stdio)> {
    let (cols, rows) = crate::sys::terminal_size().unwrap_or((80, 24));
    let (controller, terminal) = crate::sys::openpty(cols, rows).map_err(|e| {
        failure(format!(
            "cannot open a pseudo-terminal for the command: {e}"
        ))
    })?;
    crate::sys::raw_output(&terminal)
        .map_err(|e| failure(format!("cannot set up the pseudo-terminal: {e}")))?;
    Ok((File::from(controller), Stdio::from(terminal)))
}

/// The child's end of one output stream, and what mlf reads it from.
enum Reader {
    Pipe,
    Pty(File),
}

/// How a launched run ended.
#[derive(Debug)]
pub struct Outcome {
    pub status: RunStatus,
    /// The exit code to pass on (128+N for signal N).
    pub code: u8,
    pub signal: Option<i32>,
    /// Metric points captured from stdout.
    pub captured: Result<usize, error::CliError>,
    /// End time (ms).
    pub end: i64,
    /// The end could not be recorded.
    pub record_error: Option<error::CliError>,
    /// System metric samples logged (with `system_metrics`), or why logging them stopped.
    pub system: Option<Result<usize, error::CliError>>,
}

/// Runs the process of `run` and records how it ended. Its output is saved as it streams into
/// a local store's artifacts; a tracking server gets the logs uploaded at the end.
pub fn execute(tracking: &Tracking, run: &Run, launch: Launch) -> CliResult<Outcome> {
    let id = run.info.run_id.clone();
    let repo = tracking.open()?.artifacts(run)?;
    // Logs go straight into local artifacts; for a server, into a scratch folder first.
    let (artifact_dir, scratch) = match repo.local_root() {
        Some(root) => (root.to_path_buf(), None),
        None => {
            let dir = std::env::temp_dir().join(format!("mlf-logs-{}-{id}", std::process::id()));
            (dir.clone(), Some(dir))
        }
    };
    let mut cmd = Command::new(&launch.program);
    cmd.args(&launch.args)
        .stdin(if launch.echo {
            Stdio::inherit()
        } else {
            Stdio::null()
        })
        .env(env::MLF_RUN_ID, &id)
        .env(env::MLFLOW_RUN_ID, &id)
        .env(env::MLFLOW_EXPERIMENT_ID, &run.info.experiment_id);
    if let Some(dir) = &launch.cwd {
        cmd.current_dir(dir);
    }
    // If mlf is killed (even with SIGKILL), the command gets SIGTERM instead of logging on
    // into a run nobody watches.
    crate::sys::end_with_parent(&mut cmd);
    if env::var(env::PYTHONUNBUFFERED).is_none() {
        cmd.env(env::PYTHONUNBUFFERED, "1");
    }
    let mut all = serde_json::Map::new();
    for p in &run.data.params {
        cmd.env(param_var(&p.key), &p.value);
        all.insert(p.key.clone(), serde_json::Value::String(p.value.clone()));
    }
    cmd.env(env::MLF_PARAMS, serde_json::Value::Object(all).to_string());
    // The mlflow client in the child logs into this run through a server on a loopback port
    // (unless the user points it at a tracking server of their own).
    let _server = match tracking {
        Tracking::Remote(uri) => {
            cmd.env(env::MLF_TRACKING_URI, uri)
                .env(env::MLFLOW_TRACKING_URI, uri)
                .env_remove(env::MLF_STORE);
            None
        }
        // The child's `mlf` commands log into the same database; an mlflow client in it needs
        // a tracking server of the user's own (the embedded one serves a store directory).
        Tracking::Database(uri, _) => {
            cmd.env(env::MLF_STORE, uri);
            None
        }
        Tracking::Local(store_root) => {
            cmd.env(env::MLF_STORE, store_root);
            match env::var(env::MLFLOW_TRACKING_URI).filter(|u| crate::remote::is_remote_uri(u)) {
                Some(_) => None,
                None => match crate::server::Embedded::start(store_root) {
                    Ok(server) => {
                        cmd.env(env::MLFLOW_TRACKING_URI, &server.url);
                        Some(server)
                    }
                    Err(_) => None,
                },
            }
        }
    };
    for (k, v) in &launch.env {
        cmd.env(k, v);
    }
    let mut out_reader = Reader::Pipe;
    let mut err_reader = Reader::Pipe;
    if launch.tty.stdout {
        let (reader, end) = pty_stream()?;
        cmd.stdout(end);
        out_reader = Reader::Pty(reader);
    } else {
        cmd.stdout(Stdio::piped());
    }
    if launch.tty.stderr {
        let (reader, end) = pty_stream()?;
        cmd.stderr(end);
        err_reader = Reader::Pty(reader);
    } else {
        cmd.stderr(Stdio::piped());
    }
    process::install_forwarding();
    let spawned = cmd.spawn();
    // The terminal ends belong to the child now: reading ends when it (and its children)
    // close them.
    drop(cmd);
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) => {
            if let Ok(mut store) = tracking.open() {
                let _ = store.update_run(&id, RunStatus::Failed, Some(now_ms()));
            }
            return Err(failure(format!("cannot start `{}`: {e}", launch.program)));
        }
    };
    let pid = child.id();
    process::add_child(pid);
    let logs = artifact_dir.join("logs");
    let out_pipe: Box<dyn Read + Send> = match out_reader {
        Reader::Pty(f) => Box::new(f),
        Reader::Pipe => Box::new(child.stdout.take().expect("piped stdout")),
    };
    let err_pipe: Box<dyn Read + Send> = match err_reader {
        Reader::Pty(f) => Box::new(f),
        Reader::Pipe => Box::new(child.stderr.take().expect("piped stderr")),
    };
    let capture_to = launch.capture.then(|| (tracking.clone(), id.clone()));
    let echo = launch.echo;
    let out_thread = thread::spawn({
        let path = logs.join("stdout.txt");
        move || relay(out_pipe, &path, echo.then_some(Stream::Stdout), capture_to)
    });
    let err_thread = thread::spawn({
        let path = logs.join("stderr.txt");
        move || relay(err_pipe, &path, echo.then_some(Stream::Stderr), None)
    });
    let sampler = launch
        .system_metrics
        .map(|every| start_sampler(tracking.clone(), id.clone(), pid, every));
    let waited = child.wait();
    process::remove_child(pid);
    let system = sampler.map(|(stop, handle)| {
        drop(stop);
        handle.join().unwrap_or(Ok(0))
    });
    let status =
        waited.map_err(|e| failure(format!("cannot wait for `{}`: {e}", launch.program)))?;
    let captured = out_thread.join().unwrap_or(Ok(0));
    let _ = err_thread.join();

    let end = now_ms();
    let (run_status, code, signal) = match (status.code(), status.signal()) {
        (Some(0), _) => (RunStatus::Finished, 0u8, None),
        (Some(c), _) if process::signal_arrived() => (RunStatus::Killed, c as u8, None),
        (Some(c), _) => (RunStatus::Failed, c as u8, None),
        (None, Some(sig)) => (RunStatus::Killed, (128 + sig) as u8, Some(sig)),
        (None, None) => (RunStatus::Failed, 1, None),
    };
    let mut outcome_tags = vec![KeyValue {
        key: tags::EXIT_CODE.into(),
        value: code.to_string(),
    }];
    if let Some(sig) = signal {
        outcome_tags.push(KeyValue {
            key: tags::SIGNAL.into(),
            value: sig.to_string(),
        });
    }
    // The command has run: whatever happens to the record, its exit code is passed on.
    let recorded = (|| -> CliResult<()> {
        let mut store = tracking.open()?;
        if let Some(dir) = &scratch {
            upload_logs(&repo, dir);
            let _ = std::fs::remove_dir_all(dir);
        }
        store.log_batch(
            &id,
            LogBatch {
                tags: outcome_tags,
                ..Default::default()
            },
        )?;
        store.update_run(&id, run_status, Some(end))?;
        Ok(())
    })();
    Ok(Outcome {
        status: run_status,
        code,
        signal,
        captured,
        end,
        record_error: recorded.err(),
        system,
    })
}

/// The interval of system metrics for a run: `--system-metrics[=INTERVAL]`, else
/// `MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING=true`; the default interval is
/// `MLFLOW_SYSTEM_METRICS_SAMPLING_INTERVAL` seconds, else 10 s.
pub fn system_metrics_interval(flag: Option<&str>) -> CliResult<Option<Duration>> {
    let default = || -> CliResult<Duration> {
        match env::var(env::MLFLOW_SYSTEM_METRICS_SAMPLING_INTERVAL) {
            Some(v) => parse_interval(&v).map_err(|e| {
                error::usage_error(format!(
                    "{e} (from `{}`)",
                    env::MLFLOW_SYSTEM_METRICS_SAMPLING_INTERVAL
                ))
            }),
            None => Ok(Duration::from_secs(10)),
        }
    };
    match flag {
        Some("") => Ok(Some(default()?)),
        Some(v) => Ok(Some(parse_interval(v).map_err(error::usage_error)?)),
        None => {
            let on = env::var(env::MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING)
                .is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1");
            if on { Ok(Some(default()?)) } else { Ok(None) }
        }
    }
}

/// `10`, `10s`, `500ms`, `2m`: a sampling interval of at least 100 ms.
fn parse_interval(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (num, unit) = match t.find(|c: char| !(c.is_ascii_digit() || c == '.')) {
        Some(i) => t.split_at(i),
        None => (t, "s"),
    };
    let n: f64 = num.parse().map_err(|_| bad_interval(text))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        _ => return Err(bad_interval(text)),
    };
    if !(0.1..=86_400.0).contains(&secs) {
        return Err(bad_interval(text));
    }
    Ok(Duration::from_secs_f64(secs))
}

fn bad_interval(text: &str) -> String {
    format!(
        "invalid system metrics interval `{text}`: give seconds (`5`, `5s`), `500ms` or `1m`, at least 100ms"
    )
}

/// Samples system metrics every `every` on a thread of its own and logs them to the run
/// (steps 0, 1, … as MLflow's), until the sender is dropped.
fn start_sampler(
    tracking: Tracking,
    id: String,
    pid: u32,
    every: Duration,
) -> (
    mpsc::Sender<()>,
    thread::JoinHandle<Result<usize, error::CliError>>,
) {
    let (stop, stopped) = mpsc::channel::<()>();
    let handle = thread::spawn(move || {
        let mut sampler = crate::tracking::system::Sampler::new(pid);
        let mut store = tracking.open()?;
        let mut step = 0i64;
        while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(every) {
            let now = now_ms();
            let metrics: Vec<Metric> = sampler
                .sample()
                .into_iter()
                .map(|(key, value)| Metric {
                    key,
                    value,
                    timestamp: now,
                    step,
                })
                .collect();
            store.log_batch(
                &id,
                LogBatch {
                    metrics,
                    ..Default::default()
                },
            )?;
            step += 1;
        }
        Ok(step as usize)
    });
    (stop, handle)
}

/// Uploads the saved output of a run (`logs/…`) to its remote artifacts.
fn upload_logs(repo: &Repo, dir: &Path) {
    for name in ["stdout.txt", "stderr.txt"] {
        let from = dir.join("logs").join(name);
        if let Ok(meta) = std::fs::metadata(&from) {
            let item = crate::artifacts::CopyItem {
                from,
                to: Path::new("logs").join(name),
                size: meta.len(),
            };
            let _ = repo.put(&item, &mut |_| {});
        }
    }
}

/// `MLF_PARAM_<KEY>`: the key upper-cased, anything but letters and digits as `_`.
pub fn param_var(key: &str) -> String {
    let mut name = String::from(env::MLF_PARAM_PREFIX);
    name.extend(key.chars().map(|c| {
        if c.is_ascii_alphanumeric() {
            c.to_ascii_uppercase()
        } else {
            '_'
        }
    }));
    name
}

#[derive(Clone, Copy)]
enum Stream {
    Stdout,
    Stderr,
}

/// Copies a child's stream to ours and to a log file as it comes; with `capture`, logs the
/// metric lines of it to the run. Returns how many metric points were captured.
fn relay(
    mut pipe: impl Read,
    path: &Path,
    stream: Option<Stream>,
    capture: Option<(Tracking, String)>,
) -> Result<usize, error::CliError> {
    let mut file: Option<File> = None;
    let mut buf = vec![0u8; 16 * 1024];
    let mut pending: Vec<u8> = Vec::new();
    let mut capturer = match &capture {
        Some((tracking, id)) => Some((tracking.open()?, id.clone(), StepCounter::default())),
        None => None,
    };
    let mut points = 0usize;
    let mut failed: Option<error::CliError> = None;
    loop {
        let n = match pipe.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        let chunk = &buf[..n];
        match stream {
            None => {}
            Some(Stream::Stdout) => {
                let mut o = std::io::stdout().lock();
                let _ = o.write_all(chunk).and_then(|_| o.flush());
            }
            Some(Stream::Stderr) => {
                let mut e = std::io::stderr().lock();
                let _ = e.write_all(chunk).and_then(|_| e.flush());
            }
        }
        if file.is_none() {
            if let Some(parent) = path.parent() {
                let _ = std::fs::create_dir_all(parent);
            }
            file = File::create(path).ok();
        }
        if let Some(f) = file.as_mut() {
            let _ = f.write_all(chunk);
        }
        if let Some((store, id, counter)) = capturer.as_mut() {
            pending.extend_from_slice(chunk);
            while let Some(pos) = pending.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = pending.drain(..=pos).collect();
                if failed.is_none() {
                    match capture_line(store, id, counter, &line) {
                        Ok(k) => points += k,
                        Err(e) => failed = Some(e),
                    }
                }
            }
        }
    }
    if let Some((store, id, counter)) = capturer.as_mut() {
        if !pending.is_empty() && failed.is_none() {
            points += capture_line(store, id, counter, &pending)?;
        }
    }
    match failed {
        Some(e) => Err(e),
        None => Ok(points),
    }
}

fn capture_line(
    store: &mut Box<dyn Backend>,
    id: &str,
    counter: &mut StepCounter,
    line: &[u8],
) -> CliResult<usize> {
    let text = String::from_utf8_lossy(line);
    let Some(parsed) = parse_line(text.trim_end()) else {
        return Ok(0);
    };
    let now = now_ms();
    let metrics: Vec<Metric> = counter
        .points(parsed)
        .into_iter()
        .map(|(key, value, step)| Metric {
            key,
            value,
            timestamp: now,
            step,
        })
        .collect();
    let n = metrics.len();
    store.log_batch(
        id,
        LogBatch {
            metrics,
            ..Default::default()
        },
    )?;
    Ok(n)
}
