//! The request messages of `runs/*`, `metrics/*`, `artifacts/list` and `logged-models/*`.

use serde::{Deserialize, Serialize};

use super::*;
use crate::protocol::MetricMsg;

/// `POST runs/create`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreateRun {
    #[serde(deserialize_with = "opt_text", skip_serializing_if = "Option::is_none")]
    pub experiment_id: Option<String>,
    #[serde(deserialize_with = "key_values", skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<KeyValue>,
    #[serde(deserialize_with = "opt_text", skip_serializing_if = "Option::is_none")]
    pub run_name: Option<String>,
    #[serde(deserialize_with = "opt_text", skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(deserialize_with = "opt_int", skip_serializing_if = "Option::is_none")]
    pub start_time: Option<i64>,
}

/// `POST runs/update`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpdateRun {
    #[serde(deserialize_with = "required")]
    pub run_id: String,
    #[serde(deserialize_with = "opt_text", skip_serializing_if = "Option::is_none")]
    pub run_name: Option<String>,
    #[serde(with = "run_status", skip_serializing_if = "Option::is_none")]
    pub status: Option<RunStatus>,
    #[serde(deserialize_with = "opt_int", skip_serializing_if = "Option::is_none")]
    pub end_time: Option<i64>,
}

/// The messages that name a run only: `runs/get`, `runs/delete`, `runs/restore`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunId {
    #[serde(deserialize_with = "required")]
    pub run_id: String,
}

pub type GetRun = RunId;
pub type DeleteRun = RunId;
pub type RestoreRun = RunId;

/// `POST runs/log-inputs`: the datasets (with the tags of their use) and logged models a run
/// took in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogInputs {
    #[serde(deserialize_with = "required")]
    pub run_id: String,
    #[serde(
        default,
        deserialize_with = "entities",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub datasets: Vec<crate::tracking::inputs::DatasetInput>,
    #[serde(
        default,
        deserialize_with = "entities",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub models: Vec<crate::tracking::inputs::ModelInput>,
}

/// `POST runs/log-metric`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogMetric {
    #[serde(deserialize_with = "required")]
    pub run_id: String,
    #[serde(deserialize_with = "required")]
    pub key: String,
    #[serde(
        serialize_with = "crate::protocol::metric_value::serialize",
        deserialize_with = "req_metric_value"
    )]
    pub value: f64,
    #[serde(deserialize_with = "req_int")]
    pub timestamp: i64,
    #[serde(deserialize_with = "opt_int", skip_serializing_if = "Option::is_none")]
    pub step: Option<i64>,
    /// The logged model the metric is also about, and the dataset it was measured on.
    #[serde(deserialize_with = "opt_text", skip_serializing_if = "Option::is_none")]
    pub model_id: Option<String>,
    #[serde(deserialize_with = "opt_text", skip_serializing_if = "Option::is_none")]
    pub dataset_name: Option<String>,
    #[serde(deserialize_with = "opt_text", skip_serializing_if = "Option::is_none")]
    pub dataset_digest: Option<String>,
}

/// `POST runs/log-parameter` and `POST runs/set-tag`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunKeyValue {
    #[serde(deserialize_with = "required")]
    pub run_id: String,
    #[serde(deserialize_with = "required")]
    pub key: String,
    #[serde(deserialize_with = "text")]
    pub value: String,
}

pub type LogParam = RunKeyValue;
pub type SetTag = RunKeyValue;

/// `POST|DELETE runs/delete-tag`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeleteTag {
    #[serde(deserialize_with = "required")]
    pub run_id: String,
    #[serde(deserialize_with = "required")]
    pub key: String,
}

/// `POST|GET runs/search`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchRuns {
    #[serde(deserialize_with = "opt_int", skip_serializing_if = "Option::is_none")]
    pub max_results: Option<i64>,
    #[serde(deserialize_with = "opt_text", skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    #[serde(deserialize_with = "strings", skip_serializing_if = "Vec::is_empty")]
    pub order_by: Vec<String>,
    #[serde(with = "view_type")]
    pub run_view_type: ViewType,
    #[serde(deserialize_with = "strings")]
    pub experiment_ids: Vec<String>,
    #[serde(deserialize_with = "opt_text", skip_serializing_if = "Option::is_none")]
    pub page_token: Option<String>,
}

