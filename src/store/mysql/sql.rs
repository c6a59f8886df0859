//! The MySQL client the store uses, shaped as the PostgreSQL one: statements are written in
//! PostgreSQL's SQL with numbered placeholders (`$1`, reused and in any order), and
//! `translate.rs` turns each into MySQL's words, with the values in place.
//!
//! Values: MySQL's DOUBLE holds no infinity, so ±∞ is stored as ±`f64::MAX` and read back as
//! ±∞ (NaN never reaches a column: the store keeps it as 0 with a flag).

use mysql::prelude::Queryable;
use mysql::{Params, Value};

use super::translate::{translate, without_returning};
use crate::store::Result;

/// A value given to a statement.
pub trait ToSql {
    fn arg(&self) -> Arg;
}

/// One value, or a list of them.
pub enum Arg {
    One(Value),
    List(Vec<Value>),
}

impl<T: ToSql + ?Sized> ToSql for &T {
    fn arg(&self) -> Arg {
        (**self).arg()
    }
}
impl<T: ToSql + ?Sized> ToSql for Box<T> {
    fn arg(&self) -> Arg {
        (**self).arg()
    }
}
impl ToSql for str {
    fn arg(&self) -> Arg {
        Arg::One(Value::Bytes(self.as_bytes().to_vec()))
    }
}
impl ToSql for String {
    fn arg(&self) -> Arg {
        self.as_str().arg()
    }
}
impl ToSql for i64 {
    fn arg(&self) -> Arg {
        Arg::One(Value::Int(*self))
    }
}
impl ToSql for i32 {
    fn arg(&self) -> Arg {
        Arg::One(Value::Int(i64::from(*self)))
    }
}
impl ToSql for u32 {
    fn arg(&self) -> Arg {
        Arg::One(Value::Int(i64::from(*self)))
    }
}
impl ToSql for bool {
    fn arg(&self) -> Arg {
        Arg::One(Value::Int(i64::from(*self)))
    }
}
impl ToSql for f64 {
    fn arg(&self) -> Arg {
        let v = if self.is_infinite() {
            f64::MAX.copysign(*self)
        } else if self.is_nan() {
            0.0
        } else {
            *self
        };
        Arg::One(Value::Double(v))
    }
}
impl<T: ToSql> ToSql for Option<T> {
    fn arg(&self) -> Arg {
        match self {
            Some(v) => v.arg(),
            None => Arg::One(Value::NULL),
        }
    }
}
impl<T: ToSql> ToSql for Vec<T> {
    fn arg(&self) -> Arg {
        self.as_slice().arg()
    }
}
impl<T: ToSql> ToSql for [T] {
    fn arg(&self) -> Arg {
        Arg::List(
            self.iter()
                .filter_map(|v| match v.arg() {
                    Arg::One(v) => Some(v),
                    Arg::List(_) => None,
                })
                .collect(),
        )
    }
}

/// A column's value that is not of the type read.
#[derive(Debug)]
pub struct BadValue(String);

impl std::fmt::Display for BadValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A value read from a column.
pub trait FromSql: Sized {
    fn from_sql(v: Value) -> std::result::Result<Self, BadValue>;
}

