//! MLflow's wire conventions, spelled once for the server and the REST client: how a metric
//! value travels (a number, or the strings `NaN`, `Infinity`, `-Infinity`), how an int64 may
//! arrive (a number or a decimal string), and how text fields may arrive (a string, a number,
//! or null). The entity types (`tracking::{Experiment, Run, Metric, …}`, `registry::{
//! RegisteredModel, ModelVersion, …}`) use these in their serde attributes, so that what
//! `mlf server` writes is exactly what `store::rest` reads; the request messages both sides
//! exchange are defined here.

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::tracking::Metric;

pub mod requests;
pub mod sync;

pub use requests::LogBatchRequest;

/// The MLflow release whose REST API the server implements, as `GET /version` answers it:
/// MLflow's clients gate features on it (span logging needs 3.4 or later).
pub const MLFLOW_API_VERSION: &str = "3.17.2";

/// A metric value: finite numbers as numbers, NaN and ±inf as MLflow's strings.
pub mod metric_value {
    use super::*;

    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        if v.is_nan() {
            s.serialize_str("NaN")
        } else if v.is_infinite() {
            s.serialize_str(if *v > 0.0 { "Infinity" } else { "-Infinity" })
        } else {
            s.serialize_f64(*v)
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = f64;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a number, NaN, Infinity or -Infinity")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
                Ok(v)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
                Ok(v as f64)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
                Ok(v as f64)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<f64, E> {
                crate::tracking::validation::parse_metric_value("value", v).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// An int64 that may arrive as a number or a decimal string (protobuf's JSON mapping).
pub mod int64 {
    use super::*;

    pub fn serialize<S: Serializer>(v: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(*v)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = i64;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an integer or a decimal string")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
                Ok(v)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
                i64::try_from(v).map_err(E::custom)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<i64, E> {
                Ok(v as i64)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<i64, E> {
                v.trim().parse().map_err(E::custom)
            }
            fn visit_unit<E: de::Error>(self) -> Result<i64, E> {
                Ok(0)
            }
        }
        d.deserialize_any(V)
    }
}

/// An optional int64 (absent or null is `None`), as [`int64`] otherwise.
pub mod opt_int64 {
    use super::*;

    pub fn serialize<S: Serializer>(v: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.serialize_i64(*v),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        #[derive(Deserialize)]
        struct Wrap(#[serde(with = "super::int64")] i64);
        Ok(Option::<Wrap>::deserialize(d)?.map(|w| w.0))
    }
}

/// Text that may arrive as a string, a number (a version `1`), a boolean, or null (empty).
pub mod text {
    use super::*;

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        Ok(match serde_json::Value::deserialize(d)? {
            serde_json::Value::String(s) => s,
            serde_json::Value::Null => String::new(),
            other => other.to_string(),
        })
    }
}

/// One metric point of a request (`runs/log-metric`, `runs/log-batch`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricMsg {
    #[serde(deserialize_with = "requests::required")]
    pub key: String,
    #[serde(
        serialize_with = "metric_value::serialize",
        deserialize_with = "requests::req_metric_value"
    )]
    pub value: f64,
    #[serde(
        serialize_with = "int64::serialize",
        deserialize_with = "requests::req_int"
    )]
    pub timestamp: i64,
    #[serde(
        serialize_with = "int64::serialize",
        deserialize_with = "requests::int_or_zero",
        default
    )]
    pub step: i64,
    /// The logged model the metric is also about, and the dataset it was measured on.
    #[serde(
        default,
        deserialize_with = "requests::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub model_id: Option<String>,
    #[serde(
        default,
        deserialize_with = "requests::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub dataset_name: Option<String>,
    #[serde(
        default,
        deserialize_with = "requests::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub dataset_digest: Option<String>,
}

impl From<&Metric> for MetricMsg {
    fn from(m: &Metric) -> MetricMsg {
        MetricMsg {
            key: m.key.clone(),
            value: m.value,
            timestamp: m.timestamp,
            step: m.step,
            model_id: None,
            dataset_name: None,
            dataset_digest: None,
        }
    }
}

