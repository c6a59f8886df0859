//! The console output that is a contract, as snapshots (`tests/cli/snapshots/cli__output__*`):
//! the tables of `runs`, `experiments`, `artifacts` and `registry`, at a narrow and a wide
//! terminal, and one-line errors with their exit codes. Each snapshot holds the command line,
//! the exit code, stdout and stderr; run ids, temporary paths and git commits are redacted
//! (`TestEnv::redact`) and the clock is pinned (`TestEnv::pin_clock`): one second a command from
//! 2023-11-14 22:13:20 UTC.
//!
//! Update them with `INSTA_UPDATE=always cargo test --test cli output` (or `cargo insta
//! review`), then read the changed `.snap` files before committing them.

use crate::support::{TestEnv, snap};

/// A narrow terminal: `runs compare` shows one run a block.
const NARROW: u16 = 60;
/// A terminal too narrow for `runs list` of `store()`: the least important columns are cut.
const LIST_NARROW: u16 = 100;
/// A terminal so narrow that `runs list` of `store()` leaves columns out.
const LIST_TINY: u16 = 60;

/// A store to look at, with the clock pinned and commands run as `tester`:
///
/// | run     | experiment | status   | params                         | metrics (by step)            |
/// |---------|------------|----------|--------------------------------|------------------------------|
/// | warmup  | baseline   | FINISHED | lr 0.1, optimizer adam         | loss 0.9 0.7 0.55, acc 0.71  |
/// | bigger  | baseline   | FAILED   | lr 0.05, layers 4, optimizer … | loss 0.8 0.5, acc 0.78       |
/// | sweep-1 | tuning     | RUNNING  | lr 0.01, optimizer adam        | loss 0.6 (step 3)            |
///
/// `bigger` holds `model/` (two files) and `reports/report.txt`; `sweep-1` is tagged `team=nlp` and is the active run.
fn store() -> TestEnv {
    let mut env = TestEnv::new();
    env.pin_clock();
    env.set("MLF_USER", "tester");
    env.mlf(&["experiments", "create", "baseline"]).ok();
    env.mlf(&["experiments", "create", "tuning"]).ok();

    env.start_run(&[
        "-x",
        "baseline",
        "-n",
        "warmup",
        "-p",
        "lr=0.1",
        "-p",
        "optimizer=adam",
    ]);
    for (step, loss) in ["0.9", "0.7", "0.55"].iter().enumerate() {
        env.mlf(&["log", "metric", "loss", loss, "--step", &step.to_string()])
            .ok();
    }
    env.mlf(&["log", "metric", "acc", "0.71"]).ok();
    env.mlf(&["run", "end"]).ok();

    env.start_run(&[
        "-x",
        "baseline",
        "-n",
        "bigger",
        "-p",
        "lr=0.05",
        "-p",
        "layers=4",
        "-p",
        "optimizer=adamw with a linear warmup of 500 steps",
    ]);
    env.mlf(&["log", "metric", "loss", "0.8", "--step", "0"])
        .ok();
    env.mlf(&["log", "metric", "loss", "0.5", "--step", "1"])
        .ok();
    env.mlf(&["log", "metric", "acc", "0.78"]).ok();
    env.write("model/MLmodel", "flavors: {}\n");
    env.write("model/weights.bin", "0123456789abcdef");
    env.write("report.txt", "accuracy 0.78\n");
    env.mlf(&["log", "artifact", "model"]).ok();
    env.mlf(&["log", "artifact", "report.txt", "--to", "reports"])
        .ok();
    env.mlf(&["run", "end", "--status", "failed"]).ok();

    env.start_run(&[
        "-x",
        "tuning",
        "-n",
        "sweep-1",
        "-p",
        "lr=0.01",
        "-p",
        "optimizer=adam",
        "-t",
        "team=nlp",
    ]);
    env.mlf(&["log", "metric", "loss", "0.6", "--step", "3"])
        .ok();
    env
}

