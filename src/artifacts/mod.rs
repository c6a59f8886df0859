//! Artifacts of a run in a local directory: put, list and get, with every path confined to
//! the run's root (no absolute paths, no `..`, no symlinks out). Writes go to a temporary file
//! renamed into place, so a reader never sees half a file.

use std::fs;
use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};

use serde::Serialize;

mod aws_profile;
mod connect;
pub mod http;
pub mod s3;
mod write;

pub use http::HttpRepo;
use write::write_atomic;
pub use write::{StagedDir, Upload, stage_new_dir};
pub(crate) use write::{create_temp, fill_file};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One entry of a listing, as MLflow's `FileInfo`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FileInfo {
    pub path: String,
    pub is_dir: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_size: Option<u64>,
}

/// One file to copy.
#[derive(Debug, Clone)]
pub struct CopyItem {
    pub from: PathBuf,
    pub to: PathBuf,
    pub size: u64,
}

/// The artifact directory of one run.
pub struct LocalRepo {
    root: PathBuf,
}

/// Checks an artifact path given by a user and returns its clean relative form ("" for root).
pub fn clean_relative(path: &str) -> Result<PathBuf> {
    let p = Path::new(path);
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::Normal(s) => out.push(s),
            Component::CurDir => {}
            Component::ParentDir => {
                return Err(Error::Invalid(format!(
                    "artifact path `{path}` contains `..`: artifact paths stay inside the run's artifact root"
                )));
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(Error::Invalid(format!(
                    "artifact path `{path}` is absolute: give a path relative to the run's artifact root"
                )));
            }
        }
    }
    Ok(out)
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
    let what = what.into();
    move |e| Error::Io(what, e)
}

