//! The model registry's tables: registered models, versions (numbers never reused, handed out
//! under a row lock on the model so that concurrent registrations get 1, 2, 3… without gaps),
//! stages, deletes, and an append-only history of every change.
//!
//! The queries are shared with the other database store: `store/database_sql/registry.rs`.

use postgres::{GenericClient, Row, Transaction};

use super::PgStore;

crate::store::database_sql::registry::queries!(PgStore);
