//! The request messages of `registered-models/*`, `model-versions/*` and mlf's own
//! `mlf/registry/*`.

use serde::{Deserialize, Serialize};

use super::*;

/// `POST registered-models/create`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreateRegisteredModel {
    #[serde(deserialize_with = "required")]
    pub name: String,
    #[serde(deserialize_with = "text", skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(deserialize_with = "key_values", skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<KeyValue>,
}

/// `POST registered-models/rename`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RenameRegisteredModel {
    #[serde(deserialize_with = "required")]
    pub new_name: String,
    #[serde(deserialize_with = "required")]
    pub name: String,
}

/// `PATCH registered-models/update`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpdateRegisteredModel {
    #[serde(deserialize_with = "required")]
    pub name: String,
    #[serde(deserialize_with = "opt_text", skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// The messages that name a registered model only: `registered-models/get`,
/// `registered-models/delete`, `mlf/registry/history`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelName {
    #[serde(deserialize_with = "required")]
    pub name: String,
}

pub type GetRegisteredModel = ModelName;
pub type DeleteRegisteredModel = ModelName;
pub type RegistryHistory = ModelName;

/// `GET|POST registered-models/search` and `model-versions/search`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchRegistry {
    #[serde(deserialize_with = "opt_text", skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    #[serde(deserialize_with = "opt_int", skip_serializing_if = "Option::is_none")]
    pub max_results: Option<i64>,
    #[serde(deserialize_with = "opt_text", skip_serializing_if = "Option::is_none")]
    pub page_token: Option<String>,
}

pub type SearchRegisteredModels = SearchRegistry;
pub type SearchModelVersions = SearchRegistry;

/// `GET|POST registered-models/get-latest-versions`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GetLatestVersions {
    #[serde(deserialize_with = "required")]
    pub name: String,
    #[serde(deserialize_with = "strings", skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<String>,
}

/// `POST registered-models/set-tag`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetRegisteredModelTag {
    #[serde(deserialize_with = "required")]
    pub name: String,
    #[serde(deserialize_with = "required")]
    pub key: String,
    #[serde(deserialize_with = "text")]
    pub value: String,
}

/// `DELETE registered-models/delete-tag`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeleteRegisteredModelTag {
    #[serde(deserialize_with = "required")]
    pub name: String,
    #[serde(deserialize_with = "required")]
    pub key: String,
}

/// `POST registered-models/alias`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetAlias {
    #[serde(deserialize_with = "required")]
    pub name: String,
    #[serde(deserialize_with = "required")]
    pub alias: String,
    #[serde(with = "version")]
    pub version: i64,
}

/// `DELETE|GET registered-models/alias`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AliasRef {
    #[serde(deserialize_with = "required")]
    pub name: String,
    #[serde(deserialize_with = "required")]
    pub alias: String,
}

pub type DeleteAlias = AliasRef;
pub type GetModelVersionByAlias = AliasRef;

/// `POST model-versions/create`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreateModelVersion {
    #[serde(deserialize_with = "required")]
    pub name: String,
    #[serde(deserialize_with = "required")]
    pub source: String,
    #[serde(deserialize_with = "opt_text", skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    #[serde(deserialize_with = "text", skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(deserialize_with = "key_values", skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<KeyValue>,
    /// The logged model (`m-…`) the source belongs to, as MLflow 3's clients send it.
    #[serde(deserialize_with = "opt_text", skip_serializing_if = "Option::is_none")]
    pub model_id: Option<String>,
}

/// `PATCH model-versions/update`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpdateModelVersion {
    #[serde(deserialize_with = "required")]
    pub name: String,
    #[serde(with = "version")]
    pub version: i64,
    #[serde(deserialize_with = "opt_text", skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// `POST model-versions/transition-stage`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransitionStage {
    #[serde(deserialize_with = "required")]
    pub name: String,
    #[serde(with = "version")]
    pub version: i64,
    #[serde(deserialize_with = "required")]
    pub stage: String,
    #[serde(deserialize_with = "flag")]
    pub archive_existing_versions: bool,
}

/// The messages that name a version only: `model-versions/get`, `model-versions/delete`,
/// `model-versions/get-download-uri`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionRef {
    #[serde(deserialize_with = "required")]
    pub name: String,
    #[serde(with = "version")]
    pub version: i64,
}

pub type GetModelVersion = VersionRef;
pub type DeleteModelVersion = VersionRef;
pub type GetDownloadUri = VersionRef;

/// `POST model-versions/set-tag`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetModelVersionTag {
    #[serde(deserialize_with = "required")]
    pub name: String,
    #[serde(with = "version")]
    pub version: i64,
    #[serde(deserialize_with = "required")]
    pub key: String,
    #[serde(deserialize_with = "text")]
    pub value: String,
}

/// `DELETE model-versions/delete-tag`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeleteModelVersionTag {
    #[serde(deserialize_with = "required")]
    pub name: String,
    #[serde(with = "version")]
    pub version: i64,
    #[serde(deserialize_with = "required")]
    pub key: String,
}

/// `POST mlf/registry/request`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestTransition {
    #[serde(deserialize_with = "opt_text", skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(deserialize_with = "required")]
    pub name: String,
    #[serde(with = "version")]
    pub version: i64,
    #[serde(deserialize_with = "required")]
    pub stage: String,
}

/// `POST mlf/registry/decide`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecideRequest {
    #[serde(deserialize_with = "opt_text", skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(deserialize_with = "opt_int")]
    pub id: Option<i64>,
    #[serde(deserialize_with = "flag")]
    pub approve: bool,
}

/// `GET mlf/registry/requests`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListRequests {
    #[serde(deserialize_with = "flag", skip_serializing_if = "is_false")]
    pub all: bool,
    #[serde(deserialize_with = "opt_text", skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// `GET mlf/registry/pending`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingRequest {
    #[serde(deserialize_with = "opt_text", skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    #[serde(deserialize_with = "required")]
    pub name: String,
    #[serde(with = "version")]
    pub version: i64,
}

/// `GET mlf/registry/at`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegistryAt {
    #[serde(deserialize_with = "opt_int")]
    pub at: Option<i64>,
    #[serde(deserialize_with = "required")]
    pub name: String,
}

/// `POST webhooks`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreateWebhook {
    #[serde(deserialize_with = "required")]
    pub name: String,
    #[serde(deserialize_with = "required")]
    pub url: String,
    #[serde(default, deserialize_with = "entities")]
    pub events: Vec<crate::registry::webhooks::WebhookEvent>,
    #[serde(deserialize_with = "opt_text", skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(deserialize_with = "opt_text", skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    #[serde(deserialize_with = "opt_text", skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

/// `PATCH webhooks/{id}`: what is given changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpdateWebhook {
    #[serde(deserialize_with = "opt_text", skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(deserialize_with = "opt_text", skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(
        default,
        deserialize_with = "entities",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub events: Vec<crate::registry::webhooks::WebhookEvent>,
    #[serde(deserialize_with = "opt_text", skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(deserialize_with = "opt_text", skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    #[serde(deserialize_with = "opt_text", skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

/// `GET webhooks`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListWebhooks {
    #[serde(deserialize_with = "opt_int", skip_serializing_if = "Option::is_none")]
    pub max_results: Option<i64>,
    #[serde(deserialize_with = "opt_text", skip_serializing_if = "Option::is_none")]
    pub page_token: Option<String>,
}

/// `POST webhooks/{id}/test`: the event to send an example of (else the webhook's first).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestWebhook {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<crate::registry::webhooks::WebhookEvent>,
}
