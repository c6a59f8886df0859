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
    let page = open.then_some("/");
    serve(ctx, SocketAddr::new(host, port), token, users, page)
}

/// Serves the UI and the API over this store until Ctrl-C; once it listens, opens `page` (a
/// path below the UI) in the browser when given.
fn serve(
    ctx: &mut Ctx,
    addr: SocketAddr,
    token: Option<String>,
    users: Option<Arc<Users>>,
    page: Option<&str>,
) -> CliResult<u8> {
    let store_root = ctx.local_store_for_write("`mlf ui`")?.root().to_path_buf();
    let host = addr.ip();
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
    run_foreground(settings, addr, &|addr| {
        let url = format!("http://{addr}/");
        ui.status(
            "Serving",
            &format!(
                "the UI of `{}` at {url} (stop with Ctrl-C)",
                store_root.display()
            ),
        );
        if let Some(page) = page {
            let link = format!("http://{addr}{page}");
            match open_browser(&link) {
                Ok(()) => ui.status("Opened", &link),
                Err(e) => ui.warn(&format!("cannot open a browser ({e}): open {link} by hand")),
            }
        }
    })
    .map_err(failure)?;
    ctx.ui.status("Stopped", "the UI");
    Ok(0)
}

/// `--web` on `mlf runs show` and `mlf registry show`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct WebArgs {
    /// Open the page in the web UI in a browser ($BROWSER, else xdg-open or open)
    #[arg(long)]
    pub web: bool,
    /// With --web: the web UI to open it in, `http://HOST:PORT` (default: the tracking server
    /// when the store is one, else a UI on a free port here, served until Ctrl-C)
    #[arg(long, value_name = "URL", env = env::MLF_UI_URL)]
    pub url: Option<String>,
}

/// A page of the UI: mlf's own path, and MLflow's hash route to the same page (what an
/// `--url` or a tracking server, mlf's or MLflow's, is given, as the mlflow client links).
pub struct WebPage {
    pub path: String,
    pub mlflow: String,
}

/// Opens `page` in the browser: in the UI at `--url` (or `MLF_UI_URL`), or the tracking
/// server's when the store is one (both get MLflow's hash route, so MLflow's UI takes it
/// too); else serves the UI over this store on a free loopback port, opens the page, and
/// serves until Ctrl-C.
pub fn open_page(ctx: &mut Ctx, page: WebPage, web: WebArgs) -> CliResult<u8> {
    let base = match web.url.filter(|u| !u.trim().is_empty()) {
        Some(url) => Some(checked_url(&url)?),
        None => ctx.tracking_uri()?,
    };
    let Some(base) = base else {
        let addr = SocketAddr::new(IpAddr::from([127, 0, 0, 1]), 0);
        return serve(ctx, addr, None, None, Some(&page.path));
    };
    let link = format!("{}{}", base.trim_end_matches('/'), page.mlflow);
    ctx.ui.out(&format!("{link}\n"));
    open_browser(&link).map_err(|e| {
        failure(format!("cannot open a browser: {e}"))
            .hint(format!("open {link} by hand, or name a browser in BROWSER"))
    })?;
    Ok(0)
}

fn checked_url(url: &str) -> CliResult<String> {
    let url = url.trim();
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"));
    match rest {
        Some(r) if !r.is_empty() && !r.starts_with('/') && !url.contains(char::is_whitespace) => {
            Ok(url.to_string())
        }
        _ => Err(usage_error(format!(
            "`{url}` is not a web UI address: give --url http://HOST:PORT (where `mlf ui` or `mlf server` listens)"
        ))),
    }
}

/// Opens `url` in a browser, without waiting for it: the first command of `$BROWSER` that
/// starts (`%s` stands for the address, which is appended when absent), else the desktop's
/// opener (`open` on macOS, `xdg-open` elsewhere).
pub fn open_browser(url: &str) -> std::io::Result<()> {
    let mut last = None;
    if let Some(list) = env::var(env::BROWSER) {
        for entry in list.split(':').map(str::trim).filter(|e| !e.is_empty()) {
            let mut words: Vec<String> = entry.split_whitespace().map(str::to_string).collect();
            if words.iter().any(|w| w.contains("%s")) {
                words = words.iter().map(|w| w.replace("%s", url)).collect();
            } else {
                words.push(url.to_string());
            }
            match launch(&words[0], &words[1..]) {
                Ok(()) => return Ok(()),
                Err(e) => last = Some(e),
            }
        }
    }
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    launch(opener, &[url.to_string()]).map_err(|e| last.unwrap_or(e))
}

fn launch(program: &str, args: &[String]) -> std::io::Result<()> {
    std::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map(|mut child| {
            // Reaped in the background so that it leaves no zombie behind.
            std::thread::spawn(move || child.wait());
        })
        .map_err(|e| std::io::Error::new(e.kind(), format!("{program}: {e}")))
}
