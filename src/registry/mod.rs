//! The model registry's domain: registered models and versions in MLflow's shapes, stages,
//! alias rules, `models:/` URIs, the approval policy from `.mlf/config.toml`, and times.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::protocol::{int64, text};

use crate::tracking::KeyValue;

pub mod webhooks;

/// A registry rule broken: a stage, model name, alias, `models:/` URI or time that cannot be
/// used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("invalid stage `{0}`: use None, Staging, Production or Archived")]
    Stage(String),
    #[error("model name is empty: give a name such as `churn-classifier`")]
    EmptyModelName,
    #[error("model name is {0} characters long: the limit is 256")]
    LongModelName(usize),
    #[error("invalid model name `{0}`: names cannot contain `/`, `\\`, `:` or start with `.`")]
    ModelNameChars(String),
    #[error("alias is empty: give a name such as `champion`")]
    EmptyAlias,
    #[error("alias is {0} characters long: the limit is 255")]
    LongAlias(usize),
    #[error("invalid alias `{alias}`: {bad:?} is not allowed; use letters, digits, `_` and `-`")]
    AliasChar { alias: String, bad: char },
    #[error("alias `latest` is reserved (it always means the newest version)")]
    AliasLatest,
    #[error("alias `{0}` is reserved: `v<number>` names a version")]
    AliasVersion(String),
    #[error(
        "invalid model URI `{uri}`: {why}; use models:/NAME/VERSION, models:/NAME/STAGE, models:/NAME/latest or models:/NAME@ALIAS"
    )]
    ModelUri { uri: String, why: String },
    #[error(
        "invalid time `{0}`: use 2026-11-01, 2026-11-01T12:00, 2026-11-01T12:00:00Z or milliseconds since the epoch"
    )]
    Time(String),
}

/// Why the approval policy (`.mlf/config.toml`) cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("cannot read `{}`: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid `{}`: {why}", path.display())]
    Invalid { path: PathBuf, why: String },
}

/// MLflow's stages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Stage {
    None,
    Staging,
    Production,
    Archived,
}

impl Stage {
    pub const ALL: [Stage; 4] = [
        Stage::None,
        Stage::Staging,
        Stage::Production,
        Stage::Archived,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::None => "None",
            Stage::Staging => "Staging",
            Stage::Production => "Production",
            Stage::Archived => "Archived",
        }
    }

    /// Case-insensitive, as MLflow.
    pub fn parse(s: &str) -> Result<Stage, Error> {
        Stage::ALL
            .into_iter()
            .find(|st| st.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| Error::Stage(s.to_string()))
    }
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A version of a registered model, as MLflow's `ModelVersion`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ModelVersion {
    #[serde(deserialize_with = "text::deserialize")]
    pub name: String,
    #[serde(deserialize_with = "text::deserialize")]
    pub version: String,
    #[serde(with = "int64")]
    pub creation_timestamp: i64,
    #[serde(with = "int64")]
    pub last_updated_timestamp: i64,
    #[serde(deserialize_with = "text::deserialize")]
    pub user_id: String,
    #[serde(deserialize_with = "text::deserialize")]
    pub current_stage: String,
    #[serde(deserialize_with = "text::deserialize")]
    pub description: String,
    #[serde(deserialize_with = "text::deserialize")]
    pub source: String,
    #[serde(deserialize_with = "text::deserialize")]
    pub run_id: String,
    #[serde(deserialize_with = "text::deserialize")]
    pub status: String,
    pub tags: Vec<KeyValue>,
    pub aliases: Vec<String>,
    /// Where the model's files are (inside the store); not part of MLflow's message.
    #[serde(skip)]
    pub storage_location: String,
}

impl Default for ModelVersion {
    /// What an MLflow server leaves out: no stage is `None`, no status is `READY`.
    fn default() -> ModelVersion {
        ModelVersion {
            name: String::new(),
            version: String::new(),
            creation_timestamp: 0,
            last_updated_timestamp: 0,
            user_id: String::new(),
            current_stage: "None".into(),
            description: String::new(),
            source: String::new(),
            run_id: String::new(),
            status: "READY".into(),
            tags: Vec::new(),
            aliases: Vec::new(),
            storage_location: String::new(),
        }
    }
}

