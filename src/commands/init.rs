//! `mlf init [DIR]`: create `DIR/.mlf` (or the `--store` directory).

use std::path::PathBuf;

use crate::commands::context::{Ctx, exclude_store};
use crate::error::{CliResult, failure, usage_error};
use crate::source;
use crate::store::{DB_FILE, STORE_DIR, Store};

/// Create a store (`.mlf/`) in a directory
///
/// Creates `DIR/.mlf` holding `mlf.db` and `artifacts/`. Inside a git work tree, `.mlf/` is
/// added to `.git/info/exclude`. Running it again on an existing store changes nothing.
/// Inside a directory that a store above already serves (a subdirectory of a project), it
/// refuses: a nested store would hide that store's runs from every command run below it;
/// `--force` creates one deliberately.
#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// Directory to create the store in [default: the current directory]
    dir: Option<PathBuf>,
    /// Create the store even inside a directory that a store above already serves
    #[arg(long)]
    force: bool,
}

pub fn run(ctx: &mut Ctx, args: InitArgs) -> CliResult<u8> {
    let InitArgs { dir, force } = args;
    // A database store: opening it creates (or migrates) its tables.
    if dir.is_none() && ctx.database_uri().is_some() {
        let location = ctx.store_for_write()?.location();
        ctx.ui
            .status("Ready", &format!("database store at `{location}`"));
        ctx.ui.line(&location);
        return Ok(0);
    }
    let cwd = ctx.cwd()?;
    let root = match (&dir, ctx_store_flag(ctx)) {
        (Some(d), _) => cwd.join(d).join(STORE_DIR),
        (None, Some(flag)) => flag,
        (None, None) => cwd.join(STORE_DIR),
    };
    if let Some(parent) = root.parent() {
        if !parent.is_dir() {
            return Err(
                failure(format!("directory `{}` does not exist", parent.display()))
                    .hint("create it first, or run `mlf init` inside it"),
            );
        }
    }
    let existed = root.join(DB_FILE).is_file();
    if !existed && !force && ctx.store_flag().is_none() {
        let above = root
            .parent()
            .and_then(|p| p.parent())
            .and_then(Store::discover);
        if let Some(above) = above {
            let here = root.parent().unwrap_or(&root).display().to_string();
            return Err(usage_error(format!(
                "`{here}` is already served by the store `{}`: a new store here would hide its runs from every command below `{here}`",
                above.display()
            ))
            .hint(format!(
                "use that store (any mlf command below it finds it), or pass `--force` to create a nested store deliberately: `mlf init --force{}`",
                dir.as_ref().map(|d| format!(" {}", d.display())).unwrap_or_default()
            )));
        }
    }
    let store = Store::create(&root)?;
    let shown = store.root().display().to_string();
    if existed {
        ctx.ui
            .status("Found", &format!("existing store at `{shown}`"));
    } else {
        ctx.ui.status("Created", &format!("store at `{shown}`"));
    }
    if let Some((work_tree, git_dir)) = root.parent().and_then(source::work_tree) {
        if store
            .root()
            .starts_with(std::fs::canonicalize(&work_tree).unwrap_or(work_tree))
        {
            exclude_store(&git_dir, &ctx.ui);
        }
    }
    ctx.ui.line(&shown);
    Ok(0)
}

fn ctx_store_flag(ctx: &Ctx) -> Option<PathBuf> {
    ctx.store_flag().cloned()
}
