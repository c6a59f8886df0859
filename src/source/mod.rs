//! The code version of a run, read with libgit2: commit, branch, remote, dirty state, and the
//! working-tree diff when dirty.

use std::path::{Path, PathBuf};

use git2::{DiffFormat, DiffOptions, Repository, StatusOptions};

/// What git says about the working tree a run started in.
#[derive(Debug, Clone, Default)]
pub struct GitInfo {
    /// Full commit id of HEAD (`None` before the first commit).
    pub commit: Option<String>,
    /// Branch name (`None` when HEAD is detached).
    pub branch: Option<String>,
    /// URL of `origin`, or of the first remote.
    pub remote: Option<String>,
    /// Tracked files differ from HEAD (untracked files do not count).
    pub dirty: bool,
    /// `git diff HEAD` as a patch, when dirty.
    pub diff: Option<String>,
}

/// Inspects the repository containing `dir`; `None` outside git.
pub fn inspect(dir: &Path) -> Option<GitInfo> {
    let repo = Repository::discover(dir).ok()?;
    if repo.is_bare() {
        return None;
    }
    let mut info = GitInfo::default();
    let head = repo.head().ok();
    if let Some(head) = &head {
        info.commit = head.peel_to_commit().ok().map(|c| c.id().to_string());
        if head.is_branch() {
            info.branch = head.shorthand().ok().map(str::to_string);
        }
    } else if let Ok(r) = repo.find_reference("HEAD") {
        // Unborn branch: HEAD points at a branch with no commit yet.
        info.branch = r
            .symbolic_target()
            .ok()
            .flatten()
            .and_then(|t| t.strip_prefix("refs/heads/"))
            .map(str::to_string);
    }
    info.remote = remote_url(&repo);
    let mut opts = StatusOptions::new();
    opts.include_untracked(false)
        .include_ignored(false)
        .exclude_submodules(true);
    info.dirty = repo
        .statuses(Some(&mut opts))
        .map(|s| !s.is_empty())
        .unwrap_or(false);
    if info.dirty {
        info.diff = working_tree_diff(&repo);
    }
    Some(info)
}

fn remote_url(repo: &Repository) -> Option<String> {
    if let Ok(r) = repo.find_remote("origin") {
        return r.url().ok().map(str::to_string);
    }
    let names = repo.remotes().ok()?;
    let first = names.iter().flatten().flatten().next()?;
    repo.find_remote(first).ok()?.url().ok().map(str::to_string)
}

fn working_tree_diff(repo: &Repository) -> Option<String> {
    let tree = repo.head().ok().and_then(|h| h.peel_to_tree().ok());
    let mut opts = DiffOptions::new();
    opts.include_untracked(false);
    let diff = repo
        .diff_tree_to_workdir_with_index(tree.as_ref(), Some(&mut opts))
        .ok()?;
    let mut patch = Vec::new();
    diff.print(DiffFormat::Patch, |_, _, line| {
        if matches!(line.origin(), '+' | '-' | ' ') {
            patch.push(line.origin() as u8);
        }
        patch.extend_from_slice(line.content());
        true
    })
    .ok()?;
    Some(String::from_utf8_lossy(&patch).into_owned())
}

/// The work-tree root of the repository containing `dir`, and its git directory.
pub fn work_tree(dir: &Path) -> Option<(PathBuf, PathBuf)> {
    let repo = Repository::discover(dir).ok()?;
    Some((repo.workdir()?.to_path_buf(), repo.path().to_path_buf()))
}

/// Adds `pattern` to `<git dir>/info/exclude` unless a line already says it.
pub fn add_exclude(git_dir: &Path, pattern: &str) -> std::io::Result<bool> {
    let path = git_dir.join("info").join("exclude");
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    if current.lines().any(|l| l.trim() == pattern) {
        return Ok(false);
    }
    std::fs::create_dir_all(path.parent().expect("exclude has a parent"))?;
    let mut text = current;
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(pattern);
    text.push('\n');
    std::fs::write(&path, text)?;
    Ok(true)
}

/// `git diff --stat FROM TO` in the repository containing `dir`, when it has both commits.
pub fn diff_stat(dir: &Path, from: &str, to: &str) -> Option<String> {
    let repo = Repository::discover(dir).ok()?;
    let tree = |id: &str| {
        repo.find_commit(git2::Oid::from_str(id).ok()?)
            .ok()?
            .tree()
            .ok()
    };
    let (a, b) = (tree(from)?, tree(to)?);
    let diff = repo.diff_tree_to_tree(Some(&a), Some(&b), None).ok()?;
    let stats = diff.stats().ok()?;
    let buf = stats.to_buf(git2::DiffStatsFormat::FULL, 80).ok()?;
    buf.as_str().ok().map(str::to_string)
}

/// `user.name` from the git configuration that applies in `dir` (the repository's, else the
/// user's global one).
pub fn user_name(dir: &Path) -> Option<String> {
    let config = match Repository::discover(dir) {
        Ok(repo) => repo.config().ok()?,
        Err(_) => git2::Config::open_default().ok()?,
    };
    config
        .get_string("user.name")
        .ok()
        .filter(|n| !n.trim().is_empty())
}
