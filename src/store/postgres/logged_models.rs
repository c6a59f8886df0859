//! MLflow 3's logged models (`m-<32 hex>`): create, read with tags and params, status, tags,
//! params, soft delete, keyset-paged search, and the models a run output.
//!
//! The queries are shared with the other database store: `store/database_sql/logged_models.rs`.

use postgres::{Row, Transaction};

use super::PgStore;

crate::store::database_sql::logged_models::queries!(PgStore);
