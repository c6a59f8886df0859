//! Experiments: create, look up, list, rename, delete and restore (cascading to runs).
//!
//! The queries are shared with the other database store: `store/database_sql/experiments.rs`.

use super::InsertId;
use postgres::Row;
use postgres::types::ToSql;

use super::PgStore;

crate::store::database_sql::experiments::queries!(PgStore);
