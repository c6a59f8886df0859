//! The registry's pages: models, a model (versions by stage, aliases), a version (stage moves,
//! requests and their approval, history). Changes go through the same operations as the CLI
//! and the REST API (`ops::registry`, the store's request calls) with the same checks.

use axum::Extension;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};

use super::pages::{enc, relative};
use super::view::{
    AsOf, EventRow, ModelPage, ModelRow, ModelsPage, RequestRow, VersionPage, VersionRow,
};
use super::{PageError, PageResult, Shared, Viewer, blocking, first, query_pairs, render};
use crate::registry::{ModelVersion, Stage};
use crate::store::Act;
use crate::ui::format::time;

fn version_href(name: &str, v: &str) -> String {
    format!("/ui/models/{}/versions/{}", enc(name), enc(v))
}

pub(super) async fn models(State(web): State<Shared>, RawQuery(raw): RawQuery) -> PageResult {
    let pairs = query_pairs(raw.as_deref());
    let filter = first(&pairs, "filter").unwrap_or("").trim().to_string();
    let f = filter.clone();
    let (models, error) = blocking(&web, move |store| {
        match crate::search::parse_model_filter(&f) {
            Ok(expr) => Ok((store.list_models(expr.as_ref())?, None)),
            Err(e) => Ok((Vec::new(), Some(e.to_string()))),
        }
    })
    .await?;
    render(&ModelsPage {
        title: "Models".into(),
        filter,
        error,
        models: models
            .into_iter()
            .map(|m| ModelRow {
                href: format!("/ui/models/{}", enc(&m.name)),
                latest: m
                    .latest_versions
                    .iter()
                    .map(|v| format!("v{} {}", v.version, v.current_stage))
                    .collect::<Vec<_>>()
                    .join(", "),
                updated: relative(m.last_updated_timestamp),
                description: m.description,
                name: m.name,
            })
            .collect(),
    })
}

fn version_row(v: &ModelVersion) -> VersionRow {
    VersionRow {
        version: v.version.clone(),
        href: version_href(&v.name, &v.version),
        aliases: v.aliases.join(", "),
        source: v.source.clone(),
        created: relative(v.creation_timestamp),
    }
}

/// The registry of a model as it was at the time the query's `at` gives (a refusal of a
/// malformed time is shown in its place).
async fn as_of(web: &Shared, name: &str, raw: Option<&str>) -> Result<Option<AsOf>, PageError> {
    let pairs = query_pairs(raw);
    let Some(at) = first(&pairs, "at").map(str::trim).filter(|a| !a.is_empty()) else {
        return Ok(None);
    };
    let input = at.to_string();
    let t = match crate::registry::parse_time(at) {
        Ok(t) => t,
        Err(e) => {
            return Ok(Some(AsOf {
                input,
                when: String::new(),
                rows: Vec::new(),
                error: Some(e.to_string()),
                at: 0,
            }));
        }
    };
    let n = name.to_string();
    // Before the model was made, there is nothing to show: said in place, the page stands.
    let snap = match blocking(web, move |store| Ok(store.registry_at(&n, t))).await? {
        Ok(snap) => snap,
        Err(e) => {
            return Ok(Some(AsOf {
                input,
                when: time(t),
                rows: Vec::new(),
                error: Some(e.to_string()),
                at: t,
            }));
        }
    };
    let mut rows: Vec<(String, String)> = Stage::ALL
        .iter()
        .rev()
        .filter_map(|s| {
            snap.stages
                .get(s.as_str())
                .map(|vs| (s.as_str().to_string(), vs.join(", ")))
        })
        .collect();
    rows.extend(
        snap.aliases
            .iter()
            .map(|(a, v)| (format!("@{a}"), v.clone())),
    );
    Ok(Some(AsOf {
        input,
        when: time(t),
        rows,
        error: None,
        at: t,
    }))
}

pub(super) async fn model(
    State(web): State<Shared>,
    Path(name): Path<String>,
    RawQuery(raw): RawQuery,
    Extension(viewer): Extension<Viewer>,
) -> PageResult {
    let as_of = as_of(&web, &name, raw.as_deref()).await?;
    let (m, versions) = blocking(&web, move |store| {
        Ok((store.model(&name)?, store.versions(&name)?))
    })
    .await?;
    let stages = Stage::ALL
        .iter()
        .rev()
        .map(|s| {
            (
                s.as_str().to_string(),
                versions
                    .iter()
                    .filter(|v| v.current_stage == s.as_str())
                    .map(version_row)
                    .collect::<Vec<_>>(),
            )
        })
        .filter(|(_, vs)| !vs.is_empty())
        .collect();
    render(&ModelPage {
        title: m.name.clone(),
        csrf: web.csrf(&viewer),
        href: format!("/ui/models/{}", enc(&m.name)),
        as_of,
        description: m.description,
        tags: m.tags.into_iter().map(|t| (t.key, t.value)).collect(),
        aliases: m
            .aliases
            .into_iter()
            .map(|a| (a.alias, a.version))
            .collect(),
        name: m.name,
        stages,
    })
}

