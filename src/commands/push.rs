//! `mlf push [REMOTE]`: send this store's runs to a remote, keeping their ids; the summary
//! `mlf pull` prints too.

use indicatif::{ProgressBar, ProgressStyle};

use crate::commands::context::Ctx;
use crate::commands::remote::{place_error, resolve};
use crate::error::CliResult;
use crate::ops::sync::{Options, Peer, SyncReport, transfer};
use crate::ui::format::{OutputArgs, OutputFormat, bytes};

/// The arguments of `mlf push` (its help is on `commands::Command`).
#[derive(Debug, clap::Args)]
pub struct PushArgs {
    /// The remote: a name from `mlf remote list`, or a URL or path [default: the only
    /// remote, or `origin`]
    #[arg(value_name = "REMOTE")]
    remote: Option<String>,
    #[command(flatten)]
    common: SyncArgs,
}

/// What `mlf push` and `mlf pull` share.
#[derive(Debug, clap::Args)]
pub struct SyncArgs {
    /// Only the runs of this experiment (by name; repeatable)
    #[arg(short = 'x', long = "experiment", value_name = "NAME", add = crate::commands::complete::experiment_completer())]
    experiments: Vec<String>,
    /// Compare and say what would be sent, and change nothing
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    output: OutputArgs,
}

/// Which way runs go.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Direction {
    Push,
    Pull,
}

pub fn run(ctx: &mut Ctx, args: PushArgs) -> CliResult<u8> {
    let PushArgs { remote, common } = args;
    sync(ctx, Direction::Push, remote.as_deref(), common)
}

