//! How the client of a bucket or container is made from the environment (S3 and the stores
//! that speak its protocol, Azure Blob Storage, Google Cloud Storage), what its URIs are, and how its errors read:
//! one line naming the bucket and the fix, never a credential.

use std::sync::Arc;

use object_store::ObjectStore;
use object_store::aws::AmazonS3Builder;
use object_store::azure::MicrosoftAzureBuilder;
use object_store::gcp::GoogleCloudStorageBuilder;

use super::{Error, Result};
use crate::env;

pub(super) fn remote(what: String) -> impl FnOnce(object_store::Error) -> Error {
    move |e| {
        let text = e.to_string();
        match e {
            object_store::Error::NotFound { .. } => {
                Error::NotFound(format!("{what}: no such object"))
            }
            object_store::Error::PermissionDenied { .. }
            | object_store::Error::Unauthenticated { .. } => Error::Invalid(denied(&what)),
            _ if text.contains("169.254.169.254") && is_gcs(&what) => Error::Invalid(format!(
                "{what}: no Google Cloud credentials: set GOOGLE_APPLICATION_CREDENTIALS to a service account's key file (this machine's metadata server gave none)"
            )),
            _ if text.contains("169.254.169.254") && is_azure(&what) => Error::Invalid(format!(
                "{what}: no Azure credentials: set AZURE_STORAGE_CONNECTION_STRING (this machine's managed identity gave none)"
            )),
            _ if text.contains("169.254.169.254") => Error::Invalid(format!(
                "{what}: no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (this machine's instance metadata service gave none)"
            )),
            _ if text.contains("403 Forbidden") || text.contains("401 Unauthorized") => {
                Error::Invalid(denied(&what))
            }
            _ if text.contains("404 Not Found")
                || text.contains("NoSuchBucket")
                || text.contains("ContainerNotFound") =>
            {
                Error::NotFound(format!("{what}: no such bucket"))
            }
            _ if text.contains("error sending request") && is_gcs(&what) => {
                Error::Invalid(format!(
                    "{what}: cannot connect to Google Cloud Storage ({})",
                    first_line(&text)
                ))
            }
            _ if text.contains("error sending request") && is_azure(&what) => {
                Error::Invalid(format!(
                    "{what}: cannot connect to {} (a BlobEndpoint in AZURE_STORAGE_CONNECTION_STRING names another endpoint)",
                    azure_settings()
                        .endpoint
                        .unwrap_or_else(|| "Azure Blob Storage".into())
                ))
            }
            _ if text.contains("error sending request") => Error::Invalid(format!(
                "{what}: cannot connect to {} (set MLFLOW_S3_ENDPOINT_URL for an S3-compatible store)",
                endpoint().unwrap_or_else(|| "AWS S3".into())
            )),
            _ => Error::Invalid(format!("{what}: {}", first_line(&text))),
        }
    }
}

/// The refusal of the keys, naming where they come from.
fn denied(what: &str) -> String {
    if is_gcs(what) {
        return format!(
            "{what}: access denied (the service account in GOOGLE_SERVICE_ACCOUNT or GOOGLE_APPLICATION_CREDENTIALS is refused, or lacks the right)"
        );
    }
    if is_azure(what) {
        return format!(
            "{what}: access denied (the account key in AZURE_STORAGE_CONNECTION_STRING or AZURE_STORAGE_ACCESS_KEY is refused, or lacks the right)"
        );
    }
    format!(
        "{what}: access denied (the keys in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are refused, or lack the right)"
    )
}

pub(super) fn is_azure(uri: &str) -> bool {
    ["az://", "wasbs://", "wasb://"]
        .iter()
        .any(|s| uri.starts_with(s))
}

pub(super) fn is_gcs(uri: &str) -> bool {
    uri.starts_with("gs://")
}