/// What the version page shows after a change (`done`) or a refusal (`error`).
struct Outcome {
    message: Option<String>,
    error: Option<String>,
}

async fn version_page(
    web: &Shared,
    viewer: &Viewer,
    name: String,
    version: String,
    outcome: Outcome,
    status: StatusCode,
    raw: Option<&str>,
) -> PageResult {
    let as_of = as_of(web, &name, raw).await?;
    let cutoff = as_of.as_ref().filter(|a| !a.when.is_empty()).map(|a| a.at);
    let n: i64 = version
        .parse()
        .map_err(|_| PageError::new(StatusCode::NOT_FOUND, format!("no version `{version}`")))?;
    let (v, requests, history) = blocking(web, move |store| {
        let v = store.version(&name, n)?;
        let requests: Vec<_> = store
            .requests(Some(&name), true)?
            .into_iter()
            .filter(|r| r.version == v.version)
            .collect();
        let history: Vec<_> = store
            .registry_history(&name)?
            .into_iter()
            .filter(|e| e.version.is_none() || e.version.as_deref() == Some(v.version.as_str()))
            .collect();
        Ok((v, requests, history))
    })
    .await?;
    // The signature of the version's MLmodel, where its files are.
    let signature = crate::models::MlModel::load(std::path::Path::new(&v.storage_location))
        .ok()
        .and_then(|m| m.signature)
        .map(|s| {
            (
                super::mlmodel::spec_rows(s.input_items()),
                super::mlmodel::spec_rows(s.output_items()),
            )
        });
    let page = VersionPage {
        signature,
        title: format!("{} v{}", v.name, v.version),
        model_href: format!("/ui/models/{}", enc(&v.name)),
        stage_action: format!("{}/stage", version_href(&v.name, &v.version)),
        run_href: (!v.run_id.is_empty()).then(|| format!("/ui/runs/{}", enc(&v.run_id))),
        run_id: v.run_id.clone(),
        stage: v.current_stage.clone(),
        aliases: v.aliases.join(", "),
        source: v.source.clone(),
        description: v.description.clone(),
        stages: Stage::ALL
            .iter()
            .map(|s| (s.as_str().to_string(), s.as_str() == v.current_stage))
            .collect(),
        csrf: web.csrf(viewer),
        message: outcome.message,
        error: outcome.error,
        requests: requests
            .into_iter()
            .rev()
            .map(|r| RequestRow {
                pending: r.status == "pending",
                id: r.id.to_string(),
                stage: r.to_stage,
                by: r.requested_by,
                status: r.status,
                when: time(r.requested_at),
            })
            .collect(),
        history: history
            .into_iter()
            .rev()
            .map(|e| EventRow {
                later: cutoff.is_some_and(|t| e.timestamp > t),
                when: time(e.timestamp),
                who: e.actor,
                what: match (&e.from, &e.to) {
                    (Some(f), Some(t)) => format!("{} {f} → {t}", e.kind),
                    (None, Some(t)) => format!("{} → {t}", e.kind),
                    _ => e.kind.clone(),
                },
                why: e.comment.unwrap_or_default(),
            })
            .collect(),
        href: version_href(&v.name, &v.version),
        as_of,
        name: v.name,
        version: v.version,
    };
    let mut r = render(&page)?;
    *r.status_mut() = status;
    Ok(r)
}

