//! `mlf registry create` and `mlf registry register`.

use crate::commands::context::Ctx;
use crate::commands::log::artifact_error;
use crate::error::{CliError, CliResult, usage_error};
use crate::ops::registry::{RegisterError, Registration};
use crate::registry::validate_model_name;
use crate::store::Act;
use crate::ui::format::{OutputArgs, OutputFormat};

#[derive(Debug, clap::Args)]
pub struct CreateArgs {
    /// Name of the model
    name: String,
    /// Description
    #[arg(short, long)]
    description: Option<String>,
    /// A tag (repeatable)
    #[arg(short, long = "tag", value_name = "KEY=VALUE")]
    tags: Vec<String>,
    #[command(flatten)]
    output: OutputArgs,
}

/// Register a model as a new version of a registered model
///
/// MODEL_URI is `runs:/RUN/PATH` (a directory or file in a run's artifacts), `models:/NAME/…`
/// (another registered version), or a local path, which is copied into the store. `file://`
/// URIs and other schemes are refused: a version's files always live inside the store.
#[derive(Debug, clap::Args)]
pub struct RegisterArgs {
    /// `runs:/RUN/PATH`, `models:/NAME/VERSION|STAGE|latest`, `models:/NAME@ALIAS`, or a local path
    #[arg(add = crate::commands::complete::model_uri_completer())]
    model_uri: String,
    /// Registered model to add the version to (created if missing)
    #[arg(long, add = crate::commands::complete::model_completer())]
    name: String,
    /// Description of the version
    #[arg(short, long)]
    description: Option<String>,
    /// A tag of the version (repeatable)
    #[arg(short, long = "tag", value_name = "KEY=VALUE")]
    tags: Vec<String>,
    #[command(flatten)]
    output: OutputArgs,
}

pub fn create(ctx: &mut Ctx, args: CreateArgs) -> CliResult<u8> {
    let CreateArgs {
        name,
        description,
        tags,
        output,
    } = args;
    validate_model_name(&name).map_err(usage_error)?;
    let tags = super::tags(&tags)?;
    let actor = super::actor(ctx);
    let model = ctx.store_for_write()?.create_model(
        &name,
        description.as_deref().unwrap_or(""),
        &tags,
        &Act {
            actor: &actor,
            comment: None,
        },
    )?;
    if output.format == OutputFormat::Json {
        ctx.ui
            .json(&serde_json::json!({ "registered_model": model }))?;
    } else {
        ctx.ui
            .status("Created", &format!("registered model `{name}`"));
    }
    Ok(0)
}

pub fn register(ctx: &mut Ctx, args: RegisterArgs) -> CliResult<u8> {
    let RegisterArgs {
        model_uri,
        name,
        description,
        tags,
        output,
    } = args;
    validate_model_name(&name).map_err(usage_error)?;
    let tags = super::tags(&tags)?;
    let actor = super::actor(ctx);
    let cwd = ctx.cwd()?;
    let store = ctx.store_for_write()?;
    let registration = Registration {
        name: &name,
        uri: &model_uri,
        cwd: &cwd,
        description: description.as_deref().unwrap_or(""),
        tags,
    };
    let act = Act {
        actor: &actor,
        comment: None,
    };
    let version = crate::ops::registry::register(store, registration, &act).map_err(rendered)?;
    if output.format == OutputFormat::Json {
        ctx.ui
            .json(&serde_json::json!({ "model_version": version }))?;
    } else {
        ctx.ui.status(
            "Registered",
            &format!("`{name}` version {} from {}", version.version, model_uri),
        );
        ctx.ui.line(&version.version);
    }
    Ok(0)
}

/// A registration error as the command line words it, with what to do instead.
fn rendered(e: RegisterError) -> CliError {
    use RegisterError as E;
    let message = e.to_string();
    match e {
        E::Store(e) => e.into(),
        E::Artifact(e) => artifact_error(e),
        E::FileUri(_) => usage_error(message)
            .hint("give the path itself (it is copied into the store), or runs:/RUN/PATH"),
        E::NoSuchPath(_) => usage_error(message)
            .hint("give an existing path, runs:/RUN/PATH or models:/NAME/VERSION"),
        E::LocalPathOnServer(_) => usage_error(message).hint(
            "log it to a run first (`mlf models log PATH --run RUN`), then register runs:/RUN/PATH",
        ),
        E::NoRun(_) | E::ArtifactPath(_) | E::Scheme { .. } | E::InsideStore(_) => {
            usage_error(message)
        }
    }
}