/// An alias of a registered model.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Alias {
    #[serde(deserialize_with = "text::deserialize")]
    pub alias: String,
    #[serde(deserialize_with = "text::deserialize")]
    pub version: String,
}

/// A registered model, as MLflow's `RegisteredModel`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RegisteredModel {
    #[serde(deserialize_with = "text::deserialize")]
    pub name: String,
    #[serde(with = "int64")]
    pub creation_timestamp: i64,
    #[serde(with = "int64")]
    pub last_updated_timestamp: i64,
    #[serde(deserialize_with = "text::deserialize")]
    pub user_id: String,
    #[serde(deserialize_with = "text::deserialize")]
    pub description: String,
    /// For each stage in use, the highest version in it.
    pub latest_versions: Vec<ModelVersion>,
    pub tags: Vec<KeyValue>,
    pub aliases: Vec<Alias>,
}

/// One entry of a model's history.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Event {
    pub id: i64,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// `create_model`, `register`, `stage`, `alias`, `unalias`, `request`, `approve`, `reject`,
    /// `delete_version`, `delete_model`, `describe`, `tag`, `untag`.
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    pub actor: String,
    pub timestamp: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// A request to move a version into a stage, and its decision.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TransitionRequest {
    pub id: i64,
    pub name: String,
    pub version: String,
    pub to_stage: String,
    /// `pending`, `approved`, `rejected` or `used` (an approved request a promotion consumed).
    pub status: String,
    pub requested_by: String,
    pub requested_at: i64,
    pub comment: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision_comment: Option<String>,
}

/// Checks a registered model name: non-empty, at most 256 characters, no `/` or `:`, and no
/// `..`, so that it can name a directory inside the store.
pub fn validate_model_name(name: &str) -> Result<(), Error> {
    if name.trim().is_empty() {
        return Err(Error::EmptyModelName);
    }
    if name.chars().count() > 256 {
        return Err(Error::LongModelName(name.chars().count()));
    }
    if name.contains(['/', ':', '\\', '\0']) || name == "." || name == ".." || name.starts_with('.')
    {
        return Err(Error::ModelNameChars(name.to_string()));
    }
    Ok(())
}

/// Checks an alias: `[A-Za-z0-9_-]`, at most 255 characters; `latest` and `v<digits>` are
/// reserved (as MLflow).
pub fn validate_alias(alias: &str) -> Result<(), Error> {
    if alias.is_empty() {
        return Err(Error::EmptyAlias);
    }
    if alias.len() > 255 {
        return Err(Error::LongAlias(alias.len()));
    }
    if let Some(bad) = alias
        .chars()
        .find(|c| !(c.is_alphanumeric() || *c == '_' || *c == '-'))
    {
        return Err(Error::AliasChar {
            alias: alias.to_string(),
            bad,
        });
    }
    if alias.eq_ignore_ascii_case("latest") {
        return Err(Error::AliasLatest);
    }
    let mut chars = alias.chars();
    if matches!(chars.next(), Some('v' | 'V'))
        && alias.len() > 1
        && chars.all(|c| c.is_ascii_digit())
    {
        return Err(Error::AliasVersion(alias.to_string()));
    }
    Ok(())
}

/// A parsed `models:/` URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelRef {
    Version(String, u32),
    Stage(String, Stage),
    Latest(String),
    Alias(String, String),
}

