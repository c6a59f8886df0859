//! `mlf run [OPTIONS] -- CMD [ARGS...]`: run a command as a tracked run.

use std::fs::File;
use std::io::{Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;

use crate::context::Ctx;
use crate::error::{CliResult, failure, usage_error};
use crate::process::{self, find_program, shell_quote};
use crate::store::{LogBatch, Store};
use crate::tracking::capture::{StepCounter, parse_line};
use crate::tracking::ids::now_ms;
use crate::tracking::{KeyValue, Metric, Owner, RunStatus, tags};
use crate::ui::format::{duration, short_id};
use crate::{env, error};

use super::SetupArgs;

pub fn run(ctx: &mut Ctx, setup: SetupArgs, capture: bool, command: Vec<String>) -> CliResult<u8> {
    let program = command
        .first()
        .ok_or_else(|| usage_error("no command given: write `mlf run -- CMD [ARGS...]`"))?;
    if find_program(program).is_none() {
        return Err(usage_error(format!("command `{program}` not found"))
            .hint("check the spelling, or give its path (`./train.sh`)"));
    }
    let display = command
        .iter()
        .map(|a| shell_quote(a))
        .collect::<Vec<_>>()
        .join(" ");
    let owner = Owner {
        pid: std::process::id(),
        host: crate::commands::runs::hostname(),
    };
    let run = super::create_run(ctx, &setup, Some(&display), Some(owner), false)?;
    let id = run.info.run_id.clone();
    let (store_root, artifact_dir) = {
        let store = ctx.store()?;
        (store.root().to_path_buf(), store.run_artifact_dir(&run))
    };
    ctx.ui.status(
        "Started",
        &format!(
            "run {} ({}) in experiment {}",
            run.info.run_name,
            short_id(&id),
            run.info.experiment_id
        ),
    );

    let mut cmd = Command::new(program);
    cmd.args(&command[1..])
        .stdin(Stdio::inherit())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env(env::MLF_RUN_ID, &id)
        .env(env::MLF_STORE, &store_root)
        .env(env::MLFLOW_RUN_ID, &id)
        .env(env::MLFLOW_EXPERIMENT_ID, &run.info.experiment_id);
    if env::var(env::PYTHONUNBUFFERED).is_none() {
        cmd.env(env::PYTHONUNBUFFERED, "1");
    }
    let mut all = serde_json::Map::new();
    for p in &run.data.params {
        cmd.env(param_var(&p.key), &p.value);
        all.insert(p.key.clone(), serde_json::Value::String(p.value.clone()));
    }
    cmd.env(env::MLF_PARAMS, serde_json::Value::Object(all).to_string());

    process::install_forwarding();
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            let _ = ctx
                .store()?
                .update_run(&id, RunStatus::Failed, Some(now_ms()));
            return Err(failure(format!("cannot start `{program}`: {e}")));
        }
    };
    process::set_child(child.id());
    let logs = artifact_dir.join("logs");
    let out_pipe = child.stdout.take().expect("piped stdout");
    let err_pipe = child.stderr.take().expect("piped stderr");
    let capture_to = capture.then(|| (store_root.clone(), id.clone()));
    let out_thread = thread::spawn({
        let path = logs.join("stdout.txt");
        move || relay(out_pipe, &path, Stream::Stdout, capture_to)
    });
    let err_thread = thread::spawn({
        let path = logs.join("stderr.txt");
        move || relay(err_pipe, &path, Stream::Stderr, None)
    });
    let status = child
        .wait()
        .map_err(|e| failure(format!("cannot wait for `{program}`: {e}")))?;
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
    let recorded = ctx.store().and_then(|store| {
        store.log_batch(
            &id,
            LogBatch {
                tags: outcome_tags,
                ..Default::default()
            },
        )?;
        store.update_run(&id, run_status, Some(end))?;
        Ok(())
    });
    if let Err(e) = recorded {
        ctx.ui.warn(&format!(
            "the end of run {} was not recorded: {e}",
            short_id(&id)
        ));
    }
    let took = duration(end - run.info.start_time);
    let name = &run.info.run_name;
    let short = short_id(&id);
    match captured {
        Ok(n) if n > 0 => ctx
            .ui
            .status("Captured", &format!("{n} metric points from stdout")),
        Ok(_) => {}
        Err(e) => ctx
            .ui
            .warn(&format!("metrics from stdout were not all saved: {e}")),
    }
    match run_status {
        RunStatus::Finished => ctx
            .ui
            .status("Finished", &format!("run {name} ({short}) in {took}")),
        RunStatus::Killed => ctx.ui.warn(&format!(
            "run {name} ({short}) was killed{} after {took}",
            signal
                .map(|s| format!(" by signal {s}"))
                .unwrap_or_default()
        )),
        _ => ctx.ui.warn(&format!(
            "run {name} ({short}) failed with exit code {code} after {took}"
        )),
    }
    Ok(code)
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
    stream: Stream,
    capture: Option<(PathBuf, String)>,
) -> Result<usize, error::CliError> {
    let mut file: Option<File> = None;
    let mut buf = vec![0u8; 16 * 1024];
    let mut pending: Vec<u8> = Vec::new();
    let mut capturer = match &capture {
        Some((root, id)) => Some((Store::open(root)?, id.clone(), StepCounter::default())),
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
            Stream::Stdout => {
                let mut o = std::io::stdout().lock();
                let _ = o.write_all(chunk).and_then(|_| o.flush());
            }
            Stream::Stderr => {
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
    store: &mut Store,
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
