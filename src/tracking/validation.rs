//! MLflow's rules for keys, names and values, with messages that name the value and the fix.

/// Longest metric, param or tag key.
pub const MAX_KEY_LEN: usize = 250;
/// Longest param value; longer ones are truncated (or refused, see `MLFLOW_TRUNCATE_LONG_VALUES`).
pub const MAX_PARAM_VALUE_LEN: usize = 6000;
/// Longest run tag value.
pub const MAX_TAG_VALUE_LEN: usize = 8000;
/// Longest experiment name.
pub const MAX_EXPERIMENT_NAME_LEN: usize = 500;
/// Longest run name.
pub const MAX_RUN_NAME_LEN: usize = 250;

/// What a key names, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Metric,
    Param,
    Tag,
}

impl KeyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyKind::Metric => "metric",
            KeyKind::Param => "param",
            KeyKind::Tag => "tag",
        }
    }
}

impl std::fmt::Display for KeyKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A key, name or value that breaks MLflow's rules.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    #[error("{0} key is empty: give a name such as `loss`")]
    EmptyKey(KeyKind),
    #[error("{kind} key `{start}…` is {len} characters long: the limit is {MAX_KEY_LEN}")]
    LongKey {
        kind: KeyKind,
        /// The key's first 20 characters.
        start: String,
        len: usize,
    },
    #[error(
        "invalid {kind} key `{key}`: {bad:?} is not allowed; names may only contain \
         alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colons (:) \
         and slashes (/)"
    )]
    KeyChar {
        kind: KeyKind,
        key: String,
        bad: char,
    },
    #[error(
        "invalid {kind} key `{key}`: it must be a normalised relative path (no leading `/`, \
         no `//`, `.` or `..` segments, no trailing `/`)"
    )]
    KeyPath { kind: KeyKind, key: String },
    #[error(
        "metric `{key}` has value `{value}`, which is not a number: use e.g. `0.5`, `1e-3`, `NaN` or `inf`"
    )]
    NotANumber { key: String, value: String },
    #[error("experiment name is empty: give a name such as `baseline`")]
    EmptyExperimentName,
    #[error("experiment name is {0} characters long: the limit is {MAX_EXPERIMENT_NAME_LEN}")]
    LongExperimentName(usize),
    #[error("run name is empty: leave out `--name` for a generated one")]
    EmptyRunName,
    #[error("run name is {0} characters long: the limit is {MAX_RUN_NAME_LEN}")]
    LongRunName(usize),
    #[error("{kind} `{key}` has a value of {len} characters: the limit is {limit}")]
    LongValue {
        kind: KeyKind,
        key: String,
        len: usize,
        limit: usize,
    },
    #[error("`{0}` is not of the form KEY=VALUE: write e.g. `lr=0.01`")]
    NotKeyValue(String),
}

/// Checks a metric, param or tag key: MLflow's charset `[/\w.\- :]`, at most 250 characters,
/// and a normalised relative path (no empty, `.` or `..` segments, no leading `/` or `..`).
pub fn validate_key(kind: KeyKind, key: &str) -> Result<(), Error> {
    if key.is_empty() {
        return Err(Error::EmptyKey(kind));
    }
    if key.chars().count() > MAX_KEY_LEN {
        return Err(Error::LongKey {
            kind,
            start: key.chars().take(20).collect(),
            len: key.chars().count(),
        });
    }
    if let Some(bad) = key.chars().find(|c| !is_key_char(*c)) {
        return Err(Error::KeyChar {
            kind,
            key: key.to_string(),
            bad,
        });
    }
    let bad_path = key.starts_with('/')
        || key.starts_with("..")
        || key
            .split('/')
            .any(|seg| seg.is_empty() || seg == "." || seg == "..");
    if bad_path {
        return Err(Error::KeyPath {
            kind,
            key: key.to_string(),
        });
    }
    Ok(())
}

fn is_key_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '/' | '.' | '-' | ' ' | ':')
}

/// Parses a metric value: any float, plus `NaN`, `inf`, `Infinity`, `-Infinity`.
pub fn parse_metric_value(key: &str, s: &str) -> Result<f64, Error> {
    s.trim().parse::<f64>().map_err(|_| Error::NotANumber {
        key: key.to_string(),
        value: s.to_string(),
    })
}

/// Checks an experiment name.
pub fn validate_experiment_name(name: &str) -> Result<(), Error> {
    if name.trim().is_empty() {
        return Err(Error::EmptyExperimentName);
    }
    let len = name.chars().count();
    if len > MAX_EXPERIMENT_NAME_LEN {
        return Err(Error::LongExperimentName(len));
    }
    Ok(())
}

/// Checks a run name.
pub fn validate_run_name(name: &str) -> Result<(), Error> {
    if name.trim().is_empty() {
        return Err(Error::EmptyRunName);
    }
    let len = name.chars().count();
    if len > MAX_RUN_NAME_LEN {
        return Err(Error::LongRunName(len));
    }
    Ok(())
}

/// Truncates `value` to `limit` characters when `truncate` is set; otherwise refuses it.
/// Returns the value to store and whether it was truncated.
pub fn limit_value(
    kind: KeyKind,
    key: &str,
    value: &str,
    limit: usize,
    truncate: bool,
) -> Result<(String, bool), Error> {
    let len = value.chars().count();
    if len <= limit {
        return Ok((value.to_string(), false));
    }
    if !truncate {
        return Err(Error::LongValue {
            kind,
            key: key.to_string(),
            len,
            limit,
        });
    }
    Ok((value.chars().take(limit).collect(), true))
}

/// Splits `key=value` (the first `=`), for `-p` and `-t`.
pub fn split_key_value(s: &str) -> Result<(String, String), Error> {
    match s.split_once('=') {
        Some((k, v)) => Ok((k.to_string(), v.to_string())),
        None => Err(Error::NotKeyValue(s.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        for ok in ["loss", "a/b", "val acc", "x:y", "é", "a.b-c_d", "a..b"] {
            assert!(validate_key(KeyKind::Metric, ok).is_ok(), "{ok}");
        }
        for bad in [
            "", "a$b", "/a", "a/", "a//b", "a/./b", "../a", "..a", ".", "a/../b",
        ] {
            assert!(validate_key(KeyKind::Metric, bad).is_err(), "{bad}");
        }
        assert!(validate_key(KeyKind::Param, &"k".repeat(250)).is_ok());
        assert!(validate_key(KeyKind::Param, &"k".repeat(251)).is_err());
    }

    #[test]
    fn metric_values() {
        assert!(parse_metric_value("k", "NaN").unwrap().is_nan());
        assert_eq!(
            parse_metric_value("k", "-Infinity").unwrap(),
            f64::NEG_INFINITY
        );
        assert_eq!(parse_metric_value("k", "inf").unwrap(), f64::INFINITY);
        assert_eq!(parse_metric_value("k", "1e-3").unwrap(), 0.001);
        assert!(parse_metric_value("k", "abc").is_err());
        assert!(parse_metric_value("k", "true").is_err());
    }
}