impl From<MetricMsg> for Metric {
    fn from(m: MetricMsg) -> Metric {
        Metric {
            key: m.key,
            value: m.value,
            timestamp: m.timestamp,
            step: m.step,
        }
    }
}

/// MLflow's per-request limits of `runs/log-batch`.
pub const MAX_BATCH_METRICS: usize = 1000;
pub const MAX_BATCH_PARAMS_AND_TAGS: usize = 100;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{Alias, ModelVersion, RegisteredModel};
    use crate::tracking::KeyValue;
    use crate::tracking::{Experiment, LifecycleStage, Run, RunData, RunInfo, RunStatus};

    /// What one side writes, the other reads back whole.
    fn round_trip<T: Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug>(v: &T) {
        let text = serde_json::to_string(v).unwrap();
        let back: T = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
        assert_eq!(&back, v, "{text}");
    }

    fn kv(k: &str, v: &str) -> KeyValue {
        KeyValue {
            key: k.into(),
            value: v.into(),
        }
    }

    #[test]
    fn metric_values_travel_as_numbers_or_mlflows_strings() {
        for v in [0.5, -3.0, 1e300, f64::INFINITY, f64::NEG_INFINITY] {
            round_trip(&MetricMsg {
                key: "k".into(),
                value: v,
                timestamp: 1,
                step: 2,
                model_id: None,
                dataset_name: None,
                dataset_digest: None,
            });
        }
        let nan: MetricMsg =
            serde_json::from_str(r#"{"key":"k","value":"NaN","timestamp":"17"}"#).unwrap();
        assert!(nan.value.is_nan());
        assert_eq!((nan.timestamp, nan.step), (17, 0));
        let text = serde_json::to_string(&nan).unwrap();
        assert!(text.contains(r#""value":"NaN""#), "{text}");
    }

    #[test]
    fn every_message_round_trips() {
        round_trip(&LogBatchRequest {
            run_id: "a".repeat(32),
            metrics: vec![MetricMsg {
                key: "loss".into(),
                value: 0.25,
                timestamp: 1_700_000_000_000,
                step: 3,
                model_id: None,
                dataset_name: None,
                dataset_digest: None,
            }],
            params: vec![kv("lr", "0.1")],
            tags: vec![kv("mlflow.runName", "r")],
        });
        round_trip(&Experiment {
            experiment_id: "3".into(),
            name: "e".into(),
            artifact_location: "mlflow-artifacts:/3".into(),
            lifecycle_stage: LifecycleStage::Deleted,
            last_update_time: 5,
            creation_time: 4,
            tags: vec![kv("t", "v")],
        });
        let id = "b".repeat(32);
        round_trip(&Run {
            info: RunInfo {
                run_id: id.clone(),
                run_uuid: id,
                run_name: "r".into(),
                experiment_id: "0".into(),
                user_id: "u".into(),
                status: RunStatus::Finished,
                start_time: 1,
                end_time: Some(2),
                artifact_uri: "mlflow-artifacts:/0/b/artifacts".into(),
                lifecycle_stage: LifecycleStage::Active,
            },
            data: RunData {
                metrics: vec![Metric {
                    key: "m".into(),
                    value: f64::INFINITY,
                    timestamp: 1,
                    step: 0,
                }],
                params: vec![kv("p", "1")],
                tags: vec![],
            },
            inputs: Default::default(),
            outputs: Default::default(),
            owner: None,
        });
        let version = ModelVersion {
            name: "m".into(),
            version: "2".into(),
            creation_timestamp: 1,
            last_updated_timestamp: 2,
            user_id: "u".into(),
            current_stage: "Staging".into(),
            description: "d".into(),
            source: "runs:/x/model".into(),
            run_id: "x".into(),
            status: "READY".into(),
            tags: vec![kv("k", "v")],
            aliases: vec!["champ".into()],
            storage_location: String::new(),
        };
        round_trip(&version);
        round_trip(&RegisteredModel {
            name: "m".into(),
            creation_timestamp: 1,
            last_updated_timestamp: 2,
            user_id: "u".into(),
            description: String::new(),
            latest_versions: vec![version],
            tags: vec![],
            aliases: vec![Alias {
                alias: "champ".into(),
                version: "2".into(),
            }],
        });
    }
}
