//! Changes from the experiment and run pages: create, rename, delete and restore experiments;
//! delete and restore runs. The same store calls as `mlf experiments create|rename|delete|
//! restore` and `mlf runs delete|restore`, behind the CSRF token; each answers with a redirect
//! back to the page.

use axum::Extension;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};

use super::pages::enc;
use super::registry::form;
use super::{PageError, Shared, Viewer, blocking, first};

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

/// `POST /ui/runs/{id}`: `action=delete` or `restore`.
pub(super) async fn run(
    State(web): State<Shared>,
    Path(id): Path<String>,
    Extension(viewer): Extension<Viewer>,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    let pairs = form(&web, &viewer, &body)?;
    let delete = match first(&pairs, "action") {
        Some("delete") => true,
        Some("restore") => false,
        _ => {
            return Err(PageError::new(
                axum::http::StatusCode::BAD_REQUEST,
                "give action=delete or action=restore",
            ));
        }
    };
    let ids = vec![id.clone()];
    blocking(&web, move |store| {
        if delete {
            store.delete_runs(&ids)?;
        } else {
            store.restore_runs(&ids)?;
        }
        Ok(())
    })
    .await?;
    Ok(Redirect::to(&format!("/ui/runs/{}", enc(&id))).into_response())
}
