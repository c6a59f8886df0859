//! The environments an entry point runs in: local, virtualenv, uv, conda and docker. Each is
//! planned as the exact commands that create it (cached by a hash of its spec, under the user's
//! cache directory) and the command line that runs the entry point inside it.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{DockerEnv, EnvSpec, Error, Project};
use crate::env;
use crate::process::{find_program, shell_quote};

/// `--env-manager`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Manager {
    /// The current environment, as it is
    Local,
    /// A virtual environment from python_env.yaml (`python -m venv` + pip)
    Virtualenv,
    /// The same spec, built with uv
    Uv,
    /// A conda environment from conda.yaml (`conda env create`, then `conda run`)
    Conda,
    /// The docker_env image (`docker run`)
    Docker,
}

impl Manager {
    pub fn as_str(self) -> &'static str {
        match self {
            Manager::Local => "local",
            Manager::Virtualenv => "virtualenv",
            Manager::Uv => "uv",
            Manager::Conda => "conda",
            Manager::Docker => "docker",
        }
    }

    /// The manager a project asks for when `--env-manager` is not given: conda for conda_env,
    /// docker for docker_env, virtualenv for python_env, local when nothing is declared.
    pub fn default_for(spec: &EnvSpec) -> Manager {
        match spec {
            EnvSpec::None => Manager::Local,
            EnvSpec::Python(_) => Manager::Virtualenv,
            EnvSpec::Conda(_) => Manager::Conda,
            EnvSpec::Docker(_) => Manager::Docker,
        }
    }
}

/// One command that builds the environment.
#[derive(Debug, Clone)]
pub struct Step {
    pub argv: Vec<String>,
    pub cwd: Option<PathBuf>,
}

impl Step {
    fn new(argv: Vec<String>) -> Step {
        Step { argv, cwd: None }
    }

    pub fn display(&self) -> String {
        let line = self
            .argv
            .iter()
            .map(|a| shell_quote(a))
            .collect::<Vec<_>>()
            .join(" ");
        match &self.cwd {
            Some(d) => format!("(cd {} && {line})", shell_quote(&d.display().to_string())),
            None => line,
        }
    }
}

/// How to build an environment and run an entry point in it.
#[derive(Debug, Clone)]
pub struct Plan {
    pub manager: Manager,
    /// Commands that create the environment (empty when there is nothing to build).
    pub setup: Vec<Step>,
    /// When set, the environment is ready once this path exists (it is created last).
    pub ready_marker: Option<PathBuf>,
    /// A conda environment is ready when `conda env list` shows this name.
    pub conda_env: Option<(String, String)>,
    /// The program and arguments that run an entry point command (appended as the last
    /// argument for `bash -c`).
    pub runner: Vec<String>,
    /// Environment variables for the entry point.
    pub env: Vec<(String, String)>,
    /// The image the run uses (docker).
    pub image: Option<String>,
}

impl Plan {
    /// The argv that runs `command` in this environment.
    pub fn argv(&self, command: &str) -> Vec<String> {
        let mut argv = self.runner.clone();
        argv.push(command.to_string());
        argv
    }
}

#[derive(Debug, Default, Deserialize)]
struct PythonEnvFile {
    python: Option<String>,
    #[serde(default)]
    build_dependencies: Vec<String>,
    #[serde(default)]
    dependencies: Vec<String>,
}

fn digest(parts: &[String]) -> String {
    super::fetch::hash(&parts.iter().map(String::as_str).collect::<Vec<_>>())
}

