//! The PostgreSQL store behind the store traits (`store/database_traits.rs`).

use super::PgStore;
use crate::store::Result;

crate::store::database_traits::database_store_traits!(PgStore);

impl PgStore {
    /// One query, to tell that the database answers.
    pub(crate) fn ping_database(&self) -> Result<()> {
        self.client().simple_query("SELECT 1")?;
        Ok(())
    }
}
