//! Artifacts of a run behind a tracking server's artifact proxy
//! (`mlflow-artifacts:/EXP/RUN/artifacts`), with the same operations as a local directory.

use std::fs;
use std::path::{Path, PathBuf};

use super::{CopyItem, Error, FileInfo, Result, slash};
use crate::remote::Client;
use crate::store;

pub struct HttpRepo {
    client: Client,
    /// The run's artifact root below the proxy (`1/abc…/artifacts`).
    base: String,
}

fn remote(e: store::Error) -> Error {
    match e {
        store::Error::NotFound(m) => Error::NotFound(m.to_string()),
        store::Error::Invalid(m) => Error::Invalid(m),
        store::Error::Io(m, e) => Error::Io(m, e),
        other => Error::Io(
            other.to_string(),
            std::io::Error::other("tracking server request failed"),
        ),
    }
}

impl HttpRepo {
    pub fn new(client: Client, base: String) -> HttpRepo {
        HttpRepo {
            client,
            base: base.trim_matches('/').to_string(),
        }
    }

    pub fn root_uri(&self) -> String {
        format!("mlflow-artifacts:/{}", self.base)
    }

    fn full(&self, rel: &Path) -> String {
        let rel = slash(rel);
        if rel.is_empty() {
            self.base.clone()
        } else if self.base.is_empty() {
            rel
        } else {
            format!("{}/{rel}", self.base)
        }
    }

    /// Whether `rel` is a file (Some(size)), a directory (None), or absent (error).
    fn stat(&self, rel: &Path) -> Result<Option<Option<u64>>> {
        if rel.as_os_str().is_empty() {
            return Ok(None);
        }
        let parent = rel.parent().unwrap_or(Path::new(""));
        let name = rel
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let entries = self
            .client
            .list_artifacts(&self.full(parent))
            .map_err(remote)?;
        match entries.into_iter().find(|(n, _, _)| *n == name) {
            Some((_, true, _)) => Ok(None),
            Some((_, false, size)) => Ok(Some(size)),
            None => Err(Error::NotFound(format!(
                "no artifact `{}` in this run",
                rel.display()
            ))),
        }
    }

    pub fn list(&self, rel: &Path, recursive: bool) -> Result<Vec<FileInfo>> {
        if let Some(size) = self.stat(rel)? {
            return Ok(vec![FileInfo {
                path: slash(rel),
                is_dir: false,
                file_size: size,
            }]);
        }
        let mut out = Vec::new();
        let mut stack = vec![rel.to_path_buf()];
        while let Some(dir) = stack.pop() {
            let entries = self
                .client
                .list_artifacts(&self.full(&dir))
                .map_err(remote)?;
            for (name, is_dir, size) in entries {
                let path = dir.join(&name);
                if is_dir && recursive {
                    stack.push(path.clone());
                }
                out.push(FileInfo {
                    path: slash(&path),
                    is_dir,
                    file_size: if is_dir { None } else { size },
                });
            }
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }

    pub fn plan_get(&self, rel: &Path, dest: &Path) -> Result<Vec<CopyItem>> {
        let name = rel
            .file_name()
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("artifacts"));
        if let Some(size) = self.stat(rel)? {
            return Ok(vec![CopyItem {
                from: rel.to_path_buf(),
                to: dest.join(name),
                size: size.unwrap_or(0),
            }]);
        }
        super::files_below(self.list(rel, true)?, rel, &dest.join(&name), |p| {
            Ok(p.to_path_buf())
        })
    }

    /// Downloads one planned file (`from` is run-relative) to its local path, via a
    /// temporary file.
    pub fn get(&self, item: &CopyItem, progress: &mut dyn FnMut(u64)) -> Result<()> {
        super::fill_file(&item.to, |out| {
            self.client
                .download(&self.full(&item.from), out, progress)
                .map(drop)
                .map_err(remote)
        })
    }

    /// Uploads one planned file (`to` is run-relative).
    pub fn put(&self, item: &CopyItem, progress: &mut dyn FnMut(u64)) -> Result<()> {
        let file = fs::File::open(&item.from)
            .map_err(|e| Error::Io(format!("cannot read `{}`", item.from.display()), e))?;
        let mut reader = Progress {
            inner: file,
            done: 0,
            progress,
        };
        self.client
            .upload(&self.full(&item.to), &mut reader)
            .map_err(remote)
    }

    pub fn write_bytes(&self, rel: &Path, bytes: &[u8]) -> Result<()> {
        self.client
            .upload(&self.full(rel), &mut std::io::Cursor::new(bytes))
            .map_err(remote)
    }
}

struct Progress<'a, R> {
    inner: R,
    done: u64,
    progress: &'a mut dyn FnMut(u64),
}

impl<R: std::io::Read> std::io::Read for Progress<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.done += n as u64;
        (self.progress)(self.done);
        Ok(n)
    }
}
