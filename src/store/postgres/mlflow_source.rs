//! An MLflow database in PostgreSQL read for `mlf import mlflow`: every MLflow table the import
//! reads, with whatever columns this revision of MLflow's schema has, handed row by row to a
//! sink (the import's scratch SQLite file), and the row counts of the tables it only counts.
//! The source is read in one read-only transaction and never written.

use postgres::fallible_iterator::FallibleIterator;
use postgres::types::Type;

use crate::store::{Error, Result};

/// MLflow's tables the import reads.
const TABLES: &[&str] = &[
    "experiments",
    "experiment_tags",
    "runs",
    "params",
    "tags",
    "metrics",
    "latest_metrics",
    "registered_models",
    "registered_model_tags",
    "registered_model_aliases",
    "model_versions",
    "model_version_tags",
    "logged_models",
    "logged_model_params",
    "logged_model_tags",
];

/// Tables whose rows are only counted (what the import skips, and says so).
const COUNTED: &[&str] = &[
    "trace_info",
    "inputs",
    "logged_model_metrics",
    "evaluation_datasets",
    "scorers",
    "webhooks",
];

pub use crate::store::tables::Cell;

/// Where the tables go.
pub trait TableSink {
    /// A table begins, with its columns in order.
    fn table(&mut self, name: &str, columns: &[String]) -> Result<()>;
    /// A row of the current table.
    fn row(&mut self, cells: &[Cell]) -> Result<()>;
    /// The number of rows of a table that is not copied.
    fn count(&mut self, name: &str, rows: i64) -> Result<()>;
}

/// Reads the MLflow database at `uri` into `sink`; which tables it had.
pub fn read_mlflow_tables(uri: &str, sink: &mut dyn TableSink) -> Result<Vec<String>> {
    let (mut client, location) = super::connect(uri)?;
    let mut tx = client
        .build_transaction()
        .read_only(true)
        .isolation_level(postgres::IsolationLevel::RepeatableRead)
        .start()?;
    let present: Vec<String> = tx
        .query(
            "SELECT table_name::text FROM information_schema.tables
             WHERE table_schema = current_schema()",
            &[],
        )?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let has = |t: &str| present.iter().any(|p| p == t);
    if !["experiments", "runs", "metrics", "params", "tags"]
        .iter()
        .all(|t| has(t))
    {
        return Err(Error::Invalid(format!(
            "`{location}` is not an MLflow tracking database (it lacks MLflow's tables)"
        )));
    }
    let mut copied = Vec::new();
    for &table in TABLES.iter().filter(|t| has(t)) {
        read_table(&mut tx, sink, table)?;
        copied.push(table.to_string());
    }
    for &table in COUNTED.iter().filter(|t| has(t)) {
        let n: i64 = tx
            .query_one(&format!("SELECT count(*) FROM {}", quote(table)), &[])?
            .get(0);
        sink.count(table, n)?;
    }
    tx.commit()?;
    Ok(copied)
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// One table: its columns as PostgreSQL lists them, values as integers, reals or text.
fn read_table(tx: &mut postgres::Transaction, sink: &mut dyn TableSink, table: &str) -> Result<()> {
    let columns: Vec<(String, String)> = tx
        .query(
            "SELECT column_name::text, data_type::text FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = $1
             ORDER BY ordinal_position",
            &[&table],
        )?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let names: Vec<String> = columns.iter().map(|(c, _)| c.clone()).collect();
    sink.table(table, &names)?;
    let select: Vec<String> = columns
        .iter()
        .map(|(c, t)| match t.as_str() {
            "smallint" | "integer" | "bigint" | "boolean" | "double precision" | "real" => quote(c),
            _ => format!("{}::text", quote(c)),
        })
        .collect();
    let sql = format!("SELECT {} FROM {}", select.join(", "), quote(table));
    let mut rows = tx.query_raw(&sql, std::iter::empty::<i32>())?;
    let mut cells: Vec<Cell> = Vec::with_capacity(columns.len());
    while let Some(row) = rows.next()? {
        cells.clear();
        for (i, col) in row.columns().iter().enumerate() {
            let cell = match *col.type_() {
                Type::INT2 => row.get::<_, Option<i16>>(i).map(|v| Cell::Int(v.into())),
                Type::INT4 => row.get::<_, Option<i32>>(i).map(|v| Cell::Int(v.into())),
                Type::INT8 => row.get::<_, Option<i64>>(i).map(Cell::Int),
                Type::BOOL => row.get::<_, Option<bool>>(i).map(|v| Cell::Int(v.into())),
                Type::FLOAT4 => row.get::<_, Option<f32>>(i).map(|v| Cell::Real(v.into())),
                Type::FLOAT8 => row.get::<_, Option<f64>>(i).map(Cell::Real),
                _ => row.get::<_, Option<String>>(i).map(Cell::Text),
            };
            cells.push(cell.unwrap_or(Cell::Null));
        }
        sink.row(&cells)?;
    }
    Ok(())
}
