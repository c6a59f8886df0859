//! What every command gets: the UI, and a store opened (or created) only when first needed.

use std::path::{Path, PathBuf};

use crate::env;
use crate::error::{CliResult, failure, usage_error};
use crate::remote;
use crate::source;
use crate::store::rest::RestStore;
use crate::store::{self, Backend, STORE_DIR, Store};

pub struct Ctx {
    pub ui: crate::ui::Ui,
    store_flag: Option<PathBuf>,
    store: Option<Box<dyn Backend>>,
    config: Option<crate::commands::config::Config>,
    /// One short write: a local store is opened with [`Store::open_alone`].
    brief: bool,
}

impl Ctx {
    pub fn new(ui: crate::ui::Ui, store_flag: Option<PathBuf>) -> Ctx {
        // `--store PROJECT` names the store the project holds.
        let store_flag = store_flag.map(|dir| {
            let is_uri = dir.to_str().is_some_and(store::database::is_database_uri);
            if is_uri { dir } else { Store::named(&dir) }
        });
        Ctx {
            ui,
            store_flag,
            store: None,
            config: None,
            brief: false,
        }
    }

    /// Marks the command as one short write (`mlf log metric|param|tag`): a local store is
    /// opened for this process alone unless another has it open ([`Store::open_alone`]).
    pub fn brief(&mut self) {
        self.brief = true;
    }

    /// The settings in effect (`[defaults]`, `[alias]`): the store's `config.toml` over the
    /// user's; read once.
    pub fn config(&mut self) -> CliResult<&crate::commands::config::Config> {
        if self.config.is_none() {
            let root = crate::commands::config::store_dir(self.store_flag.as_deref(), &self.cwd()?);
            self.config = Some(crate::commands::config::load(root.as_deref())?);
        }
        Ok(self.config.as_ref().expect("settings read"))
    }

    /// The `--store`/`MLF_STORE` directory, when given.
    pub fn store_flag(&self) -> Option<&PathBuf> {
        self.store_flag.as_ref()
    }

    /// Uses `store` (a directory or a database URI) in place of `--store`/`MLF_STORE`: a
    /// command's own option naming its store (`mlf server --backend-store-uri`).
    pub fn use_store(&mut self, store: PathBuf) {
        self.store_flag = Some(store);
        self.store = None;
    }

    pub fn cwd(&self) -> CliResult<PathBuf> {
        std::env::current_dir()
            .map_err(|e| failure(format!("cannot read the current directory: {e}")))
    }

    /// The tracking server commands talk to, if any: `MLF_TRACKING_URI`, else an http(s)
    /// `MLFLOW_TRACKING_URI` when no store was named with `--store`/`MLF_STORE`.
    pub fn tracking_uri(&self) -> CliResult<Option<String>> {
        tracking_uri(self.store_flag.is_some()).map_err(|NotHttp(uri)| {
            usage_error(format!(
                "`{}` is `{uri}`, not an http:// or https:// URL",
                env::MLF_TRACKING_URI
            ))
            .hint("give a tracking server's URL, or use `--store DIR` for a local store")
        })
    }

    /// The store for reading: a tracking server when one is set; else `--store`/`MLF_STORE`,
    /// else the nearest `.mlf` upward.
    pub fn store(&mut self) -> CliResult<&mut dyn Backend> {
        self.open(false)
    }

    /// The store for writing: like `store`, but creates a local one when none is found — at
    /// the `--store` path, else at the git work-tree root (or the current directory outside
    /// git).
    pub fn store_for_write(&mut self) -> CliResult<&mut dyn Backend> {
        self.open(true)
    }

    fn open(&mut self, create: bool) -> CliResult<&mut dyn Backend> {
        if self.store.is_none() {
            let backend = match self.tracking_uri()? {
                Some(uri) => open_remote(&uri)?,
                None if let Some(uri) = self.database_uri() => open_database(&uri, &self.cwd()?)?,
                None => {
                    let mut store = self.open_local(create)?;
                    store.truncate_long_values = truncates();
                    Box::new(store)
                }
            };
            self.store = Some(backend);
        }
        Ok(self.store.as_deref_mut().expect("store opened"))
    }

    /// The `--store`/`MLF_STORE` value when it names a database rather than a directory.
    pub fn database_uri(&self) -> Option<String> {
        let flag = self.store_flag.as_ref()?.to_str()?;
        store::database::is_database_uri(flag).then(|| flag.to_string())
    }

