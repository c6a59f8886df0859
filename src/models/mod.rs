//! MLflow Models: the MLmodel file (MLflow 2 and 3 variants, unknown keys kept), model URIs,
//! and packing a model directory into a tar.gz and back.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{CliResult, failure, usage_error};
use crate::store::Backend;

/// The MLmodel file. Known keys are typed; every other key is kept as it was.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct MlModel {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub artifact_path: Option<String>,
    #[serde(default)]
    pub flavors: BTreeMap<String, serde_yaml::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_uuid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<Signature>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub utc_time_created: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mlflow_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub saved_input_example_info: Option<serde_yaml::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<serde_yaml::Value>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_yaml::Value>,
}

/// `signature:` — JSON strings, as MLflow writes them.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Signature {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inputs: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outputs: Option<String>,
    #[serde(default)]
    pub params: Option<String>,
}

/// One column or tensor of a signature.
#[derive(Debug, Clone, PartialEq)]
pub struct SpecItem {
    pub name: Option<String>,
    /// `double`, `float`, `long`, …, or the tensor dtype (`float32`).
    pub kind: String,
    pub tensor: bool,
    pub shape: Option<Vec<i64>>,
}

impl Signature {
    /// The input columns or tensors.
    pub fn input_items(&self) -> Vec<SpecItem> {
        parse_spec(self.inputs.as_deref())
    }
}

fn parse_spec(text: Option<&str>) -> Vec<SpecItem> {
    let Some(text) = text else { return Vec::new() };
    let Ok(serde_json::Value::Array(items)) = serde_json::from_str::<serde_json::Value>(text)
    else {
        return Vec::new();
    };
    items
        .iter()
        .map(|i| {
            let tensor = i["type"] == "tensor";
            SpecItem {
                name: i["name"].as_str().map(str::to_string),
                kind: if tensor {
                    i["tensor-spec"]["dtype"].as_str().unwrap_or("").to_string()
                } else {
                    i["type"].as_str().unwrap_or("").to_string()
                },
                tensor,
                shape: i["tensor-spec"]["shape"]
                    .as_array()
                    .map(|a| a.iter().filter_map(|d| d.as_i64()).collect()),
            }
        })
        .collect()
}

impl MlModel {
    pub const FILE: &'static str = "MLmodel";

    /// Reads `<dir>/MLmodel`.
    pub fn load(dir: &Path) -> Result<MlModel, String> {
        let path = dir.join(Self::FILE);
        let text = std::fs::read_to_string(&path).map_err(|_| {
            format!(
                "`{}` is not a model directory: it has no MLmodel file",
                dir.display()
            )
        })?;
        serde_yaml::from_str(&text)
            .map_err(|e| format!("invalid MLmodel `{}`: {e}", path.display()))
    }

    /// Writes `<dir>/MLmodel` (keys sorted, as MLflow writes them).
    pub fn save(&self, dir: &Path) -> Result<(), String> {
        let value =
            serde_yaml::to_value(self).map_err(|e| format!("cannot encode MLmodel: {e}"))?;
        let sorted = sort_keys(value);
        let text =
            serde_yaml::to_string(&sorted).map_err(|e| format!("cannot encode MLmodel: {e}"))?;
        // YAML 1.1 readers (MLflow's) take an unquoted `2026-11-26 12:00:00.1` for a datetime:
        // quote it, as MLflow writes it.
        let text: String = text
            .lines()
            .map(|l| match l.strip_prefix("utc_time_created: ") {
                Some(v) if !v.starts_with(['\'', '"']) => format!("utc_time_created: '{v}'\n"),
                _ => format!("{l}\n"),
            })
            .collect();
        std::fs::write(dir.join(Self::FILE), text)
            .map_err(|e| format!("cannot write `{}`: {e}", dir.join(Self::FILE).display()))
    }

    /// A flavor's configuration.
    pub fn flavor(&self, name: &str) -> Option<&serde_yaml::Value> {
        self.flavors.get(name)
    }

