//! `mlf registry list|show|requests|history|resolve`.

use crate::commands::context::Ctx;
use crate::error::{CliResult, usage_error};
use crate::registry::{Event, ModelVersion, parse_time};
use crate::search::parse_model_filter;
use crate::ui::format::{OutputArgs, OutputFormat, short_id, time};
use crate::ui::table;

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Only models matching this filter (`name LIKE 'churn%' and tags.team = 'risk'`)
    #[arg(short, long, value_name = "EXPR")]
    filter: Option<String>,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// Registered model
    #[arg(add = crate::commands::complete::model_completer())]
    name: String,
    /// Show this version only
    #[arg(long, value_parser = super::version_arg, conflicts_with = "at")]
    version: Option<i64>,
    /// Show which versions held each stage and alias at this time
    /// (`2026-11-01`, `2026-11-01T12:00`, `2026-11-01T12:00:00Z`, or ms since the epoch)
    #[arg(long, value_name = "TIME")]
    at: Option<String>,
    #[command(flatten)]
    web: crate::commands::ui::WebArgs,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Debug, clap::Args)]
pub struct RequestsArgs {
    /// Only requests for this model
    #[arg(add = crate::commands::complete::model_completer())]
    name: Option<String>,
    /// Include decided and used requests
    #[arg(long)]
    all: bool,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Debug, clap::Args)]
pub struct HistoryArgs {
    /// Registered model (its history outlives its deletion)
    #[arg(add = crate::commands::complete::model_completer())]
    name: String,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Debug, clap::Args)]
pub struct ResolveArgs {
    /// `models:/NAME/VERSION`, `models:/NAME/STAGE`, `models:/NAME/latest` or `models:/NAME@ALIAS`
    #[arg(add = crate::commands::complete::model_uri_completer())]
    model_uri: String,
}

