//! Tests of `mlf project run`, through the binary.
//!
//! Real runs of MLproject entry points (local, a real cached virtualenv, a local git repository
//! at a `--version`, `#subdir` URIs, projects without an MLproject); conda and docker through
//! stub executables that record their exact command lines; parameters, tags, output and exit
//! codes; sweeps; `--dry-run`; and every bad input refused before a run is created.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::support::{
    self, Output, TestEnv, copy_dir, git, history, newest_run, only_run, run_ids, run_of, runs, tag,
};

// ----- helpers -----------------------------------------------------------------------------

/// A test environment whose environments and clones are cached inside its temp dir.
fn project_env() -> TestEnv {
    let mut env = TestEnv::new();
    let cache = env.dir.path().join("cache");
    env.set("MLF_CACHE_DIR", cache.to_str().unwrap());
    env
}

/// `MLF_CACHE_DIR` of `project_env()`, as mlf sees it.
fn cache(env: &TestEnv) -> PathBuf {
    env.dir.path().join("cache")
}

/// The temp dir with symlinks resolved (mlf canonicalizes project paths).
fn root(env: &TestEnv) -> PathBuf {
    std::fs::canonicalize(env.dir.path()).unwrap()
}

/// The working directory, resolved.
fn cwd(env: &TestEnv) -> PathBuf {
    std::fs::canonicalize(env.cwd()).unwrap()
}

/// The store `mlf` creates in the working directory, resolved.
fn store(env: &TestEnv) -> PathBuf {
    cwd(env).join(".mlf")
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/projects")
        .join(name)
}

/// Copies `fixtures/projects/NAME` to `<temp>/REL` and returns its resolved path.
fn copy_fixture(env: &TestEnv, name: &str, rel: &str) -> PathBuf {
    let dest = env.dir.path().join(rel);
    copy_dir(&fixture(name), &dest);
    std::fs::canonicalize(dest).unwrap()
}

/// Writes a project with this MLproject at `<temp>/REL` and returns its resolved path.
fn write_project(env: &TestEnv, rel: &str, mlproject: &str) -> PathBuf {
    let dir = env.dir.path().join(rel);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("MLproject"), mlproject).unwrap();
    std::fs::canonicalize(dir).unwrap()
}

/// `mlf project run ARGS`.
fn project_run(env: &TestEnv, args: &[&str]) -> Output {
    let mut all = vec!["project", "run"];
    all.extend_from_slice(args);
    env.mlf(&all)
}

fn status(run: &Value) -> &str {
    run["info"]["status"].as_str().unwrap()
}