    /// The ONNX file of the `onnx` flavor (its `data`), when the model has one; an error when
    /// it would be read from outside the model directory.
    pub fn onnx_file(&self, dir: &Path) -> Result<Option<PathBuf>, String> {
        let Some(data) = self
            .flavor("onnx")
            .and_then(|f| f.get("data"))
            .and_then(|d| d.as_str())
        else {
            return Ok(None);
        };
        model_file(dir, data, "onnx data").map(Some)
    }
}

/// A file an MLmodel names (`what`, such as `onnx data`), which must be inside the model
/// directory `dir`, symlinks followed.
pub fn model_file(dir: &Path, rel: &str, what: &str) -> Result<PathBuf, String> {
    let outside = || {
        format!(
            "the MLmodel in `{}` names its {what} `{rel}`, which is outside the model directory: a model's files must be inside it",
            dir.display()
        )
    };
    let clean = crate::artifacts::clean_relative(rel).map_err(|_| outside())?;
    let path = dir.join(clean);
    if let (Ok(real), Ok(root)) = (std::fs::canonicalize(&path), std::fs::canonicalize(dir)) {
        if !real.starts_with(&root) {
            return Err(outside());
        }
    }
    Ok(path)
}

impl MlModel {}

fn sort_keys(v: serde_yaml::Value) -> serde_yaml::Value {
    match v {
        serde_yaml::Value::Mapping(m) => {
            let mut entries: Vec<(serde_yaml::Value, serde_yaml::Value)> =
                m.into_iter().map(|(k, v)| (k, sort_keys(v))).collect();
            entries.sort_by(|a, b| a.0.as_str().unwrap_or("").cmp(b.0.as_str().unwrap_or("")));
            serde_yaml::Value::Mapping(entries.into_iter().collect())
        }
        serde_yaml::Value::Sequence(s) => {
            serde_yaml::Value::Sequence(s.into_iter().map(sort_keys).collect())
        }
        other => other,
    }
}

/// Resolves a model URI to a local model directory: a path, `runs:/RUN/PATH`,
/// `models:/NAME/VERSION`, `models:/NAME/STAGE`, `models:/NAME/latest` or `models:/NAME@ALIAS`.
pub fn resolve_uri(store: Option<&dyn Backend>, uri: &str, cwd: &Path) -> CliResult<PathBuf> {
    if uri.starts_with("runs:") || uri.starts_with("models:") {
        let store = store.ok_or_else(|| {
            usage_error(format!(
                "`{uri}` needs a store: run inside a project with `.mlf`, or set `MLF_STORE`"
            ))
        })?;
        if let Some(rest) = uri.strip_prefix("runs:") {
            let rest = rest.trim_start_matches('/');
            let (run, path) = rest.split_once('/').unwrap_or((rest, ""));
            let rel =
                crate::artifacts::clean_relative(path).map_err(|e| usage_error(e.to_string()))?;
            let id = store.resolve_run(run, None)?;
            let run = store.run(&id)?;
            let repo = store.artifacts(&run)?;
            let Some(local) = repo.local_root() else {
                let key = format!("run-{id}-{}", rel.display());
                return download(&key, |scratch| {
                    repo.materialize(&rel, scratch)
                        .map_err(|e| crate::store::Error::Remote(e.to_string()))
                });
            };
            let dir = local.join(rel);
            let root = std::fs::canonicalize(local).unwrap_or_default();
            let real = std::fs::canonicalize(&dir)
                .map_err(|_| usage_error(format!("run {} has no artifact `{path}`", &id[..8])))?;
            if !real.starts_with(&root) {
                return Err(usage_error(format!(
                    "`{uri}` leads outside the run's artifacts"
                )));
            }
            return Ok(real);
        }
        let version = crate::ops::registry::resolve_model(store, uri)?;
        if store.local().is_some() {
            return Ok(store.version_files(&version, Path::new(""))?);
        }
        let key = format!("model-{}-{}", version.name, version.version);
        return download(&key, |scratch| store.version_files(&version, scratch));
    }
    if uri.contains("://") {
        return Err(usage_error(format!(
            "`{uri}`: only local paths, runs:/ and models:/ URIs name models here"
        )));
    }
    let path = cwd.join(uri);
    std::fs::canonicalize(&path).map_err(|_| usage_error(format!("no model directory `{uri}`")))
}

