//! `uri` and `path` parameters as MLflow reads them: what counts as a URI, and which values
//! name a local file.

/// Whether `value` is a URI as MLflow's `is_uri` sees it (Python's `urlparse` finds a
/// scheme): a letter, then letters, digits, `+`, `-` or `.`, then `:`.
pub fn is_uri(value: &str) -> bool {
    scheme(value).is_some()
}

fn scheme(value: &str) -> Option<&str> {
    let (scheme, _) = value.split_once(':')?;
    let mut chars = scheme.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic() && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)))
        .then_some(scheme)
}

/// The local path a `path` parameter names, as MLflow's `get_local_path_or_none` reads it: a
/// value without a scheme, or `file:` without a host (`file:///x` is `/x`); `None` for a
/// remote URI, which is downloaded.
pub fn local_path(value: &str) -> Option<String> {
    match scheme(value) {
        None => Some(value.to_string()),
        Some(s) if s.eq_ignore_ascii_case("file") => {
            let rest = &value[s.len() + 1..];
            match rest.strip_prefix("//") {
                Some(hosted) if hosted.starts_with('/') => Some(percent_decode(hosted)),
                Some(_) => None,
                None => Some(percent_decode(rest)),
            }
        }
        Some(_) => None,
    }
}

/// `%XX` escapes decoded (as `url2pathname` does for a `file:` URI's path).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_and_local_paths_as_mlflow_reads_them() {
        for v in [
            "runs:/abc/model",
            "models:/churn@champion",
            "s3://b/k",
            "mlflow-artifacts:/1/x",
            "file:///x",
        ] {
            assert!(is_uri(v), "{v}");
        }
        for v in ["data/x.csv", "/abs", "1abc:/x", ""] {
            assert!(!is_uri(v), "{v}");
        }
        assert_eq!(local_path("file:///x/a%20b").as_deref(), Some("/x/a b"));
        assert_eq!(local_path("file:/x").as_deref(), Some("/x"));
        assert_eq!(local_path("rel/p").as_deref(), Some("rel/p"));
        assert_eq!(local_path("file://host/x"), None);
        assert_eq!(local_path("runs:/r/model"), None);
    }
}
