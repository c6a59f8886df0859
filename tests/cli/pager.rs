//! The pager: long output on a terminal goes through `$MLF_PAGER`, then `$PAGER`, then
//! `less -FRX`; never when stdout is no terminal, nor with `--no-pager`. Driven through a
//! pseudo-terminal, with a stub pager that records its arguments and input.

use std::path::PathBuf;

use crate::support::TestEnv;

/// A store with three finished runs, `a`, `b`, `c`.
fn three_runs() -> TestEnv {
    let mut env = TestEnv::new();
    env.pin_clock();
    for (name, lr) in [("a", "1"), ("b", "2"), ("c", "3")] {
        env.start_run(&["-n", name, "-p", &format!("lr={lr}")]);
        env.mlf(&["log", "metric", "loss", lr]).ok();
        env.mlf(&["run", "end"]).ok();
    }
    env
}

/// A stub pager named `name` that writes its arguments to `NAME.args` and its input to
/// `NAME.in` beside it, and prints `paged` to the terminal.
fn stub_pager(env: &TestEnv, name: &str) -> (PathBuf, PathBuf, PathBuf) {
    let dir = env.dir.path().join("bin");
    let args = dir.join(format!("{name}.args"));
    let input = dir.join(format!("{name}.in"));
    let path = env.script(
        name,
        &format!(
            "printf '%s\\n' \"$*\" > '{}'\ncat > '{}'\necho \"paged LESS=$LESS\"",
            args.display(),
            input.display()
        ),
    );
    (path, args, input)
}

#[test]
fn long_output_on_a_terminal_goes_through_mlf_pager() {
    let mut env = three_runs();
    let (pager, args, input) = stub_pager(&env, "pg");
    env.set("MLF_PAGER", &format!("{} --flag", pager.display()));
    env.set("PAGER", "/nonexistent/pager");
    for cmd in [
        vec!["runs", "list"],
        vec!["runs", "show"],
        vec!["runs", "diff"],
        vec!["runs", "metric", "c", "loss"],
    ] {
        let _ = std::fs::remove_file(&input);
        let out = env.mlf_tty(&cmd).ok();
        assert_eq!(out.stdout.trim(), "paged LESS=FRX", "{cmd:?}: {out}");
        assert_eq!(std::fs::read_to_string(&args).unwrap().trim(), "--flag");
        let paged = std::fs::read_to_string(&input).unwrap();
        assert!(!paged.is_empty(), "{cmd:?} sent nothing to the pager");
        // What is paged is what the command prints without a pager.
        let plain = env
            .mlf_tty(&[&["--no-pager"], cmd.as_slice()].concat())
            .ok();
        assert_eq!(plain.stdout, paged, "{cmd:?}");
    }
    let paged = std::fs::read_to_string(&input).unwrap();
    assert!(paged.contains("STEP"), "{paged}");
}

#[test]
fn pager_falls_back_to_pager_then_less_and_keeps_less_options() {
    let mut env = three_runs();
    let (pager, args, input) = stub_pager(&env, "pg");
    env.set("PAGER", &pager.display().to_string());
    env.set("LESS", "-S");
    let out = env.mlf_tty(&["runs", "list"]).ok();
    assert_eq!(out.stdout.trim(), "paged LESS=-S", "{out}");
    assert!(std::fs::read_to_string(&input).unwrap().contains("NAME"));
    assert_eq!(std::fs::read_to_string(&args).unwrap().trim(), "");

    // Neither set: `less -FRX`, found on PATH.
    let mut env = three_runs();
    let (_, args, input) = stub_pager(&env, "less");
    let bin = env.dir.path().join("bin");
    env.set(
        "PATH",
        &format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
    );
    let out = env.mlf_tty(&["runs", "list"]).ok();
    assert_eq!(out.stdout.trim(), "paged LESS=FRX", "{out}");
    assert_eq!(std::fs::read_to_string(&args).unwrap().trim(), "-FRX");
    assert!(std::fs::read_to_string(&input).unwrap().contains("NAME"));
}

#[test]
fn no_pager_when_turned_off_or_not_a_terminal() {
    let mut env = three_runs();
    let (pager, _, input) = stub_pager(&env, "pg");
    env.set("MLF_PAGER", &pager.display().to_string());
    // `--no-pager`: straight to the terminal.
    let out = env.mlf_tty(&["--no-pager", "runs", "list"]).ok();
    assert!(out.stdout.contains("NAME"), "{out}");
    assert!(!input.exists());
    // Not a terminal: never paged.
    let out = env.mlf(&["runs", "list"]).ok();
    assert!(out.stdout.contains("NAME"), "{out}");
    assert!(!input.exists());
    // `MLF_PAGER=` (empty) and `cat` turn it off.
    for off in ["", "cat"] {
        env.set("MLF_PAGER", off);
        let out = env.mlf_tty(&["runs", "list"]).ok();
        assert!(out.stdout.contains("NAME"), "{off:?}: {out}");
        assert!(!input.exists());
    }
    // A dumb terminal gets no pager.
    env.set("TERM", "dumb");
    let out = env.mlf_tty(&["runs", "list"]).ok();
    assert!(out.stdout.contains("NAME"), "{out}");
    assert!(!input.exists());
    env.set("TERM", "xterm");
    // Short commands that are not long output are never paged.
    env.set("MLF_PAGER", &pager.display().to_string());
    env.mlf_tty(&["experiments", "list"]).ok();
    assert!(!input.exists());
}

#[test]
fn a_pager_that_cannot_start_leaves_the_output_on_the_terminal() {
    let mut env = three_runs();
    env.set("MLF_PAGER", "/nonexistent/pager");
    let out = env.mlf_tty(&["runs", "list"]);
    // `sh -c` starts and says why the pager did not; the command still succeeds.
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stderr.contains("/nonexistent/pager"), "{out}");
}

#[test]
fn runs_list_on_a_terminal_shows_the_first_hundred_runs() {
    let env = TestEnv::new();
    env.mlf(&[
        "generate",
        "store",
        "--runs",
        "105",
        "--params",
        "1",
        "--metrics",
        "1",
        "--steps",
        "1",
        "--tags",
        "0",
    ])
    .ok();
    let out = env
        .mlf_tty(&["--no-pager", "runs", "list", "--columns", "x"])
        .ok();
    let rows = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("FINISHED"))
        .count();
    assert_eq!(rows, 100, "{out}");
    assert!(
        out.stderr.contains(
            "the first 100 runs are shown on a terminal: `-n N` shows N, `-n 100 --page-token "
        ),
        "{out}"
    );
    // `-n` wins; not a terminal lists all.
    let out = env
        .mlf_tty(&["--no-pager", "runs", "list", "-n", "3", "--columns", "x"])
        .ok();
    assert_eq!(
        out.stdout
            .lines()
            .filter(|l| l.starts_with("FINISHED"))
            .count(),
        3
    );
    let out = env.mlf(&["runs", "list", "--columns", "x"]).ok();
    assert_eq!(
        out.stdout
            .lines()
            .filter(|l| l.starts_with("FINISHED"))
            .count(),
        105
    );
}
