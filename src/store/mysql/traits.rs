//! The MySQL store behind the store traits (`store/database_traits.rs`).

use super::MyStore;
use super::sql::GenericClient;
use crate::store::Result;

crate::store::database_traits::database_store_traits!(MyStore);

impl MyStore {
    /// One query, to tell that the database answers.
    pub(crate) fn ping_database(&self) -> Result<()> {
        self.client().batch_execute("SELECT 1")
    }
}
