//! `mlf project run [URI]`: an MLproject entry point as a run, in its environment; with
//! `--sweep`, a grid of runs under a parent run.

use crate::commands::context::Ctx;
use crate::commands::launch::Tty;
use crate::commands::launch::{Launch, Outcome, Tracking, execute};
use crate::commands::runs::compare::{build_rows, render_blocks};
use crate::env;
use crate::error::{CliResult, failure, usage_error};
use crate::ops;
use crate::ops::sweep::{Launcher, Point};
use crate::process::shell_quote;
use crate::project::envs::{self, DockerRun, Manager, Plan};
use crate::project::{Project, Resolved, fetch, render_command, resolve_params};
use crate::store::NewRun;
use crate::tracking::validation::{split_key_value, validate_run_name};
use crate::tracking::{KeyValue, Owner, Run, RunStatus, tags};
use crate::ui::Ui;
use crate::ui::format::short_id;

/// Run an entry point of an MLflow project as a tracked run (or a sweep of runs)
///
/// URI is a project directory (default `.`), a local git repository (with `--version`), or a
/// git URL (`https://…`, `file://…`), with `#sub/dir` to pick a subdirectory. Parameters are
/// checked against their declared types before anything runs; undeclared `-P` parameters are
/// appended to the command as `--key value`. With `--sweep`, comma-separated values
/// (`-P lr=0.1,0.01 -P depth=3,5`) make a grid of runs under a parent run, `-j` at a time.
#[derive(Debug, clap::Args)]
pub struct ProjectRunArgs {
    /// Project directory, git repository or git URL (`#sub/dir` for a subdirectory)
    #[arg(default_value = ".")]
    uri: String,
    /// Entry point (declared in MLproject, or a .py or .sh file of the project)
    #[arg(short, long, default_value = "main")]
    entry_point: String,
    /// A parameter (repeatable); with --sweep, comma-separated values
    #[arg(short = 'P', long = "param", value_name = "KEY=VALUE")]
    params: Vec<String>,
    /// Environment to run in [default: from the MLproject: conda_env → conda, python_env →
    /// virtualenv, docker_env → docker, none → local]
    #[arg(long, value_enum)]
    env_manager: Option<Manager>,
    /// Experiment (name or id); a new name creates it
    #[arg(short = 'x', long = "experiment", env = env::MLF_EXPERIMENT, value_name = "EXP", add = crate::commands::complete::experiment_completer())]
    experiment: Option<String>,
    /// Name of the run (of the parent run, with --sweep)
    #[arg(short, long)]
    name: Option<String>,
    /// Git commit, branch or tag to run (the project must be a git repository or URL)
    #[arg(long, value_name = "REF")]
    version: Option<String>,
    /// With docker_env: build an image with the project copied in, and run that
    #[arg(long)]
    build_image: bool,
    /// Print the commands that would run (environment and entry point), and run nothing
    #[arg(long)]
    dry_run: bool,
    /// Run every combination of the comma-separated parameter values
    #[arg(long)]
    sweep: bool,
    /// With --sweep: how many runs at a time
    #[arg(short, long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=64))]
    jobs: u16,
    /// Where the entry point runs: here, or as a Job on Kubernetes (with --backend-config)
    #[arg(short, long, value_enum, default_value_t = Backend::Local)]
    backend: Backend,
    /// With `--backend kubernetes`: MLflow's `kubernetes_config.json` (`kube-context`,
    /// `repository-uri`, `kube-job-template-path`)
    #[arg(short = 'c', long, value_name = "FILE")]
    backend_config: Option<std::path::PathBuf>,
    /// Log `key=value` lines of the entry point's stdout as metrics (as `mlf run`)
    #[arg(long)]
    capture_metrics: bool,
    /// Log system metrics every INTERVAL, as `mlf run --system-metrics`
    #[arg(long, value_name = "INTERVAL", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    system_metrics: Option<String>,
}

