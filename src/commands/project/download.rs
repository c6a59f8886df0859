//! `path` parameters given as remote URIs: downloaded before the run, as `mlflow run` does,
//! each into a fresh `param_N` directory; the command gets the local path. `runs:/` and
//! `models:/` come from the store; `mlflow-artifacts:` from a tracking server's artifact proxy;
//! `s3://` from the bucket.

use std::path::{Path, PathBuf};

use crate::commands::context::Ctx;
use crate::error::{CliResult, usage_error};
use crate::project::{EntryPoint, ParamType, Resolved, local_path};

/// Replaces every remote URI given to a `path` parameter by the path of a local copy.
pub fn remote_paths(ctx: &mut Ctx, ep: &EntryPoint, resolved: &mut [Resolved]) -> CliResult<()> {
    let cwd = ctx.cwd()?;
    let mut dir: Option<PathBuf> = None;
    for point in resolved.iter_mut() {
        for (position, (name, value)) in point.declared.iter_mut().enumerate() {
            let is_path = ep
                .params
                .iter()
                .any(|p| p.name == *name && p.kind == ParamType::Path);
            if !is_path || local_path(value).is_some() {
                continue;
            }
            let proxied = value.starts_with("mlflow-artifacts:");
            let bucket = value.starts_with("s3://") || value.starts_with("s3a://");
            if !(value.starts_with("runs:") || value.starts_with("models:") || proxied || bucket) {
                return Err(usage_error(format!(
                    "parameter `{name}` is `{value}`: mlf downloads runs:/, models:/, s3:// and mlflow-artifacts: URIs for path parameters; copy this one to a local file and pass its path"
                )));
            }
            let base = dir.get_or_insert_with(|| {
                crate::project::fetch::cache_dir()
                    .join("params")
                    .join(crate::tracking::ids::new_run_id())
            });
            let target = base.join(format!("param_{position}"));
            if bucket {
                let copy = crate::artifacts::s3::download(value, &target)
                    .map_err(|e| usage_error(format!("cannot download parameter `{name}`: {e}")))?;
                *value = copy.display().to_string();
                continue;
            }
            if proxied {
                let (server, path) = proxy_of(value)?;
                let copy = download(&server, &path, &target).map_err(|e| {
                    usage_error(format!(
                        "cannot download `{value}` for parameter `{name}` from {server}: {e}"
                    ))
                })?;
                *value = copy.display().to_string();
                continue;
            }
            let store = ctx.store()?;
            let source = crate::models::resolve_uri(Some(&*store), value, &cwd)?;
            *value = copy_into(&source, &target)
                .map_err(|e| {
                    usage_error(format!(
                        "cannot download `{value}` for parameter `{name}` to `{}`: {e}",
                        target.display()
                    ))
                })?
                .display()
                .to_string();
        }
    }
    Ok(())
}

/// Copies a file or directory into `dir` under its own name; the copy's path.
fn copy_into(source: &Path, dir: &Path) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let name = source.file_name().unwrap_or_default();
    let dest = dir.join(name);
    if source.is_dir() {
        crate::project::envs::copy_tree(source, &dest)?;
    } else {
        std::fs::copy(source, &dest)?;
    }
    Ok(dest)
}

/// The tracking server and the artifact path of an `mlflow-artifacts:` URI, as MLflow reads it:
/// `mlflow-artifacts://HOST:PORT/PATH` names the server; `mlflow-artifacts:/PATH` is on the
/// server of `MLFLOW_TRACKING_URI`.
fn proxy_of(uri: &str) -> CliResult<(String, String)> {
    let rest = uri.strip_prefix("mlflow-artifacts:").unwrap_or(uri);
    let tracking = crate::env::var(crate::env::MLF_TRACKING_URI)
        .or_else(|| crate::env::var(crate::env::MLFLOW_TRACKING_URI))
        .filter(|t| crate::remote::is_remote_uri(t));
    if let Some(hosted) = rest.strip_prefix("//") {
        let (authority, path) = hosted.split_once('/').unwrap_or((hosted, ""));
        let scheme = match &tracking {
            Some(t) if t.starts_with("https://") => "https",
            _ => "http",
        };
        return Ok((
            format!("{scheme}://{authority}"),
            path.trim_matches('/').to_string(),
        ));
    }
    let Some(server) = tracking else {
        return Err(usage_error(format!(
            "`{uri}` is on a tracking server, and no server is set"
        ))
        .hint("set MLFLOW_TRACKING_URI=http://HOST:PORT, or write the URI as mlflow-artifacts://HOST:PORT/PATH"));
    };
    Ok((server, rest.trim_matches('/').to_string()))
}

/// Downloads the artifact file or directory at `path` on the proxy of `server` into `dir`
/// under its own name; the copy's path.
fn download(server: &str, path: &str, dir: &Path) -> Result<PathBuf, String> {
    let client = crate::remote::Client::new(server).map_err(|e| e.to_string())?;
    let (parent, name) = path.rsplit_once('/').unwrap_or(("", path));
    let repo = crate::artifacts::HttpRepo::new(client, parent.to_string());
    let items = repo
        .plan_get(Path::new(name), dir)
        .map_err(|e| e.to_string())?;
    for item in &items {
        repo.get(item, &mut |_| {}).map_err(|e| e.to_string())?;
    }
    // Named as `plan_get` names it: the root of the proxy is `artifacts`.
    Ok(dir.join(if name.is_empty() { "artifacts" } else { name }))
}
