//! An MLflow database in PostgreSQL copied, table by table and column by column, into a scratch
//! SQLite file with the same tables and columns (`store/postgres/mlflow_source.rs` reads it),
//! which the import then attaches as it attaches an MLflow SQLite database.

use std::path::Path;

use rusqlite::Connection;
use rusqlite::types::Value;

use crate::store::Result;
use crate::store::postgres::{Cell, TableSink, read_mlflow_tables};

/// Copies the MLflow database at `uri` into a new SQLite file at `path`.
pub fn copy_mlflow_postgres(uri: &str, path: &Path) -> Result<()> {
    let mut out = Connection::open(path)?;
    out.execute_batch("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;")?;
    let tx = out.transaction()?;
    let mut sink = Scratch {
        tx: &tx,
        insert: None,
        values: Vec::new(),
    };
    let tables = read_mlflow_tables(uri, &mut sink)?;
    drop(sink);
    // The import looks a batch's points up by run.
    for table in ["metrics", "latest_metrics"] {
        if tables.iter().any(|t| t == table) {
            tx.execute_batch(&format!(
                "CREATE INDEX scratch_{table}_by_run ON {table} (run_uuid)"
            ))?;
        }
    }
    tx.commit()?;
    Ok(())
}

struct Scratch<'a> {
    tx: &'a rusqlite::Transaction<'a>,
    /// The INSERT of the current table.
    insert: Option<String>,
    values: Vec<Value>,
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

impl TableSink for Scratch<'_> {
    fn table(&mut self, name: &str, columns: &[String]) -> Result<()> {
        let decl: Vec<String> = columns.iter().map(|c| quote(c)).collect();
        self.tx.execute_batch(&format!(
            "CREATE TABLE {} ({})",
            quote(name),
            decl.join(", ")
        ))?;
        let marks: Vec<String> = (1..=columns.len()).map(|i| format!("?{i}")).collect();
        self.insert = Some(format!(
            "INSERT INTO {} VALUES ({})",
            quote(name),
            marks.join(", ")
        ));
        Ok(())
    }

    fn row(&mut self, cells: &[Cell]) -> Result<()> {
        let Some(sql) = &self.insert else {
            return Ok(());
        };
        self.values.clear();
        self.values.extend(cells.iter().map(|c| match c {
            Cell::Null => Value::Null,
            Cell::Int(v) => Value::Integer(*v),
            Cell::Real(v) => Value::Real(*v),
            Cell::Text(v) => Value::Text(v.clone()),
        }));
        self.tx
            .prepare_cached(sql)?
            .execute(rusqlite::params_from_iter(self.values.iter()))?;
        Ok(())
    }

    fn count(&mut self, name: &str, rows: i64) -> Result<()> {
        self.tx.execute_batch(
            "CREATE TABLE IF NOT EXISTS scratch_counts (name TEXT PRIMARY KEY, n INTEGER)",
        )?;
        self.tx.execute(
            "INSERT INTO scratch_counts (name, n) VALUES (?1, ?2)",
            rusqlite::params![name, rows],
        )?;
        Ok(())
    }
}
