//! Aliases, descriptions and tags of registered models and their versions.
//!
//! The queries are shared with the other database store: `store/database_sql/labels.rs`.

use super::sql::GenericClient;

use super::MyStore;

crate::store::database_sql::labels::queries!(MyStore);
