//! CSV request bodies: a header row, then cells read as the model's signature types them (a
//! `string` column stays text, even `02139`; `58.0` in a `long` column is 58), else as
//! numbers when they parse as numbers.

use serde_json::{Value, json};

use super::{Input, ScoringError, check_rows};

/// CSV with a header row; cells become numbers when they parse as numbers.
pub fn parse_csv(body: &[u8]) -> Result<Input, ScoringError> {
    parse_csv_typed(body, &[])
}

/// CSV with a header row, cells read as `types` (column name, MLflow type) says.
pub fn parse_csv_typed(body: &[u8], types: &[(String, String)]) -> Result<Input, ScoringError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(body);
    let columns: Vec<String> = reader
        .headers()
        .map_err(|e| ScoringError::bad_request(format!("Invalid CSV input: {e}")))?
        .iter()
        .map(str::to_string)
        .collect();
    let kinds: Vec<Option<&str>> = columns
        .iter()
        .map(|c| types.iter().find(|(n, _)| n == c).map(|(_, t)| t.as_str()))
        .collect();
    let mut rows = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let rec = rec.map_err(|e| {
            ScoringError::bad_request(format!("Invalid CSV input at row {}: {e}", i + 1))
        })?;
        let mut row = Vec::with_capacity(rec.len());
        for (col, cell) in rec.iter().enumerate() {
            row.push(typed_cell(cell, kinds.get(col).copied().flatten(), col)?);
        }
        rows.push(row);
    }
    check_rows(&columns, &rows)?;
    // As MLflow, which cannot make a DataFrame of nothing: no header, or no rows, is refused.
    if columns.iter().all(String::is_empty) || rows.is_empty() {
        return Err(ScoringError::bad_request(format!(
            "{PANDAS} it needs a header row and at least one row of values."
        )));
    }
    Ok(Input::Frame { columns, rows })
}

const PANDAS: &str = "Failed to parse input as a Pandas DataFrame. Ensure that the input is a valid CSV-formatted Pandas DataFrame produced using the `pandas.DataFrame.to_csv()` method:";

fn typed_cell(s: &str, kind: Option<&str>, col: usize) -> Result<Value, ScoringError> {
    if s.is_empty() {
        return Ok(Value::Null);
    }
    match kind {
        Some("string") => Ok(Value::String(s.to_string())),
        Some("long" | "integer") => {
            if let Ok(i) = s.parse::<i64>() {
                return Ok(json!(i));
            }
            match s.parse::<f64>() {
                // pandas casts a whole float to the column's int dtype, and refuses a fraction.
                Ok(f) if f.is_finite() && f.fract() == 0.0 && f.abs() < 9.2e18 => {
                    Ok(json!(f as i64))
                }
                Ok(_) => Err(ScoringError::bad_request(format!(
                    "Failed to parse input as a Pandas DataFrame. Ensure that the input is a valid CSV-formatted Pandas DataFrame produced using the `pandas.DataFrame.to_csv()` method. Error: 'cannot safely convert passed user dtype of int64 for float64 dtyped data in column {col}'"
                ))),
                Err(_) => Ok(Value::String(s.to_string())),
            }
        }
        Some("double" | "float") => Ok(s
            .parse::<f64>()
            .map(|f| json!(f))
            .unwrap_or_else(|_| Value::String(s.to_string()))),
        Some("boolean") => Ok(match s {
            "True" | "true" | "TRUE" => Value::Bool(true),
            "False" | "false" | "FALSE" => Value::Bool(false),
            other => Value::String(other.to_string()),
        }),
        _ => Ok(untyped_cell(s)),
    }
}

fn untyped_cell(s: &str) -> Value {
    if let Ok(i) = s.parse::<i64>() {
        return json!(i);
    }
    if let Ok(f) = s.parse::<f64>() {
        if f.is_finite() {
            return json!(f);
        }
    }
    match s {
        "True" => Value::Bool(true),
        "False" => Value::Bool(false),
        _ => Value::String(s.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_follow_the_signature() {
        let types = vec![
            ("zip".to_string(), "string".to_string()),
            ("rooms".to_string(), "long".to_string()),
        ];
        let Input::Frame { rows, .. } =
            parse_csv_typed(b"zip,rooms,x\n02139,58.0,1.5\n", &types).unwrap()
        else {
            panic!("a frame")
        };
        assert_eq!(rows[0], vec![json!("02139"), json!(58), json!(1.5)]);
        let e = parse_csv_typed(b"zip,rooms\n02139,58.5\n", &types).unwrap_err();
        assert!(e.message.contains("column 1"), "{}", e.message);
    }
}