/// Pushes or pulls, prints the summary, and answers the exit code (1 on conflicts).
pub fn sync(
    ctx: &mut Ctx,
    direction: Direction,
    remote: Option<&str>,
    args: SyncArgs,
) -> CliResult<u8> {
    let SyncArgs {
        experiments,
        dry_run,
        output,
    } = args;
    let cwd = ctx.cwd()?;
    let show_bar = ctx.ui.stderr_tty && !ctx.ui.quiet;
    let what = match direction {
        Direction::Push => "`mlf push`",
        Direction::Pull => "`mlf pull`",
    };
    let store = if direction == Direction::Pull {
        ctx.local_store_for_write(what)?
    } else {
        ctx.local_store(what)?
    };
    let (name, place) = resolve(store.root(), &cwd, remote)?;
    let mut peer = Peer::open(&place).map_err(place_error)?;
    let bar = if show_bar {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("{msg:>9} [{bar:30}] {pos}/{len} runs {eta}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar.set_message(match direction {
            Direction::Push => "Pushing",
            Direction::Pull => "Pulling",
        });
        bar
    } else {
        ProgressBar::hidden()
    };
    let opts = Options {
        experiments,
        dry_run,
    };
    let mut progress = |done: usize, total: usize| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    };
    let report = match direction {
        Direction::Push => transfer(store, &mut peer, &opts, &mut progress),
        Direction::Pull => transfer(&mut peer, store, &opts, &mut progress),
    }
    .map_err(place_error)?;
    bar.finish_and_clear();
    if output.format == OutputFormat::Json {
        ctx.ui.json(&serde_json::json!({
            "remote": name,
            "url": place.text(),
            "direction": match direction { Direction::Push => "push", Direction::Pull => "pull" },
            "dry_run": dry_run,
            "report": report,
        }))?;
    }
    summary(ctx, direction, &name, &report, dry_run);
    Ok(
        if report.merged.conflicts.is_empty() && report.registry.conflicts.is_empty() {
            0
        } else {
            1
        },
    )
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn summary(ctx: &Ctx, direction: Direction, remote: &str, r: &SyncReport, dry_run: bool) {
    let push = direction == Direction::Push;
    for c in &r.merged.conflicts {
        let (ours, theirs) = if push {
            (&c.refused, &c.kept)
        } else {
            (&c.kept, &c.refused)
        };
        ctx.ui.warn(&format!(
            "param conflict: run {} param `{}`: ours `{ours}`, theirs `{theirs}` ({} keeps its value: params are write-once)",
            c.run_id,
            c.key,
            if push { remote } else { "this store" }
        ));
    }
    for c in &r.registry.conflicts {
        let (ours, theirs) = if push {
            (&c.refused, &c.kept)
        } else {
            (&c.kept, &c.refused)
        };
        ctx.ui.warn(&format!(
            "version conflict: model `{}` version {}: ours from `{ours}`, theirs from `{theirs}` ({} keeps its version: version numbers are write-once)",
            c.name,
            c.version,
            if push { remote } else { "this store" }
        ));
    }
    if !r.versions_skipped.is_empty() {
        ctx.ui.warn(&format!(
            "not pushed: {} (registered from a local path, their files are in this store's registry folder, which a server does not take: register them through the server)",
            r.versions_skipped.join(", ")
        ));
    }
    let there = if push {
        format!("on {remote}")
    } else {
        "here".to_string()
    };
    for t in &r.merged.tag_changes {
        if t.replaced {
            ctx.ui.status(
                "Tag",
                &format!(
                    "`{}` of run {} is now `{}` {there} (was `{}`): the {} copy is newer",
                    t.key,
                    t.run_id,
                    t.new,
                    t.old,
                    if push { "pushed" } else { "pulled" }
                ),
            );
        } else {
            ctx.ui.status(
                "Tag",
                &format!(
                    "`{}` of run {} stays `{}` {there} (not `{}`): that copy is newer",
                    t.key, t.run_id, t.old, t.new
                ),
            );
        }
    }
    for e in &r.merged.experiments_created {
        ctx.ui
            .status("Created", &format!("experiment `{e}` {there}"));
    }
    if r.up_to_date() {
        ctx.ui.status(
            "Up to date",
            &if push {
                format!(
                    "nothing to push: {remote} has every run of this store ({})",
                    plural(r.runs_compared, "run", "runs")
                )
            } else {
                format!(
                    "nothing to pull: this store has every run of {remote} ({})",
                    plural(r.runs_compared, "run", "runs")
                )
            },
        );
        return;
    }
    let verb = match (push, dry_run) {
        (true, false) => "Pushed",
        (true, true) => "Would push",
        (false, false) => "Pulled",
        (false, true) => "Would pull",
    };
    let runs = r.runs_new + r.runs_changed;
    let m = &r.merged;
    let rows = if dry_run {
        String::new()
    } else {
        format!(
            ": {}, {}, {}",
            plural(m.params, "param", "params"),
            plural(m.tags, "tag", "tags"),
            plural(m.metric_points, "metric point", "metric points"),
        )
    };
    let g = &r.registry;
    let registry = match (r.models_changed, dry_run) {
        (0, _) => String::new(),
        (n, true) => format!("; {} of the registry", plural(n, "model", "models")),
        (n, false) => format!(
            "; {} of the registry ({} new, {}, {}, {} changed)",
            plural(n, "model", "models"),
            g.models,
            plural(g.versions, "new version", "new versions"),
            plural(g.aliases, "alias", "aliases"),
            g.updated + g.tags,
        ),
    };
    ctx.ui.status(
        verb,
        &format!(
            "{} {} {remote} ({} new, {} changed, {} up to date){rows}; {} of artifacts ({}){registry}",
            plural(runs, "run", "runs"),
            if push { "to" } else { "from" },
            r.runs_new,
            r.runs_changed,
            r.runs_compared - runs,
            bytes(r.bytes),
            plural(r.files, "file", "files"),
        ),
    );
    let conflicts = m.conflicts.len() + g.conflicts.len();
    if conflicts > 0 {
        ctx.ui.warn(&format!(
            "{}: the rest was {}",
            plural(conflicts, "conflict", "conflicts"),
            if push { "pushed" } else { "pulled" }
        ));
    }
}
