//! A request's parameters as MLflow reads them: the query string for GET, the JSON body for
//! every other method; and the percent-decoding of paths and query strings.

use axum::http::{HeaderMap, Method, Uri, header};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::{ApiError, ApiResult};

/// A request's parameters: the query string's, or a JSON body kept as it came, which its
/// handler decodes straight into its message (no intermediate JSON tree for a well-formed
/// request).
#[derive(Debug)]
pub enum Params {
    Map(Map<String, Value>),
    Json(Vec<u8>),
}

impl Params {
    /// Decodes the parameters into a request message, with MLflow's rules and texts.
    pub(super) fn decode<T: DeserializeOwned>(self) -> ApiResult<T> {
        let map = match self {
            Params::Map(map) => map,
            Params::Json(body) => {
                if let Ok(message) = serde_json::from_slice::<T>(&body) {
                    return Ok(message);
                }
                json_object(&body)?
            }
        };
        crate::protocol::requests::decode(map).map_err(ApiError::invalid)
    }

    /// As [`Params::decode`], trying `plain` first on a JSON body: a one-pass decoder of the
    /// message's plainest form, which answers `None` for any other.
    pub(super) fn decode_plain<T: DeserializeOwned>(
        self,
        plain: fn(&[u8]) -> Option<T>,
    ) -> ApiResult<T> {
        if let Params::Json(body) = &self
            && let Some(message) = plain(body)
        {
            return Ok(message);
        }
        self.decode()
    }
}

/// The request's parameters: the query string for GET, the JSON body otherwise.
pub(super) fn params(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: Vec<u8>,
) -> ApiResult<Params> {
    // As MLflow: GET reads the query string; every other method reads only its JSON body, so a
    // form on another site cannot pass parameters in the URL.
    if *method == Method::GET {
        let out = query_params(uri.query().unwrap_or(""));
        if !out.is_empty() || body.is_empty() {
            return Ok(Params::Map(out));
        }
    }
    if body.is_empty() {
        return Ok(Params::Map(Map::new()));
    }
    if *method != Method::GET {
        let ct = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .eq_ignore_ascii_case("application/json")
        {
            return Err(ApiError::invalid(format!(
                "Content-Type must be one of ['application/json'], got '{ct}'"
            )));
        }
    }
    Ok(Params::Json(body))
}

/// A JSON body as the object it must be.
fn json_object(body: &[u8]) -> ApiResult<Map<String, Value>> {
    let mut value: Value = serde_json::from_slice(body).map_err(|e| ApiError {
        status: 400,
        code: "MALFORMED_REQUEST",
        message: format!("invalid JSON body: {e}"),
    })?;
    // A JSON string holding JSON: decode it once more, as MLflow does.
    if let Value::String(s) = &value {
        value = serde_json::from_str(s).map_err(|e| ApiError {
            status: 400,
            code: "MALFORMED_REQUEST",
            message: format!("invalid JSON body: {e}"),
        })?;
    }
    match value {
        Value::Object(m) => Ok(m),
        _ => Err(ApiError {
            status: 400,
            code: "MALFORMED_REQUEST",
            message: "the request body must be a JSON object".into(),
        }),
    }
}

/// A query string's parameters: a repeated key, or a list field, becomes an array.
pub(super) fn query_params(query: &str) -> Map<String, Value> {
    const LISTS: [&str; 5] = [
        "experiment_ids",
        "run_ids",
        "stages",
        "order_by",
        "run_id_list",
    ];
    let mut out = Map::new();
    for (k, v) in form_urlencoded(query) {
        match out.get_mut(&k) {
            Some(Value::Array(a)) => a.push(Value::String(v)),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, Value::String(v)]);
            }
            None if LISTS.contains(&k.as_str()) => {
                out.insert(k, Value::Array(vec![Value::String(v)]));
            }
            None => {
                out.insert(k, Value::String(v));
            }
        }
    }
    out
}

/// Decodes `a=1&b=x%20y` (each value decoded exactly once).
pub(crate) fn form_urlencoded(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

pub(crate) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(a), Some(b)) => {
                    out.push(a * 16 + b);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
