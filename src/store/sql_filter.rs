//! Filter and order-by → SQL over a database store's tables (`runs r`, `experiments e`), for
//! the PostgreSQL and MySQL stores: the grammar of `search/` compiled as `store/sqlite/filter.rs`
//! compiles it, over the same latest-metric table and (key, value) indexes, with numbered
//! placeholders (`$1` is the first; the MySQL store's client turns them into its own). What
//! the two dialects write differently — LIKE and ILIKE, typed NULLs, trimming a path — each
//! store says in its `filter.rs` ([`SqlDialect`]).
//!
//! Missing keys: a clause on a metric, param or tag the run lacks is false.

use std::marker::PhantomData;

use crate::search::{Attr, Clause, Expr, Op, OrderKey, Target, Value};
use crate::store::named_filter::{Bound, Dialect};

/// How a database writes what the filters need and SQL does not fix.
pub trait SqlDialect {
    /// A NULL of a text column.
    const NULL_TEXT: &'static str;
    /// A NULL of an integer column.
    const NULL_INT: &'static str;
    /// `column` without its trailing slashes.
    fn trim_slashes(column: &str) -> String;
    /// `column` matching the pattern in placeholder `p`: LIKE (case-sensitive, backslash
    /// escapes), or ILIKE's case-blind match.
    fn like(column: &str, p: &str, case_sensitive: bool) -> String;
}

/// A value bound to a placeholder.
#[derive(Debug, Clone)]
pub enum Param {
    Text(String),
    Real(f64),
    Int(i64),
    Bool(bool),
}

/// SQL being built, with the values of its placeholders (`$1` is the first).
#[derive(Debug)]
pub struct Fragment<D> {
    pub sql: String,
    pub params: Vec<Param>,
    /// Whose SQL it is (no data).
    pub dialect: PhantomData<D>,
}

impl<D> Default for Fragment<D> {
    fn default() -> Self {
        Fragment {
            sql: String::new(),
            params: Vec::new(),
            dialect: PhantomData,
        }
    }
}

impl<D> Fragment<D> {
    /// Binds a value: its placeholder.
    pub fn bind(&mut self, p: Param) -> String {
        self.params.push(p);
        format!("${}", self.params.len())
    }

    fn text(&mut self, s: impl Into<String>) -> String {
        self.bind(Param::Text(s.into()))
    }
}

/// The SQL expression of an attribute; `artifact_root` is the store's default artifact root.
fn attr_column<D: SqlDialect>(a: Attr, artifact_root: &str) -> String {
    match a {
        Attr::RunId => "r.run_uuid".into(),
        Attr::RunName | Attr::Name => "r.name".into(),
        Attr::Status => "r.status".into(),
        Attr::UserId => "r.user_id".into(),
        Attr::StartTime => "r.start_time".into(),
        Attr::EndTime => "r.end_time".into(),
        Attr::ModelType | Attr::SourceRunId | Attr::SourcePath => D::NULL_TEXT.into(),
        Attr::VersionNumber => D::NULL_INT.into(),
        Attr::ArtifactUri => format!(
            "COALESCE(r.artifact_uri, COALESCE({}, {} || '/' || r.experiment_id) || '/' || r.run_uuid || '/artifacts')",
            D::trim_slashes("e.artifact_location"),
            quote(artifact_root)
        ),
    }
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Compiles a filter to a boolean SQL expression appended to `f`.
pub fn compile<D: SqlDialect>(expr: &Expr, artifact_root: &str, f: &mut Fragment<D>) {
    match expr {
        Expr::And(items) | Expr::Or(items) => {
            let joiner = if matches!(expr, Expr::And(_)) {
                " AND "
            } else {
                " OR "
            };
            f.sql.push('(');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    f.sql.push_str(joiner);
                }
                compile(item, artifact_root, f);
            }
            f.sql.push(')');
        }
        Expr::Not(inner) => {
            f.sql.push_str("(NOT ");
            compile(inner, artifact_root, f);
            f.sql.push(')');
        }
        Expr::Clause(c) => clause(c, artifact_root, f),
    }
}

