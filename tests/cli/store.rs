//! Tests of `mlf` (store), through the binary: `mlf init`, finding the store (discovery,
//! `--store`, `MLF_STORE`), creating one on the first write, and the commands that must touch
//! no store at all (help, version, usage errors).

use std::path::{Path, PathBuf};

use crate::support::{Output, TestEnv, git, run};

fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn is_store(dir: &Path) -> bool {
    dir.join("mlf.db").is_file()
}

/// Names of the experiments `experiments list --format json` shows.
fn experiment_names(out: &Output) -> Vec<String> {
    out.json()["experiments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_string())
        .collect()
}

/// Runs `mlf ARGS` with extra environment variables.
fn mlf_env(env: &TestEnv, vars: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = env.command(args);
    for (k, v) in vars {
        cmd.env(k, v);
    }
    run(cmd)
}

/// Everything in a directory, recursively, as relative paths.
fn listing(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            out.push(p.strip_prefix(root).unwrap().display().to_string());
            if p.is_dir() {
                walk(root, &p, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

// ---------------------------------------------------------------------------------------------
// init

#[test]
fn init_creates_the_store_and_prints_its_path() {
    let env = TestEnv::new();
    let out = env.mlf(&["init"]).ok();
    assert!(is_store(&env.store()), "no mlf.db in .mlf");
    assert!(
        env.store().join("artifacts").is_dir(),
        "no artifacts/ in .mlf"
    );
    assert_eq!(
        out.stdout,
        format!("{}\n", canonical(&env.store()).display())
    );
    assert!(out.stderr.contains("Created"), "{out}");
    // The new store knows the Default experiment and has no runs.
    let exps = env.mlf(&["experiments", "list", "--format", "json"]).ok();
    assert_eq!(experiment_names(&exps), ["Default"]);
    let runs = env.mlf(&["runs", "list", "--format", "json"]).ok().json();
    assert_eq!(runs["runs"], serde_json::json!([]));
}

#[test]
fn init_twice_is_fine_and_keeps_everything() {
    let env = TestEnv::new();
    let first = env.mlf(&["init"]).ok();
    env.mlf(&["experiments", "create", "kept"]).ok();
    let id = env.start_run(&["-x", "kept"]);
    let before = env.snapshot_store();
    let second = env.mlf(&["init"]).ok();
    assert_eq!(second.stdout, first.stdout);
    assert!(second.stderr.contains("existing"), "{second}");
    assert_eq!(env.snapshot_store(), before);
    env.mlf(&["runs", "show", &id]).ok();
}

#[test]
fn init_in_a_directory() {
    let env = TestEnv::new();
    std::fs::create_dir_all(env.cwd().join("proj")).unwrap();
    let out = env.mlf(&["init", "proj"]).ok();
    let store = env.cwd().join("proj/.mlf");
    assert!(is_store(&store));
    assert!(
        !env.store().exists(),
        "a store was created in the current directory"
    );
    assert_eq!(out.stdout, format!("{}\n", canonical(&store).display()));
    // It is found from inside that directory.
    let proj = env.cwd().join("proj");
    env.mlf_in(&proj, &["experiments", "list"]).ok();
}

#[test]
fn init_in_a_missing_directory_fails() {
    let env = TestEnv::new();
    let out = env.mlf(&["init", "missing"]).code(1);
    assert!(out.stderr.contains("error:"), "{out}");
    assert!(out.stderr.contains("missing"), "{out}");
    assert!(!env.cwd().join("missing").exists());
    assert_eq!(listing(&env.cwd()), Vec::<String>::new());
}

#[test]
fn init_with_store_flag() {
    let env = TestEnv::new();
    let target = env.dir.path().join("custom-store");
    let out = env.mlf(&["--store", target.to_str().unwrap(), "init"]).ok();
    assert!(is_store(&target));
    assert_eq!(out.stdout, format!("{}\n", canonical(&target).display()));
    assert!(!env.store().exists());
}

#[test]
fn quiet_hides_notices_but_not_data() {
    let env = TestEnv::new();
    let out = env.mlf(&["-q", "init"]).ok();
    assert_eq!(out.stderr, "");
    assert_eq!(
        out.stdout,
        format!("{}\n", canonical(&env.store()).display())
    );
    let out = env.mlf(&["run", "start", "--quiet"]).ok();
    assert_eq!(out.stderr, "");
    assert_eq!(out.stdout.trim().len(), 32);
}

// ---------------------------------------------------------------------------------------------
// no store

#[test]
fn read_commands_without_a_store_fail_with_a_hint() {
    let env = TestEnv::new();
    let commands: &[&[&str]] = &[
        &["runs", "list"],
        &["runs", "list", "--format", "json"],
        &["experiments", "list"],
        &["experiments", "show", "Default"],
        &["runs", "show", "abc"],
        &["artifacts", "list"],
    ];
    for args in commands {
        let out = env.mlf(args).code(1);
        assert_eq!(out.stdout, "", "{out}");
        assert!(out.stderr.starts_with("error:"), "{out}");
        assert!(out.stderr.contains("no mlf store"), "{out}");
        assert!(out.stderr.contains("hint:"), "{out}");
        assert!(out.stderr.contains("mlf init"), "{out}");
        assert!(
            !env.store().exists(),
            "`mlf {}` created a store",
            args.join(" ")
        );
    }
    assert_eq!(listing(&env.cwd()), Vec::<String>::new());
}

#[test]
fn store_flag_without_a_store_fails_for_reads() {
    let env = TestEnv::new();
    let nowhere = env.dir.path().join("nowhere");
    let out = env
        .mlf(&["--store", nowhere.to_str().unwrap(), "runs", "list"])
        .code(1);
    assert!(out.stderr.contains("hint:"), "{out}");
    assert!(!nowhere.exists());
}

// ---------------------------------------------------------------------------------------------
// finding the store

#[test]
fn discovery_from_a_subdirectory_finds_the_parent_store() {
    let env = TestEnv::new();
    env.mlf(&["init"]).ok();
    env.mlf(&["experiments", "create", "top"]).ok();
    let deep = env.cwd().join("a/b/c");
    std::fs::create_dir_all(&deep).unwrap();
    let out = env
        .mlf_in(&deep, &["experiments", "list", "--format", "json"])
        .ok();
    assert_eq!(experiment_names(&out), ["Default", "top"]);
    // A write from there goes to the same store, too.
    let id = env
        .mlf_in(&deep, &["run", "start"])
        .ok()
        .stdout
        .trim()
        .to_string();
    assert!(!env.cwd().join("a/b/c/.mlf").exists());
    assert!(!env.cwd().join("a/.mlf").exists());
    env.mlf(&["runs", "show", &id]).ok();
}

#[test]
fn init_below_a_store_refuses_without_force() {
    let env = TestEnv::new();
    env.mlf(&["init"]).ok();
    env.mlf(&["experiments", "create", "outer"]).ok();
    let sub = env.cwd().join("src/deep");
    std::fs::create_dir_all(&sub).unwrap();
    let out = env.mlf_in(&sub, &["init"]).code(2);
    let outer = canonical(&env.store());
    assert!(
        out.stderr.contains(&format!(
            "is already served by the store `{}`: a new store here would hide its runs",
            outer.display()
        )),
        "{out}"
    );
    assert!(
        out.stderr
            .contains("pass `--force` to create a nested store deliberately: `mlf init --force`"),
        "{out}"
    );
    assert!(!sub.join(".mlf").exists());
    // `mlf init DIR` below the store is refused the same way, and names DIR in the fix.
    let out = env.mlf(&["init", "src"]).code(2);
    assert!(out.stderr.contains("`mlf init --force src`"), "{out}");
    // Running it where the store is still finds it; `--force` nests one deliberately.
    env.mlf(&["init"]).ok();
    env.mlf_in(&sub, &["init", "--force"]).ok();
    assert!(is_store(&sub.join(".mlf")));
}

#[test]
fn store_flag_naming_a_project_uses_its_store() {
    let env = TestEnv::new();
    env.mlf(&["init"]).ok();
    env.mlf(&["experiments", "create", "proj-exp"]).ok();
    let elsewhere = env.dir.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let project = env.cwd().display().to_string();
    let out = env
        .mlf_in(
            &elsewhere,
            &[
                "--store",
                &project,
                "experiments",
                "list",
                "--format",
                "json",
            ],
        )
        .ok();
    assert_eq!(experiment_names(&out), ["Default", "proj-exp"]);
    // A write goes to the same store, never a second one inside it.
    env.mlf_in(
        &elsewhere,
        &["--store", &project, "experiments", "create", "second"],
    )
    .ok();
    assert!(!env.cwd().join("mlf.db").exists());
    let out = env.mlf(&["experiments", "list", "--format", "json"]).ok();
    assert_eq!(experiment_names(&out), ["Default", "proj-exp", "second"]);
    let out = env.mlf_in(&elsewhere, &["--store", &project, "init"]).ok();
    assert!(out.stderr.contains("Found existing store"), "{out}");
    // MLF_STORE too.
    let out = mlf_env(
        &env,
        &[("MLF_STORE", &project)],
        &["experiments", "list", "--format", "json"],
    )
    .ok();
    assert_eq!(experiment_names(&out), ["Default", "proj-exp", "second"]);
}

#[test]
fn nearest_store_wins() {
    let env = TestEnv::new();
    env.mlf(&["init"]).ok();
    env.mlf(&["experiments", "create", "outer"]).ok();
    let inner = env.cwd().join("inner");
    std::fs::create_dir_all(&inner).unwrap();
    env.mlf_in(&inner, &["init", "--force"]).ok();
    env.mlf_in(&inner, &["experiments", "create", "inner-exp"])
        .ok();
    let out = env
        .mlf_in(&inner, &["experiments", "list", "--format", "json"])
        .ok();
    assert_eq!(experiment_names(&out), ["Default", "inner-exp"]);
    let out = env.mlf(&["experiments", "list", "--format", "json"]).ok();
    assert_eq!(experiment_names(&out), ["Default", "outer"]);
}

#[test]
fn store_flag_and_env_pick_a_store_elsewhere() {
    let env = TestEnv::new();
    let other = env.dir.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    env.mlf_in(&other, &["init"]).ok();
    let other_store = other.join(".mlf");
    let flag = other_store.to_str().unwrap();

    env.mlf(&["--store", flag, "experiments", "create", "via-flag"])
        .ok();
    mlf_env(
        &env,
        &[("MLF_STORE", flag)],
        &["experiments", "create", "via-env"],
    )
    .ok();
    // The flag also works after the subcommand (it is global).
    let out = env
        .mlf(&["experiments", "list", "--format", "json", "--store", flag])
        .ok();
    assert_eq!(experiment_names(&out), ["Default", "via-flag", "via-env"]);
    let out = mlf_env(
        &env,
        &[("MLF_STORE", flag)],
        &["experiments", "list", "--format", "json"],
    )
    .ok();
    assert_eq!(experiment_names(&out), ["Default", "via-flag", "via-env"]);
    assert!(
        !env.store().exists(),
        "a store was created in the current directory"
    );
}

#[test]
fn store_flag_beats_the_discovered_store_and_env() {
    let env = TestEnv::new();
    env.mlf(&["experiments", "create", "here"]).ok();
    let other = env.dir.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    env.mlf_in(&other, &["experiments", "create", "there"]).ok();
    let there = other.join(".mlf");
    let there = there.to_str().unwrap();

    let out = env
        .mlf(&["--store", there, "experiments", "list", "--format", "json"])
        .ok();
    assert_eq!(experiment_names(&out), ["Default", "there"]);
    let out = mlf_env(
        &env,
        &[("MLF_STORE", there)],
        &["experiments", "list", "--format", "json"],
    )
    .ok();
    assert_eq!(experiment_names(&out), ["Default", "there"]);
    // The flag beats the variable.
    let here = env.store();
    let out = mlf_env(
        &env,
        &[("MLF_STORE", there)],
        &[
            "--store",
            here.to_str().unwrap(),
            "experiments",
            "list",
            "--format",
            "json",
        ],
    )
    .ok();
    assert_eq!(experiment_names(&out), ["Default", "here"]);
}

#[test]
fn write_with_store_flag_creates_the_store_there() {
    let env = TestEnv::new();
    let fresh = env.dir.path().join("fresh-store");
    let out = env
        .mlf(&["--store", fresh.to_str().unwrap(), "run", "start"])
        .ok();
    assert!(is_store(&fresh), "no store at the --store path");
    assert!(!env.store().exists());
    assert!(out.stderr.contains("Created"), "{out}");
    let id = out.stdout.trim();
    env.mlf(&["--store", fresh.to_str().unwrap(), "runs", "show", id])
        .ok();
}

// ---------------------------------------------------------------------------------------------
// created on first write

#[test]
fn run_start_without_a_store_creates_one_here() {
    let env = TestEnv::new();
    let out = env.mlf(&["run", "start"]).ok();
    assert!(is_store(&env.store()));
    let id = out.stdout.trim();
    assert_eq!(id.len(), 32, "stdout is only the run id:\n{out}");
    assert_eq!(out.stdout.lines().count(), 1, "{out}");
    let shown = canonical(&env.store()).display().to_string();
    assert!(
        out.stderr.contains("Created") && out.stderr.contains(&shown),
        "stderr does not say where the store was created:\n{out}"
    );
    env.mlf(&["runs", "show", id]).ok();
    // Not twice.
    env.mlf(&["run", "end"]).ok();
    let out = env.mlf(&["run", "start"]).ok();
    assert!(!out.stderr.contains("Created store"), "{out}");
}

#[test]
fn experiments_create_without_a_store_creates_one_here() {
    let env = TestEnv::new();
    let out = env.mlf(&["experiments", "create", "first"]).ok();
    assert!(is_store(&env.store()));
    assert_eq!(out.stdout, "1\n");
    assert!(out.stderr.contains("Created store"), "{out}");
}

#[test]
fn write_inside_git_creates_the_store_at_the_work_tree_root() {
    let env = TestEnv::new();
    git(&env.cwd(), &["init", "-q"]);
    let sub = env.cwd().join("src/deep");
    std::fs::create_dir_all(&sub).unwrap();
    let out = env.mlf_in(&sub, &["run", "start"]).ok();
    assert!(
        is_store(&env.store()),
        "no store at the work-tree root:\n{out}"
    );
    assert!(!sub.join(".mlf").exists());
    let exclude = std::fs::read_to_string(env.cwd().join(".git/info/exclude")).unwrap();
    assert!(exclude.lines().any(|l| l == ".mlf/"), "{exclude}");
    // git sees nothing new.
    assert_eq!(git(&env.cwd(), &["status", "--porcelain"]), "");
}

#[test]
fn init_inside_git_excludes_the_store_once() {
    let env = TestEnv::new();
    git(&env.cwd(), &["init", "-q"]);
    env.mlf(&["init"]).ok();
    env.mlf(&["init"]).ok();
    let exclude = std::fs::read_to_string(env.cwd().join(".git/info/exclude")).unwrap();
    assert_eq!(
        exclude.lines().filter(|l| *l == ".mlf/").count(),
        1,
        "{exclude}"
    );
    assert_eq!(git(&env.cwd(), &["status", "--porcelain"]), "");
}

#[test]
fn refused_writes_create_no_store() {
    let env = TestEnv::new();
    let commands: &[&[&str]] = &[
        &["experiments", "create", ""],
        &["run", "start", "-p", "not-a-pair"],
        &["run", "start", "--name", ""],
        &["run", "start", "-p", "bad$key=1"],
    ];
    let mut left_behind = Vec::new();
    for args in commands {
        let out = env.mlf(args).code(2);
        assert!(out.stderr.contains("error:"), "{out}");
        if env.store().exists() {
            left_behind.push(format!("`mlf {}`", args.join(" ")));
            std::fs::remove_dir_all(env.store()).unwrap();
        }
    }
    assert!(
        left_behind.is_empty(),
        "refused commands left a new store behind: {}",
        left_behind.join(", ")
    );
}

// ---------------------------------------------------------------------------------------------
// commands that touch no store

#[test]
fn help_and_version_create_nothing() {
    let env = TestEnv::new();
    let out = env.mlf(&["--help"]).ok();
    assert!(out.stdout.contains("Usage: mlf"), "{out}");
    for cmd in ["init", "run", "log", "runs", "experiments", "artifacts"] {
        assert!(
            out.stdout.contains(cmd),
            "help does not list `{cmd}`:\n{out}"
        );
    }
    let out = env.mlf(&["--version"]).ok();
    assert_eq!(out.stdout, format!("mlf {}\n", env!("CARGO_PKG_VERSION")));
    env.mlf(&["-V"]).ok();
    env.mlf(&["help"]).ok();
    let out = env.mlf(&["runs", "list", "--help"]).ok();
    assert!(out.stdout.contains("--columns"), "{out}");
    let out = env.mlf(&["log", "metric", "-h"]).ok();
    assert!(out.stdout.contains("--step"), "{out}");
    env.mlf(&["experiments", "--help"]).ok();
    assert_eq!(listing(&env.cwd()), Vec::<String>::new());
    assert_eq!(listing(&env.dir.path().join("home")), Vec::<String>::new());
}

#[test]
fn no_arguments_print_help_and_exit_2() {
    let env = TestEnv::new();
    let out = env.mlf(&[]).code(2);
    let all = format!("{}{}", out.stdout, out.stderr);
    assert!(all.contains("Usage: mlf"), "{out}");
    assert!(all.contains("experiments"), "{out}");
    assert_eq!(listing(&env.cwd()), Vec::<String>::new());
}

#[test]
fn unknown_subcommands_and_flags_exit_2() {
    let env = TestEnv::new();
    let out = env.mlf(&["bogus"]).code(2);
    assert!(out.stderr.contains("bogus"), "{out}");
    assert_eq!(out.stdout, "");
    env.mlf(&["runs", "bogus"]).code(2);
    let out = env.mlf(&["runs", "list", "--bogus"]).code(2);
    assert!(out.stderr.contains("--bogus"), "{out}");
    env.mlf(&["runs", "list", "--format", "xml"]).code(2);
    env.mlf(&["--color", "sometimes", "runs", "list"]).code(2);
    assert_eq!(listing(&env.cwd()), Vec::<String>::new());
}

#[test]
fn rust_backtrace_changes_nothing() {
    let env = TestEnv::new();
    let plain = env.mlf(&["runs", "list"]).code(1);
    for value in ["1", "full"] {
        let with = mlf_env(&env, &[("RUST_BACKTRACE", value)], &["runs", "list"]).code(1);
        assert_eq!(with.stderr, plain.stderr);
        assert_eq!(with.stdout, plain.stdout);
        assert!(!with.stderr.contains("backtrace"), "{with}");
    }
    env.mlf(&["init"]).ok();
    let plain = env.mlf(&["log", "metric", "bad$key", "1"]).code(2);
    let with = mlf_env(
        &env,
        &[("RUST_BACKTRACE", "full")],
        &["log", "metric", "bad$key", "1"],
    )
    .code(2);
    assert_eq!(with.stderr, plain.stderr);
}

#[test]
fn errors_go_to_stderr_without_colour_when_no_color_is_set() {
    let env = TestEnv::new();
    let out = env.mlf(&["runs", "list"]).code(1);
    assert!(!out.stderr.contains('\u{1b}'), "{out}");
    let out = env.mlf(&["--color", "always", "runs", "list"]).code(1);
    assert!(out.stderr.contains('\u{1b}'), "{out}");
}

// ---------------------------------------------------------------------------------------------
// the write-ahead log between commands

#[test]
fn the_write_ahead_log_stays_small_and_loses_nothing_across_many_commands() {
    let env = TestEnv::new();
    let id = env.start_run(&[]);
    let wal = env.store().join("mlf.db-wal");
    let mut largest = 0;
    for step in 0..120 {
        env.mlf(&[
            "log",
            "metric",
            "loss",
            &format!("{step}.5"),
            "--step",
            &step.to_string(),
        ])
        .ok();
        largest = largest.max(std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0));
    }
    // Each command leaves its commit in the log; one that finds it past 256 KiB on exit copies
    // it into mlf.db and empties it, so it never holds much more than one command's pages.
    assert!(largest > 0, "the log was never kept between commands");
    assert!(
        largest < 256 * 1024 + 64 * 1024,
        "the log grew to {largest} bytes"
    );
    let points = crate::support::history(&env, &id, "loss");
    assert_eq!(points.len(), 120);
    assert!(
        points
            .iter()
            .enumerate()
            .all(|(i, p)| p.0 == i as i64 && p.1 == i as f64 + 0.5)
    );
    // A copy of the whole store folder holds every point.
    let copy = tempfile::tempdir().unwrap();
    crate::support::copy_dir(&env.store(), &copy.path().join(".mlf"));
    let n = crate::support::sqlite(
        &copy.path().join(".mlf/mlf.db"),
        "SELECT COUNT(*) FROM metrics WHERE key = 'loss'",
    );
    assert_eq!(n.as_deref().map(str::trim), Some("120"));
}