impl FromSql for String {
    fn from_sql(v: Value) -> std::result::Result<Self, BadValue> {
        match v {
            Value::Bytes(b) => String::from_utf8(b).map_err(|e| BadValue(e.to_string())),
            Value::Int(i) => Ok(i.to_string()),
            Value::UInt(i) => Ok(i.to_string()),
            Value::Double(d) => Ok(d.to_string()),
            other => Err(BadValue(format!("{other:?} is no text"))),
        }
    }
}
impl FromSql for i64 {
    fn from_sql(v: Value) -> std::result::Result<Self, BadValue> {
        match v {
            Value::Int(i) => Ok(i),
            Value::UInt(u) => i64::try_from(u).map_err(|e| BadValue(e.to_string())),
            Value::Bytes(b) => std::str::from_utf8(&b)
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| BadValue("not an integer".into())),
            other => Err(BadValue(format!("{other:?} is no integer"))),
        }
    }
}
impl FromSql for i32 {
    fn from_sql(v: Value) -> std::result::Result<Self, BadValue> {
        i32::try_from(i64::from_sql(v)?).map_err(|e| BadValue(e.to_string()))
    }
}
impl FromSql for bool {
    fn from_sql(v: Value) -> std::result::Result<Self, BadValue> {
        Ok(i64::from_sql(v)? != 0)
    }
}
impl FromSql for f64 {
    fn from_sql(v: Value) -> std::result::Result<Self, BadValue> {
        let d = match v {
            Value::Double(d) => d,
            Value::Float(f) => f64::from(f),
            Value::Int(i) => i as f64,
            Value::UInt(u) => u as f64,
            Value::Bytes(b) => std::str::from_utf8(&b)
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| BadValue("not a number".into()))?,
            other => return Err(BadValue(format!("{other:?} is no number"))),
        };
        Ok(if d.abs() == f64::MAX {
            f64::INFINITY.copysign(d)
        } else {
            d
        })
    }
}
impl<T: FromSql> FromSql for Option<T> {
    fn from_sql(v: Value) -> std::result::Result<Self, BadValue> {
        match v {
            Value::NULL => Ok(None),
            v => T::from_sql(v).map(Some),
        }
    }
}

/// A row of a result.
pub struct Row(mysql::Row);

impl Row {
    /// The value of column `idx` (its position or its name). A column of another type is a
    /// fault of the statement, as with the MySQL client.
    pub fn get<I: mysql::prelude::ColumnIndex + std::fmt::Debug + Copy, T: FromSql>(
        &self,
        idx: I,
    ) -> T {
        let value = idx
            .idx(self.0.columns_ref())
            .and_then(|i| self.0.as_ref(i))
            .unwrap_or_else(|| panic!("no column {idx:?}"))
            .clone();
        T::from_sql(value).unwrap_or_else(|e| panic!("column {idx:?}: {e}"))
    }
}

/// A statement's text, kept to run it again (the connection caches the prepared statement).
#[derive(Clone)]
pub struct Statement(String);

/// What names a statement: its text or a [`Statement`].
pub trait Sql {
    fn text(&self) -> &str;
}
impl Sql for str {
    fn text(&self) -> &str {
        self
    }
}
impl Sql for String {
    fn text(&self) -> &str {
        self
    }
}
impl Sql for Statement {
    fn text(&self) -> &str {
        &self.0
    }
}
impl<T: Sql + ?Sized> Sql for &T {
    fn text(&self) -> &str {
        (**self).text()
    }
}

/// The parameters of a call.
pub type Args<'a> = [&'a dyn ToSql];

/// What a statement did.
pub struct Done {
    pub rows: Vec<Row>,
    /// Rows changed, or for an UPDATE the rows it matched (as PostgreSQL counts).
    pub affected: u64,
    pub last_insert_id: Option<u64>,
}

/// The calls of a connection or a transaction.
pub trait GenericClient {
    /// Runs one statement with positional values.
    fn raw(&mut self, sql: &str, params: Vec<Value>) -> Result<Done>;
    /// Runs statements without values (separated by `;`).
    fn raw_batch(&mut self, sql: &str) -> Result<()>;

