//! The store's tables read and written whole, for `mlf store copy` (`store/tables.rs` says
//! which and how): read in one consistent snapshot, written a batch per statement.

use super::MyStore;
use super::sql::{GenericClient, ToSql};
use crate::store::Result;
use crate::store::tables::{Batches, Cell, Kind, OnKey, Table, Tables};

fn quote(name: &str) -> String {
    format!("\"{name}\"")
}

/// The upsert of `n` rows: a derived table of the rows' values (run ids joined to the runs'
/// row numbers), inserted with `ON DUPLICATE KEY UPDATE` of the other columns. A kept row
/// (or a row of key columns only) sets its first key column to itself: changed nothing, it
/// counts as unchanged.
fn upsert(table: &Table, n: usize) -> String {
    let width = table.columns.len();
    let mut rows = Vec::with_capacity(n);
    for r in 0..n {
        let cells: Vec<String> = (0..width)
            .map(|c| {
                let mark = format!("${}", r * width + c + 1);
                if r == 0 {
                    format!("{mark} AS c{c}")
                } else {
                    mark
                }
            })
            .collect();
        rows.push(format!("SELECT {}", cells.join(", ")));
    }
    let from = format!("({}) AS u", rows.join(" UNION ALL "));
    let source = if table.by_run {
        let vals: Vec<String> = (1..width).map(|c| format!("u.c{c}")).collect();
        format!(
            "SELECT r.id, {} FROM {from} JOIN runs r ON r.run_uuid = u.c0",
            vals.join(", ")
        )
    } else {
        let vals: Vec<String> = (0..width).map(|c| format!("u.c{c}")).collect();
        format!("SELECT {} FROM {from}", vals.join(", "))
    };
    let rest = table.updated();
    let set: Vec<String> = if table.on_key == OnKey::Keep || rest.is_empty() {
        let k = quote(table.key[0]);
        vec![format!("{k} = {k}")]
    } else {
        rest.iter()
            .map(|c| format!("{0} = VALUES({0})", quote(c)))
            .collect()
    };
    format!(
        "INSERT INTO {} ({}) {source} ON DUPLICATE KEY UPDATE {}",
        quote(table.name),
        table.insert_columns(),
        set.join(", ")
    )
}

/// A cell as the value of its column's kind.
fn value(kind: Kind, c: &Cell) -> Option<Box<dyn ToSql>> {
    Some(match (kind, c) {
        (_, Cell::Null) => return None,
        (Kind::Int, Cell::Int(v)) => Box::new(*v),
        (Kind::Int, Cell::Real(v)) => Box::new(*v as i64),
        (Kind::Int, Cell::Text(t)) => Box::new(t.parse::<i64>().ok()?),
        (Kind::Bool, Cell::Int(v)) => Box::new(*v != 0),
        (Kind::Bool, Cell::Real(v)) => Box::new(*v != 0.0),
        (Kind::Bool, Cell::Text(t)) => Box::new(matches!(t.as_str(), "1" | "t" | "true")),
        (Kind::Real, Cell::Int(v)) => Box::new(*v as f64),
        (Kind::Real, Cell::Real(v)) => Box::new(*v),
        (Kind::Real, Cell::Text(t)) => Box::new(t.parse::<f64>().ok()?),
        (Kind::Text, Cell::Int(v)) => Box::new(v.to_string()),
        (Kind::Text, Cell::Real(v)) => Box::new(v.to_string()),
        (Kind::Text, Cell::Text(t)) => Box::new(t.clone()),
    })
}

/// Rows added or changed by an `INSERT … ON DUPLICATE KEY UPDATE` of `rows` rows: MySQL
/// counts an added row once and a changed one twice, and its summary (`Records: N
/// Duplicates: D`) says how many met a row with their key.
fn written(rows: u64, affected: u64, info: &str) -> u64 {
    let duplicates = info
        .split("Duplicates:")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|d| d.parse::<u64>().ok());
    match duplicates {
        Some(d) => {
            let added = rows.saturating_sub(d);
            added + affected.saturating_sub(added) / 2
        }
        None => affected.min(rows),
    }
}

impl Tables for MyStore {
    fn count_rows(&self, table: &Table) -> Result<u64> {
        let n: i64 = self
            .client()
            .query_one(&format!("SELECT count(*) FROM {}", quote(table.name)), &[])?
            .get(0);
        Ok(n as u64)
    }

    fn read_tables(
        &self,
        tables: &[&'static Table],
        each: &mut dyn FnMut(&'static Table, Vec<Vec<Cell>>) -> Result<()>,
    ) -> Result<()> {
        let mut client = self.client();
        // One snapshot for every table.
        client.batch_execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")?;
        client.batch_execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")?;
        let result: Result<()> = (|| {
            for &table in tables {
                let mut batches = Batches::new(table, each);
                client.for_each_row(&table.select_sql(), |row| {
                    let cells: Vec<Cell> = table
                        .columns
                        .iter()
                        .enumerate()
                        .map(|(i, (_, kind))| {
                            let cell = match kind {
                                Kind::Int | Kind::Bool => {
                                    row.get::<_, Option<i64>>(i).map(Cell::Int)
                                }
                                Kind::Real => row.get::<_, Option<f64>>(i).map(Cell::Real),
                                Kind::Text => row.get::<_, Option<String>>(i).map(Cell::Text),
                            };
                            cell.unwrap_or(Cell::Null)
                        })
                        .collect();
                    batches.push(cells)
                })?;
                batches.finish()?;
            }
            Ok(())
        })();
        let ended = client.batch_execute("COMMIT");
        result?;
        ended
    }

    fn write_rows(&mut self, table: &Table, rows: &[Vec<Cell>]) -> Result<u64> {
        if rows.is_empty() {
            return Ok(0);
        }
        let sql = upsert(table, rows.len());
        let values: Vec<Option<Box<dyn ToSql>>> = rows
            .iter()
            .flat_map(|row| {
                table
                    .columns
                    .iter()
                    .enumerate()
                    .map(move |(i, (_, kind))| value(*kind, row.get(i).unwrap_or(&Cell::Null)))
            })
            .collect();
        let params: Vec<&dyn ToSql> = values.iter().map(|v| v as &dyn ToSql).collect();
        let n = rows.len() as u64;
        self.write(|tx| {
            let done = tx.run(&sql, &params)?;
            Ok(written(n, done.affected, &done.info))
        })
    }

    fn finish_copy(&mut self) -> Result<()> {
        // Each AUTO_INCREMENT continues past its table's largest id by itself.
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tables::table_named;

    #[test]
    fn a_batch_is_one_statement() {
        let sql = upsert(table_named("tags").unwrap(), 2);
        assert_eq!(
            sql,
            "INSERT INTO \"tags\" (run_id, \"key\", \"value\") SELECT r.id, u.c1, u.c2 FROM \
             (SELECT $1 AS c0, $2 AS c1, $3 AS c2 UNION ALL SELECT $4, $5, $6) AS u JOIN runs r \
             ON r.run_uuid = u.c0 ON DUPLICATE KEY UPDATE \"value\" = VALUES(\"value\")"
        );
    }

    #[test]
    fn written_rows_from_the_summary() {
        assert_eq!(written(3, 3, "Records: 3  Duplicates: 0  Warnings: 0"), 3);
        assert_eq!(written(3, 0, "Records: 3  Duplicates: 3  Warnings: 0"), 0);
        assert_eq!(written(3, 3, "Records: 3  Duplicates: 2  Warnings: 0"), 2);
    }
}
