//! `mlf project run [URI]`: an MLproject entry point as a run, in its environment; with
//! `--sweep`, a grid of runs under a parent run.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::commands::launch::{Launch, Outcome, Tracking, execute};
use crate::commands::runs::compare::{build_rows, render_blocks};
use crate::context::Ctx;
use crate::env;
use crate::error::{CliError, CliResult, failure, usage_error};
use crate::process::shell_quote;
use crate::project::envs::{self, DockerRun, Manager, Plan};
use crate::project::{Project, Resolved, fetch, render_command, resolve_params};
use crate::store::NewRun;
use crate::tracking::validation::{split_key_value, validate_run_name};
use crate::tracking::{KeyValue, Owner, Run, RunStatus, tags};
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
    /// Log `key=value` lines of the entry point's stdout as metrics (as `mlf run`)
    #[arg(long)]
    capture_metrics: bool,
}

/// The grid of parameter values: one point without --sweep.
fn grid(given: &[(String, Vec<String>)]) -> Vec<Vec<(String, String)>> {
    let mut points: Vec<Vec<(String, String)>> = vec![Vec::new()];
    for (key, values) in given {
        let mut next = Vec::new();
        for p in &points {
            for v in values {
                let mut q = p.clone();
                q.push((key.clone(), v.clone()));
                next.push(q);
            }
        }
        points = next;
    }
    points
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
    } = args;
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
    let points = grid(&given);
    let resolved: Vec<Resolved> = points
        .iter()
        .map(|p| resolve_params(&ep, p, &cwd))
        .collect::<Result<_, _>>()
        .map_err(usage_error)?;
    let manager = env_manager.unwrap_or_else(|| Manager::default_for(&project.env));
    let store_root = match ctx.tracking_uri()? {
        Some(_) => None,
        None => Some(ctx.write_store_root()?),
    };
    let plan = envs::plan(
        &project,
        manager,
        &DockerRun {
            store_root: store_root.as_deref(),
            build_image,
            commit: fetched.commit.as_deref(),
        },
    )
    .map_err(usage_error)?;
    let commands: Vec<String> = resolved.iter().map(|r| render_command(&ep, r)).collect();

    if dry_run {
        let mut out = String::new();
        if !plan.setup.is_empty() {
            let state = if envs::is_ready(&plan) {
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
        for (cmd, point) in commands.iter().zip(&resolved) {
            if sweep {
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
        ctx.ui.out(&out);
        return Ok(0);
    }

    let experiment_id = crate::commands::run::experiment_for_new_run(ctx, experiment.as_deref())?;
    let ui = &ctx.ui;
    envs::build(&plan, &project, &|step| {
        ui.status(
            "Building",
            &format!("{} environment: {step}", manager.as_str()),
        );
    })
    .map_err(|e| {
        failure(e).hint("run with `--env-manager local` to use the current environment")
    })?;

    let tracking = ctx.tracking()?;
    let store = ctx.store_for_write()?;
    let mut base_tags = vec![
        kv(tags::SOURCE_TYPE, "PROJECT"),
        kv(tags::SOURCE_NAME, &fetched.source),
        kv("mlflow.project.entryPoint", &ep.name),
        kv("mlflow.project.backend", "local"),
    ];
    if manager != Manager::Local {
        base_tags.push(kv("mlflow.project.env", manager.as_str()));
    }
    if let Some(c) = &fetched.commit {
        base_tags.push(kv(tags::GIT_COMMIT, c));
    }
    if let Some(u) = &fetched.repo_url {
        base_tags.push(kv(tags::GIT_REPO_URL, u));
    }
    if let Some(b) = &fetched.branch {
        base_tags.push(kv(tags::GIT_BRANCH, b));
    }
    if let Some(image) = &plan.image {
        base_tags.push(kv("mlflow.docker.image.uri", image));
    }
    let user = env::var(env::USER).unwrap_or_default();
    let owner = Owner {
        pid: std::process::id(),
        host: crate::commands::runs::hostname(),
    };
    let job = Job {
        tracking: &tracking,
        plan: &plan,
        project: &project,
        capture: capture_metrics,
    };

    if !sweep {
        let mut tags = base_tags.clone();
        tags.push(kv(tags::COMMAND, &commands[0]));
        let run = store.create_run(NewRun {
            experiment_id,
            name: name.clone(),
            user,
            tags,
            params: to_kv(&resolved[0].all()),
            owner: Some(owner),
            make_active: false,
            start_time: None,
        })?;
        ctx.ui.status(
            "Started",
            &format!(
                "run {} ({}) of `{}` entry point `{}`",
                run.info.run_name,
                short_id(&run.info.run_id),
                fetched.source,
                ep.name
            ),
        );
        let outcome = job.launch(&run, &commands[0], true)?;
        crate::commands::run::exec::report(ctx, &run, &outcome);
        return Ok(outcome.code);
    }

    // A sweep: a parent run, then one child run per point of the grid.
    let sweep_params: Vec<KeyValue> = given
        .iter()
        .map(|(k, v)| KeyValue {
            key: k.clone(),
            value: v.join(","),
        })
        .collect();
    let mut parent_tags = base_tags.clone();
    parent_tags.push(kv("mlf.sweep.size", &points.len().to_string()));
    let parent = store.create_run(NewRun {
        experiment_id: experiment_id.clone(),
        name: name.clone(),
        user: user.clone(),
        tags: parent_tags,
        params: sweep_params,
        owner: Some(owner.clone()),
        make_active: false,
        start_time: None,
    })?;
    ctx.ui.status(
        "Started",
        &format!(
            "sweep {} ({}): {} runs, {} at a time",
            parent.info.run_name,
            short_id(&parent.info.run_id),
            points.len(),
            jobs
        ),
    );
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, ChildResult)>> = Mutex::new(Vec::new());
    let ui = &ctx.ui;
    std::thread::scope(|scope| {
        for _ in 0..usize::from(jobs).min(points.len()) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= points.len() {
                        break;
                    }
                    let result = (|| -> CliResult<(Run, Outcome)> {
                        let mut store = tracking.open()?;
                        let mut tags = base_tags.clone();
                        tags.push(kv(tags::COMMAND, &commands[i]));
                        tags.push(kv("mlflow.parentRunId", &parent.info.run_id));
                        let run = store.create_run(NewRun {
                            experiment_id: experiment_id.clone(),
                            name: Some(format!("{}-{}", parent.info.run_name, i + 1)),
                            user: user.clone(),
                            tags,
                            params: to_kv(&resolved[i].all()),
                            owner: Some(owner.clone()),
                            make_active: false,
                            start_time: None,
                        })?;
                        let outcome = job.launch(&run, &commands[i], jobs == 1)?;
                        Ok((run, outcome))
                    })();
                    let point = points[i]
                        .iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect::<Vec<_>>()
                        .join(" ");
                    match &result {
                        Ok((run, o)) if o.status == RunStatus::Finished => {
                            ui.status("Finished", &format!("{} ({point})", run.info.run_name))
                        }
                        Ok((run, o)) => ui.warn(&format!(
                            "{} ({point}) ended {} with exit code {}",
                            run.info.run_name,
                            o.status.as_str(),
                            o.code
                        )),
                        Err(e) => ui.warn(&format!("run {} ({point}) could not run: {e}", i + 1)),
                    }
                    results.lock().expect("results lock").push((i, result));
                }
            });
        }
    });
    let mut results = results.into_inner().expect("results lock");
    results.sort_by_key(|(i, _)| *i);
    let all_ok = results
        .iter()
        .all(|(_, r)| matches!(r, Ok((_, o)) if o.status == RunStatus::Finished));
    let store = ctx.store()?;
    let status = if all_ok {
        RunStatus::Finished
    } else {
        RunStatus::Failed
    };
    store.update_run(
        &parent.info.run_id,
        status,
        Some(crate::tracking::ids::now_ms()),
    )?;
    let children: Vec<Run> = results
        .iter()
        .filter_map(|(_, r)| r.as_ref().ok())
        .filter_map(|(run, _)| store.run(&run.info.run_id).ok())
        .collect();
    if !children.is_empty() {
        let rows = build_rows(&children, &[], &[], &[])?;
        let rows: Vec<_> = rows
            .into_iter()
            .filter(|r| r.differs || r.key.starts_with("metrics.") || r.key == "status")
            .collect();
        ctx.ui.out(&render_blocks(&ctx.ui, &children, &rows));
    }
    let failed = results.len()
        - results
            .iter()
            .filter(|(_, r)| matches!(r, Ok((_, o)) if o.status == RunStatus::Finished))
            .count();
    if failed == 0 {
        ctx.ui.status(
            "Finished",
            &format!(
                "sweep {} ({}): {} runs",
                parent.info.run_name,
                short_id(&parent.info.run_id),
                results.len()
            ),
        );
        Ok(0)
    } else {
        ctx.ui.warn(&format!(
            "sweep {} ({}): {failed} of {} runs did not finish",
            parent.info.run_name,
            short_id(&parent.info.run_id),
            results.len()
        ));
        Ok(1)
    }
}

/// How one run of a sweep went.
type ChildResult = Result<(Run, Outcome), CliError>;

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
}

impl Job<'_> {
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
            },
        )
    }
}
