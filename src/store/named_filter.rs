//! The filter on names, tags, params and a few attributes (registered models, experiments,
//! model versions, logged models), compiled to SQL once for both SQL stores. Each store says
//! how its dialect writes what differs (`Dialect`: placeholders, LIKE and ILIKE, the false
//! literal) and runs the SQL with its own client.

use crate::search::{Attr, Expr, Op, Target, Value};

/// A value bound to a placeholder.
pub(crate) enum Bound {
    Text(String),
    Int(i64),
}

/// SQL being written in one store's dialect, with the values of its placeholders.
pub(crate) trait Dialect {
    fn push(&mut self, sql: &str);
    /// Binds a value: its placeholder.
    fn bind(&mut self, value: Bound) -> String;
    /// `column LIKE pattern` (case-sensitive, as MLflow's LIKE) or, without
    /// `case_sensitive`, ILIKE; the pattern bound.
    fn like(&mut self, column: &str, pattern: &str, case_sensitive: bool);
    /// The false literal.
    const FALSE: &'static str;
}

/// Where a filter on names and tags looks: the name column, the id the tags are kept under,
/// the tag table with its id column, the param table (with the same id column) if any, and
/// the columns of other attributes.
pub(crate) struct Named {
    pub name: &'static str,
    pub id: &'static str,
    pub tags: &'static str,
    pub tag_id: &'static str,
    pub params: Option<&'static str>,
    pub attrs: &'static [(Attr, &'static str)],
}

/// Registered models (`registered_models m`).
pub(crate) const MODELS: Named = Named {
    name: "m.name",
    id: "m.name",
    tags: "registered_model_tags",
    tag_id: "name",
    params: None,
    attrs: &[],
};

/// Experiments (`experiments e`).
pub(crate) const EXPERIMENTS: Named = Named {
    name: "e.name",
    id: "e.experiment_id",
    tags: "experiment_tags",
    tag_id: "experiment_id",
    params: None,
    attrs: &[],
};

/// Logged models (`logged_models lm`); a status is compared without its `LOGGED_MODEL_`
/// prefix, so `status = 'READY'` and `status = 'LOGGED_MODEL_READY'` both match.
pub(crate) const LOGGED_MODELS: Named = Named {
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
pub(crate) const VERSIONS: Named = Named {
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

/// A clause's value as text: a string (a status without its `LOGGED_MODEL_` prefix), a
/// number written out, else empty.
fn text(target: &Target, value: &Value) -> String {
    match value {
        Value::Str(s) if *target == Target::Attr(Attr::Status) => {
            s.strip_prefix("LOGGED_MODEL_").unwrap_or(s).to_string()
        }
        Value::Str(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

/// `column OP value` for text.
fn string_test<D: Dialect>(column: &str, op: Op, value: &Value, text: &str, d: &mut D) {
    match op {
        Op::Eq | Op::Ne => {
            let p = d.bind(Bound::Text(text.to_string()));
            d.push(&format!("{column} {} {p}", op.as_str()));
        }
        Op::Like | Op::ILike => d.like(column, text, op == Op::Like),
        Op::In | Op::NotIn => {
            let Value::List(items) = value else {
                d.push(D::FALSE);
                return;
            };
            let not = if op == Op::NotIn { "NOT " } else { "" };
            if items.is_empty() {
                d.push(&format!("({not}{})", D::FALSE));
                return;
            }
            let marks: Vec<String> = items
                .iter()
                .map(|s| d.bind(Bound::Text(s.clone())))
                .collect();
            d.push(&format!("{column} {not}IN ({})", marks.join(", ")));
        }
        _ => d.push(D::FALSE),
    }
}

/// A filter on names, tags, params and the attributes `t` has, as a boolean SQL expression.
pub(crate) fn named_filter_sql<D: Dialect>(e: &Expr, t: &Named, d: &mut D) {
    match e {
        Expr::And(items) | Expr::Or(items) => {
            let joiner = if matches!(e, Expr::And(_)) {
                " AND "
            } else {
                " OR "
            };
            d.push("(");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    d.push(joiner);
                }
                named_filter_sql(item, t, d);
            }
            d.push(")");
        }
        Expr::Not(inner) => {
            d.push("(NOT ");
            named_filter_sql(inner, t, d);
            d.push(")");
        }
        Expr::Clause(c) => {
            let text = text(&c.target, &c.value);
            let column = |a: &Attr| t.attrs.iter().find(|(x, _)| x == a).map(|(_, col)| *col);
            match &c.target {
                Target::Attr(Attr::Name) => {
                    d.push("(");
                    string_test(t.name, c.op, &c.value, &text, d);
                    d.push(")");
                }
                Target::Attr(a) if a.is_numeric() && column(a).is_some() => {
                    let col = column(a).unwrap_or_default();
                    match (&c.value, c.op) {
                        (Value::Number(n), Op::Eq | Op::Ne | Op::Lt | Op::Le | Op::Gt | Op::Ge) => {
                            let p = d.bind(Bound::Int(n.round() as i64));
                            d.push(&format!("({col} {} {p})", c.op.as_str()));
                        }
                        _ => d.push(D::FALSE),
                    }
                }
                Target::Attr(a) if column(a).is_some() => {
                    d.push("(");
                    string_test(column(a).unwrap_or_default(), c.op, &c.value, &text, d);
                    d.push(")");
                }
                // MLflow's client hides prompts with `tags.mlflow.prompt.is_prompt != 'true'`,
                // where a model without the tag must match.
                Target::Tag(key) if key == "mlflow.prompt.is_prompt" && c.op == Op::Ne => {
                    let k = d.bind(Bound::Text(key.clone()));
                    let v = d.bind(Bound::Text(text.clone()));
                    d.push(&format!(
                        "{} NOT IN (SELECT {} FROM {} WHERE key = {k} AND value = {v})",
                        t.id, t.tag_id, t.tags
                    ));
                }
                Target::Tag(key) | Target::Param(key) => {
                    let table = match (&c.target, t.params) {
                        (Target::Tag(_), _) => t.tags,
                        (_, Some(params)) => params,
                        _ => {
                            d.push(D::FALSE);
                            return;
                        }
                    };
                    let k = d.bind(Bound::Text(key.clone()));
                    match c.op {
                        Op::IsNull | Op::IsNotNull => {
                            let not = if c.op == Op::IsNull { "NOT " } else { "" };
                            d.push(&format!(
                                "{} {not}IN (SELECT {} FROM {table} WHERE key = {k})",
                                t.id, t.tag_id
                            ));
                        }
                        op => {
                            d.push(&format!(
                                "{} IN (SELECT {} FROM {table} WHERE key = {k} AND ",
                                t.id, t.tag_id
                            ));
                            string_test("value", op, &c.value, &text, d);
                            d.push(")");
                        }
                    }
                }
                _ => d.push(D::FALSE),
            }
        }
    }
}