/// Parses `models:/NAME/VERSION`, `models:/NAME/STAGE`, `models:/NAME/latest`,
/// `models:/NAME@ALIAS` (extra leading slashes tolerated).
pub fn parse_model_uri(uri: &str) -> Result<ModelRef, Error> {
    let bad = |why: &str| Error::ModelUri {
        uri: uri.to_string(),
        why: why.to_string(),
    };
    let rest = uri
        .strip_prefix("models:")
        .ok_or_else(|| bad("it does not start with models:"))?;
    let rest = rest.trim_start_matches('/');
    if rest.is_empty() {
        return Err(bad("no model name"));
    }
    if let Some((name, alias)) = rest.rsplit_once('@') {
        if name.is_empty() || alias.is_empty() || name.contains('/') {
            return Err(bad(
                "an alias needs a name before `@` and an alias after it",
            ));
        }
        return Ok(ModelRef::Alias(name.to_string(), alias.to_string()));
    }
    let parts: Vec<&str> = rest.split('/').collect();
    if parts.len() != 2 || parts[0].is_empty() || parts[1].is_empty() {
        return Err(bad(
            "expected exactly a name and a version, stage or `latest`",
        ));
    }
    let (name, what) = (parts[0].to_string(), parts[1]);
    if let Ok(v) = what.parse::<u32>() {
        return Ok(ModelRef::Version(name, v));
    }
    if what.eq_ignore_ascii_case("latest") {
        return Ok(ModelRef::Latest(name));
    }
    Stage::parse(what)
        .map(|s| ModelRef::Stage(name, s))
        .map_err(|_| bad(&format!("`{what}` is not a version, stage or `latest`")))
}

/// The approval policy (`[registry]` in `.mlf/config.toml`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Stages that need an approved request before a version enters them.
    #[serde(default)]
    pub protected_stages: Vec<String>,
    /// Whether the person who asked may approve their own request.
    #[serde(default)]
    pub allow_self_approval: bool,
}

#[derive(Debug, Default, Deserialize)]
struct ConfigFile {
    #[serde(default)]
    registry: Policy,
}

impl Policy {
    /// Reads `<store>/config.toml`; a missing file is the default (nothing protected).
    pub fn read(store_root: &Path) -> Result<Policy, PolicyError> {
        let path = store_root.join("config.toml");
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Policy::default()),
            Err(source) => return Err(PolicyError::Read { path, source }),
        };
        let file: ConfigFile = toml::from_str(&text).map_err(|e| PolicyError::Invalid {
            path: path.clone(),
            why: e.message().to_string(),
        })?;
        for s in &file.registry.protected_stages {
            Stage::parse(s).map_err(|e| PolicyError::Invalid {
                path: path.clone(),
                why: format!("protected_stages: {e}"),
            })?;
        }
        Ok(file.registry)
    }

    pub fn is_protected(&self, stage: Stage) -> bool {
        self.protected_stages
            .iter()
            .any(|s| s.eq_ignore_ascii_case(stage.as_str()))
    }
}

