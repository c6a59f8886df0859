//! Webhooks for registry events, in MLflow 3's shape: a webhook names the events it takes
//! (entity and action: `model_version.created`, `model_version_alias.created`, …) and a URL;
//! deliveries are signed with HMAC-SHA256 when it has a secret. Beside MLflow's events, mlf's
//! own: a stage change (`model_version_stage.updated`) and transition requests
//! (`transition_request.created`, `.approved`, `.rejected`).

use serde::{Deserialize, Serialize};

/// An event a webhook takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookEvent {
    pub entity: String,
    pub action: String,
}

/// A webhook. The secret is kept and never serialized.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Webhook {
    pub webhook_id: String,
    pub name: String,
    pub description: String,
    pub url: String,
    pub events: Vec<WebhookEvent>,
    pub status: String,
    pub creation_timestamp: i64,
    pub last_updated_timestamp: i64,
    #[serde(skip)]
    pub secret: String,
}

/// The registry events a webhook may take: MLflow's (its prompt and budget events have no
/// counterpart here), then mlf's own.
pub const EVENTS: &[(&str, &str)] = &[
    ("registered_model", "created"),
    ("model_version", "created"),
    ("model_version_tag", "set"),
    ("model_version_tag", "deleted"),
    ("model_version_alias", "created"),
    ("model_version_alias", "deleted"),
    ("model_version_stage", "updated"),
    ("transition_request", "created"),
    ("transition_request", "approved"),
    ("transition_request", "rejected"),
];

/// Why a webhook cannot be made as asked (MLflow's words where it has them).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("Invalid webhook URL scheme: '{0}'. Allowed schemes are: http, https.")]
    Scheme(String),
    #[error("Invalid webhook URL: '{0}'")]
    Url(String),
    #[error("Invalid entity '{0}'. Valid entities are: {list}", list = entity_list())]
    Entity(String),
    #[error("Invalid action '{1}' for entity '{0}'. Valid actions are: {list}", list = action_list(.0))]
    Action(String, String),
    #[error("Webhook events must not be empty")]
    NoEvents,
    #[error("Invalid webhook status '{0}': use ACTIVE or DISABLED")]
    Status(String),
    #[error("Webhook name must not be empty")]
    Name,
}

fn entity_list() -> String {
    let mut seen: Vec<&str> = Vec::new();
    for (e, _) in EVENTS {
        if !seen.contains(e) {
            seen.push(e);
        }
    }
    format!("{seen:?}").replace('"', "'")
}

fn action_list(entity: &str) -> String {
    let actions: Vec<&str> = EVENTS
        .iter()
        .filter(|(e, _)| *e == entity)
        .map(|(_, a)| *a)
        .collect();
    format!("{actions:?}").replace('"', "'")
}

impl WebhookEvent {
    /// The event as stored and delivered: lower case (`model_version`, `created`), however
    /// it was written (MLflow's REST API writes `MODEL_VERSION`, `CREATED`).
    pub fn normalized(&self) -> WebhookEvent {
        WebhookEvent {
            entity: self.entity.to_ascii_lowercase(),
            action: self.action.to_ascii_lowercase(),
        }
    }

    /// The event as MLflow's REST API writes it: upper case.
    pub fn on_the_wire(&self) -> WebhookEvent {
        WebhookEvent {
            entity: self.entity.to_ascii_uppercase(),
            action: self.action.to_ascii_uppercase(),
        }
    }
}

/// Checks a webhook URL: http or https with a host.
pub fn check_url(url: &str) -> Result<(), WebhookError> {
    let Some((scheme, rest)) = url.split_once("://") else {
        let scheme = url.split(':').next().unwrap_or_default();
        return Err(WebhookError::Scheme(scheme.to_string()));
    };
    if !matches!(scheme.to_ascii_lowercase().as_str(), "http" | "https") {
        return Err(WebhookError::Scheme(scheme.to_string()));
    }
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(WebhookError::Url(url.to_string()));
    }
    Ok(())
}

/// Checks a list of events (normalized): not empty, each one known.
pub fn check_events(events: &[WebhookEvent]) -> Result<(), WebhookError> {
    if events.is_empty() {
        return Err(WebhookError::NoEvents);
    }
    for e in events {
        if !EVENTS.iter().any(|(en, _)| *en == e.entity) {
            return Err(WebhookError::Entity(e.entity.clone()));
        }
        if !EVENTS.contains(&(e.entity.as_str(), e.action.as_str())) {
            return Err(WebhookError::Action(e.entity.clone(), e.action.clone()));
        }
    }
    Ok(())
}

/// Checks a status: `ACTIVE` or `DISABLED`.
pub fn check_status(status: &str) -> Result<(), WebhookError> {
    match status {
        "ACTIVE" | "DISABLED" => Ok(()),
        other => Err(WebhookError::Status(other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_events_are_checked() {
        assert!(check_url("https://ci.example/hook").is_ok());
        assert!(check_url("http://127.0.0.1:9/x").is_ok());
        for bad in [
            "file:///etc/passwd",
            "ftp://x",
            "http://",
            "javascript:alert(1)",
            "x",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
        let e = |en: &str, a: &str| WebhookEvent {
            entity: en.into(),
            action: a.into(),
        };
        assert!(check_events(&[e("model_version", "created")]).is_ok());
        assert_eq!(
            check_events(&[e("model_version", "set")])
                .unwrap_err()
                .to_string(),
            "Invalid action 'set' for entity 'model_version'. Valid actions are: ['created']"
        );
        assert_eq!(
            check_url("file:///etc/passwd").unwrap_err().to_string(),
            "Invalid webhook URL scheme: 'file'. Allowed schemes are: http, https."
        );
        assert!(check_events(&[]).is_err());
    }
}