fn params(run: &Value) -> BTreeMap<String, String> {
    run["data"]["params"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["key"].as_str().unwrap().to_string(),
                p["value"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A saved log of a run (`logs/stdout.txt`, `logs/stderr.txt`), read from its artifact dir.
fn artifact(run: &Value, rel: &str) -> Option<String> {
    let dir = PathBuf::from(run["info"]["artifact_uri"].as_str().unwrap());
    std::fs::read_to_string(dir.join(rel)).ok()
}

/// `'\''`: a quote inside a single-quoted shell word.
const Q: &str = r"'\''";

/// The first executable `prog` on PATH (as mlf looks it up).
fn which(prog: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    std::env::split_paths(&std::env::var("PATH").unwrap())
        .map(|d| d.join(prog))
        .find(|p| {
            p.is_file()
                && p.metadata()
                    .map(|m| m.permissions().mode() & 0o111 != 0)
                    .unwrap_or(false)
        })
        .unwrap_or_else(|| panic!("no `{prog}` on PATH"))
}

// ----- conda and docker stubs --------------------------------------------------------------

/// Stub `conda` and `docker` executables in `<temp>/bin`, which record every call (argv[0] as
/// invoked, then each argument on its own line, then `<end>`) in `<temp>/stub.log`, and run
/// the entry point command (`bash -c CMD`, their last three arguments) themselves.
struct Stubs {
    bin: PathBuf,
    log: PathBuf,
    /// When it exists, `conda env list --json` prints it.
    conda_envs: PathBuf,
    /// When it exists, `conda env create` fails.
    conda_fail: PathBuf,
    /// `docker run` writes its environment here.
    docker_env: PathBuf,
}

const CONDA_STUB: &str = r#"#!/bin/bash
{ printf '%s\n' "$0" "$@"; printf '%s\n' '<end>'; } >> '@LOG@'
if [ "$1" = env ] && [ "$2" = list ]; then
  if [ -f '@ENVS@' ]; then cat '@ENVS@'; else echo '{"envs": []}'; fi
  exit 0
fi
if [ "$1" = env ] && [ "$2" = create ]; then
  if [ -f '@FAIL@' ]; then echo 'ResolvePackageNotFound: python=9.9' >&2; exit 1; fi
  exit 0
fi
if [ "$1" = run ]; then exec "${@: -3}"; fi
echo "conda stub: unexpected call: $*" >&2
exit 97
"#;

const DOCKER_STUB: &str = r#"#!/bin/bash
{ printf '%s\n' "$0" "$@"; printf '%s\n' '<end>'; } >> '@LOG@'
case "$1" in
  build) exit 0 ;;
  run) env > '@ENV@'; exec "${@: -3}" ;;
esac
echo "docker stub: unexpected call: $*" >&2
exit 97
"#;

fn write_script(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

impl Stubs {
    fn new(env: &TestEnv) -> Stubs {
        let r = root(env);
        let stubs = Stubs {
            bin: r.join("bin"),
            log: r.join("stub.log"),
            conda_envs: r.join("conda-envs.json"),
            conda_fail: r.join("conda-fail"),
            docker_env: r.join("docker-env.txt"),
        };
        write_script(&stubs.bin.join("conda"), &stubs.conda_script());
        write_script(
            &stubs.bin.join("docker"),
            &DOCKER_STUB
                .replace("@LOG@", s(&stubs.log))
                .replace("@ENV@", s(&stubs.docker_env)),
        );
        stubs
    }

    fn conda_script(&self) -> String {
        CONDA_STUB
            .replace("@LOG@", s(&self.log))
            .replace("@ENVS@", s(&self.conda_envs))
            .replace("@FAIL@", s(&self.conda_fail))
    }

    fn conda(&self) -> String {
        self.bin.join("conda").display().to_string()
    }

    fn docker(&self) -> String {
        self.bin.join("docker").display().to_string()
    }

    /// `mlf ARGS` with the stubs first on PATH.
    fn command(&self, env: &TestEnv, cwd: &Path, args: &[&str]) -> Command {
        let mut cmd = env.command_in(cwd, args);
        cmd.env(
            "PATH",
            format!(
                "{}:{}",
                self.bin.display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        );
        cmd
    }

    fn project_run(&self, env: &TestEnv, args: &[&str]) -> Output {
        self.project_run_in(env, &env.cwd(), args)
    }

    fn project_run_in(&self, env: &TestEnv, cwd: &Path, args: &[&str]) -> Output {
        let mut all = vec!["project", "run"];
        all.extend_from_slice(args);
        support::run(self.command(env, cwd, &all))
    }

    /// Every recorded call, in order.
    fn calls(&self) -> Vec<Vec<String>> {
        support::stub_calls(&self.log)
    }

    /// The recorded calls, without `conda env list --json` (a readiness check).
    fn actions(&self) -> Vec<Vec<String>> {
        self.calls()
            .into_iter()
            .filter(|c| c.get(1..3) != Some(&["env".to_string(), "list".to_string()][..]))
            .collect()
    }

    fn clear(&self) {
        let _ = std::fs::remove_file(&self.log);
    }

    /// The environment `docker run` saw.
    fn docker_env(&self) -> BTreeMap<String, String> {
        std::fs::read_to_string(&self.docker_env)
            .expect("docker run was called")
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }
}

fn argv(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|p| p.to_string()).collect()
}

/// The `-e NAME` part of `docker run` that passes the tracking variables in.
const TRACKING_VARS: [&str; 10] = [
    "-e",
    "MLF_RUN_ID",
    "-e",
    "MLF_STORE",
    "-e",
    "MLFLOW_TRACKING_URI",
    "-e",
    "MLFLOW_RUN_ID",
    "-e",
    "MLFLOW_EXPERIMENT_ID",
];

/// The `docker run` argv for the docker fixture (as copied to `project`), with `image`;
/// `mount` mounts the project.
fn docker_run_argv(
    stubs: &Stubs,
    project: &Path,
    store: &Path,
    image: &str,
    mount: bool,
) -> Vec<String> {
    let mut a = argv(&[&stubs.docker(), "run", "--rm", "--network", "host"]);
    if mount {
        a.extend(argv(&[
            "-v",
            &format!("{}:/mlf/project", project.display()),
        ]));
    }
    a.extend(argv(&[
        "-w",
        "/mlf/project",
        "-v",
        &format!("{}:{}", store.display(), store.display()),
    ]));
    a.extend(argv(&TRACKING_VARS));
    a.extend(argv(&[
        "-v",
        "/tmp/mlf-data:/data",
        "-e",
        "MODE=test",
        "-e",
        "MLF_DOCKER_TOKEN",
        image,
        "bash",
        "-c",
        "python train.py --size 8",
    ]));
    a
}

// ----- local runs: params, tags, output ----------------------------------------------------

#[test]
fn local_run_records_params_tags_and_output() {
    let env = project_env();
    let proj = copy_fixture(&env, "basic", "basic");
    let out_file = root(&env).join("train-out.json");
    let mut cmd = env.command(&[
        "project",
        "run",
        s(&proj),
        "-P",
        "epochs=2",
        "-P",
        "extra=a b",
    ]);
    cmd.env("TRAIN_OUT", &out_file);
    let out = support::run(cmd).ok();
    assert_eq!(
        out.stdout, "epoch 0: loss 0.7500\nepoch 1: loss 0.5625\n",
        "{out}"
    );
    let id = only_run(&env);

    // The entry point got the defaults, the override and the undeclared parameter.
    let got: Value = serde_json::from_str(&std::fs::read_to_string(&out_file).unwrap()).unwrap();
    assert_eq!(got["alpha"], 0.5);
    assert_eq!(got["epochs"], 2);
    assert_eq!(got["label"], "demo run");
    assert_eq!(got["extra"], serde_json::json!(["--extra", "a b"]));
    assert_eq!(got["run_id"], id.as_str(), "MLF_RUN_ID is the run");

    let run = run_of(&env, &id);
    assert_eq!(status(&run), "FINISHED");
    assert_eq!(
        params(&run),
        map(&[
            ("alpha", "0.5"),
            ("epochs", "2"),
            ("label", "demo run"),
            ("extra", "a b")
        ]),
        "params are logged unquoted"
    );
    assert_eq!(tag(&run, "mlflow.source.type").as_deref(), Some("PROJECT"));
    assert_eq!(tag(&run, "mlflow.source.name").as_deref(), Some(s(&proj)));
    assert_eq!(
        tag(&run, "mlflow.project.entryPoint").as_deref(),
        Some("main")
    );
    assert_eq!(
        tag(&run, "mlflow.project.backend").as_deref(),
        Some("local")
    );
    assert_eq!(
        tag(&run, "mlflow.project.env"),
        None,
        "no env tag for the local environment"
    );
    assert_eq!(tag(&run, "mlflow.user").as_deref(), Some("tester"));
    assert_eq!(tag(&run, "mlf.exitCode").as_deref(), Some("0"));
    assert_eq!(
        tag(&run, "mlf.command").as_deref(),
        Some("python3 train.py --alpha 0.5 --epochs 2 --label 'demo run' --extra 'a b'")
    );
    assert_eq!(
        tag(&run, "mlflow.source.git.commit"),
        None,
        "the project is not in git"
    );
    assert_eq!(
        artifact(&run, "logs/stdout.txt").as_deref(),
        Some(out.stdout.as_str())
    );
}

#[test]
fn overrides_name_and_experiment() {
    let env = project_env();
    let proj = copy_fixture(&env, "basic", "basic");
    let out = project_run(
        &env,
        &[
            s(&proj),
            "-P",
            "alpha=1.0",
            "-P",
            "epochs=1",
            "-P",
            "label=it's",
            "-x",
            "projects",
            "-n",
            "my-run",
        ],
    )
    .ok();
    assert_eq!(out.stdout, "epoch 0: loss 0.5000\n");
    let id = only_run(&env);
    let run = run_of(&env, &id);
    assert_eq!(run["info"]["run_name"], "my-run");
    assert_eq!(
        params(&run),
        map(&[("alpha", "1.0"), ("epochs", "1"), ("label", "it's")])
    );
    assert_eq!(
        tag(&run, "mlf.command").as_deref(),
        Some(format!("python3 train.py --alpha 1.0 --epochs 1 --label 'it{Q}s'").as_str())
    );
    let exps = env
        .mlf(&["experiments", "list", "--format", "json"])
        .ok()
        .json();
    let exp_id = exps["experiments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "projects")
        .unwrap_or_else(|| panic!("no experiment `projects`: {exps}"))["experiment_id"]
        .clone();
    assert_eq!(run["info"]["experiment_id"], exp_id);
}

#[test]
fn path_params_become_absolute_from_the_callers_directory() {
    let env = project_env();
    let proj = copy_fixture(&env, "basic", "basic");
    env.write("sub/data.csv", "a\nb\nc\nd\ne\n");
    let data = cwd(&env).join("sub/data.csv");

    // Relative to the working directory, not to the project.
    let out = project_run(
        &env,
        &[s(&proj), "-e", "prepare", "-P", "data=sub/data.csv"],
    )
    .ok();
    assert_eq!(out.stdout, "lines=5 out=file:///tmp/prepared\n", "{out}");
    let run = run_of(&env, &newest_run(&env, 1));
    assert_eq!(
        params(&run),
        map(&[("data", s(&data)), ("out", "file:///tmp/prepared")])
    );
    assert_eq!(
        tag(&run, "mlf.command").unwrap(),
        format!("bash prepare.sh {} file:///tmp/prepared", data.display())
    );
    assert_eq!(
        tag(&run, "mlflow.project.entryPoint").as_deref(),
        Some("prepare")
    );

    // From another directory, the same file by another relative path; a `uri` override.
    let sub = env.cwd().join("sub");
    let out = env
        .mlf_in(
            &sub,
            &[
                "project",
                "run",
                s(&proj),
                "-e",
                "prepare",
                "-P",
                "data=./data.csv",
                "-P",
                "out=s3://bucket/key",
            ],
        )
        .ok();
    assert_eq!(out.stdout, "lines=5 out=s3://bucket/key\n", "{out}");
    let run = run_of(&env, &newest_run(&env, 2));
    assert_eq!(params(&run)["data"], s(&data));
}

#[test]
fn failing_entry_point_passes_its_exit_code_and_fails_the_run() {
    let env = project_env();
    let proj = write_project(
        &env,
        "flaky",
        "name: flaky\nentry_points:\n  main:\n    parameters:\n      code: {type: int, default: 0}\n    command: \"echo code={code}; echo oops >&2; exit {code}\"\n  die:\n    command: \"kill -TERM $$\"\n",
    );
    let out = project_run(&env, &[s(&proj), "-P", "code=3"]).code(3);
    assert_eq!(out.stdout, "code=3\n");
    assert!(out.stderr.contains("oops\n"), "{out}");
    let run = run_of(&env, &only_run(&env));
    assert_eq!(status(&run), "FAILED");
    assert_eq!(tag(&run, "mlf.exitCode").as_deref(), Some("3"));
    assert_eq!(
        artifact(&run, "logs/stdout.txt").as_deref(),
        Some("code=3\n")
    );
    assert_eq!(artifact(&run, "logs/stderr.txt").as_deref(), Some("oops\n"));

    project_run(&env, &[s(&proj)]).ok();
    let run = run_of(&env, &newest_run(&env, 2));
    assert_eq!(status(&run), "FINISHED");

    // Killed by a signal: 128+N, KILLED.
    project_run(&env, &[s(&proj), "-e", "die"]).code(143);
    let run = run_of(&env, &newest_run(&env, 3));
    assert_eq!(status(&run), "KILLED");
}

#[test]
fn capture_metrics_logs_the_entry_points_metric_lines() {
    let env = project_env();
    let proj = copy_fixture(&env, "basic", "basic");
    let out = project_run(&env, &[s(&proj), "--capture-metrics", "-P", "epochs=3"]).ok();
    assert!(
        out.stderr.contains("Captured 3 metric points"),
        "{}",
        out.stderr
    );
    let id = only_run(&env);
    assert_eq!(
        history(&env, &id, "loss"),
        [(0, 0.75), (1, 0.5625), (2, 0.4219)]
    );

    project_run(&env, &[s(&proj), "-P", "epochs=3"]).ok();
    let run = run_of(&env, &newest_run(&env, 2));
    assert_eq!(run["data"]["metrics"], serde_json::json!([]));
}

#[test]
fn project_without_mlproject_runs_its_py_and_sh_files() {
    let env = project_env();
    let proj = copy_fixture(&env, "plain", "plain");
    let out = project_run(&env, &[s(&proj), "-e", "train.py", "-P", "lr=0.1"]).ok();
    assert_eq!(out.stdout, "plain project, args: --lr 0.1\n");
    let run = run_of(&env, &newest_run(&env, 1));
    assert_eq!(
        tag(&run, "mlflow.project.entryPoint").as_deref(),
        Some("train.py")
    );
    assert_eq!(
        tag(&run, "mlf.command").as_deref(),
        Some("python train.py --lr 0.1")
    );
    assert_eq!(params(&run), map(&[("lr", "0.1")]));

    let out = project_run(&env, &[s(&proj), "-e", "run.sh"]).ok();
    assert_eq!(out.stdout, "shell entry point\n");
    let run = run_of(&env, &newest_run(&env, 2));
    assert_eq!(tag(&run, "mlf.command").as_deref(), Some("bash run.sh"));

    // Without -e there is no `main`.
    let out = project_run(&env, &[s(&proj)]).code(2);
    assert!(out.stderr.contains("no entry point `main`"), "{out}");
    assert_eq!(run_ids(&env).len(), 2);

    // A file that is a symlink to one outside the project is not run.
    let outside = env.dir.path().join("elsewhere.sh");
    std::fs::write(&outside, "echo ran from outside\n").unwrap();
    std::os::unix::fs::symlink(&outside, proj.join("escape.sh")).unwrap();
    let out = project_run(&env, &[s(&proj), "-e", "escape.sh"]).code(2);
    assert!(out.stderr.contains("leads outside the project"), "{out}");
    assert!(!out.stdout.contains("ran from outside"), "{out}");
    assert_eq!(run_ids(&env).len(), 2);
}

#[test]
fn default_uri_is_the_current_directory() {
    let env = project_env();
    copy_dir(&fixture("basic"), &env.cwd());
    let out = project_run(&env, &["-P", "epochs=1"]).ok();
    assert_eq!(out.stdout, "epoch 0: loss 0.7500\n");
    let run = run_of(&env, &only_run(&env));
    assert_eq!(
        tag(&run, "mlflow.source.name").as_deref(),
        Some(s(&cwd(&env)))
    );
}

// ----- sources: #subdir, git versions ------------------------------------------------------

#[test]
fn subdir_uri_runs_the_subdirectory() {
    let env = project_env();
    let mono = env.dir.path().join("mono");
    copy_dir(&fixture("basic"), &mono.join("projects/basic"));
    std::fs::write(mono.join("README"), "a monorepo\n").unwrap();
    let mono = std::fs::canonicalize(mono).unwrap();
    let uri = format!("{}#projects/basic", mono.display());

    let out = project_run(&env, &[&uri, "-P", "epochs=1"]).ok();
    assert_eq!(out.stdout, "epoch 0: loss 0.7500\n");
    let run = run_of(&env, &only_run(&env));
    assert_eq!(
        tag(&run, "mlflow.source.name").as_deref(),
        Some(uri.as_str())
    );
    let dry = project_run(&env, &[&uri, "--dry-run", "-P", "epochs=1"]).ok();
    assert!(
        dry.stdout
            .starts_with(&format!("cd {}/projects/basic && ", mono.display())),
        "{dry}"
    );

    // In a git repository, at a version.
    git(&mono, &["init", "-q"]);
    git(&mono, &["add", "-A"]);
    git(&mono, &["commit", "-q", "-m", "first"]);
    let first = git(&mono, &["rev-parse", "HEAD"]);
    git(&mono, &["tag", "v1"]);
    let train = mono.join("projects/basic/train.py");
    let text = std::fs::read_to_string(&train).unwrap();
    std::fs::write(&train, text.replace("print(f\"epoch", "print(f\"second")).unwrap();
    git(&mono, &["commit", "-q", "-am", "second"]);

    let out = project_run(&env, &[&uri, "--version", "v1", "-P", "epochs=1"]).ok();
    assert_eq!(out.stdout, "epoch 0: loss 0.7500\n", "{out}");
    let run = run_of(&env, &newest_run(&env, 2));
    assert_eq!(
        tag(&run, "mlflow.source.git.commit").as_deref(),
        Some(first.as_str())
    );
    assert_eq!(
        tag(&run, "mlflow.source.name").as_deref(),
        Some(uri.as_str())
    );
}

/// A git repository made from the basic fixture: `first` (tagged v1, branch `stable`), then
/// `second`, which changes what train.py prints. Returns (repo, first, second).
fn versioned_repo(env: &TestEnv) -> (PathBuf, String, String) {
    let repo = copy_fixture(env, "basic", "repo");
    git(&repo, &["init", "-q"]);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "first"]);
    let first = git(&repo, &["rev-parse", "HEAD"]);
    git(&repo, &["tag", "v1"]);
    git(&repo, &["branch", "stable"]);
    let text = std::fs::read_to_string(repo.join("train.py")).unwrap();
    std::fs::write(
        repo.join("train.py"),
        text.replace("print(f\"epoch", "print(f\"second"),
    )
    .unwrap();
    git(&repo, &["commit", "-q", "-am", "second"]);
    let second = git(&repo, &["rev-parse", "HEAD"]);
    (repo, first, second)
}

#[test]
fn git_version_runs_that_commits_code() {
    let env = project_env();
    let (repo, first, second) = versioned_repo(&env);
    let r = s(&repo);

    let mut count = 0;
    let mut check = |version: &str, branch: Option<&str>| {
        let out = project_run(&env, &[r, "--version", version, "-P", "epochs=1"]).ok();
        assert_eq!(
            out.stdout, "epoch 0: loss 0.7500\n",
            "--version {version} did not run the first commit's code:\n{out}"
        );
        count += 1;
        let run = run_of(&env, &newest_run(&env, count));
        assert_eq!(
            tag(&run, "mlflow.source.git.commit").as_deref(),
            Some(first.as_str()),
            "--version {version}"
        );
        assert_eq!(
            tag(&run, "mlflow.source.git.branch").as_deref(),
            branch,
            "--version {version}"
        );
        assert_eq!(tag(&run, "mlflow.source.name").as_deref(), Some(r));
        assert_eq!(tag(&run, "mlflow.source.type").as_deref(), Some("PROJECT"));
    };
    check(&first, None);
    check(&first[..7], None);
    check("v1", None);
    check("stable", Some("stable"));

    // Without --version, the working tree runs in place, at its commit.
    let out = project_run(&env, &[r, "-P", "epochs=1"]).ok();
    assert_eq!(out.stdout, "second 0: loss 0.7500\n");
    let run = run_of(&env, &newest_run(&env, 5));
    assert_eq!(
        tag(&run, "mlflow.source.git.commit").as_deref(),
        Some(second.as_str())
    );

    // The repository itself was left alone.
    assert!(
        std::fs::read_to_string(repo.join("train.py"))
            .unwrap()
            .contains("second"),
    );
    assert_eq!(git(&repo, &["rev-parse", "HEAD"]), second);
    assert_eq!(git(&repo, &["status", "--porcelain"]), "");

    // A version runs from a checkout in the cache.
    let dry = project_run(&env, &[r, "--version", "v1", "--dry-run"]).ok();
    let projects = format!("cd {}/projects/", cache(&env).display());
    assert!(dry.stdout.starts_with(&projects), "{dry}");
}

// ----- virtualenv --------------------------------------------------------------------------

#[test]
fn venv_project_runs_in_a_cached_virtualenv() {
    let env = project_env();
    let proj = copy_fixture(&env, "venv", "venv");
    let python = which("python3");

    // Dry run first: the plan, nothing built, no store.
    let dry = project_run(&env, &[s(&proj), "--dry-run"]).ok();
    let lines: Vec<&str> = dry.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{dry}");
    let venv_prefix = format!("{} -m venv ", python.display());
    let venv = lines[1]
        .strip_prefix(&venv_prefix)
        .unwrap_or_else(|| panic!("not a venv step: {dry}"));
    let hash = venv
        .strip_prefix(&format!("{}/envs/virtualenv-", cache(&env).display()))
        .unwrap_or_else(|| panic!("the venv is not in MLF_CACHE_DIR/envs: {dry}"));
    assert!(
        hash.len() == 16 && hash.chars().all(|c| c.is_ascii_hexdigit()),
        "{dry}"
    );
    assert_eq!(lines[0], "# virtualenv environment: to build", "{dry}");
    // The run line sets the venv's PATH and VIRTUAL_ENV, so that pasting it runs inside the venv.
    let run_line = lines[2];
    let expected_start = format!("cd {} && env PATH={venv}/bin:", proj.display());
    assert!(run_line.starts_with(&expected_start), "{dry}");
    assert!(run_line.contains(&format!(" VIRTUAL_ENV={venv} ")), "{dry}");
    assert!(
        run_line.ends_with(" bash -c 'python check_env.py 2'"),
        "{dry}"
    );
    assert!(!env.store().exists(), "a dry run created a store");
    assert!(!Path::new(venv).exists(), "a dry run built the venv");

    // The real run builds it and runs inside it.
    let out = project_run(&env, &[s(&proj)]).ok();
    assert!(
        out.stderr.contains("Building virtualenv environment"),
        "{out}"
    );
    assert_eq!(
        out.stdout,
        format!(
            "prefix={venv}\nin_venv=True\nvirtual_env={venv}\nstep=0 value=0.0\nstep=1 value=0.5\n"
        ),
        "{out}"
    );
    let run = run_of(&env, &only_run(&env));
    assert_eq!(status(&run), "FINISHED");
    assert_eq!(
        tag(&run, "mlflow.project.env").as_deref(),
        Some("virtualenv")
    );
    assert_eq!(params(&run), map(&[("n", "2")]));

    // Cached: the dry run says so, and the next run builds nothing.
    let dry = project_run(&env, &[s(&proj), "--dry-run"]).ok();
    assert!(
        dry.stdout
            .starts_with("# virtualenv environment: ready (cached)\n"),
        "{dry}"
    );
    let out = project_run(&env, &[s(&proj), "-P", "n=1", "--capture-metrics"]).ok();
    assert!(!out.stderr.contains("Building"), "rebuilt: {out}");
    assert!(
        out.stdout
            .contains(&format!("in_venv=True\nvirtual_env={venv}\n")),
        "{out}"
    );
    let id = newest_run(&env, 2);
    assert_eq!(history(&env, &id, "value"), [(0, 0.0)]);

    // `--env-manager local` runs outside it.
    let out = project_run(&env, &[s(&proj), "--env-manager", "local", "-P", "n=0"]).ok();
    assert!(out.stdout.contains("virtual_env=\n"), "{out}");
    let run = run_of(&env, &newest_run(&env, 3));
    assert_eq!(tag(&run, "mlflow.project.env"), None);
}

#[test]
fn relative_cache_dir_still_runs_inside_the_virtualenv() {
    // MLF_CACHE_DIR=relcache (inside the working directory): the entry point runs in the
    // project directory, so the venv it is given must not be a path relative to mlf's.
    let env = TestEnv::new();
    let proj = copy_fixture(&env, "venv", "venv");
    let mlf = |args: &[&str]| {
        let mut all = vec!["project", "run", s(&proj)];
        all.extend_from_slice(args);
        let mut cmd = env.command(&all);
        cmd.env("MLF_CACHE_DIR", "relcache");
        support::run(cmd)
    };
    let dry = mlf(&["--dry-run"]).ok();
    let venv = dry
        .stdout
        .lines()
        .nth(1)
        .and_then(|l| l.split_once(" -m venv "))
        .map(|(_, dir)| PathBuf::from(dir))
        .unwrap_or_else(|| panic!("no venv step: {dry}"));
    let name = venv.file_name().unwrap().to_owned();
    let expected = cwd(&env).join("relcache/envs").join(&name);

    // A ready "venv" (its python says so), so that nothing is built.
    let built = env.cwd().join("relcache/envs").join(&name);
    write_script(
        &built.join("bin/python"),
        "#!/bin/bash\necho \"venv python: $* VIRTUAL_ENV=$VIRTUAL_ENV\"\n",
    );
    std::fs::write(built.join(".mlf-ready"), "").unwrap();

    let out = mlf(&[]).ok();
    assert_eq!(
        out.stdout,
        format!(
            "venv python: check_env.py 2 VIRTUAL_ENV={}\n",
            expected.display()
        ),
        "the entry point did not run in the cached venv"
    );
}

// ----- conda (stub) ------------------------------------------------------------------------

/// The conda env name in `conda env create … -n NAME …`.
fn conda_name(create: &[String]) -> String {
    let i = create.iter().position(|a| a == "-n").expect("-n NAME");
    create[i + 1].clone()
}

#[test]
fn conda_project_creates_its_env_and_runs_in_it() {
    let env = project_env();
    let stubs = Stubs::new(&env);
    let proj = copy_fixture(&env, "conda", "conda");
    let conda = stubs.conda();
    let yaml = proj.join("conda.yaml");

    let dry = stubs.project_run(&env, &[s(&proj), "--dry-run"]).ok();
    let lines: Vec<&str> = dry.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{dry}");
    let name = lines[1]
        .split(' ')
        .nth(5)
        .unwrap_or_else(|| panic!("{dry}"))
        .to_string();
    assert!(
        name.len() == 20
            && name.starts_with("mlf-")
            && name[4..].chars().all(|c| c.is_ascii_hexdigit()),
        "env name `{name}`"
    );
    assert_eq!(
        dry.stdout,
        format!(
            "# conda environment: to build\n\
             {conda} env create --yes -n {name} --file {yaml}\n\
             cd {proj} && {conda} run -n {name} --no-capture-output bash -c 'python -c {Q}print(\"rate=0.1\"){Q}'\n",
            yaml = yaml.display(),
            proj = proj.display(),
        )
    );
    assert!(
        stubs.actions().is_empty(),
        "a dry run ran {:?}",
        stubs.actions()
    );
    assert!(!env.store().exists());

    let out = stubs.project_run(&env, &[s(&proj), "-P", "rate=0.7"]).ok();
    assert_eq!(out.stdout, "rate=0.7\n", "{out}");
    assert_eq!(
        stubs.actions(),
        [
            argv(&[
                &conda,
                "env",
                "create",
                "--yes",
                "-n",
                &name,
                "--file",
                s(&yaml)
            ]),
            argv(&[
                &conda,
                "run",
                "-n",
                &name,
                "--no-capture-output",
                "bash",
                "-c",
                "python -c 'print(\"rate=0.7\")'"
            ]),
        ]
    );
    let run = run_of(&env, &only_run(&env));
    assert_eq!(tag(&run, "mlflow.project.env").as_deref(), Some("conda"));
    assert_eq!(status(&run), "FINISHED");

    // Once `conda env list` shows it, it is not created again.
    std::fs::write(
        &stubs.conda_envs,
        format!("{{\"envs\": [\"/opt/conda\", \"/opt/conda/envs/{name}\"]}}"),
    )
    .unwrap();
    stubs.clear();
    let dry = stubs.project_run(&env, &[s(&proj), "--dry-run"]).ok();
    assert!(
        dry.stdout
            .starts_with("# conda environment: ready (cached)\n"),
        "{dry}"
    );
    stubs.project_run(&env, &[s(&proj)]).ok();
    assert_eq!(
        stubs.actions(),
        [argv(&[
            &conda,
            "run",
            "-n",
            &name,
            "--no-capture-output",
            "bash",
            "-c",
            "python -c 'print(\"rate=0.1\")'"
        ])]
    );

    // Another conda.yaml is another env.
    let other = copy_fixture(&env, "conda", "conda2");
    std::fs::write(
        other.join("conda.yaml"),
        "name: other\ndependencies:\n  - python=3.12\n",
    )
    .unwrap();
    let dry = stubs.project_run(&env, &[s(&other), "--dry-run"]).ok();
    assert!(!dry.stdout.contains(&name), "{dry}");
}

#[test]
fn conda_executable_from_mlf_conda_exe() {
    let mut env = project_env();
    let stubs = Stubs::new(&env);
    let exe = root(&env).join("miniconda/bin/conda");
    write_script(&exe, &stubs.conda_script());
    env.set("MLF_CONDA_EXE", s(&exe));
    let proj = copy_fixture(&env, "conda", "conda");

    // Not on PATH; and preferred to a conda on PATH.
    for out in [
        project_run(&env, &[s(&proj)]),
        stubs.project_run(&env, &[s(&proj)]),
    ] {
        let out = out.ok();
        assert_eq!(out.stdout, "rate=0.1\n", "{out}");
    }
    let calls = stubs.calls();
    assert!(!calls.is_empty());
    assert!(
        calls.iter().all(|c| c[0] == s(&exe)),
        "a conda other than MLF_CONDA_EXE ran: {calls:?}"
    );
    let actions = stubs.actions();
    assert_eq!(actions[0][1..4], argv(&["env", "create", "--yes"]));
    let name = conda_name(&actions[0]);
    assert_eq!(
        actions[1],
        argv(&[
            s(&exe),
            "run",
            "-n",
            &name,
            "--no-capture-output",
            "bash",
            "-c",
            "python -c 'print(\"rate=0.1\")'"
        ])
    );
}

#[test]
fn failed_environment_build_creates_no_run() {
    let env = project_env();
    let stubs = Stubs::new(&env);
    let proj = copy_fixture(&env, "conda", "conda");
    std::fs::write(&stubs.conda_fail, "").unwrap();
    let out = stubs.project_run(&env, &[s(&proj)]).code(1);
    assert!(out.stderr.contains("ResolvePackageNotFound"), "{out}");
    assert!(!env.store().exists(), "a failed build created a store");
    let actions = stubs.actions();
    assert_eq!(actions.len(), 1, "{actions:?}");
    assert_eq!(actions[0][1..3], argv(&["env", "create"]));
}

// ----- docker (stub) -----------------------------------------------------------------------

#[test]
fn docker_project_runs_its_image_with_mounts_and_environment() {
    let mut env = project_env();
    env.set("MLF_DOCKER_TOKEN", "s3cr3t-token");
    let stubs = Stubs::new(&env);
    let proj = copy_fixture(&env, "docker", "docker");
    let store = store(&env);
    let expected = docker_run_argv(&stubs, &proj, &store, "python:3.11-slim", true);

    let dry = stubs.project_run(&env, &[s(&proj), "--dry-run"]).ok();
    assert_eq!(
        dry.stdout,
        format!(
            "cd {} && {} 'python train.py --size 8'\n",
            proj.display(),
            expected[..expected.len() - 1].join(" ")
        )
    );
    assert!(stubs.calls().is_empty());
    assert!(!env.store().exists());

    let out = stubs.project_run(&env, &[s(&proj)]).ok();
    assert_eq!(out.stdout, "size 8\n", "{out}");
    let id = only_run(&env);
    assert_eq!(stubs.calls(), [expected]);

    let seen = stubs.docker_env();
    assert_eq!(seen.get("MLF_RUN_ID"), Some(&id));
    assert_eq!(seen.get("MLFLOW_RUN_ID"), Some(&id));
    assert_eq!(seen.get("MLF_STORE").map(String::as_str), Some(s(&store)));
    // The run's tracking server, on the host's loopback, which `--network host` reaches.
    let uri = seen.get("MLFLOW_TRACKING_URI").cloned().unwrap_or_default();
    assert!(uri.starts_with("http://127.0.0.1:"), "{seen:?}");
    assert_eq!(
        seen.get("MLFLOW_EXPERIMENT_ID").map(String::as_str),
        Some("0")
    );
    assert_eq!(
        seen.get("MLF_DOCKER_TOKEN").map(String::as_str),
        Some("s3cr3t-token")
    );

    let run = run_of(&env, &id);
    assert_eq!(status(&run), "FINISHED");
    assert_eq!(tag(&run, "mlflow.project.env").as_deref(), Some("docker"));
    assert_eq!(
        tag(&run, "mlflow.docker.image.uri").as_deref(),
        Some("python:3.11-slim")
    );
    assert!(
        !run.to_string().contains("s3cr3t-token"),
        "the copied variable's value was recorded: {run}"
    );
    assert!(!dry.stdout.contains("s3cr3t-token") && !out.stderr.contains("s3cr3t-token"));
}

#[test]
fn docker_build_image_builds_the_project_into_an_image() {
    let mut env = project_env();
    env.set("MLF_DOCKER_TOKEN", "t");
    let stubs = Stubs::new(&env);

    // Outside git, the tag is `latest`.
    let plain = copy_fixture(&env, "docker", "plain-docker");
    let dry = stubs
        .project_run(&env, &[s(&plain), "--build-image", "--dry-run"])
        .ok();
    assert!(
        dry.stdout
            .lines()
            .nth(1)
            .is_some_and(|l| l.starts_with(&format!(
                "{} build --quiet -t docker-project:latest -f ",
                stubs.docker()
            ))),
        "{dry}"
    );

    // In git, the first 7 characters of the commit.
    let proj = copy_fixture(&env, "docker", "docker");
    git(&proj, &["init", "-q"]);
    git(&proj, &["add", "-A"]);
    git(&proj, &["commit", "-q", "-m", "first"]);
    let commit = git(&proj, &["rev-parse", "HEAD"]);
    let image = format!("docker-project:{}", &commit[..7]);

    let out = stubs.project_run(&env, &[s(&proj), "--build-image"]).ok();
    assert_eq!(out.stdout, "size 8\n", "{out}");
    let calls = stubs.calls();
    assert_eq!(calls.len(), 2, "{calls:?}");
    let build = &calls[0];
    let context = PathBuf::from(build.last().unwrap());
    assert!(
        context.starts_with(cache(&env).join("docker")),
        "build context {context:?} not in the cache"
    );
    assert_eq!(
        *build,
        argv(&[
            &stubs.docker(),
            "build",
            "--quiet",
            "-t",
            &image,
            "-f",
            s(&context.join("Dockerfile")),
            s(&context)
        ])
    );
    assert_eq!(
        std::fs::read_to_string(context.join("Dockerfile")).unwrap(),
        "FROM python:3.11-slim\nCOPY project/ /mlf/project/\nWORKDIR /mlf/project\n"
    );
    for f in ["MLproject", "train.py"] {
        assert_eq!(
            std::fs::read(context.join("project").join(f)).unwrap(),
            std::fs::read(proj.join(f)).unwrap(),
            "{f} in the build context"
        );
    }
    assert!(
        !context.join("project/.git").exists(),
        ".git copied into the image"
    );
    assert_eq!(
        calls[1],
        docker_run_argv(&stubs, &proj, &store(&env), &image, false)
    );

    let run = run_of(&env, &only_run(&env));
    assert_eq!(
        tag(&run, "mlflow.docker.image.uri").as_deref(),
        Some(image.as_str())
    );
    assert_eq!(
        tag(&run, "mlflow.source.git.commit").as_deref(),
        Some(commit.as_str())
    );
}

/// The `-v HOST:CTR` mounts of a docker run argv.
fn mounts(call: &[String]) -> Vec<String> {
    call.windows(2)
        .filter(|w| w[0] == "-v")
        .map(|w| w[1].clone())
        .collect()
}

/// Checks that the first container was told the store in `MLF_STORE` and mounts it at the
/// same path.
#[track_caller]
fn assert_container_sees_store(stubs: &Stubs, store: &Path) {
    let seen = stubs.docker_env();
    assert_eq!(seen.get("MLF_STORE").map(String::as_str), Some(s(store)));
    let calls = stubs.calls();
    let store_mount = format!("{0}:{0}", store.display());
    assert!(
        mounts(&calls[0]).contains(&store_mount),
        "MLF_STORE is {} but the container mounts {:?}",
        store.display(),
        mounts(&calls[0])
    );
}

#[test]
fn docker_mounts_the_store_mlf_creates_at_the_git_root() {
    // In a subdirectory of a git work tree, the store is created at the work tree's root: that
    // is the store the container must see.
    let mut env = project_env();
    env.set("MLF_DOCKER_TOKEN", "t");
    let stubs = Stubs::new(&env);
    let proj = copy_fixture(&env, "docker", "docker");
    git(&env.cwd(), &["init", "-q"]);
    let sub = env.cwd().join("sub");
    std::fs::create_dir_all(&sub).unwrap();

    stubs.project_run_in(&env, &sub, &[s(&proj)]).ok();
    let store = store(&env);
    assert!(store.join("mlf.db").is_file(), "store not at the git root");
    assert_container_sees_store(&stubs, &store);
}

#[test]
fn docker_mounts_a_relative_store_flag_by_its_absolute_path() {
    let mut env = project_env();
    env.set("MLF_DOCKER_TOKEN", "t");
    let stubs = Stubs::new(&env);
    let proj = copy_fixture(&env, "docker", "docker");

    stubs.project_run(&env, &["--store", "st", s(&proj)]).ok();
    let store = cwd(&env).join("st");
    assert!(store.join("mlf.db").is_file());
    assert_container_sees_store(&stubs, &store);
}

// ----- sweeps ------------------------------------------------------------------------------

#[test]
fn sweep_runs_every_combination_under_a_parent() {
    let env = project_env();
    let proj = copy_fixture(&env, "basic", "basic");
    let out = project_run(
        &env,
        &[
            s(&proj),
            "-P",
            "alpha=0.1,0.5",
            "-P",
            "epochs=2,3",
            "--sweep",
            "-j",
            "2",
            "-n",
            "grid",
        ],
    )
    .ok();
    let all = runs(&env);
    assert_eq!(all.len(), 5, "{out}");
    let parent = all
        .iter()
        .find(|r| r["info"]["run_name"] == "grid")
        .expect("a parent run named grid");
    let parent_id = parent["info"]["run_id"].as_str().unwrap();
    let parent = run_of(&env, parent_id);
    assert_eq!(status(&parent), "FINISHED");
    assert_eq!(
        params(&parent),
        map(&[("alpha", "0.1,0.5"), ("epochs", "2,3")])
    );
    assert_eq!(tag(&parent, "mlf.sweep.size").as_deref(), Some("4"));
    assert_eq!(tag(&parent, "mlflow.parentRunId"), None);
    assert_eq!(
        tag(&parent, "mlflow.source.type").as_deref(),
        Some("PROJECT")
    );

    let expected = [
        ("grid-1", "0.1", "2"),
        ("grid-2", "0.1", "3"),
        ("grid-3", "0.5", "2"),
        ("grid-4", "0.5", "3"),
    ];
    for (name, alpha, epochs) in expected {
        let child = all
            .iter()
            .find(|r| r["info"]["run_name"] == name)
            .unwrap_or_else(|| panic!("no child run {name}"));
        let child = run_of(&env, child["info"]["run_id"].as_str().unwrap());
        assert_eq!(status(&child), "FINISHED", "{name}");
        assert_eq!(
            tag(&child, "mlflow.parentRunId").as_deref(),
            Some(parent_id),
            "{name}"
        );
        assert_eq!(
            params(&child),
            map(&[("alpha", alpha), ("epochs", epochs), ("label", "demo run")]),
            "{name}"
        );
        assert_eq!(
            tag(&child, "mlf.command").unwrap(),
            format!("python3 train.py --alpha {alpha} --epochs {epochs} --label 'demo run'")
        );
        let log = artifact(&child, "logs/stdout.txt").unwrap_or_default();
        assert_eq!(
            log.lines().filter(|l| l.starts_with("epoch ")).count(),
            epochs.parse::<usize>().unwrap(),
            "{name}: {log}"
        );
        assert!(out.stdout.contains(name), "{out}");
    }
    // A comparison table of the children, and (two at a time) no streamed output.
    for key in ["params.alpha", "params.epochs", "status"] {
        assert!(out.stdout.contains(key), "no {key} row:\n{out}");
    }
    assert!(!out.stdout.contains("epoch 0:"), "{out}");
}

#[test]
fn a_failing_child_fails_the_sweep() {
    let env = project_env();
    let proj = write_project(
        &env,
        "flaky",
        "name: flaky\nentry_points:\n  main:\n    parameters:\n      code: {type: int, default: 0}\n    command: \"echo code={code}; exit {code}\"\n",
    );
    let out = project_run(&env, &[s(&proj), "-P", "code=0,5", "--sweep", "-j", "2"]).code(1);
    assert!(
        out.stderr.contains("1 of 2 runs did not finish"),
        "{}",
        out.stderr
    );
    let all = runs(&env);
    assert_eq!(all.len(), 3);
    let by_param: BTreeMap<String, &Value> =
        all.iter().map(|r| (params(r)["code"].clone(), r)).collect();
    assert_eq!(status(by_param["0,5"]), "FAILED", "the parent");
    assert_eq!(status(by_param["0"]), "FINISHED");
    assert_eq!(status(by_param["5"]), "FAILED");
    let failed = run_of(&env, by_param["5"]["info"]["run_id"].as_str().unwrap());
    assert_eq!(tag(&failed, "mlf.exitCode").as_deref(), Some("5"));
    assert_eq!(
        tag(&failed, "mlflow.parentRunId").as_deref(),
        by_param["0,5"]["info"]["run_id"].as_str()
    );
}

// ----- --dry-run ---------------------------------------------------------------------------

#[test]
fn dry_run_prints_the_commands_and_runs_nothing() {
    let env = project_env();
    let proj = copy_fixture(&env, "basic", "basic");
    let p = proj.display();
    let out_file = root(&env).join("train-out.json");
    let dry = |args: &[&str]| {
        let mut all = vec!["project", "run", s(&proj), "--dry-run"];
        all.extend_from_slice(args);
        let mut cmd = env.command(&all);
        cmd.env("TRAIN_OUT", &out_file);
        support::run(cmd).ok().stdout
    };

    assert_eq!(
        dry(&[]),
        format!(
            "cd {p} && bash -c 'python3 train.py --alpha 0.5 --epochs 3 --label {Q}demo run{Q}'\n"
        )
    );
    assert_eq!(
        dry(&["-P", "alpha=0.2", "-P", "extra=a b"]),
        format!(
            "cd {p} && bash -c 'python3 train.py --alpha 0.2 --epochs 3 --label {Q}demo run{Q} --extra {Q}a b{Q}'\n"
        )
    );
    env.write("data.csv", "x\n");
    assert_eq!(
        dry(&["-e", "prepare", "-P", "data=data.csv"]),
        format!(
            "cd {p} && bash -c 'bash prepare.sh {}/data.csv file:///tmp/prepared'\n",
            cwd(&env).display()
        )
    );
    assert_eq!(
        dry(&["-P", "alpha=0.1,0.5", "-P", "epochs=2,3", "--sweep", "-j", "2"]),
        [("0.1", "2"), ("0.1", "3"), ("0.5", "2"), ("0.5", "3")]
            .iter()
            .map(|(a, e)| format!(
                "# alpha={a} epochs={e}\ncd {p} && bash -c 'python3 train.py --alpha {a} --epochs {e} --label {Q}demo run{Q}'\n"
            ))
            .collect::<String>()
    );

    assert!(!env.store().exists(), "a dry run created a store");
    assert!(!out_file.exists(), "a dry run ran the entry point");
    assert!(!cache(&env).exists(), "a dry run wrote to the cache");
}

// ----- refused before a run is created -----------------------------------------------------

#[test]
fn bad_input_is_refused_before_a_run_is_created() {
    let env = project_env();
    let basic = copy_fixture(&env, "basic", "basic");
    let b = s(&basic);
    let conda = copy_fixture(&env, "conda", "conda");
    let docker = copy_fixture(&env, "docker", "docker");
    let (repo, _, _) = versioned_repo(&env);
    let bad = |rel: &str, mlproject: &str| write_project(&env, rel, mlproject);
    let bad_yaml = bad("bad-yaml", "name: x\nentry_points: [1, 2\n");
    let bad_field = bad(
        "bad-field",
        "name: x\nentry_points:\n  main:\n    paramters: {a: int}\n    command: echo hi\n",
    );
    let two_envs = bad(
        "two-envs",
        "name: x\nconda_env: conda.yaml\npython_env: python_env.yaml\nentry_points:\n  main:\n    command: echo hi\n",
    );
    std::fs::write(two_envs.join("conda.yaml"), "dependencies: []\n").unwrap();
    std::fs::write(two_envs.join("python_env.yaml"), "python: \"3\"\n").unwrap();
    let placeholder = bad(
        "placeholder",
        "name: x\nentry_points:\n  main:\n    parameters: {a: int}\n    command: \"echo {a} {b}\"\n",
    );
    let bad_type = bad(
        "bad-type",
        "name: x\nentry_points:\n  main:\n    parameters: {a: {type: bool, default: true}}\n    command: \"echo {a}\"\n",
    );
    let missing_env = bad(
        "missing-env",
        "name: x\nconda_env: nowhere.yaml\nentry_points:\n  main:\n    command: echo hi\n",
    );
    let nonexistent = root(&env).join("no-such-project");
    let r = s(&repo);
    let conda_s = s(&conda);
    let docker_s = s(&docker);
    let subdir = format!("{b}#nosuch");
    let escape = format!("{b}#../conda");

    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec![b, "-P", "alpha=fast"],
            "`alpha` must be a float, got `fast`",
        ),
        (
            vec![b, "-P", "epochs=2.5"],
            "`epochs` must be an integer, got `2.5`",
        ),
        (vec![b, "-P", "alpha=0.1,0.5"], "must be a float"),
        (
            vec![b, "-P", "alpha=0.1,fast", "--sweep"],
            "must be a float, got `fast`",
        ),
        (vec![b, "-e", "prepare"], "needs a value for `data`"),
        (
            vec![b, "-e", "nope"],
            "no entry point `nope` (it has main, prepare",
        ),
        (vec![b, "-e", "../conda/MLproject.py"], "no entry point"),
        (vec![s(&bad_yaml)], "invalid MLproject"),
        (vec![s(&bad_field)], "unknown field `paramters`"),
        (
            vec![s(&two_envs)],
            "at most one of conda_env, python_env and docker_env",
        ),
        (
            vec![s(&placeholder)],
            "`{b}`, which is not a declared parameter",
        ),
        (vec![s(&bad_type)], "unknown parameter type `bool`"),
        (vec![s(&missing_env)], "`nowhere.yaml` does not exist"),
        (
            vec![b, "-e", "prepare", "-P", "data=no/such.csv"],
            "`no/such.csv`, which does not exist",
        ),
        (
            vec![
                b,
                "-e",
                "prepare",
                "-P",
                "data=data.csv",
                "-P",
                "out=relative/dir",
            ],
            "must be a URI with a scheme",
        ),
        (
            vec![b, "--version", "v1"],
            "--version needs a git repository",
        ),
        (
            vec![r, "--version", "no-such-ref"],
            "version `no-such-ref` is not a commit, tag or branch",
        ),
        (vec![s(&nonexistent)], "does not exist"),
        (vec![&subdir], "has no directory `nosuch`"),
        (vec![&escape], "must be a relative path inside the project"),
        (vec![docker_s], "copies `MLF_DOCKER_TOKEN`"),
        (vec![b, "-P", "alpha=0.1", "-P", "alpha=0.2"], "given twice"),
        (vec![b, "--sweep"], "--sweep needs parameters"),
        (vec![b, "-P", "novalue"], "novalue"),
        (
            vec![conda_s, "--env-manager", "virtualenv"],
            "declares a conda environment",
        ),
        (vec![b, "--env-manager", "docker"], "needs a docker_env"),
    ];
    // `data.csv` for the uri case: present in the working directory.
    env.write("data.csv", "1\n");

    let check = |when: &str| {
        for (args, message) in &cases {
            let out = project_run(&env, args);
            assert_eq!(out.code, 2, "{when}: {args:?} was not refused:\n{out}");
            assert!(
                out.stderr.contains(message),
                "{when}: {args:?}: expected `{message}` in:\n{out}"
            );
            // With --dry-run too.
            let mut dry = args.clone();
            dry.push("--dry-run");
            project_run(&env, &dry).code(2);
        }
    };

    check("fresh directory");
    assert!(
        !env.store().exists(),
        "a refused project run created a store"
    );

    project_run(&env, &[b, "-P", "epochs=1"]).ok();
    let before = env.snapshot_store();
    check("existing store");
    assert_eq!(
        env.snapshot_store(),
        before,
        "a refused project run changed the store"
    );
    assert_eq!(run_ids(&env).len(), 1);
}

