//! Runs: create, read back in MLflow's shape, resolve by id, prefix or name, search, end,
//! delete and restore.
//!
//! The queries are shared with the other database store: `store/database_sql/runs.rs`.

use super::InsertId;
use postgres::{GenericClient, Row};

use super::PgStore;

crate::store::database_sql::runs::queries!(PgStore);
