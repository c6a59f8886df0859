//! MLflow Models: the MLmodel file (MLflow 2 and 3 variants, unknown keys kept), model URIs,
//! and packing a model directory into a tar.gz and back.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::store::{self, Backend};

/// Why a model directory, URI or archive cannot be used. `Store` and `Io` are failures of the
/// operation; the others are the input's fault.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("`{}` is not a model directory: it has no MLmodel file", .0.display())]
    NotAModel(PathBuf),
    #[error("invalid MLmodel `{}`: {source}", path.display())]
    BadMlModel {
        path: PathBuf,
        source: serde_yaml::Error,
    },
    #[error("cannot encode MLmodel: {0}")]
    Encode(serde_yaml::Error),
    #[error(
        "the MLmodel in `{}` names its {what} `{rel}`, which is outside the model directory: a model's files must be inside it",
        dir.display()
    )]
    Outside {
        dir: PathBuf,
        what: String,
        rel: String,
    },
    #[error("`{0}` needs a store: run inside a project with `.mlf`, or set `MLF_STORE`")]
    NeedsStore(String),
    #[error("{0}")]
    BadPath(crate::artifacts::Error),
    #[error("run {run} has no artifact `{path}`")]
    NoArtifact { run: String, path: String },
    #[error("`{0}` leads outside the run's artifacts")]
    LeavesRun(String),
    #[error("`{0}`: only local paths, runs:/ and models:/ URIs name models here")]
    NotLocal(String),
    #[error("no model directory `{0}`")]
    NoModelDir(String),
    #[error("`{}` is a symlink: model directories hold plain files only", .0.display())]
    Symlink(PathBuf),
    #[error("no archive `{}`", .0.display())]
    NoArchive(PathBuf),
    #[error("`{}` is not a model archive: {source}", archive.display())]
    NotAnArchive {
        archive: PathBuf,
        source: std::io::Error,
    },
    #[error("`{}` is damaged: {source}", archive.display())]
    Damaged {
        archive: PathBuf,
        source: std::io::Error,
    },
    #[error("bad entry in `{}`: {source}", archive.display())]
    BadEntry {
        archive: PathBuf,
        source: std::io::Error,
    },
    #[error("`{}` holds `{}`, which is not a plain file: refusing it", archive.display(), entry.display())]
    NotPlainFile { archive: PathBuf, entry: PathBuf },
    #[error("`{}` holds `{}`, which leads outside the model directory", archive.display(), entry.display())]
    Escapes { archive: PathBuf, entry: PathBuf },
    #[error("`{}` holds no MLmodel file: it is not a model archive", .0.display())]
    NoMlModel(PathBuf),
    #[error("`{}` exists and is not empty: choose a new directory", .0.display())]
    NotEmpty(PathBuf),
    /// A file operation failed: `doing` is the verb (`create`, `read`, `move the download to`).
    #[error("cannot {doing} `{}`: {source}", path.display())]
    Io {
        doing: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] store::Error),
}

impl Error {
    /// Whether the error is the input's fault rather than the operation's.
    pub fn is_usage(&self) -> bool {
        !matches!(self, Error::Io { .. } | Error::Store(_) | Error::Encode(_))
    }
}

