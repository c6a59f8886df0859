//! Reading an MLflow file store (`mlruns/`): experiments (deleted ones under `.trash/`), runs
//! with params, tags and metric files, the registry under `models/`, and logged models under
//! each experiment's `models/`. Read only; what it finds is written into a scratch database
//! in MLflow's schema, which the SQLite import then reads.

use std::path::{Path, PathBuf};

use serde_yaml::Value;

use crate::store::{
    MlflowData, MlflowExperiment, MlflowLoggedModel, MlflowModel, MlflowRun, MlflowVersion,
};

/// Why a file store could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read `{0}`: {1}")]
    Io(String, #[source] std::io::Error),
    #[error("`{0}` is not MLflow metadata: {1}")]
    Yaml(String, String),
}

fn meta(path: &Path) -> Result<Value, ReadError> {
    let text =
        std::fs::read_to_string(path).map_err(|e| ReadError::Io(path.display().to_string(), e))?;
    serde_yaml::from_str(&text)
        .map_err(|e| ReadError::Yaml(path.display().to_string(), e.to_string()))
}

fn text(v: &Value, key: &str) -> String {
    match &v[key] {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

fn int(v: &Value, key: &str) -> Option<i64> {
    match &v[key] {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// `key → file contents` below a folder of one file per key (keys with `/` are subfolders).
fn key_files(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    walk(dir, dir, &mut |key, path| {
        if let Ok(value) = std::fs::read_to_string(path) {
            out.push((key, value));
        }
    });
    out.sort();
    out
}

fn walk(root: &Path, dir: &Path, f: &mut dyn FnMut(String, &Path)) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(root, &p, f);
        } else if let Ok(rel) = p.strip_prefix(root) {
            f(rel.display().to_string(), &p);
        }
    }
}

fn status_name(code: i64) -> &'static str {
    match code {
        1 => "RUNNING",
        2 => "SCHEDULED",
        4 => "FAILED",
        5 => "KILLED",
        _ => "FINISHED",
    }
}

/// An artifact location made absolute (relative ones are relative to the store's parent).
fn absolute(uri: &str, base: &Path) -> String {
    if uri.is_empty() || uri.contains(":/") || Path::new(uri).is_absolute() {
        uri.to_string()
    } else {
        base.join(uri).display().to_string()
    }
}

fn metric_points(dir: &Path) -> Vec<(String, i64, f64, i64)> {
    let mut out = Vec::new();
    walk(dir, dir, &mut |key, path| {
        let Ok(body) = std::fs::read_to_string(path) else {
            return;
        };
        for line in body.lines() {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 2 {
                continue;
            }
            let (Ok(ts), Ok(value)) = (f[0].parse::<i64>(), f[1].parse::<f64>()) else {
                continue;
            };
            let step = f.get(2).and_then(|s| s.parse().ok()).unwrap_or(0);
            out.push((key.clone(), ts, value, step));
        }
    });
    out
}

/// Everything in the file store at `root`.
pub fn read(root: &Path) -> Result<MlflowData, ReadError> {
    let base = root.parent().unwrap_or(Path::new(".")).to_path_buf();
    let mut data = MlflowData::default();
    let mut exp_dirs: Vec<PathBuf> = Vec::new();
    for dir in [root.to_path_buf(), root.join(".trash")] {
        for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            if e.path().join("meta.yaml").is_file() {
                exp_dirs.push(e.path());
            }
        }
    }
    exp_dirs.sort();
    for dir in exp_dirs {
        let m = meta(&dir.join("meta.yaml"))?;
        let Some(id) = int(&m, "experiment_id") else {
            continue;
        };
        data.experiments.push(MlflowExperiment {
            id,
            name: text(&m, "name"),
            artifact_location: absolute(&text(&m, "artifact_location"), &base),
            lifecycle_stage: text(&m, "lifecycle_stage"),
            creation_time: int(&m, "creation_time").unwrap_or(0),
            last_update_time: int(&m, "last_update_time").unwrap_or(0),
            tags: key_files(&dir.join("tags")),
        });
        for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let run_dir = e.path();
            let file = run_dir.join("meta.yaml");
            if !file.is_file() {
                continue;
            }
            let r = meta(&file)?;
            data.runs.push(MlflowRun {
                run_id: text(&r, "run_id"),
                experiment_id: id,
                name: text(&r, "run_name"),
                user_id: text(&r, "user_id"),
                status: status_name(int(&r, "status").unwrap_or(3)).to_string(),
                start_time: int(&r, "start_time").unwrap_or(0),
                end_time: int(&r, "end_time"),
                lifecycle_stage: text(&r, "lifecycle_stage"),
                deleted_time: int(&r, "deleted_time"),
                artifact_uri: absolute(&text(&r, "artifact_uri"), &base),
                params: key_files(&run_dir.join("params")),
                tags: key_files(&run_dir.join("tags")),
                metrics: metric_points(&run_dir.join("metrics")),
            });
        }
        for e in std::fs::read_dir(dir.join("models"))
            .into_iter()
            .flatten()
            .flatten()
        {
            let file = e.path().join("meta.yaml");
            if !file.is_file() {
                continue;
            }
            let l = meta(&file)?;
            data.logged_models.push(MlflowLoggedModel {
                model_id: text(&l, "model_id"),
                experiment_id: id,
                name: text(&l, "name"),
                artifact_location: absolute(&text(&l, "artifact_location"), &base),
                creation_time: int(&l, "creation_timestamp").unwrap_or(0),
                last_updated_time: int(&l, "last_updated_timestamp").unwrap_or(0),
                status: int(&l, "status").unwrap_or(0),
                lifecycle_stage: text(&l, "lifecycle_stage"),
                model_type: text(&l, "model_type"),
                source_run_id: text(&l, "source_run_id"),
                status_message: text(&l, "status_message"),
                params: key_files(&e.path().join("params")),
                tags: key_files(&e.path().join("tags")),
            });
        }
    }
    for e in std::fs::read_dir(root.join("models"))
        .into_iter()
        .flatten()
        .flatten()
    {
        let file = e.path().join("meta.yaml");
        if !file.is_file() {
            continue;
        }
        let m = meta(&file)?;
        let name = text(&m, "name");
        let aliases = key_files(&e.path().join("aliases"))
            .into_iter()
            .filter_map(|(a, v)| Some((a, v.trim().parse().ok()?)))
            .collect();
        data.models.push(MlflowModel {
            name: name.clone(),
            description: text(&m, "description"),
            creation_time: int(&m, "creation_timestamp").unwrap_or(0),
            last_updated_time: int(&m, "last_updated_timestamp").unwrap_or(0),
            tags: key_files(&e.path().join("tags")),
            aliases,
        });
        for v in std::fs::read_dir(e.path()).into_iter().flatten().flatten() {
            let file = v.path().join("meta.yaml");
            if !v.file_name().to_string_lossy().starts_with("version-") || !file.is_file() {
                continue;
            }
            let m = meta(&file)?;
            data.versions.push(MlflowVersion {
                name: name.clone(),
                version: int(&m, "version").unwrap_or(0),
                description: text(&m, "description"),
                user_id: text(&m, "user_id"),
                stage: text(&m, "current_stage"),
                source: text(&m, "source"),
                run_id: text(&m, "run_id"),
                status: text(&m, "status"),
                creation_time: int(&m, "creation_timestamp").unwrap_or(0),
                last_updated_time: int(&m, "last_updated_timestamp").unwrap_or(0),
                tags: key_files(&v.path().join("tags")),
            });
        }
    }
    Ok(data)
}
