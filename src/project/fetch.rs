//! Where a project comes from: a directory (run in place), a local git repository at a
//! `--version`, or a git URL, cloned into the cache; `URI#sub/dir` picks a subdirectory.

use std::path::{Path, PathBuf};

use git2::build::RepoBuilder;
use git2::{Oid, Repository};
use sha2::{Digest, Sha256};

use super::Error;
use crate::env;

/// A project ready to run, and where it came from.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The project directory (with the subdirectory applied).
    pub dir: PathBuf,
    /// What to record as the source (the URI as given, made absolute for paths).
    pub source: String,
    pub commit: Option<String>,
    pub repo_url: Option<String>,
    /// The branch when `--version` named one.
    pub branch: Option<String>,
}

/// The user's cache directory for mlf: `MLF_CACHE_DIR`, else `$XDG_CACHE_HOME/mlf`, else
/// `~/.cache/mlf`.
pub fn cache_dir() -> PathBuf {
    // Relative settings are taken from the current directory, so that paths handed to
    // environments (PATH, VIRTUAL_ENV) work from wherever the entry point runs.
    let absolute = |p: PathBuf| match std::env::current_dir() {
        Ok(cwd) if p.is_relative() => cwd.join(p),
        _ => p,
    };
    if let Some(d) = env::var(env::MLF_CACHE_DIR) {
        return absolute(PathBuf::from(d));
    }
    if let Some(d) = env::var(env::XDG_CACHE_HOME) {
        return absolute(PathBuf::from(d).join("mlf"));
    }
    PathBuf::from(env::var(env::HOME).unwrap_or_else(|| "/tmp".into()))
        .join(".cache")
        .join("mlf")
}

fn is_remote(uri: &str) -> bool {
    ["https://", "http://", "ssh://", "git://", "git@"]
        .iter()
        .any(|p| uri.starts_with(p))
}

