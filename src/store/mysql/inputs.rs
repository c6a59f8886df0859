//! A run's inputs (datasets with the tags of their use, logged models) and the metrics of
//! logged models, as in the SQLite store: a dataset is kept once per experiment by (name,
//! digest), and logging the same input again changes nothing but its tags.
//!
//! The queries are shared with the other database store: `store/database_sql/inputs.rs`.

use super::sql::GenericClient;

use super::MyStore;

crate::store::database_sql::inputs::queries!(MyStore);