/// Ctrl-C during a parallel sweep (SIGINT to mlf's process group, as a terminal sends it):
/// the running points end, no further point starts, the parent run ends KILLED and mlf exits
/// 130.
#[test]
fn ctrl_c_stops_a_sweep() {
    use std::os::unix::process::CommandExt;
    use std::time::{Duration, Instant};
    let env = project_env();
    let proj = write_project(
        &env,
        "slow",
        "name: slow\nentry_points:\n  main:\n    parameters:\n      n: {type: int, default: 0}\n    command: \"touch started.{n}; sleep 30\"\n",
    );
    let mut cmd = env.command(&[
        "project",
        "run",
        s(&proj),
        "-P",
        "n=1,2,3,4,5",
        "--sweep",
        "-j",
        "2",
    ]);
    cmd.process_group(0)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let started = || {
        std::fs::read_dir(&proj)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with("started.")
            })
            .count()
    };
    let t0 = Instant::now();
    while started() < 2 {
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "the sweep did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let group = format!("-{}", child.id());
    Command::new("kill")
        .args(["-INT", "--", &group])
        .status()
        .unwrap();
    let t0 = Instant::now();
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "the sweep went on after Ctrl-C"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert_eq!(code, Some(130), "{stderr}");
    assert!(
        stderr.contains("stopped; 3 of 5 runs did not start"),
        "{stderr}"
    );
    assert_eq!(started(), 2, "no new point started");
    let all = runs(&env);
    assert_eq!(all.len(), 3, "the parent and two points");
    for run in &all {
        assert_eq!(status(run), "KILLED", "{run}");
    }
}
