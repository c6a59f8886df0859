//! Dynamic shell completion of run ids and names, experiment names, and metric, param and tag
//! keys, read from the store that the command line would use (a tracking server, asked with
//! short timeouts; `MLF_STORE`; else the nearest `.mlf`). The shells call `COMPLETE=<shell> mlf -- <words>`; the registration scripts in
//! `completions/` set that up.

use std::ffi::OsStr;
use std::path::PathBuf;

use clap_complete::engine::{ArgValueCompleter, CompletionCandidate};

use crate::env;
use crate::store::rest::RestStore;
use crate::store::{Backend, Store};
use crate::tracking::ViewType;

/// How many recent runs are offered.
const MAX_RUNS: usize = 500;

/// The store the command line would use, as `Ctx` picks it; a server is asked impatiently.
fn open_store() -> Option<Box<dyn Backend>> {
    let named = env::var(env::MLF_STORE);
    if let Some(uri) = crate::commands::context::tracking_uri(named.is_some()).ok()? {
        let client = crate::remote::Client::impatient(&uri).ok()?;
        let state = std::env::temp_dir();
        return Some(Box::new(RestStore::new(client, state, true)));
    }
    let root = match named {
        Some(dir) => Store::named(&PathBuf::from(dir)),
        None => Store::discover(&std::env::current_dir().ok()?)?,
    };
    Some(Box::new(Store::open(&root).ok()?))
}

fn matching(
    current: &OsStr,
    items: impl IntoIterator<Item = (String, Option<String>)>,
) -> Vec<CompletionCandidate> {
    let current = current.to_string_lossy();
    items
        .into_iter()
        .filter(|(value, _)| value.starts_with(current.as_ref()))
        .map(|(value, help)| {
            let c = CompletionCandidate::new(value);
            match help {
                Some(h) => c.help(Some(h.into())),
                None => c,
            }
        })
        .collect()
}

fn runs(current: &OsStr) -> Vec<CompletionCandidate> {
    let Some(store) = open_store() else {
        return Vec::new();
    };
    let Ok(recent) = store.recent_runs(MAX_RUNS) else {
        return Vec::new();
    };
    let mut items = Vec::new();
    for (id, name) in &recent {
        items.push((name.clone(), Some(format!("run {}", &id[..8]))));
    }
    for (id, name) in recent {
        items.push((id, Some(name)));
    }
    matching(current, items)
}

fn experiments(current: &OsStr) -> Vec<CompletionCandidate> {
    let Some(store) = open_store() else {
        return Vec::new();
    };
    let Ok(exps) = store.list_experiments(ViewType::ActiveOnly) else {
        return Vec::new();
    };
    matching(
        current,
        exps.into_iter()
            .map(|e| (e.name, Some(format!("experiment {}", e.experiment_id)))),
    )
}

fn keys_of(kind: &str, current: &OsStr) -> Vec<CompletionCandidate> {
    let Some(store) = open_store() else {
        return Vec::new();
    };
    matching(
        current,
        store
            .keys_in_use(kind)
            .unwrap_or_default()
            .into_iter()
            .map(|k| (k, None)),
    )
}

fn metric_keys(current: &OsStr) -> Vec<CompletionCandidate> {
    keys_of("metrics", current)
}

fn param_keys(current: &OsStr) -> Vec<CompletionCandidate> {
    keys_of("params", current)
}

fn tag_keys(current: &OsStr) -> Vec<CompletionCandidate> {
    keys_of("tags", current)
}

/// `metrics.k`, `params.k`, `tags.k`, for `--order-by`, `--columns` and filters; after a comma,
/// completes the last item.
fn qualified_keys(current: &OsStr) -> Vec<CompletionCandidate> {
    let Some(store) = open_store() else {
        return Vec::new();
    };
    let text = current.to_string_lossy();
    let (head, _) = text
        .rsplit_once(',')
        .map(|(h, t)| (format!("{h},"), t))
        .unwrap_or((String::new(), &text));
    let mut items = Vec::new();
    for prefix in ["metrics", "params", "tags"] {
        for k in store.keys_in_use(prefix).unwrap_or_default() {
            let k = if k
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
            {
                k
            } else {
                format!("`{k}`")
            };
            items.push((format!("{head}{prefix}.{k}"), None));
        }
    }
    matching(current, items)
}

pub fn run_completer() -> ArgValueCompleter {
    ArgValueCompleter::new(runs)
}

pub fn experiment_completer() -> ArgValueCompleter {
    ArgValueCompleter::new(experiments)
}

pub fn metric_completer() -> ArgValueCompleter {
    ArgValueCompleter::new(metric_keys)
}

pub fn param_completer() -> ArgValueCompleter {
    ArgValueCompleter::new(param_keys)
}

pub fn tag_completer() -> ArgValueCompleter {
    ArgValueCompleter::new(tag_keys)
}

pub fn key_completer() -> ArgValueCompleter {
    ArgValueCompleter::new(qualified_keys)
}

/// Help topics, then the commands, for `mlf help`.
fn help_words(current: &OsStr) -> Vec<CompletionCandidate> {
    let mut items: Vec<(String, Option<String>)> = crate::commands::help::TOPICS
        .iter()
        .map(|(n, h)| (n.to_string(), Some(h.to_string())))
        .collect();
    for sub in crate::cli::command().get_subcommands() {
        if !sub.is_hide_set() && sub.get_name() != "help" {
            let about = sub.get_about().map(|a| a.to_string());
            items.push((sub.get_name().to_string(), about));
        }
    }
    matching(current, items)
}

