//! The Kubernetes backend of `mlf project run --backend kubernetes`, in MLflow's terms: the
//! backend config (`kubernetes_config.json`: `kube-context`, `repository-uri`,
//! `kube-job-template-path`), the Job template (YAML), and the Job rendered from it — named
//! `<project>-<%Y-%m-%d-%H-%M-%S-%f>`, its first container named after the project, running
//! `<repository>:<tag>@<digest>` with the entry point's command split into words (each quoted
//! as Python's `shlex.quote` does) and the run's variables appended to its `env`.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

/// What is wrong with a backend config, a Job template or a command: one line.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct KubeError(pub String);

impl From<String> for KubeError {
    fn from(m: String) -> KubeError {
        KubeError(m)
    }
}

/// A checked backend config with its Job template.
#[derive(Debug, Clone)]
pub struct KubeConfig {
    /// `kubectl --context` (the current context when absent).
    pub context: Option<String>,
    /// Where the project's image is pushed, such as `registry.example.com/team/project`.
    pub repository: String,
    pub template_path: PathBuf,
    pub template: Value,
    /// The Job's namespace (`metadata.namespace` of the template).
    pub namespace: String,
}

/// Reads and checks `config` (paths in it are relative to `cwd`, as MLflow takes them): every
/// fault is one line naming the file and what to write.
pub fn load(config: &Path, cwd: &Path) -> Result<KubeConfig, KubeError> {
    let shown = config.display();
    let text = std::fs::read_to_string(cwd.join(config))
        .map_err(|e| format!("cannot read the backend config `{shown}`: {e}"))?;
    let v: Value = serde_json::from_str(&text)
        .map_err(|e| format!("the backend config `{shown}` is not JSON: {e}"))?;
    let obj = v
        .as_object()
        .ok_or_else(|| format!("the backend config `{shown}` is not a JSON object"))?;
    let text_of = |key: &str| -> Result<Option<String>, KubeError> {
        match obj.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.clone())),
            Some(other) => Err(KubeError(format!(
                "`{key}` in `{shown}` must be a non-empty string, not {other}"
            ))),
        }
    };
    let repository = text_of("repository-uri")?.ok_or_else(|| {
        format!(
            "the backend config `{shown}` has no `repository-uri`: name the image repository to push to, such as \"registry.example.com/team/project\""
        )
    })?;
    let template_path = text_of("kube-job-template-path")?.ok_or_else(|| {
        format!(
            "the backend config `{shown}` has no `kube-job-template-path`: name the Job template (a YAML file)"
        )
    })?;
    let context = text_of("kube-context")?;
    let template_path = PathBuf::from(template_path);
    let (template, namespace) = load_template(&cwd.join(&template_path), &template_path)?;
    Ok(KubeConfig {
        context,
        repository,
        template_path,
        template,
        namespace,
    })
}

/// The Job template at `path` (`shown` in messages) and its namespace.
fn load_template(path: &Path, shown: &Path) -> Result<(Value, String), KubeError> {
    let shown = shown.display();
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the Job template `{shown}`: {e}"))?;
    let v: Value = serde_yaml::from_str(&text)
        .map_err(|e| format!("the Job template `{shown}` is not valid YAML: {e}"))?;
    if !v.is_object() {
        return Err(format!(
            "the Job template `{shown}` is not a mapping: write a Kubernetes Job (apiVersion: batch/v1, kind: Job)"
        ).into());
    }
    if let Some(kind) = v.get("kind")
        && kind != "Job"
    {
        return Err(format!(
            "the Job template `{shown}` is a {kind}, not a Job: write `kind: Job`"
        )
        .into());
    }
    let namespace = v
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| {
            format!(
                "the Job template `{shown}` has no metadata.namespace: name the namespace the Job is created in"
            )
        })?
        .to_string();
    if !v
        .pointer("/spec/template/spec/containers/0")
        .is_some_and(Value::is_object)
    {
        return Err(format!(
            "the Job template `{shown}` has no spec.template.spec.containers[0]: the project runs in the first container"
        ).into());
    }
    Ok((v, namespace))
}

/// The image tag the project is built and pushed as: the repository, and the first 7
/// characters of the project's git commit when there is one.
pub fn image_tag(repository: &str, commit: Option<&str>) -> String {
    match commit {
        Some(c) => format!("{repository}:{}", &c[..c.len().min(7)]),
        None => repository.to_string(),
    }
}

