//! MLflow Projects: the MLproject file, typed parameters, command templates, and the
//! environments entry points run in (`env.rs`), fetched from directories or git (`fetch.rs`).
//!
//! Stricter than MLflow: `float` and `int` values are checked, `path` values must exist,
//! `uri` values need a scheme, and a malformed MLproject, a missing parameter or an unknown
//! entry point is refused before any run is created.

pub mod envs;
pub mod fetch;
pub mod kube;
mod uri;
mod yaml11;

pub use uri::{is_uri, local_path};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::process::shell_quote;

/// Why a project cannot be run: its MLproject, the entry point or parameters asked for, its
/// environment, or fetching it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read `{}`: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The MLproject file is wrong.
    #[error("{0}")]
    Invalid(String),
    /// The entry point asked for is not the project's.
    #[error("{0}")]
    EntryPoint(String),
    /// A parameter value does not fit its declaration, or is missing.
    #[error("{0}")]
    Param(String),
    /// The environment cannot be planned or built.
    #[error("{0}")]
    Env(String),
    /// The project cannot be fetched or checked out.
    #[error("{0}")]
    Fetch(String),
}

/// A parameter as declared: a bare type (`n: int`, required) or `{type, default}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum RawParam {
    Type(String),
    Full {
        #[serde(rename = "type", default = "default_type")]
        kind: String,
        #[serde(default)]
        default: Option<serde_yaml::Value>,
    },
}

fn default_type() -> String {
    "string".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntryPoint {
    #[serde(default)]
    parameters: BTreeMap<String, Option<RawParam>>,
    command: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum RawEnvVar {
    Copy(String),
    Set(Vec<String>),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDocker {
    image: String,
    #[serde(default)]
    volumes: Vec<String>,
    #[serde(default)]
    environment: Vec<RawEnvVar>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProject {
    name: Option<String>,
    /// Databricks only; accepted so that such files load, and ignored.
    #[allow(dead_code)]
    databricks_spark_job: Option<serde_yaml::Value>,
    #[serde(default)]
    entry_points: BTreeMap<String, RawEntryPoint>,
    conda_env: Option<String>,
    python_env: Option<String>,
    docker_env: Option<RawDocker>,
}

/// A parameter's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamType {
    String,
    Float,
    Int,
    Path,
    Uri,
}

impl ParamType {
    fn parse(s: &str) -> Result<ParamType, Error> {
        Ok(match s {
            "string" | "str" => ParamType::String,
            "float" | "double" => ParamType::Float,
            "int" | "integer" => ParamType::Int,
            "path" => ParamType::Path,
            "uri" => ParamType::Uri,
            other => {
                return Err(Error::Invalid(format!(
                    "unknown parameter type `{other}`: use string, float, int, path or uri"
                )));
            }
        })
    }
}

#[derive(Debug, Clone)]
pub struct Param {
    pub name: String,
    pub kind: ParamType,
    pub default: Option<String>,
}

#[derive(Debug, Clone)]
pub struct EntryPoint {
    pub name: String,
    pub params: Vec<Param>,
    pub command: String,
}

/// The environment a project declares.
#[derive(Debug, Clone, PartialEq)]
pub enum EnvSpec {
    /// Nothing declared.
    None,
    Python(PathBuf),
    Conda(PathBuf),
    Docker(DockerEnv),
}

#[derive(Debug, Clone, PartialEq)]
pub struct DockerEnv {
    pub image: String,
    pub volumes: Vec<String>,
    /// (name, value): `None` copies the host's value (checked to be set when docker runs),
    /// passed as `-e NAME` so that it never shows on a command line.
    pub environment: Vec<(String, Option<String>)>,
}

/// A loaded project.
#[derive(Debug, Clone)]
pub struct Project {
    pub dir: PathBuf,
    pub name: Option<String>,
    pub entry_points: BTreeMap<String, EntryPoint>,
    pub env: EnvSpec,
    /// Whether an MLproject file was found.
    pub has_file: bool,
}

/// The MLproject file of a directory (the name matched case-insensitively).
fn find_file(dir: &Path) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.is_file()
                && p.file_name()
                    .is_some_and(|n| n.to_string_lossy().eq_ignore_ascii_case("MLproject"))
        })
}