impl LocalRepo {
    pub fn new(root: PathBuf) -> LocalRepo {
        LocalRepo { root }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn canonical_root(&self) -> Result<PathBuf> {
        fs::create_dir_all(&self.root)
            .map_err(io(format!("cannot create `{}`", self.root.display())))?;
        fs::canonicalize(&self.root)
            .map_err(io(format!("cannot resolve `{}`", self.root.display())))
    }

    /// Resolves an existing path under the root, refusing anything that leads outside it.
    fn existing(&self, rel: &Path) -> Result<PathBuf> {
        let root = self.canonical_root()?;
        let target = root.join(rel);
        let real = fs::canonicalize(&target)
            .map_err(|_| Error::NotFound(format!("no artifact `{}` in this run", rel.display())))?;
        if !real.starts_with(&root) {
            return Err(Error::Invalid(format!(
                "artifact `{}` leads outside the run's artifact root (a symlink): refusing to follow it",
                rel.display()
            )));
        }
        Ok(real)
    }

    /// Plans copying a local file or directory to `dest` (see [`plan_put`]).
    pub fn plan_put(&self, src: &Path, dest: &Path) -> Result<Vec<CopyItem>> {
        plan_put(src, dest)
    }

    /// Copies one planned file into place (temporary file, then rename); `progress` is called
    /// with the bytes copied so far.
    pub fn put(&self, item: &CopyItem, progress: &mut dyn FnMut(u64)) -> Result<()> {
        let (dir, name) = self.writable(&item.to)?;
        let mut input = fs::File::open(&item.from)
            .map_err(io(format!("cannot read `{}`", item.from.display())))?;
        write_atomic(&dir, &name, &mut |out| {
            copy_with_progress(&mut input, out, progress)
        })
    }

    /// Writes bytes to a path under the root.
    pub fn write_bytes(&self, rel: &Path, bytes: &[u8]) -> Result<()> {
        let (dir, name) = self.writable(rel)?;
        write_atomic(&dir, &name, &mut |out| {
            out.write_all(bytes).map(|_| bytes.len() as u64)
        })
    }

    /// Starts writing `rel` whole or not at all, in pieces (a streamed upload): the bytes go to
    /// a temporary file of their own beside it, which [`Upload::finish`] renames into place.
    pub fn begin_write(&self, rel: &Path) -> Result<Upload> {
        let (dir, name) = self.writable(rel)?;
        let (tmp, file) = create_temp(&dir, &name)
            .map_err(io(format!("cannot write into `{}`", dir.display())))?;
        Ok(Upload {
            file,
            tmp,
            dest: dir.join(name),
            done: false,
        })
    }

    /// The real directory to write `rel` into, created if needed, and the file name. The part
    /// of the path that exists is checked before anything is created below it, and again after.
    fn writable(&self, rel: &Path) -> Result<(PathBuf, std::ffi::OsString)> {
        let root = self.canonical_root()?;
        let target = root.join(rel);
        let name = target
            .file_name()
            .expect("artifact has a file name")
            .to_os_string();
        let parent = target.parent().expect("artifact has a parent");
        let outside = || {
            Error::Invalid(format!(
                "artifact path `{}` leads outside the run's artifact root (a symlink): refusing to write",
                rel.display()
            ))
        };
        let existing = parent.ancestors().find(|a| a.exists()).unwrap_or(&root);
        let real = fs::canonicalize(existing)
            .map_err(io(format!("cannot resolve `{}`", existing.display())))?;
        if !real.starts_with(&root) {
            return Err(outside());
        }
        fs::create_dir_all(parent).map_err(io(format!("cannot create `{}`", parent.display())))?;
        let real_parent = fs::canonicalize(parent)
            .map_err(io(format!("cannot resolve `{}`", parent.display())))?;
        if !real_parent.starts_with(&root) {
            return Err(outside());
        }
        Ok((real_parent, name))
    }

    /// Lists a directory under the root (or the root itself), run-relative paths, sorted.
    pub fn list(&self, rel: &Path, recursive: bool) -> Result<Vec<FileInfo>> {
        if !self.root.exists() && rel.as_os_str().is_empty() {
            return Ok(Vec::new());
        }
        let dir = self.existing(rel)?;
        let mut out = Vec::new();
        if dir.is_file() {
            let size = fs::metadata(&dir).map(|m| m.len()).ok();
            out.push(FileInfo {
                path: slash(rel),
                is_dir: false,
                file_size: size,
            });
            return Ok(out);
        }
        list_dir(&dir, rel, recursive, &mut out)?;
        Ok(out)
    }

    /// Checks that everything below `rel` is a plain file or directory inside the root (a
    /// symlink is refused unless it stays inside).
    pub fn check_tree(&self, rel: &Path) -> Result<()> {
        let root = self.canonical_root()?;
        let start = self.existing(rel)?;
        let mut stack = vec![start];
        while let Some(dir) = stack.pop() {
            if !dir.is_dir() {
                continue;
            }
            for entry in fs::read_dir(&dir)
                .map_err(io(format!("cannot read `{}`", dir.display())))?
                .flatten()
            {
                let path = entry.path();
                let real = fs::canonicalize(&path)
                    .map_err(io(format!("cannot resolve `{}`", path.display())))?;
                if !real.starts_with(&root) {
                    return Err(Error::Invalid(format!(
                        "`{}` leads outside the run's artifact root (a symlink): refusing it",
                        path.strip_prefix(&root).unwrap_or(&path).display()
                    )));
                }
                if entry.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                    stack.push(path);
                }
            }
        }
        Ok(())
    }

    /// Plans copying an artifact (file or directory) to a local destination directory.
    pub fn plan_get(&self, rel: &Path, dest: &Path) -> Result<Vec<CopyItem>> {
        let src = self.existing(rel)?;
        let name = rel
            .file_name()
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("artifacts"));
        let mut items = Vec::new();
        if src.is_file() {
            let size = fs::metadata(&src).map(|m| m.len()).unwrap_or(0);
            items.push(CopyItem {
                from: src,
                to: dest.join(name),
                size,
            });
        } else {
            items = files_below(self.list(rel, true)?, rel, &dest.join(&name), |p| {
                self.existing(p)
            })?;
        }
        Ok(items)
    }
}

/// Plans copying a local file or directory to `dest` (a directory under the root; a file
/// keeps its name, a directory's contents keep their layout below `dest/<dirname>`).
pub fn plan_put(src: &Path, dest: &Path) -> Result<Vec<CopyItem>> {
    let meta = fs::metadata(src)
        .map_err(|_| Error::NotFound(format!("no file or directory `{}`", src.display())))?;
    let name = src
        .file_name()
        .map(PathBuf::from)
        .or_else(|| {
            fs::canonicalize(src)
                .ok()
                .and_then(|p| p.file_name().map(PathBuf::from))
        })
        .unwrap_or_default();
    let mut items = Vec::new();
    if meta.is_file() {
        items.push(CopyItem {
            from: src.to_path_buf(),
            to: dest.join(&name),
            size: meta.len(),
        });
    } else {
        let base =
            fs::canonicalize(src).map_err(io(format!("cannot resolve `{}`", src.display())))?;
        walk_source(&base, &base, &dest.join(&name), &mut items)?;
    }
    Ok(items)
}

