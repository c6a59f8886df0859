//! An HTTP client of an MLflow-compatible tracking server (`mlf server` or `mlflow server`):
//! JSON calls to `/api/2.0/mlflow/...`, artifact transfers through `/api/2.0/mlflow-artifacts/`,
//! credentials from MLflow's variables, and the server's errors turned into store errors.

use std::io::{Read, Write};
use std::time::Duration;

use serde_json::Value;

use crate::env;
use crate::store::{Error, Missing};

/// Why a client of a tracking server cannot be set up (the URI or the environment is wrong).
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("`{name}` is `{value}`: give a whole number")]
    NotANumber { name: &'static str, value: String },
    #[error("tracking URI `{0}` is not an http:// or https:// URL")]
    NotHttp(String),
    #[error("tracking URI `{0}` names no host")]
    NoHost(String),
    #[error("cannot read `{path}` (`{var}`): {source}", var = env::MLFLOW_TRACKING_SERVER_CERT_PATH)]
    ReadCerts {
        path: String,
        source: std::io::Error,
    },
    #[error("`{0}` (`{var}`) holds no PEM certificate", var = env::MLFLOW_TRACKING_SERVER_CERT_PATH)]
    NoCerts(String),
}

/// A client of one server. Cheap to clone.
#[derive(Clone)]
pub struct Client {
    base: String,
    agent: ureq::Agent,
    auth: Option<String>,
    /// How many times a failed read is tried again.
    retries: u64,
}

