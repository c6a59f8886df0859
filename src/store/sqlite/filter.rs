//! Filter and order-by → SQL over the store's tables (`runs r`, `experiments e`), using the
//! latest-metric table and the (key, value) indexes: no scan of metric history.
//!
//! Missing keys: a clause on a metric, param or tag the run lacks is false. LIKE is
//! case-sensitive (GLOB underneath), ILIKE is not, as in MLflow.

use rusqlite::types::Value as Sql;

use crate::search::{Attr, Clause, Expr, Op, OrderKey, Target, Value};

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

/// Where a filter on names and tags looks: the name column, the id the tags are kept under,
/// the tag table with its id column, the param table (with the same id column) if any, and
/// the columns of other attributes.
pub(super) struct Named {
    pub name: &'static str,
    pub id: &'static str,
    pub tags: &'static str,
    pub tag_id: &'static str,
    pub params: Option<&'static str>,
    pub attrs: &'static [(Attr, &'static str)],
}

/// Registered models (`registered_models m`).
pub(super) const MODELS: Named = Named {
    name: "m.name",
    id: "m.name",
    tags: "registered_model_tags",
    tag_id: "name",
    params: None,
    attrs: &[],
};

/// Experiments (`experiments e`).
pub(super) const EXPERIMENTS: Named = Named {
    name: "e.name",
    id: "e.experiment_id",
    tags: "experiment_tags",
    tag_id: "experiment_id",
    params: None,
    attrs: &[],
};

/// Logged models (`logged_models lm`); a status is compared without its `LOGGED_MODEL_`
/// prefix, so `status = 'READY'` and `status = 'LOGGED_MODEL_READY'` both match.
pub(super) const LOGGED_MODELS: Named = Named {
    name: "lm.name",
    id: "lm.model_id",
    tags: "logged_model_tags",
    tag_id: "model_id",
    params: Some("logged_model_params"),
    attrs: &[
        (Attr::Status, "replace(lm.status, 'LOGGED_MODEL_', '')"),
        (Attr::ModelType, "lm.model_type"),
        (Attr::SourceRunId, "lm.source_run_id"),
    ],
};

/// Model versions (`model_versions v`); tags are kept under (name, version).
pub(super) const VERSIONS: Named = Named {
    name: "v.name",
    id: "(v.name, v.version)",
    tags: "model_version_tags",
    tag_id: "name, version",
    params: None,
    attrs: &[
        (Attr::RunId, "v.run_id"),
        (Attr::SourcePath, "v.source"),
        (Attr::VersionNumber, "v.version"),
    ],
};

/// A filter on names, tags and the attributes `t` has (registered models, experiments,
/// logged models, model versions) as SQL.
pub(super) fn named_filter_sql(
    e: &Expr,
    t: &Named,
    sql: &mut String,
    values: &mut Vec<rusqlite::types::Value>,
) {
    match e {
        Expr::And(items) | Expr::Or(items) => {
            let joiner = if matches!(e, Expr::And(_)) {
                " AND "
            } else {
                " OR "
            };
            sql.push('(');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    sql.push_str(joiner);
                }
                named_filter_sql(item, t, sql, values);
            }
            sql.push(')');
        }
        Expr::Not(inner) => {
            sql.push_str("(NOT ");
            named_filter_sql(inner, t, sql, values);
            sql.push(')');
        }
        Expr::Clause(c) => {
            let text = match &c.value {
                Value::Str(s) if c.target == Target::Attr(Attr::Status) => {
                    s.strip_prefix("LOGGED_MODEL_").unwrap_or(s).to_string()
                }
                Value::Str(s) => s.clone(),
                _ => String::new(),
            };
            let test = |column: &str,
                        sql: &mut String,
                        values: &mut Vec<rusqlite::types::Value>| match c.op
            {
                Op::Eq | Op::Ne => {
                    sql.push_str(&format!("{column} {} ?", c.op.as_str()));
                    values.push(text.clone().into());
                }
                Op::Like => {
                    sql.push_str(&format!("{column} GLOB ?"));
                    values.push(like_to_glob(&text).into());
                }
                Op::ILike => {
                    sql.push_str(&format!("{column} LIKE ?"));
                    values.push(text.clone().into());
                }
                Op::In | Op::NotIn => {
                    let Value::List(items) = &c.value else { return };
                    let not = if c.op == Op::NotIn { "NOT " } else { "" };
                    sql.push_str(&format!(
                        "{column} {not}IN ({})",
                        vec!["?"; items.len()].join(",")
                    ));
                    values.extend(items.iter().map(|s| s.clone().into()));
                }
                _ => sql.push('0'),
            };
            match &c.target {
                Target::Attr(Attr::Name) => {
                    sql.push('(');
                    test(t.name, sql, values);
                    sql.push(')');
                }
                Target::Attr(a) if a.is_numeric() && t.attrs.iter().any(|(x, _)| x == a) => {
                    let column = t.attrs.iter().find(|(x, _)| x == a).map_or("", |(_, c)| c);
                    match (&c.value, c.op) {
                        (Value::Number(n), Op::Eq | Op::Ne | Op::Lt | Op::Le | Op::Gt | Op::Ge) => {
                            sql.push_str(&format!("({column} {} ?)", c.op.as_str()));
                            values.push((n.round() as i64).into());
                        }
                        _ => sql.push('0'),
                    }
                }
                Target::Attr(a) if t.attrs.iter().any(|(x, _)| x == a) => {
                    let column = t.attrs.iter().find(|(x, _)| x == a).map_or("", |(_, c)| c);
                    sql.push('(');
                    test(column, sql, values);
                    sql.push(')');
                }
                // MLflow's client hides prompts with `tags.mlflow.prompt.is_prompt != 'true'`,
                // where a model without the tag must match.
                Target::Tag(key) if key == "mlflow.prompt.is_prompt" && c.op == Op::Ne => {
                    sql.push_str(&format!(
                        "{} NOT IN (SELECT {} FROM {} WHERE key = ? AND value = ?)",
                        t.id, t.tag_id, t.tags
                    ));
                    values.push(key.clone().into());
                    values.push(text.clone().into());
                }
                Target::Tag(key) | Target::Param(key) => {
                    let table = match (&c.target, t.params) {
                        (Target::Tag(_), _) => t.tags,
                        (_, Some(params)) => params,
                        _ => {
                            sql.push('0');
                            return;
                        }
                    };
                    match c.op {
                        Op::IsNull | Op::IsNotNull => {
                            let not = if c.op == Op::IsNull { "NOT " } else { "" };
                            sql.push_str(&format!(
                                "{} {not}IN (SELECT {} FROM {table} WHERE key = ?)",
                                t.id, t.tag_id
                            ));
                            values.push(key.clone().into());
                        }
                        _ => {
                            sql.push_str(&format!(
                                "{} IN (SELECT {} FROM {table} WHERE key = ? AND ",
                                t.id, t.tag_id
                            ));
                            values.push(key.clone().into());
                            test("value", sql, values);
                            sql.push(')');
                        }
                    }
                }
                _ => sql.push('0'),
            }
        }
    }
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