/// Where an entry point runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Backend {
    /// This machine, in the environment of `--env-manager`
    Local,
    /// A Kubernetes Job running the project's docker_env image
    Kubernetes,
}

fn parse_params(list: &[String], sweep: bool) -> CliResult<Vec<(String, Vec<String>)>> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for s in list {
        let (k, v) = split_key_value(s).map_err(usage_error)?;
        if out.iter().any(|(e, _)| *e == k) {
            return Err(usage_error(format!(
                "parameter `{k}` is given twice: give each -P once"
            )));
        }
        let values: Vec<String> = if sweep {
            v.split(',').map(|x| x.trim().to_string()).collect()
        } else {
            vec![v]
        };
        if values.iter().any(String::is_empty) {
            return Err(usage_error(format!(
                "parameter `{k}` has an empty value in `{s}`"
            )));
        }
        out.push((k, values));
    }
    Ok(out)
}

pub fn run(ctx: &mut Ctx, args: ProjectRunArgs) -> CliResult<u8> {
    let ProjectRunArgs {
        uri,
        entry_point,
        params,
        env_manager,
        experiment,
        name,
        version,
        build_image,
        dry_run,
        sweep,
        jobs,
        capture_metrics,
        system_metrics,
        backend,
        backend_config,
    } = args;
    let system_metrics =
        crate::commands::launch::system_metrics_interval(system_metrics.as_deref())?;
    let cwd = ctx.cwd()?;
    let given = parse_params(&params, sweep)?;
    if sweep && given.is_empty() {
        return Err(usage_error(
            "--sweep needs parameters with comma-separated values, such as `-P lr=0.1,0.01`",
        ));
    }
    if let Some(n) = &name {
        validate_run_name(n).map_err(usage_error)?;
    }
    let fetched = fetch::fetch(&uri, version.as_deref(), &cwd).map_err(usage_error)?;
    let project = Project::load(&fetched.dir).map_err(usage_error)?;
    let ep = project.entry_point(&entry_point).map_err(usage_error)?;
    let points = ops::sweep::grid(&given);
    let mut resolved: Vec<Resolved> = points
        .iter()
        .map(|p| resolve_params(&ep, p, &cwd))
        .collect::<Result<_, _>>()
        .map_err(usage_error)?;
    if backend == Backend::Kubernetes {
        let config = backend_config.as_deref().ok_or_else(|| {
            usage_error("--backend kubernetes needs --backend-config kubernetes_config.json")
        })?;
        if sweep || capture_metrics || system_metrics.is_some() {
            return Err(usage_error(
                "--sweep, --capture-metrics and --system-metrics run on this machine: drop them with --backend kubernetes",
            ));
        }
        if env_manager.is_some_and(|m| m != Manager::Docker) {
            return Err(usage_error(
                "--backend kubernetes runs the project's docker_env image: drop --env-manager",
            ));
        }
        let command = render_command(&ep, &resolved[0]);
        return super::kube::run(
            ctx,
            super::kube::KubeRun {
                config,
                project: &project,
                fetched: &fetched,
                entry: &ep.name,
                experiment: experiment.as_deref(),
                name,
                resolved: &resolved[0],
                command: &command,
                dry_run,
            },
        );
    }
    if backend_config.is_some() {
        return Err(usage_error(
            "--backend-config is read with --backend kubernetes",
        ));
    }
    let manager = env_manager.unwrap_or_else(|| Manager::default_for(&project.env));
    let plan = plan(
        ctx,
        &project,
        manager,
        build_image,
        fetched.commit.as_deref(),
    )?;
    if dry_run {
        let commands: Vec<String> = resolved.iter().map(|r| render_command(&ep, r)).collect();
        let swept = sweep.then_some(given.as_slice());
        let text = dry_run_text(&plan, manager, &project, &commands, &resolved, swept);
        ctx.ui.out(&text);
        return Ok(0);
    }
    super::download::remote_paths(ctx, &ep, &mut resolved)?;
    let commands: Vec<String> = resolved.iter().map(|r| render_command(&ep, r)).collect();

    let experiment_id = crate::commands::run::experiment_for_new_run(ctx, experiment.as_deref())?;
    build(&ctx.ui, &plan, &project, manager)?;
    let tracking = ctx.tracking()?;
    let job = Job {
        tracking: &tracking,
        plan: &plan,
        project: &project,
        capture: capture_metrics,
        system_metrics,
        experiment_id,
        user: env::login_name().unwrap_or_default(),
        owner: Owner {
            pid: std::process::id(),
            host: crate::commands::runs::hostname(),
        },
        tags: base_tags(&fetched, &ep.name, manager, &plan),
    };
    if !sweep {
        let what = format!("of `{}` entry point `{}`", fetched.source, ep.name);
        return single(ctx, &job, name, &resolved[0], &commands[0], &what);
    }
    let grid = Grid {
        given: &given,
        points: &points,
        resolved: &resolved,
        commands: &commands,
    };
    run_sweep(ctx, &job, name, &grid, jobs)
}

