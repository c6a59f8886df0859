//! `mlf run --tty`: the command gets a pseudo-terminal for its output (automatically when
//! mlf's own output is a terminal), and its output is still relayed and saved as written.

use crate::support::TestEnv;

/// A command that says which of its streams are terminals.
const PROBE: &str =
    "test -t 1 && echo out-is-tty; test -t 2 && echo err-is-tty >&2; printf 'a\\nb\\n'";

fn logs(env: &TestEnv, name: &str, stderr: bool) -> String {
    let mut args = vec!["runs", "logs", name];
    if stderr {
        args.push("--stderr");
    }
    env.mlf(&args).ok().stdout
}

#[test]
fn on_a_terminal_the_command_gets_one_and_its_output_is_saved() {
    let env = TestEnv::new();
    // mlf's stdout is a terminal, its stderr a pipe: the command sees the same.
    let out = env
        .mlf_tty(&["run", "-n", "auto", "--", "sh", "-c", PROBE])
        .ok();
    assert_eq!(out.stdout, "out-is-tty\na\nb\n", "{out}");
    assert!(!out.stderr.contains("err-is-tty"), "{out}");
    // Saved as the command wrote it: no `\r\n` from the terminal.
    assert_eq!(logs(&env, "auto", false), "out-is-tty\na\nb\n");
    // `--no-tty`: pipes.
    let out = env
        .mlf_tty(&["run", "-n", "off", "--no-tty", "--", "sh", "-c", PROBE])
        .ok();
    assert_eq!(out.stdout, "a\nb\n", "{out}");
    assert_eq!(logs(&env, "off", false), "a\nb\n");
}

#[test]
fn tty_gives_both_streams_a_terminal_even_when_piped() {
    let env = TestEnv::new();
    let out = env
        .mlf(&["run", "-n", "forced", "--tty", "--", "sh", "-c", PROBE])
        .ok();
    assert_eq!(out.stdout, "out-is-tty\na\nb\n", "{out}");
    assert!(out.stderr.contains("err-is-tty\n"), "{out}");
    assert_eq!(logs(&env, "forced", false), "out-is-tty\na\nb\n");
    assert_eq!(logs(&env, "forced", true), "err-is-tty\n");
    // Not a terminal and no `--tty`: pipes, as before.
    let out = env
        .mlf(&["run", "-n", "piped", "--", "sh", "-c", PROBE])
        .ok();
    assert_eq!(out.stdout, "a\nb\n", "{out}");
    // The last of `--tty`/`--no-tty` wins.
    let out = env
        .mlf(&["run", "--tty", "--no-tty", "--", "sh", "-c", PROBE])
        .ok();
    assert_eq!(out.stdout, "a\nb\n", "{out}");
}

#[test]
fn a_command_on_a_terminal_keeps_its_exit_code_and_metrics() {
    let env = TestEnv::new();
    let out = env.mlf_tty(&[
        "run",
        "-n",
        "m",
        "--capture-metrics",
        "--",
        "sh",
        "-c",
        "echo loss=0.5; echo loss=0.25; exit 3",
    ]);
    assert_eq!(out.code, 3, "{out}");
    let points = crate::support::history(&env, "m", "loss");
    assert_eq!(points, vec![(0, 0.5), (1, 0.25)]);
}
