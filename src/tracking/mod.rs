//! Domain types of tracking, in MLflow's entity shapes (`Experiment`, `Run { info, data }`,
//! `Metric`, `Param`, `RunTag`), plus validation and id generation. Plain serde types, no I/O.

pub mod capture;
pub mod ids;
pub mod validation;

use serde::{Serialize, Serializer};

/// Run status, as MLflow's `RunStatus` enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[clap(rename_all = "lower")]
pub enum RunStatus {
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

/// `active` or `deleted`, for experiments and runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LifecycleStage {
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyValue {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Experiment {
    pub experiment_id: String,
    pub name: String,
    pub artifact_location: String,
    pub lifecycle_stage: LifecycleStage,
    pub last_update_time: i64,
    pub creation_time: i64,
    pub tags: Vec<KeyValue>,
}

/// One metric point.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metric {
    pub key: String,
    #[serde(serialize_with = "serialize_metric_value")]
    pub value: f64,
    pub timestamp: i64,
    pub step: i64,
}

/// NaN and ±inf go out as the strings MLflow uses.
pub fn serialize_metric_value<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    if v.is_nan() {
        s.serialize_str("NaN")
    } else if v.is_infinite() {
        s.serialize_str(if *v > 0.0 { "Infinity" } else { "-Infinity" })
    } else {
        s.serialize_f64(*v)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RunInfo {
    pub run_id: String,
    pub run_uuid: String,
    pub run_name: String,
    pub experiment_id: String,
    pub user_id: String,
    pub status: RunStatus,
    pub start_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_time: Option<i64>,
    pub artifact_uri: String,
    pub lifecycle_stage: LifecycleStage,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct RunData {
    pub metrics: Vec<Metric>,
    pub params: Vec<KeyValue>,
    pub tags: Vec<KeyValue>,
}

/// A run as MLflow shapes it: `info`, `data` (latest metric per key), `inputs`, `outputs`.
#[derive(Debug, Clone, Serialize)]
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