/// How to set up the project's environment and run in it (a docker run mounts the local
/// store, when there is one).
fn plan(
    ctx: &Ctx,
    project: &Project,
    manager: Manager,
    build_image: bool,
    commit: Option<&str>,
) -> CliResult<Plan> {
    let store_root = match ctx.tracking_uri()? {
        Some(_) => None,
        None if ctx.database_uri().is_some() => None,
        None => Some(ctx.write_store_root()?),
    };
    let docker = DockerRun {
        store_root: store_root.as_deref(),
        build_image,
        commit,
    };
    envs::plan(project, manager, &docker).map_err(usage_error)
}

/// Builds the environment (unless it is ready), showing each step.
fn build(ui: &Ui, plan: &Plan, project: &Project, manager: Manager) -> CliResult<()> {
    envs::build(plan, project, &|step| {
        ui.status(
            "Building",
            &format!("{} environment: {step}", manager.as_str()),
        );
    })
    .map_err(|e| failure(e).hint("run with `--env-manager local` to use the current environment"))
}

/// What an entry point prints with `--dry-run`: the environment's setup steps, then each
/// command (under the parameters of its point, in a sweep).
fn dry_run_text(
    plan: &Plan,
    manager: Manager,
    project: &Project,
    commands: &[String],
    resolved: &[Resolved],
    swept: Option<&[(String, Vec<String>)]>,
) -> String {
    let mut out = String::new();
    if !plan.setup.is_empty() {
        let state = if envs::is_ready(plan) {
            "ready (cached)"
        } else {
            "to build"
        };
        out.push_str(&format!("# {} environment: {state}\n", manager.as_str()));
        for step in &plan.setup {
            out.push_str(&step.display());
            out.push('\n');
        }
    }
    for (cmd, point) in commands.iter().zip(resolved) {
        if let Some(given) = swept {
            let desc = point
                .declared
                .iter()
                .chain(&point.extra)
                .filter(|(k, _)| given.iter().any(|(g, _)| g == k))
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(" ");
            out.push_str(&format!("# {desc}\n"));
        }
        let argv = plan
            .argv(cmd)
            .iter()
            .map(|a| shell_quote(a))
            .collect::<Vec<_>>()
            .join(" ");
        // The environment's variables (a virtualenv's PATH) as `env` would set them.
        let vars: String = plan
            .env
            .iter()
            .map(|(k, v)| format!("{k}={} ", shell_quote(v)))
            .collect();
        let prefix = if vars.is_empty() {
            String::new()
        } else {
            format!("env {vars}")
        };
        out.push_str(&format!(
            "cd {} && {prefix}{argv}\n",
            shell_quote(&project.dir.display().to_string())
        ));
    }
    out
}

