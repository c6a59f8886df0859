//! `mlf runs show RUN`: everything about one run.

use std::path::Path;

use crate::commands::context::Ctx;
use crate::error::CliResult;
use crate::tracking::ids::now_ms;
use crate::tracking::tags;
use crate::ui::format::{OutputArgs, OutputFormat, bytes, duration, number, number_exact, time};
use crate::ui::table;

/// How many lines of a failed run's stderr `runs show` prints.
const STDERR_TAIL: usize = 10;

/// Show everything about one run: params, metrics, tags, git, artifacts
///
/// Without RUN, shows the latest run (of `-x` when given). `@` is the latest run and `@~N`
/// the Nth before it, newest first by start time.
#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// Run: full id, unique id prefix, unique name, `@` (the latest) or `@~N` [default: @]
    #[arg(add = crate::commands::complete::run_completer())]
    run: Option<String>,
    /// Count `@`, `@~N` and look names up within this experiment (name or id)
    #[arg(add = crate::commands::complete::experiment_completer(), short = 'x', long = "experiment", value_name = "EXP")]
    experiment: Option<String>,
    #[command(flatten)]
    web: crate::commands::ui::WebArgs,
    #[command(flatten)]
    output: OutputArgs,
}

pub fn run(ctx: &mut Ctx, args: ShowArgs) -> CliResult<u8> {
    let ShowArgs {
        run,
        experiment,
        web,
        output,
    } = args;
    let store = ctx.store()?;
    let id = super::position::resolve(store, run.as_deref(), experiment.as_deref())?;
    let run = store.run(&id)?;
    if web.web {
        let page = crate::commands::ui::WebPage {
            path: format!("/ui/runs/{id}"),
            mlflow: format!("/#/experiments/{}/runs/{id}", run.info.experiment_id),
        };
        return crate::commands::ui::open_page(ctx, page, web);
    }
    let exp = store.experiment(&run.info.experiment_id)?;
    let repo = store.artifacts(&run)?;
    let files = repo.list(Path::new(""), true).unwrap_or_default();
    // The logged models the run made (MLflow 3's `log_model`), on a local store.
    let logged = match store.local() {
        Some(local) => local.run_logged_models(&id)?,
        None => Vec::new(),
    };
    let inputs = store.run_inputs(&id)?;
    ctx.ui.page();
    if output.format == OutputFormat::Json {
        let mut v = serde_json::json!({ "run": run, "artifacts": files, "logged_models": logged });
        if !inputs.is_empty() {
            v["inputs"] = serde_json::to_value(&inputs).unwrap_or_default();
        }
        ctx.ui.json(&v)?;
        return Ok(0);
    }
    let i = &run.info;
    let mut head = vec![
        ("run".to_string(), i.run_id.clone()),
        ("name".into(), i.run_name.clone()),
        (
            "experiment".into(),
            format!("{} ({})", exp.name, exp.experiment_id),
        ),
        ("status".into(), status_text(&run)),
        ("start".into(), time(i.start_time)),
    ];
    if let Some(end) = i.end_time {
        head.push(("end".into(), time(end)));
    }
    if super::is_dead(&run) {
        head.push(("duration".into(), "unknown (its process is gone)".into()));
    } else if let Some(d) = run.duration_ms(now_ms()) {
        head.push(("duration".into(), duration(d)));
    }
    if !i.user_id.is_empty() {
        head.push(("user".into(), i.user_id.clone()));
    }
    if let Some(cmd) = run.tag(tags::COMMAND) {
        head.push(("command".into(), cmd.to_string()));
    }
    if let Some(code) = run.tag(tags::EXIT_CODE) {
        head.push(("exit code".into(), code.to_string()));
    }
    if let Some(commit) = run.tag(tags::GIT_COMMIT) {
        let mut git = commit.to_string();
        if let Some(branch) = run.tag(tags::GIT_BRANCH) {
            git.push_str(&format!(" on {branch}"));
        }
        if run.tag(tags::GIT_DIRTY) == Some("true") {
            git.push_str(" (dirty: see artifact source/diff.patch)");
        }
        head.push(("git".into(), git));
    }
    if let Some(url) = run.tag(tags::GIT_REPO_URL) {
        head.push(("remote".into(), url.to_string()));
    }
    if i.lifecycle_stage.as_str() == "deleted" {
        head.push(("stage".into(), "deleted".into()));
    }
    head.push(("artifacts".into(), i.artifact_uri.clone()));
    if output.format == OutputFormat::Csv {
        let mut rows = head;
        rows.extend(
            run.data
                .params
                .iter()
                .map(|p| (format!("params.{}", p.key), p.value.clone())),
        );
        rows.extend(
            run.data
                .metrics
                .iter()
                .map(|m| (format!("metrics.{}", m.key), number_exact(m.value))),
        );
        rows.extend(
            run.data
                .tags
                .iter()
                .map(|t| (format!("tags.{}", t.key), t.value.clone())),
        );
        ctx.ui.out(&table::pairs_csv(&rows));
        return Ok(0);
    }
    let mut out = table::pairs(&head, 0);

    if !run.data.params.is_empty() {
        out.push_str("\nparams\n");
        let rows: Vec<_> = run
            .data
            .params
            .iter()
            .map(|p| (p.key.clone(), p.value.clone()))
            .collect();
        out.push_str(&table::pairs(&rows, 2));
    }
    if !run.data.metrics.is_empty() {
        out.push_str("\nmetrics (latest)\n");
        let rows: Vec<_> = run
            .data
            .metrics
            .iter()
            .map(|m| {
                (
                    m.key.clone(),
                    format!("{}  (step {})", number(m.value), m.step),
                )
            })
            .collect();
        out.push_str(&table::pairs(&rows, 2));
    }
    let user_tags: Vec<_> = run
        .data
        .tags
        .iter()
        .filter(|t| !t.key.starts_with("mlflow.") && !t.key.starts_with("mlf."))
        .map(|t| (t.key.clone(), t.value.clone()))
        .collect();
    if !user_tags.is_empty() {
        out.push_str("\ntags\n");
        out.push_str(&table::pairs(&user_tags, 2));
    }
    if !inputs.is_empty() {
        out.push_str("\ninputs\n");
        out.push_str(&table::pairs(&input_rows(&inputs), 2));
    }
    let file_rows: Vec<_> = files
        .iter()
        .filter(|f| !f.is_dir)
        .map(|f| (f.path.clone(), f.file_size.map(bytes).unwrap_or_default()))
        .collect();
    if !file_rows.is_empty() {
        out.push_str("\nartifacts\n");
        out.push_str(&table::pairs(&file_rows, 2));
    }
    if !logged.is_empty() {
        let rows: Vec<_> = logged
            .iter()
            .map(|m| {
                (
                    m.name.clone(),
                    format!("{}  runs:/{}/{}", m.model_id, &i.run_id, m.name),
                )
            })
            .collect();
        out.push_str(
            "
logged models
",
        );
        out.push_str(&table::pairs(&rows, 2));
    }
    let failed = matches!(super::display_status(&run), "FAILED" | "KILLED" | "DEAD");
    if failed {
        if let Some(tail) = super::logs::stderr_tail(&repo, STDERR_TAIL) {
            out.push_str(&format!(
                "\nstderr (last lines; all of it: `mlf runs logs {} --stderr`)\n",
                &i.run_id[..8]
            ));
            for line in tail.lines() {
                out.push_str(&format!("  {line}\n"));
            }
        }
    }
    ctx.ui.out(&out);
    Ok(0)
}

/// One line per dataset (its context, name, digest and source) and per logged model a run
/// took in.
fn input_rows(inputs: &crate::tracking::inputs::RunInputs) -> Vec<(String, String)> {
    let mut rows: Vec<(String, String)> = inputs
        .dataset_inputs
        .iter()
        .map(|d| {
            let set = &d.dataset;
            let mut what = format!("{} (digest {})", set.name, set.digest);
            if !set.source_type.is_empty() {
                what.push_str(&format!(", {}", set.source_type));
            }
            let label = match d.context() {
                Some(c) => format!("dataset, {c}"),
                None => "dataset".to_string(),
            };
            (label, what)
        })
        .collect();
    rows.extend(
        inputs
            .model_inputs
            .iter()
            .map(|m| ("model".to_string(), m.model_id.clone())),
    );
    rows
}

fn status_text(run: &crate::tracking::Run) -> String {
    let shown = super::display_status(run);
    match (&run.owner, shown) {
        (Some(o), "DEAD") => format!(
            "RUNNING, but its process ({} on {}) is gone: end it with `mlf run end --run {} --status killed`",
            o.pid,
            o.host,
            &run.info.run_id[..8]
        ),
        _ => shown.to_string(),
    }
}