    fn open_local(&self, create: bool) -> CliResult<Store> {
        let cwd = self.cwd()?;
        let existing = match &self.store_flag {
            Some(dir) if create => dir.join(store::DB_FILE).is_file().then(|| dir.clone()),
            Some(dir) => Some(dir.clone()),
            None => Store::discover(&cwd),
        };
        match existing {
            Some(root) if self.brief => Ok(Store::open_alone(&root)?),
            Some(root) => Ok(Store::open(&root)?),
            None if create => self.create_store(&cwd),
            None => Err(store::Error::NoStore(cwd.display().to_string()).into()),
        }
    }

    /// Where runs launched by this command are tracked: the server, or the local store
    /// (created when none is found).
    pub fn tracking(&mut self) -> CliResult<crate::commands::launch::Tracking> {
        if let Some(uri) = self.tracking_uri()? {
            return Ok(crate::commands::launch::Tracking::Remote(uri));
        }
        if let Some(uri) = self.database_uri() {
            return Ok(crate::commands::launch::Tracking::Database(
                uri,
                self.cwd()?,
            ));
        }
        let store = self.local_store_for_write("a run")?;
        Ok(crate::commands::launch::Tracking::Local(
            store.root().to_path_buf(),
        ))
    }

    /// The local store, for what exists only there (`what` names it in the error).
    pub fn local_store(&mut self, what: &str) -> CliResult<&mut Store> {
        self.store()?;
        self.local_or_refuse(what)
    }

    /// Like `local_store`, creating the store when none is found.
    pub fn local_store_for_write(&mut self, what: &str) -> CliResult<&mut Store> {
        self.store_for_write()?;
        self.local_or_refuse(what)
    }