/// A short hex digest of some strings, for cache folder names.
pub(crate) fn hash(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    h.finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Fetches `uri` (at `version`), relative to `cwd`.
pub fn fetch(uri: &str, version: Option<&str>, cwd: &Path) -> Result<Fetched, Error> {
    let (base, subdir) = match uri.rsplit_once('#') {
        Some((b, s)) => (b, Some(s)),
        None => (uri, None),
    };
    let sub = match subdir {
        Some(s) => Some(crate::artifacts::clean_relative(s).map_err(|_| {
            Error::Fetch(format!(
                "subdirectory `{s}` in `{uri}` must be a relative path inside the project"
            ))
        })?),
        None => None,
    };
    let (root, source, commit, repo_url, branch) = if is_remote(base) {
        let dest = cache_dir()
            .join("projects")
            .join(hash(&[base, version.unwrap_or("")]));
        clone_remote(base, &dest)?;
        let (commit, branch) = checkout(&dest, version)?;
        (
            dest,
            base.to_string(),
            Some(commit),
            Some(base.to_string()),
            branch,
        )
    } else {
        let local = base.strip_prefix("file://").unwrap_or(base);
        let path = cwd.join(local);
        let path = std::fs::canonicalize(&path)
            .map_err(|_| Error::Fetch(format!("project `{base}` does not exist")))?;
        if !path.is_dir() {
            return Err(Error::Fetch(format!("project `{base}` is not a directory")));
        }
        match version {
            Some(v) => {
                let repo = Repository::open(&path).map_err(|_| {
                    Error::Fetch(format!(
                        "--version needs a git repository, and `{}` is not one",
                        path.display()
                    ))
                })?;
                let dest = cache_dir()
                    .join("projects")
                    .join(hash(&[&path.display().to_string(), v]));
                if dest.exists() {
                    std::fs::remove_dir_all(&dest).map_err(|e| {
                        Error::Fetch(format!("cannot clear `{}`: {e}", dest.display()))
                    })?;
                }
                std::fs::create_dir_all(dest.parent().expect("cache has a parent"))
                    .map_err(|e| Error::Fetch(format!("cannot create the project cache: {e}")))?;
                RepoBuilder::new()
                    .clone(&path.display().to_string(), &dest)
                    .map_err(|e| {
                        Error::Fetch(format!(
                            "cannot clone `{}`: {}",
                            path.display(),
                            e.message()
                        ))
                    })?;
                let url = repo
                    .find_remote("origin")
                    .ok()
                    .and_then(|r| r.url().ok().map(str::to_string));
                let (commit, branch) = checkout(&dest, Some(v))?;
                (
                    dest,
                    path.display().to_string(),
                    Some(commit),
                    url.or(Some(path.display().to_string())),
                    branch,
                )
            }
            None => {
                let git = crate::source::inspect(&path);
                let commit = git.as_ref().and_then(|g| g.commit.clone());
                let url = git.as_ref().and_then(|g| g.remote.clone());
                (path.clone(), path.display().to_string(), commit, url, None)
            }
        }
    };
    let dir = match &sub {
        Some(s) => root.join(s),
        None => root,
    };
    if !dir.is_dir() {
        return Err(Error::Fetch(format!(
            "project `{uri}` has no directory `{}`",
            sub.map(|s| s.display().to_string()).unwrap_or_default()
        )));
    }
    let source = match subdir {
        Some(s) => format!("{source}#{s}"),
        None => source,
    };
    Ok(Fetched {
        dir,
        source,
        commit,
        repo_url,
        branch,
    })
}

/// Clones a remote repository with the `git` program (libgit2 here is built without network
/// transports), or updates an existing clone.
fn clone_remote(url: &str, dest: &Path) -> Result<(), Error> {
    let git = crate::process::find_program("git")
        .ok_or_else(|| Error::Fetch("cloning a remote project needs `git` on PATH".into()))?;
    let status = if dest.join(".git").is_dir() {
        std::process::Command::new(&git)
            .args(["-C"])
            .arg(dest)
            .args(["fetch", "--quiet", "--all", "--tags"])
            .status()
    } else {
        std::fs::create_dir_all(dest.parent().expect("cache has a parent"))
            .map_err(|e| Error::Fetch(format!("cannot create the project cache: {e}")))?;
        std::process::Command::new(&git)
            .args(["clone", "--quiet", url])
            .arg(dest)
            .status()
    };
    match status {
        Ok(s) if s.success() => Ok(()),
        Ok(s) => Err(Error::Fetch(format!(
            "`git` could not fetch `{url}` (exit code {})",
            s.code().unwrap_or(-1)
        ))),
        Err(e) => Err(Error::Fetch(format!("cannot run `git`: {e}"))),
    }
}

/// Checks out `version` (commit, tag or branch; HEAD when none) and returns the commit and,
/// when a branch was named, its name.
fn checkout(dir: &Path, version: Option<&str>) -> Result<(String, Option<String>), Error> {
    let repo = Repository::open(dir)
        .map_err(|e| Error::Fetch(format!("cannot open `{}`: {}", dir.display(), e.message())))?;
    let Some(v) = version else {
        let head = repo
            .head()
            .and_then(|h| h.peel_to_commit())
            .map_err(|e| Error::Fetch(e.message().to_string()))?;
        return Ok((head.id().to_string(), None));
    };
    let branch = repo
        .find_branch(&format!("origin/{v}"), git2::BranchType::Remote)
        .is_ok()
        .then(|| v.to_string());
    let object = repo
        .revparse_single(v)
        .or_else(|_| repo.revparse_single(&format!("origin/{v}")))
        .or_else(|_| Oid::from_str(v).and_then(|oid| repo.find_object(oid, None)))
        .map_err(|_| {
            Error::Fetch(format!(
                "version `{v}` is not a commit, tag or branch of the project"
            ))
        })?;
    let commit = object
        .peel_to_commit()
        .map_err(|_| Error::Fetch(format!("version `{v}` does not name a commit")))?;
    repo.checkout_tree(
        commit.as_object(),
        Some(git2::build::CheckoutBuilder::new().force()),
    )
    .map_err(|e| Error::Fetch(format!("cannot check out `{v}`: {}", e.message())))?;
    repo.set_head_detached(commit.id())
        .map_err(|e| Error::Fetch(format!("cannot check out `{v}`: {}", e.message())))?;
    Ok((commit.id().to_string(), branch))
}