pub fn list(ctx: &mut Ctx, args: ListArgs) -> CliResult<u8> {
    let ListArgs { filter, output } = args;
    let filter = match &filter {
        Some(f) => {
            parse_model_filter(f).map_err(|e| usage_error(format!("invalid filter: {e}")))?
        }
        None => None,
    };
    let models = ctx.store()?.list_models(filter.as_ref())?;
    match output.format {
        OutputFormat::Json => ctx
            .ui
            .json(&serde_json::json!({ "registered_models": models }))?,
        format => {
            let headers: Vec<String> = [
                "NAME",
                "VERSIONS",
                "STAGING",
                "PRODUCTION",
                "ALIASES",
                "UPDATED",
                "DESCRIPTION",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect();
            let store = ctx.store()?;
            let mut rows = Vec::new();
            for m in &models {
                let count = store.versions(&m.name)?.len();
                let in_stage = |s: &str| {
                    m.latest_versions
                        .iter()
                        .find(|v| v.current_stage == s)
                        .map(|v| v.version.clone())
                        .unwrap_or_default()
                };
                let aliases = m
                    .aliases
                    .iter()
                    .map(|a| format!("{}→{}", a.alias, a.version))
                    .collect::<Vec<_>>()
                    .join(" ");
                rows.push(vec![
                    m.name.clone(),
                    count.to_string(),
                    in_stage("Staging"),
                    in_stage("Production"),
                    aliases,
                    time(m.last_updated_timestamp),
                    m.description.lines().next().unwrap_or("").to_string(),
                ]);
            }
            if format == OutputFormat::Csv {
                ctx.ui.out(&table::csv(&headers, &rows));
            } else if rows.is_empty() {
                ctx.ui.status(
                    "No models",
                    "registered yet: `mlf registry register runs:/RUN/model --name NAME`",
                );
            } else {
                ctx.ui.out(&table::text(
                    &ctx.ui,
                    &headers,
                    rows,
                    format == OutputFormat::Md,
                ));
            }
        }
    }
    Ok(0)
}

fn version_rows(v: &ModelVersion) -> Vec<(String, String)> {
    let mut rows = vec![
        ("model".to_string(), v.name.clone()),
        ("version".into(), v.version.clone()),
        ("stage".into(), v.current_stage.clone()),
        ("aliases".into(), v.aliases.join(", ")),
        ("source".into(), v.source.clone()),
        ("location".into(), v.storage_location.clone()),
        (
            "created".into(),
            format!("{} by {}", time(v.creation_timestamp), v.user_id),
        ),
        ("updated".into(), time(v.last_updated_timestamp)),
    ];
    if !v.run_id.is_empty() {
        rows.push(("run".into(), v.run_id.clone()));
    }
    if !v.description.is_empty() {
        rows.push(("description".into(), v.description.clone()));
    }
    for t in &v.tags {
        rows.push((format!("tag {}", t.key), t.value.clone()));
    }
    rows
}

pub fn show(ctx: &mut Ctx, args: ShowArgs) -> CliResult<u8> {
    let ShowArgs {
        name,
        version,
        at,
        web,
        output,
    } = args;
    let store = ctx.store()?;
    if web.web {
        let t = at
            .as_deref()
            .map(parse_time)
            .transpose()
            .map_err(usage_error)?;
        let m = store.model(&name)?;
        let page = web_page(&m.name, version, t);
        if let Some(v) = version {
            store.version(&m.name, v)?;
        }
        return crate::commands::ui::open_page(ctx, page, web);
    }
    if let Some(at) = at {
        let t = parse_time(&at).map_err(usage_error)?;
        let snap = store.registry_at(&name, t)?;
        if output.format == OutputFormat::Json {
            ctx.ui.json(&snap)?;
            return Ok(0);
        }
        let mut out = format!("{name} at {}\n", time(t));
        let mut rows = Vec::new();
        for stage in ["Production", "Staging", "None", "Archived"] {
            if let Some(vs) = snap.stages.get(stage) {
                rows.push((stage.to_string(), vs.join(", ")));
            }
        }
        for (alias, v) in &snap.aliases {
            rows.push((format!("@{alias}"), v.clone()));
        }
        if rows.is_empty() {
            out.push_str("  no versions\n");
        }
        out.push_str(&table::pairs(&rows, 2));
        ctx.ui.out(&out);
        return Ok(0);
    }
    if let Some(v) = version {
        let mv = store.version(&name, v)?;
        match output.format {
            OutputFormat::Json => ctx.ui.json(&serde_json::json!({ "model_version": mv }))?,
            OutputFormat::Csv => ctx.ui.out(&table::pairs_csv(&version_rows(&mv))),
            _ => ctx.ui.out(&table::pairs(&version_rows(&mv), 0)),
        }
        return Ok(0);
    }
    let model = store.model(&name)?;
    let versions = store.versions(&name)?;
    if output.format == OutputFormat::Json {
        ctx.ui
            .json(&serde_json::json!({ "registered_model": model, "model_versions": versions }))?;
        return Ok(0);
    }
    let mut head = vec![
        ("name".to_string(), model.name.clone()),
        (
            "created".into(),
            format!("{} by {}", time(model.creation_timestamp), model.user_id),
        ),
        ("updated".into(), time(model.last_updated_timestamp)),
    ];
    if !model.description.is_empty() {
        head.push(("description".into(), model.description.clone()));
    }
    for t in &model.tags {
        head.push((format!("tag {}", t.key), t.value.clone()));
    }
    for a in &model.aliases {
        head.push((format!("@{}", a.alias), format!("version {}", a.version)));
    }
    let headers: Vec<String> = ["VERSION", "STAGE", "ALIASES", "CREATED", "RUN", "SOURCE"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let rows: Vec<Vec<String>> = versions
        .iter()
        .map(|v| {
            vec![
                v.version.clone(),
                v.current_stage.clone(),
                v.aliases.join(", "),
                time(v.creation_timestamp),
                if v.run_id.is_empty() {
                    String::new()
                } else {
                    short_id(&v.run_id).to_string()
                },
                v.source.clone(),
            ]
        })
        .collect();
    if output.format == OutputFormat::Csv {
        ctx.ui.out(&table::csv(&headers, &rows));
        return Ok(0);
    }
    let mut out = table::pairs(&head, 0);
    if rows.is_empty() {
        out.push_str("\nno versions\n");
    } else {
        out.push('\n');
        out.push_str(&table::text(
            &ctx.ui,
            &headers,
            rows,
            output.format == OutputFormat::Md,
        ));
    }
    ctx.ui.out(&out);
    Ok(0)
}

pub fn requests(ctx: &mut Ctx, args: RequestsArgs) -> CliResult<u8> {
    let RequestsArgs { name, all, output } = args;
    let store = ctx.store()?;
    if let Some(n) = &name {
        store.model(n)?;
    }
    let reqs = store.requests(name.as_deref(), all)?;
    match output.format {
        OutputFormat::Json => ctx.ui.json(&serde_json::json!({ "requests": reqs }))?,
        format => {
            let headers: Vec<String> = [
                "ID",
                "MODEL",
                "VERSION",
                "TO",
                "STATUS",
                "BY",
                "WHEN",
                "WHY",
                "DECIDED BY",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect();
            let rows: Vec<Vec<String>> = reqs
                .iter()
                .map(|r| {
                    vec![
                        format!("#{}", r.id),
                        r.name.clone(),
                        r.version.clone(),
                        r.to_stage.clone(),
                        r.status.clone(),
                        r.requested_by.clone(),
                        time(r.requested_at),
                        r.comment.clone(),
                        r.decided_by.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            if rows.is_empty() {
                ctx.ui
                    .status("No requests", if all { "" } else { "pending" });
            } else {
                ctx.ui.out(&table::text(
                    &ctx.ui,
                    &headers,
                    rows,
                    format == OutputFormat::Md,
                ));
            }
        }
    }
    Ok(0)
}

/// One history entry in words.
fn describe(e: &Event) -> String {
    let v = e.version.as_deref().unwrap_or("?");
    let to = e.to.as_deref().unwrap_or("");
    let from = e.from.as_deref().unwrap_or("");
    match e.kind.as_str() {
        "create_model" => "created the model".into(),
        "register" => format!("registered version {v} from {to}"),
        "stage" => format!("moved version {v} from {from} to {to}"),
        "alias" if from.is_empty() => format!("set alias @{to} to version {v}"),
        "alias" => format!("moved alias @{to} from version {from} to version {v}"),
        "unalias" => format!("removed alias @{from} (was version {v})"),
        "request" => format!("requested version {v} to {to}"),
        "approve" => format!("approved version {v} to {to}"),
        "reject" => format!("rejected version {v} to {to}"),
        "delete_version" => format!("deleted version {v}"),
        "delete_model" => "deleted the model".into(),
        "describe" if e.version.is_some() => format!("described version {v}"),
        "describe" => "described the model".into(),
        "tag" if e.version.is_some() => format!("tagged version {v} {to}"),
        "tag" => format!("tagged the model {to}"),
        "untag" if e.version.is_some() => format!("removed tag {to} from version {v}"),
        "untag" => format!("removed tag {to} from the model"),
        other => other.to_string(),
    }
}

pub fn history(ctx: &mut Ctx, args: HistoryArgs) -> CliResult<u8> {
    let HistoryArgs { name, output } = args;
    let events = ctx.store()?.registry_history(&name)?;
    match output.format {
        OutputFormat::Json => ctx.ui.json(&serde_json::json!({ "events": events }))?,
        format => {
            let headers: Vec<String> = ["TIME", "WHO", "WHAT", "WHY"]
                .iter()
                .map(|s| s.to_string())
                .collect();
            let rows = events
                .iter()
                .map(|e| {
                    vec![
                        time(e.timestamp),
                        e.actor.clone(),
                        describe(e),
                        e.comment.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            if format == OutputFormat::Csv {
                let mut w = csv::Writer::from_writer(Vec::new());
                let _ = w.write_record([
                    "timestamp",
                    "actor",
                    "kind",
                    "version",
                    "from",
                    "to",
                    "comment",
                ]);
                for e in &events {
                    let _ = w.write_record([
                        e.timestamp.to_string(),
                        e.actor.clone(),
                        e.kind.clone(),
                        e.version.clone().unwrap_or_default(),
                        e.from.clone().unwrap_or_default(),
                        e.to.clone().unwrap_or_default(),
                        e.comment.clone().unwrap_or_default(),
                    ]);
                }
                ctx.ui.out(&String::from_utf8_lossy(
                    &w.into_inner().unwrap_or_default(),
                ));
            } else {
                ctx.ui.out(&table::text(
                    &ctx.ui,
                    &headers,
                    rows,
                    format == OutputFormat::Md,
                ));
            }
        }
    }
    Ok(0)
}

pub fn resolve(ctx: &mut Ctx, args: ResolveArgs) -> CliResult<u8> {
    crate::registry::parse_model_uri(&args.model_uri).map_err(crate::error::usage_error)?;
    let cwd = ctx.cwd()?;
    let store = ctx.store()?;
    // A server's version is downloaded first, so the path printed is always a local one.
    let dir = crate::models::resolve_uri(Some(&*store), &args.model_uri, &cwd)?;
    ctx.ui.line(&dir.display().to_string());
    Ok(0)
}

/// The UI's page of a model, or of one of its versions, or of the model as it was at a time.
fn web_page(name: &str, version: Option<i64>, at: Option<i64>) -> crate::commands::ui::WebPage {
    let n = crate::remote::encode_path(name).replace('/', "%2F");
    let (path, mlflow) = match version {
        Some(v) => (
            format!("/ui/models/{n}/versions/{v}"),
            format!("/#/models/{n}/versions/{v}"),
        ),
        None => (format!("/ui/models/{n}"), format!("/#/models/{n}")),
    };
    match at {
        Some(t) => crate::commands::ui::WebPage {
            path: format!("{path}?at={t}"),
            mlflow,
        },
        None => crate::commands::ui::WebPage { path, mlflow },
    }
}
