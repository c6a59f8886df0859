//! An MLflow database in PostgreSQL copied, table by table and column by column, into a scratch
//! SQLite file with the same tables and columns, which the import then attaches as it attaches
//! an MLflow SQLite database. Every MLflow table the import reads (or counts as skipped) is
//! copied with whatever columns this revision of MLflow's schema has; the source is read in
//! one read-only transaction and never written.

use std::path::Path;

use postgres::types::Type;
use rusqlite::Connection;
use rusqlite::types::Value;

use crate::store::{Error, Result};

/// MLflow's tables the import reads, then those it only counts (as skipped).
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

/// Tables whose rows are only counted.
const COUNTED: &[&str] = &[
    "trace_info",
    "inputs",
    "logged_model_metrics",
    "evaluation_datasets",
    "scorers",
    "webhooks",
];

/// Indexes that let the import find a batch's rows by run.
const INDEXES: &str = "
CREATE INDEX IF NOT EXISTS scratch_metrics_by_run ON metrics (run_uuid);
CREATE INDEX IF NOT EXISTS scratch_latest_by_run ON latest_metrics (run_uuid);
";

/// Copies the MLflow database at `uri` into a new SQLite file at `path`.
pub fn copy_mlflow_postgres(uri: &str, path: &Path) -> Result<()> {
    let (mut client, location) = crate::store::postgres::connect(uri)?;
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
    let mut out = Connection::open(path)?;
    out.execute_batch("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;")?;
    let w = out.transaction()?;
    for &table in TABLES.iter().filter(|t| has(t)) {
        copy_table(&mut tx, &w, table, false)?;
    }
    for &table in COUNTED.iter().filter(|t| has(t)) {
        copy_table(&mut tx, &w, table, true)?;
    }
    if has("metrics") && has("latest_metrics") {
        w.execute_batch(INDEXES)?;
    } else if has("metrics") {
        w.execute_batch("CREATE INDEX scratch_metrics_by_run ON metrics (run_uuid);")?;
    }
    w.commit()?;
    tx.commit()?;
    Ok(())
}

/// Copies one table: its columns as PostgreSQL lists them, values as integers, reals or text
/// (anything else as its text form). With `count_only`, only its number of rows, in
/// `scratch_counts`.
fn copy_table(
    tx: &mut postgres::Transaction,
    out: &rusqlite::Transaction,
    table: &str,
    count_only: bool,
) -> Result<()> {
    let quoted = format!("\"{}\"", table.replace('"', "\"\""));
    if count_only {
        let n: i64 = tx
            .query_one(&format!("SELECT count(*) FROM {quoted}"), &[])?
            .get(0);
        out.execute_batch(
            "CREATE TABLE IF NOT EXISTS scratch_counts (name TEXT PRIMARY KEY, n INTEGER)",
        )?;
        out.execute(
            "INSERT INTO scratch_counts (name, n) VALUES (?1, ?2)",
            rusqlite::params![table, n],
        )?;
        return Ok(());
    }
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
    let q = |c: &str| format!("\"{}\"", c.replace('"', "\"\""));
    let decl: Vec<String> = columns.iter().map(|(c, _)| q(c)).collect();
    out.execute_batch(&format!("CREATE TABLE {quoted} ({})", decl.join(", ")))?;
    let select: Vec<String> = columns
        .iter()
        .map(|(c, t)| match t.as_str() {
            "smallint" | "integer" | "bigint" | "boolean" | "double precision" | "real" => q(c),
            _ => format!("{}::text", q(c)),
        })
        .collect();
    let marks: Vec<String> = (1..=columns.len()).map(|i| format!("?{i}")).collect();
    let mut insert = out.prepare(&format!(
        "INSERT INTO {quoted} VALUES ({})",
        marks.join(", ")
    ))?;
    let sql = format!("SELECT {} FROM {quoted}", select.join(", "));
    let mut rows = tx.query_raw(&sql, std::iter::empty::<i32>())?;
    use postgres::fallible_iterator::FallibleIterator;
    let mut values: Vec<Value> = Vec::with_capacity(columns.len());
    while let Some(row) = rows.next()? {
        values.clear();
        for (i, col) in row.columns().iter().enumerate() {
            let v = match *col.type_() {
                Type::INT2 => row
                    .get::<_, Option<i16>>(i)
                    .map(|v| Value::Integer(v.into())),
                Type::INT4 => row
                    .get::<_, Option<i32>>(i)
                    .map(|v| Value::Integer(v.into())),
                Type::INT8 => row.get::<_, Option<i64>>(i).map(Value::Integer),
                Type::BOOL => row
                    .get::<_, Option<bool>>(i)
                    .map(|v| Value::Integer(v.into())),
                Type::FLOAT4 => row.get::<_, Option<f32>>(i).map(|v| Value::Real(v.into())),
                Type::FLOAT8 => row.get::<_, Option<f64>>(i).map(Value::Real),
                _ => row.get::<_, Option<String>>(i).map(Value::Text),
            };
            values.push(v.unwrap_or(Value::Null));
        }
        insert.execute(rusqlite::params_from_iter(values.iter()))?;
    }
    Ok(())
}
