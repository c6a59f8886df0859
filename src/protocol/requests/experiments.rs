//! The request messages of `experiments/*`.

use serde::{Deserialize, Serialize};

use super::*;

/// `POST experiments/create`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreateExperiment {
    #[serde(deserialize_with = "required")]
    pub name: String,
    #[serde(deserialize_with = "opt_text", skip_serializing_if = "Option::is_none")]
    pub artifact_location: Option<String>,
    #[serde(deserialize_with = "key_values", skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<KeyValue>,
}

/// `POST|GET experiments/search`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchExperiments {
    #[serde(deserialize_with = "opt_text", skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    #[serde(deserialize_with = "opt_int", skip_serializing_if = "Option::is_none")]
    pub max_results: Option<i64>,
    #[serde(deserialize_with = "opt_text", skip_serializing_if = "Option::is_none")]
    pub page_token: Option<String>,
    #[serde(with = "view_type")]
    pub view_type: ViewType,
    #[serde(deserialize_with = "strings", skip_serializing_if = "Vec::is_empty")]
    pub order_by: Vec<String>,
}

/// `GET experiments/get`, `POST experiments/delete`, `POST experiments/restore`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExperimentId {
    #[serde(deserialize_with = "required")]
    pub experiment_id: String,
}

pub type GetExperiment = ExperimentId;
pub type DeleteExperiment = ExperimentId;
pub type RestoreExperiment = ExperimentId;

/// `GET experiments/get-by-name`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GetExperimentByName {
    #[serde(deserialize_with = "required")]
    pub experiment_name: String,
}

/// `POST experiments/update`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpdateExperiment {
    #[serde(deserialize_with = "required")]
    pub experiment_id: String,
    #[serde(deserialize_with = "required")]
    pub new_name: String,
}

/// `POST experiments/set-experiment-tag`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetExperimentTag {
    #[serde(deserialize_with = "required")]
    pub key: String,
    #[serde(deserialize_with = "text")]
    pub value: String,
    #[serde(deserialize_with = "required")]
    pub experiment_id: String,
}

/// `POST|DELETE experiments/delete-experiment-tag`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeleteExperimentTag {
    #[serde(deserialize_with = "required")]
    pub experiment_id: String,
    #[serde(deserialize_with = "required")]
    pub key: String,
}