/// Whether a tracking URI names a server rather than a local store.
pub fn is_remote_uri(uri: &str) -> bool {
    let lower = uri.to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

impl Client {
    /// A client of the server at `uri` (`http://host:port[/prefix]`), answer timeout and read
    /// retries from `MLFLOW_HTTP_REQUEST_TIMEOUT` (s, default 120) and
    /// `MLFLOW_HTTP_REQUEST_MAX_RETRIES` (default 2).
    pub fn new(uri: &str) -> Result<Client, SetupError> {
        let number = |name: &'static str, default: u64| -> Result<u64, SetupError> {
            match env::var(name) {
                Some(v) => v
                    .trim()
                    .parse()
                    .map_err(|_| SetupError::NotANumber { name, value: v }),
                None => Ok(default),
            }
        };
        let answer = number(env::MLFLOW_HTTP_REQUEST_TIMEOUT, 120)?;
        let retries = number(env::MLFLOW_HTTP_REQUEST_MAX_RETRIES, 2)?;
        Client::with_patience(
            uri,
            Duration::from_secs(10),
            Duration::from_secs(answer.max(1)),
            retries,
        )
    }

    /// A client that gives up fast (shell completion must not hang on a dead server).
    pub fn impatient(uri: &str) -> Result<Client, SetupError> {
        Client::with_patience(uri, Duration::from_secs(1), Duration::from_secs(3), 0)
    }

    fn with_patience(
        uri: &str,
        connect: Duration,
        answer: Duration,
        retries: u64,
    ) -> Result<Client, SetupError> {
        if !is_remote_uri(uri) {
            return Err(SetupError::NotHttp(uri.to_string()));
        }
        let rest = uri.split_once("://").map(|(_, r)| r).unwrap_or("");
        if rest.is_empty() || rest.starts_with('/') {
            return Err(SetupError::NoHost(uri.to_string()));
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .tls_config(tls_config()?)
            .http_status_as_error(false)
            .timeout_connect(Some(connect))
            .timeout_recv_response(Some(answer))
            .user_agent(concat!("mlf/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        let auth = if let Some(token) = env::var(env::MLFLOW_TRACKING_TOKEN) {
            Some(format!("Bearer {token}"))
        } else {
            match (
                env::var(env::MLFLOW_TRACKING_USERNAME),
                env::var(env::MLFLOW_TRACKING_PASSWORD),
            ) {
                (Some(user), Some(password)) => Some(format!(
                    "Basic {}",
                    base64(format!("{user}:{password}").as_bytes())
                )),
                _ => None,
            }
        };
        Ok(Client {
            base: uri.trim_end_matches('/').to_string(),
            agent,
            auth,
            retries,
        })
    }

    /// The server's URL, as given.
    pub fn base(&self) -> &str {
        &self.base
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn connect_error(&self, e: ureq::Error) -> Error {
        Error::Remote(format!(
            "cannot reach the tracking server {}: {e}",
            self.base
        ))
    }

    /// GET `/api/2.0/mlflow/<endpoint>` with query parameters. Reads are retried twice (after
    /// 0.5 s, then 1 s) when the server is unreachable, overloaded (429) or failing (502, 503,
    /// 504); writes are not, so that nothing is logged twice.
    pub fn get(&self, endpoint: &str, query: &[(&str, &str)]) -> Result<Value, Error> {
        let mut attempt = 0;
        loop {
            let mut req = self.agent.get(self.url(&api_path(endpoint)));
            for (k, v) in query {
                req = req.query(*k, *v);
            }
            if let Some(auth) = &self.auth {
                req = req.header("Authorization", auth);
            }
            let transient = match req.call() {
                Ok(resp) if !matches!(resp.status().as_u16(), 429 | 502 | 503 | 504) => {
                    return self.json(endpoint, resp);
                }
                Ok(resp) => match self.json(endpoint, resp) {
                    Ok(v) => return Ok(v),
                    Err(e) => e,
                },
                Err(e) => self.connect_error(e),
            };
            if attempt >= self.retries {
                return Err(transient);
            }
            attempt += 1;
            std::thread::sleep(Duration::from_millis(500 * attempt));
        }
    }

    /// POST `/api/2.0/mlflow/<endpoint>` with a JSON body.
    pub fn post(&self, endpoint: &str, body: &Value) -> Result<Value, Error> {
        self.send("POST", endpoint, body, None)
    }

    /// POST, PATCH or DELETE `/api/2.0/mlflow/<endpoint>` with a JSON body (an endpoint
    /// `mlf/…` is mlf's own, under `/api/2.0/mlf/`); `actor` goes as `X-Mlf-User`, for the
    /// registry's records.
    pub fn send(
        &self,
        method: &str,
        endpoint: &str,
        body: &Value,
        actor: Option<&str>,
    ) -> Result<Value, Error> {
        let url = self.url(&api_path(endpoint));
        let mut req = match method {
            "PATCH" => self.agent.patch(url),
            "DELETE" => self.agent.delete(url).force_send_body(),
            _ => self.agent.post(url),
        }
        .header("Content-Type", "application/json");
        if let Some(auth) = &self.auth {
            req = req.header("Authorization", auth);
        }
        if let Some(actor) = actor {
            req = req.header("X-Mlf-User", actor);
        }
        let resp = req
            .send(body.to_string())
            .map_err(|e| self.connect_error(e))?;
        self.json(endpoint, resp)
    }

    /// POSTs a serialized JSON body to `endpoint` and reads the answer straight into `T`
    /// (for large messages: no JSON tree on either side).
    pub fn post_bytes<T: serde::de::DeserializeOwned>(
        &self,
        endpoint: &str,
        body: Vec<u8>,
    ) -> Result<T, Error> {
        let mut req = self
            .agent
            .post(self.url(&api_path(endpoint)))
            .header("Content-Type", "application/json");
        if let Some(auth) = &self.auth {
            req = req.header("Authorization", auth);
        }
        let mut resp = req.send(&body[..]).map_err(|e| self.connect_error(e))?;
        let status = resp.status().as_u16();
        let bytes = resp
            .body_mut()
            .with_config()
            .limit(1 << 32)
            .read_to_vec()
            .map_err(|e| self.connect_error(e))?;
        if !(200..300).contains(&status) {
            return Err(self.status_error(status, &String::from_utf8_lossy(&bytes)));
        }
        serde_json::from_slice(&bytes).map_err(|_| {
            Error::Remote(format!(
                "{} answered `{endpoint}` with something that is not what mlf answers: is it an `mlf server` of this version?",
                self.base
            ))
        })
    }

    fn json(
        &self,
        endpoint: &str,
        mut resp: ureq::http::Response<ureq::Body>,
    ) -> Result<Value, Error> {
        let status = resp.status().as_u16();
        let text = resp
            .body_mut()
            .with_config()
            .limit(1 << 30)
            .lossy_utf8(true)
            .read_to_string()
            .map_err(|e| self.connect_error(e))?;
        if (200..300).contains(&status) {
            if text.trim().is_empty() {
                return Ok(Value::Object(Default::default()));
            }
            return serde_json::from_str(&text).map_err(|_| {
                Error::Remote(format!(
                    "{} answered `{endpoint}` with something that is not JSON: is it an MLflow tracking server?",
                    self.base
                ))
            });
        }
        Err(self.status_error(status, &text))
    }

    /// The store error for an HTTP error answer (MLflow's `{"error_code", "message"}`).
    fn status_error(&self, status: u16, text: &str) -> Error {
        let parsed: Option<Value> = serde_json::from_str(text).ok();
        let code = parsed
            .as_ref()
            .and_then(|v| v["error_code"].as_str())
            .unwrap_or("")
            .to_string();
        let message = parsed
            .as_ref()
            .and_then(|v| v["message"].as_str().map(str::to_string))
            .unwrap_or_else(|| {
                let t = text.trim();
                if t.is_empty() || t.len() > 300 {
                    format!("HTTP {status}")
                } else {
                    t.to_string()
                }
            });
        match (code.as_str(), status) {
            ("ENDPOINT_NOT_FOUND", _) => Error::Unsupported(format!(
                "{} does not serve this call ({message})",
                self.base
            )),
            ("", 404) if parsed.is_none() => {
                Error::Unsupported(format!("{} does not serve this call (HTTP 404)", self.base))
            }
            ("RESOURCE_DOES_NOT_EXIST" | "NOT_FOUND", _) | (_, 404) => {
                Error::NotFound(Missing::Other(message))
            }
            ("RESOURCE_ALREADY_EXISTS", _) => Error::AlreadyExists(message),
            ("INVALID_STATE", _) => Error::InvalidState(message),
            ("PERMISSION_DENIED", _) | (_, 403) => Error::Refused(message),
            ("UNAUTHENTICATED", _) | (_, 401) => Error::Refused(format!(
                "{} refused the request ({message}): set MLFLOW_TRACKING_TOKEN, or MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD",
                self.base
            )),
            ("INVALID_PARAMETER_VALUE" | "BAD_REQUEST" | "INVALID_PARAMETER", _) | (_, 400) => {
                Error::Invalid(message)
            }
            _ => Error::Remote(format!("{}: HTTP {status}: {message}", self.base)),
        }
    }

    fn artifact_url(&self, path: &str) -> String {
        self.url(&format!(
            "/api/2.0/mlflow-artifacts/artifacts/{}",
            encode_path(path)
        ))
    }

    /// Lists one directory of the artifact proxy: (basename, is_dir, size).
    pub fn list_artifacts(&self, path: &str) -> Result<Vec<(String, bool, Option<u64>)>, Error> {
        let mut req = self
            .agent
            .get(self.url("/api/2.0/mlflow-artifacts/artifacts"))
            .query("path", path);
        if let Some(auth) = &self.auth {
            req = req.header("Authorization", auth);
        }
        let resp = req.call().map_err(|e| self.connect_error(e))?;
        let v = self.json("mlflow-artifacts/artifacts", resp)?;
        Ok(v["files"]
            .as_array()
            .map(|files| {
                files
                    .iter()
                    .filter_map(|f| {
                        let name = f["path"].as_str()?;
                        let name = name.rsplit('/').next().unwrap_or(name).to_string();
                        let size = f["file_size"]
                            .as_u64()
                            .or_else(|| f["file_size"].as_str().and_then(|s| s.parse().ok()));
                        Some((name, f["is_dir"].as_bool().unwrap_or(false), size))
                    })
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Downloads one artifact file into `out`; `progress` gets the bytes written so far.
    pub fn download(
        &self,
        path: &str,
        out: &mut dyn Write,
        progress: &mut dyn FnMut(u64),
    ) -> Result<u64, Error> {
        let mut req = self.agent.get(self.artifact_url(path));
        if let Some(auth) = &self.auth {
            req = req.header("Authorization", auth);
        }
        let mut resp = req.call().map_err(|e| self.connect_error(e))?;
        let status = resp.status().as_u16();
        if !(200..300).contains(&status) {
            let text = resp.body_mut().read_to_string().unwrap_or_default();
            return Err(self.status_error(status, &text));
        }
        let mut reader = resp.body_mut().with_config().limit(u64::MAX).reader();
        let mut buf = vec![0u8; 64 * 1024];
        let mut done = 0u64;
        loop {
            let n = reader.read(&mut buf).map_err(|e| {
                Error::Remote(format!(
                    "download of `{path}` from {} broke off: {e}",
                    self.base
                ))
            })?;
            if n == 0 {
                break;
            }
            out.write_all(&buf[..n])
                .map_err(|e| Error::Io(format!("cannot write `{path}`"), e))?;
            done += n as u64;
            progress(done);
        }
        Ok(done)
    }

    /// Uploads one file to the artifact proxy.
    pub fn upload(&self, path: &str, input: &mut dyn Read) -> Result<(), Error> {
        let mut req = self
            .agent
            .put(self.artifact_url(path))
            .header("Content-Type", "application/octet-stream");
        if let Some(auth) = &self.auth {
            req = req.header("Authorization", auth);
        }
        let mut resp = req
            .send(ureq::SendBody::from_reader(input))
            .map_err(|e| self.connect_error(e))?;
        let status = resp.status().as_u16();
        if !(200..300).contains(&status) {
            let text = resp.body_mut().read_to_string().unwrap_or_default();
            return Err(self.status_error(status, &text));
        }
        Ok(())
    }
}

/// TLS as the mlflow client sets it up: `MLFLOW_TRACKING_SERVER_CERT_PATH` (a PEM bundle of
/// the certificate authorities to trust instead of the built-in ones), or
/// `MLFLOW_TRACKING_INSECURE_TLS=true` (no verification at all).
pub(crate) fn tls_config() -> Result<ureq::tls::TlsConfig, SetupError> {
    let mut tls = ureq::tls::TlsConfig::builder();
    if env::var(env::MLFLOW_TRACKING_INSECURE_TLS).is_some_and(|v| v.eq_ignore_ascii_case("true")) {
        tls = tls.disable_verification(true);
    }
    if let Some(path) = env::var(env::MLFLOW_TRACKING_SERVER_CERT_PATH) {
        let pem = std::fs::read(&path).map_err(|source| SetupError::ReadCerts {
            path: path.clone(),
            source,
        })?;
        let certs: Vec<_> = ureq::tls::parse_pem(&pem)
            .filter_map(|item| match item {
                Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
                _ => None,
            })
            .collect();
        if certs.is_empty() {
            return Err(SetupError::NoCerts(path));
        }
        tls = tls.root_certs(ureq::tls::RootCerts::Specific(std::sync::Arc::new(certs)));
    }
    Ok(tls.build())
}

/// The URL path of an endpoint: MLflow's under `/api/2.0/mlflow/`, mlf's (`mlf/…`) under
/// `/api/2.0/mlf/`.
fn api_path(endpoint: &str) -> String {
    match endpoint.strip_prefix("mlf/") {
        Some(own) => format!("/api/2.0/mlf/{own}"),
        None => format!("/api/2.0/mlflow/{endpoint}"),
    }
}

/// Percent-encodes a path, keeping `/` and unreserved characters.
pub fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Standard base64 with padding.
pub fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foob"), "Zm9vYg==");
        assert_eq!(base64(b"user:pa ss"), "dXNlcjpwYSBzcw==");
    }

    #[test]
    fn paths_are_encoded_once() {
        assert_eq!(
            encode_path("1/abc/artifacts/a b%.txt"),
            "1/abc/artifacts/a%20b%25.txt"
        );
    }
}