/// The tags every run of this invocation records: the project, its entry point, environment
/// and git facts.
fn base_tags(
    fetched: &fetch::Fetched,
    entry: &str,
    manager: Manager,
    plan: &Plan,
) -> Vec<KeyValue> {
    let mut base = vec![
        kv(tags::SOURCE_TYPE, "PROJECT"),
        kv(tags::SOURCE_NAME, &fetched.source),
        kv("mlflow.project.entryPoint", entry),
        kv("mlflow.project.backend", "local"),
    ];
    if manager != Manager::Local {
        base.push(kv("mlflow.project.env", manager.as_str()));
    }
    if let Some(c) = &fetched.commit {
        base.push(kv(tags::GIT_COMMIT, c));
    }
    if let Some(u) = &fetched.repo_url {
        base.push(kv(tags::GIT_REPO_URL, u));
    }
    if let Some(b) = &fetched.branch {
        base.push(kv(tags::GIT_BRANCH, b));
    }
    if let Some(image) = &plan.image {
        base.push(kv("mlflow.docker.image.uri", image));
    }
    base
}

/// One run of the entry point, its output shown.
fn single(
    ctx: &mut Ctx,
    job: &Job,
    name: Option<String>,
    resolved: &Resolved,
    command: &str,
    what: &str,
) -> CliResult<u8> {
    let new = job.new_run(
        name,
        vec![kv(tags::COMMAND, command)],
        to_kv(&resolved.all()),
    );
    let run = ctx.store_for_write()?.create_run(new)?;
    ctx.ui.status(
        "Started",
        &format!(
            "run {} ({}) {what}",
            run.info.run_name,
            short_id(&run.info.run_id),
        ),
    );
    let outcome = job.launch(&run, command, true)?;
    crate::commands::run::exec::report(ctx, &run, &outcome);
    Ok(outcome.code)
}

/// The points of a sweep, with what each runs.
struct Grid<'a> {
    given: &'a [(String, Vec<String>)],
    points: &'a [Point],
    resolved: &'a [Resolved],
    commands: &'a [String],
}

/// A sweep: a parent run, then one child run per point of the grid, `jobs` at a time, and a
/// comparison of the children.
fn run_sweep(
    ctx: &mut Ctx,
    job: &Job,
    name: Option<String>,
    grid: &Grid,
    jobs: u16,
) -> CliResult<u8> {
    let sweep_params: Vec<KeyValue> = grid
        .given
        .iter()
        .map(|(k, v)| KeyValue {
            key: k.clone(),
            value: v.join(","),
        })
        .collect();
    let size = kv("mlf.sweep.size", &grid.points.len().to_string());
    let new = job.new_run(name, vec![size], sweep_params);
    let parent = ctx.store_for_write()?.create_run(new)?;
    let parent_name = format!(
        "{} ({})",
        parent.info.run_name,
        short_id(&parent.info.run_id)
    );
    ctx.ui.status(
        "Started",
        &format!(
            "sweep {parent_name}: {} runs, {} at a time",
            grid.points.len(),
            jobs
        ),
    );
    let children = Children {
        job,
        parent: &parent,
        grid,
        ui: &ctx.ui,
    };
    // Ctrl-C (or a signal sent to mlf) stops the sweep: the running points end with it and no
    // further point starts.
    crate::process::install_forwarding();
    let summary = ops::sweep::schedule(&children, grid.points.len(), usize::from(jobs));
    let store = ctx.store()?;
    ops::sweep::finish(store, &parent.info.run_id, &summary)?;
    let runs: Vec<Run> = summary
        .outcomes
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .filter_map(|(run, _)| store.run(&run.info.run_id).ok())
        .collect();
    if !runs.is_empty() {
        let rows = build_rows(&runs, &[], &[], &[])?;
        let rows: Vec<_> = rows
            .into_iter()
            .filter(|r| r.differs || r.key.starts_with("metrics.") || r.key == "status")
            .collect();
        ctx.ui.out(&render_blocks(&ctx.ui, &runs, &rows));
    }
    let total = summary.outcomes.len();
    if summary.stopped {
        ctx.ui.warn(&format!(
            "sweep {parent_name}: stopped; {} of {} runs did not start",
            summary.not_started,
            total + summary.not_started
        ));
        return Ok(crate::process::signal_exit_code().unwrap_or(130));
    }
    if summary.failed == 0 {
        ctx.ui
            .status("Finished", &format!("sweep {parent_name}: {total} runs"));
        Ok(0)
    } else {
        ctx.ui.warn(&format!(
            "sweep {parent_name}: {} of {total} runs did not finish",
            summary.failed
        ));
        Ok(1)
    }
}

