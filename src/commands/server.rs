//! `mlf server`: MLflow's REST API over this store; `mlf server passwd`: its users file.

use std::io::{BufRead, IsTerminal, Write};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use crate::commands::context::{Ctx, open_database_with, truncates};
use crate::env;
use crate::error::{CliError, CliResult, failure, usage_error};
use crate::server::users::{self, Change, ChangeError, Users};
use crate::server::{Settings, Source, run_foreground};

/// Serve MLflow's REST API over this store, so the `mlflow` client logs into it
///
/// Tracking, registry, logged-model and artifact-proxy endpoints (`/api/2.0/mlflow/…`,
/// `/api/2.0/mlflow-artifacts/…`). Point clients at it with
/// `MLFLOW_TRACKING_URI=http://127.0.0.1:5000`. Listens on loopback unless told otherwise.
/// The web UI (`mlf ui`) is served beside the API, at `/`, when the store is a directory.
///
/// The store is a directory (`--store`, else the nearest `.mlf`) or a PostgreSQL or MySQL
/// database (`--store postgresql://…` or `--backend-store-uri mysql://…`), whose runs keep their
/// artifacts below `--artifacts-destination` (a path, `s3://BUCKET/PREFIX`,
/// `az://CONTAINER/PREFIX` or `gs://BUCKET/PREFIX`, which the database records for other
/// commands), else
/// `MLF_ARTIFACT_ROOT`.
///
/// With `--users FILE`, every route but `/health`, `/version` and `server-info` asks for HTTP
/// Basic credentials of a user in FILE (the `mlflow` client sends `MLFLOW_TRACKING_USERNAME`
/// and `MLFLOW_TRACKING_PASSWORD`); add users with `mlf server passwd USER --users FILE`.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ServerArgs {
    #[command(subcommand)]
    command: Option<ServerCommand>,
    /// The store to serve, as MLflow's option names it: a `postgresql://USER:PASS@HOST:PORT/DB`
    /// or `mysql://…` database or a store directory (the same as `--store`, which it overrides)
    #[arg(long, value_name = "URI")]
    backend_store_uri: Option<PathBuf>,
    /// Where the runs of a database store keep their artifacts, served through the artifact
    /// proxy: `s3://BUCKET/PREFIX` (keys and endpoint from `AWS_*` and
    /// `MLFLOW_S3_ENDPOINT_URL`), `az://CONTAINER/PREFIX` or
    /// `wasbs://CONTAINER@ACCOUNT.blob.core.windows.net/PREFIX` (account, key and endpoint from
    /// `AZURE_STORAGE_CONNECTION_STRING`), `gs://BUCKET/PREFIX` (credentials from
    /// `GOOGLE_APPLICATION_CREDENTIALS`), `file:///PATH` or a path [default:
    /// `MLF_ARTIFACT_ROOT`, else `mlruns`]
    #[arg(long, value_name = "URI")]
    artifacts_destination: Option<String>,
    /// Address to listen on
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Port (0 picks a free one)
    #[arg(short, long, default_value_t = 5000)]
    port: u16,
    /// Require `Authorization: Bearer TOKEN` (or HTTP Basic with the token as password) on
    /// every route but `/health`, `/version` and `server-info`
    #[arg(long, env = env::MLF_SERVER_TOKEN, value_name = "TOKEN", hide_env_values = true)]
    auth_token: Option<String>,
    /// Require HTTP Basic `user:password` of a user in FILE on every route but `/health`,
    /// `/version` and `server-info` (`name:hash` lines, made with `mlf server passwd`)
    #[arg(long, env = env::MLF_SERVER_USERS, value_name = "FILE")]
    users: Option<PathBuf>,
    /// Largest request body accepted, in bytes
    #[arg(long, default_value_t = 512 * 1024 * 1024, value_name = "BYTES")]
    max_body: usize,
    /// Seconds to wait for the next piece of a request body before answering 408
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..), value_name = "SECONDS")]
    body_timeout: u64,
    /// Host names clients may reach the server under, besides its IP addresses, localhost and
    /// this machine's name (`*`: any); other `Host` headers get 403
    #[arg(long, value_name = "HOST,...", value_delimiter = ',')]
    allowed_hosts: Vec<String>,
    /// Web origins (`https://ui.example.com`) that may change the store from a browser, besides
    /// the server's own (`*`: any); other cross-origin writes get 403
    #[arg(long, value_name = "ORIGIN,...", value_delimiter = ',')]
    cors_allowed_origins: Vec<String>,
}

#[derive(Debug, clap::Subcommand)]
pub enum ServerCommand {
    /// Add a user to a users file, or change their password
    Passwd(PasswdArgs),
}

/// Add a user to the users file of `mlf server --users`, or change their password
///
/// Reads the password from the first line of stdin when stdin is not a terminal, else asks
/// twice without echo. Stores werkzeug's `pbkdf2:sha256:600000$SALT$HEX` hash (what MLflow's
/// basic-auth app uses); other lines and comments are kept. A new file gets mode 0600.
#[derive(Debug, clap::Args)]
pub struct PasswdArgs {
    /// User name (what clients send as `MLFLOW_TRACKING_USERNAME`)
    user: String,
    /// The users file to change (created when missing)
    #[arg(long, env = env::MLF_SERVER_USERS, value_name = "FILE")]
    users: PathBuf,
}