pub(super) async fn version(
    State(web): State<Shared>,
    Path((name, version)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    Extension(viewer): Extension<Viewer>,
) -> PageResult {
    let none = Outcome {
        message: None,
        error: None,
    };
    version_page(
        &web,
        &viewer,
        name,
        version,
        none,
        StatusCode::OK,
        raw.as_deref(),
    )
    .await
}

/// A form's fields; refused without the caller's CSRF token.
pub(super) fn form(
    web: &Shared,
    viewer: &Viewer,
    body: &[u8],
) -> Result<Vec<(String, String)>, PageError> {
    let pairs = crate::server::form_urlencoded(&String::from_utf8_lossy(body));
    if !web.csrf_ok(viewer, first(&pairs, "csrf").unwrap_or("")) {
        return Err(PageError::new(
            StatusCode::FORBIDDEN,
            "the form's CSRF token is missing or stale: reload the page and try again",
        ));
    }
    Ok(pairs)
}

/// Who acts: the authenticated user; on a server without a users file, the name the form
/// gives (as the API takes `X-Mlf-User`); else `MLF_USER`, else `web`.
pub(super) fn actor(web: &Shared, viewer: &Viewer, pairs: &[(String, String)]) -> String {
    viewer
        .0
        .clone()
        .or_else(|| {
            if web.settings.users.is_some() {
                return None;
            }
            first(pairs, "actor")
                .map(str::trim)
                .filter(|a| !a.is_empty() && a.len() <= 256)
                .map(str::to_string)
        })
        .or_else(|| crate::env::var(crate::env::MLF_USER))
        .unwrap_or_else(|| "web".into())
}

/// `POST .../versions/{v}/stage`: `action=move` (a stage move: a protected stage needs an
/// approved request) or `action=request`.
pub(super) async fn stage(
    State(web): State<Shared>,
    Path((name, version)): Path<(String, String)>,
    Extension(viewer): Extension<Viewer>,
    body: axum::body::Bytes,
) -> PageResult {
    let pairs = form(&web, &viewer, &body)?;
    let who = actor(&web, &viewer, &pairs);
    let action = first(&pairs, "action").unwrap_or("move").to_string();
    let edit = matches!(action.as_str(), "alias" | "describe");
    let stage = match Stage::parse(first(&pairs, "stage").unwrap_or("")) {
        Ok(s) => s,
        Err(_) if edit => Stage::None,
        Err(e) => return Err(PageError::new(StatusCode::BAD_REQUEST, e.to_string())),
    };
    let alias = first(&pairs, "alias").unwrap_or("").trim().to_string();
    let text = first(&pairs, "description").unwrap_or("").to_string();
    let comment = first(&pairs, "comment")
        .filter(|c| !c.trim().is_empty())
        .map(str::to_string);
    let archive = first(&pairs, "archive").is_some();
    let n: i64 = version
        .parse()
        .map_err(|_| PageError::new(StatusCode::NOT_FOUND, format!("no version `{version}`")))?;
    let (m, v) = (name.clone(), version.clone());
    let result = blocking(&web, move |store| {
        let act = Act {
            actor: &who,
            comment: comment.as_deref(),
        };
        Ok(if action == "alias" {
            Outcome::of(store.set_alias(&m, &alias, n, &act), |_| {
                format!("@{alias} points at version {v}.")
            })
        } else if action == "describe" {
            Outcome::of(store.describe(&m, Some(n), &text, &act), |_| {
                format!("The description of version {v} is set.")
            })
        } else if action == "request" {
            Outcome::of(store.request_transition(&m, n, stage, &act), |r| {
                format!(
                    "Requested {} for version {v} (request {}).",
                    r.to_stage, r.id
                )
            })
        } else {
            Outcome::of(
                crate::ops::registry::transition(store, &m, n, stage, archive, &act),
                |t| format!("Version {v} is now in {}.", t.version.current_stage),
            )
        })
    })
    .await?;
    after(&web, &viewer, name, version, result).await
}

async fn after(
    web: &Shared,
    viewer: &Viewer,
    name: String,
    version: String,
    outcome: Outcome,
) -> PageResult {
    // A refusal is shown on the page, in the place of the message (200: the page itself is
    // fine, and browsers log a failed status as an error).
    version_page(web, viewer, name, version, outcome, StatusCode::OK, None).await
}

impl Outcome {
    fn of<T, E: std::fmt::Display>(r: Result<T, E>, done: impl FnOnce(T) -> String) -> Outcome {
        match r {
            Ok(t) => Outcome {
                message: Some(done(t)),
                error: None,
            },
            Err(e) => Outcome {
                message: None,
                error: Some(e.to_string()),
            },
        }
    }
}

/// `POST /ui/requests/{id}`: `decision=approve|reject`, back to the version's page.
pub(super) async fn decide(
    State(web): State<Shared>,
    Path(id): Path<i64>,
    Extension(viewer): Extension<Viewer>,
    body: axum::body::Bytes,
) -> PageResult {
    let pairs = form(&web, &viewer, &body)?;
    let who = actor(&web, &viewer, &pairs);
    let approve = first(&pairs, "decision") == Some("approve");
    let comment = first(&pairs, "comment")
        .filter(|c| !c.trim().is_empty())
        .map(str::to_string);
    let (name, version) = (
        first(&pairs, "name").unwrap_or("").to_string(),
        first(&pairs, "version").unwrap_or("").to_string(),
    );
    let result = blocking(&web, move |store| {
        let act = Act {
            actor: &who,
            comment: comment.as_deref(),
        };
        let which = crate::ops::registry::Pending::Id(id);
        Ok(Outcome::of(
            crate::ops::registry::decide(store, which, approve, &act),
            |r| format!("Request {} is {}.", r.id, r.status),
        ))
    })
    .await?;
    if name.is_empty() {
        return Ok(Redirect::to("/ui/models").into_response());
    }
    after(&web, &viewer, name, version, result).await
}