/// Downloads a remote model with `fetch` (given a scratch directory, it returns the model's
/// path inside it) into the cache at `downloads/<key>`, replacing an older copy, and returns
/// its local path.
fn download(
    key: &str,
    fetch: impl FnOnce(&Path) -> crate::store::Result<PathBuf>,
) -> CliResult<PathBuf> {
    let safe: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let base = crate::project::fetch::cache_dir().join("downloads");
    let scratch = base.join(format!(
        ".{safe}.{}.{}",
        std::process::id(),
        crate::tracking::ids::new_run_id()
    ));
    std::fs::create_dir_all(&scratch)
        .map_err(|e| failure(format!("cannot create `{}`: {e}", scratch.display())))?;
    let got = match fetch(&scratch) {
        Ok(p) => p,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&scratch);
            return Err(e.into());
        }
    };
    let dest = base.join(&safe);
    let _ = std::fs::remove_dir_all(&dest);
    std::fs::rename(&scratch, &dest).map_err(|e| {
        failure(format!(
            "cannot move the download to `{}`: {e}",
            dest.display()
        ))
    })?;
    Ok(dest.join(got.strip_prefix(&scratch).unwrap_or(Path::new(""))))
}

/// Packs a directory into a gzipped tar, entries sorted and with fixed metadata, so the same
/// directory always gives the same bytes and unpacks to the same files.
pub fn pack(dir: &Path, out: &Path) -> CliResult<()> {
    let file = std::fs::File::create(out)
        .map_err(|e| failure(format!("cannot create `{}`: {e}", out.display())))?;
    let gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    tar.mode(tar::HeaderMode::Deterministic);
    tar.follow_symlinks(false);
    let mut files = Vec::new();
    collect(dir, dir, &mut files)
        .map_err(|e| failure(format!("cannot read `{}`: {e}", dir.display())))?;
    files.sort();
    for rel in files {
        let full = dir.join(&rel);
        let meta = std::fs::symlink_metadata(&full)
            .map_err(|e| failure(format!("cannot read `{}`: {e}", full.display())))?;
        if meta.file_type().is_symlink() {
            return Err(usage_error(format!(
                "`{}` is a symlink: model directories hold plain files only",
                full.display()
            )));
        }
        if meta.is_dir() {
            tar.append_dir(&rel, &full)
                .map_err(|e| failure(format!("cannot pack `{}`: {e}", full.display())))?;
        } else {
            let mut f = std::fs::File::open(&full)
                .map_err(|e| failure(format!("cannot read `{}`: {e}", full.display())))?;
            tar.append_file(&rel, &mut f)
                .map_err(|e| failure(format!("cannot pack `{}`: {e}", full.display())))?;
        }
    }
    let gz = tar
        .into_inner()
        .map_err(|e| failure(format!("cannot write `{}`: {e}", out.display())))?;
    gz.finish()
        .map_err(|e| failure(format!("cannot write `{}`: {e}", out.display())))?;
    Ok(())
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let rel = path.strip_prefix(root).expect("inside root").to_path_buf();
        out.push(rel);
        if entry.file_type()?.is_dir() {
            collect(root, &path, out)?;
        }
    }
    Ok(())
}

/// Unpacks a model archive into a new directory, refusing entries that would land outside it.
pub fn unpack(archive: &Path, dest: &Path) -> CliResult<()> {
    ensure_new_dir(dest)?;
    let file = std::fs::File::open(archive)
        .map_err(|_| usage_error(format!("no archive `{}`", archive.display())))?;
    let created = !dest.exists();
    let result = unpack_into(file, archive, dest);
    if result.is_err() && created {
        let _ = std::fs::remove_dir_all(dest);
    }
    result
}