/// Parses a point in time: milliseconds since the epoch, `YYYY-MM-DD`, or
/// `YYYY-MM-DDTHH:MM[:SS]` with an optional `Z` or `±HH:MM` (without one: local time).
pub fn parse_time(s: &str) -> Result<i64, Error> {
    let bad = || Error::Time(s.to_string());
    if let Ok(ms) = s.parse::<i64>() {
        return Ok(ms);
    }
    let (date, rest) = s.split_once(['T', ' ']).unwrap_or((s, ""));
    let d: Vec<&str> = date.split('-').collect();
    if d.len() != 3 {
        return Err(bad());
    }
    let num = |t: &str| t.parse::<i64>().map_err(|_| bad());
    let (year, month, day) = (num(d[0])?, num(d[1])?, num(d[2])?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return Err(bad());
    }
    let (clock, offset) = if let Some(c) = rest.strip_suffix('Z') {
        (c, Some(0))
    } else if let Some(pos) = rest.rfind(['+', '-']).filter(|p| *p > 0) {
        let (c, o) = rest.split_at(pos);
        let sign = if o.starts_with('-') { -1 } else { 1 };
        let (oh, om) = o[1..].split_once(':').unwrap_or((&o[1..], "0"));
        (c, Some(sign * (num(oh)? * 60 + num(om)?)))
    } else {
        (rest, None)
    };
    let t: Vec<&str> = if clock.is_empty() {
        vec![]
    } else {
        clock.split(':').collect()
    };
    if t.len() == 1 || t.len() > 3 {
        return Err(bad());
    }
    let hour = t.first().map(|v| num(v)).transpose()?.unwrap_or(0);
    let minute = t.get(1).map(|v| num(v)).transpose()?.unwrap_or(0);
    let second = t.get(2).map(|v| num(v)).transpose()?.unwrap_or(0);
    if hour > 23 || minute > 59 || second > 60 {
        return Err(bad());
    }
    // The moment is inclusive of the precision given: `2026-11-01` means the end of that day,
    // `12:00` the end of that minute, so that what happened "at" that time is included.
    let span = match t.len() {
        0 => 86_400_000 - 1,
        2 => 60_000 - 1,
        _ => 1000 - 1,
    };
    // A leap second stands for the first second of the next minute.
    let leap = i64::from(second == 60);
    let civil = jiff::civil::DateTime::new(
        i16::try_from(year).map_err(|_| bad())?,
        month as i8,
        day as i8,
        hour as i8,
        minute as i8,
        (second - leap) as i8,
        0,
    )
    .map_err(|_| bad())?;
    let zone = match offset {
        Some(minutes) => jiff::tz::TimeZone::fixed(
            jiff::tz::Offset::from_seconds((minutes * 60) as i32).map_err(|_| bad())?,
        ),
        None => jiff::tz::TimeZone::system(),
    };
    // A local time in a clock change resolves as RFC 5545 says: skipped times move forward,
    // repeated ones take the earlier moment.
    let at = zone.to_timestamp(civil).map_err(|_| bad())?;
    Ok((at.as_second() + leap) * 1000 + span)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases() {
        assert!(validate_alias("champion").is_ok());
        assert!(validate_alias("v2-candidate").is_ok());
        for bad in ["latest", "LATEST", "v3", "V10", "", "a b", "a/b"] {
            assert!(validate_alias(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn uris() {
        assert_eq!(
            parse_model_uri("models:/m/3"),
            Ok(ModelRef::Version("m".into(), 3))
        );
        assert_eq!(
            parse_model_uri("models:/m/production"),
            Ok(ModelRef::Stage("m".into(), Stage::Production))
        );
        assert_eq!(
            parse_model_uri("models:/m/Latest"),
            Ok(ModelRef::Latest("m".into()))
        );
        assert_eq!(
            parse_model_uri("models:/m@champ"),
            Ok(ModelRef::Alias("m".into(), "champ".into()))
        );
        assert_eq!(
            parse_model_uri("models://////m/1"),
            Ok(ModelRef::Version("m".into(), 1))
        );
        for bad in [
            "models:/",
            "models:/m/",
            "models:/m@",
            "models:/m/Staging/0",
            "models:/m/bogus",
            "runs:/x",
        ] {
            assert!(parse_model_uri(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn times() {
        assert_eq!(parse_time("1970-01-02T00:00:00Z"), Ok(86_400_999));
        assert_eq!(parse_time("2026-11-01T12:00Z"), Ok(1_793_534_459_999));
        assert_eq!(parse_time("2026-11-01T13:00+01:00"), Ok(1_793_534_459_999));
        assert_eq!(parse_time("1700000000000"), Ok(1_700_000_000_000));
        assert!(parse_time("2026-13-01").is_err());
        assert!(parse_time("2026-02-30").is_err());
        assert_eq!(parse_time("2026-11-01T12:00-02:30"), Ok(1_793_543_459_999));
        assert_eq!(parse_time("2016-12-31T23:59:60Z"), Ok(1_483_228_800_999));
        assert!(parse_time("yesterday").is_err());
    }

    #[test]
    fn names() {
        assert!(validate_model_name("churn-model_v2").is_ok());
        for bad in ["", "a/b", "a:b", "..", ".hidden"] {
            assert!(validate_model_name(bad).is_err(), "{bad}");
        }
    }
}
