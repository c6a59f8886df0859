//! The request messages of every endpoint `mlf server` answers, one struct each, and the one
//! decoder that reads a request's parameters (the GET query string or the JSON body, as a map)
//! into them with MLflow's rules and error texts. The REST store serializes the same structs,
//! so a field renamed on one side breaks the other at compile time.
//!
//! The decoder visits a message's fields in the order the struct declares them, an absent
//! field as `null`, so the first problem reported is the first field's: a required field that
//! is absent, null or empty is "Missing value for required parameter 'X'…"; an integer that is
//! not one is "Invalid value … for parameter 'X' supplied: Hint: …". The field helpers below
//! write [`KEY`] where the field's name goes; the decoder puts the name in.

use serde::de::{self, DeserializeOwned, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serializer};
use serde_json::{Map, Value};

use crate::tracking::{KeyValue, RunStatus, ViewType};

mod experiments;
mod registry;
mod runs;

pub use experiments::*;
pub use registry::*;
pub use runs::*;

#[cfg(test)]
mod tests;

/// What MLflow adds to a parameter error.
pub const SEE_DOCS: &str = "See the API docs for more information about request parameters.";

/// Where a helper's message names the parameter; the decoder writes the name in.
const KEY: &str = "\u{1}key\u{1}";

/// MLflow's text for a required parameter that is absent or empty.
pub fn missing(key: &str) -> String {
    format!("Missing value for required parameter '{key}'. {SEE_DOCS}")
}

/// Parameters that do not decode into their message, with MLflow's text for an
/// `INVALID_PARAMETER_VALUE`.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InvalidParams(pub String);

/// Decodes a request's parameters into its message.
pub fn decode<T: DeserializeOwned>(params: Map<String, Value>) -> Result<T, InvalidParams> {
    // A well-formed request decodes straight from its JSON; the field-by-field reading below,
    // which finds the error MLflow would name first, runs only when that fails. Both read the
    // fields with the same helpers, and every field they may leave out defaults to what its
    // helper makes of null, so a request that decodes here decodes the same there.
    let value = Value::Object(params);
    if let Ok(message) = T::deserialize(&value) {
        return Ok(message);
    }
    let Value::Object(params) = value else {
        unreachable!("made an object above")
    };
    T::deserialize(Params(params)).map_err(|e| {
        let text = e.to_string();
        InvalidParams(
            match text
                .strip_prefix("missing field `")
                .and_then(|k| k.strip_suffix('`'))
            {
                Some(k) => missing(k),
                None => text,
            },
        )
    })
}

/// A message's parameters as a serde deserializer.
struct Params(Map<String, Value>);

impl<'de> Deserializer<'de> for Params {
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        let entries: Vec<(String, Value)> = self.0.into_iter().collect();
        visitor.visit_map(Entries {
            iter: entries.into_iter(),
            current: None,
        })
    }

    /// The declared fields in their order, absent ones as null; as MLflow, a `run_uuid`
    /// stands in for an absent or empty `run_id`.
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        let mut map = self.0;
        if fields.contains(&"run_id") && map.get("run_id").is_none_or(|v| scalar(v).is_none()) {
            if let Some(uuid) = map.get("run_uuid").filter(|v| scalar(v).is_some()) {
                let uuid = uuid.clone();
                map.insert("run_id".into(), uuid);
            }
        }
        let entries: Vec<(String, Value)> = fields
            .iter()
            .map(|f| (f.to_string(), map.remove(*f).unwrap_or(Value::Null)))
            .collect();
        visitor.visit_map(Entries {
            iter: entries.into_iter(),
            current: None,
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

struct Entries {
    iter: std::vec::IntoIter<(String, Value)>,
    current: Option<(String, Value)>,
}

impl<'de> MapAccess<'de> for Entries {
    type Error = serde_json::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        let Some((k, v)) = self.iter.next() else {
            return Ok(None);
        };
        let key = seed.deserialize(de::value::StrDeserializer::<serde_json::Error>::new(&k))?;
        self.current = Some((k, v));
        Ok(Some(key))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, Self::Error> {
        let (k, v) = self
            .current
            .take()
            .ok_or_else(|| de::Error::custom("a value without a key"))?;
        seed.deserialize(v).map_err(|e| {
            let text = e.to_string();
            if text.contains(KEY) {
                de::Error::custom(text.replace(KEY, &k))
            } else {
                e
            }
        })
    }
}

/// A scalar as text (a string, number or boolean); `None` for null, lists and objects.
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn fail<E: de::Error>(message: String) -> E {
    E::custom(message)
}

/// A text as MLflow's schema checks take it: null is `None`, a string is itself, anything
/// else (a number, a boolean, a list, an object) is refused, naming its type as Python would.
fn text_value<E: de::Error>(v: Value) -> Result<Option<String>, E> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s)),
        other => Err(not_of_type(&other)),
    }
}

