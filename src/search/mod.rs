//! The run filter and order-by grammar: MLflow's, plus `OR`, `NOT`, parentheses and relative
//! times. Text → AST here; AST → SQL in `sql.rs`.
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
    /// A registered model's name (registry filters only).
    Name,
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
        matches!(self, Attr::StartTime | Attr::EndTime)
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

impl fmt::Display for SearchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.column {
            Some(c) => write!(f, "{} at column {c} of '{}'", self.message, self.input),
            None => write!(f, "{} in '{}'", self.message, self.input),
        }
    }
}

/// Parses a filter; `now` (ms) anchors relative times. An empty filter is `None`.
pub fn parse_filter(input: &str, now: i64) -> Result<Option<Expr>, SearchError> {
    parse(input, now, Grammar::Runs)
}

/// Parses a registered-model filter: `name` (= != LIKE ILIKE IN) and `tags.KEY`, with the
/// same AND/OR/NOT/parentheses as run filters.
pub fn parse_model_filter(input: &str) -> Result<Option<Expr>, SearchError> {
    parse(input, 0, Grammar::Models)
}

fn parse(input: &str, now: i64, grammar: Grammar) -> Result<Option<Expr>, SearchError> {
    let mut p = Parser {
        s: input,
        pos: 0,
        now,
        grammar,
    };
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
            let mut p = Parser {
                s: part,
                pos: 0,
                now: 0,
                grammar: Grammar::Runs,
            };
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
            out.push(OrderKey { target, ascending });
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

/// Which entity a filter selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Grammar {
    Runs,
    Models,
}

struct Parser<'a> {
    s: &'a str,
    pos: usize,
    now: i64,
    grammar: Grammar,
}

