//! Statements written for PostgreSQL in MySQL's words: numbered placeholders become `?` with
//! their values in order (a list stands for a comma-separated list, an empty one for `NULL`),
//! casts after a placeholder are dropped, the reserved column names are quoted, and the few
//! PostgreSQL forms the shared queries use (upserts, `= ANY`, `LIMIT ALL`, `FOR UPDATE OF`,
//! `CAST(… AS TEXT)`, a final `RETURNING`) take MySQL's.

use mysql::Value;

use super::sql::{Arg, Args};

/// Reserved words of MySQL that the store uses as column names.
const RESERVED: &[&str] = &["key", "schema"];

/// `sql` in MySQL's form with its values in order: see the module's documentation.
pub fn translate(sql: &str, args: &Args) -> (String, Vec<Value>) {
    let sql = &*postgres_forms(sql);
    let bytes = sql.as_bytes();
    let mut out = String::with_capacity(sql.len() + 16);
    let mut values = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'\'' | b'"' | b'`' => {
                // A quoted literal or identifier, copied as it is.
                let start = i;
                i += 1;
                while i < bytes.len() {
                    if bytes[i] == c {
                        if bytes.get(i + 1) == Some(&c) {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                i = (i + 1).min(bytes.len());
                out.push_str(&sql[start..i]);
            }
            b'$' if bytes.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                let start = i + 1;
                i = start;
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
                let n: usize = sql[start..i].parse().unwrap_or(0);
                let arg = args
                    .get(n.wrapping_sub(1))
                    .unwrap_or_else(|| panic!("no value ${n} for `{sql}`"));
                match arg.arg() {
                    Arg::One(v) => {
                        out.push('?');
                        values.push(v);
                    }
                    Arg::List(list) if list.is_empty() => out.push_str("NULL"),
                    Arg::List(list) => {
                        for (k, v) in list.into_iter().enumerate() {
                            out.push_str(if k == 0 { "?" } else { ", ?" });
                            values.push(v);
                        }
                    }
                }
                // A MySQL cast after the placeholder (`::BIGINT`, `::text[]`).
                if sql[i..].starts_with("::") {
                    i += 2;
                    while i < bytes.len()
                        && (bytes[i].is_ascii_alphanumeric()
                            || matches!(bytes[i], b'_' | b'[' | b']'))
                    {
                        i += 1;
                    }
                }
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let start = i;
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                let word = &sql[start..i];
                if RESERVED.contains(&word) {
                    out.push('"');
                    out.push_str(word);
                    out.push('"');
                } else {
                    out.push_str(word);
                }
            }
            _ => {
                let ch = sql[i..].chars().next().unwrap_or(' ');
                out.push(ch);
                i += ch.len_utf8();
            }
        }
    }
    (out, values)
}

/// `sql` without a final `RETURNING column`.
pub(super) fn without_returning(sql: &str) -> &str {
    let trimmed = sql.trim_end();
    match trimmed.rfind("RETURNING ") {
        Some(i)
            if trimmed[i + "RETURNING ".len()..]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_') =>
        {
            &trimmed[..i]
        }
        _ => sql,
    }
}