/// The files of a recursive listing of `rel` as copies into `dest` (keeping their layout
/// below `rel`); `from` gives each file's source from its run-relative path.
pub(crate) fn files_below(
    listing: Vec<FileInfo>,
    rel: &Path,
    dest: &Path,
    from: impl Fn(&Path) -> Result<PathBuf>,
) -> Result<Vec<CopyItem>> {
    let mut items = Vec::new();
    for f in listing.into_iter().filter(|f| !f.is_dir) {
        let path = Path::new(&f.path);
        let inner = path.strip_prefix(rel).unwrap_or(path);
        items.push(CopyItem {
            from: from(path)?,
            to: dest.join(inner),
            size: f.file_size.unwrap_or(0),
        });
    }
    Ok(items)
}

/// The artifacts of a run: a local directory, a tracking server's artifact proxy, or a
/// bucket.
pub enum Repo {
    Local(LocalRepo),
    Http(HttpRepo),
    S3(s3::S3Repo),
}

impl Repo {
    /// The files below a location: a bucket's or container's objects (`s3://`, `az://`,
    /// `wasbs://`), else a directory (a path or a `file://` URI).
    pub fn at(uri: &str) -> Result<Repo> {
        if s3::is_bucket_uri(uri) {
            return Ok(Repo::S3(s3::S3Repo::new(uri)?));
        }
        let path = uri.strip_prefix("file://").unwrap_or(uri);
        Ok(Repo::Local(LocalRepo::new(PathBuf::from(path))))
    }

    /// The root as a URI or path, for listings.
    pub fn root_uri(&self) -> String {
        match self {
            Repo::Local(r) => r.root().display().to_string(),
            Repo::Http(r) => r.root_uri(),
            Repo::S3(r) => r.root_uri(),
        }
    }

    /// The local directory, when the artifacts are local.
    pub fn local_root(&self) -> Option<&Path> {
        match self {
            Repo::Local(r) => Some(r.root()),
            Repo::Http(_) | Repo::S3(_) => None,
        }
    }

    pub fn list(&self, rel: &Path, recursive: bool) -> Result<Vec<FileInfo>> {
        match self {
            Repo::Local(r) => r.list(rel, recursive),
            Repo::Http(r) => r.list(rel, recursive),
            Repo::S3(r) => r.list(rel, recursive),
        }
    }

    pub fn plan_get(&self, rel: &Path, dest: &Path) -> Result<Vec<CopyItem>> {
        match self {
            Repo::Local(r) => r.plan_get(rel, dest),
            Repo::Http(r) => r.plan_get(rel, dest),
            Repo::S3(r) => r.plan_get(rel, dest),
        }
    }

    /// Copies one planned file out to its local destination.
    pub fn get(&self, item: &CopyItem, progress: &mut dyn FnMut(u64)) -> Result<()> {
        match self {
            Repo::Local(_) => copy_out(item, progress),
            Repo::Http(r) => r.get(item, progress),
            Repo::S3(r) => r.get(item, progress),
        }
    }

    pub fn plan_put(&self, src: &Path, dest: &Path) -> Result<Vec<CopyItem>> {
        plan_put(src, dest)
    }

    pub fn put(&self, item: &CopyItem, progress: &mut dyn FnMut(u64)) -> Result<()> {
        match self {
            Repo::Local(r) => r.put(item, progress),
            Repo::Http(r) => r.put(item, progress),
            Repo::S3(r) => r.put(item, progress),
        }
    }

    pub fn write_bytes(&self, rel: &Path, bytes: &[u8]) -> Result<()> {
        match self {
            Repo::Local(r) => r.write_bytes(rel, bytes),
            Repo::Http(r) => r.write_bytes(rel, bytes),
            Repo::S3(r) => r.write_bytes(rel, bytes),
        }
    }

    /// Checks that everything below `rel` stays inside the root (the server checks its own).
    pub fn check_tree(&self, rel: &Path) -> Result<()> {
        match self {
            Repo::Local(r) => r.check_tree(rel),
            Repo::Http(_) | Repo::S3(_) => Ok(()),
        }
    }

