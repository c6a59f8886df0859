//! The harness: run the real `mlf` binary in a temporary directory with a cleared environment.

use std::cell::Cell;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A temporary home and working directory, and how to run `mlf` in them.
pub struct TestEnv {
    pub dir: tempfile::TempDir,
    seed: Cell<u64>,
    extra: Vec<(String, String)>,
    /// A pinned clock: commands run at `CLOCK_START + seed × CLOCK_STEP` (see `pin_clock`).
    clock: bool,
}

/// Where a pinned clock starts: 2023-11-14 22:13:20 UTC.
pub const CLOCK_START: i64 = 1_700_000_000_000;
/// How far a pinned clock moves on between two commands.
pub const CLOCK_STEP: i64 = 1_000;

/// What a command did: exit code, stdout, stderr.
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl fmt::Display for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "[exit status: {}]\n----- stdout -----\n{}----- stderr -----\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

impl fmt::Debug for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Output {
    /// Asserts exit code 0 and returns self.
    #[track_caller]
    pub fn ok(self) -> Output {
        assert_eq!(self.code, 0, "expected success:\n{self}");
        self
    }

    /// Asserts the exit code and returns self.
    #[track_caller]
    pub fn code(self, code: i32) -> Output {
        assert_eq!(self.code, code, "expected exit code {code}:\n{self}");
        self
    }

    /// Parses stdout as JSON.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{self}"))
    }
}

pub fn mlf_bin() -> &'static str {
    env!("CARGO_BIN_EXE_mlf")
}

impl TestEnv {
    pub fn new() -> TestEnv {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("home")).unwrap();
        std::fs::create_dir_all(dir.path().join("work")).unwrap();
        TestEnv {
            dir,
            seed: Cell::new(1),
            extra: Vec::new(),
            clock: false,
        }
    }

    /// The working directory commands run in.
    pub fn cwd(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    /// The store `mlf` creates in the working directory.
    pub fn store(&self) -> PathBuf {
        self.cwd().join(".mlf")
    }

    /// Sets an environment variable for every later command.
    pub fn set(&mut self, key: &str, value: &str) {
        self.extra.push((key.to_string(), value.to_string()));
    }

    /// Pins the clock of every later command: the Nth command of the environment runs at
    /// `CLOCK_START + N × CLOCK_STEP`, so times and durations in snapshots are the same on every
    /// run. A test's own `MLF_TEST_NOW` for one command still wins.
    pub fn pin_clock(&mut self) {
        self.clock = true;
    }

    /// Sets the terminal width (`COLUMNS`) of every later command; the harness's is 200.
    pub fn columns(&mut self, columns: u16) {
        self.set("COLUMNS", &columns.to_string());
    }

    /// A `Command` for `mlf` with the cleared, pinned environment.
    pub fn command(&self, args: &[&str]) -> Command {
        self.command_in(&self.cwd(), args)
    }

    pub fn command_in(&self, cwd: &Path, args: &[&str]) -> Command {
        let mut cmd = Command::new(mlf_bin());
        let seed = self.seed.get();
        self.seed.set(seed + 1);
        cmd.args(args).current_dir(cwd);
        self.pin_env(&mut cmd);
        cmd.env("MLF_TEST_SEED", seed.to_string())
            .stdin(Stdio::null());
        if self.clock {
            let now = CLOCK_START + seed as i64 * CLOCK_STEP;
            cmd.env("MLF_TEST_NOW", now.to_string());
        }
        for (k, v) in &self.extra {
            cmd.env(k, v);
        }
        cmd
    }

    /// Clears `cmd`'s environment and sets the harness's pinned one: PATH, the temporary HOME,
    /// USER, no colour, 200 columns, no git configuration, UTC.
    pub fn pin_env(&self, cmd: &mut Command) {
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.dir.path().join("home"))
            .env("USER", "tester")
            .env("NO_COLOR", "1")
            .env("COLUMNS", "200")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("TZ", "UTC");
    }

    /// Runs `mlf ARGS` and captures its output.
    pub fn mlf(&self, args: &[&str]) -> Output {
        run(self.command(args))
    }

    /// Runs `mlf ARGS` in another directory.
    pub fn mlf_in(&self, cwd: &Path, args: &[&str]) -> Output {
        run(self.command_in(cwd, args))
    }

    /// Runs `mlf ARGS` with `input` on stdin.
    pub fn mlf_stdin(&self, args: &[&str], input: &str) -> Output {
        use std::io::Write;
        let mut cmd = self.command(args);
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn mlf");
        // A command that refuses its arguments exits without reading: that is not an error.
        match child.stdin.take().unwrap().write_all(input.as_bytes()) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => panic!("write stdin: {e}"),
            _ => {}
        }
        let out = child.wait_with_output().unwrap();
        to_output(out)
    }

    /// Runs `mlf ARGS` with its stdout on a pseudo-terminal of 100 × 30 (stdin empty, stderr a
    /// pipe): `stdout` is what the terminal showed, line ends as `\n`.
    pub fn mlf_tty(&self, args: &[&str]) -> Output {
        tty_run(self.command(args))
    }

    /// Writes an executable shell script under the temporary directory (outside the working
    /// directory) and returns its path.
    pub fn script(&self, name: &str, body: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let dir = self.dir.path().join("bin");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    /// Writes a file under the working directory.
    pub fn write(&self, rel: &str, text: &str) -> PathBuf {
        let path = self.cwd().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Starts a run with `mlf run start` and returns its id.
    pub fn start_run(&self, extra: &[&str]) -> String {
        let mut args = vec!["run", "start"];
        args.extend_from_slice(extra);
        self.mlf(&args).ok().stdout.trim().to_string()
    }

    /// A byte-for-byte picture of the store's database and artifacts, to check that a refused
    /// command changed nothing.
    pub fn snapshot_store(&self) -> String {
        let out = Command::new(mlf_bin())
            .args(["runs", "list", "--all", "--format", "json"])
            .current_dir(self.cwd())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .output()
            .unwrap();
        let exps = Command::new(mlf_bin())
            .args(["experiments", "list", "--all", "--format", "json"])
            .current_dir(self.cwd())
            .env_clear()
            .output()
            .unwrap();
        let mut files = Vec::new();
        walk(&self.store().join("artifacts"), &mut files);
        format!(
            "{}\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&exps.stdout),
            files.join("\n")
        )
    }
}

fn walk(dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else {
            let len = std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
            out.push(format!("{} {len}", p.display()));
        }
    }
}

