//! Filter and order-by → MySQL SQL over the store's tables (`runs r`, `experiments e`),
//! the MySQL dialect of `store/sqlite/filter.rs`: the same grammar (`search/`), the same
//! latest-metric table and (key, value) indexes, numbered placeholders, LIKE, and ILIKE as a
//! LIKE of lowered text (case-sensitive and not, as in MLflow).
//!
//! Missing keys: a clause on a metric, param or tag the run lacks is false.

use super::sql::ToSql;

use crate::search::{Attr, Clause, Expr, Op, OrderKey, Target, Value};
use crate::store::named_filter::{Bound, Dialect};

/// A value bound to a placeholder.
#[derive(Debug, Clone)]
pub enum Param {
    Text(String),
    Real(f64),
    Int(i64),
    Bool(bool),
}

impl Param {
    pub fn as_sql(&self) -> &dyn ToSql {
        match self {
            Param::Text(s) => s,
            Param::Real(x) => x,
            Param::Int(i) => i,
            Param::Bool(b) => b,
        }
    }
}

/// SQL being built, with the values of its placeholders (`$1` is the first).
#[derive(Debug, Default)]
pub struct Fragment {
    pub sql: String,
    pub params: Vec<Param>,
}

impl Fragment {
    /// Binds a value: its placeholder.
    pub fn bind(&mut self, p: Param) -> String {
        self.params.push(p);
        format!("${}", self.params.len())
    }

    fn text(&mut self, s: impl Into<String>) -> String {
        self.bind(Param::Text(s.into()))
    }

    /// The parameters as the client takes them.
    pub fn args(&self) -> Vec<&dyn ToSql> {
        self.params.iter().map(Param::as_sql).collect()
    }
}

/// The SQL expression of an attribute; `artifact_root` is the store's default artifact root.
fn attr_column(a: Attr, artifact_root: &str) -> String {
    match a {
        Attr::RunId => "r.run_uuid".into(),
        Attr::RunName | Attr::Name => "r.name".into(),
        Attr::Status => "r.status".into(),
        Attr::UserId => "r.user_id".into(),
        Attr::StartTime => "r.start_time".into(),
        Attr::EndTime => "r.end_time".into(),
        Attr::ModelType | Attr::SourceRunId | Attr::SourcePath => "CAST(NULL AS CHAR)".into(),
        Attr::VersionNumber => "CAST(NULL AS SIGNED)".into(),
        Attr::ArtifactUri => format!(
            "COALESCE(r.artifact_uri, COALESCE(TRIM(TRAILING '/' FROM e.artifact_location), {} || '/' || r.experiment_id) || '/' || r.run_uuid || '/artifacts')",
            quote(artifact_root)
        ),
    }
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Compiles a filter to a boolean SQL expression appended to `f`.
pub fn compile(expr: &Expr, artifact_root: &str, f: &mut Fragment) {
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

/// `column LIKE p` (backslash escapes, as in PostgreSQL), or ILIKE's case-blind match.
fn like_sql(column: &str, p: &str, case_sensitive: bool) -> String {
    if case_sensitive {
        format!("{column} LIKE {p} ESCAPE '\\'")
    } else {
        format!("LOWER({column}) LIKE LOWER({p}) ESCAPE '\\'")
    }
}

/// `column OP $n` for strings.
fn string_test(column: &str, op: Op, value: &Value, f: &mut Fragment) {
    match op {
        Op::Eq | Op::Ne => {
            let p = f.text(value_text(value));
            f.sql.push_str(&format!("{column} {} {p}", op.as_str()));
        }
        Op::Like | Op::ILike => {
            let p = f.text(value_text(value));
            f.sql.push_str(&like_sql(column, &p, op == Op::Like));
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

fn clause(c: &Clause, root: &str, f: &mut Fragment) {
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
            f.sql
                .push_str(&format!("{} {} {v}", attr_column(*a, root), c.op.as_str()));
        }
        Target::Attr(a) => {
            f.sql.push('(');
            string_test(&attr_column(*a, root), c.op, &c.value, f);
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
pub fn order_by(keys: &[OrderKey], artifact_root: &str, joins: &mut Fragment) -> String {
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
                let col = attr_column(*a, artifact_root);
                terms.push(format!("({col} IS NULL), {col} {dir}"));
            }
            Target::Dataset(_) => {}
        }
    }
    terms.push("r.start_time DESC, r.run_uuid ASC".into());
    terms.join(", ")
}

pub(super) use crate::store::named_filter::{
    EXPERIMENTS, LOGGED_MODELS, MODELS, VERSIONS, named_filter_sql,
};

/// MySQL's dialect of the shared filter on names, tags and attributes: numbered
/// placeholders, ILIKE as a LIKE of lowered text.
impl Dialect for Fragment {
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
        self.sql.push_str(&like_sql(column, &p, case_sensitive));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_binding_order() {
        let e = crate::search::parse_filter(
            "metrics.a < 1 and (params.b = 'x' or tags.c like 'y%')",
            0,
        )
        .unwrap()
        .unwrap();
        let mut f = Fragment::default();
        compile(&e, "/s", &mut f);
        assert_eq!(f.params.len(), 6);
        for n in 1..=6 {
            assert!(f.sql.contains(&format!("${n}")), "{}", f.sql);
        }
        assert!(f.sql.contains(" LIKE $6"), "{}", f.sql);
        assert!(!f.sql.contains('?'));
    }
}
