//! `registered-models/*`: create, rename, update, delete, get and search registered models,
//! their latest versions, tags and aliases.

use super::*;

/// The methods and paths this service answers (below the API prefixes) and their handlers.
pub(super) const ROUTES: &[Route] = &[
    (MethodFilter::POST, "registered-models/create", create),
    (MethodFilter::POST, "registered-models/rename", rename),
    (MethodFilter::PATCH, "registered-models/update", update),
    (MethodFilter::DELETE, "registered-models/delete", delete),
    (MethodFilter::GET, "registered-models/get", get),
    (
        MethodFilter::GET.or(MethodFilter::POST),
        "registered-models/search",
        search,
    ),
    (
        MethodFilter::GET.or(MethodFilter::POST),
        "registered-models/get-latest-versions",
        latest_versions,
    ),
    (MethodFilter::POST, "registered-models/set-tag", set_tag),
    (
        MethodFilter::DELETE,
        "registered-models/delete-tag",
        delete_tag,
    ),
    (MethodFilter::POST, "registered-models/alias", set_alias),
    (
        MethodFilter::DELETE,
        "registered-models/alias",
        delete_alias,
    ),
    (MethodFilter::GET, "registered-models/alias", get_alias),
];

/// `POST registered-models/create`.
fn create(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let who = c.who();
    let p = c.p;
    let act = plain(&who);
    let m: CreateRegisteredModel = decode(p)?;
    let name = m.name;
    if store.model(&name).is_ok() {
        return Err(ApiError {
            status: 400,
            code: "RESOURCE_ALREADY_EXISTS",
            message: format!("Registered Model (name={name}) already exists."),
        });
    }
    let m = store.create_model(&name, &m.description, &m.tags, &act)?;
    Ok(json!({ "registered_model": model_json(store, &m) }))
}

/// `POST registered-models/rename`.
fn rename(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let who = c.who();
    let p = c.p;
    let act = plain(&who);
    let m: RenameRegisteredModel = decode(p)?;
    store.rename_model(&m.name, &m.new_name, &act)?;
    Ok(json!({ "registered_model": model_json(store, &store.model(&m.new_name)?) }))
}

/// `PATCH registered-models/update`.
fn update(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let who = c.who();
    let p = c.p;
    let act = plain(&who);
    let m: UpdateRegisteredModel = decode(p)?;
    if let Some(d) = m.description {
        store.describe(&m.name, None, &d, &act)?;
    }
    Ok(json!({ "registered_model": model_json(store, &store.model(&m.name)?) }))
}

/// `DELETE registered-models/delete`.
fn delete(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let who = c.who();
    let p = c.p;
    let act = plain(&who);
    let name = decode::<DeleteRegisteredModel>(p)?.name;
    crate::ops::registry::delete_model(store, &name, &act)?;
    Ok(json!({}))
}

/// `GET registered-models/get`.
fn get(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let p = c.p;
    let name = decode::<GetRegisteredModel>(p)?.name;
    let m = store
        .model(&name)
        .map_err(|_| ApiError::not_found(format!("Registered Model with name={name} not found")))?;
    Ok(json!({ "registered_model": model_json(store, &m) }))
}

/// `GET | POST registered-models/search`.
fn search(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let p = c.p;
    let m: SearchRegisteredModels = decode(p)?;
    let filter = match m.filter.filter(|f| !f.trim().is_empty()) {
        Some(f) => {
            parse_model_filter(&f).map_err(|e| ApiError::invalid(format!("Invalid filter: {e}")))?
        }
        None => None,
    };
    let n = limit(m.max_results, 100, 1000)?;
    let (models, next) =
        RegistryStore::search_models(store, filter.as_ref(), n, token(&m.page_token))?;
    let list: Vec<Value> = models.iter().map(|m| model_json(store, m)).collect();
    Ok(with_token(json!({ "registered_models": list }), next))
}

/// `GET | POST registered-models/get-latest-versions`.
fn latest_versions(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let p = c.p;
    let q: GetLatestVersions = decode(p)?;
    let m = store.model(&q.name)?;
    let stages: Vec<String> = q
        .stages
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

/// `POST registered-models/set-tag`.
fn set_tag(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let who = c.who();
    let p = c.p;
    let act = plain(&who);
    let m: SetRegisteredModelTag = decode(p)?;
    store.set_registry_tags(&m.name, None, &[(m.key, Some(m.value))], &act)?;
    Ok(json!({}))
}

/// `DELETE registered-models/delete-tag`.
fn delete_tag(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let who = c.who();
    let p = c.p;
    let act = plain(&who);
    let m: DeleteRegisteredModelTag = decode(p)?;
    store.set_registry_tags(&m.name, None, &[(m.key, None)], &act)?;
    Ok(json!({}))
}

/// `POST registered-models/alias`.
fn set_alias(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let who = c.who();
    let p = c.p;
    let act = plain(&who);
    let m: SetAlias = decode(p)?;
    store.set_alias(&m.name, &m.alias, m.version, &act)?;
    Ok(json!({}))
}

/// `DELETE registered-models/alias`.
fn delete_alias(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let who = c.who();
    let p = c.p;
    let act = plain(&who);
    let m: DeleteAlias = decode(p)?;
    store.delete_alias(&m.name, &m.alias, &act)?;
    Ok(json!({}))
}

/// `GET registered-models/alias`.
fn get_alias(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let p = c.p;
    let AliasRef { name, alias } = decode::<GetModelVersionByAlias>(p)?;
    let v = if alias.eq_ignore_ascii_case("latest") {
        store
            .versions(&name)?
            .into_iter()
            .next()
            .ok_or_else(|| ApiError::not_found(format!("model {name} has no versions")))?
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
