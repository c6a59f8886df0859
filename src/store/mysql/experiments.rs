//! Experiments: create, look up, list, rename, delete and restore (cascading to runs).
//!
//! The queries are shared with the other database store: `store/database_sql/experiments.rs`.

use super::sql::GenericClient;
use super::sql::Row;
use super::sql::ToSql;

use super::MyStore;

crate::store::database_sql::experiments::queries!(MyStore);
