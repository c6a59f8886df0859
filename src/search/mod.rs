//! The run filter and order-by grammar: MLflow's, plus `OR`, `NOT`, parentheses and relative
//! times. Text → AST here (the parser is `parser.rs`); each store compiles the AST (the SQLite
//! store in `store/sqlite/filter.rs`).
//!
//! ```text
//! expr    := and ("OR" and)*
//! and     := unary ("AND" unary)*            a dangling final AND is tolerated, as MLflow does
//! unary   := "NOT" unary | "(" expr ")" | clause
//! clause  := ident op value | ident ["NOT"] "IN" "(" string ("," string)* ")"
//!          | ident "IS" ["NOT"] "NULL"
//! ident   := [prefix "."] key                 prefix and key may be `backticked`; key may be "quoted"
//! prefix  := metric(s) | param(s) | parameter(s) | tag(s) | attribute(s) | attr | run | dataset(s)
//! value   := number | 'string' | "string" | relative time (-30m, -12h, -7d, -2w; start/end time)
//! ```
//!
//! Keywords and operators are case-insensitive; prefixes are not. A clause on a metric, param or
//! tag that a run lacks is false (so `NOT` of it is true).

use std::fmt;

mod check;
mod parser;

use parser::{Grammar, Parser};

/// How deep parentheses and NOT may nest in a filter.
pub const MAX_DEPTH: usize = 100;
/// How many clauses a filter may have.
pub const MAX_CLAUSES: usize = 500;
/// How many values the IN lists of a filter may hold together.
pub const MAX_VALUES: usize = 10_000;
/// How many keys an order-by list may have.
pub const MAX_ORDER_KEYS: usize = 20;

/// What a clause looks at.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    Metric(String),
    Param(String),
    Tag(String),
    Attr(Attr),
    Dataset(String),
}

/// Run attributes that can be filtered and ordered on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attr {
    RunId,
    RunName,
    Status,
    UserId,
    ArtifactUri,
    StartTime,
    EndTime,
    /// A registered model's or logged model's name (model filters only).
    Name,
    /// A logged model's type (logged-model filters only).
    ModelType,
    /// The run a logged model came from (logged-model filters only).
    SourceRunId,
    /// A model version's number (model-version filters only).
    VersionNumber,
    /// A model version's source (model-version filters only).
    SourcePath,
}

impl Attr {
    fn parse(key: &str) -> Option<Attr> {
        Some(match key {
            "run_id" => Attr::RunId,
            "run_name" | "run name" | "Run name" | "Run Name" => Attr::RunName,
            "status" => Attr::Status,
            "user_id" => Attr::UserId,
            "artifact_uri" => Attr::ArtifactUri,
            "start_time" | "created" | "Created" => Attr::StartTime,
            "end_time" => Attr::EndTime,
            _ => return None,
        })
    }

    /// Whether the attribute holds a number (a time) rather than text.
    pub fn is_numeric(self) -> bool {
        matches!(self, Attr::StartTime | Attr::EndTime | Attr::VersionNumber)
    }

    pub fn name(self) -> &'static str {
        match self {
            Attr::RunId => "run_id",
            Attr::RunName => "run_name",
            Attr::Status => "status",
            Attr::UserId => "user_id",
            Attr::ArtifactUri => "artifact_uri",
            Attr::StartTime => "start_time",
            Attr::EndTime => "end_time",
            Attr::Name => "name",
            Attr::ModelType => "model_type",
            Attr::SourceRunId => "source_run_id",
            Attr::VersionNumber => "version_number",
            Attr::SourcePath => "source_path",
        }
    }
}

const ATTR_KEYS: &str =
    "run_id, run_name, status, user_id, artifact_uri, start_time, end_time, created";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Like,
    ILike,
    In,
    NotIn,
    IsNull,
    IsNotNull,
}

impl Op {
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Like => "LIKE",
            Op::ILike => "ILIKE",
            Op::In => "IN",
            Op::NotIn => "NOT IN",
            Op::IsNull => "IS NULL",
            Op::IsNotNull => "IS NOT NULL",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Number(f64),
    /// A relative time, resolved to milliseconds since the epoch.
    Time(f64),
    Str(String),
    List(Vec<String>),
    None,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Clause {
    pub target: Target,
    pub op: Op,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Clause(Clause),
}

/// One `--order-by` key.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderKey {
    pub target: Target,
    pub ascending: bool,
}

/// A parse error: what is wrong, and where (1-based column).
#[derive(Debug, Clone, PartialEq)]
pub struct SearchError {
    pub message: String,
    pub column: Option<usize>,
    pub input: String,
}

/// The longest input an error quotes whole; past it, the part around the column.
const QUOTED: usize = 80;