/// `store()` at a terminal `columns` wide.
fn store_at(columns: u16) -> TestEnv {
    let mut env = store();
    env.columns(columns);
    env
}

// ---------------------------------------------------------------------------------------------
// runs list

#[test]
fn runs_list_wide_and_narrow() {
    let env = store();
    snap!("runs_list_wide", env, ["runs", "list"]).ok();
    let env = store_at(LIST_NARROW);
    let out = snap!("runs_list_narrow", env, ["runs", "list"]).ok();
    for line in out.stdout.lines() {
        assert!(
            line.chars().count() <= usize::from(LIST_NARROW),
            "wider than COLUMNS={LIST_NARROW}: {line:?}"
        );
    }
}

/// Never wrapped: every run is one line, however narrow the terminal; status, name, id and
/// start are kept whole while the other columns are cut with `…` or left out, and the full
/// values are still in CSV.
#[test]
fn runs_list_fits_the_terminal_by_cutting_columns() {
    for columns in [80u16, LIST_TINY] {
        let env = store_at(columns);
        let out = env.mlf(&["runs", "list"]).ok();
        let lines: Vec<&str> = out.stdout.lines().collect();
        assert_eq!(lines.len(), 4, "one line a run:\n{out}");
        for line in &lines {
            assert!(line.chars().count() <= usize::from(columns), "{line:?}");
        }
        assert!(
            lines[0].starts_with("STATUS    NAME     ID        "),
            "{out}"
        );
        assert!(lines[2].starts_with("FAILED    bigger"), "{out}");
        if columns == 80 {
            assert!(lines.iter().any(|l| l.contains('…')), "{out}");
        } else {
            assert!(!lines[0].contains("optimizer"), "left out:\n{out}");
        }
        let csv = env.mlf(&["runs", "list", "--format", "csv"]).ok();
        assert!(
            csv.stdout
                .contains("adamw with a linear warmup of 500 steps")
        );
    }
    let env = store_at(LIST_TINY);
    snap!("runs_list_tiny", env, ["runs", "list"]).ok();
}

/// Params that are the same in every run are cut before those that vary.
#[test]
fn runs_list_cuts_constant_columns_before_varying_ones() {
    let mut env = TestEnv::new();
    for lr in ["0.1", "0.2"] {
        env.start_run(&[
            "-p",
            &format!("lr={lr}"),
            "-p",
            "note=the same long note in every run",
        ]);
        env.mlf(&["run", "end"]).ok();
    }
    env.columns(70);
    let out = env.mlf(&["runs", "list"]).ok();
    let header = out.stdout.lines().next().unwrap();
    assert!(header.contains("  lr"), "{out}");
    assert!(
        !header.contains("note  ") && !header.ends_with("note"),
        "{out}"
    );
}

/// With colour on, the header (bold) lines up with the cells below it.
#[test]
fn coloured_headers_line_up_with_their_columns() {
    let env = registry();
    for args in [
        &["--color", "always", "registry", "list"][..],
        &["--color", "always", "experiments", "list"],
        &["--color", "always", "runs", "list"],
    ] {
        let out = env.mlf(args).ok();
        assert!(out.stdout.contains("\x1b[1m"), "{out}");
        let plain = strip_ansi(&out.stdout);
        let lines: Vec<&str> = plain.lines().collect();
        let second = lines[0]
            .find("  ")
            .map(|i| i + lines[0][i..].find(|c: char| c != ' ').unwrap());
        let data = lines[1]
            .find("  ")
            .map(|i| i + lines[1][i..].find(|c: char| c != ' ').unwrap());
        assert_eq!(second, data, "{plain}");
        assert!(!lines[0].starts_with(' '), "{plain}");
    }
}

