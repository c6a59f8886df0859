//! Writing artifacts whole or not at all: each file through a temporary file of its own and
//! a rename, a streamed upload likewise, and a new directory staged beside its place.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{CopyItem, Error, Result, io};

/// A directory being copied beside its place (see [`stage_new_dir`]).
pub struct StagedDir {
    stage: PathBuf,
    dest: PathBuf,
}

impl StagedDir {
    /// Renames the copied directory into its place.
    pub fn finish(self) -> Result<()> {
        fs::rename(&self.stage, &self.dest)
            .map_err(io(format!("cannot put `{}` in place", self.dest.display())))
    }

    /// Removes what was copied.
    pub fn abandon(&self) {
        let _ = fs::remove_dir_all(&self.stage);
    }
}

/// When the directory that `items` (planned by [`plan_put`] from a directory into `dest`)
/// create does not exist yet under `root`, points them into a hidden staging directory beside
/// it instead, to be renamed into place once every file is copied. `None` when it exists
/// (the copy then merges into it, file by file).
pub fn stage_new_dir(
    root: &Path,
    dest: &Path,
    items: &mut [CopyItem],
) -> Result<Option<StagedDir>> {
    let Some(first) = items.first() else {
        return Ok(None);
    };
    let Ok(inner) = first.to.strip_prefix(dest) else {
        return Ok(None);
    };
    let Some(top) = inner.components().next() else {
        return Ok(None);
    };
    let top = dest.join(top.as_os_str());
    if root.join(&top).exists() || items.iter().any(|i| !i.to.starts_with(&top)) {
        return Ok(None);
    }
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let name = top.file_name().unwrap_or_default().to_string_lossy();
    let staged = top.with_file_name(format!(
        ".{name}.{}-{}.tmp",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    for item in items.iter_mut() {
        let rest = item.to.strip_prefix(&top).expect("checked").to_path_buf();
        item.to = staged.join(rest);
    }
    Ok(Some(StagedDir {
        stage: root.join(&staged),
        dest: root.join(&top),
    }))
}

/// A file being written in pieces; dropped before [`Upload::finish`], it leaves nothing.
pub struct Upload {
    pub(super) file: fs::File,
    pub(super) tmp: PathBuf,
    pub(super) dest: PathBuf,
    pub(super) done: bool,
}

impl Upload {
    pub fn write(&mut self, bytes: &[u8]) -> Result<()> {
        self.file
            .write_all(bytes)
            .map_err(io(format!("cannot write `{}`", self.dest.display())))
    }

    /// Puts the file in place, replacing what was there.
    pub fn finish(mut self) -> Result<()> {
        self.file
            .flush()
            .and_then(|_| fs::rename(&self.tmp, &self.dest))
            .map_err(io(format!("cannot write `{}`", self.dest.display())))?;
        self.done = true;
        Ok(())
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        if !self.done {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// Writes the file `dest` whole or not at all: `fill` writes a temporary file beside it,
/// which is renamed into place when `fill` succeeds and removed when it fails.
pub(crate) fn fill_file(
    dest: &Path,
    fill: impl FnOnce(&mut fs::File) -> super::Result<()>,
) -> super::Result<()> {
    use super::Error;
    let parent = dest.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(parent)
        .map_err(|e| Error::Io(format!("cannot create `{}`", parent.display()), e))?;
    let name = dest.file_name().unwrap_or_default();
    let (tmp, mut out) = create_temp(parent, name)
        .map_err(|e| Error::Io(format!("cannot write into `{}`", parent.display()), e))?;
    let result = fill(&mut out).and_then(|()| {
        fs::rename(&tmp, dest)
            .map_err(|e| Error::Io(format!("cannot write `{}`", dest.display()), e))
    });
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// A new temporary file beside `dir/name`: its name is unique to this process and call, and
/// it is created exclusively, so concurrent writers of one path never share one.
pub(crate) fn create_temp(
    dir: &Path,
    name: &std::ffi::OsStr,
) -> std::io::Result<(PathBuf, fs::File)> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    loop {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(format!(
            ".{}.{}-{n}.tmp",
            name.to_string_lossy(),
            std::process::id()
        ));
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
        {
            Ok(file) => return Ok((tmp, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Writes `dir/name` whole or not at all: a temporary file of its own, then a rename, so a
/// reader sees the old file or the new one and the last writer wins.
pub(super) fn write_atomic(
    dir: &Path,
    name: &std::ffi::OsStr,
    fill: &mut dyn FnMut(&mut fs::File) -> std::io::Result<u64>,
) -> Result<()> {
    let mut tmp = None;
    let result = (|| {
        let (path, mut out) = create_temp(dir, name)?;
        tmp = Some(path.clone());
        fill(&mut out)?;
        out.flush()?;
        fs::rename(&path, dir.join(name))
    })();
    if let Err(e) = result {
        if let Some(tmp) = tmp {
            let _ = fs::remove_file(&tmp);
        }
        return Err(Error::Io(
            format!("cannot write `{}`", dir.join(name).display()),
            e,
        ));
    }
    Ok(())
}