/// The PostgreSQL forms the shared queries use, in MySQL's words:
/// - `ON CONFLICT (cols) DO UPDATE SET c = excluded.c, …` → `ON DUPLICATE KEY UPDATE c =
///   VALUES(c), …`, and `ON CONFLICT (cols) DO NOTHING` → a no-op update of the first column;
/// - `= ANY($n)` → `IN ($n)`, whose list the placeholder then spells out;
/// - `LIMIT ALL` → the largest limit (MySQL has no OFFSET without one);
/// - `FOR UPDATE OF t` → `FOR UPDATE`, locking every table read (MariaDB can name none);
/// - `CAST(… AS TEXT)` → `CAST(… AS CHAR)`.
fn postgres_forms(sql: &str) -> std::borrow::Cow<'_, str> {
    const CONFLICT: &str = "ON CONFLICT (";
    let mut out = std::borrow::Cow::Borrowed(sql);
    if let Some(at) = sql.find(CONFLICT) {
        let rest = &sql[at + CONFLICT.len()..];
        let close = rest
            .find(')')
            .unwrap_or_else(|| panic!("unclosed ON CONFLICT in `{sql}`"));
        let first = rest[..close].split(',').next().unwrap_or_default().trim();
        let action = rest[close + 1..].trim_start();
        let tail = if let Some(t) = action.strip_prefix("DO NOTHING") {
            format!("ON DUPLICATE KEY UPDATE {first} = {first}{t}")
        } else if let Some(t) = action.strip_prefix("DO UPDATE SET") {
            let mut set = String::with_capacity(t.len());
            let mut t = t;
            while let Some(i) = t.find("excluded.") {
                set.push_str(&t[..i]);
                t = &t[i + "excluded.".len()..];
                let end = t
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(t.len());
                set.push_str(&format!("VALUES({})", &t[..end]));
                t = &t[end..];
            }
            set.push_str(t);
            format!("ON DUPLICATE KEY UPDATE{set}")
        } else {
            panic!("an ON CONFLICT MySQL has no form for: `{sql}`")
        };
        out = std::borrow::Cow::Owned(format!("{}{tail}", &sql[..at]));
    }
    if out.contains("= ANY(") {
        out = std::borrow::Cow::Owned(out.replace("= ANY(", "IN ("));
    }
    if out.contains(" LIMIT ALL ") {
        out = std::borrow::Cow::Owned(out.replace(" LIMIT ALL ", " LIMIT 18446744073709551615 "));
    }
    if let Some(i) = out.find("FOR UPDATE OF ") {
        let rest = &out[i + "FOR UPDATE OF ".len()..];
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        out = std::borrow::Cow::Owned(format!("{}FOR UPDATE{}", &out[..i], &rest[end..]));
    }
    if out.contains(" AS TEXT)") {
        out = std::borrow::Cow::Owned(out.replace(" AS TEXT)", " AS CHAR)"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upserts_and_list_tests_take_mysql_forms() {
        let (sql, _) = translate(
            "INSERT INTO t (name, key, value) VALUES ($1, $2, $3) \
             ON CONFLICT (name, key) DO UPDATE SET value = excluded.value, n = excluded.n + 1",
            &[&"a", &"b", &"c"],
        );
        assert_eq!(
            sql,
            "INSERT INTO t (name, \"key\", value) VALUES (?, ?, ?) \
             ON DUPLICATE KEY UPDATE value = VALUES(value), n = VALUES(n) + 1"
        );
        let (sql, _) = translate(
            "INSERT INTO m (name) VALUES ($1) ON CONFLICT (name) DO NOTHING",
            &[&"a"],
        );
        assert_eq!(
            sql,
            "INSERT INTO m (name) VALUES (?) ON DUPLICATE KEY UPDATE name = name"
        );
        let ids = vec!["x".to_string(), "y".to_string()];
        let (sql, values) = translate("SELECT 1 FROM r WHERE r.id = ANY($1)", &[&ids]);
        assert_eq!(sql, "SELECT 1 FROM r WHERE r.id IN (?, ?)");
        assert_eq!(values.len(), 2);
        assert_eq!(
            without_returning("INSERT INTO t (a) VALUES ($1) RETURNING id"),
            "INSERT INTO t (a) VALUES ($1) "
        );
        assert_eq!(without_returning("SELECT a FROM t"), "SELECT a FROM t");
        let (sql, _) = translate("SELECT 1 WHERE CAST(e.id AS TEXT) IN ($1)", &[&"1"]);
        assert_eq!(sql, "SELECT 1 WHERE CAST(e.id AS CHAR) IN (?)");
        let (sql, _) = translate(
            "SELECT a FROM s JOIN r ON r.id = s.v WHERE s.k = $1 FOR UPDATE OF s",
            &[&"k"],
        );
        assert_eq!(
            sql,
            "SELECT a FROM s JOIN r ON r.id = s.v WHERE s.k = ? FOR UPDATE"
        );
        let (sql, _) = translate("SELECT a FROM t LIMIT ALL OFFSET 5", &[]);
        assert_eq!(sql, "SELECT a FROM t LIMIT 18446744073709551615 OFFSET 5");
    }

    #[test]
    fn placeholders_become_positional() {
        let ids = vec!["a".to_string(), "b".to_string()];
        let none: Vec<String> = Vec::new();
        let (sql, values) = translate(
            "SELECT key FROM t WHERE x = $2 AND ($1::BIGINT IS NULL OR y = $1) AND id IN ($3) AND z IN ($4) AND s = '$1'",
            &[&5i64, &"v", &ids, &none],
        );
        assert_eq!(
            sql,
            "SELECT \"key\" FROM t WHERE x = ? AND (? IS NULL OR y = ?) AND id IN (?, ?) AND z IN (NULL) AND s = '$1'"
        );
        assert_eq!(values.len(), 5);
        assert_eq!(values[1], Value::Int(5));
    }
}