impl Parser<'_> {
    fn err_at(&self, pos: usize, message: &str) -> SearchError {
        SearchError {
            message: message.to_string(),
            column: Some(self.s[..pos.min(self.s.len())].chars().count() + 1),
            input: self.s.to_string(),
        }
    }

    fn at_end(&self) -> bool {
        self.pos >= self.s.len()
    }

    fn peek(&self) -> Option<char> {
        self.s[self.pos..].chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.bump();
        }
    }

    /// The token starting at `pos`, for messages.
    fn token_text(&self, pos: usize) -> String {
        let rest = &self.s[pos..];
        let end = rest
            .char_indices()
            .find(|(i, c)| *i > 0 && (c.is_whitespace() || matches!(c, '(' | ')' | ',')))
            .map_or(rest.len(), |(i, _)| i);
        rest[..end.max(rest.chars().next().map_or(0, char::len_utf8))].to_string()
    }

    /// Consumes a case-insensitive keyword followed by a non-word character.
    fn keyword(&mut self, kw: &str) -> bool {
        let rest = &self.s[self.pos..];
        if rest.len() >= kw.len() && rest[..kw.len()].eq_ignore_ascii_case(kw) {
            let next = rest[kw.len()..].chars().next();
            if !next.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.') {
                self.pos += kw.len();
                return true;
            }
        }
        false
    }

    fn expr(&mut self) -> Result<Expr, SearchError> {
        let mut items = vec![self.and()?];
        loop {
            self.skip_ws();
            if self.keyword("OR") {
                items.push(self.and()?);
            } else {
                break;
            }
        }
        Ok(if items.len() == 1 {
            items.pop().expect("one")
        } else {
            Expr::Or(items)
        })
    }

    fn and(&mut self) -> Result<Expr, SearchError> {
        let mut items = vec![self.unary()?];
        loop {
            self.skip_ws();
            if self.keyword("AND") {
                self.skip_ws();
                if self.at_end() {
                    break; // MLflow tolerates a dangling final AND.
                }
                items.push(self.unary()?);
            } else {
                break;
            }
        }
        Ok(if items.len() == 1 {
            items.pop().expect("one")
        } else {
            Expr::And(items)
        })
    }

    fn unary(&mut self) -> Result<Expr, SearchError> {
        self.skip_ws();
        if self.at_end() {
            return Err(self.err_at(self.pos, "the filter ends where a clause was expected"));
        }
        if self.keyword("NOT") {
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        if self.peek() == Some('(') {
            let open = self.pos;
            self.bump();
            let inner = self.expr()?;
            self.skip_ws();
            if self.peek() != Some(')') {
                return Err(self.err_at(open, "this `(` is never closed"));
            }
            self.bump();
            return Ok(inner);
        }
        self.clause().map(Expr::Clause)
    }

    fn quoted(&mut self, q: char) -> Result<String, SearchError> {
        let start = self.pos;
        self.bump();
        let mut out = String::new();
        loop {
            match self.bump() {
                None => return Err(self.err_at(start, &format!("unterminated {q}quote{q}"))),
                Some(c) if c == q => {
                    if self.peek() == Some(q) {
                        self.bump();
                        out.push(q);
                    } else {
                        return Ok(out);
                    }
                }
                Some('\\') if q != '`' && self.peek().is_some() => {
                    let c = self.bump().expect("peeked");
                    out.push(c);
                }
                Some(c) => out.push(c),
            }
        }
    }

    fn bare_word(&mut self, allow_dots: bool) -> String {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_alphanumeric() || c == '_' || (allow_dots && c == '.'))
        {
            self.bump();
        }
        self.s[start..self.pos].to_string()
    }

    fn ident(&mut self) -> Result<Target, SearchError> {
        self.skip_ws();
        let start = self.pos;
        let first = match self.peek() {
            Some('`') => self.quoted('`')?,
            Some('"') => self.quoted('"')?,
            Some(c) if c.is_alphabetic() || c == '_' => self.bare_word(false),
            _ => {
                let tok = self.token_text(start);
                return Err(self.err_at(
                    start,
                    &format!("expected a key such as `metrics.loss`, found '{tok}'"),
                ));
            }
        };
        if self.peek() != Some('.') {
            return self.after_ident(start, None, first);
        }
        self.bump();
        let key_start = self.pos;
        let key = match self.peek() {
            Some('`') => self.quoted('`')?,
            Some('"') => self.quoted('"')?,
            _ => self.bare_word(true),
        };
        if key.is_empty() {
            return Err(self.err_at(key_start, &format!("`{first}.` needs a key after the dot")));
        }
        self.after_ident(start, Some(first), key)
    }

    fn after_ident(
        &mut self,
        start: usize,
        prefix: Option<String>,
        key: String,
    ) -> Result<Target, SearchError> {
        // A key that runs straight into other characters (`cross-entropy`) needs quoting.
        if let Some(c) = self.peek() {
            if !c.is_whitespace() && !matches!(c, '=' | '!' | '<' | '>' | ')' | '(' | ',') {
                let full = self.token_text(start);
                return Err(self.err_at(
                    start,
                    &format!("key '{full}' has characters that need quoting: write it in backticks, such as metrics.`cross-entropy`"),
                ));
            }
        }
        if self.grammar == Grammar::Models {
            return match (prefix.as_deref(), key.as_str()) {
                (None | Some("attribute" | "attributes"), "name") => Ok(Target::Attr(Attr::Name)),
                (None | Some("attribute" | "attributes"), other) => Err(self.err_at(
                    start,
                    &format!("invalid attribute '{other}': registered models are filtered on name and tags.KEY"),
                )),
                (Some("tag" | "tags"), _) => Ok(Target::Tag(key)),
                (Some(other), _) => Err(self.err_at(
                    start,
                    &format!("invalid entity type '{other}': registered models are filtered on name and tags.KEY"),
                )),
            };
        }
        let Some(prefix) = prefix else {
            return Attr::parse(&key).map(Target::Attr).ok_or_else(|| {
                self.err_at(start, &format!("invalid attribute '{key}': attributes are {ATTR_KEYS}; prefix others with metrics., params. or tags."))
            });
        };
        Ok(match prefix.as_str() {
            "metric" | "metrics" => Target::Metric(key),
            "param" | "params" | "parameter" | "parameters" => Target::Param(key),
            "tag" | "tags" => Target::Tag(key),
            "attribute" | "attributes" | "attr" | "run" => match Attr::parse(&key) {
                Some(a) => Target::Attr(a),
                None => {
                    return Err(self.err_at(
                        start,
                        &format!("invalid attribute '{key}': attributes are {ATTR_KEYS}"),
                    ));
                }
            },
            "dataset" | "datasets" => match key.as_str() {
                "name" | "digest" | "context" => Target::Dataset(key),
                _ => {
                    return Err(self.err_at(
                        start,
                        &format!("invalid dataset key '{key}': use name, digest or context"),
                    ));
                }
            },
            other => {
                return Err(self.err_at(
                    start,
                    &format!("invalid entity type '{other}': use metrics, params, tags, attributes or datasets"),
                ));
            }
        })
    }

    fn op(&mut self) -> Result<Op, SearchError> {
        self.skip_ws();
        let start = self.pos;
        let two = self.s.get(self.pos..self.pos + 2).unwrap_or("");
        let op = match two {
            "!=" | "<>" => Some(Op::Ne),
            "<=" => Some(Op::Le),
            ">=" => Some(Op::Ge),
            _ => None,
        };
        if let Some(op) = op {
            self.pos += 2;
            return self.no_doubled_op(start, op);
        }
        let op = match self.peek() {
            Some('=') => Some(Op::Eq),
            Some('<') => Some(Op::Lt),
            Some('>') => Some(Op::Gt),
            _ => None,
        };
        if let Some(op) = op {
            self.pos += 1;
            return self.no_doubled_op(start, op);
        }
        if self.keyword("LIKE") {
            return Ok(Op::Like);
        }
        if self.keyword("ILIKE") {
            return Ok(Op::ILike);
        }
        if self.keyword("IN") {
            return Ok(Op::In);
        }
        let save = self.pos;
        if self.keyword("NOT") {
            self.skip_ws();
            if self.keyword("IN") {
                return Ok(Op::NotIn);
            }
            self.pos = save;
        }
        if self.keyword("IS") {
            self.skip_ws();
            let negated = self.keyword("NOT");
            self.skip_ws();
            if self.keyword("NULL") {
                return Ok(if negated { Op::IsNotNull } else { Op::IsNull });
            }
            return Err(self.err_at(self.pos, "expected NULL after IS"));
        }
        if self.at_end() {
            return Err(self.err_at(start, "the clause ends before its operator: use =, !=, <, <=, >, >=, LIKE, ILIKE, IN or IS NULL"));
        }
        let tok = self.token_text(start);
        Err(self.err_at(start, &format!("unexpected token '{tok}': expected an operator (=, !=, <, <=, >, >=, LIKE, ILIKE, IN, IS NULL)")))
    }

    fn no_doubled_op(&mut self, start: usize, op: Op) -> Result<Op, SearchError> {
        let save = self.pos;
        self.skip_ws();
        if self
            .peek()
            .is_some_and(|c| matches!(c, '=' | '<' | '>' | '!'))
        {
            let tok = self.token_text(start);
            return Err(self.err_at(start, &format!("unexpected token '{tok}'")));
        }
        self.pos = save;
        Ok(op)
    }

    fn value(&mut self) -> Result<(Value, usize), SearchError> {
        self.skip_ws();
        let start = self.pos;
        match self.peek() {
            Some(q @ ('\'' | '"')) => Ok((Value::Str(self.quoted(q)?), start)),
            Some(c) if c.is_ascii_digit() || c == '-' || c == '.' => {
                let mut end = self.pos;
                let bytes = self.s.as_bytes();
                if bytes[end] == b'-' {
                    end += 1;
                }
                while end < bytes.len() && (bytes[end].is_ascii_digit() || bytes[end] == b'.') {
                    end += 1;
                }
                if end < bytes.len() && (bytes[end] == b'e' || bytes[end] == b'E') {
                    let mut e = end + 1;
                    if e < bytes.len() && (bytes[e] == b'+' || bytes[e] == b'-') {
                        e += 1;
                    }
                    if e < bytes.len() && bytes[e].is_ascii_digit() {
                        end = e;
                        while end < bytes.len() && bytes[end].is_ascii_digit() {
                            end += 1;
                        }
                    }
                }
                let text = &self.s[self.pos..end];
                let number: f64 = text
                    .parse()
                    .map_err(|_| self.err_at(start, &format!("'{text}' is not a number")))?;
                self.pos = end;
                // Relative time: -7d, -12h, -30m, -45s, -2w.
                if let Some(unit) = self.peek().filter(|c| c.is_ascii_alphabetic()) {
                    let after = self.s[self.pos + 1..].chars().next();
                    let ms = match unit {
                        's' => 1_000.0,
                        'm' => 60_000.0,
                        'h' => 3_600_000.0,
                        'd' => 86_400_000.0,
                        'w' => 604_800_000.0,
                        _ => 0.0,
                    };
                    if ms == 0.0 || after.is_some_and(|c| c.is_alphanumeric()) {
                        let tok = self.token_text(start);
                        return Err(self.err_at(
                            start,
                            &format!("'{tok}' is not a number or a relative time such as -7d"),
                        ));
                    }
                    if number > 0.0 {
                        return Err(self.err_at(
                            start,
                            "relative times count back from now: write them negative, such as -7d",
                        ));
                    }
                    self.bump();
                    return Ok((Value::Time((self.now as f64 + number * ms).round()), start));
                }
                Ok((Value::Number(number), start))
            }
            Some('(') => {
                self.bump();
                let mut items = Vec::new();
                loop {
                    self.skip_ws();
                    match self.peek() {
                        Some(')') if items.is_empty() => {
                            return Err(
                                self.err_at(start, "IN needs a non-empty list of quoted strings")
                            );
                        }
                        Some(q @ ('\'' | '"')) => items.push(self.quoted(q)?),
                        _ => {
                            let tok = self.token_text(self.pos);
                            return Err(self.err_at(
                                self.pos,
                                &format!("IN takes quoted strings, found '{tok}'"),
                            ));
                        }
                    }
                    self.skip_ws();
                    match self.bump() {
                        Some(',') => continue,
                        Some(')') => break,
                        _ => {
                            return Err(self.err_at(start, "this IN list is never closed with `)`"));
                        }
                    }
                }
                Ok((Value::List(items), start))
            }
            None => Err(self.err_at(start, "the clause ends before its value")),
            Some(_) => {
                let tok = self.token_text(start);
                Err(self.err_at(start, &format!("value '{tok}' is not quoted: write strings in single or double quotes, such as '{}'", tok.trim_matches('`'))))
            }
        }
    }

    fn clause(&mut self) -> Result<Clause, SearchError> {
        let start = self.pos;
        let target = self.ident()?;
        let op_pos = {
            self.skip_ws();
            self.pos
        };
        let op = self.op()?;
        let (value, value_pos) = match op {
            Op::IsNull | Op::IsNotNull => (Value::None, self.pos),
            Op::In | Op::NotIn => {
                self.skip_ws();
                if self.peek() != Some('(') {
                    return Err(self.err_at(
                        self.pos,
                        "IN needs a list in parentheses, such as ('a', 'b')",
                    ));
                }
                self.value()?
            }
            _ => {
                let v = self.value()?;
                if let Value::List(_) = v.0 {
                    return Err(self.err_at(v.1, "a list needs IN or NOT IN"));
                }
                v
            }
        };
        self.check(start, op_pos, value_pos, &target, op, &value)?;
        Ok(Clause { target, op, value })
    }

    fn check(
        &self,
        start: usize,
        op_pos: usize,
        value_pos: usize,
        target: &Target,
        op: Op,
        value: &Value,
    ) -> Result<(), SearchError> {
        use Op::*;
        let bad_op = |allowed: &str| {
            Err(self.err_at(
                op_pos,
                &format!(
                    "{} cannot be compared with {}: use {allowed}",
                    describe(target),
                    op.as_str()
                ),
            ))
        };
        match target {
            Target::Metric(_) => {
                if !matches!(op, Eq | Ne | Lt | Le | Gt | Ge) {
                    return bad_op("=, !=, <, <=, > or >=");
                }
                if let Value::Time(_) = value {
                    return Err(self.err_at(
                        value_pos,
                        "relative times such as -7d apply only to start_time and end_time",
                    ));
                }
                if !matches!(value, Value::Number(_)) {
                    return Err(self.err_at(
                        value_pos,
                        &format!("{} needs a number, not a string", describe(target)),
                    ));
                }
            }
            Target::Param(_) | Target::Tag(_) => {
                if !matches!(op, Eq | Ne | Like | ILike | IsNull | IsNotNull) {
                    return bad_op("=, !=, LIKE, ILIKE, IS NULL or IS NOT NULL");
                }
                if let Value::Number(_) | Value::Time(_) = value {
                    return Err(self.err_at(
                        value_pos,
                        &format!("{} takes a quoted string, such as '0.5'", describe(target)),
                    ));
                }
            }
            Target::Attr(a) if a.is_numeric() => {
                if !matches!(op, Eq | Ne | Lt | Le | Gt | Ge) {
                    return bad_op("=, !=, <, <=, > or >=");
                }
                if !matches!(value, Value::Number(_) | Value::Time(_)) {
                    return Err(self.err_at(
                        value_pos,
                        &format!(
                            "{} needs a number of milliseconds or a relative time such as -7d",
                            describe(target)
                        ),
                    ));
                }
            }
            Target::Attr(a) => {
                let list_ok = matches!(a, Attr::RunId | Attr::Name);
                if matches!(op, In | NotIn) && !list_ok {
                    return Err(self.err_at(
                        op_pos,
                        "only run_id can be compared with a list (IN, NOT IN)",
                    ));
                }
                if !matches!(op, Eq | Ne | Like | ILike | In | NotIn) {
                    return bad_op("=, !=, LIKE or ILIKE");
                }
                if let Value::Number(_) | Value::Time(_) = value {
                    return Err(self.err_at(
                        value_pos,
                        &format!("{} takes a quoted string", describe(target)),
                    ));
                }
            }
            Target::Dataset(_) => {
                if !matches!(op, Eq | Ne | Like | ILike | In | NotIn) {
                    return bad_op("=, !=, LIKE, ILIKE, IN or NOT IN");
                }
                if let Value::Number(_) | Value::Time(_) = value {
                    return Err(self.err_at(
                        value_pos,
                        &format!("{} takes a quoted string", describe(target)),
                    ));
                }
            }
        }
        let _ = start;
        Ok(())
    }
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
mod tests {
    use super::*;

