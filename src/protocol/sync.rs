//! mlf's own sync messages (`/api/2.0/mlf/sync/…`), exchanged by `mlf push` and `mlf pull`:
//! a run whole as one unit (a [`RunBundle`]: its row, params, tags and every metric point),
//! a short [`RunDigest`] of a run that tells whether two stores hold the same copy of it, and
//! what merging bundles into a store changed ([`MergeReport`]).

use serde::{Deserialize, Serialize};

/// What tells two copies of a run apart: equal digests, nothing to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunDigest {
    pub run_id: String,
    pub experiment: String,
    pub name: String,
    pub status: String,
    pub end_time: Option<i64>,
    pub lifecycle_stage: String,
    /// A hash of the sorted `key=value` params.
    pub params: String,
    /// A hash of the sorted `key=value` tags.
    pub tags: String,
    pub metric_points: i64,
    pub last_metric_time: Option<i64>,
    /// Artifact files and their bytes.
    pub files: u64,
    pub bytes: u64,
}

/// An experiment as bundles name it (by name; the id is kept where it is free).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExperimentInfo {
    pub experiment_id: String,
    pub name: String,
    pub lifecycle_stage: String,
    pub creation_time: i64,
    #[serde(default)]
    pub tags: Vec<(String, String)>,
}

/// One key's metric history, column by column. Steps and timestamps travel as the difference
/// from the point before (the first from 0), which keeps the JSON short. Values that JSON
/// cannot hold (NaN, ±inf) travel as 0 in `value` and by index in `special`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    pub key: String,
    pub step: Vec<i64>,
    pub timestamp: Vec<i64>,
    pub value: Vec<f64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub special: Vec<(usize, String)>,
    /// The last point's step and timestamp, while pushing.
    #[serde(skip)]
    last: (i64, i64),
}

impl Series {
    /// An empty series of `key`.
    pub fn new(key: &str) -> Series {
        Series {
            key: key.to_string(),
            step: Vec::new(),
            timestamp: Vec::new(),
            value: Vec::new(),
            special: Vec::new(),
            last: (0, 0),
        }
    }

    /// Appends a point.
    pub fn push(&mut self, step: i64, timestamp: i64, value: f64) {
        if !value.is_finite() {
            let name = if value.is_nan() {
                "NaN"
            } else if value > 0.0 {
                "Infinity"
            } else {
                "-Infinity"
            };
            self.special.push((self.value.len(), name.to_string()));
            self.value.push(0.0);
        } else {
            self.value.push(value);
        }
        self.step.push(step.wrapping_sub(self.last.0));
        self.timestamp.push(timestamp.wrapping_sub(self.last.1));
        self.last = (step, timestamp);
    }

    /// The points' timestamps, in order.
    pub fn timestamps(&self) -> impl Iterator<Item = i64> + '_ {
        self.timestamp.iter().scan(0i64, |at, d| {
            *at = at.wrapping_add(*d);
            Some(*at)
        })
    }

    /// The points as (step, timestamp, value), NaN and infinities restored.
    pub fn points(&self) -> Vec<(i64, i64, f64)> {
        let steps = self.step.iter().scan(0i64, |at, d| {
            *at = at.wrapping_add(*d);
            Some(*at)
        });
        let mut out: Vec<(i64, i64, f64)> = steps
            .zip(self.timestamps())
            .zip(&self.value)
            .map(|((step, timestamp), value)| (step, timestamp, *value))
            .collect();
        for (i, name) in &self.special {
            if let Some(p) = out.get_mut(*i) {
                p.2 = match name.as_str() {
                    "Infinity" => f64::INFINITY,
                    "-Infinity" => f64::NEG_INFINITY,
                    _ => f64::NAN,
                };
            }
        }
        out
    }
}