fn strip_ansi(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn runs_ls_of_one_experiment_with_chosen_columns() {
    let env = store();
    snap!(
        "runs_ls_columns",
        env,
        ["runs", "ls", "-x", "baseline", "--columns", "lr,metrics.*"]
    )
    .ok();
    snap!(
        "runs_list_filter_order",
        env,
        [
            "runs",
            "list",
            "-f",
            "metrics.loss < 0.58",
            "--order-by",
            "metrics.loss",
            "--only-changed"
        ]
    )
    .ok();
}

#[test]
fn runs_list_markdown_and_csv() {
    let env = store();
    snap!("runs_list_md", env, ["runs", "list", "--format", "md"]).ok();
    snap!("runs_list_csv", env, ["runs", "list", "--format", "csv"]).ok();
}

#[test]
fn runs_list_deleted_with_all() {
    let env = store();
    env.mlf(&["runs", "delete", "warmup"]).ok();
    snap!("runs_list_without_deleted", env, ["runs", "list"]).ok();
    snap!("runs_list_all", env, ["runs", "list", "--all"]).ok();
}

// ---------------------------------------------------------------------------------------------
// runs show, metric, plot

#[test]
fn runs_show() {
    let env = store();
    snap!("runs_show_finished", env, ["runs", "show", "warmup"]).ok();
    snap!(
        "runs_show_failed_with_artifacts",
        env,
        ["runs", "show", "bigger"]
    )
    .ok();
    snap!("runs_show_running", env, ["runs", "show", "sweep-1"]).ok();
    env.mlf(&["runs", "delete", "warmup"]).ok();
    snap!("runs_show_deleted", env, ["runs", "show", "warmup"]).ok();
}

#[test]
fn runs_metric_history() {
    let env = store();
    snap!("runs_metric", env, ["runs", "metric", "warmup", "loss"]).ok();
}

#[test]
fn runs_plot_at_a_fixed_size() {
    let env = store();
    snap!(
        "runs_plot_markers",
        env,
        [
            "runs", "plot", "warmup", "bigger", "-m", "loss", "--style", "markers", "--width",
            "50", "--height", "8"
        ]
    )
    .ok();
    snap!(
        "runs_plot_braille",
        env,
        [
            "runs", "plot", "warmup", "-m", "loss", "--width", "40", "--height", "5"
        ]
    )
    .ok();
}

// ---------------------------------------------------------------------------------------------
// runs compare and diff

#[test]
fn runs_compare_wide_and_narrow() {
    let args = ["runs", "compare", "warmup", "bigger", "sweep-1"];
    let env = store();
    snap!("runs_compare_wide", env, args).ok();
    let env = store_at(NARROW);
    let out = snap!("runs_compare_narrow", env, args).ok();
    for line in out.stdout.lines() {
        assert!(
            line.chars().count() <= usize::from(NARROW),
            "wider than COLUMNS={NARROW}: {line:?}"
        );
    }
}

#[test]
fn runs_compare_only_changed_by_filter() {
    let env = store();
    snap!(
        "runs_compare_only_changed",
        env,
        [
            "runs",
            "compare",
            "-x",
            "baseline",
            "-f",
            "metrics.acc > 0.5",
            "--only-changed",
            "--columns",
            "lr,loss,acc"
        ]
    )
    .ok();
}

#[test]
fn runs_diff() {
    let env = store();
    snap!("runs_diff", env, ["runs", "diff", "warmup", "bigger"]).ok();
    snap!("runs_diff_same", env, ["runs", "diff", "warmup", "warmup"]).ok();
}

// ---------------------------------------------------------------------------------------------
// experiments and artifacts

#[test]
fn experiments_list_and_show() {
    let env = store();
    snap!("experiments_list", env, ["experiments", "list"]).ok();
    snap!("experiments_show", env, ["experiments", "show", "baseline"]).ok();
    env.mlf(&["experiments", "delete", "tuning"]).ok();
    snap!("experiments_list_all", env, ["exp", "list", "--all"]).ok();
}

#[test]
fn artifacts_list() {
    let env = store();
    snap!(
        "artifacts_list_recursive",
        env,
        ["artifacts", "list", "-R", "--run", "bigger"]
    )
    .ok();
}

// ---------------------------------------------------------------------------------------------
// registry

/// `store()` with model `churn`: three versions of `bigger`'s artifacts, 1 in Production, 2 in
/// Staging, alias `champion` on 3, a pending request for Production, and an empty model.
fn registry() -> TestEnv {
    let env = store();
    env.mlf(&[
        "registry",
        "create",
        "churn",
        "-d",
        "Churn model\nwith a second line",
        "-t",
        "team=risk",
    ])
    .ok();
    env.mlf(&["registry", "create", "empty"]).ok();
    for _ in 0..3 {
        env.mlf(&[
            "registry",
            "register",
            "runs:/bigger/model",
            "--name",
            "churn",
        ])
        .ok();
    }
    env.mlf(&[
        "registry",
        "promote",
        "churn",
        "1",
        "--to",
        "Production",
        "-m",
        "first release",
    ])
    .ok();
    env.mlf(&["registry", "promote", "churn", "2", "--to", "Staging"])
        .ok();
    env.mlf(&["registry", "alias", "churn", "champion", "3"])
        .ok();
    env.write(
        ".mlf/config.toml",
        "[registry]\nprotected_stages = [\"Production\"]\nallow_self_approval = false\n",
    );
    env.mlf(&[
        "registry",
        "request",
        "churn",
        "2",
        "--to",
        "Production",
        "-m",
        "beats v1 on March data",
    ])
    .ok();
    env
}

#[test]
fn registry_tables() {
    let env = registry();
    snap!("registry_list", env, ["registry", "list"]).ok();
    snap!("registry_show", env, ["registry", "show", "churn"]).ok();
    snap!(
        "registry_show_version",
        env,
        ["registry", "show", "churn", "--version", "1"]
    )
    .ok();
    snap!("registry_history", env, ["registry", "history", "churn"]).ok();
    snap!("registry_requests", env, ["registry", "requests"]).ok();
}

// ---------------------------------------------------------------------------------------------
// errors: one line on stderr (with hints after it), nothing on stdout, the documented exit code

#[test]
fn errors_about_runs() {
    let env = store();
    snap!("error_unknown_run", env, ["runs", "show", "nope"]).code(2);
    snap!(
        "error_run_still_active",
        env,
        ["run", "start", "-x", "tuning", "-n", "warmup"]
    )
    .code(2);
    snap!(
        "error_metric_missing",
        env,
        ["runs", "metric", "bigger", "nope"]
    )
    .code(2);
    snap!(
        "error_param_changed",
        env,
        ["log", "param", "lr", "0.2", "--run", "bigger"]
    )
    .code(2);
}

#[test]
fn errors_about_searches() {
    let env = store();
    snap!(
        "error_bad_filter",
        env,
        ["runs", "list", "-f", "metrics.loss <"]
    )
    .code(2);
    snap!(
        "error_bad_order_by",
        env,
        ["runs", "list", "--order-by", "metrics.loss SIDEWAYS"]
    )
    .code(2);
    snap!("error_limit_zero", env, ["runs", "list", "-n", "0"]).code(2);
    snap!(
        "error_unknown_experiment",
        env,
        ["runs", "list", "-x", "nope"]
    )
    .code(2);
    let out = snap!(
        "compare_selects_nothing",
        env,
        ["runs", "compare", "-f", "metrics.loss > 5"]
    )
    .ok();
    assert_eq!(out.stdout, "");
}

#[test]
fn errors_about_the_store_and_usage() {
    let env = TestEnv::new();
    snap!("error_no_store", env, ["runs", "list"]).code(1);
    snap!("error_usage_missing_argument", env, ["runs", "metric", "a"]).code(2);
}

#[test]
fn errors_about_the_registry() {
    let env = registry();
    snap!(
        "error_protected_stage",
        env,
        ["registry", "promote", "churn", "3", "--to", "Production"]
    )
    .code(1);
    snap!(
        "error_unknown_version",
        env,
        ["registry", "show", "churn", "--version", "9"]
    )
    .code(2);
    snap!("error_unknown_model", env, ["registry", "show", "nope"]).code(2);
}
