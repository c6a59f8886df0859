//! The command tree: one variant per subcommand, one file (or folder) per variant.

pub mod artifacts;
pub mod complete;
pub mod completions;
pub mod config;
pub mod context;
pub mod examples;
pub mod experiments;
pub mod gc;
pub mod generate;
pub mod help;
pub mod import;
pub mod init;
pub mod launch;
pub mod log;
pub mod man;
pub mod models;
pub mod project;
pub mod pull;
pub mod push;
pub mod registry;
pub mod remote;
pub mod run;
pub mod runs;
pub mod server;
pub mod status;
pub mod store;
pub mod suggest;
pub mod ui;

use crate::commands::context::Ctx;
use crate::error::CliResult;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Create a store (`.mlf/`) in a directory
    Init(init::InitArgs),
    /// Run a command as a tracked run, or start and end runs by hand
    Run(run::RunArgs),
    /// Show the store, the active run, running and dead runs, and the best recent runs
    Status(status::StatusArgs),
    /// Log params, metrics, tags and artifacts to a run
    #[command(subcommand)]
    Log(log::LogCommand),
    /// List, show, delete and restore runs
    #[command(subcommand)]
    Runs(runs::RunsCommand),
    /// Create, list, rename, delete and restore experiments (alias: exp)
    #[command(subcommand, alias = "exp")]
    Experiments(experiments::ExperimentsCommand),
    /// Serve, score, log, save, export and import MLflow models
    #[command(subcommand)]
    Models(models::ModelsCommand),
    /// Run MLflow projects (MLproject entry points) as tracked runs
    #[command(subcommand)]
    Project(project::ProjectCommand),
    /// Registered models: versions, stages, aliases, approvals and history (alias: reg)
    #[command(subcommand, alias = "reg")]
    Registry(registry::RegistryCommand),
    /// Serve MLflow's REST API over this store (for the `mlflow` client and other machines)
    Server(server::ServerArgs),
    /// Browse, chart and compare runs and run the registry in a browser (the web UI)
    Ui(ui::UiArgs),
    /// List, download and upload the artifacts of a run
    #[command(subcommand)]
    Artifacts(artifacts::ArtifactsCommand),
    /// Import another tracking store (MLflow's), keeping its ids
    #[command(subcommand)]
    Import(import::ImportCommand),
    /// Copy a whole store into another (a directory, or PostgreSQL or MySQL with its artifacts)
    #[command(subcommand)]
    Store(store::StoreCommand),
    /// Add, list and remove remotes: other stores and `mlf server`s to push to and pull from
    #[command(subcommand)]
    Remote(remote::RemoteCommand),
    /// Send runs, metric histories and artifacts to a remote, keeping run ids
    ///
    /// REMOTE is a name from `mlf remote list` [default: the only remote, or `origin`], or a URL
    /// or path in its place. Each run is compared with the remote's copy by a digest, and only
    /// the runs that differ are sent, in batches the remote merges one transaction each; a second
    /// push sends nothing, and an interrupted push resumes. On the remote, params are write-once:
    /// a param it has with another value is a conflict, listed and left as it is (the push still
    /// sends everything else, and exits with 1). Metric points join the history unless the same
    /// (key, step, timestamp, value) is there. Of two copies of a run, the one with the latest
    /// activity (start, end, deletion, last metric point) gives tags, name, status and lifecycle
    /// stage, and each tag that changes (or is kept) is listed. Artifact files missing on the
    /// remote, or of another size, are copied. Without `-x`, the registry goes too (models,
    /// versions, aliases, tags).
    Push(push::PushArgs),
    /// Bring runs, metric histories and artifacts from a remote, keeping run ids
    ///
    /// REMOTE is a name from `mlf remote list` [default: the only remote, or `origin`], or a URL
    /// or path in its place. The same rules as `mlf push`, the other way: only the runs whose
    /// digests differ come over, in batches merged one transaction each; params here are
    /// write-once (a conflict is listed, the rest is pulled, and the exit code is 1); metric
    /// histories are joined; the newer copy of a run gives its tags; missing artifact files are
    /// downloaded. A store is created here when there is none.
    Pull(pull::PullArgs),
    /// Remove deleted runs and experiments for good, and files nothing owns
    Gc(gc::GcArgs),
    /// Print a shell completion script
    Completions(completions::CompletionsArgs),
    /// Print help for a command, or a topic: `filter` (the search grammar), `env` (variables)
    Help(help::HelpArgs),
    /// Print a man page, or install them all where `man mlf` finds them (`--install`)
    Man(man::ManArgs),
    /// Write completion scripts and man pages (for packagers)
    #[command(subcommand, hide = true)]
    Generate(generate::GenerateCommand),
}

/// Runs a command; the `u8` is the exit code on success (a child's code for `mlf run`).
pub fn dispatch(ctx: &mut Ctx, command: Command) -> CliResult<u8> {
    match command {
        Command::Init(args) => init::run(ctx, args),
        Command::Run(args) => run::run(ctx, args),
        Command::Status(args) => status::run(ctx, args),
        Command::Log(cmd) => log::run(ctx, cmd),
        Command::Runs(cmd) => runs::run(ctx, cmd),
        Command::Experiments(cmd) => experiments::run(ctx, cmd),
        Command::Models(cmd) => models::run(ctx, cmd),
        Command::Project(cmd) => project::run(ctx, cmd),
        Command::Registry(cmd) => registry::run(ctx, cmd),
        Command::Server(args) => server::run(ctx, args),
        Command::Ui(args) => ui::run(ctx, args),
        Command::Artifacts(cmd) => artifacts::run(ctx, cmd),
        Command::Gc(args) => gc::run(ctx, args),
        Command::Import(cmd) => import::run(ctx, cmd),
        Command::Store(cmd) => store::run(ctx, cmd),
        Command::Remote(cmd) => remote::run(ctx, cmd),
        Command::Push(args) => push::run(ctx, args),
        Command::Pull(args) => pull::run(ctx, args),
        Command::Completions(args) => completions::run(ctx, args),
        Command::Help(args) => help::run(ctx, args),
        Command::Man(args) => man::run(ctx, args),
        Command::Generate(cmd) => generate::run(ctx, cmd),
    }
}