/// Whether a location is in a bucket or container (`s3://`, `az://`, `wasbs://`, `gs://`),
/// not a local path.
pub fn is_bucket_uri(uri: &str) -> bool {
    uri.starts_with("s3://") || uri.starts_with("s3a://") || is_azure(uri) || is_gcs(uri)
}

/// The first line of an error: the client's own messages run on with the whole response.
pub(super) fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}

/// The bucket's own URI and the key of a location: `s3://bucket` and `key` for
/// `s3://bucket/key` (`az://container/key`, `wasbs://container@account.HOST/key` and
/// `gs://bucket/key` alike).
pub fn split_uri(uri: &str) -> Result<(String, String)> {
    let (scheme, rest) = uri
        .split_once("://")
        .filter(|_| is_bucket_uri(uri))
        .ok_or_else(|| {
            Error::Invalid(format!(
                "`{uri}` is not an s3://, az://, wasbs:// or gs:// URI"
            ))
        })?;
    let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() || bucket.starts_with('@') {
        return Err(Error::Invalid(format!(
            "`{uri}` names no bucket: write {scheme}://BUCKET/PREFIX"
        )));
    }
    if scheme.starts_with("wasb") && !bucket.contains('@') {
        return Err(Error::Invalid(format!(
            "`{uri}` names no storage account: write wasbs://CONTAINER@ACCOUNT.blob.core.windows.net/PATH"
        )));
    }
    let scheme = if scheme == "s3a" { "s3" } else { scheme };
    Ok((
        format!("{scheme}://{bucket}"),
        key.trim_matches('/').to_string(),
    ))
}

/// Azure's settings from the environment.
#[derive(Default)]
struct AzureSettings {
    account: Option<String>,
    key: Option<String>,
    endpoint: Option<String>,
    sas: Option<String>,
}

/// `AZURE_STORAGE_CONNECTION_STRING` (`Key=Value;…`), else the variables of its parts.
fn azure_settings() -> AzureSettings {
    let mut out = AzureSettings::default();
    if let Some(text) = env::var(env::AZURE_STORAGE_CONNECTION_STRING) {
        for part in text.split(';') {
            let Some((k, v)) = part.split_once('=') else {
                continue;
            };
            let v = Some(v.trim().to_string());
            match k.trim() {
                "AccountName" => out.account = v,
                "AccountKey" => out.key = v,
                "BlobEndpoint" => out.endpoint = v.map(|e| e.trim_end_matches('/').to_string()),
                "SharedAccessSignature" => out.sas = v,
                _ => {}
            }
        }
    }
    if out.key.is_none() {
        out.key = env::var(env::AZURE_STORAGE_ACCESS_KEY);
    }
    if out.account.is_none() {
        out.account = env::var(env::AZURE_STORAGE_ACCOUNT_NAME);
    }
    out
}

/// The endpoint of an S3-compatible store, when not AWS itself.
fn endpoint() -> Option<String> {
    env::var(env::MLFLOW_S3_ENDPOINT_URL)
        .or_else(|| env::var(env::AWS_ENDPOINT_URL_S3))
        .or_else(|| env::var(env::AWS_ENDPOINT_URL))
}

