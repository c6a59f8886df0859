//! `mlf remote add/list/remove`: the other stores and servers this store pushes to and pulls
//! from, kept in the store's `config.toml` as `[remote.NAME] url = "…"`.

use std::collections::BTreeMap;
use std::path::Path;

use crate::commands::context::Ctx;
use crate::error::{CliError, CliResult, failure, usage_error};
use crate::ops::sync::{Place, SyncError};
use crate::ui::format::{OutputArgs, OutputFormat};

#[derive(Debug, clap::Subcommand)]
pub enum RemoteCommand {
    /// Add a remote: an `mlf server` URL, or another store to push to and pull from
    ///
    /// URL is `http(s)://HOST:PORT` (an `mlf server`; `MLFLOW_TRACKING_TOKEN` or
    /// `MLFLOW_TRACKING_USERNAME`/`PASSWORD` authenticate), or the path of a project directory
    /// holding a `.mlf` store, or of a store directory itself (kept as an absolute path). It is
    /// kept in the store's `config.toml` as `[remote.NAME] url = "…"`.
    Add(AddArgs),
    /// List the remotes (`-v`: with their URLs)
    #[command(alias = "ls")]
    List(ListArgs),
    /// Remove a remote (nothing is deleted on its side)
    #[command(alias = "rm")]
    Remove(RemoveArgs),
}

#[derive(Debug, clap::Args)]
pub struct AddArgs {
    /// The remote's name (letters, digits, `-`, `_`), such as `origin`
    name: String,
    /// `http(s)://HOST:PORT`, or the path of a project directory or store
    url: String,
}

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Show each remote's URL
    #[arg(short, long)]
    verbose: bool,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Debug, clap::Args)]
pub struct RemoveArgs {
    /// The remote's name
    name: String,
}

pub fn run(ctx: &mut Ctx, cmd: RemoteCommand) -> CliResult<u8> {
    match cmd {
        RemoteCommand::Add(args) => add(ctx, args),
        RemoteCommand::List(args) => list(ctx, args),
        RemoteCommand::Remove(args) => remove(ctx, args),
    }
}

/// The remotes in the settings of the store at `root`: name → URL.
pub fn remotes(root: &Path) -> CliResult<BTreeMap<String, String>> {
    let path = root.join("config.toml");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => return Err(failure(format!("cannot read `{}`: {e}", path.display()))),
    };
    let table: toml::Table = toml::from_str(&text).map_err(|e| {
        usage_error(format!(
            "invalid settings file `{}`: {}",
            path.display(),
            e.message()
        ))
    })?;
    let mut out = BTreeMap::new();
    if let Some(toml::Value::Table(remotes)) = table.get("remote") {
        for (name, value) in remotes {
            let url = value.get("url").and_then(|u| u.as_str()).ok_or_else(|| {
                usage_error(format!(
                    "remote `{name}` in `{}` has no `url`",
                    path.display()
                ))
                .hint(format!(
                    "give it one (`[remote.{name}]` then `url = \"http://host:5000\"`), or remove it with `mlf remote remove {name}`"
                ))
            })?;
            out.insert(name.clone(), url.to_string());
        }
    }
    Ok(out)
}

/// A remote's name: letters, digits, `-` and `_`.
fn check_name(name: &str) -> CliResult<()> {
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(usage_error(format!(
            "invalid remote name `{name}`: use letters, digits, `-` and `_`, such as `origin`"
        )));
    }
    Ok(())
}

/// The error of a place that is no remote, worded for the command line.
pub fn place_error(e: SyncError) -> CliError {
    match e {
        SyncError::NotAPlace(_) => usage_error(e.to_string()).hint(
            "give `http://HOST:PORT` (an `mlf server`), or the path of a directory holding `.mlf`",
        ),
        SyncError::NoStore(ref dir) => {
            let hint = format!("create one with `mlf init {dir}`");
            usage_error(e.to_string()).hint(hint)
        }
        SyncError::Setup(_) => usage_error(e.to_string()),
        SyncError::Store(crate::store::Error::Remote(m)) => failure(m)
            .hint("check that the server is running at that URL (`mlf remote list -v` shows the remotes' URLs)"),
        SyncError::Store(s) => s.into(),
        SyncError::Artifact { .. } => failure(e.to_string()),
    }
}

fn add(ctx: &mut Ctx, args: AddArgs) -> CliResult<u8> {
    let AddArgs { name, url } = args;
    check_name(&name)?;
    let cwd = ctx.cwd()?;
    let place = Place::parse(&url, &cwd).map_err(place_error)?;
    let store = ctx.local_store_for_write("`mlf remote add`")?;
    let root = store.root().to_path_buf();
    if let Place::Store(dir) = &place {
        let same = std::fs::canonicalize(dir).ok() == Some(root.clone());
        if same {
            return Err(usage_error(format!(
                "`{url}` is this store: a remote is another store or a server"
            )));
        }
    }
    let existing = remotes(&root)?;
    if let Some(old) = existing.get(&name) {
        return Err(
            usage_error(format!("remote `{name}` exists already ({old})")).hint(format!(
                "remove it first with `mlf remote remove {name}`, or choose another name"
            )),
        );
    }
    let stored = match &place {
        Place::Store(dir) => std::fs::canonicalize(dir)
            .unwrap_or_else(|_| dir.clone())
            .display()
            .to_string(),
        Place::Server(u) => u.clone(),
    };
    let path = root.join("config.toml");
    let mut text = std::fs::read_to_string(&path).unwrap_or_default();
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    if !text.is_empty() {
        text.push('\n');
    }
    text.push_str(&format!(
        "[remote.{name}]\nurl = {}\n",
        toml::Value::String(stored.clone())
    ));
    write_settings(&path, &text)?;
    ctx.ui
        .status("Added", &format!("remote `{name}` ({stored})"));
    Ok(0)
}