pub fn run(mut cmd: Command) -> Output {
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    to_output(cmd.output().expect("run mlf"))
}

/// Runs `cmd` with its stdout on a new pseudo-terminal and captures what the terminal shows.
pub fn tty_run(mut cmd: Command) -> Output {
    use std::io::Read;
    let (controller, terminal) = mlf::sys::openpty(100, 30).expect("openpty");
    cmd.stdout(Stdio::from(terminal)).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn mlf");
    // The child (and its children) hold the terminal; the parent's copy went into `cmd`.
    drop(cmd);
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut file = std::fs::File::from(controller);
        let mut shown = Vec::new();
        let mut buf = [0u8; 4096];
        // Reading ends with EIO once every holder of the terminal end has closed it.
        while let Ok(n) = file.read(&mut buf) {
            if n == 0 {
                break;
            }
            shown.extend_from_slice(&buf[..n]);
        }
        shown
    });
    let mut err = Vec::new();
    stderr.read_to_end(&mut err).unwrap();
    let status = child.wait().unwrap();
    let shown = reader.join().unwrap();
    to_output(std::process::Output {
        status,
        stdout: String::from_utf8_lossy(&shown)
            .replace("\r\n", "\n")
            .into_bytes(),
        stderr: err,
    })
}

pub fn to_output(out: std::process::Output) -> Output {
    use std::os::unix::process::ExitStatusExt;
    Output {
        code: out
            .status
            .code()
            .unwrap_or_else(|| 128 + out.status.signal().unwrap_or(0)),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs `git ARGS` in `dir` with a fixed identity.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .expect("git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// `runs list --all --format json`, newest first.
pub fn runs(env: &TestEnv) -> Vec<serde_json::Value> {
    env.mlf(&["runs", "list", "--all", "--format", "json"])
        .ok()
        .json()["runs"]
        .as_array()
        .expect("runs is an array")
        .clone()
}

/// The ids of every run, newest first.
pub fn run_ids(env: &TestEnv) -> Vec<String> {
    runs(env)
        .iter()
        .map(|r| r["info"]["run_id"].as_str().unwrap().to_string())
        .collect()
}

/// The id of the only run of the store.
#[track_caller]
pub fn only_run(env: &TestEnv) -> String {
    let ids = run_ids(env);
    assert_eq!(ids.len(), 1, "expected exactly one run, got {ids:?}");
    ids[0].clone()
}

/// The id of the newest run, checking that there are `count` runs.
#[track_caller]
pub fn newest_run(env: &TestEnv, count: usize) -> String {
    let ids = run_ids(env);
    assert_eq!(ids.len(), count, "expected {count} runs, got {ids:?}");
    ids[0].clone()
}

/// Asserts that `mlf ARGS` is refused with exit code 2, an `error:` line and no change to the
/// store.
#[track_caller]
pub fn assert_refused(env: &TestEnv, args: &[&str]) -> Output {
    let before = env.snapshot_store();
    let out = env.mlf(args).code(2);
    assert!(out.stderr.contains("error:"), "no `error:` line:\n{out}");
    assert_eq!(
        env.snapshot_store(),
        before,
        "the store changed after a refused `mlf {}`",
        args.join(" ")
    );
    out
}

/// `runs show RUN --format json`, the `run` object.
#[track_caller]
pub fn run_of(env: &TestEnv, run: &str) -> serde_json::Value {
    env.mlf(&["runs", "show", run, "--format", "json"])
        .ok()
        .json()["run"]
        .clone()
}

/// The value of one param (or tag) of a run's JSON, if present.
#[track_caller]
fn kv(run: &serde_json::Value, section: &str, key: &str) -> Option<String> {
    run["data"][section]
        .as_array()
        .unwrap_or_else(|| panic!("data.{section} is not an array: {run}"))
        .iter()
        .find(|p| p["key"] == key)
        .map(|p| p["value"].as_str().expect("string value").to_string())
}

/// The value of one param of a run's JSON, if present.
#[track_caller]
pub fn param(run: &serde_json::Value, key: &str) -> Option<String> {
    kv(run, "params", key)
}

/// The value of one tag of a run's JSON, if present.
#[track_caller]
pub fn tag(run: &serde_json::Value, key: &str) -> Option<String> {
    kv(run, "tags", key)
}

/// The latest value and step of one metric of a run's JSON, if present.
#[track_caller]
pub fn metric(run: &serde_json::Value, key: &str) -> Option<(f64, i64)> {
    run["data"]["metrics"]
        .as_array()
        .unwrap_or_else(|| panic!("data.metrics is not an array: {run}"))
        .iter()
        .find(|m| m["key"] == key)
        .map(|m| (m["value"].as_f64().unwrap(), m["step"].as_i64().unwrap()))
}

/// The whole history of a metric, `(step, value)` sorted by step, from `mlf runs metric`.
#[track_caller]
pub fn history(env: &TestEnv, id: &str, key: &str) -> Vec<(i64, f64)> {
    let out = env
        .mlf(&["runs", "metric", id, key, "--format", "json"])
        .ok();
    let mut points: Vec<(i64, f64)> = out.json()["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["step"].as_i64().unwrap(), m["value"].as_f64().unwrap()))
        .collect();
    points.sort_by(|a, b| a.partial_cmp(b).unwrap());
    points
}

/// Runs `sqlite3 DB SQL`; `None` when there is no sqlite3 program.
pub fn sqlite(db: &Path, sql: &str) -> Option<String> {
    let out = Command::new("sqlite3").arg(db).arg(sql).output().ok()?;
    assert!(
        out.status.success(),
        "sqlite3: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8(out.stdout).unwrap())
}

/// Copies a directory tree.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

/// An HTTP answer: status, headers (names lower-cased) and the body, de-chunked.
pub struct HttpAnswer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Sends a whole HTTP/1.1 request (ending in `Connection: close`) on a fresh connection to
/// `addr` and reads the whole answer; `what` names the request in failures.
pub fn http_exchange(
    addr: &str,
    request: &[u8],
    timeout: std::time::Duration,
    what: &str,
) -> HttpAnswer {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr)
        .unwrap_or_else(|e| panic!("cannot connect to {addr}: {e}"));
    stream.set_read_timeout(Some(timeout)).unwrap();
    stream.set_write_timeout(Some(timeout)).unwrap();
    // The server may answer (and close) before reading all of a refused body.
    let _ = stream.write_all(request);
    let mut raw = Vec::new();
    if let Err(e) = stream.read_to_end(&mut raw) {
        if raw.is_empty() {
            panic!("no answer to {what}: {e}");
        }
    }
    parse_http(&raw).unwrap_or_else(|| {
        panic!(
            "not an HTTP response to {what}:\n{}",
            String::from_utf8_lossy(&raw)
        )
    })
}

/// Parses an HTTP/1.1 answer; `None` when it is not one.
pub fn parse_http(raw: &[u8]) -> Option<HttpAnswer> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut rest = raw[end + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let get = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    if get("transfer-encoding").is_some_and(|t| t.eq_ignore_ascii_case("chunked")) {
        let mut body = Vec::new();
        loop {
            let eol = rest.windows(2).position(|w| w == b"\r\n")?;
            let size_text = String::from_utf8_lossy(&rest[..eol]).into_owned();
            let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(rest.get(eol + 2..eol + 2 + size)?);
            rest = rest.get(eol + 2 + size + 2..)?.to_vec();
        }
        rest = body;
    } else if let Some(n) = get("content-length").and_then(|n| n.parse::<usize>().ok()) {
        if rest.len() < n {
            return None;
        }
        rest.truncate(n);
    }
    Some(HttpAnswer {
        status,
        headers,
        body: rest,
    })
}

// ---------------------------------------------------------------------------------------------
// Snapshots of console output

/// Asserts a command's whole console output (command line, exit code, stdout, stderr) against
/// the snapshot `tests/cli/snapshots/cli__MODULE__NAME.snap`, after `TestEnv::redact`; returns
/// the output for further checks. `snap!(NAME, env, [ARGS…])` runs `mlf ARGS`;
/// `snap!(NAME, env, [ARGS…], out)` checks an output the test got itself (another directory, a
/// one-off variable). Update snapshots with `INSTA_UPDATE=always cargo test --test cli`.
macro_rules! snap {
    ($name:expr, $env:expr, $args:expr) => {{
        let env: &$crate::support::TestEnv = &$env;
        let args: &[&str] = &$args;
        let out = env.mlf(args);
        $crate::support::snap!($name, env, $args, out)
    }};
    ($name:expr, $env:expr, $args:expr, $out:expr) => {{
        let env: &$crate::support::TestEnv = &$env;
        let args: &[&str] = &$args;
        let out: $crate::support::Output = $out;
        let text = env.transcript(args, &out);
        ::insta::with_settings!({ omit_expression => true }, {
            ::insta::assert_snapshot!($name, text);
        });
        out
    }};
}
pub(crate) use snap;

impl TestEnv {
    /// `$ mlf ARGS` and the output, redacted: what a snapshot holds.
    pub fn transcript(&self, args: &[&str], out: &Output) -> String {
        let line: Vec<String> = args.iter().map(|a| shell_word(a)).collect();
        self.redact(&format!("$ mlf {}\n{out}", line.join(" ")))
    }

    /// Replaces what differs between two runs of a test by stable names:
    /// - the full id of the store's Nth run (oldest first) by `[run-0N:id]`, its 8-character
    ///   short id by `[run-0N]` (as wide as what it replaces, so that tables stay aligned), a
    ///   prefix of another length L (6 to 31) by `[run-0N:L]`;
    /// - a 40-character git commit by `[commit]`;
    /// - the temporary directory of the environment by `[TMP]`;
    /// - without `pin_clock`, times (`2023-11-14 22:13:20`) by `YYYY-MM-DD hh:mm:ss`.
    pub fn redact(&self, text: &str) -> String {
        let ids = self.ids_oldest_first();
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find(|c: char| c.is_ascii_hexdigit()) {
            out.push_str(&rest[..start]);
            rest = &rest[start..];
            let len = rest
                .find(|c: char| !c.is_ascii_hexdigit())
                .unwrap_or(rest.len());
            let (word, after) = rest.split_at(len);
            // Only whole words: `abc` in `xabc` is not an id.
            let word_char = |c: char| c.is_ascii_alphanumeric() || c == '_';
            let whole = !out.ends_with(word_char) && !after.starts_with(word_char);
            let lower = word.to_ascii_lowercase();
            let run = ids.iter().position(|id| match len {
                32 => *id == lower,
                6..32 => id.starts_with(&lower),
                _ => false,
            });
            match run {
                Some(n) if whole && len == 32 => out.push_str(&format!("[run-{:02}:id]", n + 1)),
                Some(n) if whole && len == 8 => out.push_str(&format!("[run-{:02}]", n + 1)),
                Some(n) if whole => out.push_str(&format!("[run-{:02}:{len}]", n + 1)),
                _ if whole && len == 40 => out.push_str("[commit]"),
                _ => out.push_str(word),
            }
            rest = after;
        }
        out.push_str(rest);
        for dir in [
            self.dir.path().to_path_buf(),
            self.dir.path().canonicalize().unwrap(),
        ] {
            out = out.replace(dir.to_str().unwrap(), "[TMP]");
        }
        if !self.clock {
            out = redact_times(&out);
        }
        out
    }

    /// The ids of every run of the store, oldest first; none before there is a store.
    fn ids_oldest_first(&self) -> Vec<String> {
        if !self.store().exists() {
            return Vec::new();
        }
        let out = self.mlf(&["runs", "list", "--all", "--format", "json"]);
        if out.code != 0 {
            return Vec::new();
        }
        let mut runs = out.json()["runs"].as_array().cloned().unwrap_or_default();
        runs.reverse();
        runs.sort_by_key(|r| r["info"]["start_time"].as_i64());
        runs.iter()
            .map(|r| r["info"]["run_id"].as_str().unwrap().to_string())
            .collect()
    }
}

/// An argument as a shell would need it written.
fn shell_word(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=,@%+".contains(c));
    if plain {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

/// `YYYY-MM-DD HH:MM:SS` (digits) replaced by a placeholder as wide.
fn redact_times(text: &str) -> String {
    const SHAPE: &[u8] = b"dddd-dd-dd dd:dd:dd";
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let fits = bytes.len() - i >= SHAPE.len()
            && SHAPE.iter().zip(&bytes[i..]).all(|(s, b)| match s {
                b'd' => b.is_ascii_digit(),
                _ => s == b,
            });
        if fits {
            out.push_str("YYYY-MM-DD hh:mm:ss");
            i += SHAPE.len();
        } else {
            let c = text[i..].chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// The calls a stub executable recorded in `log` (argv[0], then each argument on its own
/// line, then `<end>`), in order; none when it was never called.
pub fn stub_calls(log: &Path) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let mut out = Vec::new();
    let mut cur = Vec::new();
    for line in text.lines() {
        if line == "<end>" {
            out.push(std::mem::take(&mut cur));
        } else {
            cur.push(line.to_string());
        }
    }
    assert!(cur.is_empty(), "a truncated stub call: {cur:?}");
    out
}

/// Stops `child` and removes `dir` once this test process is gone: a watchdog shell that
/// outlives it on purpose (the servers the tests share have no other owner).
pub fn stop_when_done(child: std::process::Child, dir: &Path) {
    let stop = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; kill {child}; sleep 1; kill -9 {child}; rm -rf '{dir}'",
        pid = std::process::id(),
        child = child.id(),
        dir = dir.display(),
    );
    // Nobody waits for it.
    #[allow(clippy::zombie_processes)]
    Command::new("sh")
        .args(["-c", &stop])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn a watchdog");
    std::mem::forget(child);
}