fn unpack_into(file: std::fs::File, archive: &Path, dest: &Path) -> CliResult<()> {
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
    std::fs::create_dir_all(dest)
        .map_err(|e| failure(format!("cannot create `{}`: {e}", dest.display())))?;
    let entries = tar.entries().map_err(|e| {
        usage_error(format!(
            "`{}` is not a model archive: {e}",
            archive.display()
        ))
    })?;
    for entry in entries {
        let mut entry =
            entry.map_err(|e| usage_error(format!("`{}` is damaged: {e}", archive.display())))?;
        let path = entry
            .path()
            .map_err(|e| usage_error(format!("bad entry in `{}`: {e}", archive.display())))?
            .into_owned();
        let kind = entry.header().entry_type();
        if !(kind.is_file() || kind.is_dir()) {
            let _ = std::fs::remove_dir_all(dest);
            return Err(usage_error(format!(
                "`{}` holds `{}`, which is not a plain file: refusing it",
                archive.display(),
                path.display()
            )));
        }
        let rel = crate::artifacts::clean_relative(&path.to_string_lossy()).map_err(|_| {
            let _ = std::fs::remove_dir_all(dest);
            usage_error(format!(
                "`{}` holds `{}`, which leads outside the model directory",
                archive.display(),
                path.display()
            ))
        })?;
        if !entry
            .unpack_in(dest)
            .map_err(|e| failure(format!("cannot unpack `{}`: {e}", rel.display())))?
        {
            let _ = std::fs::remove_dir_all(dest);
            return Err(usage_error(format!(
                "`{}` holds `{}`, which leads outside the model directory",
                archive.display(),
                path.display()
            )));
        }
    }
    if !dest.join(MlModel::FILE).is_file() {
        let _ = std::fs::remove_dir_all(dest);
        return Err(usage_error(format!(
            "`{}` holds no MLmodel file: it is not a model archive",
            archive.display()
        )));
    }
    Ok(())
}

/// Refuses a directory that exists and holds anything: outputs go to new (or empty) folders.
pub fn ensure_new_dir(dir: &Path) -> CliResult<()> {
    let used = dir.exists()
        && std::fs::read_dir(dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true);
    if used {
        return Err(usage_error(format!(
            "`{}` exists and is not empty: choose a new directory",
            dir.display()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_mlmodel_makes_loading_panic() {
        const PIECES: [&str; 30] = [
            "flavors:\n",
            "  onnx:\n",
            "    data: model.onnx\n",
            "    data: ../x\n",
            "  python_function:\n",
            "    loader_module: mlflow.sklearn\n",
            "  sklearn:\n",
            "    pickled_model: /etc/passwd\n",
            "signature:\n",
            "  inputs: '[{\"type\": \"double\", \"name\": \"a\"}]'\n",
            "  inputs: '[{\"type\": \"tensor\", \"tensor-spec\": {\"dtype\": \"float32\", \"shape\": [-1, 4]}}]'\n",
            "  outputs: '[{'\n",
            "  inputs: '{}'\n",
            "utc_time_created: '2026-01-01'\n",
            "model_uuid: 1\n",
            "run_id: ~\n",
            "- ",
            "  ",
            ": ",
            "{",
            "}",
            "[",
            "'",
            "\"",
            "é",
            "\n",
            "&a ",
            "*a ",
            "!!binary ",
            "~",
        ];
        let dir = tempfile::tempdir().unwrap();
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..2000 {
            let text = crate::project::tests::random_yaml(&mut seed, &PIECES);
            std::fs::write(dir.path().join(MlModel::FILE), &text).unwrap();
            if let Ok(model) = MlModel::load(dir.path()) {
                let _ = model.onnx_file(dir.path());
                if let Some(sig) = &model.signature {
                    let _ = sig.input_items();
                }
            }
        }
    }
}
