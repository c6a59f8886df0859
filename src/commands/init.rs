//! `mlf init [DIR]`: create `DIR/.mlf` (or the `--store` directory).

use std::path::PathBuf;

use crate::commands::context::{Ctx, exclude_store};
use crate::error::{CliResult, failure};
use crate::source;
use crate::store::{DB_FILE, STORE_DIR, Store};

/// Create a store (`.mlf/`) in a directory
///
/// Creates `DIR/.mlf` holding `mlf.db` and `artifacts/`. Inside a git work tree, `.mlf/` is
/// added to `.git/info/exclude`. Running it again on an existing store changes nothing.
#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// Directory to create the store in [default: the current directory]
    dir: Option<PathBuf>,
}

pub fn run(ctx: &mut Ctx, args: InitArgs) -> CliResult<u8> {
    let InitArgs { dir } = args;
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