/// A run whole: its row, params, tags and metric histories.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunBundle {
    pub run_id: String,
    /// The experiment's name.
    pub experiment: String,
    pub name: String,
    pub user_id: String,
    pub status: String,
    pub start_time: i64,
    pub end_time: Option<i64>,
    pub lifecycle_stage: String,
    pub deleted_time: Option<i64>,
    pub params: Vec<(String, String)>,
    pub tags: Vec<(String, String)>,
    pub metrics: Vec<Series>,
}

impl RunBundle {
    /// The last time anything happened to this copy of the run: its start, its end, its
    /// deletion, its last metric point. Of two copies, the later one's tags and state win.
    pub fn activity(&self) -> i64 {
        let last_point = self
            .metrics
            .iter()
            .flat_map(|s| s.timestamps())
            .max()
            .unwrap_or(i64::MIN);
        self.start_time
            .max(self.end_time.unwrap_or(i64::MIN))
            .max(self.deleted_time.unwrap_or(i64::MIN))
            .max(last_point)
    }
}

/// Bundles with the experiments they name: the body of `POST mlf/sync/runs` and the answer
/// of `POST mlf/sync/export`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Bundles {
    #[serde(default)]
    pub experiments: Vec<ExperimentInfo>,
    #[serde(default)]
    pub runs: Vec<RunBundle>,
}

/// `POST mlf/sync/digests`: the digests of the runs named (those the store has), or of every
/// run of the experiments named (all experiments when none is).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DigestsRequest {
    #[serde(default)]
    pub run_ids: Option<Vec<String>>,
    #[serde(default)]
    pub experiments: Vec<String>,
}

/// `POST mlf/sync/export`: the bundles of the runs named.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ExportRequest {
    pub run_ids: Vec<String>,
}

/// A param both copies have, with different values: the store's is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParamConflict {
    pub run_id: String,
    pub key: String,
    /// The value the receiving store keeps.
    pub kept: String,
    /// The value that came in and was refused.
    pub refused: String,
}

/// A tag both copies have, with different values: the newer copy's wins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagChange {
    pub run_id: String,
    pub key: String,
    /// The receiving store's value before.
    pub old: String,
    /// The value that came in.
    pub new: String,
    /// The incoming copy was newer: `new` replaced `old`. Otherwise `old` stays.
    pub replaced: bool,
}

/// What merging bundles into a store changed (or would).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MergeReport {
    pub experiments_created: Vec<String>,
    pub runs_created: usize,
    pub runs_updated: usize,
    pub params: usize,
    pub tags: usize,
    pub metric_points: usize,
    pub conflicts: Vec<ParamConflict>,
    pub tag_changes: Vec<TagChange>,
}

impl MergeReport {
    /// Adds another batch's counts.
    pub fn add(&mut self, other: MergeReport) {
        self.experiments_created.extend(other.experiments_created);
        self.runs_created += other.runs_created;
        self.runs_updated += other.runs_updated;
        self.params += other.params;
        self.tags += other.tags;
        self.metric_points += other.metric_points;
        self.conflicts.extend(other.conflicts);
        self.tag_changes.extend(other.tag_changes);
    }
}

/// A registered model whole: its row, tags, aliases and versions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelBundle {
    pub name: String,
    pub description: String,
    pub user_id: String,
    pub creation_time: i64,
    pub last_updated_time: i64,
    pub tags: Vec<(String, String)>,
    pub aliases: Vec<(String, i64)>,
    pub versions: Vec<VersionBundle>,
}

impl ModelBundle {
    /// A hash of what the model holds, where its versions' files are aside: equal in two
    /// stores that hold the same model.
    pub fn digest(&self) -> String {
        let mut plain = self.clone();
        for v in &mut plain.versions {
            v.storage_location.clear();
        }
        let text = serde_json::to_string(&plain).unwrap_or_default();
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in text.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        format!("{h:016x}")
    }
}

/// A model version and where its files are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionBundle {
    pub version: i64,
    pub description: String,
    pub user_id: String,
    pub current_stage: String,
    pub source: String,
    pub run_id: String,
    pub status: String,
    pub deleted: bool,
    pub creation_time: i64,
    pub last_updated_time: i64,
    pub tags: Vec<(String, String)>,
    /// Where the files are in the sending store, relative to it (`registry/NAME/N/…`,
    /// `artifacts/…`), or absolute.
    pub storage_location: String,
}