    fn local_or_refuse(&mut self, what: &str) -> CliResult<&mut Store> {
        let database = self.database_uri().is_some();
        let backend = self.store.as_deref_mut().expect("store opened");
        let location = backend.location();
        if database && backend.local().is_none() {
            return Err(usage_error(format!(
                "{what} needs a local store directory, but `--store`/`{}` names the database {location}",
                env::MLF_STORE
            ))
            .hint("give a store directory for it (a database store serves the other commands)"));
        }
        backend.local_mut().ok_or_else(|| {
            usage_error(format!(
                "{what} needs a local store, but commands are talking to the tracking server {location}"
            ))
            .hint(format!(
                "unset `{}`/`{}` (or run it where the server's store is)",
                env::MLF_TRACKING_URI,
                env::MLFLOW_TRACKING_URI
            ))
        })
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

    /// The run a logging command writes to: `--run`, then `MLF_RUN_ID`/`MLFLOW_RUN_ID`, then
    /// the active run of `mlf run start`.
    pub fn target_run(&mut self, flag: Option<&str>) -> CliResult<String> {
        if let Some(spec) = flag {
            return crate::commands::runs::position::resolve(self.store()?, Some(spec), None);
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
        match store.active_run()? {
            Some(id) => Ok(id),
            None => Err(usage_error("no run to log to")
                .hint("pass `--run RUN`, set `MLF_RUN_ID`, or start one with `mlf run start`")),
        }
    }
}

/// An `MLF_TRACKING_URI` that is no http(s) URL (the URI).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("`{var}` is `{0}`, not an http:// or https:// URL", var = env::MLF_TRACKING_URI)]
pub struct NotHttp(pub String);

/// The tracking server in effect: `MLF_TRACKING_URI`, else an http(s) `MLFLOW_TRACKING_URI`
/// unless a store is named. An `MLF_TRACKING_URI` that is no http(s) URL is the error.
pub fn tracking_uri(store_named: bool) -> Result<Option<String>, NotHttp> {
    if let Some(uri) = env::var(env::MLF_TRACKING_URI) {
        return if remote::is_remote_uri(&uri) {
            Ok(Some(uri))
        } else {
            Err(NotHttp(uri))
        };
    }
    Ok(env::var(env::MLFLOW_TRACKING_URI).filter(|u| !store_named && remote::is_remote_uri(u)))
}

/// A client of the tracking server at `uri`, keeping this machine's state for it (the active
/// run) in the cache directory.
pub fn open_remote(uri: &str) -> CliResult<Box<dyn Backend>> {
    let client = remote::Client::new(uri).map_err(usage_error)?;
    let key: String = client
        .base()
        .split_once("://")
        .map(|(_, r)| r)
        .unwrap_or("")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let state = crate::project::fetch::cache_dir().join("remote").join(key);
    Ok(Box::new(RestStore::new(client, state, truncates())))
}

/// The database store (PostgreSQL or MySQL) at `uri`, its artifacts below
/// `MLF_ARTIFACT_ROOT` (else `mlruns` in `cwd`).
pub fn open_database(uri: &str, cwd: &Path) -> CliResult<Box<dyn Backend>> {
    let (store, _) = open_database_with(uri, cwd, None)?;
    Ok(store)
}

/// The database store (PostgreSQL or MySQL) at `uri` and its artifact root: `given` (which the database then
/// records), else `MLF_ARTIFACT_ROOT`, else the root recorded in the database by a server
/// (`--artifacts-destination`), else `mlruns` in `cwd`. A bucket given here must answer.
pub fn open_database_with(
    uri: &str,
    cwd: &Path,
    given: Option<&str>,
) -> CliResult<(Box<dyn store::database::Database>, PathBuf)> {
    let explicit = match given {
        Some(g) => Some(
            artifact_root(cwd, g)
                .map_err(|why| usage_error(format!("--artifacts-destination: {why}")))?,
        ),
        None => env::var(env::MLF_ARTIFACT_ROOT)
            .map(|r| artifact_root(cwd, &r))
            .transpose()
            .map_err(|why| usage_error(format!("MLF_ARTIFACT_ROOT: {why}")))?,
    };
    let fallback = cwd.join("mlruns");
    let mut store = store::database::open(uri, explicit.as_deref().unwrap_or(&fallback))?;
    store.set_truncate(truncates());
    match (&explicit, given) {
        (Some(root), Some(_)) => {
            check_bucket(root)?;
            store.record_artifact_root(root)?;
        }
        (Some(_), None) => {}
        (None, _) => {
            if let Some(root) = store.recorded_artifact_root()? {
                store.set_artifact_root(root);
            }
        }
    }
    let root = store.artifact_root().to_path_buf();
    Ok((store, root))
}

/// Refuses an artifact bucket that cannot be used (unreachable, missing, or refusing the
/// keys), by one listing of its prefix.
fn check_bucket(root: &Path) -> CliResult<()> {
    let root = root.display().to_string();
    if !store::is_remote(&root) {
        return Ok(());
    }
    crate::artifacts::s3::S3Repo::new(&root)
        .and_then(|repo| repo.check())
        .map_err(|e| match e {
            crate::artifacts::Error::NotFound(m) => failure(format!(
                "cannot use the artifact destination: {m} (create the bucket first)"
            )),
            e => failure(format!("cannot use the artifact destination: {e}")),
        })
}

/// An artifact root as given: a bucket's URI (`s3://bucket/prefix`, `az://container/prefix`,
/// `wasbs://container@account.blob.core.windows.net/prefix`, `gs://bucket/prefix`) as it is, the path of a `file://`
/// URI, or a path (relative to `cwd`). Other schemes are refused with the ones taken.
pub fn artifact_root(cwd: &Path, given: &str) -> Result<PathBuf, String> {
    if given.is_empty() {
        return Err(
            "the artifact root is empty: give a path or an s3://BUCKET/PREFIX, az://CONTAINER/PREFIX or gs://BUCKET/PREFIX URI"
                .into(),
        );
    }
    if crate::artifacts::s3::is_bucket_uri(given) {
        crate::artifacts::s3::split_uri(given).map_err(|e| e.to_string())?;
        return Ok(PathBuf::from(given.trim_end_matches('/')));
    }
    if let Some(path) = given.strip_prefix("file://") {
        if !path.starts_with('/') {
            return Err(format!(
                "`{given}` is not an absolute file URI: write file:///PATH"
            ));
        }
        return Ok(PathBuf::from(path));
    }
    if let Some((scheme, _)) = given.split_once("://") {
        return Err(format!(
            "`{scheme}://` artifact roots are not supported: give a path, a file:/// URI, an s3://BUCKET/PREFIX, an az://CONTAINER/PREFIX (wasbs://) or a gs://BUCKET/PREFIX URI"
        ));
    }
    Ok(cwd.join(given))
}

/// Whether over-long param and tag values are truncated (MLflow's default) or refused.
pub fn truncates() -> bool {
    env::var(env::MLFLOW_TRUNCATE_LONG_VALUES).is_none_or(|v| !v.eq_ignore_ascii_case("false"))
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
