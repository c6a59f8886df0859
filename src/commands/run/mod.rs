//! `mlf run -- CMD`, `mlf run start`, `mlf run end`.

mod end;
pub mod exec;
mod start;

use crate::commands::context::Ctx;
use crate::commands::launch::Tty;
use crate::error::{CliResult, usage_error};
use crate::source::GitInfo;
use crate::store::Backend;
use crate::tracking::validation::{KeyKind, split_key_value, validate_key, validate_run_name};
use crate::tracking::{KeyValue, tags};
use crate::{env, source};

/// Run a command as a tracked run, or start and end runs by hand
///
/// `mlf run [OPTIONS] -- CMD [ARGS...]` creates a run, records the git commit (and the diff when
/// the tree is dirty), streams the command's output while saving it as artifacts
/// `logs/stdout.txt` and `logs/stderr.txt`, ends the run FINISHED, FAILED or KILLED, and exits
/// with the command's exit code (128+N when killed by signal N).
///
/// The command sees `MLF_RUN_ID`, `MLF_STORE`, `MLFLOW_RUN_ID` and `MLFLOW_EXPERIMENT_ID`, so
/// `mlf log` and the `mlflow` client inside it log to the same run; each `-p key=value` is also
/// in `MLF_PARAM_<KEY>` (key upper-cased, other characters as `_`) and all of them as a JSON
/// object in `MLF_PARAMS`.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct RunArgs {
    #[command(subcommand)]
    sub: Option<RunSubcommand>,

    #[command(flatten)]
    setup: SetupArgs,

    /// Log `key=value` and `epoch N: key value` lines of the command's stdout as metrics
    /// [default: `capture-metrics` in the settings, else off]
    #[arg(long, overrides_with = "no_capture_metrics")]
    capture_metrics: bool,

    /// Do not capture metrics, whatever the settings say
    #[arg(long, overrides_with = "capture_metrics")]
    no_capture_metrics: bool,

    /// Give the command a pseudo-terminal for its output (its output is still saved), so that
    /// it prints colours and progress bars [default: when mlf's own output is a terminal]
    #[arg(long, overrides_with = "no_tty")]
    tty: bool,

    /// Give the command pipes, not a pseudo-terminal, even when mlf's output is a terminal
    #[arg(long, overrides_with = "tty")]
    no_tty: bool,
    /// Log system metrics every INTERVAL (`10s` when not given, also with
    /// `MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING=true`): CPU, memory, disk, network and each GPU
    /// under MLflow's `system/…` names, and the command's process tree as `system/process_…`
    #[arg(long, value_name = "INTERVAL", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    system_metrics: Option<String>,

    /// The command to run, after `--`
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        required = true,
        value_name = "CMD",
        add = crate::commands::complete::command_completer()
    )]
    command: Vec<String>,
}

#[derive(Debug, clap::Subcommand)]
pub enum RunSubcommand {
    /// Start a run and make it the active run of this store (prints its id)
    Start(start::StartArgs),
    /// End a run: the active one, or `--run RUN`
    End(end::EndArgs),
}

/// How a new run is set up.
#[derive(Debug, clap::Args)]
pub struct SetupArgs {
    /// Experiment (name or id) for the run; a new name creates it [default: `Default`]
    #[arg(add = crate::commands::complete::experiment_completer(), short = 'x', long = "experiment", env = env::MLF_EXPERIMENT, value_name = "EXP")]
    experiment: Option<String>,
    /// Name of the run [default: generated, such as `swift-otter-417`]
    #[arg(short, long)]
    name: Option<String>,
    /// A param of the run (repeatable). `mlf run` replaces `{KEY}` in the command's arguments
    /// by its value (`-p lr=0.1 -- python train.py --lr {lr}`), and the command sees it as
    /// `MLF_PARAM_<KEY>` (key upper-cased, other characters as `_`) and all params as a JSON
    /// object in `MLF_PARAMS`
    #[arg(short, long = "param", value_name = "KEY=VALUE")]
    params: Vec<String>,
    /// A tag of the run (repeatable)
    #[arg(short, long = "tag", value_name = "KEY=VALUE")]
    tags: Vec<String>,
}

pub fn run(ctx: &mut Ctx, args: RunArgs) -> CliResult<u8> {
    match args.sub {
        Some(RunSubcommand::Start(a)) => start::run(ctx, a),
        Some(RunSubcommand::End(a)) => end::run(ctx, a),
        None => {
            let tty = match (args.tty, args.no_tty) {
                (true, _) => Tty {
                    stdout: true,
                    stderr: true,
                },
                (_, true) => Tty::default(),
                // As the command would see it without mlf in between.
                _ => Tty {
                    stdout: ctx.ui.stdout_tty,
                    stderr: ctx.ui.stderr_tty,
                },
            };
            let capture = match (args.capture_metrics, args.no_capture_metrics) {
                (true, _) => true,
                (_, true) => false,
                _ => ctx.config()?.defaults.capture_metrics.unwrap_or(false),
            };
            exec::run(
                ctx,
                args.setup,
                exec::Watch {
                    capture,
                    tty,
                    system_metrics: args.system_metrics,
                },
                args.command,
            )
        }
    }
}

/// Parsed `-p` and `-t` values.
pub struct Setup {
    pub params: Vec<KeyValue>,
    pub tags: Vec<KeyValue>,
}

