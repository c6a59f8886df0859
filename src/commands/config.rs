//! Settings: the user's `~/.config/mlf/config.toml` (`$XDG_CONFIG_HOME/mlf/config.toml`) and
//! the store's `.mlf/config.toml`, each with `[defaults]` for commands and `[alias]` for
//! command aliases, as git and cargo have them. The store's settings win over the user's, and
//! flags (and the variables that stand for them) over both.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::env;
use crate::error::{CliError, CliResult, failure, usage_error};
use crate::store::Store;

/// The keys of `[defaults]`, for messages.
const DEFAULT_KEYS: &str = "experiment, capture-metrics, columns";

/// `[defaults]`: what commands do when their flags are not given.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Defaults {
    /// The experiment of new runs (`-x`).
    pub experiment: Option<String>,
    /// `mlf run --capture-metrics`.
    pub capture_metrics: Option<bool>,
    /// `runs list --columns`.
    pub columns: Option<Columns>,
}

/// Columns as a list or one comma-separated string.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Columns {
    One(String),
    Many(Vec<String>),
}

impl Columns {
    pub fn globs(&self) -> Vec<String> {
        match self {
            Columns::One(s) => s.split(',').map(|c| c.trim().to_string()).collect(),
            Columns::Many(v) => v.clone(),
        }
    }
}

/// An alias: a command line as one string (split on spaces) or as a list of words.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Alias {
    Line(String),
    Words(Vec<String>),
}

impl Alias {
    fn words(&self) -> Vec<String> {
        match self {
            Alias::Line(s) => s.split_whitespace().map(str::to_string).collect(),
            Alias::Words(w) => w.clone(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    defaults: Defaults,
    #[serde(default)]
    alias: BTreeMap<String, Alias>,
    /// The store's registry policy, read by `registry::Policy`.
    #[allow(dead_code)]
    registry: Option<toml::Table>,
    /// The store's remotes (`[remote.NAME] url = "…"`), read by `commands::remote`.
    #[allow(dead_code)]
    remote: Option<toml::Table>,
}

/// The settings in effect: the store's over the user's.
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub defaults: Defaults,
    pub alias: BTreeMap<String, Alias>,
}

/// The user's settings file: `$XDG_CONFIG_HOME/mlf/config.toml`, else
/// `~/.config/mlf/config.toml`.
pub fn user_path() -> Option<PathBuf> {
    let base = match env::var(env::XDG_CONFIG_HOME) {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env::var(env::HOME)?).join(".config"),
    };
    Some(base.join("mlf").join("config.toml"))
}

/// Reads the settings: the user's, then the store's at `store_root` (when there is one).
pub fn load(store_root: Option<&Path>) -> CliResult<Config> {
    let user = match user_path() {
        Some(p) => read(&p)?,
        None => File::default(),
    };
    let store = match store_root {
        Some(root) => read(&root.join("config.toml"))?,
        None => File::default(),
    };
    let mut alias = user.alias;
    alias.extend(store.alias);
    Ok(Config {
        defaults: Defaults {
            experiment: store.defaults.experiment.or(user.defaults.experiment),
            capture_metrics: store
                .defaults
                .capture_metrics
                .or(user.defaults.capture_metrics),
            columns: store.defaults.columns.or(user.defaults.columns),
        },
        alias,
    })
}

fn read(path: &Path) -> CliResult<File> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(File::default()),
        Err(e) => return Err(failure(format!("cannot read `{}`: {e}", path.display()))),
    };
    toml::from_str(&text).map_err(|e| invalid(path, &text, &e))
}

/// A one-line error naming the file, the key (from the line the parser stopped at) and the fix.
fn invalid(path: &Path, text: &str, e: &toml::de::Error) -> CliError {
    let at = e.span().map(|s| s.start).unwrap_or(0).min(text.len());
    let line_no = text[..at].matches('\n').count() + 1;
    let line = text.lines().nth(line_no - 1).unwrap_or("").trim();
    let key = line
        .split_once('=')
        .map(|(k, _)| k.trim().trim_matches('"').to_string())
        .filter(|k| !k.is_empty() && !k.starts_with('['));
    let what = match &key {
        Some(k) => format!("`{k}` (line {line_no})"),
        None => format!("line {line_no}"),
    };
    usage_error(format!(
        "invalid settings file `{}`: {what}: {}",
        path.display(),
        e.message()
    ))
    .hint(format!(
        "fix or remove it: [defaults] takes {DEFAULT_KEYS} (`experiment = \"mnist\"`, `capture-metrics = true`, `columns = [\"lr\", \"metrics.*\"]`), [alias] takes `NAME = \"COMMAND ARGS\"`; see `man mlf` (FILES)"
    ))
}

/// The store directory the command line names or finds from `cwd`, for reading its settings:
/// `--store DIR`/`MLF_STORE` (a directory), else the nearest `.mlf`.
pub fn store_dir(flag: Option<&Path>, cwd: &Path) -> Option<PathBuf> {
    match flag {
        Some(dir)
            if dir
                .to_str()
                .is_some_and(crate::store::database::is_database_uri) =>
        {
            None
        }
        Some(dir) => Some(Store::named(&cwd.join(dir))),
        None => Store::discover(cwd),
    }
}

/// Replaces an alias in the command line by what it stands for: the first word after the
/// global options, when it names no command of mlf's own (aliases never hide a command).
pub fn expand_aliases(
    args: Vec<OsString>,
    builtin: &dyn Fn(&str) -> bool,
) -> CliResult<Vec<OsString>> {
    let mut store_flag: Option<PathBuf> = env::var(env::MLF_STORE).map(PathBuf::from);
    let mut i = 1;
    while i < args.len() {
        let a = args[i].to_string_lossy();
        match a.as_ref() {
            "--store" | "--color" => {
                if a == "--store" {
                    store_flag = args.get(i + 1).map(PathBuf::from);
                }
                i += 2;
            }
            s if s.starts_with("--store=") => {
                store_flag = Some(PathBuf::from(&s["--store=".len()..]));
                i += 1;
            }
            s if s.starts_with('-') => i += 1,
            _ => break,
        }
    }
    let Some(word) = args.get(i).map(|w| w.to_string_lossy().into_owned()) else {
        return Ok(args);
    };
    if builtin(&word) {
        return Ok(args);
    }
    let cwd = std::env::current_dir().unwrap_or_default();
    let root = store_dir(store_flag.as_deref(), &cwd);
    let config = load(root.as_deref())?;
    let Some(alias) = config.alias.get(&word) else {
        return Ok(args);
    };
    let words = alias.words();
    if words.is_empty() {
        return Err(usage_error(format!("the alias `{word}` is empty")).hint(
            "give it a command under [alias] in your config.toml: `NAME = \"runs list -n 5\"`",
        ));
    }
    let mut out: Vec<OsString> = args[..i].to_vec();
    out.extend(words.into_iter().map(OsString::from));
    out.extend(args[i + 1..].iter().cloned());
    Ok(out)
}
