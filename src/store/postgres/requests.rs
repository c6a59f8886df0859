//! Stage-transition requests and their approval, and the registry's history: every change
//! recorded, and what held each stage and alias at a moment.
//!
//! The queries are shared with the other database store: `store/database_sql/requests.rs`.

use super::InsertId;
use postgres::{GenericClient, Row};

use super::PgStore;

crate::store::database_sql::requests::queries!(PgStore);
