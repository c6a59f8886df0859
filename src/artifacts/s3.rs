//! Artifacts in S3 and the stores that speak its protocol (MinIO, SeaweedFS, Ceph), and in
//! Azure Blob Storage (and Azurite), through Apache Arrow's `object_store`. A repository is a
//! bucket (or container) and a key prefix, as in `s3://bucket/prefix`, `az://container/prefix`
//! or MLflow's `wasbs://container@account.blob.core.windows.net/prefix`; its paths are
//! relative to the prefix, as a run's artifact paths are to its root.
//!
//! [`Bucket`] is the asynchronous client of one bucket (the server calls it on its own
//! runtime); [`S3Repo`] wraps one with a runtime of its own for the command line, so no other
//! command opens one. Objects are written whole or not at all: a small one in one request, a
//! large one as a multipart upload of [`PART`]-sized parts, aborted on failure.
//!
//! Credentials and the endpoint come from the usual variables (`AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION`/`AWS_DEFAULT_REGION`,
//! `MLFLOW_S3_ENDPOINT_URL` or `AWS_ENDPOINT_URL`), else from the AWS shared files' profile
//! (`AWS_PROFILE`, `~/.aws/credentials`, `~/.aws/config`); without keys, the instance or
//! container's own role is asked. Azure's come from `AZURE_STORAGE_CONNECTION_STRING` (its
//! `AccountName`, `AccountKey` and `BlobEndpoint`), else `AZURE_STORAGE_ACCESS_KEY` with the
//! account of the URI or `AZURE_STORAGE_ACCOUNT_NAME`; without a key, the machine's managed
//! identity is asked. Nothing here prints a credential.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use futures_util::stream::{BoxStream, StreamExt, TryStreamExt};
use object_store::path::Path as Key;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};

use super::connect::{is_azure, is_gcs, remote};
pub use super::connect::{is_bucket_uri, split_uri};
use super::{CopyItem, Error, FileInfo, Result};

/// Bytes per ranged read and per part of a multipart upload (S3 takes parts of 5 MiB and up).
pub const PART: usize = 8 * 1024 * 1024;

/// Parts of one upload in flight at once.
const PARTS_IN_FLIGHT: usize = 2;

/// `key/rel`, either part possibly empty.
pub fn join_key(key: &str, rel: &str) -> String {
    match (key.is_empty(), rel.is_empty()) {
        (true, _) => rel.to_string(),
        (false, true) => key.to_string(),
        (false, false) => format!("{key}/{rel}"),
    }
}

/// An object or a common prefix of a listing, by its whole key.
pub struct Listed {
    pub objects: Vec<(String, u64)>,
    pub prefixes: Vec<String>,
}

/// The client of one bucket. Cloning it shares its connections.
#[derive(Clone)]
pub struct Bucket {
    store: Arc<dyn ObjectStore>,
    /// `s3://bucket`, `az://container`, `wasbs://container@account.HOST`, `gs://bucket`.
    base: String,
    /// The bucket's or container's name.
    name: String,
}