pub fn run(ctx: &mut Ctx, args: ServerArgs) -> CliResult<u8> {
    match args.command {
        Some(ServerCommand::Passwd(a)) => passwd(ctx, a),
        None => serve(ctx, args),
    }
}

fn serve(ctx: &mut Ctx, args: ServerArgs) -> CliResult<u8> {
    let ServerArgs {
        command: _,
        backend_store_uri,
        artifacts_destination,
        host,
        port,
        auth_token,
        users,
        max_body,
        body_timeout,
        allowed_hosts,
        cors_allowed_origins,
    } = args;
    // A bad users file is refused before anything else happens (and before a store is made).
    let users = match users.filter(|p| !p.as_os_str().is_empty()) {
        Some(path) => Some(Arc::new(Users::load(&path).map_err(usage_error)?)),
        None => None,
    };
    let token = auth_token.filter(|t| !t.is_empty());
    if let Some(store) = backend_store_uri.filter(|s| !s.as_os_str().is_empty()) {
        ctx.use_store(store);
    }
    // A database is opened (and migrated) now, so a wrong URI or password stops the server
    // before it listens; a store directory is found or made.
    let (source, shown) = match ctx.database_uri() {
        Some(uri) => {
            let cwd = ctx.cwd()?;
            let (store, artifact_root) =
                open_database_with(&uri, &cwd, artifacts_destination.as_deref())?;
            let location = store.location().to_string();
            drop(store);
            let source = Source::Database {
                uri,
                artifact_root,
                truncate: truncates(),
            };
            (source, location)
        }
        None if artifacts_destination.is_some() => {
            return Err(usage_error(
                "--artifacts-destination takes effect with a database store (--backend-store-uri postgresql://… or mysql://…): a store directory keeps its artifacts in its own `artifacts/` folder",
            ));
        }
        None => {
            let root = ctx
                .local_store_for_write("`mlf server`")?
                .root()
                .to_path_buf();
            let shown = root.display().to_string();
            (Source::Dir(root), shown)
        }
    };
    if !host.is_loopback() && token.is_none() && users.is_none() {
        ctx.ui.warn(&format!("listening on {host} without --auth-token or --users: anyone who can reach this machine can read and write the store"));
    }
    let settings = Settings {
        store: source,
        token,
        users,
        max_body,
        body_timeout: std::time::Duration::from_secs(body_timeout),
        allowed: crate::server::Allowed {
            hosts: allowed_hosts,
            origins: cors_allowed_origins,
        },
    };
    let ui = &ctx.ui;
    run_foreground(settings, SocketAddr::new(host, port), &|addr| {
        ui.status(
            "Serving",
            &format!("`{shown}` on http://{addr} (stop with Ctrl-C)"),
        );
    })
    .map_err(failure)?;
    ctx.ui.status("Stopped", "the server");
    Ok(0)
}

fn passwd(ctx: &mut Ctx, args: PasswdArgs) -> CliResult<u8> {
    let PasswdArgs { user, users: path } = args;
    users::check_name(&user).map_err(|why| {
        usage_error(format!(
            "{why}: a user name may not be empty, hold spaces or `:`, or start with `#`"
        ))
    })?;
    let password = read_password(&user)?;
    if password.is_empty() {
        return Err(usage_error("an empty password is refused"));
    }
    let change = users::set_password(&path, &user, &password).map_err(|e| match e {
        ChangeError::Invalid(m) => usage_error(m),
        ChangeError::Io(m) => failure(m),
    })?;
    let file = path.display();
    match change {
        Change::Added => ctx
            .ui
            .status("Added", &format!("user `{user}` to `{file}`")),
        Change::Replaced => ctx
            .ui
            .status("Changed", &format!("the password of `{user}` in `{file}`")),
    }
    Ok(0)
}

/// The password: the first line of stdin when it is not a terminal, else typed twice without
/// echo.
fn read_password(user: &str) -> CliResult<String> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        let mut line = String::new();
        stdin
            .lock()
            .read_line(&mut line)
            .map_err(|e| usage_error(format!("cannot read the password from stdin: {e}")))?;
        return Ok(strip_newline(line));
    }
    let first = prompt_hidden(&format!("Password for `{user}`: "))?;
    if first.is_empty() {
        return Ok(first);
    }
    let second = prompt_hidden("Again: ")?;
    if first != second {
        return Err(usage_error("the passwords differ; nothing was changed"));
    }
    Ok(first)
}

fn strip_newline(mut line: String) -> String {
    if line.ends_with('\n') {
        line.pop();
        if line.ends_with('\r') {
            line.pop();
        }
    }
    line
}

/// Prints `prompt` on stderr and reads a line from the terminal with echo off.
fn prompt_hidden(prompt: &str) -> CliResult<String> {
    let term_err =
        |e: std::io::Error| -> CliError { failure(format!("cannot read the password: {e}")) };
    let mut err = std::io::stderr();
    let _ = err.write_all(prompt.as_bytes()).and_then(|_| err.flush());
    let guard = crate::sys::echo_off().map_err(term_err)?;
    let mut line = String::new();
    let read = std::io::stdin().lock().read_line(&mut line);
    drop(guard);
    match read {
        Ok(0) => {
            let _ = err.write_all(b"\n");
            Err(usage_error("no password was given; nothing was changed"))
        }
        Ok(_) => Ok(strip_newline(line)),
        Err(e) => Err(term_err(e)),
    }
}
