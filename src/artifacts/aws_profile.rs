//! The AWS tools' shared files, read when the environment gives no keys or region: keys from
//! `~/.aws/credentials` (`AWS_SHARED_CREDENTIALS_FILE`) and the region from `~/.aws/config`
//! (`AWS_CONFIG_FILE`), for the profile `AWS_PROFILE`, else `default`.

use std::collections::HashMap;
use std::path::PathBuf;

use super::{Error, Result};
use crate::env;

/// What a profile gives; each part may be missing.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Profile {
    pub key_id: Option<String>,
    pub secret: Option<String>,
    pub token: Option<String>,
    pub region: Option<String>,
}

/// `[section]` → `key = value`, keys lowercased, `#` and `;` lines skipped.
fn sections(text: &str) -> HashMap<String, HashMap<String, String>> {
    let mut out: HashMap<String, HashMap<String, String>> = HashMap::new();
    let mut current: Option<String> = None;
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let name = name.trim().to_string();
            out.entry(name.clone()).or_default();
            current = Some(name);
        } else if let (Some(section), Some((k, v))) = (&current, line.split_once('=')) {
            out.entry(section.clone())
                .or_default()
                .insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    out
}

fn file(var: &str, name: &str) -> Option<PathBuf> {
    env::var(var)
        .map(PathBuf::from)
        .or_else(|| env::var(env::HOME).map(|h| PathBuf::from(h).join(".aws").join(name)))
}

/// The profile's keys and region from the shared files. A profile named in `AWS_PROFILE`
/// that neither file holds is refused; a missing file gives nothing.
pub fn load() -> Result<Profile> {
    let named = env::var(env::AWS_PROFILE);
    let profile = named.clone().unwrap_or_else(|| "default".to_string());
    let read = |p: Option<PathBuf>| {
        p.and_then(|p| std::fs::read_to_string(p).ok())
            .map(|t| sections(&t))
            .unwrap_or_default()
    };
    let credentials = read(file(env::AWS_SHARED_CREDENTIALS_FILE, "credentials"));
    let config = read(file(env::AWS_CONFIG_FILE, "config"));
    let keys = credentials.get(&profile);
    let settings = if profile == "default" {
        config.get("default")
    } else {
        config.get(&format!("profile {profile}"))
    };
    if named.is_some() && keys.is_none() && settings.is_none() {
        return Err(Error::Invalid(format!(
            "AWS_PROFILE `{profile}` is in neither the credentials file nor the config file of ~/.aws (AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE)"
        )));
    }
    let get = |s: Option<&HashMap<String, String>>, k: &str| {
        s.and_then(|s| s.get(k)).filter(|v| !v.is_empty()).cloned()
    };
    Ok(Profile {
        key_id: get(keys, "aws_access_key_id"),
        secret: get(keys, "aws_secret_access_key"),
        token: get(keys, "aws_session_token"),
        region: get(settings, "region"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ini_sections_keep_their_keys() {
        let s = sections(
            "# keys\n[default]\naws_access_key_id = A\n\n[team]\nAWS_Secret_Access_Key=B = C\n; x\n",
        );
        assert_eq!(s["default"]["aws_access_key_id"], "A");
        assert_eq!(s["team"]["aws_secret_access_key"], "B = C");
    }
}
