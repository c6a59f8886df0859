//! The store's tables read and written whole, for `mlf store copy` (`store/tables.rs` says
//! which and how): read in one read-only snapshot, written a batch per statement, each
//! column sent as one array.

use postgres::fallible_iterator::FallibleIterator;
use postgres::types::ToSql;

use super::PgStore;
use crate::store::Result;
use crate::store::tables::{Batches, Cell, Kind, Table, Tables};

fn quote(name: &str) -> String {
    format!("\"{name}\"")
}

fn array_type(kind: Kind) -> &'static str {
    match kind {
        Kind::Int => "bigint[]",
        Kind::Real => "double precision[]",
        Kind::Text => "text[]",
        Kind::Bool => "boolean[]",
    }
}

/// The upsert of a batch: one array parameter per column, unnested into rows.
fn upsert(table: &Table) -> String {
    let arrays: Vec<String> = table
        .columns
        .iter()
        .enumerate()
        .map(|(i, (_, kind))| format!("${}::{}", i + 1, array_type(*kind)))
        .collect();
    let aliases: Vec<String> = (0..table.columns.len()).map(|i| format!("c{i}")).collect();
    let from = format!("unnest({}) AS u({})", arrays.join(", "), aliases.join(", "));
    let source = if table.by_run {
        let vals: Vec<String> = aliases[1..].iter().map(|a| format!("u.{a}")).collect();
        format!(
            "SELECT r.id, {} FROM {from} JOIN runs r ON r.run_uuid = u.c0",
            vals.join(", ")
        )
    } else {
        let vals: Vec<String> = aliases.iter().map(|a| format!("u.{a}")).collect();
        format!("SELECT {} FROM {from}", vals.join(", "))
    };
    let action = table.on_conflict(|rest| {
        let old: Vec<String> = rest
            .iter()
            .map(|c| format!("{}.{}", quote(table.name), quote(c)))
            .collect();
        let new: Vec<String> = rest
            .iter()
            .map(|c| format!("excluded.{}", quote(c)))
            .collect();
        format!(
            "ROW({}) IS DISTINCT FROM ROW({})",
            old.join(", "),
            new.join(", ")
        )
    });
    format!(
        "INSERT INTO {} ({}) {source} {action}",
        quote(table.name),
        table.insert_columns()
    )
}

/// One column of a batch, typed for its array.
enum Column {
    Int(Vec<Option<i64>>),
    Real(Vec<Option<f64>>),
    Text(Vec<Option<String>>),
    Bool(Vec<Option<bool>>),
}

impl Column {
    fn of(kind: Kind, rows: &[Vec<Cell>], i: usize) -> Column {
        let cells = rows.iter().map(|r| r.get(i).unwrap_or(&Cell::Null));
        match kind {
            Kind::Int => Column::Int(
                cells
                    .map(|c| match c {
                        Cell::Int(v) => Some(*v),
                        Cell::Real(v) => Some(*v as i64),
                        Cell::Text(t) => t.parse().ok(),
                        Cell::Null => None,
                    })
                    .collect(),
            ),
            Kind::Bool => Column::Bool(
                cells
                    .map(|c| match c {
                        Cell::Int(v) => Some(*v != 0),
                        Cell::Real(v) => Some(*v != 0.0),
                        Cell::Text(t) => Some(matches!(t.as_str(), "1" | "t" | "true")),
                        Cell::Null => None,
                    })
                    .collect(),
            ),
            Kind::Real => Column::Real(
                cells
                    .map(|c| match c {
                        Cell::Int(v) => Some(*v as f64),
                        Cell::Real(v) => Some(*v),
                        Cell::Text(t) => t.parse().ok(),
                        Cell::Null => None,
                    })
                    .collect(),
            ),
            Kind::Text => Column::Text(
                cells
                    .map(|c| match c {
                        Cell::Int(v) => Some(v.to_string()),
                        Cell::Real(v) => Some(v.to_string()),
                        Cell::Text(t) => Some(t.clone()),
                        Cell::Null => None,
                    })
                    .collect(),
            ),
        }
    }

    fn param(&self) -> &(dyn ToSql + Sync) {
        match self {
            Column::Int(v) => v,
            Column::Real(v) => v,
            Column::Text(v) => v,
            Column::Bool(v) => v,
        }
    }
}

impl Tables for PgStore {
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
        let mut tx = client
            .build_transaction()
            .read_only(true)
            .isolation_level(postgres::IsolationLevel::RepeatableRead)
            .start()?;
        for &table in tables {
            let mut rows = tx.query_raw(&table.select_sql(), std::iter::empty::<i32>())?;
            let mut batches = Batches::new(table, each);
            while let Some(row) = rows.next()? {
                let cells: Vec<Cell> = table
                    .columns
                    .iter()
                    .enumerate()
                    .map(|(i, (_, kind))| {
                        let cell = match kind {
                            Kind::Int => row.get::<_, Option<i64>>(i).map(Cell::Int),
                            Kind::Bool => {
                                row.get::<_, Option<bool>>(i).map(|b| Cell::Int(b.into()))
                            }
                            Kind::Real => row.get::<_, Option<f64>>(i).map(Cell::Real),
                            Kind::Text => row.get::<_, Option<String>>(i).map(Cell::Text),
                        };
                        cell.unwrap_or(Cell::Null)
                    })
                    .collect();
                batches.push(cells)?;
            }
            batches.finish()?;
        }
        tx.commit()?;
        Ok(())
    }

    fn write_rows(&mut self, table: &Table, rows: &[Vec<Cell>]) -> Result<u64> {
        let sql = upsert(table);
        let columns: Vec<Column> = table
            .columns
            .iter()
            .enumerate()
            .map(|(i, (_, kind))| Column::of(*kind, rows, i))
            .collect();
        let params: Vec<&(dyn ToSql + Sync)> = columns.iter().map(Column::param).collect();
        self.write(|tx| Ok(tx.execute(&sql, &params)?))
    }

    fn finish_copy(&mut self) -> Result<()> {
        self.write(|tx| {
            for (table, column) in [
                ("experiments", "experiment_id"),
                ("transition_requests", "id"),
                ("registry_events", "id"),
            ] {
                tx.execute(
                    &format!(
                        "SELECT setval(pg_get_serial_sequence('{table}', '{column}'),
                                       COALESCE((SELECT MAX({column}) FROM {table}), 0) + 1, false)"
                    ),
                    &[],
                )?;
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tables::table_named;

    #[test]
    fn a_batch_is_one_statement_over_arrays() {
        let sql = upsert(table_named("tags").unwrap());
        assert_eq!(
            sql,
            "INSERT INTO \"tags\" (run_id, \"key\", \"value\") SELECT r.id, u.c1, u.c2 FROM \
             unnest($1::text[], $2::text[], $3::text[]) AS u(c0, c1, c2) JOIN runs r ON \
             r.run_uuid = u.c0 ON CONFLICT (\"run_id\", \"key\") DO UPDATE SET \"value\" = \
             excluded.\"value\" WHERE ROW(\"tags\".\"value\") IS DISTINCT FROM \
             ROW(excluded.\"value\")"
        );
    }
}