fn value_text(v: &Value) -> String {
    match v {
        Value::Str(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

/// `column OP $n` for strings.
fn string_test<D: SqlDialect>(column: &str, op: Op, value: &Value, f: &mut Fragment<D>) {
    match op {
        Op::Eq | Op::Ne => {
            let p = f.text(value_text(value));
            f.sql.push_str(&format!("{column} {} {p}", op.as_str()));
        }
        Op::Like | Op::ILike => {
            let p = f.text(value_text(value));
            f.sql.push_str(&D::like(column, &p, op == Op::Like));
        }
        Op::In | Op::NotIn => {
            let Value::List(items) = value else {
                f.sql.push_str("FALSE");
                return;
            };
            if items.is_empty() {
                f.sql.push_str(if op == Op::In { "FALSE" } else { "TRUE" });
                return;
            }
            let marks: Vec<String> = items.iter().map(|s| f.text(s.clone())).collect();
            let not = if op == Op::NotIn { "NOT " } else { "" };
            f.sql
                .push_str(&format!("{column} {not}IN ({})", marks.join(", ")));
        }
        _ => f.sql.push_str("FALSE"),
    }
}

fn clause<D: SqlDialect>(c: &Clause, root: &str, f: &mut Fragment<D>) {
    match &c.target {
        Target::Metric(key) => {
            let Value::Number(n) = c.value else {
                f.sql.push_str("FALSE");
                return;
            };
            let k = f.text(key.clone());
            let v = f.bind(Param::Real(n));
            let test = match c.op {
                Op::Ne => format!("(is_nan OR value != {v})"),
                op => format!("NOT is_nan AND value {} {v}", op.as_str()),
            };
            f.sql.push_str(&format!(
                "r.id IN (SELECT run_id FROM latest_metrics WHERE key = {k} AND {test})"
            ));
        }
        Target::Param(key) | Target::Tag(key) => {
            let table = if matches!(c.target, Target::Param(_)) {
                "params"
            } else {
                "tags"
            };
            let k = f.text(key.clone());
            match c.op {
                Op::IsNull | Op::IsNotNull => {
                    let not = if c.op == Op::IsNull { "NOT " } else { "" };
                    f.sql.push_str(&format!(
                        "r.id {not}IN (SELECT run_id FROM {table} WHERE key = {k})"
                    ));
                }
                op => {
                    f.sql.push_str(&format!(
                        "r.id IN (SELECT run_id FROM {table} WHERE key = {k} AND "
                    ));
                    string_test("value", op, &c.value, f);
                    f.sql.push(')');
                }
            }
        }
        Target::Attr(a) if a.is_numeric() => {
            let (Value::Number(n) | Value::Time(n)) = c.value else {
                f.sql.push_str("FALSE");
                return;
            };
            let v = f.bind(Param::Int(n.round() as i64));
            f.sql.push_str(&format!(
                "{} {} {v}",
                attr_column::<D>(*a, root),
                c.op.as_str()
            ));
        }
        Target::Attr(a) => {
            f.sql.push('(');
            string_test(&attr_column::<D>(*a, root), c.op, &c.value, f);
            f.sql.push(')');
        }
        // The datasets a run took in: by name, digest, or the context of their use.
        Target::Dataset(key) if key == "context" => {
            f.sql.push_str(
                "r.run_uuid IN (SELECT run_uuid FROM run_dataset_input_tags WHERE key = 'mlflow.data.context' AND (",
            );
            string_test("value", c.op, &c.value, f);
            f.sql.push_str("))");
        }
        Target::Dataset(key) => {
            let column = if key == "digest" {
                "d.digest"
            } else {
                "d.name"
            };
            f.sql.push_str(
                "r.run_uuid IN (SELECT i.run_uuid FROM run_dataset_inputs i JOIN datasets d USING (dataset_uuid) WHERE (",
            );
            string_test(column, c.op, &c.value, f);
            f.sql.push_str("))");
        }
    }
}

/// Joins (appended to `joins`, sharing its placeholders) and the ORDER BY terms for order
/// keys, with MLflow's rules: missing values last in both directions, NaN after numbers, ties
/// broken by start time (newest first), then run id.
pub fn order_by<D: SqlDialect>(
    keys: &[OrderKey],
    artifact_root: &str,
    joins: &mut Fragment<D>,
) -> String {
    let mut terms = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        let dir = if k.ascending { "ASC" } else { "DESC" };
        match &k.target {
            Target::Metric(key) => {
                let p = joins.text(key.clone());
                joins.sql.push_str(&format!(
                    " LEFT JOIN latest_metrics o{i} ON o{i}.run_id = r.id AND o{i}.key = {p}"
                ));
                terms.push(format!(
                    "(o{i}.run_id IS NULL), o{i}.is_nan, o{i}.value {dir}"
                ));
            }
            Target::Param(key) | Target::Tag(key) => {
                let table = if matches!(k.target, Target::Param(_)) {
                    "params"
                } else {
                    "tags"
                };
                let p = joins.text(key.clone());
                joins.sql.push_str(&format!(
                    " LEFT JOIN {table} o{i} ON o{i}.run_id = r.id AND o{i}.key = {p}"
                ));
                terms.push(format!("(o{i}.run_id IS NULL), o{i}.value {dir}"));
            }
            Target::Attr(a) => {
                let col = attr_column::<D>(*a, artifact_root);
                terms.push(format!("({col} IS NULL), {col} {dir}"));
            }
            Target::Dataset(_) => {}
        }
    }
    terms.push("r.start_time DESC, r.run_uuid ASC".into());
    terms.join(", ")
}

/// The shared filter on names, tags and attributes (`named_filter.rs`) in a database's dialect.
impl<D: SqlDialect> Dialect for Fragment<D> {
    const FALSE: &'static str = "FALSE";
    fn push(&mut self, sql: &str) {
        self.sql.push_str(sql);
    }
    fn bind(&mut self, value: Bound) -> String {
        Fragment::bind(
            self,
            match value {
                Bound::Text(s) => Param::Text(s),
                Bound::Int(i) => Param::Int(i),
            },
        )
    }
    fn like(&mut self, column: &str, pattern: &str, case_sensitive: bool) {
        let p = self.text(pattern);
        self.sql.push_str(&D::like(column, &p, case_sensitive));
    }
}