impl SetupArgs {
    /// Parses and checks `-p`, `-t` and `-n` before anything is written (or a store created).
    pub fn parse(&self) -> CliResult<Setup> {
        let pairs = |list: &[String], kind: KeyKind| -> CliResult<Vec<KeyValue>> {
            list.iter()
                .map(|s| {
                    let (key, value) = split_key_value(s).map_err(usage_error)?;
                    validate_key(kind, &key).map_err(usage_error)?;
                    Ok(KeyValue { key, value })
                })
                .collect()
        };
        if let Some(name) = &self.name {
            validate_run_name(name).map_err(usage_error)?;
        }
        let params = pairs(&self.params, KeyKind::Param)?;
        for (i, p) in params.iter().enumerate() {
            if let Some(q) = params[..i]
                .iter()
                .find(|q| q.key == p.key && q.value != p.value)
            {
                return Err(usage_error(format!(
                    "param `{}` is given twice, as `{}` and `{}`: params take one value per run",
                    p.key, q.value, p.value
                )));
            }
        }
        Ok(Setup {
            params,
            tags: pairs(&self.tags, KeyKind::Tag)?,
        })
    }
}

/// The experiment for a new run: `-x`/`MLF_EXPERIMENT` (a new name is created), else
/// `MLFLOW_EXPERIMENT_NAME` (created too), else `MLFLOW_EXPERIMENT_ID`, else the settings'
/// `[defaults] experiment` (created too), else `0`.
pub fn experiment_for_new_run(ctx: &mut Ctx, flag: Option<&str>) -> CliResult<String> {
    let mut by_name = flag
        .map(str::to_string)
        .or_else(|| env::var(env::MLFLOW_EXPERIMENT_NAME));
    if by_name.is_none() && env::var(env::MLFLOW_EXPERIMENT_ID).is_none() {
        by_name = ctx.config()?.defaults.experiment.clone();
    }
    if let Some(spec) = by_name {
        let store = ctx.store_for_write()?;
        if let Some(exp) = store.find_experiment(&spec)? {
            return Ok(exp.experiment_id);
        }
        if spec.bytes().all(|b| b.is_ascii_digit()) {
            return Err(usage_error(format!("no experiment with id `{spec}`")).hint(
                "list experiments with `mlf experiments list`, or give a name to create one",
            ));
        }
        let exp = store.create_experiment(&spec, None)?;
        ctx.ui.status(
            "Created",
            &format!("experiment `{}` (id {})", exp.name, exp.experiment_id),
        );
        return Ok(exp.experiment_id);
    }
    if let Some(id) = env::var(env::MLFLOW_EXPERIMENT_ID) {
        let exp = ctx
            .store_for_write()?
            .experiment(&id)
            .map_err(|e| usage_error(format!("{e} (from `{}`)", env::MLFLOW_EXPERIMENT_ID)))?;
        return Ok(exp.experiment_id);
    }
    Ok("0".to_string())
}

/// Tags describing where a run comes from: user, source, git.
fn source_tags(git: Option<&GitInfo>, command: Option<&str>) -> Vec<KeyValue> {
    let mut out = vec![KeyValue {
        key: tags::SOURCE_TYPE.into(),
        value: "LOCAL".into(),
    }];
    let mut add = |key: &str, value: &str| {
        out.push(KeyValue {
            key: key.into(),
            value: value.into(),
        })
    };
    if let Some(cmd) = command {
        add(tags::COMMAND, cmd);
        add(tags::SOURCE_NAME, cmd);
    }
    if let Some(g) = git {
        if let Some(c) = &g.commit {
            add(tags::GIT_COMMIT, c);
        }
        if let Some(b) = &g.branch {
            add(tags::GIT_BRANCH, b);
        }
        if let Some(r) = &g.remote {
            add(tags::GIT_REPO_URL, r);
        }
        add(tags::GIT_DIRTY, if g.dirty { "true" } else { "false" });
    }
    out
}

/// Saves the working-tree diff of a dirty checkout as artifact `source/diff.patch`.
fn save_diff(
    store: &dyn Backend,
    run: &crate::tracking::Run,
    git: Option<&GitInfo>,
) -> CliResult<()> {
    if let Some(diff) = git.and_then(|g| g.diff.as_deref()) {
        let repo = store.artifacts(run)?;
        repo.write_bytes(std::path::Path::new("source/diff.patch"), diff.as_bytes())
            .map_err(crate::commands::log::artifact_error)?;
    }
    Ok(())
}

/// Creates a run with its source information; shared by `mlf run` and `mlf run start`.
fn create_run(
    ctx: &mut Ctx,
    setup: &SetupArgs,
    command: Option<&str>,
    owner: Option<crate::tracking::Owner>,
    make_active: bool,
) -> CliResult<crate::tracking::Run> {
    let parsed = setup.parse()?;
    let experiment_id = experiment_for_new_run(ctx, setup.experiment.as_deref())?;
    let git = source::inspect(&ctx.cwd()?);
    let mut all_tags = source_tags(git.as_ref(), command);
    all_tags.extend(parsed.tags);
    let store = ctx.store_for_write()?;
    let run = store.create_run(crate::store::NewRun {
        experiment_id,
        name: setup.name.clone(),
        user: env::login_name().unwrap_or_default(),
        tags: all_tags,
        params: parsed.params,
        owner,
        make_active,
        start_time: None,
    })?;
    save_diff(store, &run, git.as_ref())?;
    Ok(run)
}