/// The Python interpreter for a version (`3.11`, `3.11.7`): `pythonX.Y` on PATH, else
/// `python3` when its version matches.
fn python_for(version: Option<&str>) -> Result<String, Error> {
    let Some(v) = version else {
        return find_program("python3")
            .map(|p| p.display().to_string())
            .ok_or_else(|| Error::Env("no `python3` on PATH".into()));
    };
    let parts: Vec<&str> = v.split('.').collect();
    let minor = if parts.len() >= 2 {
        format!("{}.{}", parts[0], parts[1])
    } else {
        v.to_string()
    };
    if let Some(p) = find_program(&format!("python{minor}")) {
        return Ok(p.display().to_string());
    }
    if let Some(p) = find_program("python3") {
        let out = std::process::Command::new(&p)
            .args(["-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"])
            .output()
            .map_err(|e| Error::Env(format!("cannot run python3: {e}")))?;
        let have = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let matches = if parts.len() >= 3 {
            have == v
        } else {
            have.starts_with(&format!("{v}."))
        };
        if matches {
            return Ok(p.display().to_string());
        }
        return Err(Error::Env(format!(
            "the project wants Python {v}, but `python3` here is {have} and no `python{minor}` is on PATH: install it, or run with `--env-manager local`"
        )));
    }
    Err(Error::Env(format!(
        "the project wants Python {v}, and no Python is on PATH"
    )))
}

/// Reads the files `-r FILE` lines name, so that the hash changes when they do.
fn requirement_files(deps: &[String], dir: &Path) -> Vec<String> {
    deps.iter()
        .filter_map(|d| d.strip_prefix("-r").map(str::trim))
        .map(|f| std::fs::read_to_string(dir.join(f)).unwrap_or_default())
        .collect()
}

/// What a docker run needs from the run.
pub struct DockerRun<'a> {
    /// The local store (mounted at its own path), or none for a tracking server.
    pub store_root: Option<&'a Path>,
    pub build_image: bool,
    pub commit: Option<&'a str>,
}