/// A default as MLflow passes it: a quoted string as written; a plain scalar as PyYAML
/// resolves its text (YAML 1.1) and Python's `str()` prints it.
fn yaml_scalar(v: &serde_yaml::Value, plain: Option<&str>) -> Option<String> {
    if let Some(text) = plain {
        return yaml11::resolve_plain(text);
    }
    match v {
        serde_yaml::Value::String(s) => Some(s.clone()),
        serde_yaml::Value::Number(_) | serde_yaml::Value::Bool(_) => Some(match v {
            serde_yaml::Value::Bool(true) => "True".into(),
            serde_yaml::Value::Bool(false) => "False".into(),
            other => serde_yaml::to_string(other)
                .unwrap_or_default()
                .trim()
                .to_string(),
        }),
        _ => None,
    }
}

impl Project {
    /// Loads the project in `dir`.
    pub fn load(dir: &Path) -> Result<Project, Error> {
        let Some(file) = find_file(dir) else {
            return Ok(Project {
                dir: dir.to_path_buf(),
                name: None,
                entry_points: BTreeMap::new(),
                env: default_env(dir),
                has_file: false,
            });
        };
        let text = std::fs::read_to_string(&file).map_err(|source| Error::Read {
            path: file.clone(),
            source,
        })?;
        let raw: RawProject = serde_yaml::from_str(&text)
            .map_err(|e| Error::Invalid(format!("invalid MLproject `{}`: {e}", file.display())))?;
        let raw_defaults: yaml11::RawDefaults = serde_yaml::from_str(&text).unwrap_or_default();
        let declared = [
            raw.conda_env.is_some(),
            raw.python_env.is_some(),
            raw.docker_env.is_some(),
        ];
        if declared.iter().filter(|d| **d).count() > 1 {
            return Err(Error::Invalid(format!(
                "invalid MLproject `{}`: give at most one of conda_env, python_env and docker_env",
                file.display()
            )));
        }
        let env_file = |field: &str, rel: &str| -> Result<PathBuf, Error> {
            let p = crate::artifacts::clean_relative(rel).map_err(|_| {
                Error::Invalid(format!(
                    "invalid MLproject: {field} `{rel}` must be a path inside the project"
                ))
            })?;
            let path = dir.join(p);
            if !path.is_file() {
                return Err(Error::Invalid(format!(
                    "invalid MLproject: {field} `{rel}` does not exist in `{}`",
                    dir.display()
                )));
            }
            Ok(path)
        };
        let env = if let Some(c) = &raw.conda_env {
            EnvSpec::Conda(env_file("conda_env", c)?)
        } else if let Some(p) = &raw.python_env {
            EnvSpec::Python(env_file("python_env", p)?)
        } else if let Some(d) = &raw.docker_env {
            if raw.name.is_none() {
                return Err(Error::Invalid(
                    "invalid MLproject: a project with docker_env needs a `name`".into(),
                ));
            }
            let mut environment = Vec::new();
            for var in &d.environment {
                match var {
                    RawEnvVar::Copy(name) => environment.push((name.clone(), None)),
                    RawEnvVar::Set(pair) if pair.len() == 2 => {
                        environment.push((pair[0].clone(), Some(pair[1].clone())))
                    }
                    RawEnvVar::Set(other) => {
                        return Err(Error::Invalid(format!(
                            "invalid MLproject: docker_env environment entry {other:?} must be NAME or [NAME, VALUE]"
                        )));
                    }
                }
            }
            EnvSpec::Docker(DockerEnv {
                image: d.image.clone(),
                volumes: d.volumes.clone(),
                environment,
            })
        } else {
            default_env(dir)
        };
        let mut entry_points = BTreeMap::new();
        for (name, ep) in raw.entry_points {
            let mut params = Vec::new();
            let texts = raw_defaults.entry_points.get(&name);
            for (pname, spec) in ep.parameters {
                let plain = texts
                    .and_then(|t| t.parameters.get(&pname))
                    .and_then(|d| d.0.as_ref())
                    .filter(|t| t.plain_in(&text))
                    .map(|t| t.text.as_str());
                let (kind, default) = match spec {
                    None => (Ok(ParamType::String), None),
                    Some(RawParam::Type(t)) => (ParamType::parse(&t), None),
                    Some(RawParam::Full { kind, default }) => (
                        ParamType::parse(&kind),
                        default.as_ref().and_then(|d| yaml_scalar(d, plain)),
                    ),
                };
                let kind = kind.map_err(|e| {
                    Error::Invalid(format!(
                        "invalid MLproject: entry point `{name}`, parameter `{pname}`: {e}"
                    ))
                })?;
                params.push(Param {
                    name: pname,
                    kind,
                    default,
                });
            }
            check_template(&ep.command, &params).map_err(|e| {
                Error::Invalid(format!("invalid MLproject: entry point `{name}`: {e}"))
            })?;
            entry_points.insert(
                name.clone(),
                EntryPoint {
                    name,
                    params,
                    command: ep.command,
                },
            );
        }
        Ok(Project {
            dir: dir.to_path_buf(),
            name: raw.name,
            entry_points,
            env,
            has_file: true,
        })
    }

