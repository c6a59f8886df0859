//! Queries written once for both database stores (PostgreSQL and MySQL), as macros each store
//! expands with its own client in scope; the statements are PostgreSQL's, which the MySQL client
//! translates where the two differ (`mysql/sql.rs`).

pub(crate) mod artifact_root;
pub(crate) mod experiments;
pub(crate) mod extra;
pub(crate) mod inputs;
pub(crate) mod labels;
pub(crate) mod logged_models;
pub(crate) mod pages;
pub(crate) mod registry;
pub(crate) mod requests;
pub(crate) mod runs;
