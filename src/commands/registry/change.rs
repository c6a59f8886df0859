//! `mlf registry describe|tag|untag|delete|promote|alias|unalias|request|approve|reject`.

use crate::commands::context::Ctx;
use crate::error::{CliResult, usage_error};
use crate::ops;
use crate::ops::registry::{Pending, Transitioned};
use crate::store::Act;
use crate::tracking::validation::{KeyKind, validate_key};
use crate::ui::format::{OutputArgs, OutputFormat};

#[derive(Debug, clap::Args)]
pub struct DescribeArgs {
    /// Registered model
    #[arg(add = crate::commands::complete::model_completer())]
    name: String,
    /// The new description
    text: String,
    /// Describe this version instead of the model
    #[arg(long, value_parser = super::version_arg)]
    version: Option<i64>,
}

#[derive(Debug, clap::Args)]
pub struct TagArgs {
    /// Registered model
    #[arg(add = crate::commands::complete::model_completer())]
    name: String,
    /// Tags to set
    #[arg(required = true, value_name = "KEY=VALUE")]
    tags: Vec<String>,
    /// Tag this version instead of the model
    #[arg(long, value_parser = super::version_arg)]
    version: Option<i64>,
}

#[derive(Debug, clap::Args)]
pub struct UntagArgs {
    /// Registered model
    #[arg(add = crate::commands::complete::model_completer())]
    name: String,
    /// Tag keys to remove
    #[arg(required = true, value_name = "KEY")]
    keys: Vec<String>,
    /// Untag this version instead of the model
    #[arg(long, value_parser = super::version_arg)]
    version: Option<i64>,
}

/// Delete a version (its number is never reused), or a whole model
///
/// Deleting a model removes its versions, aliases, tags, requests and copied files; its history
/// stays. A model that still has versions is only deleted with `--yes`.
#[derive(Debug, clap::Args)]
pub struct DeleteArgs {
    /// Registered model
    #[arg(add = crate::commands::complete::model_completer())]
    name: String,
    /// Delete only this version
    #[arg(long, value_parser = super::version_arg)]
    version: Option<i64>,
    /// Confirm deleting a model that still has versions
    #[arg(long)]
    yes: bool,
    /// Why (recorded in the history)
    #[arg(short, long)]
    message: Option<String>,
}

/// Move a version to a stage
///
/// Stages are None, Staging, Production and Archived (any case). With `--archive-existing`,
/// versions already in Staging or Production move to Archived. A stage listed under
/// `[registry] protected_stages` in `.mlf/config.toml` needs an approved request first.
#[derive(Debug, clap::Args)]
pub struct PromoteArgs {
    /// Registered model
    #[arg(add = crate::commands::complete::model_completer())]
    name: String,
    /// Version
    #[arg(value_parser = super::version_arg)]
    version: i64,
    /// Target stage
    #[arg(long, add = crate::commands::complete::stage_completer())]
    to: String,
    /// Archive the versions that are in the target stage now
    #[arg(long)]
    archive_existing: bool,
    /// Why (recorded in the history)
    #[arg(short, long)]
    message: Option<String>,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Debug, clap::Args)]
