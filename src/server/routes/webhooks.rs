//! `webhooks` (MLflow 3): create, list, get, update, delete and test webhooks for registry
//! events. A webhook's secret is kept and never answered; only http(s) URLs are taken.

use super::*;
use crate::registry::webhooks::{Webhook, WebhookError, check_events, check_status, check_url};
use crate::store::WebhookChange;

/// The methods and paths this service answers (below the API prefixes) and their handlers.
pub(super) const ROUTES: &[Route] = &[
    (MethodFilter::POST, "webhooks", create),
    (MethodFilter::GET, "webhooks", list),
    (
        MethodFilter::GET
            .or(MethodFilter::PATCH)
            .or(MethodFilter::DELETE),
        "webhooks/{id}",
        one,
    ),
    (MethodFilter::POST, "webhooks/{id}/test", test),
];

fn refused(e: WebhookError) -> ApiError {
    ApiError::invalid(e)
}

/// A webhook in MLflow's shape: events in upper case, no secret.
fn webhook_json(w: &Webhook) -> Value {
    let mut v = serde_json::to_value(w).unwrap_or(Value::Null);
    let events: Vec<_> = w.events.iter().map(|e| e.on_the_wire()).collect();
    v["events"] = serde_json::to_value(events).unwrap_or_default();
    v
}

fn normalized(
    events: &[crate::registry::webhooks::WebhookEvent],
) -> Vec<crate::registry::webhooks::WebhookEvent> {
    events.iter().map(|e| e.normalized()).collect()
}

/// `POST webhooks`.
fn create(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let mut m: CreateWebhook = decode(c.p)?;
    m.events = normalized(&m.events);
    check_url(&m.url).map_err(refused)?;
    check_events(&m.events).map_err(refused)?;
    if let Some(s) = &m.status {
        check_status(s).map_err(refused)?;
    }
    let w = store.create_webhook(WebhookChange {
        name: Some(m.name),
        description: m.description,
        url: Some(m.url),
        events: Some(m.events),
        secret: m.secret,
        status: m.status,
    })?;
    Ok(json!({ "webhook": webhook_json(&w) }))
}

/// `GET webhooks`.
fn list(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let m: ListWebhooks = decode(c.p)?;
    let n = limit(m.max_results, 100, 1000)?;
    let (hooks, next) = store.list_webhooks(n, token(&m.page_token))?;
    let list: Vec<Value> = hooks.iter().map(webhook_json).collect();
    Ok(with_token(json!({ "webhooks": list }), next))
}

fn id_of<'a>(c: &'a Call) -> &'a str {
    c.endpoint
        .strip_prefix("webhooks/")
        .unwrap_or_default()
        .trim_end_matches("/test")
}

/// `GET | PATCH | DELETE webhooks/{id}`.
fn one(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let id = id_of(&c).to_string();
    let found = |e: crate::store::Error| match e {
        crate::store::Error::NotFound(_) => {
            ApiError::not_found(format!("Webhook with ID {id} not found."))
        }
        e => e.into(),
    };
    match c.method.as_str() {
        "GET" => Ok(json!({ "webhook": webhook_json(&store.webhook(&id).map_err(found)?) })),
        "DELETE" => {
            store.delete_webhook(&id).map_err(found)?;
            Ok(json!({}))
        }
        _ => {
            let mut m: UpdateWebhook = decode(c.p)?;
            m.events = normalized(&m.events);
            if let Some(u) = &m.url {
                check_url(u).map_err(refused)?;
            }
            if !m.events.is_empty() {
                check_events(&m.events).map_err(refused)?;
            }
            if let Some(s) = &m.status {
                check_status(s).map_err(refused)?;
            }
            if m.name.as_deref() == Some("") {
                return Err(refused(WebhookError::Name));
            }
            let w = store
                .update_webhook(
                    &id,
                    WebhookChange {
                        name: m.name,
                        description: m.description,
                        url: m.url,
                        events: Some(m.events).filter(|e| !e.is_empty()),
                        secret: m.secret,
                        status: m.status,
                    },
                )
                .map_err(found)?;
            Ok(json!({ "webhook": webhook_json(&w) }))
        }
    }
}

/// `POST webhooks/{id}/test`: sends an example payload once, and answers what came back.
fn test(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let id = id_of(&c).to_string();
    let hook = store.webhook(&id).map_err(|e| match e {
        crate::store::Error::NotFound(_) => {
            ApiError::not_found(format!("Webhook with ID {id} not found."))
        }
        e => e.into(),
    })?;
    let m: TestWebhook = decode(c.p)?;
    let event = match m.event {
        Some(e) => {
            let e = e.normalized();
            check_events(std::slice::from_ref(&e)).map_err(refused)?;
            e
        }
        None => hook
            .events
            .first()
            .cloned()
            .ok_or_else(|| refused(WebhookError::NoEvents))?,
    };
    let data = crate::server::webhooks::example(&event);
    let d = crate::server::webhooks::deliver(&hook, &event, &data, 0);
    let mut result = json!({ "success": d.status.is_some_and(|s| s < 400) });
    if let Some(s) = d.status {
        result["response_status"] = json!(s);
        result["response_body"] = json!(d.body);
    }
    if let Some(e) = d.error {
        result["error_message"] = json!(format!("Failed to test webhook: {e}"));
    }
    Ok(json!({ "result": result }))
}