/// Plans the environment for a project.
pub fn plan(project: &Project, manager: Manager, docker: &DockerRun) -> Result<Plan, Error> {
    let bash = vec!["bash".to_string(), "-c".to_string()];
    let mut plan = Plan {
        manager,
        setup: Vec::new(),
        ready_marker: None,
        conda_env: None,
        runner: bash.clone(),
        env: Vec::new(),
        image: None,
    };
    match (manager, &project.env) {
        (Manager::Local, _) => Ok(plan),
        (Manager::Virtualenv | Manager::Uv, EnvSpec::Conda(_)) => Err(Error::Env(format!(
            "the project declares a conda environment: run it with `--env-manager conda` or `--env-manager local`, not {}",
            manager.as_str()
        ))),
        (Manager::Virtualenv | Manager::Uv, EnvSpec::Docker(_)) | (Manager::Conda, EnvSpec::Docker(_)) => Err(Error::Env(format!(
            "the project declares a docker environment: run it with `--env-manager docker` or `--env-manager local`, not {}",
            manager.as_str()
        ))),
        (Manager::Conda, EnvSpec::Python(_)) => Err(Error::Env("the project declares a python_env: run it with `--env-manager virtualenv`, `uv` or `local`, not conda".into())),
        (Manager::Virtualenv | Manager::Uv, spec) => {
            let file = match spec {
                EnvSpec::Python(path) => {
                    let text = std::fs::read_to_string(path).map_err(|e| Error::Env(format!("cannot read `{}`: {e}", path.display())))?;
                    serde_yaml::from_str::<PythonEnvFile>(&text).map_err(|e| Error::Env(format!("invalid python_env `{}`: {e}", path.display())))?
                }
                _ => PythonEnvFile::default(),
            };
            let python = if manager == Manager::Uv {
                file.python.clone().unwrap_or_else(|| "3".into())
            } else {
                python_for(file.python.as_deref())?
            };
            let mut key = vec![manager.as_str().to_string(), file.python.clone().unwrap_or_default()];
            key.extend(file.build_dependencies.iter().cloned());
            key.push("|".into());
            key.extend(file.dependencies.iter().cloned());
            key.extend(requirement_files(&file.dependencies, &project.dir));
            let dir = super::fetch::cache_dir().join("envs").join(format!("{}-{}", manager.as_str(), digest(&key)));
            let py = dir.join("bin").join("python").display().to_string();
            let d = dir.display().to_string();
            if manager == Manager::Uv {
                let uv = find_program("uv").ok_or_else(|| Error::Env("`--env-manager uv` needs `uv` on PATH: install it (`pip install uv`) or use virtualenv".into()))?;
                let uv = uv.display().to_string();
                plan.setup.push(Step::new(vec![uv.clone(), "venv".into(), "--quiet".into(), d.clone(), format!("--python={python}")]));
                for deps in [&file.build_dependencies, &file.dependencies] {
                    if !deps.is_empty() {
                        let mut argv = vec![uv.clone(), "pip".into(), "install".into(), "--quiet".into(), "--python".into(), py.clone()];
                        argv.extend(pip_args(deps));
                        plan.setup.push(Step { argv, cwd: Some(project.dir.clone()) });
                    }
                }
            } else {
                plan.setup.push(Step::new(vec![python, "-m".into(), "venv".into(), d.clone()]));
                for deps in [&file.build_dependencies, &file.dependencies] {
                    if !deps.is_empty() {
                        let mut argv = vec![py.clone(), "-m".into(), "pip".into(), "install".into(), "--quiet".into(), "--disable-pip-version-check".into()];
                        argv.extend(pip_args(deps));
                        plan.setup.push(Step { argv, cwd: Some(project.dir.clone()) });
                    }
                }
            }
            plan.ready_marker = Some(dir.join(".mlf-ready"));
            let path = env::var(env::PATH).unwrap_or_default();
            plan.env = vec![
                (env::PATH.into(), format!("{}:{path}", dir.join("bin").display())),
                ("VIRTUAL_ENV".into(), d),
            ];
            Ok(plan)
        }
        (Manager::Conda, spec) => {
            let conda = env::var(env::MLF_CONDA_EXE)
                .or_else(|| env::var(env::CONDA_EXE))
                .or_else(|| find_program("conda").map(|p| p.display().to_string()))
                .ok_or_else(|| Error::Env("`--env-manager conda` needs conda: put it on PATH or set MLF_CONDA_EXE (or CONDA_EXE)".into()))?;
            let (name, create) = match spec {
                EnvSpec::Conda(path) => {
                    let text = std::fs::read_to_string(path).map_err(|e| Error::Env(format!("cannot read `{}`: {e}", path.display())))?;
                    let name = format!("mlf-{}", digest(&[text]));
                    let argv = vec![conda.clone(), "env".into(), "create".into(), "--yes".into(), "-n".into(), name.clone(), "--file".into(), path.display().to_string()];
                    (name, argv)
                }
                _ => {
                    let name = format!("mlf-{}", digest(&["python".into()]));
                    let argv = vec![conda.clone(), "create".into(), "--yes".into(), "-n".into(), name.clone(), "python".into()];
                    (name, argv)
                }
            };
            plan.setup.push(Step::new(create));
            plan.conda_env = Some((conda.clone(), name.clone()));
            plan.runner = vec![conda, "run".into(), "-n".into(), name, "--no-capture-output".into(), "bash".into(), "-c".into()];
            Ok(plan)
        }
        (Manager::Docker, EnvSpec::Docker(d)) => docker_plan(project, d, docker, plan),
        (Manager::Docker, _) => Err(Error::Env("`--env-manager docker` needs a docker_env in the MLproject".into())),
    }
}

/// `-r file` and plain requirement lines as pip arguments.
fn pip_args(deps: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for d in deps {
        if let Some(f) = d.strip_prefix("-r") {
            out.push("-r".into());
            out.push(f.trim().into());
        } else {
            out.push(d.clone());
        }
    }
    out
}

/// Where the project is inside the container.
pub const CONTAINER_PROJECT_DIR: &str = "/mlf/project";

/// Whether the tracking URI the run is given names this machine's loopback.
fn tracking_on_loopback() -> bool {
    [env::MLF_TRACKING_URI, env::MLFLOW_TRACKING_URI]
        .into_iter()
        .filter_map(env::var)
        .any(|uri| {
            let rest = uri.split_once("://").map(|(_, r)| r).unwrap_or("");
            let host = rest.split(['/', '?']).next().unwrap_or("");
            let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
            let host = match host.strip_prefix('[') {
                Some(v6) => v6.split(']').next().unwrap_or(""),
                None => host.split(':').next().unwrap_or(""),
            };
            host.eq_ignore_ascii_case("localhost") || host.starts_with("127.") || host == "::1"
        })
}

