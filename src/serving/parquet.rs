//! Parquet request bodies (`application/vnd.apache.parquet`): a DataFrame as
//! `pandas.DataFrame.to_parquet()` (pyarrow), polars or Spark write it, read into the same
//! named columns and rows as a `dataframe_split` body. The columns pandas stores its index in
//! are left out, as `pandas.read_parquet` makes them the index again.

use ::parquet::file::reader::{FileReader, SerializedFileReader};
use ::parquet::record::{Field, List, Map as ParquetMap, Row};
use serde_json::{Map, Value, json};

use super::{Input, ScoringError};

fn refused(e: impl std::fmt::Display) -> ScoringError {
    ScoringError::bad_request(format!(
        "Failed to parse input as a Pandas DataFrame. Ensure that the input is a valid Parquet Pandas DataFrame produced using the `pandas.DataFrame.to_parquet()` method. Error: '{e}'"
    ))
}

/// Reads a Parquet file into a frame.
pub(super) fn parse_parquet(body: &[u8]) -> Result<Input, ScoringError> {
    let reader = SerializedFileReader::new(bytes::Bytes::copy_from_slice(body)).map_err(refused)?;
    let meta = reader.metadata().file_metadata();
    let index = pandas_index_columns(meta.key_value_metadata());
    let all: Vec<String> = meta
        .schema_descr()
        .root_schema()
        .get_fields()
        .iter()
        .map(|f| f.name().to_string())
        .collect();
    let kept: Vec<bool> = all
        .iter()
        .map(|c| {
            let unnamed_index = c.starts_with("__index_level_") && c.ends_with("__");
            !(index.contains(c) || unnamed_index)
        })
        .collect();
    let columns: Vec<String> = all
        .iter()
        .zip(&kept)
        .filter(|(_, k)| **k)
        .map(|(c, _)| c.clone())
        .collect();
    let mut rows = Vec::with_capacity(usize::try_from(meta.num_rows()).unwrap_or(0));
    for row in reader.get_row_iter(None).map_err(refused)? {
        let row = row.map_err(refused)?;
        let values: Vec<Value> = row
            .get_column_iter()
            .zip(&kept)
            .filter(|(_, k)| **k)
            .map(|((_, field), _)| value(field))
            .collect();
        rows.push(values);
    }
    if columns.is_empty() || rows.is_empty() {
        return Err(refused("the file holds no columns or no rows"));
    }
    Ok(Input::Frame { columns, rows })
}

/// The columns the pandas metadata (`pandas` key) names as the index; a RangeIndex is stored as
/// a description, not a column.
fn pandas_index_columns(kv: Option<&Vec<::parquet::file::metadata::KeyValue>>) -> Vec<String> {
    let Some(text) = kv
        .into_iter()
        .flatten()
        .find(|e| e.key == "pandas")
        .and_then(|e| e.value.as_deref())
    else {
        return Vec::new();
    };
    let Ok(meta) = serde_json::from_str::<Value>(text) else {
        return Vec::new();
    };
    meta.get("index_columns")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| c.as_str().map(str::to_string))
        .collect()
}

fn number(f: f64) -> Value {
    // A DataFrame's missing values: NaN, as pandas reads them, has no JSON form.
    if f.is_finite() { json!(f) } else { Value::Null }
}

fn value(field: &Field) -> Value {
    match field {
        Field::Null => Value::Null,
        Field::Bool(b) => Value::Bool(*b),
        Field::Byte(v) => json!(v),
        Field::Short(v) => json!(v),
        Field::Int(v) => json!(v),
        Field::Long(v) => json!(v),
        Field::UByte(v) => json!(v),
        Field::UShort(v) => json!(v),
        Field::UInt(v) => json!(v),
        Field::ULong(v) => json!(v),
        Field::Float16(v) => number(f64::from(*v)),
        Field::Float(v) => number(f64::from(*v)),
        Field::Double(v) => number(*v),
        Field::Decimal(d) => number(decimal(d.data(), d.scale())),
        Field::Str(s) => Value::String(s.clone()),
        Field::Bytes(b) => {
            use base64::Engine;
            Value::String(base64::engine::general_purpose::STANDARD.encode(b.data()))
        }
        Field::Group(row) => Value::Object(group(row)),
        Field::ListInternal(list) => list_value(list),
        Field::MapInternal(map) => map_value(map),
        // Dates, times and timestamps as the record reader writes them (ISO 8601).
        other => Value::String(other.to_string().trim_matches('"').to_string()),
    }
}

fn decimal(bytes: &[u8], scale: i32) -> f64 {
    // A two's-complement big-endian integer, scaled.
    let mut n: i128 = if bytes.first().is_some_and(|b| b & 0x80 != 0) {
        -1
    } else {
        0
    };
    for b in bytes.iter().take(16) {
        n = (n << 8) | i128::from(*b);
    }
    n as f64 / 10f64.powi(scale)
}

fn group(row: &Row) -> Map<String, Value> {
    row.get_column_iter()
        .map(|(k, v)| (k.clone(), value(v)))
        .collect()
}

fn list_value(list: &List) -> Value {
    Value::Array(list.elements().iter().map(value).collect())
}

fn map_value(map: &ParquetMap) -> Value {
    Value::Object(
        map.entries()
            .iter()
            .map(|(k, v)| {
                let key = match value(k) {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                (key, value(v))
            })
            .collect(),
    )
}
