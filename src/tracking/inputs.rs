//! What a run took in (MLflow's `RunInputs`): datasets, each with the tags of its use in the
//! run (`mlflow.data.context`: train, eval…), and logged models; and the metrics a logged
//! model was given. Serialized in MLflow's JSON shape.

use serde::{Deserialize, Serialize};

use super::KeyValue;

/// A dataset as MLflow describes it: identified by name and digest within an experiment.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Dataset {
    pub name: String,
    pub digest: String,
    pub source_type: String,
    pub source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
}

/// A dataset a run used, with the tags of that use.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DatasetInput {
    #[serde(default)]
    pub tags: Vec<KeyValue>,
    pub dataset: Dataset,
}

impl DatasetInput {
    /// The `mlflow.data.context` tag: what the run used the dataset for.
    pub fn context(&self) -> Option<&str> {
        self.tags
            .iter()
            .find(|t| t.key == "mlflow.data.context")
            .map(|t| t.value.as_str())
    }
}

/// A logged model a run used.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ModelInput {
    pub model_id: String,
}

/// Everything a run took in.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RunInputs {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dataset_inputs: Vec<DatasetInput>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub model_inputs: Vec<ModelInput>,
}

impl RunInputs {
    pub fn is_empty(&self) -> bool {
        self.dataset_inputs.is_empty() && self.model_inputs.is_empty()
    }
}

/// A metric of a logged model: the run that logged it, and the dataset it was measured on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelMetric {
    pub key: String,
    #[serde(with = "crate::protocol::metric_value")]
    pub value: f64,
    pub timestamp: i64,
    pub step: i64,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub run_id: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub dataset_name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub dataset_digest: String,
    pub model_id: String,
}