fn docker_plan(
    project: &Project,
    d: &DockerEnv,
    run: &DockerRun,
    mut plan: Plan,
) -> Result<Plan, Error> {
    let docker = find_program("docker")
        .map(|p| p.display().to_string())
        .ok_or_else(|| Error::Env("`--env-manager docker` needs `docker` on PATH".into()))?;
    let name = project.name.clone().unwrap_or_else(|| "mlf-project".into());
    let image = if run.build_image {
        let tag = match run.commit {
            Some(c) => format!("{name}:{}", &c[..c.len().min(7)]),
            None => format!("{name}:latest"),
        };
        let context = super::fetch::cache_dir()
            .join("docker")
            .join(digest(&[project.dir.display().to_string(), tag.clone()]));
        plan.setup.push(Step::new(vec![
            docker.clone(),
            "build".into(),
            "--quiet".into(),
            "-t".into(),
            tag.clone(),
            "-f".into(),
            context.join("Dockerfile").display().to_string(),
            context.display().to_string(),
        ]));
        tag
    } else {
        d.image.clone()
    };
    let mut runner = vec![docker, "run".into(), "--rm".into()];
    // The run's tracking server listens on the host's loopback (mlf's own, or the user's on
    // localhost): the container shares the host's network to reach it, as a container of
    // `mlflow run` reaches a local tracking server.
    if run.store_root.is_some() || tracking_on_loopback() {
        runner.extend(["--network".into(), "host".into()]);
    }
    if !run.build_image {
        runner.extend([
            "-v".into(),
            format!("{}:{CONTAINER_PROJECT_DIR}", project.dir.display()),
        ]);
    }
    runner.extend(["-w".into(), CONTAINER_PROJECT_DIR.into()]);
    if let Some(root) = run.store_root {
        let store = root.display().to_string();
        runner.extend(["-v".into(), format!("{store}:{store}")]);
    }
    // The tracking variables reach the container by name; their values come from mlf's
    // launch environment (`-e NAME` copies the caller's value).
    let location = match run.store_root {
        Some(_) => vec![env::MLF_STORE, env::MLFLOW_TRACKING_URI],
        None => vec![env::MLF_TRACKING_URI, env::MLFLOW_TRACKING_URI],
    };
    for var in [env::MLF_RUN_ID]
        .into_iter()
        .chain(location)
        .chain([env::MLFLOW_RUN_ID, env::MLFLOW_EXPERIMENT_ID])
    {
        runner.extend(["-e".into(), var.into()]);
    }
    for v in &d.volumes {
        runner.extend(["-v".into(), v.clone()]);
    }
    for (k, v) in &d.environment {
        if v.is_none() && env::var(k).is_none() {
            return Err(Error::Env(format!(
                "docker_env copies `{k}` from the environment, but it is not set: set it or remove it from the MLproject"
            )));
        }
        let arg = match v {
            Some(v) => format!("{k}={v}"),
            None => k.clone(),
        };
        runner.extend(["-e".into(), arg]);
    }
    runner.extend([image.clone(), "bash".into(), "-c".into()]);
    plan.runner = runner;
    plan.image = Some(image);
    Ok(plan)
}

/// Writes the build context of `--build-image`: the project (without `.git` and `.mlf`) and
/// a Dockerfile that copies it in.
pub fn write_build_context(
    project: &Project,
    base_image: &str,
    context: &Path,
) -> Result<(), Error> {
    if context.exists() {
        std::fs::remove_dir_all(context)
            .map_err(|e| Error::Env(format!("cannot clear `{}`: {e}", context.display())))?;
    }
    let dest = context.join("project");
    copy_tree(&project.dir, &dest).map_err(|e| {
        Error::Env(format!(
            "cannot copy the project into `{}`: {e}",
            dest.display()
        ))
    })?;
    let dockerfile = format!(
        "FROM {base_image}\nCOPY project/ {CONTAINER_PROJECT_DIR}/\nWORKDIR {CONTAINER_PROJECT_DIR}\n"
    );
    std::fs::write(context.join("Dockerfile"), dockerfile)
        .map_err(|e| Error::Env(format!("cannot write the Dockerfile: {e}")))
}

