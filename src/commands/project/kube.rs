//! `mlf project run --backend kubernetes --backend-config kubernetes_config.json`: the
//! project's docker_env image built with the project copied in and pushed to the config's
//! repository (`docker`), the Job rendered from the user's template as MLflow renders it and
//! created with `kubectl`, then followed: its logs streamed, its status polled every second,
//! and the run ended with the Job's outcome. Ctrl-C deletes the Job. Everything the config,
//! the template and the project must say is checked before anything runs.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::commands::context::Ctx;
use crate::env;
use crate::error::{CliResult, failure, usage_error};
use crate::process::find_program;
use crate::project::kube::{self, JobState, KubeConfig};
use crate::project::{EnvSpec, Project, Resolved, fetch::Fetched};
use crate::store::NewRun;
use crate::tracking::{KeyValue, Run, RunStatus, tags};
use crate::ui::format::short_id;

/// How often the Job's status is read.
const POLL: Duration = Duration::from_secs(1);
/// `kubectl get` failures in a row after which the Job is given up.
const GET_FAILURES: u32 = 5;

/// What `mlf project run` hands the backend.
pub(super) struct KubeRun<'a> {
    pub config: &'a Path,
    pub project: &'a Project,
    pub fetched: &'a Fetched,
    pub entry: &'a str,
    pub experiment: Option<&'a str>,
    pub name: Option<String>,
    pub resolved: &'a Resolved,
    pub command: &'a str,
    pub dry_run: bool,
}

/// The tools and settings, all checked before anything runs.
struct Ready {
    config: KubeConfig,
    base_image: String,
    project_name: String,
    docker: String,
    kubectl: String,
    /// `MLFLOW_TRACKING_URI` for the Job's pods.
    tracking_uri: String,
    command: Vec<String>,
}

fn check(ctx: &Ctx, k: &KubeRun) -> CliResult<Ready> {
    let config = kube::load(k.config, &ctx.cwd()?).map_err(usage_error)?;
    let EnvSpec::Docker(d) = &k.project.env else {
        return Err(usage_error(
            "--backend kubernetes runs the project in its docker_env image: the MLproject declares no docker_env",
        ));
    };
    let project_name = k.project.name.clone().ok_or_else(|| {
        usage_error(
            "--backend kubernetes names the Job after the project: give the MLproject a `name`",
        )
    })?;
    let tool = |name: &str| {
        find_program(name)
            .map(|p| p.display().to_string())
            .ok_or_else(|| usage_error(format!("--backend kubernetes needs `{name}` on PATH")))
    };
    let (docker, kubectl) = (tool("docker")?, tool("kubectl")?);
    let tracking_uri = match env::var(env::KUBE_MLFLOW_TRACKING_URI) {
        Some(uri) => uri,
        None => ctx.tracking_uri()?.ok_or_else(|| {
            usage_error(
                "--backend kubernetes: the Job's pods log to a tracking server they can reach, and this run is tracked in a local store",
            )
            .hint("run against a tracking server (MLFLOW_TRACKING_URI=http://…), or set KUBE_MLFLOW_TRACKING_URI to the URL the pods use")
        })?,
    };
    let command = kube::command_words(k.command).map_err(usage_error)?;
    Ok(Ready {
        config,
        base_image: d.image.clone(),
        project_name,
        docker,
        kubectl,
        tracking_uri,
        command,
    })
}

fn kv(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.to_string(),
        value: value.to_string(),
    }
}

/// The arguments of `kubectl [--context C] ARGS…`.
fn kubectl_args(r: &Ready, args: &[&str]) -> Vec<String> {
    let mut all = Vec::new();
    if let Some(context) = &r.config.context {
        all.extend(["--context".to_string(), context.clone()]);
    }
    all.extend(args.iter().map(|a| a.to_string()));
    all
}

/// `kubectl [--context C] ARGS…`.
fn kubectl(r: &Ready, args: &[&str]) -> Command {
    let mut c = Command::new(&r.kubectl);
    c.args(kubectl_args(r, args));
    c
}

/// A command line as a shell would take it.
fn shown(program: &str, args: &[String]) -> String {
    std::iter::once(program.to_string())
        .chain(args.iter().cloned())
        .map(|a| crate::process::shell_quote(&a))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs a tool to its end; its stdout, or one line with its command and stderr's last line.
fn output(mut cmd: Command, what: &str) -> Result<String, String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {what}: {e}"))?;
    if out.status.success() {
        return Ok(String::from_utf8_lossy(&out.stdout).trim().to_string());
    }
    let err = String::from_utf8_lossy(&out.stderr);
    let last = err
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    Err(format!("{what} failed ({}): {last}", out.status))
}

