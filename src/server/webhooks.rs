//! Delivering registry events to webhooks. The registry's history (`registry_events`) is the
//! outbox: after every call that may have changed the store, the dispatcher thread reads the
//! events recorded since the last it saw (so only committed changes, whichever front end made
//! them) and posts each to the active webhooks that take it — on its own thread, so a slow
//! receiver holds up nobody — as MLflow does: a JSON body `{entity, action, timestamp, data}`,
//! the headers `X-MLflow-Delivery-Id`, `X-MLflow-Timestamp` and, with a secret,
//! `X-MLflow-Signature: v1,<base64 HMAC-SHA256 of "ID.TIMESTAMP.BODY">`; a refused connection,
//! 429 or 5xx is retried with exponential backoff (1 s, 2 s, 4 s).

use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Map, Value, json};

use crate::registry::webhooks::{Webhook, WebhookEvent};
use crate::store::{RegistryEvent, Store};

/// How many times a failed delivery is tried again.
const RETRIES: u32 = 3;
/// The longest a receiver may take to answer.
const TIMEOUT: Duration = Duration::from_secs(30);

/// The dispatcher thread, woken after each write.
pub struct Dispatcher {
    wake: mpsc::Sender<()>,
}

impl Dispatcher {
    /// Starts the dispatcher for the store at `root`: events recorded before now are not
    /// delivered.
    pub fn start(root: PathBuf) -> Dispatcher {
        let (wake, rx) = mpsc::channel::<()>();
        let _ = std::thread::Builder::new()
            .name("mlf-webhooks".into())
            .spawn(move || {
                let Ok(store) = Store::open(&root) else {
                    return;
                };
                let mut seen = store.last_registry_event().unwrap_or(0);
                // Woken after each write through the API; every few seconds too, for what
                // the command line or the web UI changed meanwhile.
                loop {
                    match rx.recv_timeout(Duration::from_secs(2)) {
                        Ok(()) | Err(mpsc::RecvTimeoutError::Timeout) => {}
                        Err(mpsc::RecvTimeoutError::Disconnected) => return,
                    }
                    while rx.try_recv().is_ok() {}
                    let Ok(events) = store.registry_events_after(seen) else {
                        continue;
                    };
                    for e in events {
                        seen = seen.max(e.id);
                        dispatch(&store, &e);
                    }
                }
            });
        Dispatcher { wake }
    }

    /// Tells the dispatcher the store may have changed.
    pub fn wake(&self) {
        let _ = self.wake.send(());
    }
}

/// Posts one registry event to every webhook that takes it.
fn dispatch(store: &Store, e: &RegistryEvent) {
    let Some((event, data)) = payload(store, e) else {
        return;
    };
    for hook in store.webhooks_for(&event).unwrap_or_default() {
        let (event, data) = (event.clone(), data.clone());
        let _ = std::thread::Builder::new()
            .name("mlf-webhook-delivery".into())
            .spawn(move || {
                let _ = deliver(&hook, &event, &data, RETRIES);
            });
    }
}

fn event(entity: &str, action: &str) -> WebhookEvent {
    WebhookEvent {
        entity: entity.into(),
        action: action.into(),
    }
}

fn tags_of(tags: &[crate::tracking::KeyValue]) -> Value {
    Value::Object(
        tags.iter()
            .map(|t| (t.key.clone(), Value::String(t.value.clone())))
            .collect::<Map<_, _>>(),
    )
}

fn or_null(s: &str) -> Value {
    if s.is_empty() {
        Value::Null
    } else {
        Value::String(s.to_string())
    }
}

/// The event and data of a recorded registry event, in MLflow's payload shapes; `None` for
/// what no webhook takes.
fn payload(store: &Store, e: &RegistryEvent) -> Option<(WebhookEvent, Value)> {
    let name = e.name.clone();
    let version = e.version.map(|v| v.to_string());
    let to = e.to.clone().unwrap_or_default();
    Some(match e.kind.as_str() {
        "create_model" => {
            let m = store.model(&name).ok()?;
            (
                event("registered_model", "created"),
                json!({ "name": name, "tags": tags_of(&m.tags), "description": or_null(&m.description) }),
            )
        }
        "register" => {
            let v = store.version(&name, e.version?).ok()?;
            (
                event("model_version", "created"),
                json!({
                    "name": name, "version": version, "source": v.source,
                    "run_id": or_null(&v.run_id), "tags": tags_of(&v.tags),
                    "description": or_null(&v.description),
                }),
            )
        }
        "tag" if version.is_some() => {
            let (key, value) = to.split_once('=').unwrap_or((&to, ""));
            (
                event("model_version_tag", "set"),
                json!({ "name": name, "version": version, "key": key, "value": value }),
            )
        }
        "untag" if version.is_some() => (
            event("model_version_tag", "deleted"),
            json!({ "name": name, "version": version, "key": to }),
        ),
        "alias" => (
            event("model_version_alias", "created"),
            json!({ "name": name, "alias": to, "version": version }),
        ),
        "unalias" => (
            event("model_version_alias", "deleted"),
            json!({ "name": name, "alias": e.from }),
        ),
        "stage" => (
            event("model_version_stage", "updated"),
            json!({
                "name": name, "version": version, "from_stage": e.from, "to_stage": to,
                "actor": e.actor, "comment": e.comment,
            }),
        ),
        "request" | "approve" | "reject" => {
            let action = match e.kind.as_str() {
                "request" => "created",
                "approve" => "approved",
                _ => "rejected",
            };
            (
                event("transition_request", action),
                json!({
                    "name": name, "version": version, "to_stage": to, "actor": e.actor,
                    "comment": e.comment,
                }),
            )
        }
        _ => return None,
    })
}