/// The Job's name: the project's, then the local time to the microsecond.
pub fn job_name(project: &str, now_ms: i64, micros: i64) -> String {
    let at = jiff::Timestamp::from_millisecond(now_ms)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .to_zoned_datetime(jiff::tz::TimeZone::system());
    format!(
        "{project}-{}-{:06}",
        at.strftime("%Y-%m-%d-%H-%M-%S"),
        micros
    )
}

/// The Job: the template with its name, and the first container's name, image, command and
/// the run's variables (after the template's own).
pub fn render(
    config: &KubeConfig,
    job_name: &str,
    project: &str,
    image: &str,
    command: &[String],
    vars: &[(String, String)],
) -> Value {
    let mut job = config.template.clone();
    job["metadata"]["name"] = json!(job_name);
    let container = &mut job["spec"]["template"]["spec"]["containers"][0];
    container["name"] = json!(project);
    container["image"] = json!(image);
    container["command"] = json!(command);
    if !container["env"].is_array() {
        container["env"] = json!([]);
    }
    if let Some(env) = container["env"].as_array_mut() {
        env.extend(vars.iter().map(|(k, v)| json!({ "name": k, "value": v })));
    }
    job
}

/// The entry point's command as the container's `command`: split into words as a POSIX
/// shell would, each word then quoted as Python's `shlex.quote` quotes it.
pub fn command_words(command: &str) -> Result<Vec<String>, KubeError> {
    Ok(split_words(command)?.iter().map(|w| py_quote(w)).collect())
}

/// `shlex.quote`: the safe characters are `process::shell_quote`'s, a single quote inside
/// quotes is written `'"'"'`.
fn py_quote(word: &str) -> String {
    if crate::process::shell_quote(word) == word {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\"'\"'"))
    }
}

/// Words of a command line: blanks separate, single quotes keep everything, double quotes
/// keep all but `\"`, `\\`, `\$` and `` \` ``, a backslash outside quotes keeps the next
/// character.
fn split_words(line: &str) -> Result<Vec<String>, KubeError> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' => {
                if let Some(w) = word.take() {
                    words.push(w);
                }
            }
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => w.push(c),
                        None => return Err(format!("unclosed ' in `{line}`").into()),
                    }
                }
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => w.push(c),
                            Some(c) => {
                                w.push('\\');
                                w.push(c);
                            }
                            None => return Err(format!("unclosed \" in `{line}`").into()),
                        },
                        Some(c) => w.push(c),
                        None => return Err(format!("unclosed \" in `{line}`").into()),
                    }
                }
            }
            '\\' => {
                let w = word.get_or_insert_with(String::new);
                if let Some(c) = chars.next() {
                    w.push(c);
                }
            }
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    if let Some(w) = word {
        words.push(w);
    }
    Ok(words)
}

/// What a Job's status says: still waiting, running, or ended (finished or failed, with the
/// condition's message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobState {
    Waiting,
    Running,
    Complete(String),
    Failed(String),
}

/// The state of a Job from `kubectl get job -o json`, as MLflow reads it: a true `Failed` or
/// `Complete` condition ends it; a start time means it runs.
pub fn job_state(job: &Value) -> JobState {
    let status = &job["status"];
    for c in status["conditions"].as_array().into_iter().flatten() {
        if c["status"] != "True" {
            continue;
        }
        let message = c["message"].as_str().unwrap_or("").to_string();
        match c["type"].as_str() {
            Some("Failed") => return JobState::Failed(message),
            Some("Complete") => return JobState::Complete(message),
            _ => {}
        }
    }
    if status["startTime"].is_string() {
        JobState::Running
    } else {
        JobState::Waiting
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_split_and_quote_as_mlflow_does() {
        let words =
            command_words(r#"python train.py --alpha 0.5 --name "a b" --q 'it''s' x\ y"#).unwrap();
        assert_eq!(
            words,
            [
                "python", "train.py", "--alpha", "0.5", "--name", "'a b'", "--q", "its", "'x y'"
            ]
        );
        assert_eq!(
            command_words("echo \"it's\"").unwrap(),
            ["echo", "'it'\"'\"'s'"]
        );
        assert!(command_words("echo 'open").is_err());
    }

    #[test]
    fn job_states_follow_true_conditions() {
        assert_eq!(job_state(&json!({})), JobState::Waiting);
        assert_eq!(
            job_state(&json!({"status": {"startTime": "t", "active": 1}})),
            JobState::Running
        );
        let failed = json!({"status": {"startTime": "t", "conditions": [
            {"type": "Complete", "status": "False"},
            {"type": "Failed", "status": "True", "message": "BackoffLimitExceeded"}]}});
        assert_eq!(
            job_state(&failed),
            JobState::Failed("BackoffLimitExceeded".into())
        );
    }
}
