//! `path` parameters given as remote URIs: downloaded before the run, as `mlflow run` does,
//! each into a fresh `param_N` directory; the command gets the local path.

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
            if !(value.starts_with("runs:") || value.starts_with("models:")) {
                return Err(usage_error(format!(
                    "parameter `{name}` is `{value}`: mlf downloads runs:/ and models:/ URIs for path parameters; copy this one to a local file and pass its path"
                )));
            }
            let store = ctx.store()?;
            let source = crate::models::resolve_uri(Some(&*store), value, &cwd)?;
            let base = dir.get_or_insert_with(|| {
                crate::project::fetch::cache_dir()
                    .join("params")
                    .join(crate::tracking::ids::new_run_id())
            });
            let target = base.join(format!("param_{position}"));
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