pub(super) fn run(ctx: &mut Ctx, k: KubeRun) -> CliResult<u8> {
    let r = check(ctx, &k)?;
    let tag = kube::image_tag(&r.config.repository, k.fetched.commit.as_deref());
    let context_dir = crate::project::fetch::cache_dir()
        .join("kubernetes")
        .join(r.project_name.replace('/', "_"));
    let ns = r.config.namespace.clone();
    if k.dry_run {
        let job = kube::render(
            &r.config,
            &kube::job_name(&r.project_name, crate::tracking::ids::now_ms(), 0),
            &r.project_name,
            &format!("{tag}@<digest>"),
            &r.command,
            &run_vars("<run id>", "<experiment id>", &r.tracking_uri),
        );
        let dockerfile = context_dir.join("Dockerfile").display().to_string();
        let dir = context_dir.display().to_string();
        let lines = [
            shown(
                &r.docker,
                &["build", "-t", &tag, "-f", &dockerfile, &dir].map(String::from),
            ),
            shown(&r.docker, &["push", &tag].map(String::from)),
            shown(
                &r.kubectl,
                &kubectl_args(&r, &["-n", &ns, "create", "-f", "JOB.json"]),
            ),
        ];
        let mut text = lines.join("\n");
        text.push_str("\n# JOB.json\n");
        text.push_str(&serde_json::to_string_pretty(&job).unwrap_or_default());
        text.push('\n');
        ctx.ui.out(&text);
        return Ok(0);
    }

    let experiment_id = crate::commands::run::experiment_for_new_run(ctx, k.experiment)?;
    let mut tag_list = vec![
        kv(tags::SOURCE_TYPE, "PROJECT"),
        kv(tags::SOURCE_NAME, &k.fetched.source),
        kv("mlflow.project.entryPoint", k.entry),
        kv("mlflow.project.backend", "kubernetes"),
        kv("mlflow.project.env", "docker"),
        kv("mlflow.docker.image.uri", &tag),
        kv(tags::COMMAND, k.command),
    ];
    if let Some(c) = &k.fetched.commit {
        tag_list.push(kv(tags::GIT_COMMIT, c));
    }
    if let Some(u) = &k.fetched.repo_url {
        tag_list.push(kv(tags::GIT_REPO_URL, u));
    }
    if let Some(b) = &k.fetched.branch {
        tag_list.push(kv(tags::GIT_BRANCH, b));
    }
    let params = k.resolved.all().iter().map(|(a, b)| kv(a, b)).collect();
    let new = NewRun {
        experiment_id: experiment_id.clone(),
        name: k.name.clone(),
        user: env::login_name().unwrap_or_default(),
        tags: tag_list,
        params,
        owner: None,
        make_active: false,
        start_time: None,
    };
    let run = ctx.store_for_write()?.create_run(new)?;
    let shown = format!("{} ({})", run.info.run_name, short_id(&run.info.run_id));
    ctx.ui.status(
        "Started",
        &format!(
            "run {shown} of `{}` entry point `{}` on Kubernetes",
            k.fetched.source, k.entry
        ),
    );
    let submitted = submit(ctx, &r, &k, &run, &tag, &context_dir);
    let job = match submitted {
        Ok(job) => job,
        Err(why) => {
            end(ctx, &run, RunStatus::Failed)?;
            return Err(failure(format!("run {shown} failed: {why}")));
        }
    };
    ctx.ui
        .status("Created", &format!("job {job} in namespace {ns}"));
    let (status, message) = follow(&r, &job);
    end(ctx, &run, status)?;
    match status {
        RunStatus::Finished => {
            ctx.ui
                .status("Finished", &format!("run {shown}: job {job} completed"));
            Ok(0)
        }
        RunStatus::Killed => {
            ctx.ui
                .warn(&format!("run {shown} killed: job {job} deleted"));
            Ok(crate::process::signal_exit_code().unwrap_or(130))
        }
        _ => {
            ctx.ui.warn(&format!("run {shown} failed: {message}"));
            Ok(1)
        }
    }
}

/// The variables the Job's container gets, in MLflow's order.
fn run_vars(run_id: &str, experiment_id: &str, tracking_uri: &str) -> Vec<(String, String)> {
    vec![
        (env::MLFLOW_RUN_ID.to_string(), run_id.to_string()),
        (
            env::MLFLOW_TRACKING_URI.to_string(),
            tracking_uri.to_string(),
        ),
        (
            env::MLFLOW_EXPERIMENT_ID.to_string(),
            experiment_id.to_string(),
        ),
    ]
}