/// An example payload of an event, for `webhooks/{id}/test`.
pub fn example(event: &WebhookEvent) -> Value {
    match (event.entity.as_str(), event.action.as_str()) {
        ("registered_model", _) => {
            json!({ "name": "example_model", "tags": { "example_key": "example_value" }, "description": "An example registered model" })
        }
        ("model_version", _) => json!({
            "name": "example_model", "version": "1", "source": "models:/123",
            "run_id": "abcd1234abcd5678", "tags": { "example_key": "example_value" },
            "description": "An example model version",
        }),
        ("model_version_tag", "set") => {
            json!({ "name": "example_model", "version": "1", "key": "example_key", "value": "example_value" })
        }
        ("model_version_tag", _) => {
            json!({ "name": "example_model", "version": "1", "key": "example_key" })
        }
        ("model_version_alias", "created") => {
            json!({ "name": "example_model", "alias": "example_alias", "version": "1" })
        }
        ("model_version_alias", _) => json!({ "name": "example_model", "alias": "example_alias" }),
        ("model_version_stage", _) => json!({
            "name": "example_model", "version": "1", "from_stage": "None",
            "to_stage": "Staging", "actor": "example_user", "comment": null,
        }),
        _ => json!({
            "name": "example_model", "version": "1", "to_stage": "Production",
            "actor": "example_user", "comment": null,
        }),
    }
}

/// What one delivery came to: the receiver's status and body, or why none came.
pub struct Delivered {
    pub status: Option<u16>,
    pub body: String,
    pub error: Option<String>,
}

/// The signature MLflow sends: `v1,` and the base64 HMAC-SHA256 of `ID.TIMESTAMP.BODY`.
pub fn signature(secret: &str, delivery_id: &str, timestamp: &str, body: &str) -> String {
    use base64::Engine;
    use hmac::{KeyInit, Mac};
    let mut mac = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes any key length");
    mac.update(format!("{delivery_id}.{timestamp}.{body}").as_bytes());
    let b64 = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    format!("v1,{b64}")
}

/// Posts `data` as `event` to `hook`, trying again up to `retries` times.
pub fn deliver(hook: &Webhook, event: &WebhookEvent, data: &Value, retries: u32) -> Delivered {
    let now = jiff::Timestamp::now();
    let iso = now
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .strftime("%Y-%m-%dT%H:%M:%S%.6f+00:00")
        .to_string();
    let body = json!({
        "entity": event.entity,
        "action": event.action,
        "timestamp": iso,
        "data": data,
    })
    .to_string();
    let delivery_id = uuid::Uuid::new_v4().to_string();
    let unix = now.as_second().to_string();
    let mut config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(TIMEOUT))
        .max_redirects(0)
        .user_agent(concat!("mlf/", env!("CARGO_PKG_VERSION")));
    if let Ok(tls) = crate::remote::tls_config() {
        config = config.tls_config(tls);
    }
    let agent: ureq::Agent = config.build().into();
    let mut attempt = 0;
    loop {
        let mut req = agent
            .post(&hook.url)
            .header("Content-Type", "application/json")
            .header("X-MLflow-Delivery-Id", &delivery_id)
            .header("X-MLflow-Timestamp", &unix);
        if !hook.secret.is_empty() {
            req = req.header(
                "X-MLflow-Signature",
                &signature(&hook.secret, &delivery_id, &unix, &body),
            );
        }
        let outcome = match req.send(body.as_str()) {
            Ok(mut resp) => {
                let status = resp.status().as_u16();
                let text = resp.body_mut().read_to_string().unwrap_or_default();
                Delivered {
                    status: Some(status),
                    body: text,
                    error: None,
                }
            }
            Err(e) => Delivered {
                status: None,
                body: String::new(),
                error: Some(e.to_string()),
            },
        };
        let again = match outcome.status {
            None => true,
            Some(s) => matches!(s, 429 | 500 | 502 | 503 | 504),
        };
        if !again || attempt >= retries {
            return outcome;
        }
        std::thread::sleep(Duration::from_secs(1 << attempt));
        attempt += 1;
    }
}
