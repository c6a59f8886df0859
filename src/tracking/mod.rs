//! Domain types of tracking, in MLflow's entity shapes (`Experiment`, `Run { info, data }`,
//! `Metric`, `Param`, `RunTag`), plus validation and id generation. Plain serde types, no I/O.

pub mod capture;
pub mod ids;
pub mod inputs;
pub mod system;
pub mod validation;

use serde::{Deserialize, Deserializer, Serialize};

use crate::protocol::{int64, text};

/// Run status, as MLflow's `RunStatus` enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, clap::ValueEnum)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[clap(rename_all = "lower")]
pub enum RunStatus {
    #[default]
    Running,
    Scheduled,
    Finished,
    Failed,
    Killed,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "RUNNING",
            RunStatus::Scheduled => "SCHEDULED",
            RunStatus::Finished => "FINISHED",
            RunStatus::Failed => "FAILED",
            RunStatus::Killed => "KILLED",
        }
    }

    pub fn parse(s: &str) -> Option<RunStatus> {
        Some(match s.to_ascii_uppercase().as_str() {
            "RUNNING" => RunStatus::Running,
            "SCHEDULED" => RunStatus::Scheduled,
            "FINISHED" => RunStatus::Finished,
            "FAILED" => RunStatus::Failed,
            "KILLED" => RunStatus::Killed,
            _ => return None,
        })
    }

    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            RunStatus::Finished | RunStatus::Failed | RunStatus::Killed
        )
    }
}

impl<'de> Deserialize<'de> for RunStatus {
    /// Any case; an unknown status reads as RUNNING, as the server has not ended the run.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<RunStatus, D::Error> {
        let s = String::deserialize(d)?;
        Ok(RunStatus::parse(&s).unwrap_or_default())
    }
}

/// `active` or `deleted`, for experiments and runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LifecycleStage {
    #[default]
    Active,
    Deleted,
}

impl LifecycleStage {
    pub fn as_str(self) -> &'static str {
        match self {
            LifecycleStage::Active => "active",
            LifecycleStage::Deleted => "deleted",
        }
    }

    pub fn parse(s: &str) -> LifecycleStage {
        if s == "deleted" {
            LifecycleStage::Deleted
        } else {
            LifecycleStage::Active
        }
    }
}

impl<'de> Deserialize<'de> for LifecycleStage {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<LifecycleStage, D::Error> {
        Ok(LifecycleStage::parse(&String::deserialize(d)?))
    }
}

/// Which lifecycle stages a listing includes (MLflow's `ViewType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewType {
    ActiveOnly,
    DeletedOnly,
    All,
}

impl ViewType {
    /// The SQL condition on a `lifecycle_stage` column.
    pub fn sql(self, column: &str) -> String {
        match self {
            ViewType::ActiveOnly => format!("{column} = 'active'"),
            ViewType::DeletedOnly => format!("{column} = 'deleted'"),
            ViewType::All => "1".to_string(),
        }
    }
}

/// A key/value pair: experiment tag, run tag or param.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyValue {
    #[serde(deserialize_with = "text::deserialize", default)]
    pub key: String,
    #[serde(deserialize_with = "text::deserialize", default)]
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Experiment {
    #[serde(deserialize_with = "text::deserialize")]
    pub experiment_id: String,
    #[serde(deserialize_with = "text::deserialize")]
    pub name: String,
    #[serde(deserialize_with = "text::deserialize")]
    pub artifact_location: String,
    pub lifecycle_stage: LifecycleStage,
    #[serde(with = "int64")]
    pub last_update_time: i64,
    #[serde(with = "int64")]
    pub creation_time: i64,
    pub tags: Vec<KeyValue>,
}

/// One metric point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    #[serde(deserialize_with = "text::deserialize", default)]
    pub key: String,
    #[serde(with = "crate::protocol::metric_value")]
    pub value: f64,
    #[serde(with = "int64", default)]
    pub timestamp: i64,
    #[serde(with = "int64", default)]
    pub step: i64,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RunInfo {
    #[serde(deserialize_with = "text::deserialize")]
    pub run_id: String,
    #[serde(deserialize_with = "text::deserialize")]
    pub run_uuid: String,
    #[serde(deserialize_with = "text::deserialize")]
    pub run_name: String,
    #[serde(deserialize_with = "text::deserialize")]
    pub experiment_id: String,
    #[serde(deserialize_with = "text::deserialize")]
    pub user_id: String,
    pub status: RunStatus,
    #[serde(with = "int64")]
    pub start_time: i64,
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::protocol::opt_int64::deserialize"
    )]
    pub end_time: Option<i64>,
    #[serde(deserialize_with = "text::deserialize")]
    pub artifact_uri: String,
    pub lifecycle_stage: LifecycleStage,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RunData {
    pub metrics: Vec<Metric>,
    pub params: Vec<KeyValue>,
    pub tags: Vec<KeyValue>,
}

/// A run as MLflow shapes it: `info`, `data` (latest metric per key), `inputs`, `outputs`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Run {
    pub info: RunInfo,
    pub data: RunData,
    pub inputs: serde_json::Map<String, serde_json::Value>,
    pub outputs: serde_json::Map<String, serde_json::Value>,
    /// Process that owns a RUNNING run (`mlf run -- CMD`), to tell a dead run from a live one.
    #[serde(skip)]
    pub owner: Option<Owner>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub pid: u32,
    pub host: String,
}

impl Run {
    pub fn param(&self, key: &str) -> Option<&str> {
        self.data
            .params
            .iter()
            .find(|p| p.key == key)
            .map(|p| p.value.as_str())
    }

    pub fn tag(&self, key: &str) -> Option<&str> {
        self.data
            .tags
            .iter()
            .find(|p| p.key == key)
            .map(|p| p.value.as_str())
    }

    pub fn metric(&self, key: &str) -> Option<&Metric> {
        self.data.metrics.iter().find(|m| m.key == key)
    }

    /// Wall time in ms: up to `end_time`, or up to `now` while running.
    pub fn duration_ms(&self, now: i64) -> Option<i64> {
        match (self.info.end_time, self.info.status) {
            (Some(end), _) => Some((end - self.info.start_time).max(0)),
            (None, RunStatus::Running) => Some((now - self.info.start_time).max(0)),
            _ => None,
        }
    }
}

/// Reserved tag names (MLflow's and mlf's own).
pub mod tags {
    pub const RUN_NAME: &str = "mlflow.runName";
    pub const USER: &str = "mlflow.user";
    pub const SOURCE_NAME: &str = "mlflow.source.name";
    pub const SOURCE_TYPE: &str = "mlflow.source.type";
    pub const GIT_COMMIT: &str = "mlflow.source.git.commit";
    pub const GIT_BRANCH: &str = "mlflow.source.git.branch";
    pub const GIT_REPO_URL: &str = "mlflow.source.git.repoURL";
    pub const GIT_DIRTY: &str = "mlf.source.git.dirty";
    pub const COMMAND: &str = "mlf.command";
    pub const EXIT_CODE: &str = "mlf.exitCode";
    pub const SIGNAL: &str = "mlf.signal";
}