    fn ok(s: &str) -> Expr {
        parse_filter(s, 1_000_000_000)
            .unwrap_or_else(|e| panic!("{s}: {e}"))
            .expect("non-empty")
    }

    fn err(s: &str) -> SearchError {
        parse_filter(s, 0).expect_err(s)
    }

    #[test]
    fn idents() {
        let Expr::Clause(c) = ok("tags.`mlflow.runName` = 'run1'") else {
            panic!()
        };
        assert_eq!(c.target, Target::Tag("mlflow.runName".into()));
        let Expr::Clause(c) = ok("tags.mlflow.runName = 'run1'") else {
            panic!()
        };
        assert_eq!(c.target, Target::Tag("mlflow.runName".into()));
        let Expr::Clause(c) = ok("`metric`.a >= 0.1") else {
            panic!()
        };
        assert_eq!(c.target, Target::Metric("a".into()));
        let Expr::Clause(c) = ok("attributes.`Run name` LIKE 'my%'") else {
            panic!()
        };
        assert_eq!(c.target, Target::Attr(Attr::RunName));
    }

    #[test]
    fn extensions() {
        assert!(matches!(
            ok("metrics.a > 1 OR NOT (params.b = 'x' AND tags.c != 'y')"),
            Expr::Or(_)
        ));
        let Expr::Clause(c) = ok("attributes.start_time > -7d") else {
            panic!()
        };
        assert_eq!(c.value, Value::Time(1_000_000_000.0 - 7.0 * 86_400_000.0));
    }

    #[test]
    fn errors_have_columns() {
        let e = err("metrics.acc >> 1");
        assert_eq!(e.column, Some(13), "{e}");
        assert!(
            err("metrics.cross-entropy-loss < 0.5")
                .message
                .contains("quoting")
        );
        assert!(err("m.acc >= 0.94").message.contains("entity type"));
        assert!(err("acc >= 0.94").message.contains("invalid attribute"));
        assert!(
            err("metric.acc >= 0.94; metrics.rmse < 1")
                .message
                .contains("not `;`")
        );
    }

    #[test]
    fn order_by() {
        let keys = parse_order_by(&["metrics.acc DESC, params.lr".into()]).unwrap();
        assert_eq!(keys.len(), 2);
        assert!(!keys[0].ascending);
        assert!(parse_order_by(&["metrics.a ACS".into()]).is_err());
        assert!(parse_order_by(&["metrics.a, metrics.a DESC".into()]).is_err());
    }
}