impl VersionBundle {
    /// The folder of the registry that holds this version's own files (a version registered
    /// from a local path), if that is where they are.
    pub fn registry_files(&self) -> Option<&str> {
        self.storage_location
            .starts_with("registry/")
            .then_some(self.storage_location.as_str())
    }
}

/// A registered model's name and a hash of what the store holds of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelDigest {
    pub name: String,
    pub hash: String,
}

/// `POST mlf/sync/registry/export`: the models named.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ModelsRequest {
    pub names: Vec<String>,
}

/// `POST mlf/sync/registry/merge`: models to merge in.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ModelBundles {
    pub models: Vec<ModelBundle>,
}

/// A version both stores have under the same number, from another source: the receiving
/// store's is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionConflict {
    pub name: String,
    pub version: i64,
    pub kept: String,
    pub refused: String,
}

/// What merging registered models changed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RegistryReport {
    pub models: usize,
    pub versions: usize,
    pub updated: usize,
    pub aliases: usize,
    pub tags: usize,
    pub conflicts: Vec<VersionConflict>,
    /// Versions created whose files are in the sending store's registry folder: their
    /// `storage_location`s, to copy.
    pub files: Vec<String>,
}

impl RegistryReport {
    pub fn add(&mut self, other: RegistryReport) {
        self.models += other.models;
        self.versions += other.versions;
        self.updated += other.updated;
        self.aliases += other.aliases;
        self.tags += other.tags;
        self.conflicts.extend(other.conflicts);
        self.files.extend(other.files);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bundle_travels_as_json_with_nan_and_infinities() {
        let mut s = Series::new("loss");
        s.push(0, 10, 0.5);
        s.push(1, 11, f64::NAN);
        s.push(2, 12, f64::INFINITY);
        s.push(3, 13, f64::NEG_INFINITY);
        let bundles = Bundles {
            experiments: vec![ExperimentInfo {
                experiment_id: "3".into(),
                name: "exp".into(),
                lifecycle_stage: "active".into(),
                creation_time: 1,
                tags: vec![("k".into(), "v".into())],
            }],
            runs: vec![RunBundle {
                run_id: "0123456789abcdef0123456789abcdef".into(),
                experiment: "exp".into(),
                name: "r".into(),
                user_id: "u".into(),
                status: "FINISHED".into(),
                start_time: 5,
                end_time: Some(20),
                lifecycle_stage: "active".into(),
                deleted_time: None,
                params: vec![("lr".into(), "0.1".into())],
                tags: vec![],
                metrics: vec![s],
            }],
        };
        let text = serde_json::to_string(&bundles).unwrap();
        assert!(text.contains(r#""value":[0.5,0.0,0.0,0.0]"#), "{text}");
        assert!(text.contains(r#""timestamp":[10,1,1,1]"#), "{text}");
        let back: Bundles = serde_json::from_str(&text).unwrap();
        let points = back.runs[0].metrics[0].points();
        assert_eq!(points[0], (0, 10, 0.5));
        assert!(points[1].2.is_nan());
        assert_eq!(points[2].2, f64::INFINITY);
        assert_eq!(points[3].2, f64::NEG_INFINITY);
        assert_eq!(back.runs[0].activity(), 20);
        assert_eq!(back.experiments, bundles.experiments);
    }

    #[test]
    fn a_digests_request_names_runs_or_experiments() {
        let r: DigestsRequest = serde_json::from_str(r#"{"experiments": ["a"]}"#).unwrap();
        assert!(r.run_ids.is_none());
        assert_eq!(r.experiments, vec!["a".to_string()]);
        let r: DigestsRequest = serde_json::from_str(r#"{"run_ids": ["x"]}"#).unwrap();
        assert_eq!(r.run_ids, Some(vec!["x".to_string()]));
    }
}