impl SearchError {
    /// The input as the message quotes it: whole when short, else the stretch around the
    /// column with `…` where it was cut.
    fn quoted(&self) -> String {
        let chars: Vec<char> = self.input.chars().collect();
        if chars.len() <= QUOTED {
            return self.input.clone();
        }
        let at = self.column.unwrap_or(1).saturating_sub(1).min(chars.len());
        let start = at.saturating_sub(QUOTED / 2);
        let end = (start + QUOTED).min(chars.len());
        let start = end.saturating_sub(QUOTED);
        format!(
            "{}{}{}",
            if start > 0 { "…" } else { "" },
            chars[start..end].iter().collect::<String>(),
            if end < chars.len() { "…" } else { "" }
        )
    }
}

impl fmt::Display for SearchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.column {
            Some(c) => write!(f, "{} at column {c} of '{}'", self.message, self.quoted()),
            None => write!(f, "{} in '{}'", self.message, self.quoted()),
        }
    }
}

/// Parses a filter; `now` (ms) anchors relative times. An empty filter is `None`.
pub fn parse_filter(input: &str, now: i64) -> Result<Option<Expr>, SearchError> {
    parse(input, now, Grammar::Runs)
}

/// Parses a logged-model filter: the attributes `name`, `status`, `model_type` and
/// `source_run_id` (= != LIKE ILIKE), `tags.KEY` and `params.KEY`, with the same
/// AND/OR/NOT/parentheses as run filters.
pub fn parse_logged_model_filter(input: &str) -> Result<Option<Expr>, SearchError> {
    parse(input, 0, Grammar::LoggedModels)
}

/// Parses a registered-model filter: `name` (= != LIKE ILIKE IN) and `tags.KEY`, with the
/// same AND/OR/NOT/parentheses as run filters.
pub fn parse_model_filter(input: &str) -> Result<Option<Expr>, SearchError> {
    parse(input, 0, Grammar::Models)
}

/// Parses a model-version filter: `name`, `run_id` and `source_path` (= != LIKE ILIKE, and IN
/// for name and run_id), `version_number` (= != < <= > >= on an integer) and `tags.KEY`, with
/// the same AND/OR/NOT/parentheses as run filters.
pub fn parse_version_filter(input: &str) -> Result<Option<Expr>, SearchError> {
    parse(input, 0, Grammar::Versions)
}

fn parse(input: &str, now: i64, grammar: Grammar) -> Result<Option<Expr>, SearchError> {
    let mut p = Parser::new(input, now, grammar);
    p.skip_ws();
    if p.at_end() {
        return Ok(None);
    }
    let expr = p.expr()?;
    p.skip_ws();
    if !p.at_end() {
        if p.peek() == Some(';') {
            return Err(p.err_at(
                p.pos,
                "a filter is one expression: join clauses with AND or OR, not `;`",
            ));
        }
        let tok = p.token_text(p.pos);
        return Err(p.err_at(p.pos, &format!("unexpected token '{tok}'")));
    }
    Ok(Some(expr))
}

/// Parses an order-by list (`metrics.acc DESC, params.lr`); several strings may be given.
pub fn parse_order_by(items: &[String]) -> Result<Vec<OrderKey>, SearchError> {
    let mut out: Vec<OrderKey> = Vec::new();
    for item in items {
        for part in split_top_level(item) {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            let mut p = Parser::new(part, 0, Grammar::Runs);
            let start = p.pos;
            let target = p.ident()?;
            if let Target::Dataset(_) = target {
                return Err(p.err_at(start, "datasets cannot order runs"));
            }
            p.skip_ws();
            let ascending = if p.at_end() || p.keyword("ASC") {
                true
            } else if p.keyword("DESC") {
                false
            } else {
                let tok = p.token_text(p.pos);
                return Err(p.err_at(p.pos, &format!("invalid ordering '{tok}': use ASC or DESC")));
            };
            p.skip_ws();
            if !p.at_end() {
                let tok = p.token_text(p.pos);
                return Err(p.err_at(p.pos, &format!("unexpected token '{tok}'")));
            }
            if out.iter().any(|o| o.target == target) {
                return Err(p.err_at(start, "the same key is given twice"));
            }
            if out.len() == MAX_ORDER_KEYS {
                return Err(p.err_at(
                    start,
                    &format!("runs are ordered by at most {MAX_ORDER_KEYS} keys"),
                ));
            }
            out.push(OrderKey { target, ascending });
        }
    }
    Ok(out)
}

/// What experiments are ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExperimentKey {
    Name,
    ExperimentId,
    CreationTime,
    LastUpdateTime,
}

/// An experiment search's `order_by` that cannot be read, in MLflow's words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExperimentOrderError {
    #[error("Invalid ordering key in order_by clause '{0}'.")]
    Clause(String),
    #[error(
        "Invalid attribute key '{0}' specified. Valid keys are 'name', 'experiment_id', 'creation_time', 'last_update_time'"
    )]
    Key(String),
}

