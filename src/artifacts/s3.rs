//! Artifacts in S3 and the stores that speak its protocol (MinIO, SeaweedFS, Ceph), through
//! Apache Arrow's `object_store`. A repository is a bucket and a key prefix, as in
//! `s3://bucket/prefix`; its paths are relative to the prefix, as a run's artifact paths are
//! to its root.
//!
//! Credentials and the endpoint come from the usual variables (`AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION`/`AWS_DEFAULT_REGION`,
//! `MLFLOW_S3_ENDPOINT_URL` or `AWS_ENDPOINT_URL`); without keys, the instance or container's
//! own role is asked. Nothing here prints a credential. The calls run on a runtime of the
//! repository's own, so the command line opens none unless it touches a bucket.

use std::io::Write;
use std::path::{Path, PathBuf};

use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path as Key;
use object_store::{ObjectStore, ObjectStoreExt};

use super::{CopyItem, Error, FileInfo, Result};
use crate::env;

/// Bytes fetched per ranged read.
const PART: u64 = 8 * 1024 * 1024;

pub struct S3Repo {
    store: AmazonS3,
    bucket: String,
    prefix: String,
    rt: tokio::runtime::Runtime,
}

fn remote(what: String) -> impl FnOnce(object_store::Error) -> Error {
    move |e| {
        let text = e.to_string();
        match e {
            object_store::Error::NotFound { .. } => {
                Error::NotFound(format!("{what}: no such object"))
            }
            object_store::Error::PermissionDenied { .. }
            | object_store::Error::Unauthenticated { .. } => Error::Invalid(format!(
                "{what}: access denied (the keys in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are refused, or lack the right)"
            )),
            _ if text.contains("169.254.169.254") => Error::Invalid(format!(
                "{what}: no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (this machine's instance metadata service gave none)"
            )),
            _ if text.contains("404 Not Found") => {
                Error::NotFound(format!("{what}: no such bucket"))
            }
            _ if text.contains("error sending request") => Error::Invalid(format!(
                "{what}: cannot connect to {} (set MLFLOW_S3_ENDPOINT_URL for an S3-compatible store)",
                endpoint().unwrap_or_else(|| "AWS S3".into())
            )),
            _ => Error::Invalid(format!("{what}: {}", first_line(&text))),
        }
    }
}

/// The first line of an error: the client's own messages run on with the whole response.
fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}

/// The bucket and key of `s3://bucket/key`.
pub fn split_uri(uri: &str) -> Result<(String, String)> {
    let rest = uri
        .strip_prefix("s3://")
        .or_else(|| uri.strip_prefix("s3a://"))
        .ok_or_else(|| Error::Invalid(format!("`{uri}` is not an s3:// URI")))?;
    let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err(Error::Invalid(format!("`{uri}` names no bucket")));
    }
    Ok((bucket.to_string(), key.trim_matches('/').to_string()))
}

/// The endpoint of an S3-compatible store, when not AWS itself.
fn endpoint() -> Option<String> {
    env::var(env::MLFLOW_S3_ENDPOINT_URL)
        .or_else(|| env::var(env::AWS_ENDPOINT_URL_S3))
        .or_else(|| env::var(env::AWS_ENDPOINT_URL))
}

