//! What a browser on another site must not be able to do to a server on this machine: reach it
//! under a foreign host name (DNS rebinding), or change the store from another origin (a form
//! or a script on any web page). `Host` must name this server (an IP address, `localhost`, this
//! machine's name, or one of `--allowed-hosts`), and a request that changes something and says
//! where it comes from (`Origin`) must come from this server's own origin or one of
//! `--cors-allowed-origins`.

use axum::http::{HeaderMap, Method, header};

use super::ApiError;

/// Which hosts and origins a server accepts beyond its own.
#[derive(Debug, Clone, Default)]
pub struct Allowed {
    /// Extra host names (`*`: any).
    pub hosts: Vec<String>,
    /// Extra origins, as `scheme://host[:port]` (`*`: any).
    pub origins: Vec<String>,
}

/// The host part of a `Host` header or origin authority, without the port, lowercased.
fn host_only(authority: &str) -> String {
    let a = authority.trim();
    let host = if let Some(rest) = a.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        a.rsplit_once(':')
            .filter(|(_, port)| port.chars().all(|c| c.is_ascii_digit()))
            .map_or(a, |(h, _)| h)
    };
    host.trim_end_matches('.').to_ascii_lowercase()
}

/// This machine's name, lowercased, read once.
fn machine_name() -> &'static str {
    static NAME: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    NAME.get_or_init(|| crate::sys::hostname().to_ascii_lowercase())
}

/// Whether `host` names this server.
fn host_ok(allowed: &Allowed, host: &str) -> bool {
    let name = host_only(host);
    if allowed
        .hosts
        .iter()
        .any(|h| h == "*" || host_only(h) == name)
    {
        return true;
    }
    name.parse::<std::net::IpAddr>().is_ok()
        || name == "localhost"
        || name.ends_with(".localhost")
        || name == machine_name()
}

/// Refuses a request under a foreign `Host`, or a cross-origin request that changes something.
pub(super) fn check(
    allowed: &Allowed,
    method: &Method,
    headers: &HeaderMap,
) -> Result<(), ApiError> {
    let refuse = |message: String| ApiError {
        status: 403,
        code: "PERMISSION_DENIED",
        message,
    };
    // Every Host header given must name this server (a second one may not sneak past).
    for value in headers.get_all(header::HOST) {
        let host = value.to_str().unwrap_or("\u{fffd}");
        if !host_ok(allowed, host) {
            return Err(refuse(format!(
                "Invalid Host header `{host}`: this server answers to its IP addresses, localhost and this machine's name; start it with --allowed-hosts {} to accept it",
                host_only(host)
            )));
        }
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return Ok(());
    };
    let origin = origin.trim().trim_end_matches('/');
    let same = origin
        .split_once("://")
        .is_some_and(|(_, authority)| authority.eq_ignore_ascii_case(host));
    let listed = allowed
        .origins
        .iter()
        .any(|o| o == "*" || o.trim_end_matches('/').eq_ignore_ascii_case(origin));
    if same || listed {
        Ok(())
    } else {
        Err(refuse(format!(
            "Cross-origin request from `{origin}` refused: start the server with --cors-allowed-origins {origin} to accept it"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(host: &str, origin: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_str(host).unwrap());
        if let Some(o) = origin {
            h.insert(header::ORIGIN, HeaderValue::from_str(o).unwrap());
        }
        h
    }

    #[test]
    fn hosts_and_origins() {
        let none = Allowed::default();
        for ok in [
            "127.0.0.1:5000",
            "localhost:5000",
            "[::1]:8080",
            "10.1.2.3",
            "LOCALHOST",
        ] {
            assert!(
                check(&none, &Method::POST, &headers(ok, None)).is_ok(),
                "{ok}"
            );
        }
        for bad in ["evil.example:5000", "attacker.com", "127.0.0.1.evil.com"] {
            assert!(
                check(&none, &Method::GET, &headers(bad, None)).is_err(),
                "{bad}"
            );
        }
        let listed = Allowed {
            hosts: vec!["mlflow.internal".into()],
            origins: vec!["https://ui.internal".into()],
        };
        assert!(check(&listed, &Method::GET, &headers("mlflow.internal:443", None)).is_ok());
        let h = headers("127.0.0.1:5000", Some("http://127.0.0.1:5000"));
        assert!(check(&none, &Method::POST, &h).is_ok());
        let h = headers("127.0.0.1:5000", Some("http://evil.example"));
        assert!(check(&none, &Method::POST, &h).is_err());
        assert!(check(&none, &Method::GET, &h).is_ok());
        let h = headers("127.0.0.1:5000", Some("https://ui.internal"));
        assert!(check(&listed, &Method::DELETE, &h).is_ok());
        assert!(check(&none, &Method::DELETE, &h).is_err());
    }
}
