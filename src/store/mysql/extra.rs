//! What a tracking server needs beyond the command line: experiments paged and by name,
//! experiment tags, deleting run tags, renaming runs and models, and sampled metric points.
//!
//! The queries are shared with the other database store: `store/database_sql/extra.rs`.

use super::sql::GenericClient;

use super::MyStore;

crate::store::database_sql::extra::queries!(MyStore);
