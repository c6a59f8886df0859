//! The store's tables read and written whole, for `mlf store copy` (`store/tables.rs` says
//! which and how).

use rusqlite::types::{Value, ValueRef};

use super::Store;
use crate::store::Result;
use crate::store::tables::{Batches, Cell, Table, Tables};

fn quote(name: &str) -> String {
    format!("\"{name}\"")
}

/// The upsert of one row.
fn upsert(table: &Table) -> String {
    let marks: Vec<String> = (1..=table.columns.len()).map(|i| format!("?{i}")).collect();
    let values = if table.by_run {
        format!(
            "SELECT r.id, {} FROM runs r WHERE r.run_uuid = ?1",
            marks[1..].join(", ")
        )
    } else {
        format!("VALUES ({})", marks.join(", "))
    };
    let action = table.on_conflict(|rest| {
        let old: Vec<String> = rest.iter().map(|c| quote(c)).collect();
        let new: Vec<String> = rest
            .iter()
            .map(|c| format!("excluded.{}", quote(c)))
            .collect();
        format!("({}) IS NOT ({})", old.join(", "), new.join(", "))
    });
    format!(
        "INSERT INTO {} ({}) {values} {action}",
        quote(table.name),
        table.insert_columns()
    )
}

fn cell(v: ValueRef) -> Cell {
    match v {
        ValueRef::Null => Cell::Null,
        ValueRef::Integer(i) => Cell::Int(i),
        ValueRef::Real(r) => Cell::Real(r),
        ValueRef::Text(t) | ValueRef::Blob(t) => Cell::Text(String::from_utf8_lossy(t).into()),
    }
}

fn value(c: &Cell) -> Value {
    match c {
        Cell::Null => Value::Null,
        Cell::Int(v) => Value::Integer(*v),
        Cell::Real(v) => Value::Real(*v),
        Cell::Text(v) => Value::Text(v.clone()),
    }
}

impl Tables for Store {
    fn count_rows(&self, table: &Table) -> Result<u64> {
        let n: i64 = self.conn().query_row(
            &format!("SELECT count(*) FROM {}", quote(table.name)),
            [],
            |r| r.get(0),
        )?;
        Ok(n as u64)
    }

    fn read_tables(
        &self,
        tables: &[&'static Table],
        each: &mut dyn FnMut(&'static Table, Vec<Vec<Cell>>) -> Result<()>,
    ) -> Result<()> {
        // One read transaction: every table as of the same moment.
        let tx = self.conn().unchecked_transaction()?;
        for &table in tables {
            let mut stmt = tx.prepare(&table.select_sql())?;
            let mut rows = stmt.query([])?;
            let mut batches = Batches::new(table, each);
            while let Some(row) = rows.next()? {
                let cells = (0..table.columns.len())
                    .map(|i| row.get_ref(i).map(cell))
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                batches.push(cells)?;
            }
            batches.finish()?;
        }
        tx.commit()?;
        Ok(())
    }

    fn write_rows(&mut self, table: &Table, rows: &[Vec<Cell>]) -> Result<u64> {
        let sql = upsert(table);
        self.write(|tx| {
            let mut stmt = tx.prepare_cached(&sql)?;
            let mut changed = 0u64;
            for row in rows {
                changed += stmt.execute(rusqlite::params_from_iter(row.iter().map(value)))? as u64;
            }
            Ok(changed)
        })
    }

    fn holds(&self, _: &Table) -> bool {
        true
    }

    fn finish_copy(&mut self) -> Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tables::table_named;

    #[test]
    fn a_row_of_a_run_is_written_under_the_targets_own_row_number() {
        let sql = upsert(table_named("params").unwrap());
        assert_eq!(
            sql,
            "INSERT INTO \"params\" (run_id, \"key\", \"value\") SELECT r.id, ?2, ?3 FROM runs r \
             WHERE r.run_uuid = ?1 ON CONFLICT (\"run_id\", \"key\") DO UPDATE SET \"value\" = \
             excluded.\"value\" WHERE (\"value\") IS NOT (excluded.\"value\")"
        );
        let sql = upsert(table_named("metrics").unwrap());
        assert!(sql.ends_with("DO NOTHING"), "{sql}");
    }
}
