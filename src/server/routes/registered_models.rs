//! `registered-models/*`: create, rename, update, delete, get and search registered models,
//! their latest versions, tags and aliases.

use super::*;

/// Answers one call of this service; `actor` is who acts in the registry.
pub(super) fn handle(
    store: &mut Store,
    method: &Method,
    endpoint: &str,
    p: P,
    actor: Option<&str>,
) -> ApiResult<Value> {
    let p = &p;
    let who = acting(actor);
    let act = Act {
        actor: &who,
        comment: None,
    };
    match (method.as_str(), endpoint) {
        ("POST", "registered-models/create") => {
            let name = req(p, "name")?;
            if store.model(&name).is_ok() {
                return Err(ApiError {
                    status: 400,
                    code: "RESOURCE_ALREADY_EXISTS",
                    message: format!("Registered Model (name={name}) already exists."),
                });
            }
            let m = store.create_model(
                &name,
                &opt(p, "description").unwrap_or_default(),
                &kvs(p, "tags")?,
                &act,
            )?;
            Ok(json!({ "registered_model": model_json(store, &m) }))
        }
        ("POST", "registered-models/rename") => {
            let new = req(p, "new_name")?;
            store.rename_model(&req(p, "name")?, &new, &act)?;
            Ok(json!({ "registered_model": model_json(store, &store.model(&new)?) }))
        }
        ("PATCH", "registered-models/update") => {
            let name = req(p, "name")?;
            if let Some(d) = opt(p, "description") {
                store.describe(&name, None, &d, &act)?;
            }
            Ok(json!({ "registered_model": model_json(store, &store.model(&name)?) }))
        }
        ("DELETE", "registered-models/delete") => {
            crate::ops::registry::delete_model(store, &req(p, "name")?, &act)?;
            Ok(json!({}))
        }
        ("GET", "registered-models/get") => {
            let name = req(p, "name")?;
            let m = store.model(&name).map_err(|_| {
                ApiError::not_found(format!("Registered Model with name={name} not found"))
            })?;
            Ok(json!({ "registered_model": model_json(store, &m) }))
        }
        ("GET" | "POST", "registered-models/search") => {
            let filter = match opt(p, "filter").filter(|f| !f.trim().is_empty()) {
                Some(f) => parse_model_filter(&f)
                    .map_err(|e| ApiError::invalid(format!("Invalid filter: {e}")))?,
                None => None,
            };
            let models = store.list_models(filter.as_ref())?;
            let (models, next) = page(models, p, 100, 1000)?;
            let list: Vec<Value> = models.iter().map(|m| model_json(store, m)).collect();
            Ok(with_token(json!({ "registered_models": list }), next))
        }
        ("GET" | "POST", "registered-models/get-latest-versions") => {
            let name = req(p, "name")?;
            let m = store.model(&name)?;
            let stages: Vec<String> = strings(p, "stages")
                .iter()
                .map(|s| {
                    Stage::parse(s)
                        .map(|s| s.as_str().to_string())
                        .map_err(ApiError::invalid)
                })
                .collect::<ApiResult<_>>()?;
            let list: Vec<Value> = m
                .latest_versions
                .iter()
                .filter(|v| stages.is_empty() || stages.contains(&v.current_stage))
                .map(|v| version_json(store, v))
                .collect();
            Ok(json!({ "model_versions": list }))
        }
        ("POST", "registered-models/set-tag") => {
            store.set_registry_tags(
                &req(p, "name")?,
                None,
                &[(req(p, "key")?, Some(opt(p, "value").unwrap_or_default()))],
                &act,
            )?;
            Ok(json!({}))
        }
        ("DELETE", "registered-models/delete-tag") => {
            store.set_registry_tags(&req(p, "name")?, None, &[(req(p, "key")?, None)], &act)?;
            Ok(json!({}))
        }
        ("POST", "registered-models/alias") => {
            store.set_alias(&req(p, "name")?, &req(p, "alias")?, version_arg(p)?, &act)?;
            Ok(json!({}))
        }
        ("DELETE", "registered-models/alias") => {
            store.delete_alias(&req(p, "name")?, &req(p, "alias")?, &act)?;
            Ok(json!({}))
        }
        ("GET", "registered-models/alias") => {
            let name = req(p, "name")?;
            let alias = req(p, "alias")?;
            let v =
                if alias.eq_ignore_ascii_case("latest") {
                    store.versions(&name)?.into_iter().next().ok_or_else(|| {
                        ApiError::not_found(format!("model {name} has no versions"))
                    })?
                } else {
                    store.model(&name).map_err(|_| {
                        ApiError::not_found(format!("Registered Model with name={name} not found"))
                    })?;
                    // MLflow answers a missing alias with 400, not 404.
                    let n = store.alias_version(&name, &alias).map_err(|e| match e {
                        crate::store::Error::NotFound(_) => {
                            ApiError::invalid(format!("Registered model alias {alias} not found."))
                        }
                        e => e.into(),
                    })?;
                    store.version(&name, n)?
                };
            Ok(json!({ "model_version": version_json(store, &v) }))
        }
        _ => Err(not_found(method.as_str(), "/api/2.0/mlflow/", endpoint)),
    }
}