    /// The entry point to run: a declared one, else a `.py` or `.sh` file of the project.
    pub fn entry_point(&self, name: &str) -> Result<EntryPoint, Error> {
        if let Some(ep) = self.entry_points.get(name) {
            return Ok(ep.clone());
        }
        let file = crate::artifacts::clean_relative(name)
            .ok()
            .map(|p| self.dir.join(p));
        let runner = if name.ends_with(".py") {
            Some("python")
        } else if name.ends_with(".sh") {
            Some("bash")
        } else {
            None
        };
        if let (Some(runner), Some(file)) = (runner, file) {
            // The file, symlinks followed, must be the project's own.
            let inside = match (
                std::fs::canonicalize(&file),
                std::fs::canonicalize(&self.dir),
            ) {
                (Ok(real), Ok(root)) => real.starts_with(root),
                _ => false,
            };
            if file.is_file() && !inside {
                return Err(Error::EntryPoint(format!(
                    "entry point `{name}` of project `{}` leads outside the project (a symlink): run only the project's own files",
                    self.dir.display()
                )));
            }
            if file.is_file() {
                return Ok(EntryPoint {
                    name: name.into(),
                    params: Vec::new(),
                    command: format!("{runner} {}", shell_quote(name)),
                });
            }
        }
        let declared: Vec<&str> = self.entry_points.keys().map(String::as_str).collect();
        let has = if declared.is_empty() {
            "it declares none".to_string()
        } else {
            format!("it has {}", declared.join(", "))
        };
        Err(Error::EntryPoint(format!(
            "project `{}` has no entry point `{name}` ({has}; a .py or .sh file of the project also works)",
            self.dir.display()
        )))
    }
}

/// Without an env field: `python_env.yaml` if present, else `conda.yaml`, else nothing.
fn default_env(dir: &Path) -> EnvSpec {
    if dir.join("python_env.yaml").is_file() {
        EnvSpec::Python(dir.join("python_env.yaml"))
    } else if dir.join("conda.yaml").is_file() {
        EnvSpec::Conda(dir.join("conda.yaml"))
    } else {
        EnvSpec::None
    }
}

/// Placeholders of a command template: `{name}`; `{{` and `}}` are literal braces.
fn placeholders(template: &str) -> Result<Vec<String>, Error> {
    let mut out = Vec::new();
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
            }
            '{' => {
                let mut name = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some(c) => name.push(c),
                        None => {
                            return Err(Error::Invalid(format!(
                                "unclosed `{{` in command `{template}`"
                            )));
                        }
                    }
                }
                out.push(name);
            }
            '}' => {
                return Err(Error::Invalid(format!(
                    "single `}}` in command `{template}`: write `}}}}` for a literal brace"
                )));
            }
            _ => {}
        }
    }
    Ok(out)
}

