//! What every command gets: the UI, and a store opened (or created) only when first needed.

use std::path::{Path, PathBuf};

use crate::env;
use crate::error::{CliResult, failure, usage_error};
use crate::source;
use crate::store::{self, STORE_DIR, Store};

pub struct Ctx {
    pub ui: crate::ui::Ui,
    store_flag: Option<PathBuf>,
    store: Option<Store>,
}

impl Ctx {
    pub fn new(ui: crate::ui::Ui, store_flag: Option<PathBuf>) -> Ctx {
        Ctx {
            ui,
            store_flag,
            store: None,
        }
    }

    /// The `--store`/`MLF_STORE` directory, when given.
    pub fn store_flag(&self) -> Option<&PathBuf> {
        self.store_flag.as_ref()
    }

    pub fn cwd(&self) -> CliResult<PathBuf> {
        std::env::current_dir()
            .map_err(|e| failure(format!("cannot read the current directory: {e}")))
    }

    /// Remote tracking servers are not supported yet: refuse rather than write locally when
    /// `MLF_TRACKING_URI` asks for one.
    fn check_tracking_uri(&self) -> CliResult<()> {
        match env::var(env::MLF_TRACKING_URI) {
            Some(uri) => Err(usage_error(format!(
                "`{}` is set to `{uri}`, but this mlf only works with a local store",
                env::MLF_TRACKING_URI
            ))
            .hint(format!(
                "unset `{}` to use the nearest `.mlf` store",
                env::MLF_TRACKING_URI
            ))),
            None => Ok(()),
        }
    }

    /// The store for reading: `--store`/`MLF_STORE`, else the nearest `.mlf` upward.
    pub fn store(&mut self) -> CliResult<&mut Store> {
        if self.store.is_none() {
            self.check_tracking_uri()?;
            let root = match &self.store_flag {
                Some(dir) => dir.clone(),
                None => {
                    let cwd = self.cwd()?;
                    Store::discover(&cwd)
                        .ok_or_else(|| store::Error::NoStore(cwd.display().to_string()))?
                }
            };
            let store = Store::open(&root)?;
            self.store = Some(self.configure(store));
        }
        Ok(self.store.as_mut().expect("store opened"))
    }

    /// The store for writing: like `store`, but creates one when none is found — at the
    /// `--store` path, else at the git work-tree root (or the current directory outside git).
    pub fn store_for_write(&mut self) -> CliResult<&mut Store> {
        if self.store.is_none() {
            self.check_tracking_uri()?;
            let cwd = self.cwd()?;
            let existing = match &self.store_flag {
                Some(dir) => dir.join(store::DB_FILE).is_file().then(|| dir.clone()),
                None => Store::discover(&cwd),
            };
            let store = match existing {
                Some(root) => Store::open(&root)?,
                None => self.create_store(&cwd)?,
            };
            self.store = Some(self.configure(store));
        }
        Ok(self.store.as_mut().expect("store opened"))
    }

    /// Where a new store would be created: the `--store` path, else `.mlf` at the git
    /// work-tree root, else in the current directory; and the git directory to exclude it from.
    fn new_store_root(&self, cwd: &Path) -> (PathBuf, Option<PathBuf>) {
        match &self.store_flag {
            Some(dir) => (cwd.join(dir), None),
            None => match source::work_tree(cwd) {
                Some((work_tree, git_dir)) => (work_tree.join(STORE_DIR), Some(git_dir)),
                None => (cwd.join(STORE_DIR), None),
            },
        }
    }

    /// The store a write would use, without creating it: the existing one, else where one
    /// would be created. Absolute.
    pub fn write_store_root(&self) -> CliResult<PathBuf> {
        let cwd = self.cwd()?;
        let existing = match &self.store_flag {
            Some(dir) => Some(cwd.join(dir)),
            None => Store::discover(&cwd),
        };
        Ok(existing.unwrap_or_else(|| self.new_store_root(&cwd).0))
    }

    fn create_store(&self, cwd: &Path) -> CliResult<Store> {
        let (root, git) = self.new_store_root(cwd);
        let store = Store::create(&root)?;
        self.ui
            .status("Created", &format!("store at `{}`", store.root().display()));
        if let Some(git_dir) = git {
            exclude_store(&git_dir, &self.ui);
        }
        Ok(store)
    }

    fn configure(&self, mut store: Store) -> Store {
        store.truncate_long_values = env::var(env::MLFLOW_TRUNCATE_LONG_VALUES)
            .is_none_or(|v| !v.eq_ignore_ascii_case("false"));
        store
    }

    /// The run a logging command writes to: `--run`, then `MLF_RUN_ID`/`MLFLOW_RUN_ID`, then
    /// the active run of `mlf run start`.
    pub fn target_run(&mut self, flag: Option<&str>) -> CliResult<String> {
        if let Some(spec) = flag {
            return Ok(self.store()?.resolve_run(spec, None)?);
        }
        for name in [env::MLF_RUN_ID, env::MLFLOW_RUN_ID] {
            if let Some(id) = env::var(name) {
                return self.store()?.resolve_run(&id, None).map_err(|e| {
                    usage_error(format!("{e} (from `{name}`)"))
                        .hint(format!("unset `{name}` or pass `--run`"))
                });
            }
        }
        let store = self.store()?;
        match store.state(store::ACTIVE_RUN)? {
            Some(id) => Ok(id),
            None => Err(usage_error("no run to log to")
                .hint("pass `--run RUN`, set `MLF_RUN_ID`, or start one with `mlf run start`")),
        }
    }
}

/// Keeps the store out of git: `.mlf/` in `.git/info/exclude`.
pub fn exclude_store(git_dir: &Path, ui: &crate::ui::Ui) {
    match source::add_exclude(git_dir, &format!("{STORE_DIR}/")) {
        Ok(true) => ui.status(
            "Excluded",
            &format!("`{STORE_DIR}/` from git in `.git/info/exclude`"),
        ),
        Ok(false) => {}
        Err(e) => ui.warn(&format!(
            "cannot add `{STORE_DIR}/` to `.git/info/exclude`: {e}"
        )),
    }
}
