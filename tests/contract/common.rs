//! What the cases share: making experiments, runs and versions, and asserting error kinds.

use std::collections::BTreeSet;
use std::fmt::Debug;
use std::path::Path;

use mlf::registry::ModelVersion;
use mlf::search::{parse_filter, parse_order_by};
use mlf::store::{Act, Backend, Error, LogBatch, NewRun, NewVersion, RunQuery};
use mlf::tracking::ids::now_ms;
use mlf::tracking::{KeyValue, Metric, Run, ViewType};

/// Who acts in the registry.
pub const ACTOR: &str = "tester";

pub fn act() -> Act<'static> {
    Act {
        actor: ACTOR,
        comment: None,
    }
}

pub fn kv(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.to_string(),
        value: value.to_string(),
    }
}

pub fn metric(key: &str, value: f64, timestamp: i64, step: i64) -> Metric {
    Metric {
        key: key.to_string(),
        value,
        timestamp,
        step,
    }
}

/// Whether the store is a client of a tracking server (rather than a store of its own, in a
/// directory or a database): the server then applies its own rules.
pub fn is_server(s: &dyn Backend) -> bool {
    let location = s.location();
    location.starts_with("http://") || location.starts_with("https://")
}

/// A new experiment's id.
pub fn experiment(s: &mut dyn Backend, name: &str) -> String {
    s.create_experiment(name, None)
        .unwrap_or_else(|e| panic!("create experiment `{name}`: {e}"))
        .experiment_id
}

/// A new RUNNING run named `name` in experiment `exp`.
pub fn run(s: &mut dyn Backend, exp: &str, name: &str) -> Run {
    s.create_run(NewRun {
        experiment_id: exp.to_string(),
        name: Some(name.to_string()),
        user: ACTOR.to_string(),
        ..Default::default()
    })
    .unwrap_or_else(|e| panic!("create run `{name}`: {e}"))
}

pub fn log(s: &mut dyn Backend, id: &str, batch: LogBatch) {
    s.log_batch(id, batch)
        .unwrap_or_else(|e| panic!("log to run {id}: {e}"));
}

/// A run in experiment `exp` with an MLmodel under `model/`, to register from (a server
/// registers only sources that exist).
pub fn run_with_model(s: &mut dyn Backend, exp: &str, name: &str) -> Run {
    let run = run(s, exp, name);
    s.artifacts(&run)
        .expect("the run's artifacts")
        .write_bytes(Path::new("model/MLmodel"), b"flavors: {}\n")
        .expect("write model/MLmodel");
    run
}

/// Registers `runs:/RUN/model` as a new version of `name` (the model is made when missing).
pub fn register(s: &mut dyn Backend, name: &str, run: &Run) -> ModelVersion {
    let source = format!("runs:/{}/model", run.info.run_id);
    let new = NewVersion {
        name: name.to_string(),
        source: source.clone(),
        run_id: run.info.run_id.clone(),
        storage_location: String::new(),
        description: String::new(),
        tags: Vec::new(),
    };
    s.create_version(&new, &act(), &mut |_| Ok(source.clone()))
        .unwrap_or_else(|e| panic!("register {source} as `{name}`: {e}"))
}

/// The version's number.
pub fn number(v: &ModelVersion) -> i64 {
    v.version.parse().expect("a numeric version")
}

/// The error of a call that must fail.
#[track_caller]
pub fn error<T: Debug>(result: Result<T, Error>) -> Error {
    match result {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => e,
    }
}

/// Asserts that `result` failed with the given kind (looking through a `Fixable` wrapper).
macro_rules! assert_err {
    ($result:expr, $kind:ident) => {{
        let e = $crate::common::error($result);
        assert!(
            matches!(e.plain(), mlf::store::Error::$kind(..)),
            "expected {}, got {:?}",
            stringify!($kind),
            e
        );
        e
    }};
}
pub(crate) use assert_err;

/// Keys and values, sorted by key (stores need not agree on the order of a run's data).
pub fn sorted(items: &[KeyValue]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = items
        .iter()
        .map(|kv| (kv.key.clone(), kv.value.clone()))
        .collect();
    out.sort();
    out
}

/// The value of `key` among `items`.
pub fn value<'a>(items: &'a [KeyValue], key: &str) -> Option<&'a str> {
    items
        .iter()
        .find(|kv| kv.key == key)
        .map(|kv| kv.value.as_str())
}

/// A run started at `start_time` (so that the default order, newest first, is known).
pub fn run_at(s: &mut dyn Backend, exp: &str, name: &str, start_time: i64) -> Run {
    s.create_run(NewRun {
        experiment_id: exp.to_string(),
        name: Some(name.to_string()),
        user: ACTOR.to_string(),
        start_time: Some(start_time),
        ..Default::default()
    })
    .unwrap_or_else(|e| panic!("create run `{name}`: {e}"))
}

pub fn query(exp: &str, filter: &str, order_by: &[&str]) -> RunQuery {
    let order: Vec<String> = order_by.iter().map(|o| o.to_string()).collect();
    RunQuery {
        experiment_ids: vec![exp.to_string()],
        filter: parse_filter(filter, now_ms()).expect("a valid filter"),
        order_by: parse_order_by(&order).expect("a valid order-by"),
        ..Default::default()
    }
}

/// The names of the runs a query finds, in its order.
pub fn found(s: &dyn Backend, q: &RunQuery) -> Vec<String> {
    s.search_runs(q)
        .unwrap_or_else(|e| panic!("search {q:?}: {e}"))
        .runs
        .into_iter()
        .map(|r| r.info.run_name)
        .collect()
}

pub fn in_view(s: &dyn Backend, exp: &str, view: ViewType) -> BTreeSet<String> {
    let q = RunQuery {
        experiment_ids: vec![exp.to_string()],
        view,
        ..Default::default()
    };
    found(s, &q).into_iter().collect()
}

pub fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| n.to_string()).collect()
}
