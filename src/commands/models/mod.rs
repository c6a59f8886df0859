//! `mlf models …`: MLflow model directories — serve, predict, log, save, export, import and
//! generate a Dockerfile.

mod files;
mod serve;

use crate::commands::context::Ctx;
use crate::error::CliResult;

#[derive(Debug, clap::Subcommand)]
pub enum ModelsCommand {
    /// Serve a model over HTTP with MLflow's scoring protocol
    Serve(serve::ServeArgs),
    /// Score a JSON or CSV file with a model
    Predict(serve::PredictArgs),
    /// Copy an MLmodel directory into a run's artifacts
    Log(files::LogArgs),
    /// Make an MLmodel directory for an ONNX file (signature read from the graph)
    Save(files::SaveArgs),
    /// Pack a model directory into a .tar.gz
    Export(files::ExportArgs),
    /// Unpack a model archive made by `export`
    Import(files::ImportArgs),
    /// Write a Dockerfile and context whose image serves the model with mlf
    GenerateDockerfile(files::DockerfileArgs),
}

pub fn run(ctx: &mut Ctx, cmd: ModelsCommand) -> CliResult<u8> {
    match cmd {
        ModelsCommand::Serve(a) => serve::serve(ctx, a),
        ModelsCommand::Predict(a) => serve::predict(ctx, a),
        ModelsCommand::Log(a) => files::log(ctx, a),
        ModelsCommand::Save(a) => files::save(ctx, a),
        ModelsCommand::Export(a) => files::export(ctx, a),
        ModelsCommand::Import(a) => files::import(ctx, a),
        ModelsCommand::GenerateDockerfile(a) => files::dockerfile(ctx, a),
    }
}

/// Resolves `-m URI` to a model directory; the store is opened only when the URI needs it.
pub fn model_dir(ctx: &mut Ctx, uri: &str) -> CliResult<std::path::PathBuf> {
    let cwd = ctx.cwd()?;
    if uri.starts_with("runs:") || uri.starts_with("models:") {
        let store = ctx.store()?;
        return Ok(crate::models::resolve_uri(Some(&*store), uri, &cwd)?);
    }
    Ok(crate::models::resolve_uri(None, uri, &cwd)?)
}