/// Launches the points of a sweep as child runs of `parent`.
struct Children<'a> {
    job: &'a Job<'a>,
    parent: &'a Run,
    grid: &'a Grid<'a>,
    ui: &'a Ui,
}

impl Launcher for Children<'_> {
    type Outcome = CliResult<(Run, Outcome)>;

    fn launch(&self, i: usize, echo: bool) -> Self::Outcome {
        let mut store = self.job.tracking.open()?;
        let command = &self.grid.commands[i];
        let tags = vec![
            kv(tags::COMMAND, command),
            kv("mlflow.parentRunId", &self.parent.info.run_id),
        ];
        let name = format!("{}-{}", self.parent.info.run_name, i + 1);
        let params = to_kv(&self.grid.resolved[i].all());
        let run = store.create_run(self.job.new_run(Some(name), tags, params))?;
        let outcome = self.job.launch(&run, command, echo)?;
        Ok((run, outcome))
    }

    fn finished(&self, outcome: &Self::Outcome) -> bool {
        matches!(outcome, Ok((_, o)) if o.status == RunStatus::Finished)
    }

    fn stopped(&self) -> bool {
        crate::process::signal_arrived()
    }

    fn ended(&self, i: usize, outcome: &Self::Outcome) {
        let point = self.grid.points[i]
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" ");
        match outcome {
            Ok((run, o)) if o.status == RunStatus::Finished => self
                .ui
                .status("Finished", &format!("{} ({point})", run.info.run_name)),
            Ok((run, o)) => self.ui.warn(&format!(
                "{} ({point}) ended {} with exit code {}",
                run.info.run_name,
                o.status.as_str(),
                o.code
            )),
            Err(e) => self
                .ui
                .warn(&format!("run {} ({point}) could not run: {e}", i + 1)),
        }
    }
}

fn kv(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.to_string(),
        value: value.to_string(),
    }
}

fn to_kv(pairs: &[(String, String)]) -> Vec<KeyValue> {
    pairs.iter().map(|(k, v)| kv(k, v)).collect()
}

/// What every run of this invocation shares.
struct Job<'a> {
    tracking: &'a Tracking,
    plan: &'a Plan,
    project: &'a Project,
    capture: bool,
    system_metrics: Option<std::time::Duration>,
    experiment_id: String,
    user: String,
    owner: Owner,
    /// Tags of every run (`base_tags`).
    tags: Vec<KeyValue>,
}

impl Job<'_> {
    /// A run of this invocation: the shared tags, then `extra`.
    fn new_run(&self, name: Option<String>, extra: Vec<KeyValue>, params: Vec<KeyValue>) -> NewRun {
        let mut tags = self.tags.clone();
        tags.extend(extra);
        NewRun {
            experiment_id: self.experiment_id.clone(),
            name,
            user: self.user.clone(),
            tags,
            params,
            owner: Some(self.owner.clone()),
            make_active: false,
            start_time: None,
        }
    }

    fn launch(&self, run: &Run, command: &str, echo: bool) -> CliResult<Outcome> {
        let argv = self.plan.argv(command);
        execute(
            self.tracking,
            run,
            Launch {
                program: argv[0].clone(),
                args: argv[1..].to_vec(),
                cwd: Some(self.project.dir.clone()),
                env: self.plan.env.clone(),
                capture: self.capture,
                echo,
                tty: Tty::default(),
                system_metrics: self.system_metrics,
            },
        )
    }
}