/// `POST runs/log-batch`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogBatchRequest {
    #[serde(deserialize_with = "required")]
    pub run_id: String,
    #[serde(default, deserialize_with = "messages")]
    pub metrics: Vec<MetricMsg>,
    #[serde(default, deserialize_with = "key_values")]
    pub params: Vec<KeyValue>,
    #[serde(default, deserialize_with = "key_values")]
    pub tags: Vec<KeyValue>,
}

impl LogBatchRequest {
    /// A log-batch body in its plainest form (every text a JSON string, every number a JSON
    /// number, no field null or repeated), decoded in one pass without building a JSON tree:
    /// the hot path of a tracking server. `None` for a body in any other form; the general
    /// decoder ([`decode`]) reads those, with MLflow's rules and error texts, and gives the
    /// same message for every body this one accepts.
    pub fn from_plain_json(body: &[u8]) -> Option<LogBatchRequest> {
        #[derive(Deserialize)]
        struct Plain {
            run_id: String,
            #[serde(default)]
            metrics: Vec<PlainMetric>,
            #[serde(default)]
            params: Vec<PlainText>,
            #[serde(default)]
            tags: Vec<PlainText>,
        }
        #[derive(Deserialize)]
        struct PlainMetric {
            key: String,
            value: f64,
            timestamp: i64,
            #[serde(default)]
            step: i64,
            #[serde(default)]
            model_id: Option<String>,
            #[serde(default)]
            dataset_name: Option<String>,
            #[serde(default)]
            dataset_digest: Option<String>,
        }
        #[derive(Deserialize)]
        struct PlainText {
            key: String,
            value: String,
        }
        let plain: Plain = serde_json::from_slice(body).ok()?;
        if plain.run_id.is_empty() || plain.metrics.iter().any(|m| m.key.is_empty()) {
            return None;
        }
        let texts = |list: Vec<PlainText>| {
            list.into_iter()
                .map(|t| KeyValue {
                    key: t.key,
                    value: t.value,
                })
                .collect()
        };
        Some(LogBatchRequest {
            run_id: plain.run_id,
            metrics: plain
                .metrics
                .into_iter()
                .map(|m| MetricMsg {
                    key: m.key,
                    value: m.value,
                    timestamp: m.timestamp,
                    step: m.step,
                    model_id: m.model_id,
                    dataset_name: m.dataset_name,
                    dataset_digest: m.dataset_digest,
                })
                .collect(),
            params: texts(plain.params),
            tags: texts(plain.tags),
        })
    }
}

/// `POST runs/log-model`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogModel {
    #[serde(deserialize_with = "required")]
    pub run_id: String,
    #[serde(deserialize_with = "required")]
    pub model_json: String,
}

/// One model a run output (`runs/outputs`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelOutput {
    pub model_id: String,
    pub step: i64,
}

/// `POST runs/outputs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogOutputs {
    #[serde(deserialize_with = "required")]
    pub run_id: String,
    #[serde(deserialize_with = "model_outputs")]
    pub models: Vec<ModelOutput>,
}

/// Required; a single entry is a list of one; entries without a text `model_id` are left out.
fn model_outputs<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<ModelOutput>, D::Error> {
    let v = Value::deserialize(d)?;
    if v.is_null() {
        return Err(fail(missing(KEY)));
    }
    Ok(list(v)
        .iter()
        .filter_map(|m| {
            Some(ModelOutput {
                model_id: m.get("model_id")?.as_str()?.to_string(),
                step: m.get("step").and_then(Value::as_i64).unwrap_or(0),
            })
        })
        .collect())
}