pub fn help_completer() -> ArgValueCompleter {
    ArgValueCompleter::new(help_words)
}

fn model_names(current: &OsStr) -> Vec<CompletionCandidate> {
    let Some(store) = open_store() else {
        return Vec::new();
    };
    let models = store.list_models(None).unwrap_or_default();
    matching(
        current,
        models.into_iter().map(|m| {
            let help = Some(m.description).filter(|d| !d.is_empty());
            (m.name, help)
        }),
    )
}

/// The registry's stages, as `--to` takes them.
fn stages(current: &OsStr) -> Vec<CompletionCandidate> {
    let lower = current.to_string_lossy().to_ascii_lowercase();
    ["None", "Staging", "Production", "Archived"]
        .iter()
        .filter(|s| s.to_ascii_lowercase().starts_with(&lower))
        .map(|s| CompletionCandidate::new(*s))
        .collect()
}

/// Files and directories below the current directory, as the shell would offer them.
fn paths(current: &OsStr) -> Vec<CompletionCandidate> {
    let cwd = std::env::current_dir().ok();
    let mut completer = clap_complete::engine::PathCompleter::any();
    if let Some(cwd) = cwd {
        completer = completer.current_dir(cwd);
    }
    clap_complete::engine::ValueCompleter::complete(&completer, current)
}

/// A model URI: `models:/NAME` from the registry, `runs:/RUN/` from the recent runs, and paths.
fn model_uris(current: &OsStr) -> Vec<CompletionCandidate> {
    let text = current.to_string_lossy();
    if let Some(rest) = text.strip_prefix("models:/") {
        return model_names(OsStr::new(rest))
            .into_iter()
            .map(|c| {
                CompletionCandidate::new(format!("models:/{}", c.get_value().to_string_lossy()))
            })
            .collect();
    }
    if let Some(rest) = text.strip_prefix("runs:/") {
        let Some(store) = open_store() else {
            return Vec::new();
        };
        let recent = store.recent_runs(MAX_RUNS).unwrap_or_default();
        return matching(
            OsStr::new(rest),
            recent
                .into_iter()
                .map(|(id, name)| (format!("{id}/model"), Some(name))),
        )
        .into_iter()
        .map(|c| {
            let help = c.get_help().cloned();
            CompletionCandidate::new(format!("runs:/{}", c.get_value().to_string_lossy()))
                .help(help)
        })
        .collect();
    }
    let mut out = paths(current);
    for scheme in ["models:/", "runs:/"] {
        if scheme.starts_with(text.as_ref()) && !text.is_empty() {
            out.push(CompletionCandidate::new(scheme));
        }
    }
    out
}

/// The value given to `--run`/`-r` on the command line being completed, if any.
fn run_on_line() -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.windows(2)
        .rev()
        .find(|w| w[0] == "--run" || w[0] == "-r")
        .map(|w| w[1].clone())
        .or_else(|| {
            args.iter()
                .rev()
                .find_map(|a| a.strip_prefix("--run=").map(str::to_string))
        })
}

/// Artifact paths of the run named by `--run` on the line, else of the latest run.
fn artifact_paths(current: &OsStr) -> Vec<CompletionCandidate> {
    let Some(store) = open_store() else {
        return Vec::new();
    };
    let spec = run_on_line()
        .or_else(|| env::var(env::MLF_RUN_ID))
        .unwrap_or_else(|| "@".to_string());
    let Ok(id) = crate::commands::runs::position::resolve(store.as_ref(), Some(&spec), None) else {
        return Vec::new();
    };
    let Ok(run) = store.run(&id) else {
        return Vec::new();
    };
    let Ok(repo) = store.artifacts(&run) else {
        return Vec::new();
    };
    let files = repo
        .list(std::path::Path::new(""), true)
        .unwrap_or_default();
    matching(
        current,
        files.into_iter().map(|f| {
            let path = if f.is_dir {
                format!("{}/", f.path)
            } else {
                f.path
            };
            (path, None)
        }),
    )
}

/// The command of `mlf run -- CMD ARGS`: a program on PATH (or a path) for the first word,
/// files for the others.
fn command_words(current: &OsStr) -> Vec<CompletionCandidate> {
    let args: Vec<String> = std::env::args().collect();
    // `mlf -- mlf run [OPTIONS] -- CMD …`: the words after the second `--`.
    let after = args
        .iter()
        .skip(2)
        .position(|a| a == "--")
        .map(|i| args.len() - (i + 3));
    let text = current.to_string_lossy();
    let first = after.is_none_or(|n| n <= 1);
    if !first || text.contains('/') {
        return paths(current);
    }
    let mut names = std::collections::BTreeSet::new();
    for dir in env::var(env::PATH).unwrap_or_default().split(':') {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with(text.as_ref()) && is_executable(&e.path()) {
                names.insert(name);
            }
        }
    }
    let mut out: Vec<CompletionCandidate> =
        names.into_iter().map(CompletionCandidate::new).collect();
    out.extend(paths(current));
    out
}

fn is_executable(path: &std::path::Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

pub fn model_completer() -> ArgValueCompleter {
    ArgValueCompleter::new(model_names)
}

pub fn stage_completer() -> ArgValueCompleter {
    ArgValueCompleter::new(stages)
}

pub fn model_uri_completer() -> ArgValueCompleter {
    ArgValueCompleter::new(model_uris)
}

pub fn artifact_completer() -> ArgValueCompleter {
    ArgValueCompleter::new(artifact_paths)
}

pub fn command_completer() -> ArgValueCompleter {
    ArgValueCompleter::new(command_words)
}
