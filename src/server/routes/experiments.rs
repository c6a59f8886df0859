//! `experiments/*`: create, search, get, rename, delete and restore experiments, and their
//! tags.

use super::*;

/// The methods and paths this service answers (below the API prefixes) and their handlers.
pub(super) const ROUTES: &[Route] = &[
    (MethodFilter::POST, "experiments/create", create),
    (
        MethodFilter::POST.or(MethodFilter::GET),
        "experiments/search",
        search,
    ),
    (MethodFilter::GET, "experiments/get", get),
    (MethodFilter::GET, "experiments/get-by-name", get_by_name),
    (MethodFilter::POST, "experiments/delete", delete),
    (MethodFilter::POST, "experiments/restore", restore),
    (MethodFilter::POST, "experiments/update", update),
    (
        MethodFilter::POST,
        "experiments/set-experiment-tag",
        set_tag,
    ),
    (
        MethodFilter::POST.or(MethodFilter::DELETE),
        "experiments/delete-experiment-tag",
        delete_tag,
    ),
];

/// `POST experiments/create`.
fn create(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let p = c.p;
    let m: CreateExperiment = decode(p)?;
    if m.artifact_location.is_some_and(|a| !a.is_empty()) {
        return Err(ApiError::invalid(
            "artifact_location is chosen by the server: leave it out",
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    for t in &m.tags {
        experiment_tag_ok(&t.key, &t.value)?;
        if !seen.insert(t.key.as_str()) {
            return Err(ApiError::invalid(format!(
                "Duplicate tag keys have been submitted: ['{}']",
                t.key
            )));
        }
    }
    let exp = store.create_experiment(&m.name, None)?;
    for t in m.tags {
        store.set_experiment_tag(&exp.experiment_id, &t.key, Some(&t.value))?;
    }
    Ok(json!({ "experiment_id": exp.experiment_id }))
}

/// `POST | GET experiments/search`.
fn search(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let p = c.p;
    search_experiments(store, decode(p)?)
}

/// `GET experiments/get`.
fn get(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let p = c.p;
    let id = decode::<GetExperiment>(p)?.experiment_id;
    if id.parse::<i64>().is_err() {
        return Err(ApiError::invalid(format!("Invalid experiment ID: '{id}'")));
    }
    let exp = store.experiment(&id)?;
    Ok(json!({ "experiment": experiment_json(store, &exp) }))
}

/// `GET experiments/get-by-name`.
fn get_by_name(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let p = c.p;
    let name = decode::<GetExperimentByName>(p)?.experiment_name;
    let exp = store.experiment_by_name(&name)?.ok_or_else(|| {
        ApiError::not_found(format!("Could not find experiment with name '{name}'"))
    })?;
    Ok(json!({ "experiment": experiment_json(store, &exp) }))
}

/// `POST experiments/delete`.
fn delete(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let p = c.p;
    let empty = json!({});
    store.delete_experiment(&decode::<DeleteExperiment>(p)?.experiment_id)?;
    Ok(empty)
}

/// `POST experiments/restore`.
fn restore(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let p = c.p;
    let empty = json!({});
    store.restore_experiment(&decode::<RestoreExperiment>(p)?.experiment_id)?;
    Ok(empty)
}

/// `POST experiments/update`.
fn update(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let p = c.p;
    let empty = json!({});
    let m: UpdateExperiment = decode(p)?;
    store.rename_experiment(&m.experiment_id, &m.new_name)?;
    Ok(empty)
}

/// `POST experiments/set-experiment-tag`.
fn set_tag(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let p = c.p;
    let empty = json!({});
    let m: SetExperimentTag = decode(p)?;
    experiment_tag_ok(&m.key, &m.value)?;
    store.set_experiment_tag(&m.experiment_id, &m.key, Some(&m.value))?;
    Ok(empty)
}

/// `POST | DELETE experiments/delete-experiment-tag`.
fn delete_tag(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let p = c.p;
    let empty = json!({});
    let m: DeleteExperimentTag = decode(p)?;
    store.set_experiment_tag(&m.experiment_id, &m.key, None)?;
    Ok(empty)
}

/// `experiments/search`: newest first, a page at a time (keyset pages from the store).
fn search_experiments(store: &dyn ServerStore, m: SearchExperiments) -> ApiResult<Value> {
    let expr = match m.filter.filter(|f| !f.trim().is_empty()) {
        Some(f) => {
            parse_model_filter(&f).map_err(|e| ApiError::invalid(format!("Invalid filter: {e}")))?
        }
        None => None,
    };
    // No default: MLflow refuses a search that leaves max_results out (its client always
    // sends it).
    let limit = match m.max_results {
        Some(n) if n > 50_000 => {
            return Err(ApiError::invalid(format!(
                "Invalid value {n} for parameter 'max_results' supplied. It must be at most 50000"
            )));
        }
        Some(n) if n >= 1 => n as usize,
        n => {
            return Err(ApiError::invalid(format!(
                "Invalid value {} for parameter 'max_results' supplied. It must be a positive integer",
                n.unwrap_or(0)
            )));
        }
    };
    let order = crate::search::parse_experiment_order_by(&m.order_by)
        .map_err(ApiError::invalid)?
        .first()
        .copied();
    let token = m.page_token.as_deref().filter(|t| !t.is_empty());
    let (exps, next) = store.search_experiments(m.view_type, expr.as_ref(), order, limit, token)?;
    let list: Vec<Value> = exps.iter().map(|e| experiment_json(store, e)).collect();
    Ok(with_token(json!({ "experiments": list }), next))
}

/// The limits MLflow puts on an experiment tag: a valid key, a value of at most 20,000
/// characters.
fn experiment_tag_ok(key: &str, value: &str) -> ApiResult<()> {
    crate::tracking::validation::validate_key(crate::tracking::validation::KeyKind::Tag, key)
        .map_err(ApiError::invalid)?;
    if value.chars().count() > 20_000 {
        return Err(ApiError::invalid(
            "'value' exceeds the maximum length of 20000 characters",
        ));
    }
    Ok(())
}