impl Bucket {
    /// A client of the bucket `base` (as [`split_uri`] gives it), configured from the
    /// environment; nothing is asked of the server yet.
    pub fn connect(base: &str) -> Result<Bucket> {
        let bucket = base.split_once("://").map_or(base, |(_, b)| b);
        let (store, name): (Arc<dyn ObjectStore>, String) = if is_azure(base) {
            let (container, host) = bucket.split_once('@').unwrap_or((bucket, ""));
            (
                super::connect::azure_store(base, container, host)?,
                container.to_string(),
            )
        } else if is_gcs(base) {
            (super::connect::gcs_store(bucket)?, bucket.to_string())
        } else {
            (super::connect::s3_store(bucket)?, bucket.to_string())
        };
        Ok(Bucket {
            store,
            base: base.to_string(),
            name,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// `s3://bucket/key` (or the container's).
    pub fn uri(&self, key: &str) -> String {
        format!("{}/{key}", self.base)
            .trim_end_matches('/')
            .to_string()
    }

    /// The size of the object `key`, or `None` when there is none.
    pub async fn size(&self, key: &str) -> Result<Option<u64>> {
        if key.is_empty() {
            return Ok(None);
        }
        match self.store.head(&Key::from(key)).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(remote(self.uri(key))(e)),
        }
    }

    /// The objects and common prefixes directly below `key` (every page of the listing).
    pub async fn children(&self, key: &str) -> Result<Listed> {
        let at = Key::from(key);
        let at = (!key.is_empty()).then_some(&at);
        let listed = self
            .store
            .list_with_delimiter(at)
            .await
            .map_err(remote(self.uri(key)))?;
        Ok(Listed {
            objects: listed
                .objects
                .into_iter()
                .map(|o| (o.location.to_string(), o.size))
                .collect(),
            prefixes: listed
                .common_prefixes
                .into_iter()
                .map(|p| p.to_string())
                .collect(),
        })
    }

    /// Every object below `key`, at any depth.
    pub async fn below(&self, key: &str) -> Result<Vec<(String, u64)>> {
        let at = Key::from(key);
        let at = (!key.is_empty()).then_some(&at);
        self.store
            .list(at)
            .map_ok(|o| (o.location.to_string(), o.size))
            .try_collect()
            .await
            .map_err(remote(self.uri(key)))
    }

    /// Bytes `start..end` of the object `key`.
    pub async fn range(&self, key: &str, start: u64, end: u64) -> Result<Bytes> {
        self.store
            .get_range(&Key::from(key), start..end)
            .await
            .map_err(remote(self.uri(key)))
    }

    /// The object `key` as a stream of its bytes, with its size.
    pub async fn open(
        &self,
        key: &str,
    ) -> Result<(u64, BoxStream<'static, object_store::Result<Bytes>>)> {
        let got = self
            .store
            .get(&Key::from(key))
            .await
            .map_err(remote(self.uri(key)))?;
        let size = got.meta.size;
        Ok((size, got.into_stream()))
    }

    /// Removes the objects `keys`, in bulk requests (missing ones are no error).
    pub async fn delete_all(&self, keys: Vec<String>) -> Result<()> {
        let what = self.uri("");
        let locations = futures_util::stream::iter(keys.into_iter().map(|k| Ok(Key::from(k))));
        let mut done = self.store.delete_stream(locations.boxed());
        while let Some(r) = done.next().await {
            match r {
                Ok(_) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(remote(what)(e)),
            }
        }
        Ok(())
    }

    /// Whether the bucket answers and takes these keys: one listing below `key`.
    pub async fn check(&self, key: &str) -> Result<()> {
        let at = Key::from(key);
        let at = (!key.is_empty()).then_some(&at);
        let mut page = self.store.list(at);
        match page.next().await {
            Some(Err(e)) => Err(remote(self.uri(key))(e)),
            _ => Ok(()),
        }
    }

    /// A writer of the object `key`, which appears only when [`Writer::finish`] succeeds.
    pub fn writer(&self, key: &str) -> Writer {
        Writer {
            bucket: self.clone(),
            key: key.to_string(),
            head: Vec::new(),
            parts: None,
        }
    }
}

/// An object being written: the first [`PART`] bytes are held, and a larger object goes up as
/// a multipart upload with at most [`PARTS_IN_FLIGHT`] parts in flight, so memory stays flat
/// whatever its size. Dropped unfinished, the upload is aborted and nothing appears.
pub struct Writer {
    bucket: Bucket,
    key: String,
    head: Vec<u8>,
    parts: Option<WriteMultipart>,
}

impl Writer {
    pub async fn write(&mut self, data: &[u8]) -> Result<()> {
        let what = || self.bucket.uri(&self.key);
        if let Some(parts) = self.parts.as_mut() {
            let wait = parts.wait_for_capacity(PARTS_IN_FLIGHT).await;
            wait.map_err(remote(what()))?;
            parts.write(data);
            return Ok(());
        }
        self.head.extend_from_slice(data);
        if self.head.len() >= PART {
            let upload = self
                .bucket
                .store
                .put_multipart(&Key::from(self.key.as_str()))
                .await
                .map_err(remote(what()))?;
            let mut parts = WriteMultipart::new_with_chunk_size(upload, PART);
            parts.write(&std::mem::take(&mut self.head));
            self.parts = Some(parts);
        }
        Ok(())
    }

    /// Puts the object in place.
    pub async fn finish(mut self) -> Result<()> {
        let what = self.bucket.uri(&self.key);
        match self.parts.take() {
            Some(parts) => parts.finish().await.map(drop).map_err(remote(what)),
            None => {
                let payload = PutPayload::from(std::mem::take(&mut self.head));
                let key = Key::from(self.key.as_str());
                self.bucket
                    .store
                    .put(&key, payload)
                    .await
                    .map(drop)
                    .map_err(remote(what))
            }
        }
    }
}

impl Writer {
    /// Gives up: the parts sent so far are dropped by the store.
    pub async fn abort(mut self) {
        if let Some(parts) = self.parts.take() {
            let _ = parts.abort().await;
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        // The parts sent so far are dropped by the store; the object never appears.
        if let Some(parts) = self.parts.take()
            && let Ok(rt) = tokio::runtime::Handle::try_current()
        {
            rt.spawn(async move {
                let _ = parts.abort().await;
            });
        }
    }
}

/// A bucket and key prefix, for the command line: each call waits on a runtime of its own.
pub struct S3Repo {
    bucket: Bucket,
    prefix: String,
    rt: tokio::runtime::Runtime,
}

impl S3Repo {
    /// The repository rooted at `s3://bucket/prefix` (or a container's).
    pub fn new(uri: &str) -> Result<S3Repo> {
        let (bucket, prefix) = split_uri(uri)?;
        let bucket = Bucket::connect(&bucket)?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::Io("cannot start the S3 client".into(), e))?;
        Ok(S3Repo { bucket, prefix, rt })
    }

    pub fn root_uri(&self) -> String {
        self.bucket.uri(&self.prefix)
    }

    fn key(&self, rel: &Path) -> String {
        join_key(&self.prefix, &super::slash(rel))
    }

    fn uri_of(&self, rel: &Path) -> String {
        self.bucket.uri(&self.key(rel))
    }

    /// Whether the bucket answers and takes the keys, by one listing of the prefix.
    pub fn check(&self) -> Result<()> {
        self.rt.block_on(self.bucket.check(&self.prefix))
    }

    /// The entries below `rel` (its direct children, or every file below with `recursive`),
    /// with paths relative to the repository's root.
    pub fn list(&self, rel: &Path, recursive: bool) -> Result<Vec<FileInfo>> {
        let key = self.key(rel);
        let under = |p: &str| -> String {
            p.strip_prefix(&self.prefix)
                .unwrap_or(p)
                .trim_start_matches('/')
                .to_string()
        };
        let mut out = Vec::new();
        if recursive {
            for (k, size) in self.rt.block_on(self.bucket.below(&key))? {
                out.push(FileInfo {
                    path: under(&k),
                    is_dir: false,
                    file_size: Some(size),
                });
            }
        } else {
            let listed = self.rt.block_on(self.bucket.children(&key))?;
            for (k, size) in listed.objects {
                out.push(FileInfo {
                    path: under(&k),
                    is_dir: false,
                    file_size: Some(size),
                });
            }
            for p in listed.prefixes {
                out.push(FileInfo {
                    path: under(&p),
                    is_dir: true,
                    file_size: None,
                });
            }
        }
        // A listing never names the key it was asked about.
        out.retain(|f| f.path != under(&key));
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }

    /// The files to download for `rel` (an object, or every object below a prefix) into
    /// `dest` under its own name; an error when there is neither.
    pub fn plan_get(&self, rel: &Path, dest: &Path) -> Result<Vec<CopyItem>> {
        let name = rel
            .file_name()
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(self.bucket.name()));
        if let Some(size) = self.rt.block_on(self.bucket.size(&self.key(rel)))? {
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
                let end = (at + PART as u64).min(item.size);
                let bytes = self.rt.block_on(self.bucket.range(&key, at, end))?;
                out.write_all(&bytes)
                    .map_err(|e| Error::Io(format!("cannot write `{}`", item.to.display()), e))?;
                at = end;
                progress(at);
            }
            out.sync_all()
                .map_err(|e| Error::Io(format!("cannot write `{}`", item.to.display()), e))
        })
    }

    /// Uploads one planned local file to its place below the prefix.
    pub fn put(&self, item: &CopyItem, progress: &mut dyn FnMut(u64)) -> Result<()> {
        let read = |e| Error::Io(format!("cannot read `{}`", item.from.display()), e);
        let mut input = std::fs::File::open(&item.from).map_err(read)?;
        let mut writer = self.bucket.writer(&self.key(&item.to));
        let mut buf = vec![0u8; PART];
        let mut total = 0u64;
        self.rt.block_on(async {
            let sent: Result<()> = async {
                loop {
                    let n = input.read(&mut buf).map_err(read)?;
                    if n == 0 {
                        return Ok(());
                    }
                    writer.write(&buf[..n]).await?;
                    total += n as u64;
                    progress(total);
                }
            }
            .await;
            match sent {
                Ok(()) => writer.finish().await,
                Err(e) => {
                    writer.abort().await;
                    Err(e)
                }
            }
        })
    }

    /// Writes `bytes` as the object at `rel`.
    pub fn write_bytes(&self, rel: &Path, bytes: &[u8]) -> Result<()> {
        let mut writer = self.bucket.writer(&self.key(rel));
        self.rt.block_on(async {
            writer.write(bytes).await?;
            writer.finish().await
        })
    }
}

/// Downloads the object or the tree at `uri` into `dir` under its own name; the copy's path.
pub fn download(uri: &str, dir: &Path) -> Result<PathBuf> {
    let (bucket, key) = split_uri(uri)?;
    let (parent, name) = key.rsplit_once('/').unwrap_or(("", key.as_str()));
    let repo = S3Repo::new(&format!("{bucket}/{parent}"))?;
    let items = repo.plan_get(Path::new(name), dir)?;
    for item in &items {
        repo.get(item, &mut |_| {})?;
    }
    Ok(dir.join(if name.is_empty() {
        repo.bucket.name.as_str()
    } else {
        name
    }))
}