/// An `Error::Io` maker for `map_err`.
fn io(doing: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.to_path_buf();
    move |source| Error::Io {
        doing,
        path,
        source,
    }
}

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

    /// The output columns or tensors.
    pub fn output_items(&self) -> Vec<SpecItem> {
        parse_spec(self.outputs.as_deref())
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
    pub fn load(dir: &Path) -> Result<MlModel, Error> {
        let path = dir.join(Self::FILE);
        let text =
            std::fs::read_to_string(&path).map_err(|_| Error::NotAModel(dir.to_path_buf()))?;
        serde_yaml::from_str(&text).map_err(|source| Error::BadMlModel { path, source })
    }

    /// Writes `<dir>/MLmodel` (keys sorted, as MLflow writes them).
    pub fn save(&self, dir: &Path) -> Result<(), Error> {
        let value = serde_yaml::to_value(self).map_err(Error::Encode)?;
        let sorted = sort_keys(value);
        let text = serde_yaml::to_string(&sorted).map_err(Error::Encode)?;
        // YAML 1.1 readers (MLflow's) take an unquoted `2026-11-26 12:00:00.1` for a datetime:
        // quote it, as MLflow writes it.
        let text: String = text
            .lines()
            .map(|l| match l.strip_prefix("utc_time_created: ") {
                Some(v) if !v.starts_with(['\'', '"']) => format!("utc_time_created: '{v}'\n"),
                _ => format!("{l}\n"),
            })
            .collect();
        let path = dir.join(Self::FILE);
        std::fs::write(&path, text).map_err(io("write", &path))
    }

    /// A flavor's configuration.
    pub fn flavor(&self, name: &str) -> Option<&serde_yaml::Value> {
        self.flavors.get(name)
    }

    /// The ONNX file of the `onnx` flavor (its `data`), when the model has one; an error when
    /// it would be read from outside the model directory.
    pub fn onnx_file(&self, dir: &Path) -> Result<Option<PathBuf>, Error> {
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
pub fn model_file(dir: &Path, rel: &str, what: &str) -> Result<PathBuf, Error> {
    let outside = || Error::Outside {
        dir: dir.to_path_buf(),
        what: what.to_string(),
        rel: rel.to_string(),
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
pub fn resolve_uri(store: Option<&dyn Backend>, uri: &str, cwd: &Path) -> Result<PathBuf, Error> {
    if uri.starts_with("runs:") || uri.starts_with("models:") {
        let store = store.ok_or_else(|| Error::NeedsStore(uri.to_string()))?;
        if let Some(rest) = uri.strip_prefix("runs:") {
            let rest = rest.trim_start_matches('/');
            let (run, path) = rest.split_once('/').unwrap_or((rest, ""));
            let rel = crate::artifacts::clean_relative(path).map_err(Error::BadPath)?;
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
            let dir = local.join(&rel);
            let mut root = std::fs::canonicalize(local).unwrap_or_default();
            let real = match std::fs::canonicalize(&dir) {
                Ok(real) => real,
                // Not an artifact of the run: a logged model it made, named so (MLflow 3).
                Err(_) => match store.local().map(|s| s.run_logged_model_path(&id, &rel)) {
                    Some(Ok(Some((m, dir)))) => {
                        root = std::fs::canonicalize(
                            store
                                .local()
                                .map(|s| s.logged_model_dir(&m))
                                .unwrap_or_default(),
                        )
                        .unwrap_or_default();
                        std::fs::canonicalize(&dir).map_err(|_| Error::NoArtifact {
                            run: id[..8].to_string(),
                            path: path.to_string(),
                        })?
                    }
                    _ => {
                        return Err(Error::NoArtifact {
                            run: id[..8].to_string(),
                            path: path.to_string(),
                        });
                    }
                },
            };
            if !real.starts_with(&root) {
                return Err(Error::LeavesRun(uri.to_string()));
            }
            return Ok(real);
        }
        // `models:/m-<id>`: a logged model (MLflow 3).
        let logged = uri
            .strip_prefix("models:")
            .map(|r| r.trim_start_matches('/'))
            .filter(|r| r.starts_with("m-") && !r.contains('/') && !r.contains('@'));
        if let (Some(id), Some(local)) = (logged, store.local()) {
            let m = local.logged_model(id)?;
            let dir = local.logged_model_dir(&m);
            return std::fs::canonicalize(&dir).map_err(|_| Error::NoModelDir(uri.to_string()));
        }
        let version = crate::ops::registry::resolve_model(store, uri)?;
        if store.local().is_some() {
            return Ok(store.version_files(&version, Path::new(""))?);
        }
        let key = format!("model-{}-{}", version.name, version.version);
        return download(&key, |scratch| store.version_files(&version, scratch));
    }
    if uri.contains("://") {
        return Err(Error::NotLocal(uri.to_string()));
    }
    let path = cwd.join(uri);
    std::fs::canonicalize(&path).map_err(|_| Error::NoModelDir(uri.to_string()))
}

/// Downloads a remote model with `fetch` (given a scratch directory, it returns the model's
/// path inside it) into the cache at `downloads/<key>`, replacing an older copy, and returns
/// its local path.
fn download(
    key: &str,
    fetch: impl FnOnce(&Path) -> crate::store::Result<PathBuf>,
) -> Result<PathBuf, Error> {
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
    std::fs::create_dir_all(&scratch).map_err(io("create", &scratch))?;
    let got = match fetch(&scratch) {
        Ok(p) => p,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&scratch);
            return Err(e.into());
        }
    };
    let dest = base.join(&safe);
    let _ = std::fs::remove_dir_all(&dest);
    std::fs::rename(&scratch, &dest).map_err(io("move the download to", &dest))?;
    Ok(dest.join(got.strip_prefix(&scratch).unwrap_or(Path::new(""))))
}

/// Packs a directory into a gzipped tar, entries sorted and with fixed metadata, so the same
/// directory always gives the same bytes and unpacks to the same files.
pub fn pack(dir: &Path, out: &Path) -> Result<(), Error> {
    let file = std::fs::File::create(out).map_err(io("create", out))?;
    let gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    tar.mode(tar::HeaderMode::Deterministic);
    tar.follow_symlinks(false);
    let mut files = Vec::new();
    collect(dir, dir, &mut files).map_err(io("read", dir))?;
    files.sort();
    for rel in files {
        let full = dir.join(&rel);
        let meta = std::fs::symlink_metadata(&full).map_err(io("read", &full))?;
        if meta.file_type().is_symlink() {
            return Err(Error::Symlink(full));
        }
        if meta.is_dir() {
            tar.append_dir(&rel, &full).map_err(io("pack", &full))?;
        } else {
            let mut f = std::fs::File::open(&full).map_err(io("read", &full))?;
            tar.append_file(&rel, &mut f).map_err(io("pack", &full))?;
        }
    }
    let gz = tar.into_inner().map_err(io("write", out))?;
    gz.finish().map_err(io("write", out))?;
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
pub fn unpack(archive: &Path, dest: &Path) -> Result<(), Error> {
    ensure_new_dir(dest)?;
    let file = std::fs::File::open(archive).map_err(|_| Error::NoArchive(archive.to_path_buf()))?;
    let created = !dest.exists();
    let result = unpack_into(file, archive, dest);
    if result.is_err() && created {
        let _ = std::fs::remove_dir_all(dest);
    }
    result
}

fn unpack_into(file: std::fs::File, archive: &Path, dest: &Path) -> Result<(), Error> {
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
    std::fs::create_dir_all(dest).map_err(io("create", dest))?;
    let archive = archive.to_path_buf();
    let entries = tar.entries().map_err(|source| Error::NotAnArchive {
        archive: archive.clone(),
        source,
    })?;
    let escapes = |entry: &Path| Error::Escapes {
        archive: archive.clone(),
        entry: entry.to_path_buf(),
    };
    for entry in entries {
        let mut entry = entry.map_err(|source| Error::Damaged {
            archive: archive.clone(),
            source,
        })?;
        let path = entry
            .path()
            .map_err(|source| Error::BadEntry {
                archive: archive.clone(),
                source,
            })?
            .into_owned();
        let kind = entry.header().entry_type();
        if !(kind.is_file() || kind.is_dir()) {
            let _ = std::fs::remove_dir_all(dest);
            return Err(Error::NotPlainFile {
                archive,
                entry: path,
            });
        }
        let rel = crate::artifacts::clean_relative(&path.to_string_lossy()).map_err(|_| {
            let _ = std::fs::remove_dir_all(dest);
            escapes(&path)
        })?;
        if !entry.unpack_in(dest).map_err(io("unpack", &rel))? {
            let _ = std::fs::remove_dir_all(dest);
            return Err(escapes(&path));
        }
    }
    if !dest.join(MlModel::FILE).is_file() {
        let _ = std::fs::remove_dir_all(dest);
        return Err(Error::NoMlModel(archive));
    }
    Ok(())
}

/// Refuses a directory that exists and holds anything: outputs go to new (or empty) folders.
pub fn ensure_new_dir(dir: &Path) -> Result<(), Error> {
    let used = dir.exists()
        && std::fs::read_dir(dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true);
    if used {
        return Err(Error::NotEmpty(dir.to_path_buf()));
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