/// MLflow's text for a value of the wrong type.
fn not_of_type<E: de::Error>(v: &Value) -> E {
    let kind = match v {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    };
    fail(format!(
        "Invalid value {v} for parameter '{KEY}' supplied:  Hint: Value was of type '{kind}'. {SEE_DOCS}"
    ))
}

/// A required text: absent, null or empty is missing; not a string is refused.
pub fn required<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    text_value(Value::deserialize(d)?)?
        .filter(|s| !s.is_empty())
        .ok_or_else(|| fail(missing(KEY)))
}

/// An optional text: absent or null is `None`; not a string is refused.
pub fn opt_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    text_value(Value::deserialize(d)?)
}

/// A text that may be left out (empty then); not a string is refused.
pub fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(text_value(Value::deserialize(d)?)?.unwrap_or_default())
}

/// An optional integer: absent, null or an empty string is `None`; anything but an integer
/// is refused, saying what it was.
pub fn opt_int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::Number(n) => n.as_i64().map(Some).ok_or_else(|| {
            fail(format!(
                "Invalid value {n} for parameter '{KEY}' supplied: Hint: Value was of type number, expected an integer"
            ))
        }),
        Value::String(s) if s.is_empty() => Ok(None),
        Value::String(s) => s.parse().map(Some).map_err(|_| {
            fail(format!(
                "Invalid value \"{s}\" for parameter '{KEY}' supplied: Hint: Value was of type string, expected an integer"
            ))
        }),
        other => Err(fail(format!(
            "Invalid value {other} for parameter '{KEY}' supplied"
        ))),
    }
}

/// A required integer, as [`opt_int`] otherwise.
pub fn req_int<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    opt_int(d)?.ok_or_else(|| fail(missing(KEY)))
}

/// An optional integer as MLflow's schema checks take it: absent is `None`; present, it must
/// be an integer (an empty string is not).
pub fn intlike<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let bad = |shown: String, kind: &str| {
        fail(format!(
            "Invalid value {shown} for parameter '{KEY}' supplied:  Hint: Value was of type '{kind}'. {SEE_DOCS}"
        ))
    };
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::Number(n) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| bad(n.to_string(), "float")),
        Value::String(s) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| bad(format!("\"{s}\""), "str")),
        other => Err(bad(other.to_string(), "object")),
    }
}

/// A registry version number: required, and an integer (it travels as text).
pub mod version {
    use super::*;

    pub fn serialize<S: Serializer>(v: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        let v = required(d)?;
        v.parse().map_err(|_| {
            fail(format!(
                "Parameter 'version' must be an integer, got '{v}'."
            ))
        })
    }
}

/// A yes/no flag: `true` or the text `true`; anything else (or nothing) is no.
pub fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Bool(b) => b,
        Value::String(s) => s == "true",
        _ => false,
    })
}

/// A list of texts: a single value is a list of one, null is empty; entries that are neither
/// texts nor integers are left out.
pub fn strings<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(list(Value::deserialize(d)?)
        .into_iter()
        .filter_map(|v| {
            v.as_str()
                .map(str::to_string)
                .or_else(|| v.as_i64().map(|n| n.to_string()))
        })
        .collect())
}

fn list(v: Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a,
        Value::Null => Vec::new(),
        v => vec![v],
    }
}

/// A list that must be one: null is empty, anything else but a list is refused.
fn only_list<E: de::Error>(v: Value) -> Result<Vec<Value>, E> {
    match v {
        Value::Array(a) => Ok(a),
        Value::Null => Ok(Vec::new()),
        other => Err(not_of_type(&other)),
    }
}

