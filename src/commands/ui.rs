//! `mlf ui`: the web UI (and the REST API beside it) over this store, as `mlflow ui` does.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use crate::commands::context::Ctx;
use crate::env;
use crate::error::{CliResult, failure, usage_error};
use crate::server::users::Users;
use crate::server::{Settings, run_foreground};

/// Browse, chart and compare runs, and run the registry, in a browser
///
/// Serves the web UI at `http://HOST:PORT/` and MLflow's REST API beside it, over this store
/// (the same server as `mlf server`, which serves the UI too). MLflow's links
/// (`/#/experiments/ID/runs/RUN`, `/#/models/NAME/versions/N`) open the matching page.
/// Listens on loopback unless told otherwise; `--open` opens the page in the browser.
#[derive(Debug, clap::Args)]
pub struct UiArgs {
    /// Address to listen on
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Port (0 picks a free one)
    #[arg(short, long, default_value_t = 5000)]
    port: u16,
    /// Open the UI in the default browser once it listens
    #[arg(long)]
    open: bool,
    /// Require `Authorization: Bearer TOKEN` (or HTTP Basic with the token as password)
    #[arg(long, env = env::MLF_SERVER_TOKEN, value_name = "TOKEN", hide_env_values = true)]
    auth_token: Option<String>,
    /// Require HTTP Basic `user:password` of a user in FILE (made with `mlf server passwd`)
    #[arg(long, env = env::MLF_SERVER_USERS, value_name = "FILE")]
    users: Option<PathBuf>,
}

pub fn run(ctx: &mut Ctx, args: UiArgs) -> CliResult<u8> {
    let UiArgs {
        host,
        port,
        open,
        auth_token,
        users,
    } = args;
    let users = match users.filter(|p| !p.as_os_str().is_empty()) {
        Some(path) => Some(Arc::new(Users::load(&path).map_err(usage_error)?)),
        None => None,
    };
    let token = auth_token.filter(|t| !t.is_empty());
    let store_root = ctx.local_store_for_write("`mlf ui`")?.root().to_path_buf();
    if !host.is_loopback() && token.is_none() && users.is_none() {
        ctx.ui.warn(&format!("listening on {host} without --auth-token or --users: anyone who can reach this machine can read and write the store"));
    }
    let settings = Settings {
        store: crate::server::Source::Dir(store_root.clone()),
        token,
        users,
        max_body: 512 * 1024 * 1024,
        body_timeout: std::time::Duration::from_secs(60),
        allowed: crate::server::Allowed::default(),
    };
    let ui = &ctx.ui;
    run_foreground(settings, SocketAddr::new(host, port), &|addr| {
        let url = format!("http://{addr}/");
        ui.status(
            "Serving",
            &format!(
                "the UI of `{}` at {url} (stop with Ctrl-C)",
                store_root.display()
            ),
        );
        if open && let Err(e) = open_browser(&url) {
            ui.warn(&format!("cannot open a browser ({e}): open {url} by hand"));
        }
    })
    .map_err(failure)?;
    ctx.ui.status("Stopped", "the UI");
    Ok(0)
}

/// Opens `url` with the desktop's opener (`open` on macOS, `xdg-open` elsewhere), without
/// waiting for it.
pub fn open_browser(url: &str) -> std::io::Result<()> {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    std::process::Command::new(opener)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map(|mut child| {
            // Reaped in the background so that it leaves no zombie behind.
            std::thread::spawn(move || child.wait());
        })
}