/// A container in Azure Blob Storage; `host` is the account's host of a `wasbs://` URI.
pub(super) fn azure_store(base: &str, container: &str, host: &str) -> Result<Arc<dyn ObjectStore>> {
    let settings = azure_settings();
    let account = host
        .split('.')
        .next()
        .filter(|a| !a.is_empty())
        .map(str::to_string)
        .or(settings.account)
        .ok_or_else(|| {
            Error::Invalid(format!(
                "`{base}` names no storage account: set AZURE_STORAGE_ACCOUNT_NAME, or write wasbs://CONTAINER@ACCOUNT.blob.core.windows.net/PATH"
            ))
        })?;
    let mut b = MicrosoftAzureBuilder::new()
        .with_account(&account)
        .with_container_name(container);
    let endpoint = settings
        .endpoint
        .or_else(|| (host.contains('.')).then(|| format!("https://{host}")));
    if let Some(url) = endpoint {
        b = b
            .with_allow_http(url.starts_with("http://"))
            .with_endpoint(url);
    }
    if let Some(key) = settings.key {
        b = b.with_access_key(key);
    } else if let Some(sas) = settings.sas {
        let pairs: Vec<(String, String)> = sas
            .trim_start_matches('?')
            .split('&')
            .filter_map(|p| p.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        b = b.with_sas_authorization(pairs);
    }
    let store = b.build().map_err(|e| {
        Error::Invalid(format!(
            "cannot reach `{base}`: {}",
            first_line(&e.to_string())
        ))
    })?;
    Ok(Arc::new(store))
}

/// A bucket in S3 or a store that speaks its protocol.
pub(super) fn s3_store(bucket: &str) -> Result<Arc<dyn ObjectStore>> {
    let profile = super::aws_profile::load()?;
    let region = env::var(env::AWS_REGION)
        .or_else(|| env::var(env::AWS_DEFAULT_REGION))
        .or(profile.region)
        .unwrap_or_else(|| "us-east-1".to_string());
    let mut b = AmazonS3Builder::new()
        .with_bucket_name(bucket)
        .with_region(region);
    // The environment's keys, else the profile's; never a mix of the two.
    let (id, secret, token) = match env::var(env::AWS_ACCESS_KEY_ID) {
        Some(id) => (
            Some(id),
            env::var(env::AWS_SECRET_ACCESS_KEY),
            env::var(env::AWS_SESSION_TOKEN),
        ),
        None => (profile.key_id, profile.secret, profile.token),
    };
    if let Some(id) = id {
        b = b.with_access_key_id(id);
    }
    if let Some(secret) = secret {
        b = b.with_secret_access_key(secret);
    }
    if let Some(token) = token {
        b = b.with_token(token);
    }
    if let Some(url) = endpoint() {
        b = b
            .with_allow_http(url.starts_with("http://"))
            .with_endpoint(url);
    }
    let store = b.build().map_err(|e| {
        Error::Invalid(format!(
            "cannot reach `s3://{bucket}`: {}",
            first_line(&e.to_string())
        ))
    })?;
    Ok(Arc::new(store))
}

/// A bucket in Google Cloud Storage, with the credentials Google's libraries read: a service
/// account's key (`GOOGLE_SERVICE_ACCOUNT` as a file, `GOOGLE_SERVICE_ACCOUNT_KEY` as JSON),
/// else `GOOGLE_APPLICATION_CREDENTIALS`, else the user's application default credentials or
/// the machine's metadata server. A key naming a `gcs_base_url` (an emulator) is sent there,
/// over plain HTTP if it says so.
pub(super) fn gcs_store(bucket: &str) -> Result<Arc<dyn ObjectStore>> {
    let mut b = GoogleCloudStorageBuilder::new().with_bucket_name(bucket);
    let mut key_text = None;
    if let Some(path) = env::var(env::GOOGLE_SERVICE_ACCOUNT) {
        key_text = std::fs::read_to_string(&path).ok();
        b = b.with_service_account_path(path);
    } else if let Some(key) = env::var(env::GOOGLE_SERVICE_ACCOUNT_KEY) {
        key_text = Some(key.clone());
        b = b.with_service_account_key(key);
    } else if let Some(path) = env::var(env::GOOGLE_APPLICATION_CREDENTIALS) {
        b = b.with_application_credentials(path);
    }
    let base_url = key_text
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| v["gcs_base_url"].as_str().map(str::to_string));
    if base_url.is_some_and(|u| u.starts_with("http://")) {
        b = b.with_client_options(object_store::ClientOptions::new().with_allow_http(true));
    }
    let store = b.build().map_err(|e| {
        Error::Invalid(format!(
            "cannot reach `gs://{bucket}`: {} (set GOOGLE_APPLICATION_CREDENTIALS to a service account's key)",
            first_line(&e.to_string())
        ))
    })?;
    Ok(Arc::new(store))
}
