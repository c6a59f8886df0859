//! Keyset pages of registered models, model versions and a metric's history, with the same
//! tokens as the SQLite store (`store/paging.rs`): the next page's query starts right after
//! the key the token names.
//!
//! The queries are shared with the other database store: `store/database_sql/pages.rs`.

use super::PgStore;

crate::store::database_sql::pages::queries!(PgStore);
