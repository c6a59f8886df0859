//! Copying a source's artifact files into this store: a file already there with the same size
//! is left alone (so a second import copies nothing and an interrupted one resumes), a new one
//! is written beside its place and renamed into it.

use std::path::{Path, PathBuf};

/// Files and bytes copied, and files already in place.
#[derive(Debug, Clone, Copy, Default)]
pub struct Copied {
    pub files: usize,
    pub bytes: u64,
    pub present: usize,
}

impl Copied {
    pub fn add(&mut self, other: Copied) {
        self.files += other.files;
        self.bytes += other.bytes;
        self.present += other.present;
    }
}

/// A local directory from an artifact URI (`file://…`, a path; relative to `base`), or `None`
/// for a scheme this import cannot read (`s3://`, `mlflow-artifacts:`, …).
pub fn local_dir(uri: &str, base: &Path) -> Option<PathBuf> {
    let path = if let Some(rest) = uri.strip_prefix("file://") {
        rest.to_string()
    } else if let Some(rest) = uri.strip_prefix("file:") {
        rest.to_string()
    } else if uri.contains(":/") || uri.is_empty() {
        return None;
    } else {
        uri.to_string()
    };
    let p = PathBuf::from(path);
    Some(if p.is_absolute() { p } else { base.join(p) })
}

/// Copies the tree below `from` into `to` (nothing when `from` does not exist); with
/// `dry_run`, only counts.
pub fn copy_tree(from: &Path, to: &Path, dry_run: bool) -> std::io::Result<Copied> {
    let mut out = Copied::default();
    let Ok(entries) = std::fs::read_dir(from) else {
        return Ok(out);
    };
    for entry in entries {
        let entry = entry?;
        let kind = entry.file_type()?;
        let dest = to.join(entry.file_name());
        if kind.is_dir() {
            out.add(copy_tree(&entry.path(), &dest, dry_run)?);
        } else if kind.is_file() {
            let size = entry.metadata()?.len();
            if std::fs::metadata(&dest).is_ok_and(|m| m.len() == size) {
                out.present += 1;
                continue;
            }
            if !dry_run {
                std::fs::create_dir_all(to)?;
                let part = to.join(format!(".{}.part", entry.file_name().to_string_lossy()));
                std::fs::copy(entry.path(), &part)?;
                std::fs::rename(&part, &dest)?;
            }
            out.files += 1;
            out.bytes += size;
        }
    }
    Ok(out)
}