/// `GET metrics/get-history`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GetMetricHistory {
    #[serde(deserialize_with = "required")]
    pub run_id: String,
    #[serde(deserialize_with = "required")]
    pub metric_key: String,
    #[serde(deserialize_with = "opt_int", skip_serializing_if = "Option::is_none")]
    pub max_results: Option<i64>,
    #[serde(deserialize_with = "opt_text", skip_serializing_if = "Option::is_none")]
    pub page_token: Option<String>,
}

/// `GET metrics/get-history-bulk-interval`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GetMetricHistoryBulkInterval {
    #[serde(deserialize_with = "run_ids")]
    pub run_ids: Vec<String>,
    #[serde(deserialize_with = "required")]
    pub metric_key: String,
    #[serde(deserialize_with = "intlike", skip_serializing_if = "Option::is_none")]
    pub start_step: Option<i64>,
    #[serde(deserialize_with = "intlike", skip_serializing_if = "Option::is_none")]
    pub end_step: Option<i64>,
    #[serde(deserialize_with = "intlike", skip_serializing_if = "Option::is_none")]
    pub max_results: Option<i64>,
}

/// A required, non-empty list of run ids, each a text.
fn run_ids<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Err(fail(missing(KEY))),
        Value::Array(a) if a.is_empty() => Err(fail(missing(KEY))),
        Value::Array(a) => a
            .iter()
            .map(|v| {
                v.as_str().map(str::to_string).ok_or_else(|| {
                    fail(format!(
                        "Invalid value {v} for parameter '{KEY}' supplied: Hint: every run id must be a string. {SEE_DOCS}"
                    ))
                })
            })
            .collect(),
        other => Err(fail(format!(
            "Invalid value {other} for parameter '{KEY}' supplied: Hint: Value was not a list. {SEE_DOCS}"
        ))),
    }
}

/// `GET /ajax-api/2.0/mlflow/metrics/get-history-bulk` (the web UI's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GetMetricHistoryBulk {
    #[serde(deserialize_with = "strings")]
    pub run_id: Vec<String>,
    #[serde(deserialize_with = "opt_text", skip_serializing_if = "Option::is_none")]
    pub metric_key: Option<String>,
    #[serde(deserialize_with = "intlike", skip_serializing_if = "Option::is_none")]
    pub max_results: Option<i64>,
}

/// `GET artifacts/list`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListArtifacts {
    #[serde(deserialize_with = "required")]
    pub run_id: String,
    #[serde(deserialize_with = "text", skip_serializing_if = "String::is_empty")]
    pub path: String,
}

/// `POST logged-models`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreateLoggedModel {
    #[serde(deserialize_with = "required")]
    pub experiment_id: String,
    #[serde(deserialize_with = "text", skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(deserialize_with = "text", skip_serializing_if = "String::is_empty")]
    pub model_type: String,
    #[serde(deserialize_with = "text", skip_serializing_if = "String::is_empty")]
    pub source_run_id: String,
    #[serde(deserialize_with = "key_values", skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<KeyValue>,
    #[serde(deserialize_with = "key_values", skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<KeyValue>,
}

/// `POST logged-models/search`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchLoggedModels {
    #[serde(deserialize_with = "strings")]
    pub experiment_ids: Vec<String>,
    #[serde(deserialize_with = "opt_text", skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    #[serde(deserialize_with = "opt_int", skip_serializing_if = "Option::is_none")]
    pub max_results: Option<i64>,
    #[serde(deserialize_with = "opt_text", skip_serializing_if = "Option::is_none")]
    pub page_token: Option<String>,
}

/// `PATCH logged-models/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FinalizeLoggedModel {
    #[serde(deserialize_with = "required")]
    pub status: String,
}

/// `PATCH logged-models/{id}/tags`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetLoggedModelTags {
    #[serde(deserialize_with = "key_values")]
    pub tags: Vec<KeyValue>,
}

/// `POST logged-models/{id}/params`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogLoggedModelParams {
    #[serde(deserialize_with = "key_values")]
    pub params: Vec<KeyValue>,
}

/// `GET logged-models/{id}/artifacts/directories`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListLoggedModelArtifacts {
    #[serde(deserialize_with = "text", skip_serializing_if = "String::is_empty")]
    pub artifact_directory_path: String,
}
