//! The stores on a database server — PostgreSQL (`postgres/`) and MySQL or MariaDB
//! (`mysql/`) — behind one interface: what the command line, the server and `store copy` do
//! with a database without caring which.

use std::path::{Path, PathBuf};

use super::tables::Tables;
use super::{Result, ServerStore};

/// Whether `uri` names a database (`postgresql://…`, `postgres://…`, `mysql://…`) rather than
/// a store directory.
pub fn is_database_uri(uri: &str) -> bool {
    super::postgres::is_postgres_uri(uri) || super::mysql::is_mysql_uri(uri)
}

/// A database URI with its password hidden (`postgresql://u:***@h/db`), for messages.
pub(crate) fn redact(uri: &str) -> String {
    match (uri.find("://"), uri.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &uri[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &uri[..s + 3], &uri[at..]),
                None => uri.to_string(),
            }
        }
        _ => uri.to_string(),
    }
}

/// A store in a database.
pub trait Database: ServerStore + Tables + Send {
    /// The database, for messages (no password).
    fn database(&self) -> &str;
    /// Truncate over-long param and tag values (MLflow's default) instead of refusing them.
    fn set_truncate(&mut self, truncate: bool);
    /// The default artifact root.
    fn artifact_root(&self) -> &Path;
    /// Uses `root` as the default artifact root from now on.
    fn set_artifact_root(&mut self, root: PathBuf);
    /// The artifact root recorded by a server given one (`--artifacts-destination`).
    fn recorded_artifact_root(&self) -> Result<Option<PathBuf>>;
    /// Records `root` as the database's artifact root.
    fn record_artifact_root(&self, root: &Path) -> Result<()>;
    /// Whether the connection is gone: the store is of no more use.
    fn is_closed(&self) -> bool;
    /// The PostgreSQL store, for what only it has (the server's group commit).
    fn as_postgres(&mut self) -> Option<&mut super::postgres::PgStore> {
        None
    }
}

/// Connects to the database at `uri` (its kind by its scheme) and brings its schema up to
/// date; runs' artifacts go below `artifact_root` unless their experiment says otherwise.
pub fn open(uri: &str, artifact_root: &Path) -> Result<Box<dyn Database>> {
    if super::mysql::is_mysql_uri(uri) {
        Ok(Box::new(super::mysql::MyStore::open(uri, artifact_root)?))
    } else {
        Ok(Box::new(super::postgres::PgStore::open(
            uri,
            artifact_root,
        )?))
    }
}

macro_rules! database {
    ($store:ty $(, $extra:item)?) => {
        impl Database for $store {
            fn database(&self) -> &str {
                <$store>::location(self)
            }
            fn set_truncate(&mut self, truncate: bool) {
                self.truncate_long_values = truncate;
            }
            fn artifact_root(&self) -> &Path {
                <$store>::artifact_root(self)
            }
            fn set_artifact_root(&mut self, root: PathBuf) {
                <$store>::set_artifact_root(self, root)
            }
            fn recorded_artifact_root(&self) -> Result<Option<PathBuf>> {
                <$store>::recorded_artifact_root(self)
            }
            fn record_artifact_root(&self, root: &Path) -> Result<()> {
                <$store>::record_artifact_root(self, root)
            }
            fn is_closed(&self) -> bool {
                <$store>::is_closed(self)
            }
            $($extra)?
        }
    };
}

database!(
    super::postgres::PgStore,
    fn as_postgres(&mut self) -> Option<&mut super::postgres::PgStore> {
        Some(self)
    }
);
database!(super::mysql::MyStore);
