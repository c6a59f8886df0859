//! `mlf server`: MLflow's REST API over this store.

use std::net::{IpAddr, SocketAddr};

use crate::context::Ctx;
use crate::env;
use crate::error::{CliResult, failure};
use crate::server::{Settings, run_foreground};

/// Serve MLflow's REST API over this store, so the `mlflow` client logs into it
///
/// Tracking, registry, logged-model and artifact-proxy endpoints (`/api/2.0/mlflow/…`,
/// `/api/2.0/mlflow-artifacts/…`). Point clients at it with
/// `MLFLOW_TRACKING_URI=http://127.0.0.1:5000`. Listens on loopback unless told otherwise.
#[derive(Debug, clap::Args)]
pub struct ServerArgs {
    /// Address to listen on
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Port (0 picks a free one)
    #[arg(short, long, default_value_t = 5000)]
    port: u16,
    /// Require `Authorization: Bearer TOKEN` (or HTTP Basic with the token as password) on
    /// every route
    #[arg(long, env = env::MLF_SERVER_TOKEN, value_name = "TOKEN", hide_env_values = true)]
    auth_token: Option<String>,
    /// Largest request body accepted, in bytes
    #[arg(long, default_value_t = 512 * 1024 * 1024, value_name = "BYTES")]
    max_body: usize,
}

pub fn run(ctx: &mut Ctx, args: ServerArgs) -> CliResult<u8> {
    let ServerArgs {
        host,
        port,
        auth_token,
        max_body,
    } = args;
    let store_root = ctx.store_for_write()?.root().to_path_buf();
    if !host.is_loopback() && auth_token.is_none() {
        ctx.ui.warn(&format!("listening on {host} without --auth-token: anyone who can reach this machine can read and write the store"));
    }
    let settings = Settings {
        store_root: store_root.clone(),
        token: auth_token.filter(|t| !t.is_empty()),
        max_body,
    };
    let ui = &ctx.ui;
    run_foreground(settings, SocketAddr::new(host, port), &|addr| {
        ui.status(
            "Serving",
            &format!(
                "`{}` on http://{addr} (stop with Ctrl-C)",
                store_root.display()
            ),
        );
    })
    .map_err(failure)?;
    ctx.ui.status("Stopped", "the server");
    Ok(0)
}