fn check_template(template: &str, params: &[Param]) -> Result<(), Error> {
    for name in placeholders(template)? {
        if !params.iter().any(|p| p.name == name) {
            return Err(Error::Invalid(format!(
                "command uses `{{{name}}}`, which is not a declared parameter"
            )));
        }
    }
    Ok(())
}

/// Checked parameter values, in the order to log them.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// Declared parameters: (name, value as passed to the command, unquoted).
    pub declared: Vec<(String, String)>,
    /// Undeclared `-P` parameters, appended as `--key value`.
    pub extra: Vec<(String, String)>,
}

impl Resolved {
    pub fn all(&self) -> Vec<(String, String)> {
        self.declared.iter().chain(&self.extra).cloned().collect()
    }
}

/// Checks and completes parameter values; `cwd` resolves relative `path` values.
pub fn resolve_params(
    ep: &EntryPoint,
    given: &[(String, String)],
    cwd: &Path,
) -> Result<Resolved, Error> {
    let mut declared = Vec::new();
    let mut missing = Vec::new();
    for p in &ep.params {
        let value = given
            .iter()
            .rev()
            .find(|(k, _)| *k == p.name)
            .map(|(_, v)| v.clone())
            .or_else(|| p.default.clone());
        let Some(value) = value else {
            missing.push(format!("`{}`", p.name));
            continue;
        };
        let value = match p.kind {
            ParamType::String => value,
            ParamType::Float => {
                value.trim().parse::<f64>().map_err(|_| {
                    Error::Param(format!(
                        "parameter `{}` must be a float, got `{value}`",
                        p.name
                    ))
                })?;
                value
            }
            ParamType::Int => {
                value.trim().parse::<i64>().map_err(|_| {
                    Error::Param(format!(
                        "parameter `{}` must be an integer, got `{value}`",
                        p.name
                    ))
                })?;
                value
            }
            ParamType::Uri => {
                if !is_uri(&value) {
                    return Err(Error::Param(format!(
                        "parameter `{}` must be a URI with a scheme (such as s3://b/k, runs:/RUN/model or file:///data), got `{value}`",
                        p.name
                    )));
                }
                value
            }
            ParamType::Path => match local_path(&value) {
                Some(local) => {
                    let path = cwd.join(&local);
                    let real = std::fs::canonicalize(&path).map_err(|_| {
                        Error::Param(format!(
                            "parameter `{}` names `{value}`, which does not exist",
                            p.name
                        ))
                    })?;
                    real.display().to_string()
                }
                // A remote URI: the command line downloads it before the run.
                None => value,
            },
        };
        declared.push((p.name.clone(), value));
    }
    if !missing.is_empty() {
        return Err(Error::Param(format!(
            "entry point `{}` needs a value for {}: pass `-P name=value`",
            ep.name,
            missing.join(", ")
        )));
    }
    let mut extra = Vec::new();
    for (k, v) in given {
        if !ep.params.iter().any(|p| p.name == *k)
            && !extra.iter().any(|(e, _): &(String, String)| e == k)
        {
            extra.push((k.clone(), v.clone()));
        }
    }
    Ok(Resolved { declared, extra })
}

/// The entry point's command with values substituted (shell-quoted) and extra parameters
/// appended as `--key value`.
pub fn render_command(ep: &EntryPoint, values: &Resolved) -> String {
    let mut out = String::new();
    let mut chars = ep.command.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '{' => {
                let name: String = chars.by_ref().take_while(|c| *c != '}').collect();
                let value = values
                    .declared
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.as_str())
                    .unwrap_or("");
                out.push_str(&shell_quote(value));
            }
            c => out.push(c),
        }
    }
    for (k, v) in &values.extra {
        out.push_str(&format!(" --{} {}", shell_quote(k), shell_quote(v)));
    }
    out
}

#[cfg(test)]
pub(crate) mod tests;