/// Copies a directory tree (without `.git` and `.mlf`).
pub fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        if name == ".git" || name == ".mlf" {
            continue;
        }
        let ty = entry.file_type()?;
        if ty.is_dir() {
            copy_tree(&entry.path(), &to.join(&name))?;
        } else if ty.is_file() {
            std::fs::copy(entry.path(), to.join(&name))?;
        }
    }
    Ok(())
}

/// Whether the planned environment already exists.
pub fn is_ready(plan: &Plan) -> bool {
    if let Some(marker) = &plan.ready_marker {
        return marker.exists();
    }
    if let Some((conda, name)) = &plan.conda_env {
        let out = std::process::Command::new(conda)
            .args(["env", "list", "--json"])
            .output();
        if let Ok(out) = out {
            if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&out.stdout) {
                return v["envs"].as_array().is_some_and(|envs| {
                    envs.iter()
                        .filter_map(|e| e.as_str())
                        .any(|p| Path::new(p).file_name().is_some_and(|n| n == name.as_str()))
                });
            }
        }
        return false;
    }
    plan.setup.is_empty()
}

/// Runs the setup commands (under a lock, so parallel runs build once); their output is kept
/// and shown only when one fails.
pub fn build(plan: &Plan, project: &Project, progress: &dyn Fn(&str)) -> Result<(), Error> {
    if plan.setup.is_empty() || is_ready(plan) {
        return Ok(());
    }
    let lock_path = super::fetch::cache_dir().join("envs").join(".lock");
    std::fs::create_dir_all(lock_path.parent().expect("lock has a parent"))
        .map_err(|e| Error::Env(format!("cannot create the env cache: {e}")))?;
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| Error::Env(format!("cannot lock the env cache: {e}")))?;
    // Released when `lock` is dropped.
    crate::sys::lock_exclusive(&lock)
        .map_err(|e| Error::Env(format!("cannot lock the env cache: {e}")))?;
    if is_ready(plan) {
        return Ok(());
    }
    if plan.manager == Manager::Docker {
        if let (EnvSpec::Docker(d), Some(step)) = (&project.env, plan.setup.first()) {
            let context = PathBuf::from(step.argv.last().expect("build has a context"));
            write_build_context(project, &d.image, &context)?;
        }
    }
    if let Some(marker) = &plan.ready_marker {
        // A half-built environment from an interrupted build is started again.
        if let Some(dir) = marker.parent() {
            if dir.exists() {
                let _ = std::fs::remove_dir_all(dir);
            }
        }
    }
    for step in &plan.setup {
        progress(&step.display());
        let mut cmd = std::process::Command::new(&step.argv[0]);
        cmd.args(&step.argv[1..]).stdin(std::process::Stdio::null());
        if let Some(d) = &step.cwd {
            cmd.current_dir(d);
        }
        let out = cmd
            .output()
            .map_err(|e| Error::Env(format!("cannot run `{}`: {e}", step.argv[0])))?;
        if !out.status.success() {
            let mut text = String::from_utf8_lossy(&out.stderr).into_owned();
            if text.trim().is_empty() {
                text = String::from_utf8_lossy(&out.stdout).into_owned();
            }
            let tail: Vec<&str> = text
                .lines()
                .rev()
                .take(15)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            return Err(Error::Env(format!(
                "building the environment failed at `{}` (exit code {}):\n{}",
                step.display(),
                out.status.code().unwrap_or(-1),
                tail.join("\n")
            )));
        }
    }
    if let Some(marker) = &plan.ready_marker {
        std::fs::write(marker, "")
            .map_err(|e| Error::Env(format!("cannot mark the environment ready: {e}")))?;
    }
    Ok(())
}
