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
