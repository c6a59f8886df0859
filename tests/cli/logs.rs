//! A run's saved output, through the binary: `runs logs [RUN] [--stderr] [-f]`,
//! `artifacts get PATH -o -`, and the stderr tail in `runs show` of a failed run.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::TestEnv;

fn failed_run() -> TestEnv {
    let env = TestEnv::new();
    env.mlf(&[
        "run",
        "--",
        "sh",
        "-c",
        "echo out1; echo out2; for i in $(seq 1 15); do echo err$i >&2; done; exit 3",
    ])
    .code(3);
    env
}

#[test]
fn runs_logs_prints_the_saved_stdout_or_stderr() {
    let env = failed_run();
    let out = env.mlf(&["runs", "logs"]).ok();
    assert_eq!(out.stdout, "out1\nout2\n");
    let out = env.mlf(&["runs", "logs", "@", "--stderr"]).ok();
    assert_eq!(out.stdout.lines().count(), 15);
    assert!(out.stdout.starts_with("err1\n"), "{out}");
    // A run without saved output says so on stderr.
    env.start_run(&[]);
    let out = env.mlf(&["runs", "logs"]).ok();
    assert_eq!(out.stdout, "");
    assert!(out.stderr.contains("No output"), "{out}");
}

#[test]
fn runs_show_of_a_failed_run_ends_with_its_stderr_tail() {
    let env = failed_run();
    let out = env.mlf(&["runs", "show"]).ok();
    let tail = out
        .stdout
        .split("\nstderr (last lines")
        .nth(1)
        .expect("a stderr section");
    assert!(
        tail.contains("  err15\n") && tail.contains("  err6\n"),
        "{out}"
    );
    assert!(!tail.contains("err5\n"), "ten lines only:\n{out}");
    // A finished run shows none.
    env.mlf(&["run", "--", "sh", "-c", "echo fine >&2"]).ok();
    let out = env.mlf(&["runs", "show"]).ok();
    assert!(!out.stdout.contains("\nstderr"), "{out}");
}

#[test]
fn artifacts_get_to_stdout() {
    let env = failed_run();
    let out = env
        .mlf(&[
            "artifacts",
            "get",
            "logs/stdout.txt",
            "-o",
            "-",
            "--run",
            "@",
        ])
        .ok();
    assert_eq!(out.stdout, "out1\nout2\n");
    assert!(!env.cwd().join("-").exists());
    assert!(!env.cwd().join("stdout.txt").exists());
    let out = env
        .mlf(&["artifacts", "get", "logs", "-o", "-", "--run", "@"])
        .code(2);
    assert!(out.stderr.contains("is a directory"), "{out}");
}

#[test]
fn runs_logs_follows_a_running_run_until_it_ends() {
    let env = TestEnv::new();
    let mut cmd = env.command(&[
        "run",
        "--",
        "sh",
        "-c",
        "echo first; while [ ! -f go ]; do sleep 0.05; done; echo second",
    ]);
    cmd.stdout(Stdio::null()).stderr(Stdio::null());
    let mut run = cmd.spawn().unwrap();
    let t0 = Instant::now();
    while env.mlf(&["runs", "logs"]).stdout != "first\n" {
        assert!(t0.elapsed() < Duration::from_secs(20), "no output saved");
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut follow = env.command(&["runs", "logs", "-f"]);
    follow.stdout(Stdio::piped()).stderr(Stdio::piped());
    let follow = follow.spawn().unwrap();
    std::thread::sleep(Duration::from_millis(500));
    std::fs::write(env.cwd().join("go"), "").unwrap();
    assert!(run.wait().unwrap().success());
    let out = follow.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), "first\nsecond\n");
}
