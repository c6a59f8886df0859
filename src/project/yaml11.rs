//! MLproject parameter defaults as MLflow reads them: PyYAML resolves plain scalars with YAML
//! 1.1's rules (`1e-1` is a string, a float needs a dot, `010` is octal, `yes` is true), and
//! MLflow passes `str()` of the value to the command. This module resolves a default's text
//! the same way, so `mlf project run` runs the command `mlflow run` runs.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};

/// The raw text of every parameter default in an MLproject, by entry point and parameter.
#[derive(Debug, Default, Deserialize)]
pub(super) struct RawDefaults {
    #[serde(default)]
    pub entry_points: BTreeMap<String, RawDefaultsEntryPoint>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct RawDefaultsEntryPoint {
    #[serde(default)]
    pub parameters: BTreeMap<String, RawDefault>,
}

/// A declared parameter's default as written (`None` for a bare type or no default).
#[derive(Debug, Default)]
pub(super) struct RawDefault(pub Option<Text>);

impl<'de> Deserialize<'de> for RawDefault {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Param;
        impl<'de> Visitor<'de> for Param {
            type Value = RawDefault;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a parameter type or a mapping")
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<RawDefault, E> {
                Ok(RawDefault(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<RawDefault, E> {
                Ok(RawDefault(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawDefault, A::Error> {
                let mut text = None;
                while let Some(key) = map.next_key::<String>()? {
                    if key == "default" {
                        text = Some(map.next_value::<Text>()?);
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(RawDefault(text))
            }
        }
        d.deserialize_any(Param)
    }
}

/// A scalar's text as written, whatever it looks like, and where it starts in the file when
/// the parser could lend it (a single-line scalar): the byte before tells a quoted scalar from
/// a plain one.
#[derive(Debug)]
pub(super) struct Text {
    pub text: String,
    addr: Option<usize>,
}

impl Text {
    /// Whether the scalar was written plain (unquoted) in `source`, the text it was read from.
    pub fn plain_in(&self, source: &str) -> bool {
        let Some(addr) = self.addr else {
            return false;
        };
        let start = source.as_ptr() as usize;
        let Some(off) = addr.checked_sub(start).filter(|o| *o <= source.len()) else {
            return false;
        };
        off > 0 && !matches!(source.as_bytes()[off - 1], b'\'' | b'"')
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a scalar")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Text, E> {
                Ok(Text {
                    text: v.to_string(),
                    addr: Some(v.as_ptr() as usize),
                })
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
                Ok(Text {
                    text: v.to_string(),
                    addr: None,
                })
            }
        }
        d.deserialize_str(V)
    }
}

/// `str()` of what PyYAML makes of a plain scalar: `None` for null, `True`/`False`, the
/// integer in decimal, the float as Python's `repr`, else the text itself.
pub fn resolve_plain(text: &str) -> Option<String> {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return None,
        "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Some("True".into());
        }
        "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Some("False".into());
        }
        _ => {}
    }
    if let Some(i) = int(text) {
        return Some(i.to_string());
    }
    if let Some(f) = float(text) {
        return Some(python_repr(f));
    }
    Some(text.to_string())
}

fn split_sign(text: &str) -> (bool, &str) {
    match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    }
}

/// YAML 1.1 integers: `0b…`, `0x…`, `0…` (octal), decimal, with `_` separators.
fn int(text: &str) -> Option<i128> {
    let (neg, body) = split_sign(text);
    let (digits, radix) = if let Some(b) = body.strip_prefix("0b") {
        (b, 2)
    } else if let Some(h) = body.strip_prefix("0x") {
        (h, 16)
    } else if body.len() > 1 && body.starts_with('0') {
        (&body[1..], 8)
    } else if body.starts_with(|c: char| c.is_ascii_digit()) {
        (body, 10)
    } else {
        return None;
    };
    if digits.is_empty() || !digits.chars().all(|c| c == '_' || c.is_digit(radix)) {
        return None;
    }
    let clean: String = digits.chars().filter(|c| *c != '_').collect();
    if clean.is_empty() {
        return None;
    }
    let v = i128::from_str_radix(&clean, radix).ok()?;
    Some(if neg { -v } else { v })
}

/// YAML 1.1 floats: a dot is required (`1.5`, `1.`, `.5`, `1.0e-3` with a signed exponent),
/// and `.inf`, `.nan` in their three spellings.
fn float(text: &str) -> Option<f64> {
    let (neg, body) = split_sign(text);
    let sign = if neg { -1.0 } else { 1.0 };
    match body {
        ".inf" | ".Inf" | ".INF" => return Some(sign * f64::INFINITY),
        ".nan" | ".NaN" | ".NAN" if body.len() == text.len() => return Some(f64::NAN),
        _ => {}
    }
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (whole, frac) = mantissa.split_once('.')?;
    let digits_ok = |s: &str| s.chars().all(|c| c == '_' || c.is_ascii_digit());
    if !digits_ok(whole) || !digits_ok(frac) || frac.contains('.') {
        return None;
    }
    if whole.is_empty() && (neg || text.starts_with('+') || frac.is_empty()) {
        return None;
    }
    if !whole.is_empty() && !whole.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    if let Some(e) = exponent {
        let (first, rest) = e.split_at(e.len().min(1));
        if !matches!(first, "+" | "-")
            || rest.is_empty()
            || !rest.chars().all(|c| c.is_ascii_digit())
        {
            return None;
        }
    }
    let clean: String = body.chars().filter(|c| *c != '_').collect();
    let clean = if clean.starts_with('.') {
        format!("0{clean}")
    } else {
        clean
    };
    clean.parse::<f64>().ok().map(|v| sign * v)
}

/// A float as Python's `repr` writes it: the shortest digits that read back the same, in
/// fixed notation for exponents from -4 to 15, else as `1e-05`, `1.5e+16`; `inf`, `nan`.
pub fn python_repr(v: f64) -> String {
    if v.is_nan() {
        return "nan".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if v == 0.0 {
        return if v.is_sign_negative() {
            "-0.0".into()
        } else {
            "0.0".into()
        };
    }
    // `{:e}` gives the shortest round-trip digits: "-1.2345e-5".
    let sci = format!("{v:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (neg, mantissa) = split_sign(mantissa);
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let sign = if neg { "-" } else { "" };
    if (-4..16).contains(&exp) {
        let point = exp + 1;
        let body = if point <= 0 {
            format!("0.{}{digits}", "0".repeat((-point) as usize))
        } else if point as usize >= digits.len() {
            format!("{digits}{}.0", "0".repeat(point as usize - digits.len()))
        } else {
            format!(
                "{}.{}",
                &digits[..point as usize],
                &digits[point as usize..]
            )
        };
        format!("{sign}{body}")
    } else {
        let m = if digits.len() > 1 {
            format!("{}.{}", &digits[..1], &digits[1..])
        } else {
            digits
        };
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{m}e{esign}{:02}", exp.abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_scalars_resolve_as_pyyaml_does() {
        for (text, want) in [
            ("1e-1", Some("1e-1")),
            ("1.0e-1", Some("0.1")),
            ("1.0e-01", Some("0.1")),
            ("0.10", Some("0.1")),
            ("1.", Some("1.0")),
            (".5", Some("0.5")),
            ("1_000", Some("1000")),
            ("010", Some("8")),
            ("0x1F", Some("31")),
            ("0b101", Some("5")),
            ("-3", Some("-3")),
            ("yes", Some("True")),
            ("off", Some("False")),
            ("true", Some("True")),
            ("~", None),
            ("1e5", Some("1e5")),
            ("100000.0", Some("100000.0")),
            ("1.5e+16", Some("1.5e+16")),
            ("0.00001", Some("1e-05")),
            (".inf", Some("inf")),
            ("abc", Some("abc")),
        ] {
            assert_eq!(resolve_plain(text).as_deref(), want, "{text}");
        }
    }

    #[test]
    fn floats_print_as_python_repr() {
        assert_eq!(python_repr(0.1), "0.1");
        assert_eq!(python_repr(1e16), "1e+16");
        assert_eq!(python_repr(123456789.125), "123456789.125");
        assert_eq!(python_repr(0.0001), "0.0001");
        assert_eq!(python_repr(-2.5e-7), "-2.5e-07");
        assert_eq!(python_repr(3.0), "3.0");
    }
}