    fn run(&mut self, sql: &str, args: &Args) -> Result<Done> {
        let (sql, params) = translate(sql, args);
        self.raw(&sql, params)
    }
    fn query<S: Sql + ?Sized>(&mut self, sql: &S, args: &Args) -> Result<Vec<Row>> {
        Ok(self.run(sql.text(), args)?.rows)
    }
    fn query_opt<S: Sql + ?Sized>(&mut self, sql: &S, args: &Args) -> Result<Option<Row>> {
        Ok(self.run(sql.text(), args)?.rows.into_iter().next())
    }
    fn query_one<S: Sql + ?Sized>(&mut self, sql: &S, args: &Args) -> Result<Row> {
        self.query_opt(sql, args)?
            .ok_or_else(|| crate::store::Error::Invalid(format!("no row from `{}`", sql.text())))
    }
    /// Runs a statement and answers the rows it changed.
    fn execute<S: Sql + ?Sized>(&mut self, sql: &S, args: &Args) -> Result<u64> {
        Ok(self.run(sql.text(), args)?.affected)
    }
    /// Runs an INSERT and answers the AUTO_INCREMENT id it gave. A PostgreSQL `RETURNING`
    /// of the id column at the end is left out: the id is the one the server reports.
    fn insert_id(&mut self, sql: &str, args: &Args) -> Result<i64> {
        let done = self.run(without_returning(sql), args)?;
        done.last_insert_id.map(|id| id as i64).ok_or_else(|| {
            crate::store::Error::Invalid(format!("the database gave no new id for `{sql}`"))
        })
    }
    fn batch_execute(&mut self, sql: &str) -> Result<()> {
        self.raw_batch(&translate(sql, &[]).0)
    }
    fn prepare(&mut self, sql: &str) -> Result<Statement> {
        Ok(Statement(sql.to_string()))
    }
}

fn collect<Q: Queryable>(q: &mut Q, sql: &str, params: Vec<Value>) -> Result<Done> {
    let params = if params.is_empty() {
        Params::Empty
    } else {
        Params::Positional(params)
    };
    let mut result = q.exec_iter(sql, params)?;
    // What the server says of the statement, read before its rows move the result on.
    let info = result.info_str();
    let matched = info
        .strip_prefix("Rows matched:")
        .and_then(|s| s.split_whitespace().next())
        .and_then(|n| n.parse().ok());
    let affected = matched.unwrap_or_else(|| result.affected_rows());
    drop(info);
    let last_insert_id = result.last_insert_id();
    let mut rows = Vec::new();
    if let Some(set) = result.iter() {
        for row in set {
            rows.push(Row(row?));
        }
    }
    drop(result);
    Ok(Done {
        rows,
        affected,
        last_insert_id,
    })
}

/// A connection.
pub struct Client(pub(super) mysql::Conn);

impl GenericClient for Client {
    fn raw(&mut self, sql: &str, params: Vec<Value>) -> Result<Done> {
        collect(&mut self.0, sql, params)
    }
    fn raw_batch(&mut self, sql: &str) -> Result<()> {
        Ok(self.0.query_drop(sql)?)
    }
}

impl Client {
    /// Runs a query and hands its rows to `each` as they arrive (for tables larger than
    /// memory).
    pub fn for_each_row(
        &mut self,
        sql: &str,
        mut each: impl FnMut(Row) -> Result<()>,
    ) -> Result<()> {
        let (sql, params) = translate(sql, &[]);
        let params = if params.is_empty() {
            Params::Empty
        } else {
            Params::Positional(params)
        };
        let mut result = self.0.exec_iter(sql, params)?;
        if let Some(set) = result.iter() {
            for row in set {
                each(Row(row?))?;
            }
        }
        Ok(())
    }

    /// Starts a transaction (READ COMMITTED, as the session is).
    pub fn transaction(&mut self) -> Result<Transaction<'_>> {
        Ok(Transaction(
            self.0.start_transaction(mysql::TxOpts::default())?,
        ))
    }
}

/// A transaction, rolled back unless committed.
pub struct Transaction<'a>(mysql::Transaction<'a>);

impl GenericClient for Transaction<'_> {
    fn raw(&mut self, sql: &str, params: Vec<Value>) -> Result<Done> {
        collect(&mut self.0, sql, params)
    }
    fn raw_batch(&mut self, sql: &str) -> Result<()> {
        Ok(self.0.query_drop(sql)?)
    }
}

impl Transaction<'_> {
    pub fn commit(self) -> Result<()> {
        Ok(self.0.commit()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn infinities_round_trip() {
        let Arg::One(v) = f64::NEG_INFINITY.arg() else {
            panic!()
        };
        assert_eq!(f64::from_sql(v).unwrap(), f64::NEG_INFINITY);
    }
}