/// A list of `{key, value}` (tags, params): every entry needs a key; a value left out is
/// empty.
pub fn key_values<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<KeyValue>, D::Error> {
    only_list(Value::deserialize(d)?)?
        .into_iter()
        .map(|t| {
            let key = t
                .get("key")
                .and_then(Value::as_str)
                .ok_or_else(|| fail(format!("every entry of '{KEY}' needs a key")))?;
            let value = match t.get("value") {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Null) | None => String::new(),
                Some(other) => other.to_string(),
            };
            Ok(KeyValue {
                key: key.to_string(),
                value,
            })
        })
        .collect()
}

/// A list of messages, each decoded as a request of its own (so its errors name its fields).
pub fn messages<'de, D: Deserializer<'de>, T: DeserializeOwned>(d: D) -> Result<Vec<T>, D::Error> {
    only_list(Value::deserialize(d)?)?
        .into_iter()
        .map(|m| {
            // Inside a list, as protobuf reads it, a number or boolean where text is due is
            // taken as its text; the fields that want numbers read text too.
            let fields = match m {
                Value::Object(fields) => fields
                    .into_iter()
                    .map(|(k, v)| match v {
                        Value::Number(_) | Value::Bool(_) => (k, Value::String(v.to_string())),
                        v => (k, v),
                    })
                    .collect(),
                _ => Map::new(),
            };
            decode(fields).map_err(|e| fail(e.0))
        })
        .collect()
}

/// A list of entities in MLflow's JSON shape (a dataset input, a model input): null is empty,
/// anything but a list is refused, and an entry that does not read as one is refused naming
/// the list.
pub fn entities<'de, D: Deserializer<'de>, T: DeserializeOwned>(d: D) -> Result<Vec<T>, D::Error> {
    only_list(Value::deserialize(d)?)?
        .into_iter()
        .map(|e| {
            serde_json::from_value(e.clone()).map_err(|err| {
                fail(format!(
                    "Invalid value {e} for parameter '{KEY}' supplied: {err}"
                ))
            })
        })
        .collect()
}

/// A view type by name or number; anything else (or nothing) is active only.
pub mod view_type {
    use super::*;

    pub fn serialize<S: Serializer>(v: &ViewType, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(match v {
            ViewType::ActiveOnly => "ACTIVE_ONLY",
            ViewType::DeletedOnly => "DELETED_ONLY",
            ViewType::All => "ALL",
        })
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<ViewType, D::Error> {
        Ok(match scalar(&Value::deserialize(d)?).as_deref() {
            Some("DELETED_ONLY") | Some("2") => ViewType::DeletedOnly,
            Some("ALL") | Some("3") => ViewType::All,
            _ => ViewType::ActiveOnly,
        })
    }

    pub fn active() -> ViewType {
        ViewType::ActiveOnly
    }
}

/// An optional run status, by name or MLflow's number.
pub mod run_status {
    use super::*;

    pub fn serialize<S: Serializer>(v: &Option<RunStatus>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.serialize_str(v.as_str()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<RunStatus>, D::Error> {
        let Some(s) = scalar(&Value::deserialize(d)?) else {
            return Ok(None);
        };
        RunStatus::parse(&s)
            .or_else(|| {
                s.parse::<usize>().ok().and_then(|n| {
                    [
                        RunStatus::Running,
                        RunStatus::Scheduled,
                        RunStatus::Finished,
                        RunStatus::Failed,
                        RunStatus::Killed,
                    ]
                    .get(n.wrapping_sub(1))
                    .copied()
                })
            })
            .map(Some)
            .ok_or_else(|| {
                fail(format!(
                    "Invalid value \"{s}\" for parameter '{KEY}' supplied"
                ))
            })
    }
}

/// A required metric value: a number, or `NaN`, `Infinity`, `-Infinity` as text.
pub fn req_metric_value<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    match Value::deserialize(d)? {
        Value::Number(n) => n
            .as_f64()
            .ok_or_else(|| fail("metric value is not a number".into())),
        Value::String(s) => crate::tracking::validation::parse_metric_value("value", &s)
            .map_err(|e| fail(e.to_string())),
        _ => Err(fail(missing(KEY))),
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// An optional integer that is 0 when left out, as [`opt_int`] otherwise.
pub fn int_or_zero<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    Ok(opt_int(d)?.unwrap_or(0))
}
