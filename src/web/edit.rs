//! Changes from the experiment, run and model pages: create, rename, delete and restore
//! experiments; rename, tag, untag, delete and restore runs; describe, tag and untag a model
//! and remove an alias. The same store calls as `mlf experiments create|rename|delete|
//! restore`, `mlf runs delete|restore`, `mlf log tag`, the REST API's `runs/update`,
//! `runs/set-tag`, `runs/delete-tag` and `mlf registry describe|tag|untag|alias --delete`,
//! with the same checks, behind the CSRF token; each answers with a redirect back to the page.

use axum::Extension;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};

use super::pages::enc;
use super::registry::form;
use super::{PageError, Shared, Viewer, blocking, first};
use crate::store::Act;
use crate::store::LogBatch;
use crate::tracking::KeyValue;
use crate::tracking::validation::{KeyKind, validate_key};

/// `POST /ui/experiments`: `name` → the new experiment's page.
pub(super) async fn create_experiment(
    State(web): State<Shared>,
    Extension(viewer): Extension<Viewer>,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    let pairs = form(&web, &viewer, &body)?;
    let name = first(&pairs, "name").unwrap_or("").trim().to_string();
    let exp = blocking(&web, move |store| Ok(store.create_experiment(&name, None)?)).await?;
    Ok(Redirect::to(&format!("/ui/experiments/{}", enc(&exp.experiment_id))).into_response())
}

/// `POST /ui/experiments/{id}`: `action=rename` (with `name`), `delete` or `restore`.
pub(super) async fn experiment(
    State(web): State<Shared>,
    Path(id): Path<String>,
    Extension(viewer): Extension<Viewer>,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    let pairs = form(&web, &viewer, &body)?;
    let action = first(&pairs, "action").unwrap_or("").to_string();
    let name = first(&pairs, "name").unwrap_or("").trim().to_string();
    let exp = id.clone();
    blocking(&web, move |store| {
        match action.as_str() {
            "rename" => store.rename_experiment(&exp, &name)?,
            "delete" => store.delete_experiment(&exp)?,
            "restore" => store.restore_experiment(&exp)?,
            other => {
                return Err(PageError::new(
                    axum::http::StatusCode::BAD_REQUEST,
                    format!("no action `{other}` on an experiment"),
                ));
            }
        }
        Ok(())
    })
    .await?;
    Ok(Redirect::to(&format!("/ui/experiments/{}?deleted=1", enc(&id))).into_response())
}

/// `POST /ui/runs/{id}`: `action=delete`, `restore`, `rename` (with `name`), `tag` (with
/// `key` and `value`) or `untag` (with `key`).
pub(super) async fn run(
    State(web): State<Shared>,
    Path(id): Path<String>,
    Extension(viewer): Extension<Viewer>,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    let pairs = form(&web, &viewer, &body)?;
    let action = first(&pairs, "action").unwrap_or("").to_string();
    let field = |k: &str| first(&pairs, k).unwrap_or("").to_string();
    let (name, key, value) = (
        field("name").trim().to_string(),
        field("key"),
        field("value"),
    );
    let ids = vec![id.clone()];
    blocking(&web, move |store| {
        match action.as_str() {
            "delete" => store.delete_runs(&ids)?,
            "restore" => store.restore_runs(&ids)?,
            "rename" => store.rename_run(&ids[0], &name)?,
            "tag" => {
                let key = key.trim().to_string();
                validate_key(KeyKind::Tag, &key).map_err(bad)?;
                let batch = LogBatch {
                    tags: vec![KeyValue { key, value }],
                    ..Default::default()
                };
                store.log_batch(&ids[0], batch)?;
            }
            "untag" => store.delete_run_tag(&ids[0], &key)?,
            other => {
                return Err(bad(format!(
                    "no action `{other}` on a run: give delete, restore, rename, tag or untag"
                )));
            }
        }
        Ok(())
    })
    .await?;
    Ok(Redirect::to(&format!("/ui/runs/{}", enc(&id))).into_response())
}

fn bad(e: impl std::fmt::Display) -> PageError {
    PageError::new(axum::http::StatusCode::BAD_REQUEST, e.to_string())
}

/// `POST /ui/models/{name}`: `action=describe` (with `description`), `tag` (with `key` and
/// `value`), `untag` (with `key`) or `unalias` (with `alias`), as the form's actor.
pub(super) async fn model(
    State(web): State<Shared>,
    Path(model): Path<String>,
    Extension(viewer): Extension<Viewer>,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    let pairs = form(&web, &viewer, &body)?;
    let who = super::registry::actor(&web, &viewer, &pairs);
    let action = first(&pairs, "action").unwrap_or("").to_string();
    let field = |k: &str| first(&pairs, k).unwrap_or("").to_string();
    let (text, key, value, alias) = (
        field("description"),
        field("key").trim().to_string(),
        field("value"),
        field("alias").trim().to_string(),
    );
    let name = model.clone();
    blocking(&web, move |store| {
        let act = Act {
            actor: &who,
            comment: None,
        };
        match action.as_str() {
            "describe" => store.describe(&name, None, &text, &act)?,
            "tag" | "untag" => {
                validate_key(KeyKind::Tag, &key).map_err(bad)?;
                let v = (action == "tag").then_some(value);
                store.set_registry_tags(&name, None, &[(key, v)], &act)?;
            }
            "unalias" => {
                store.delete_alias(&name, &alias, &act)?;
            }
            other => {
                return Err(bad(format!(
                    "no action `{other}` on a model: give describe, tag, untag or unalias"
                )));
            }
        }
        Ok(())
    })
    .await?;
    Ok(Redirect::to(&format!("/ui/models/{}", enc(&model))).into_response())
}