/// Parses an experiment search's `order_by` as MLflow does: `[attribute.]KEY [ASC|DESC]`, KEY
/// one of `name`, `experiment_id`, `creation_time`, `last_update_time`; the error texts are
/// MLflow's.
pub fn parse_experiment_order_by(
    items: &[String],
) -> Result<Vec<(ExperimentKey, bool)>, ExperimentOrderError> {
    let mut out = Vec::new();
    for item in items {
        let words: Vec<&str> = item.split_whitespace().collect();
        let (key, ascending) = match words.as_slice() {
            [key] => (*key, true),
            [key, dir] if dir.eq_ignore_ascii_case("ASC") => (*key, true),
            [key, dir] if dir.eq_ignore_ascii_case("DESC") => (*key, false),
            _ => return Err(ExperimentOrderError::Clause(item.clone())),
        };
        let key = key.strip_prefix("attribute.").unwrap_or(key);
        let key = match key {
            "name" => ExperimentKey::Name,
            "experiment_id" => ExperimentKey::ExperimentId,
            "creation_time" => ExperimentKey::CreationTime,
            "last_update_time" => ExperimentKey::LastUpdateTime,
            other => return Err(ExperimentOrderError::Key(other.to_string())),
        };
        if !out.iter().any(|(k, _)| *k == key) {
            out.push((key, ascending));
        }
    }
    Ok(out)
}

/// Splits on commas outside quotes and backticks.
fn split_top_level(s: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut quote: Option<char> = None;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if matches!(c, '\'' | '"' | '`') => quote = Some(c),
            None if c == ',' => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            None => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

fn describe(t: &Target) -> String {
    match t {
        Target::Metric(k) => format!("metric '{k}'"),
        Target::Param(k) => format!("param '{k}'"),
        Target::Tag(k) => format!("tag '{k}'"),
        Target::Attr(a) => format!("attribute '{}'", a.name()),
        Target::Dataset(k) => format!("dataset {k}"),
    }
}

/// The text of a key as the filter grammar writes it (`metrics.`my key``, `attributes.status`).
fn target_text(t: &Target) -> String {
    let quoted = |prefix: &str, k: &str| {
        if !k.is_empty()
            && k.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.-/".contains(c))
        {
            format!("{prefix}.{k}")
        } else {
            format!("{prefix}.`{k}`")
        }
    };
    match t {
        Target::Metric(k) => quoted("metrics", k),
        Target::Param(k) => quoted("params", k),
        Target::Tag(k) => quoted("tags", k),
        Target::Attr(Attr::Name) => "name".to_string(),
        Target::Attr(a) => format!("attributes.{}", a.name()),
        Target::Dataset(k) => format!("datasets.{k}"),
    }
}

/// A string literal of the filter grammar: single-quoted, or double-quoted when it holds `'`.
pub fn string_text(s: &str) -> String {
    if s.contains('\'') {
        format!("\"{s}\"")
    } else {
        format!("'{s}'")
    }
}

impl Expr {
    /// The filter as text in MLflow's grammar (relative times written as milliseconds), for
    /// sending to a tracking server.
    pub fn to_filter_string(&self) -> String {
        match self {
            Expr::And(items) => items
                .iter()
                .map(|e| match e {
                    Expr::Or(_) => format!("({})", e.to_filter_string()),
                    _ => e.to_filter_string(),
                })
                .collect::<Vec<_>>()
                .join(" and "),
            Expr::Or(items) => items
                .iter()
                .map(|e| match e {
                    Expr::And(_) | Expr::Or(_) => format!("({})", e.to_filter_string()),
                    _ => e.to_filter_string(),
                })
                .collect::<Vec<_>>()
                .join(" or "),
            Expr::Not(inner) => format!("not ({})", inner.to_filter_string()),
            Expr::Clause(c) => {
                let value = match &c.value {
                    Value::Number(n) | Value::Time(n) => {
                        if n.fract() == 0.0 && n.abs() < 1e15 {
                            format!("{}", *n as i64)
                        } else {
                            format!("{n}")
                        }
                    }
                    Value::Str(s) => string_text(s),
                    Value::List(items) => format!(
                        "({})",
                        items
                            .iter()
                            .map(|s| string_text(s))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    Value::None => String::new(),
                };
                let key = target_text(&c.target);
                if value.is_empty() {
                    format!("{key} {}", c.op.as_str())
                } else {
                    format!("{key} {} {value}", c.op.as_str())
                }
            }
        }
    }
}

impl OrderKey {
    /// The key as an `order_by` item of MLflow's API (`metrics.`acc` DESC`).
    pub fn to_order_string(&self) -> String {
        format!(
            "{} {}",
            target_text(&self.target),
            if self.ascending { "ASC" } else { "DESC" }
        )
    }
}

#[cfg(test)]
mod tests;