/// Builds and pushes the image, renders the Job (kept as the run's artifact
/// `kubernetes/job.json`) and creates it; the Job's name.
fn submit(
    ctx: &mut Ctx,
    r: &Ready,
    k: &KubeRun,
    run: &Run,
    tag: &str,
    context_dir: &Path,
) -> Result<String, String> {
    crate::project::envs::write_build_context(k.project, &r.base_image, context_dir)
        .map_err(|e| e.to_string())?;
    ctx.ui.status("Building", &format!("image {tag}"));
    let mut build = Command::new(&r.docker);
    build.args(["build", "-t", tag, "-f"]);
    build.arg(context_dir.join("Dockerfile")).arg(context_dir);
    output(build, "docker build")?;
    ctx.ui.status("Pushing", &format!("image {tag}"));
    let mut push = Command::new(&r.docker);
    push.args(["push", tag]);
    output(push, "docker push")?;
    let mut inspect = Command::new(&r.docker);
    inspect.args(["inspect", "--format", "{{index .RepoDigests 0}}", tag]);
    let pushed = output(inspect, "docker inspect")?;
    let digest = pushed
        .rsplit_once('@')
        .map(|(_, d)| d.to_string())
        .filter(|d| d.contains(':'))
        .ok_or_else(|| format!("docker inspect gave no digest for {tag}: `{pushed}`"))?;
    let now = crate::tracking::ids::now_ms();
    let micros = (now.rem_euclid(1000)) * 1000;
    let name = kube::job_name(&r.project_name, now, micros);
    let vars = run_vars(&run.info.run_id, &run.info.experiment_id, &r.tracking_uri);
    let job = kube::render(
        &r.config,
        &name,
        &r.project_name,
        &format!("{tag}@{digest}"),
        &r.command,
        &vars,
    );
    let text = serde_json::to_string_pretty(&job).unwrap_or_default();
    let file = context_dir.with_extension("job.json");
    std::fs::write(&file, &text).map_err(|e| format!("cannot write `{}`: {e}", file.display()))?;
    if let Ok(repo) = ctx.store().and_then(|s| Ok(s.artifacts(run)?)) {
        let _ = repo.write_bytes(Path::new("kubernetes/job.json"), text.as_bytes());
    }
    let file_arg = file.display().to_string();
    output(
        kubectl(r, &["-n", &r.config.namespace, "create", "-f", &file_arg]),
        "kubectl create",
    )?;
    Ok(name)
}

/// Follows the Job to its end: the run's status and what ended it. Its logs are streamed
/// once it starts; Ctrl-C (or a signal sent to mlf) deletes it.
fn follow(r: &Ready, job: &str) -> (RunStatus, String) {
    crate::process::install_forwarding();
    let ns = r.config.namespace.as_str();
    let mut logs: Option<Child> = None;
    let mut failures = 0;
    let outcome = loop {
        if crate::process::signal_arrived() {
            let deleted = output(
                kubectl(r, &["-n", ns, "delete", "job", job]),
                "kubectl delete",
            );
            let why = match deleted {
                Ok(_) => "interrupted".to_string(),
                Err(e) => e,
            };
            break (RunStatus::Killed, why);
        }
        let state = output(
            kubectl(r, &["-n", ns, "get", "job", job, "-o", "json"]),
            "kubectl get job",
        )
        .and_then(|text| serde_json::from_str(&text).map_err(|e| format!("kubectl get job: {e}")))
        .map(|v| kube::job_state(&v));
        match state {
            Ok(state) => {
                failures = 0;
                if state != JobState::Waiting && logs.is_none() {
                    let job_ref = format!("job/{job}");
                    logs = kubectl(r, &["-n", ns, "logs", "-f", &job_ref])
                        .stdin(Stdio::null())
                        .spawn()
                        .ok();
                }
                match state {
                    JobState::Complete(m) => break (RunStatus::Finished, m),
                    JobState::Failed(m) => {
                        break (RunStatus::Failed, format!("job {job} failed: {m}"));
                    }
                    _ => {}
                }
            }
            Err(e) => {
                failures += 1;
                if failures >= GET_FAILURES {
                    break (
                        RunStatus::Failed,
                        format!("{e}; the job may still run: kubectl -n {ns} delete job {job}"),
                    );
                }
            }
        }
        std::thread::sleep(POLL);
    };
    // The log stream ends with the container; it is not waited on for long.
    if let Some(mut child) = logs {
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    outcome
}

/// Records the run's end.
fn end(ctx: &mut Ctx, run: &Run, status: RunStatus) -> CliResult<()> {
    let now = crate::tracking::ids::now_ms();
    ctx.store_for_write()?
        .update_run(&run.info.run_id, status, Some(now))?;
    Ok(())
}
