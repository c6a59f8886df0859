//! The recursive-descent parser of filters and order-by keys.

use super::*;

/// Which entity a filter selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Grammar {
    Runs,
    Models,
    LoggedModels,
    Versions,
}

pub(super) struct Parser<'a> {
    pub(super) s: &'a str,
    pub(super) pos: usize,
    pub(super) now: i64,
    pub(super) grammar: Grammar,
    /// How deep the parentheses and NOTs around the current position nest.
    pub(super) depth: usize,
    /// Clauses and listed values read so far.
    pub(super) clauses: usize,
    pub(super) values: usize,
}

impl<'a> Parser<'a> {
    pub(super) fn new(s: &'a str, now: i64, grammar: Grammar) -> Parser<'a> {
        Parser {
            s,
            pos: 0,
            now,
            grammar,
            depth: 0,
            clauses: 0,
            values: 0,
        }
    }
}

impl Parser<'_> {
    pub(super) fn err_at(&self, pos: usize, message: &str) -> SearchError {
        SearchError {
            message: message.to_string(),
            column: Some(self.s[..pos.min(self.s.len())].chars().count() + 1),
            input: self.s.to_string(),
        }
    }

    pub(super) fn at_end(&self) -> bool {
        self.pos >= self.s.len()
    }

    pub(super) fn peek(&self) -> Option<char> {
        self.s[self.pos..].chars().next()
    }

    pub(super) fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    pub(super) fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.bump();
        }
    }

    /// The token starting at `pos`, for messages.
    pub(super) fn token_text(&self, pos: usize) -> String {
        let rest = &self.s[pos..];
        let end = rest
            .char_indices()
            .find(|(i, c)| *i > 0 && (c.is_whitespace() || matches!(c, '(' | ')' | ',')))
            .map_or(rest.len(), |(i, _)| i);
        rest[..end.max(rest.chars().next().map_or(0, char::len_utf8))].to_string()
    }

    /// Consumes a case-insensitive keyword followed by a non-word character.
    pub(super) fn keyword(&mut self, kw: &str) -> bool {
        let rest = &self.s[self.pos..];
        if rest
            .get(..kw.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(kw))
        {
            let next = rest[kw.len()..].chars().next();
            if !next.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.') {
                self.pos += kw.len();
                return true;
            }
        }
        false
    }

    pub(super) fn expr(&mut self) -> Result<Expr, SearchError> {
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

    pub(super) fn and(&mut self) -> Result<Expr, SearchError> {
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

    pub(super) fn unary(&mut self) -> Result<Expr, SearchError> {
        self.skip_ws();
        if self.at_end() {
            return Err(self.err_at(self.pos, "the filter ends where a clause was expected"));
        }
        let at = self.pos;
        if self.keyword("NOT") {
            self.deeper(at)?;
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(inner)));
        }
        if self.peek() == Some('(') {
            let open = self.pos;
            self.deeper(open)?;
            self.bump();
            let inner = self.expr()?;
            self.skip_ws();
            if self.peek() != Some(')') {
                return Err(self.err_at(open, "this `(` is never closed"));
            }
            self.bump();
            self.depth -= 1;
            return Ok(inner);
        }
        self.clauses += 1;
        if self.clauses > MAX_CLAUSES {
            return Err(self.err_at(
                at,
                &format!("a filter has at most {MAX_CLAUSES} clauses: split the search, or use IN"),
            ));
        }
        self.clause().map(Expr::Clause)
    }

    /// Enters one more level of parentheses or NOT, within the limit.
    fn deeper(&mut self, at: usize) -> Result<(), SearchError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err_at(
                at,
                &format!("a filter nests at most {MAX_DEPTH} levels of parentheses and NOT"),
            ));
        }
        Ok(())
    }

    pub(super) fn quoted(&mut self, q: char) -> Result<String, SearchError> {
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

    pub(super) fn bare_word(&mut self, allow_dots: bool) -> String {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_alphanumeric() || c == '_' || (allow_dots && c == '.'))
        {
            self.bump();
        }
        self.s[start..self.pos].to_string()
    }

    pub(super) fn ident(&mut self) -> Result<Target, SearchError> {
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

    pub(super) fn after_ident(
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
        if self.grammar == Grammar::Versions {
            const KEYS: &str = "name, version_number, run_id, source_path and tags.KEY";
            let attr = match key.as_str() {
                "name" => Some(Attr::Name),
                "version_number" => Some(Attr::VersionNumber),
                "run_id" => Some(Attr::RunId),
                "source_path" => Some(Attr::SourcePath),
                _ => None,
            };
            return match (prefix.as_deref(), attr) {
                (None | Some("attribute" | "attributes"), Some(a)) => Ok(Target::Attr(a)),
                (None | Some("attribute" | "attributes"), None) => Err(self.err_at(
                    start,
                    &format!("invalid attribute '{key}': model versions are filtered on {KEYS}"),
                )),
                (Some("tag" | "tags"), _) => Ok(Target::Tag(key)),
                (Some(other), _) => Err(self.err_at(
                    start,
                    &format!(
                        "invalid entity type '{other}': model versions are filtered on {KEYS}"
                    ),
                )),
            };
        }
        if self.grammar == Grammar::LoggedModels {
            const KEYS: &str = "name, status, model_type, source_run_id, tags.KEY and params.KEY";
            let attr = match key.as_str() {
                "name" => Some(Attr::Name),
                "status" => Some(Attr::Status),
                "model_type" => Some(Attr::ModelType),
                "source_run_id" => Some(Attr::SourceRunId),
                _ => None,
            };
            return match (prefix.as_deref(), attr) {
                (None | Some("attribute" | "attributes"), Some(a)) => Ok(Target::Attr(a)),
                (None | Some("attribute" | "attributes"), None) => Err(self.err_at(
                    start,
                    &format!("invalid attribute '{key}': logged models are filtered on {KEYS}"),
                )),
                (Some("tag" | "tags"), _) => Ok(Target::Tag(key)),
                (Some("param" | "params"), _) => Ok(Target::Param(key)),
                (Some(other), _) => Err(self.err_at(
                    start,
                    &format!("invalid entity type '{other}': logged models are filtered on {KEYS}"),
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

    pub(super) fn op(&mut self) -> Result<Op, SearchError> {
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

    pub(super) fn no_doubled_op(&mut self, start: usize, op: Op) -> Result<Op, SearchError> {
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

    pub(super) fn value(&mut self) -> Result<(Value, usize), SearchError> {
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
                        Some(q @ ('\'' | '"')) => {
                            self.values += 1;
                            if self.values > MAX_VALUES {
                                return Err(self.err_at(
                                    self.pos,
                                    &format!(
                                        "a filter lists at most {MAX_VALUES} values in all: split the search"
                                    ),
                                ));
                            }
                            items.push(self.quoted(q)?)
                        }
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

    pub(super) fn clause(&mut self) -> Result<Clause, SearchError> {
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
}