impl S3Repo {
    /// The repository rooted at `s3://bucket/prefix`.
    pub fn new(uri: &str) -> Result<S3Repo> {
        let (bucket, prefix) = split_uri(uri)?;
        let region = env::var(env::AWS_REGION)
            .or_else(|| env::var(env::AWS_DEFAULT_REGION))
            .unwrap_or_else(|| "us-east-1".to_string());
        let mut b = AmazonS3Builder::new()
            .with_bucket_name(&bucket)
            .with_region(region);
        if let Some(id) = env::var(env::AWS_ACCESS_KEY_ID) {
            b = b.with_access_key_id(id);
        }
        if let Some(secret) = env::var(env::AWS_SECRET_ACCESS_KEY) {
            b = b.with_secret_access_key(secret);
        }
        if let Some(token) = env::var(env::AWS_SESSION_TOKEN) {
            b = b.with_token(token);
        }
        if let Some(url) = endpoint() {
            b = b
                .with_allow_http(url.starts_with("http://"))
                .with_endpoint(url);
        }
        let store = b.build().map_err(|e| {
            Error::Invalid(format!(
                "cannot reach `{uri}`: {}",
                first_line(&e.to_string())
            ))
        })?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::Io("cannot start the S3 client".into(), e))?;
        Ok(S3Repo {
            store,
            bucket,
            prefix,
            rt,
        })
    }

    pub fn root_uri(&self) -> String {
        if self.prefix.is_empty() {
            format!("s3://{}", self.bucket)
        } else {
            format!("s3://{}/{}", self.bucket, self.prefix)
        }
    }

    fn key(&self, rel: &Path) -> Key {
        let rel = super::slash(rel);
        let joined = match (self.prefix.is_empty(), rel.is_empty()) {
            (true, _) => rel,
            (false, true) => self.prefix.clone(),
            (false, false) => format!("{}/{rel}", self.prefix),
        };
        Key::from(joined)
    }

    fn uri_of(&self, rel: &Path) -> String {
        format!("s3://{}/{}", self.bucket, self.key(rel))
    }

    /// The size of the object at `rel`, or `None` when no object has that key.
    fn stat(&self, rel: &Path) -> Result<Option<u64>> {
        if super::slash(rel).is_empty() && self.prefix.is_empty() {
            return Ok(None);
        }
        let key = self.key(rel);
        match self.rt.block_on(self.store.head(&key)) {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(remote(self.uri_of(rel))(e)),
        }
    }

    /// The entries below `rel` (its direct children, or every file below with `recursive`),
    /// with paths relative to the repository's root.
    pub fn list(&self, rel: &Path, recursive: bool) -> Result<Vec<FileInfo>> {
        let key = self.key(rel);
        let base = key.as_ref().to_string();
        let under = |p: &str| -> String {
            let p = p
                .strip_prefix(&self.prefix)
                .unwrap_or(p)
                .trim_start_matches('/');
            p.to_string()
        };
        let mut out = Vec::new();
        let mut pending = vec![key];
        while let Some(dir) = pending.pop() {
            let at = (!dir.as_ref().is_empty()).then_some(&dir);
            let listed = self
                .rt
                .block_on(self.store.list_with_delimiter(at))
                .map_err(remote(self.uri_of(rel)))?;
            for o in listed.objects {
                out.push(FileInfo {
                    path: under(o.location.as_ref()),
                    is_dir: false,
                    file_size: Some(o.size),
                });
            }
            for p in listed.common_prefixes {
                if recursive {
                    pending.push(p);
                } else {
                    out.push(FileInfo {
                        path: under(p.as_ref()),
                        is_dir: true,
                        file_size: None,
                    });
                }
            }
        }
        // A listing never names the key it was asked about.
        out.retain(|f| f.path != under(&base));
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }

    /// The files to download for `rel` (an object, or every object below a prefix) into
    /// `dest` under its own name; an error when there is neither.
    pub fn plan_get(&self, rel: &Path, dest: &Path) -> Result<Vec<CopyItem>> {
        let name = rel
            .file_name()
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(&self.bucket));
        if let Some(size) = self.stat(rel)? {
            return Ok(vec![CopyItem {
                from: rel.to_path_buf(),
                to: dest.join(name),
                size,
            }]);
        }
        let items = super::files_below(self.list(rel, true)?, rel, &dest.join(&name), |p| {
            Ok(p.to_path_buf())
        })?;
        if items.is_empty() {
            return Err(Error::NotFound(format!(
                "{}: no object and nothing below it",
                self.uri_of(rel)
            )));
        }
        Ok(items)
    }

    /// Downloads one planned file, in ranged reads of the size the plan found, through a
    /// temporary file beside it.
    pub fn get(&self, item: &CopyItem, progress: &mut dyn FnMut(u64)) -> Result<()> {
        let key = self.key(&item.from);
        super::fill_file(&item.to, |out| {
            let mut at = 0;
            while at < item.size {
                let end = (at + PART).min(item.size);
                let bytes = self
                    .rt
                    .block_on(self.store.get_range(&key, at..end))
                    .map_err(remote(self.uri_of(&item.from)))?;
                out.write_all(&bytes)
                    .map_err(|e| Error::Io(format!("cannot write `{}`", item.to.display()), e))?;
                at = end;
                progress(at);
            }
            out.sync_all()
                .map_err(|e| Error::Io(format!("cannot write `{}`", item.to.display()), e))
        })
    }
}

/// Downloads the object or the tree at `uri` into `dir` under its own name; the copy's path.
pub fn download(uri: &str, dir: &Path) -> Result<PathBuf> {
    let (bucket, key) = split_uri(uri)?;
    let (parent, name) = key.rsplit_once('/').unwrap_or(("", key.as_str()));
    let repo = S3Repo::new(&format!("s3://{bucket}/{parent}"))?;
    let items = repo.plan_get(Path::new(name), dir)?;
    for item in &items {
        repo.get(item, &mut |_| {})?;
    }
    Ok(dir.join(if name.is_empty() {
        bucket.as_str()
    } else {
        name
    }))
}
