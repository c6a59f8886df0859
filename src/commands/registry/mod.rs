//! `mlf registry …`: registered models, versions, stages, aliases, approvals and history.

mod change;
mod register;
mod show;

use crate::commands::context::Ctx;
use crate::error::{CliError, CliResult, usage_error};
use crate::registry::Stage;
use crate::tracking::KeyValue;
use crate::tracking::validation::{KeyKind, split_key_value, validate_key};
use crate::{env, source};

#[derive(Debug, clap::Subcommand)]
pub enum RegistryCommand {
    /// Create a registered model
    Create(register::CreateArgs),
    /// Register a model (`runs:/RUN/PATH`, `models:/…`, or a local path, copied in) as a new version
    Register(register::RegisterArgs),
    /// List registered models
    #[command(visible_alias = "ls")]
    List(show::ListArgs),
    /// Show a model and its versions, one version, or what held each stage at a time (`--at`)
    Show(show::ShowArgs),
    /// Set the description of a model or of a version
    Describe(change::DescribeArgs),
    /// Set tags on a model or a version
    Tag(change::TagArgs),
    /// Remove tags from a model or a version
    Untag(change::UntagArgs),
    /// Delete a version (its number is never reused), or a whole model
    Delete(change::DeleteArgs),
    /// Move a version to a stage (None, Staging, Production, Archived)
    Promote(change::PromoteArgs),
    /// Point an alias at a version (moving it if it pointed elsewhere)
    Alias(change::AliasArgs),
    /// Remove an alias
    Unalias(change::UnaliasArgs),
    /// Ask for a version to enter a (protected) stage
    Request(change::RequestArgs),
    /// Approve the pending request of a version
    Approve(change::DecideArgs),
    /// Reject the pending request of a version
    Reject(change::DecideArgs),
    /// List transition requests (pending ones, unless --all)
    Requests(show::RequestsArgs),
    /// Every change to a model: registrations, stages, aliases, approvals, deletions
    History(show::HistoryArgs),
    /// Print the local path of the files a `models:/` URI names
    Resolve(show::ResolveArgs),
}

pub fn run(ctx: &mut Ctx, cmd: RegistryCommand) -> CliResult<u8> {
    dispatch(ctx, cmd).map_err(|e| with_suggestion(ctx, e))
}

/// An unknown model's error, with the closest registered model's name suggested.
fn with_suggestion(ctx: &mut Ctx, err: CliError) -> CliError {
    const UNKNOWN: &str = "no registered model named `";
    let Some(at) = err.message.find(UNKNOWN) else {
        return err;
    };
    let name = err.message[at + UNKNOWN.len()..]
        .split('`')
        .next()
        .unwrap_or("")
        .to_string();
    let Ok(store) = ctx.store() else {
        return err;
    };
    let models = store.list_models(None).unwrap_or_default();
    match crate::commands::suggest::closest(&name, models.iter().map(|m| m.name.as_str())) {
        Some(near) => err.hint(format!("did you mean `{near}`?")),
        None => err.hint("list the registered models with `mlf registry list`"),
    }
}

fn dispatch(ctx: &mut Ctx, cmd: RegistryCommand) -> CliResult<u8> {
    match cmd {
        RegistryCommand::Create(a) => register::create(ctx, a),
        RegistryCommand::Register(a) => register::register(ctx, a),
        RegistryCommand::List(a) => show::list(ctx, a),
        RegistryCommand::Show(a) => show::show(ctx, a),
        RegistryCommand::Describe(a) => change::describe(ctx, a),
        RegistryCommand::Tag(a) => change::tag(ctx, a),
        RegistryCommand::Untag(a) => change::untag(ctx, a),
        RegistryCommand::Delete(a) => change::delete(ctx, a),
        RegistryCommand::Promote(a) => change::promote(ctx, a),
        RegistryCommand::Alias(a) => change::alias(ctx, a),
        RegistryCommand::Unalias(a) => change::unalias(ctx, a),
        RegistryCommand::Request(a) => change::request(ctx, a),
        RegistryCommand::Approve(a) => change::decide(ctx, a, true),
        RegistryCommand::Reject(a) => change::decide(ctx, a, false),
        RegistryCommand::Requests(a) => show::requests(ctx, a),
        RegistryCommand::History(a) => show::history(ctx, a),
        RegistryCommand::Resolve(a) => show::resolve(ctx, a),
    }
}

/// Who is acting: `MLF_USER`, else the git identity (`user.name` as git resolves it in the
/// current directory), else the login name (`$USER`, the account).
pub fn actor(ctx: &Ctx) -> String {
    if let Some(name) = env::var(env::MLF_USER) {
        return name;
    }
    let cwd = ctx.cwd().ok();
    if let Some(name) = cwd.as_deref().and_then(source::user_name) {
        return name;
    }
    env::login_name().unwrap_or_else(|| "unknown".into())
}

/// Parses a stage given on the command line.
pub fn stage(s: &str) -> CliResult<Stage> {
    Stage::parse(s).map_err(usage_error)
}

/// Parses `-t key=value` tags.
pub fn tags(list: &[String]) -> CliResult<Vec<KeyValue>> {
    list.iter()
        .map(|s| {
            let (key, value) = split_key_value(s).map_err(usage_error)?;
            validate_key(KeyKind::Tag, &key).map_err(usage_error)?;
            Ok(KeyValue { key, value })
        })
        .collect()
}

/// A version number: a positive integer (`3`, or `v3`).
pub fn version_arg(s: &str) -> Result<i64, String> {
    let digits = s.strip_prefix(['v', 'V']).unwrap_or(s);
    match digits.parse::<i64>() {
        Ok(v) if v >= 1 => Ok(v),
        _ => Err(format!(
            "`{s}` is not a version number: give a positive integer such as 3"
        )),
    }
}
