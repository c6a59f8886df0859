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
/// row numbers), inserted with `ON DUPLICATE KEY UPDATE` of the other columns. MySQL counts an
/// added row once and a changed one twice, so the first assignment (MySQL runs them in order,
/// each seeing the ones before) adds each row that differs to `@mlf_changed`, and sets the
/// first key column to itself. A kept row (or a row of key columns only) only does that: it
/// changes nothing, and counts as unchanged.
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
    let k = quote(table.key[0]);
    let mut set = Vec::with_capacity(rest.len() + 1);
    if table.on_key == OnKey::Keep || rest.is_empty() {
        set.push(format!("{k} = {k}"));
    } else {
        let same: Vec<String> = rest
            .iter()
            .map(|c| format!("{0} <=> VALUES({0})", quote(c)))
            .collect();
        set.push(format!(
            "{k} = IF((@mlf_changed := @mlf_changed + (NOT ({}))) IS NULL, {k}, {k})",
            same.join(" AND ")
        ));
        set.extend(rest.iter().map(|c| format!("{0} = VALUES({0})", quote(c))));
    }
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
            tx.batch_execute("SET @mlf_changed = 0")?;
            let affected = tx.execute(&sql, &params)?;
            let changed: i64 = tx.query_one("SELECT @mlf_changed", &[])?.get(0);
            // Added rows count once, changed ones twice.
            Ok(affected.saturating_sub(changed.max(0) as u64).min(n))
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
             ON r.run_uuid = u.c0 ON DUPLICATE KEY UPDATE \"run_id\" = IF((@mlf_changed := \
             @mlf_changed + (NOT (\"value\" <=> VALUES(\"value\")))) IS NULL, \"run_id\", \
             \"run_id\"), \"value\" = VALUES(\"value\")"
        );
    }
}