pub struct AliasArgs {
    /// Registered model
    #[arg(add = crate::commands::complete::model_completer())]
    name: String,
    /// Alias (letters, digits, `_`, `-`; `latest` and `v<number>` are reserved)
    alias: String,
    /// Version to point it at
    #[arg(value_parser = super::version_arg)]
    version: i64,
    /// Why (recorded in the history)
    #[arg(short, long)]
    message: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct UnaliasArgs {
    /// Registered model
    #[arg(add = crate::commands::complete::model_completer())]
    name: String,
    /// Alias to remove
    alias: String,
    /// Why (recorded in the history)
    #[arg(short, long)]
    message: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct RequestArgs {
    /// Registered model
    #[arg(add = crate::commands::complete::model_completer())]
    name: String,
    /// Version
    #[arg(value_parser = super::version_arg)]
    version: i64,
    /// Stage the version should enter
    #[arg(long, add = crate::commands::complete::stage_completer())]
    to: String,
    /// Why
    #[arg(short, long, required = true)]
    message: String,
}

#[derive(Debug, clap::Args)]
pub struct DecideArgs {
    /// Registered model
    #[arg(add = crate::commands::complete::model_completer())]
    name: String,
    /// Version whose pending request is decided
    #[arg(value_parser = super::version_arg)]
    version: i64,
    /// The stage of the request, when the version has several pending
    #[arg(long, add = crate::commands::complete::stage_completer())]
    to: Option<String>,
    /// Comment (recorded in the history)
    #[arg(short, long)]
    message: Option<String>,
}

pub fn describe(ctx: &mut Ctx, args: DescribeArgs) -> CliResult<u8> {
    let DescribeArgs {
        name,
        text,
        version,
    } = args;
    let actor = super::actor(ctx);
    ctx.store()?.describe(
        &name,
        version,
        &text,
        &Act {
            actor: &actor,
            comment: None,
        },
    )?;
    ctx.ui.status("Described", &target(&name, version));
    Ok(0)
}

fn target(name: &str, version: Option<i64>) -> String {
    match version {
        Some(v) => format!("`{name}` version {v}"),
        None => format!("`{name}`"),
    }
}

pub fn tag(ctx: &mut Ctx, args: TagArgs) -> CliResult<u8> {
    let TagArgs {
        name,
        tags,
        version,
    } = args;
    let tags: Vec<(String, Option<String>)> = super::tags(&tags)?
        .into_iter()
        .map(|t| (t.key, Some(t.value)))
        .collect();
    set_tags(ctx, &name, version, &tags)?;
    ctx.ui.status("Tagged", &target(&name, version));
    Ok(0)
}

/// Sets (`Some`) or removes (`None`) tags of a model or version, as the current actor.
fn set_tags(
    ctx: &mut Ctx,
    name: &str,
    version: Option<i64>,
    tags: &[(String, Option<String>)],
) -> CliResult<()> {
    let actor = super::actor(ctx);
    ctx.store()?.set_registry_tags(
        name,
        version,
        tags,
        &Act {
            actor: &actor,
            comment: None,
        },
    )?;
    Ok(())
}

pub fn untag(ctx: &mut Ctx, args: UntagArgs) -> CliResult<u8> {
    let UntagArgs {
        name,
        keys,
        version,
    } = args;
    for k in &keys {
        validate_key(KeyKind::Tag, k).map_err(usage_error)?;
    }
    let tags: Vec<(String, Option<String>)> = keys.into_iter().map(|k| (k, None)).collect();
    set_tags(ctx, &name, version, &tags)?;
    ctx.ui.status("Untagged", &target(&name, version));
    Ok(0)
}

pub fn delete(ctx: &mut Ctx, args: DeleteArgs) -> CliResult<u8> {
    let DeleteArgs {
        name,
        version,
        yes,
        message,
    } = args;
    let actor = super::actor(ctx);
    let act = Act {
        actor: &actor,
        comment: message.as_deref(),
    };
    let store = ctx.store()?;
    match version {
        Some(v) => {
            let aliases = crate::ops::registry::delete_version(store, &name, v, &act)?;
            let extra = if aliases.is_empty() {
                String::new()
            } else {
                format!(" and its aliases {}", aliases.join(", "))
            };
            ctx.ui
                .status("Deleted", &format!("`{name}` version {v}{extra}"));
        }
        None => {
            store.model(&name)?;
            let count = store.versions(&name)?.len();
            if count > 0 && !yes {
                return Err(usage_error(format!("model `{name}` still has {count} version(s)"))
                    .hint(format!("delete it with all its versions with `mlf registry delete {name} --yes`, or one version with `--version N`")));
            }
            let local = store.local().is_some();
            crate::ops::registry::delete_model(store, &name, &act)?;
            ctx.ui.status(
                "Deleted",
                &format!(
                    "model `{name}` ({count} version(s)){}",
                    if local { "; its history stays" } else { "" }
                ),
            );
        }
    }
    Ok(0)
}

pub fn promote(ctx: &mut Ctx, args: PromoteArgs) -> CliResult<u8> {
    let PromoteArgs {
        name,
        version,
        to,
        archive_existing,
        message,
        output,
    } = args;
    let stage = super::stage(&to)?;
    let actor = super::actor(ctx);
    let act = Act {
        actor: &actor,
        comment: message.as_deref(),
    };
    let result =
        ops::registry::transition(ctx.store()?, &name, version, stage, archive_existing, &act);
    let Transitioned {
        version: mv,
        approved,
    } = match result {
        Err(ops::Error::Store(e)) if matches!(e.plain(), crate::store::Error::Refused(_)) => {
            return Err(crate::error::CliError::from(e)
                .hint("see pending requests with `mlf registry requests`"));
        }
        other => other?,
    };
    if output.format == OutputFormat::Json {
        ctx.ui.json(&serde_json::json!({ "model_version": mv }))?;
    } else {
        let note = if approved {
            " (approved request used)"
        } else {
            ""
        };
        ctx.ui.status(
            "Promoted",
            &format!("`{name}` version {version} to {stage}{note}"),
        );
    }
    Ok(0)
}

pub fn alias(ctx: &mut Ctx, args: AliasArgs) -> CliResult<u8> {
    let AliasArgs {
        name,
        alias,
        version,
        message,
    } = args;
    let actor = super::actor(ctx);
    let previous = ctx.store()?.set_alias(
        &name,
        &alias,
        version,
        &Act {
            actor: &actor,
            comment: message.as_deref(),
        },
    )?;
    let moved = match previous {
        Some(p) if p != version => format!(" (moved from version {p})"),
        _ => String::new(),
    };
    ctx.ui.status(
        "Aliased",
        &format!("`{name}@{alias}` to version {version}{moved}"),
    );
    Ok(0)
}

pub fn unalias(ctx: &mut Ctx, args: UnaliasArgs) -> CliResult<u8> {
    let UnaliasArgs {
        name,
        alias,
        message,
    } = args;
    let actor = super::actor(ctx);
    let version = ctx.store()?.delete_alias(
        &name,
        &alias,
        &Act {
            actor: &actor,
            comment: message.as_deref(),
        },
    )?;
    ctx.ui.status(
        "Removed",
        &format!("alias `{name}@{alias}` (was version {version})"),
    );
    Ok(0)
}

pub fn request(ctx: &mut Ctx, args: RequestArgs) -> CliResult<u8> {
    let RequestArgs {
        name,
        version,
        to,
        message,
    } = args;
    let stage = super::stage(&to)?;
    if message.trim().is_empty() {
        return Err(usage_error("say why with `-m`: a request needs a reason"));
    }
    let actor = super::actor(ctx);
    let req = ctx.store()?.request_transition(
        &name,
        version,
        stage,
        &Act {
            actor: &actor,
            comment: Some(&message),
        },
    )?;
    ctx.ui.status(
        "Requested",
        &format!("#{}: `{name}` version {version} to {stage}; someone else can `mlf registry approve {name} {version}`", req.id),
    );
    ctx.ui.line(&req.id.to_string());
    Ok(0)
}

pub fn decide(ctx: &mut Ctx, args: DecideArgs, approve: bool) -> CliResult<u8> {
    let DecideArgs {
        name,
        version,
        to,
        message,
    } = args;
    let stage = to.as_deref().map(super::stage).transpose()?;
    let actor = super::actor(ctx);
    let which = Pending::Of {
        name: &name,
        version,
        stage,
    };
    let act = Act {
        actor: &actor,
        comment: message.as_deref(),
    };
    let req = ops::registry::decide(ctx.store()?, which, approve, &act)?;
    if approve {
        ctx.ui.status(
            "Approved",
            &format!("#{}: `{name}` version {version} to {}; promote it with `mlf registry promote {name} {version} --to {}`", req.id, req.to_stage, req.to_stage),
        );
    } else {
        ctx.ui.status(
            "Rejected",
            &format!(
                "#{}: `{name}` version {version} to {}",
                req.id, req.to_stage
            ),
        );
    }
    Ok(0)
}
