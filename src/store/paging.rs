//! Keyset paging: a page token names the sort key of the last row of the page before (a
//! time and an id), so the next page starts right after it in SQL, however many rows come
//! before, and rows added or removed meanwhile neither repeat nor skip others. Tokens are
//! opaque to clients (hex of the key). Both SQL stores write and read the same tokens.

use super::{Error, Result};

pub use super::Page;

/// The token after a row sorted by (`time`, `id`).
pub fn token(time: i64, id: &str) -> String {
    format!("{time}:{id}")
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The (time, id) a token names; a token this store did not write is refused.
pub fn key(token: &str) -> Result<(i64, String)> {
    let bad = || Error::Invalid(format!("Invalid page token '{token}'"));
    if token.len() % 2 != 0 || !token.is_ascii() {
        return Err(bad());
    }
    let bytes = (0..token.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&token[i..i + 2], 16))
        .collect::<std::result::Result<Vec<u8>, _>>()
        .map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (time, id) = text.split_once(':').ok_or_else(bad)?;
    Ok((time.parse().map_err(|_| bad())?, id.to_string()))
}

/// Keeps `limit` of `rows` (the query asked for one more) and makes the next token from the
/// last one kept.
pub fn split<T>(rows: Vec<T>, limit: usize, key_of: impl Fn(&T) -> (i64, String)) -> Page<T> {
    split_by(rows, limit, |r| {
        let (time, id) = key_of(r);
        token(time, &id)
    })
}

/// As `split`, with the token of the last row kept made by `token_of`.
pub fn split_by<T>(mut rows: Vec<T>, limit: usize, token_of: impl Fn(&T) -> String) -> Page<T> {
    if rows.len() <= limit {
        return (rows, None);
    }
    rows.truncate(limit);
    let next = rows.last().map(token_of);
    (rows, next)
}

/// A metric point's position in a history page: (timestamp, step, value as stored with a NaN
/// as 0, whether it is NaN).
pub type PointKey = (i64, i64, f64, bool);

/// A value as stored: a NaN as 0 with its flag set.
pub fn stored(value: f64) -> (f64, bool) {
    if value.is_nan() {
        (0.0, true)
    } else {
        (value, false)
    }
}

/// The token after a metric point.
pub fn point_token(m: &crate::tracking::Metric) -> String {
    let (value, nan) = stored(m.value);
    token(
        m.timestamp,
        &format!("{}:{:016x}:{}", m.step, value.to_bits(), nan as u8),
    )
}

/// The point a metric-history token names.
pub fn point_key(token: &str) -> Result<PointKey> {
    let bad = || Error::Invalid(format!("Invalid page token '{token}'"));
    let (ts, rest) = key(token)?;
    let mut parts = rest.split(':');
    let (Some(step), Some(bits), Some(nan), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    let step = step.parse().map_err(|_| bad())?;
    let bits = u64::from_str_radix(bits, 16).map_err(|_| bad())?;
    let nan = match nan {
        "0" => false,
        "1" => true,
        _ => return Err(bad()),
    };
    Ok((ts, step, f64::from_bits(bits), nan))
}

/// The token after a row sorted by a key of any type, then an id: hex of `KEY\0ID` behind a
/// `t` (the key is text, so it may hold `:`).
pub fn text_token(key: &str, id: &str) -> String {
    let hex: String = format!("{key}\0{id}")
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("t{hex}")
}

/// The (key, id) a [`text_token`] names; a token this store did not write is refused.
pub fn text_key(token: &str) -> Result<(String, String)> {
    let bad = || Error::Invalid(format!("Invalid page token '{token}'"));
    let hex = token.strip_prefix('t').ok_or_else(bad)?;
    if hex.len() % 2 != 0 || !hex.is_ascii() {
        return Err(bad());
    }
    let bytes = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16))
        .collect::<std::result::Result<Vec<u8>, _>>()
        .map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (key, id) = text.split_once('\0').ok_or_else(bad)?;
    Ok((key.to_string(), id.to_string()))
}

/// As [`split`], with a [`text_token`].
pub fn split_text<T>(
    mut rows: Vec<T>,
    limit: usize,
    key_of: impl Fn(&T) -> (String, String),
) -> Page<T> {
    if rows.len() <= limit {
        return (rows, None);
    }
    rows.truncate(limit);
    let next = rows.last().map(|r| {
        let (key, id) = key_of(r);
        text_token(&key, &id)
    });
    (rows, next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_name_their_key_and_others_are_refused() {
        let t = token(1_700_000_000_000, "m-abc");
        assert_eq!(key(&t).unwrap(), (1_700_000_000_000, "m-abc".to_string()));
        for bad in ["1000", "zz", "abc", "ü1", &hex_of("x:y")] {
            assert!(key(bad).is_err(), "{bad}");
        }
    }

    fn hex_of(s: &str) -> String {
        s.bytes().map(|b| format!("{b:02x}")).collect()
    }
}