fn write_settings(path: &Path, text: &str) -> CliResult<()> {
    let tmp = path.with_extension("toml.tmp");
    std::fs::write(&tmp, text)
        .and_then(|_| std::fs::rename(&tmp, path))
        .map_err(|e| failure(format!("cannot write `{}`: {e}", path.display())))
}

fn list(ctx: &mut Ctx, args: ListArgs) -> CliResult<u8> {
    let ListArgs { verbose, output } = args;
    let root = ctx.local_store("`mlf remote list`")?.root().to_path_buf();
    let all = remotes(&root)?;
    match output.format {
        OutputFormat::Json => {
            let items: Vec<_> = all
                .iter()
                .map(|(name, url)| serde_json::json!({ "name": name, "url": url }))
                .collect();
            ctx.ui.json(&items)?;
        }
        _ => {
            for (name, url) in &all {
                if verbose {
                    ctx.ui.line(&format!("{name}\t{url}"));
                } else {
                    ctx.ui.line(name);
                }
            }
        }
    }
    Ok(0)
}

fn remove(ctx: &mut Ctx, args: RemoveArgs) -> CliResult<u8> {
    let RemoveArgs { name } = args;
    let root = ctx.local_store("`mlf remote remove`")?.root().to_path_buf();
    if !remotes(&root)?.contains_key(&name) {
        return Err(unknown(&name));
    }
    let path = root.join("config.toml");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| failure(format!("cannot read `{}`: {e}", path.display())))?;
    let header = |line: &str| {
        let t = line.trim();
        t == format!("[remote.{name}]") || t == format!("[remote.\"{name}\"]")
    };
    let mut out: Vec<&str> = Vec::new();
    let mut skipping = false;
    for line in text.lines() {
        if header(line) {
            skipping = true;
            continue;
        }
        if skipping && line.trim_start().starts_with('[') {
            skipping = false;
        }
        if !skipping {
            out.push(line);
        }
    }
    while out.last().is_some_and(|l| l.trim().is_empty()) {
        out.pop();
    }
    let mut new_text = out.join("\n");
    if !new_text.is_empty() {
        new_text.push('\n');
    }
    if remotes_in(&new_text).contains_key(&name) {
        return Err(failure(format!(
            "cannot remove remote `{name}` from `{}`: it is not written as `[remote.{name}]`; edit the file",
            path.display()
        )));
    }
    write_settings(&path, &new_text)?;
    ctx.ui.status("Removed", &format!("remote `{name}`"));
    Ok(0)
}

fn remotes_in(text: &str) -> BTreeMap<String, toml::Value> {
    toml::from_str::<toml::Table>(text)
        .ok()
        .and_then(|t| t.get("remote").and_then(|r| r.as_table()).cloned())
        .map(|t| t.into_iter().collect())
        .unwrap_or_default()
}

/// The error for a remote name that is not in the settings.
pub fn unknown(name: &str) -> CliError {
    usage_error(format!("no remote named `{name}`")).hint(format!(
        "add it with `mlf remote add {name} URL`, or see them with `mlf remote list`"
    ))
}

/// The remote a push or pull goes to: the one named (or a URL or path given in its place),
/// else the only one, else `origin`.
pub fn resolve(root: &Path, cwd: &Path, given: Option<&str>) -> CliResult<(String, Place)> {
    let all = remotes(root)?;
    let name = match given {
        Some(name) if all.contains_key(name) => name.to_string(),
        Some(text) if text.contains('/') || text.contains("://") || text == "." => {
            let place = Place::parse(text, cwd).map_err(place_error)?;
            return Ok((text.to_string(), place));
        }
        Some(name) => return Err(unknown(name)),
        None if all.len() == 1 => all.keys().next().cloned().unwrap_or_default(),
        None if all.contains_key("origin") => "origin".to_string(),
        None if all.is_empty() => {
            return Err(usage_error("this store has no remote")
                .hint("add one with `mlf remote add origin URL`"));
        }
        None => {
            let names: Vec<&str> = all.keys().map(String::as_str).collect();
            return Err(usage_error(format!(
                "this store has several remotes and none is `origin`: name one of {}",
                names.join(", ")
            )));
        }
    };
    let url = &all[&name];
    let place = Place::parse(url, cwd).map_err(|e| {
        place_error(e).hint(format!(
            "fix the URL of remote `{name}` with `mlf remote remove {name}` and `mlf remote add {name} URL`"
        ))
    })?;
    Ok((name, place))
}