    /// A local directory or file holding the artifact `rel`: the run's own for local
    /// artifacts; for remote ones, a copy downloaded below `scratch`.
    pub fn materialize(&self, rel: &Path, scratch: &Path) -> Result<PathBuf> {
        match self {
            Repo::Local(r) => {
                r.list(rel, false)?;
                Ok(r.root().join(rel))
            }
            Repo::Http(_) | Repo::S3(_) => {
                for item in self.plan_get(rel, scratch)? {
                    self.get(&item, &mut |_| {})?;
                }
                let name = rel
                    .file_name()
                    .map(PathBuf::from)
                    .unwrap_or_else(|| PathBuf::from("artifacts"));
                Ok(scratch.join(name))
            }
        }
    }
}

/// Copies one file to a local path (for `get`), via a temporary file.
pub fn copy_out(item: &CopyItem, progress: &mut dyn FnMut(u64)) -> Result<()> {
    let parent = item.to.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(io(format!("cannot create `{}`", parent.display())))?;
    let mut input =
        fs::File::open(&item.from).map_err(io(format!("cannot read `{}`", item.from.display())))?;
    write_atomic(
        parent,
        item.to.file_name().expect("file name"),
        &mut |out| copy_with_progress(&mut input, out, progress),
    )
}

fn copy_with_progress(
    input: &mut fs::File,
    out: &mut fs::File,
    progress: &mut dyn FnMut(u64),
) -> std::io::Result<u64> {
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0u64;
    loop {
        let n = input.read(&mut buf)?;
        if n == 0 {
            return Ok(total);
        }
        out.write_all(&buf[..n])?;
        total += n as u64;
        progress(total);
    }
}

fn walk_source(base: &Path, dir: &Path, dest: &Path, items: &mut Vec<CopyItem>) -> Result<()> {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .map_err(io(format!("cannot read `{}`", dir.display())))?
        .collect::<std::io::Result<_>>()
        .map_err(io(format!("cannot read `{}`", dir.display())))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let ty = entry
            .file_type()
            .map_err(io(format!("cannot read `{}`", path.display())))?;
        let to = dest.join(entry.file_name());
        if ty.is_symlink() {
            let real = fs::canonicalize(&path)
                .ok()
                .filter(|r| r.starts_with(base) && r.is_file());
            match real {
                Some(real) => {
                    let size = fs::metadata(&real).map(|m| m.len()).unwrap_or(0);
                    items.push(CopyItem {
                        from: real,
                        to,
                        size,
                    });
                }
                None => {
                    return Err(Error::Invalid(format!(
                        "`{}` is a symlink that leads outside `{}` (or to a directory): \
                         artifacts only take regular files from inside the logged directory",
                        path.display(),
                        base.display()
                    )));
                }
            }
        } else if ty.is_dir() {
            walk_source(base, &path, &to, items)?;
        } else if ty.is_file() {
            let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
            items.push(CopyItem {
                from: path,
                to,
                size,
            });
        }
    }
    Ok(())
}

fn list_dir(dir: &Path, rel: &Path, recursive: bool, out: &mut Vec<FileInfo>) -> Result<()> {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .map_err(io(format!("cannot read `{}`", dir.display())))?
        .filter_map(|e| e.ok())
        .filter(|e| !is_temp(&e.file_name().to_string_lossy()))
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let meta = match entry.metadata() {
            Ok(m) => m,
            Err(_) => continue,
        };
        let child_rel = rel.join(entry.file_name());
        if meta.is_dir() {
            out.push(FileInfo {
                path: slash(&child_rel),
                is_dir: true,
                file_size: None,
            });
            if recursive {
                list_dir(&entry.path(), &child_rel, true, out)?;
            }
        } else {
            out.push(FileInfo {
                path: slash(&child_rel),
                is_dir: false,
                file_size: Some(meta.len()),
            });
        }
    }
    Ok(())
}

fn is_temp(name: &str) -> bool {
    name.starts_with('.') && name.ends_with(".tmp")
}

pub(crate) fn slash(p: &Path) -> String {
    p.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths() {
        assert_eq!(clean_relative("a/./b/").unwrap(), PathBuf::from("a/b"));
        assert_eq!(clean_relative("").unwrap(), PathBuf::new());
        assert!(clean_relative("../x").is_err());
        assert!(clean_relative("a/../../x").is_err());
        assert!(clean_relative("/etc").is_err());
    }
}
