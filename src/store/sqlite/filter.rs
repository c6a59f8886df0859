//! Filter and order-by → SQL over the store's tables (`runs r`, `experiments e`), using the
//! latest-metric table and the (key, value) indexes: no scan of metric history.
//!
//! Missing keys: a clause on a metric, param or tag the run lacks is false. LIKE is
//! case-sensitive (GLOB underneath), ILIKE is not, as in MLflow.

use rusqlite::types::Value as Sql;

use crate::search::{Attr, Clause, Expr, Op, OrderKey, Target, Value};
use crate::store::named_filter::{Bound, Dialect, Named};

/// A compiled fragment and its parameters, in placeholder order.
#[derive(Debug, Default)]
pub struct Fragment {
    pub sql: String,
    pub params: Vec<Sql>,
}

/// The SQL expression of an attribute; `artifact_root` is the store's default artifact root.
fn attr_column(a: Attr, artifact_root: &str) -> String {
    match a {
        Attr::RunId => "r.run_uuid".into(),
        Attr::RunName => "r.name".into(),
        Attr::Status => "r.status".into(),
        Attr::UserId => "r.user_id".into(),
        Attr::StartTime => "r.start_time".into(),
        Attr::EndTime => "r.end_time".into(),
        Attr::Name => "r.name".into(),
        Attr::ModelType | Attr::SourceRunId | Attr::VersionNumber | Attr::SourcePath => {
            "NULL".into()
        }
        Attr::ArtifactUri => format!(
            "COALESCE(r.artifact_uri, COALESCE(rtrim(e.artifact_location, '/'), {} || '/' || r.experiment_id) || '/' || r.run_uuid || '/artifacts')",
            quote(artifact_root)
        ),
    }
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A LIKE pattern (`%`, `_`) as a GLOB pattern, matching case-sensitively.
pub fn like_to_glob(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    for c in pattern.chars() {
        match c {
            '%' => out.push('*'),
            '_' => out.push('?'),
            '*' => out.push_str("[*]"),
            '?' => out.push_str("[?]"),
            '[' => out.push_str("[[]"),
            c => out.push(c),
        }
    }
    out
}

/// Compiles a filter to a boolean SQL expression.
pub fn compile(expr: &Expr, artifact_root: &str) -> Fragment {
    let mut f = Fragment::default();
    emit(expr, artifact_root, &mut f);
    f
}

fn emit(expr: &Expr, root: &str, f: &mut Fragment) {
    match expr {
        Expr::And(items) | Expr::Or(items) => {
            let joiner = if matches!(expr, Expr::And(_)) {
                " AND "
            } else {
                " OR "
            };
            let mut items: Vec<&Expr> = items.iter().collect();
            if matches!(expr, Expr::And(_)) {
                // SQLite drives from the first run set it can: put the narrowest clauses first.
                items.sort_by_key(|e| selectivity_rank(e));
            }
            f.sql.push('(');
            for (i, item) in items.into_iter().enumerate() {
                if i > 0 {
                    f.sql.push_str(joiner);
                }
                emit(item, root, f);
            }
            f.sql.push(')');
        }
        Expr::Not(inner) => {
            f.sql.push_str("(NOT ");
            emit(inner, root, f);
            f.sql.push(')');
        }
        Expr::Clause(c) => clause(c, root, f),
    }
}

/// Lower ranks are likely to select fewer runs: equality on run ids, params and tags first,
/// then other key clauses, then attribute comparisons and compound expressions.
fn selectivity_rank(e: &Expr) -> u8 {
    match e {
        Expr::Clause(c) => match (&c.target, c.op) {
            (Target::Attr(Attr::RunId), Op::Eq | Op::In) => 0,
            (Target::Param(_) | Target::Tag(_), Op::Eq) => 1,
            (Target::Metric(_), Op::Eq) => 2,
            (Target::Param(_) | Target::Tag(_) | Target::Metric(_), _) => 3,
            _ => 4,
        },
        _ => 5,
    }
}

/// `value OP ?` for strings, with LIKE as GLOB and ILIKE as SQLite's LIKE.
fn string_test(column: &str, op: Op, value: &Value, f: &mut Fragment) {
    let text = |v: &Value| match v {
        Value::Str(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    };
    match op {
        Op::Eq | Op::Ne => {
            f.sql.push_str(&format!("{column} {} ?", op.as_str()));
            f.params.push(Sql::Text(text(value)));
        }
        Op::Like => {
            f.sql.push_str(&format!("{column} GLOB ?"));
            f.params.push(Sql::Text(like_to_glob(&text(value))));
        }
        Op::ILike => {
            f.sql.push_str(&format!("{column} LIKE ?"));
            f.params.push(Sql::Text(text(value)));
        }
        Op::In | Op::NotIn => {
            let Value::List(items) = value else { return };
            let marks = vec!["?"; items.len()].join(", ");
            let not = if op == Op::NotIn { "NOT " } else { "" };
            f.sql.push_str(&format!("{column} {not}IN ({marks})"));
            f.params.extend(items.iter().map(|s| Sql::Text(s.clone())));
        }
        _ => f.sql.push('0'),
    }
}

fn clause(c: &Clause, root: &str, f: &mut Fragment) {
    match &c.target {
        Target::Metric(key) => {
            let Value::Number(n) = c.value else {
                f.sql.push('0');
                return;
            };
            let test = match c.op {
                Op::Ne => "(is_nan = 1 OR value != ?)".to_string(),
                op => format!("is_nan = 0 AND value {} ?", op.as_str()),
            };
            f.sql.push_str(&format!(
                "r.id IN (SELECT run_id FROM latest_metrics WHERE key = ? AND {test})"
            ));
            f.params.push(Sql::Text(key.clone()));
            f.params.push(Sql::Real(n));
        }
        Target::Param(key) | Target::Tag(key) => {
            let table = if matches!(c.target, Target::Param(_)) {
                "params"
            } else {
                "tags"
            };
            match c.op {
                Op::IsNull | Op::IsNotNull => {
                    let not = if c.op == Op::IsNull { "NOT " } else { "" };
                    f.sql.push_str(&format!(
                        "r.id {not}IN (SELECT run_id FROM {table} WHERE key = ?)"
                    ));
                    f.params.push(Sql::Text(key.clone()));
                }
                op => {
                    f.sql.push_str(&format!(
                        "r.id IN (SELECT run_id FROM {table} WHERE key = ? AND "
                    ));
                    f.params.push(Sql::Text(key.clone()));
                    string_test("value", op, &c.value, f);
                    f.sql.push(')');
                }
            }
        }
        Target::Attr(a) if a.is_numeric() => {
            let (Value::Number(n) | Value::Time(n)) = c.value else {
                f.sql.push('0');
                return;
            };
            f.sql
                .push_str(&format!("{} {} ?", attr_column(*a, root), c.op.as_str()));
            f.params.push(Sql::Integer(n.round() as i64));
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

/// Joins and ORDER BY terms for order keys, with MLflow's rules: missing values last in both
/// directions, NaN after numbers, ties broken by start time (newest first), then run id.
pub fn order_by(keys: &[OrderKey], artifact_root: &str) -> (Fragment, String) {
    let mut joins = Fragment::default();
    let mut terms = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        let dir = if k.ascending { "ASC" } else { "DESC" };
        match &k.target {
            Target::Metric(key) => {
                joins.sql.push_str(&format!(
                    " LEFT JOIN latest_metrics o{i} ON o{i}.run_id = r.id AND o{i}.key = ?"
                ));
                joins.params.push(Sql::Text(key.clone()));
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
                joins.sql.push_str(&format!(
                    " LEFT JOIN {table} o{i} ON o{i}.run_id = r.id AND o{i}.key = ?"
                ));
                joins.params.push(Sql::Text(key.clone()));
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
    (joins, terms.join(", "))
}

pub(super) use crate::store::named_filter::{EXPERIMENTS, LOGGED_MODELS, MODELS, VERSIONS};

/// SQLite's dialect of the shared filter on names, tags and attributes: `?` placeholders,
/// MLflow's case-sensitive LIKE as GLOB, ILIKE as SQLite's LIKE.
struct Lite<'a> {
    sql: &'a mut String,
    values: &'a mut Vec<rusqlite::types::Value>,
}

impl Dialect for Lite<'_> {
    const FALSE: &'static str = "0";
    fn push(&mut self, sql: &str) {
        self.sql.push_str(sql);
    }
    fn bind(&mut self, value: Bound) -> String {
        self.values.push(match value {
            Bound::Text(s) => s.into(),
            Bound::Int(i) => i.into(),
        });
        "?".to_string()
    }
    fn like(&mut self, column: &str, pattern: &str, case_sensitive: bool) {
        if case_sensitive {
            self.push(&format!("{column} GLOB ?"));
            self.values.push(like_to_glob(pattern).into());
        } else {
            self.push(&format!("{column} LIKE ?"));
            self.values.push(pattern.to_string().into());
        }
    }
}

/// A filter on names, tags and the attributes `t` has (registered models, experiments,
/// logged models, model versions) as SQL appended to `sql`, its values to `values`.
pub(super) fn named_filter_sql(
    e: &Expr,
    t: &Named,
    sql: &mut String,
    values: &mut Vec<rusqlite::types::Value>,
) {
    crate::store::named_filter::named_filter_sql(e, t, &mut Lite { sql, values });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert_eq!(like_to_glob("Lin%"), "Lin*");
        assert_eq!(like_to_glob("a_b*c?[d"), "a?b[*]c[?][[]d");
    }

    #[test]
    fn compiles_with_params_in_order() {
        let e = crate::search::parse_filter(
            "metrics.a < 1 and (params.b = 'x' or tags.c like 'y%')",
            0,
        )
        .unwrap()
        .unwrap();
        let f = compile(&e, "/s");
        assert_eq!(f.sql.matches('?').count(), f.params.len());
        assert!(f.sql.contains(" OR "));
    }
}
