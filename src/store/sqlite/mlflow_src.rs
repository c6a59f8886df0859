//! What an attached MLflow source (`src`) holds: its tables and columns, the indexes a batch
//! can use, and how many rows a table has (or had, for a copied PostgreSQL source).

use rusqlite::OptionalExtension;

use super::Store;
use crate::store::Result;

impl Store {
    pub(super) fn src_has(&self, table: &str, column: Option<&str>) -> Result<bool> {
        match column {
            None => Ok(self
                .conn()
                .query_row(
                    "SELECT 1 FROM src.sqlite_master WHERE type = 'table' AND name = ?1",
                    [table],
                    |_| Ok(()),
                )
                .optional()?
                .is_some()),
            Some(col) => {
                let mut stmt = self
                    .conn()
                    .prepare(&format!("PRAGMA src.table_info({table})"))?;
                let cols: Vec<String> = stmt
                    .query_map([], |r| r.get(1))?
                    .collect::<rusqlite::Result<_>>()?;
                Ok(cols.iter().any(|c| c == col))
            }
        }
    }

    /// Whether the source has an index on `table` whose first column is `run_uuid` (MLflow's
    /// own from 3.x on `metrics`): then a batch's rows are looked up by run, else the table is
    /// read through once a batch.
    pub(super) fn src_indexed_by_run(&self, table: &str) -> Result<bool> {
        Ok(self
            .conn()
            .query_row(
                "SELECT 1 FROM pragma_index_list(?1, 'src') l
                 JOIN pragma_index_info(l.name, 'src') i
                 WHERE i.seqno = 0 AND i.name = 'run_uuid'",
                [table],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    /// Rows of a source table (0 when it does not exist), for the summary of what is skipped.
    pub fn src_count(&self, table: &str) -> Result<i64> {
        // A copy of a PostgreSQL source keeps only the counts of the tables it does not copy.
        if self.src_has("scratch_counts", None)? {
            let n: Option<i64> = self
                .conn()
                .query_row(
                    "SELECT n FROM src.scratch_counts WHERE name = ?1",
                    [table],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(n) = n {
                return Ok(n);
            }
        }
        if !self.src_has(table, None)? {
            return Ok(0);
        }
        Ok(self
            .conn()
            .query_row(&format!("SELECT count(*) FROM src.\"{table}\""), [], |r| {
                r.get(0)
            })?)
    }
}
