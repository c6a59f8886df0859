//! Runs by position: `@` is the latest run, `@~N` the Nth before it (newest first by start
//! time, within an experiment when one is given), and "the run before" a run for `runs diff`.

use crate::commands::suggest;
use crate::error::{CliError, CliResult, usage_error};
use crate::store::{self, Backend, RunQuery};
use crate::tracking::{Run, ViewType};

/// How many runs back `spec` counts (`@` → 0, `@~` → 1, `@~3` → 3), or `None` when it is no
/// position. `HEAD` (and `HEAD~N`, as git has it) and `last` are synonyms of `@`.
pub fn parse(spec: &str) -> Option<usize> {
    let spec = spec.trim();
    if spec == "last" {
        return Some(0);
    }
    let rest = spec
        .strip_prefix('@')
        .or_else(|| spec.strip_prefix("HEAD"))?;
    if rest.is_empty() {
        return Some(0);
    }
    let n = rest.strip_prefix('~')?;
    if n.is_empty() {
        return Some(1);
    }
    n.parse().ok()
}

/// The experiment id `-x` names, if given.
pub fn experiment_id(store: &dyn Backend, experiment: Option<&str>) -> CliResult<Option<String>> {
    match experiment {
        Some(spec) => Ok(Some(resolve_experiment(store, spec)?)),
        None => Ok(None),
    }
}

/// An experiment by name or id; an unknown one is refused with the closest name suggested.
pub fn resolve_experiment(store: &dyn Backend, spec: &str) -> CliResult<String> {
    match store.resolve_experiment(spec) {
        Ok(exp) => Ok(exp.experiment_id),
        Err(e @ store::Error::NotFound(_)) => {
            let names = store
                .list_experiments(ViewType::ActiveOnly)
                .unwrap_or_default();
            let near = suggest::closest(spec, names.iter().map(|x| x.name.as_str()));
            let err = CliError::from(e);
            Err(match near {
                Some(n) => err.hint(format!("did you mean `{n}`?")),
                None => err,
            })
        }
        Err(e) => Err(e.into()),
    }
}

/// A run lookup that failed, with what may help: the 4 characters an id prefix needs, or the
/// closest run name.
fn unknown_run(
    store: &dyn Backend,
    spec: &str,
    experiment: Option<&str>,
    e: store::Error,
) -> CliError {
    let missing = matches!(e, store::Error::NotFound(_));
    let mut err = CliError::from(e);
    if !missing {
        return err;
    }
    let spec = spec.trim();
    if (1..4).contains(&spec.len()) && spec.bytes().all(|b| b.is_ascii_hexdigit()) {
        err = err.hint("a run id prefix needs 4 or more characters");
    }
    if let Ok(runs) = newest(store, experiment, 1000, None) {
        if let Some(n) = suggest::closest(spec, runs.iter().map(|r| r.info.run_name.as_str())) {
            err = err.hint(format!("did you mean `{n}`?"));
        }
    }
    err
}

/// A run named on the command line: a position (`@`, `@~N`; none: the latest run), else a full
/// id, unique id prefix or unique name (names looked up within `experiment` when given).
pub fn resolve(
    store: &dyn Backend,
    spec: Option<&str>,
    experiment: Option<&str>,
) -> CliResult<String> {
    let exp = experiment_id(store, experiment)?;
    let back = match spec {
        None => 0,
        Some(s) => match parse(s) {
            Some(n) => n,
            None => {
                return store
                    .resolve_run(s, exp.as_deref())
                    .map_err(|e| unknown_run(store, s, exp.as_deref(), e));
            }
        },
    };
    let runs = newest(store, exp.as_deref(), back + 1, None)?;
    match runs.get(back) {
        Some(run) => Ok(run.info.run_id.clone()),
        None => {
            let place = match experiment {
                Some(x) => format!(" in experiment `{x}`"),
                None => String::new(),
            };
            let what = if back == 0 {
                "@".to_string()
            } else {
                format!("@~{back}")
            };
            Err(match runs.len() {
                0 => usage_error(format!("no runs yet{place}"))
                    .hint("start one with `mlf run -- CMD`"),
                n => usage_error(format!(
                    "`{what}` names no run: there {} only {n} run{}{place}",
                    if n == 1 { "is" } else { "are" },
                    if n == 1 { "" } else { "s" }
                )),
            })
        }
    }
}

/// The run that started before `run` (within `experiment` when given, else within `run`'s own
/// experiment), if any.
pub fn before(store: &dyn Backend, run: &Run, experiment: Option<&str>) -> CliResult<Option<Run>> {
    let exp = match experiment_id(store, experiment)? {
        Some(id) => id,
        None => run.info.experiment_id.clone(),
    };
    let runs = newest(store, Some(&exp), 10, Some(run.info.start_time))?;
    Ok(runs
        .into_iter()
        .find(|r| r.info.run_id != run.info.run_id && r.info.start_time <= run.info.start_time))
}

/// Up to `count` active runs, newest first, started at or before `until` when given.
fn newest(
    store: &dyn Backend,
    experiment_id: Option<&str>,
    count: usize,
    until: Option<i64>,
) -> CliResult<Vec<Run>> {
    let filter = match until {
        Some(t) => crate::search::parse_filter(&format!("attributes.start_time <= {t}"), 0)
            .map_err(|e| usage_error(format!("invalid filter: {e}")))?,
        None => None,
    };
    let order_by = crate::search::parse_order_by(&["attributes.start_time DESC".to_string()])
        .map_err(|e| usage_error(format!("invalid order: {e}")))?;
    let query = RunQuery {
        experiment_ids: experiment_id
            .map(|e| vec![e.to_string()])
            .unwrap_or_default(),
        view: ViewType::ActiveOnly,
        filter,
        order_by,
        max_results: Some(count),
        page_token: None,
    };
    Ok(store.search_runs(&query)?.runs)
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn positions() {
        assert_eq!(parse("@"), Some(0));
        assert_eq!(parse("@~"), Some(1));
        assert_eq!(parse("@~2"), Some(2));
        assert_eq!(parse("@~x"), None);
        assert_eq!(parse("a@"), None);
        assert_eq!(parse("warmup"), None);
        assert_eq!(parse("HEAD"), Some(0));
        assert_eq!(parse("HEAD~2"), Some(2));
        assert_eq!(parse("last"), Some(0));
        assert_eq!(parse("HEADS"), None);
        assert_eq!(parse("lastly"), None);
    }
}
