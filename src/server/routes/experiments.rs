//! `experiments/*`: create, search, get, rename, delete and restore experiments, and their
//! tags.

use super::*;

/// Answers one call of this service.
pub(super) fn handle(store: &mut Store, method: &Method, endpoint: &str, p: P) -> ApiResult<Value> {
    let empty = json!({});
    match (method.as_str(), endpoint) {
        ("POST", "experiments/create") => {
            let name = req(&p, "name")?;
            if opt(&p, "artifact_location").is_some_and(|a| !a.is_empty()) {
                return Err(ApiError::invalid(
                    "artifact_location is chosen by the server: leave it out",
                ));
            }
            if p.get("tags").is_some_and(|t| !t.is_array() && !t.is_null()) {
                return Err(ApiError::invalid(format!(
                    "Invalid value {} for parameter 'tags' supplied: Hint: Value was not a list",
                    p["tags"]
                )));
            }
            let tags = kvs(&p, "tags")?;
            let mut seen = std::collections::BTreeSet::new();
            for t in &tags {
                experiment_tag_ok(&t.key, &t.value)?;
                if !seen.insert(t.key.as_str()) {
                    return Err(ApiError::invalid(format!(
                        "Duplicate tag keys have been submitted: ['{}']",
                        t.key
                    )));
                }
            }
            let exp = store.create_experiment(&name, None)?;
            for t in tags {
                store.set_experiment_tag(&exp.experiment_id, &t.key, Some(&t.value))?;
            }
            Ok(json!({ "experiment_id": exp.experiment_id }))
        }
        ("POST" | "GET", "experiments/search") => {
            let view = match opt(&p, "view_type").as_deref() {
                Some("DELETED_ONLY") | Some("2") => ViewType::DeletedOnly,
                Some("ALL") | Some("3") => ViewType::All,
                _ => ViewType::ActiveOnly,
            };
            let expr = match opt(&p, "filter").filter(|f| !f.trim().is_empty()) {
                Some(f) => parse_model_filter(&f)
                    .map_err(|e| ApiError::invalid(format!("Invalid filter: {e}")))?,
                None => None,
            };
            let mut exps = store.search_experiments(view, expr.as_ref())?;
            exps.sort_by(|a, b| {
                b.creation_time
                    .cmp(&a.creation_time)
                    .then(a.experiment_id.cmp(&b.experiment_id))
            });
            // No default: MLflow refuses a search that leaves max_results out (its client
            // always sends it).
            match int(&p, "max_results")? {
                Some(n) if n > 50_000 => {
                    return Err(ApiError::invalid(format!(
                        "Invalid value {n} for parameter 'max_results' supplied. It must be at most 50000"
                    )));
                }
                Some(n) if n >= 1 => {}
                n => {
                    return Err(ApiError::invalid(format!(
                        "Invalid value {} for parameter 'max_results' supplied. It must be a positive integer",
                        n.unwrap_or(0)
                    )));
                }
            }
            let (exps, next) = page(exps, &p, 1000, 50_000)?;
            let list: Vec<Value> = exps.iter().map(|e| experiment_json(store, e)).collect();
            Ok(with_token(json!({ "experiments": list }), next))
        }
        ("GET", "experiments/get") => {
            let id = req(&p, "experiment_id")?;
            if id.parse::<i64>().is_err() {
                return Err(ApiError::invalid(format!("Invalid experiment ID: '{id}'")));
            }
            let exp = store
                .find_experiment_by_id(&id)?
                .ok_or_else(|| ApiError::not_found(format!("No Experiment with id={id} exists")))?;
            Ok(json!({ "experiment": experiment_json(store, &exp) }))
        }
        ("GET", "experiments/get-by-name") => {
            let name = req(&p, "experiment_name")?;
            let exp = store.experiment_by_name(&name)?.ok_or_else(|| {
                ApiError::not_found(format!("Could not find experiment with name '{name}'"))
            })?;
            Ok(json!({ "experiment": experiment_json(store, &exp) }))
        }
        ("POST", "experiments/delete") => {
            store.delete_experiment(&req(&p, "experiment_id")?)?;
            Ok(empty)
        }
        ("POST", "experiments/restore") => {
            store.restore_experiment(&req(&p, "experiment_id")?)?;
            Ok(empty)
        }
        ("POST", "experiments/update") => {
            store.rename_experiment(&req(&p, "experiment_id")?, &req(&p, "new_name")?)?;
            Ok(empty)
        }
        ("POST", "experiments/set-experiment-tag") => {
            let (key, value) = (req(&p, "key")?, opt(&p, "value").unwrap_or_default());
            experiment_tag_ok(&key, &value)?;
            store.set_experiment_tag(&req(&p, "experiment_id")?, &key, Some(&value))?;
            Ok(empty)
        }
        ("POST" | "DELETE", "experiments/delete-experiment-tag") => {
            store.set_experiment_tag(&req(&p, "experiment_id")?, &req(&p, "key")?, None)?;
            Ok(empty)
        }
        _ => Err(not_found(method.as_str(), "/api/2.0/mlflow/", endpoint)),
    }
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
