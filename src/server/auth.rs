//! Who may call: the token (`--auth-token`, Bearer or as an HTTP Basic password) and the users
//! file (`--users`, HTTP Basic), and the 401 answer with the challenges that would succeed.

use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;

use super::{ApiError, Settings, users};

/// Text from credential bytes: UTF-8, else Latin-1 (what Python's `requests` sends for
/// non-ASCII HTTP Basic credentials).
fn credential_text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => bytes.iter().map(|b| *b as char).collect(),
    }
}

/// Whether the request carries the token or a user's name and password, when either is
/// required. A user's password is checked off the async threads, since the key derivation is
/// slow by design; a credential that verified once is remembered.
/// Whether a request may go on (`None`: refused); with it, the users-file user it
/// authenticated as, if any.
pub(super) async fn authorized(settings: &Settings, headers: &HeaderMap) -> Option<Caller> {
    if settings.token.is_none() && settings.users.is_none() {
        return Some(Caller::Anonymous);
    }
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())?;
    // Schemes are case-insensitive (RFC 7235).
    let (scheme, rest) = value.trim_start().split_once(' ')?;
    let (user, secret) = if scheme.eq_ignore_ascii_case("Bearer") {
        (None, rest.trim().to_string())
    } else if scheme.eq_ignore_ascii_case("Basic") {
        let b = rest;
        // user:password (MLFLOW_TRACKING_USERNAME/PASSWORD); the password may be the token.
        let decoded = base64_decode(b.trim()).unwrap_or_default();
        let colon = decoded.iter().position(|c| *c == b':')?;
        (
            Some(credential_text(&decoded[..colon])),
            credential_text(&decoded[colon + 1..]),
        )
    } else {
        return None;
    };
    if let Some(token) = &settings.token {
        if users::constant_time_eq(secret.as_bytes(), token.as_bytes()) {
            return Some(Caller::Anonymous);
        }
    }
    let (Some(users), Some(user)) = (&settings.users, user) else {
        return None;
    };
    if users.remembered(&user, secret.as_bytes()) {
        return Some(Caller::User(user));
    }
    // Each new password costs a slow key derivation: only so many run at once, so that
    // clients guessing passwords cannot take every core.
    let Ok(permit) = checks().try_acquire() else {
        return Some(Caller::Busy);
    };
    let users = users.clone();
    let name = user.clone();
    let ok = tokio::task::spawn_blocking(move || users.verify(&user, secret.as_bytes()))
        .await
        .unwrap_or(false);
    drop(permit);
    ok.then_some(Caller::User(name))
}

/// Who a request may go on as.
pub(super) enum Caller {
    /// Anyone (no credentials are required), or a token holder.
    Anonymous,
    /// A user of the users file.
    User(String),
    /// Not known yet: every password check is taken (answer 429).
    Busy,
}

/// The password checks that may run at once: one per core.
fn checks() -> &'static tokio::sync::Semaphore {
    static CHECKS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    CHECKS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        tokio::sync::Semaphore::new(cores)
    })
}

/// The 429 answer when every password check is taken: the client may retry.
pub(super) fn busy() -> Response {
    let mut r = ApiError {
        status: 429,
        code: "REQUEST_LIMIT_EXCEEDED",
        message: "too many passwords are being checked at once: retry in a moment".into(),
    }
    .response();
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    r
}

/// The 401 answer: MLflow's error shape, and the challenges that would succeed.
pub(super) fn unauthenticated(settings: &Settings) -> Response {
    let message = match (&settings.users, &settings.token) {
        (Some(_), Some(_)) => {
            "a valid user name and password (HTTP Basic) or token (Authorization: Bearer TOKEN) is required"
        }
        (Some(_), None) => {
            "a valid user name and password are required (HTTP Basic; the mlflow client sends MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD)"
        }
        _ => "a valid token is required (Authorization: Bearer TOKEN)",
    };
    let mut r = ApiError {
        status: 401,
        code: "UNAUTHENTICATED",
        message: message.into(),
    }
    .response();
    let h = r.headers_mut();
    if settings.users.is_some() {
        h.append(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"mlf\""),
        );
    }
    if settings.token.is_some() {
        h.append(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    r
}

/// Base64 as clients send it in `Authorization: Basic`: the standard or the URL-safe
/// alphabet, with or without padding.
pub(super) fn base64_decode(s: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    use base64::alphabet::{STANDARD, URL_SAFE};
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    let config =
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    GeneralPurpose::new(&STANDARD, config)
        .decode(s)
        .or_else(|_| GeneralPurpose::new(&URL_SAFE, config).decode(s))
        .ok()
}
