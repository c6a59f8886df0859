//! `mlf log batch --file F`: many points in one transaction.
//!
//! JSON Lines: each line is either one record
//! `{"type": "metric"|"param"|"tag", "key": …, "value": …, "step": …, "timestamp": …}`
//! (`type` defaults to `metric`) or an MLflow log-batch body `{"metrics": […], "params": […],
//! "tags": […]}`.
//!
//! CSV: with `key` and `value` columns, one record per row (optional `type`, `step`,
//! `timestamp` columns); otherwise wide, one metric per column, with optional `step` and
//! `timestamp` columns and empty cells skipped (`step,loss,acc`).

use std::io::Read;
use std::path::PathBuf;

use serde::Deserialize;
use serde_json::Value;

use crate::commands::context::Ctx;
use crate::error::{CliResult, failure, usage_error};
use crate::store::LogBatch;
use crate::tracking::ids::now_ms;
use crate::tracking::validation::{KeyKind, parse_metric_value, validate_key};
use crate::tracking::{KeyValue, Metric};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InputFormat {
    /// One JSON object per line
    Jsonl,
    /// Comma-separated values with a header row
    Csv,
}

#[derive(Debug, clap::Args)]
pub struct BatchArgs {
    /// File to read (`-` for standard input)
    #[arg(short, long, value_name = "FILE")]
    file: PathBuf,
    /// Format of the file [default: from the extension, else from the first character]
    #[arg(long, value_enum, value_name = "FORMAT")]
    input_format: Option<InputFormat>,
    #[command(flatten)]
    run: super::RunArg,
}

pub fn run(ctx: &mut Ctx, args: BatchArgs) -> CliResult<u8> {
    let BatchArgs {
        file,
        input_format,
        run,
    } = args;
    let (name, text) = read_input(&file)?;
    let format = input_format.unwrap_or_else(|| detect(&file, &text));
    let now = now_ms();
    let batch = match format {
        InputFormat::Jsonl => parse_jsonl(&text, now),
        InputFormat::Csv => parse_csv(&text, now),
    }
    .map_err(|(line, msg)| usage_error(format!("line {line} of `{name}`: {msg}")))?;
    if batch.is_empty() {
        ctx.ui.warn(&format!("`{name}` holds nothing to log"));
        return Ok(0);
    }
    let counts = (batch.metrics.len(), batch.params.len(), batch.tags.len());
    super::write(ctx, run.run.as_deref(), batch)?;
    ctx.ui.status(
        "Logged",
        &format!(
            "{} metric points, {} params, {} tags from `{name}`",
            counts.0, counts.1, counts.2
        ),
    );
    Ok(0)
}

fn read_input(file: &PathBuf) -> CliResult<(String, String)> {
    if file.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| failure(format!("cannot read standard input: {e}")))?;
        return Ok(("stdin".into(), text));
    }
    let text = std::fs::read_to_string(file)
        .map_err(|e| usage_error(format!("cannot read `{}`: {e}", file.display())))?;
    Ok((file.display().to_string(), text))
}

fn detect(file: &std::path::Path, text: &str) -> InputFormat {
    match file.extension().and_then(|e| e.to_str()) {
        Some("csv") => InputFormat::Csv,
        Some("jsonl" | "json" | "ndjson") => InputFormat::Jsonl,
        _ if text.trim_start().starts_with('{') => InputFormat::Jsonl,
        _ => InputFormat::Csv,
    }
}

type ParseResult<T> = Result<T, (usize, String)>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    #[serde(rename = "type")]
    kind: Option<String>,
    key: Option<String>,
    value: Option<Value>,
    step: Option<i64>,
    timestamp: Option<i64>,
    metrics: Option<Vec<MetricIn>>,
    params: Option<Vec<KeyValueIn>>,
    tags: Option<Vec<KeyValueIn>>,
    /// Accepted so that MLflow log-batch bodies load as they are; the run comes from `--run`.
    #[allow(dead_code)]
    run_id: Option<String>,
}

#[derive(Deserialize)]
struct MetricIn {
    key: String,
    value: Value,
    timestamp: Option<i64>,
    step: Option<i64>,
}

#[derive(Deserialize)]
struct KeyValueIn {
    key: String,
    #[serde(default)]
    value: String,
}

fn metric_value(key: &str, v: &Value) -> Result<f64, String> {
    match v {
        Value::Number(n) => n
            .as_f64()
            .ok_or_else(|| format!("metric `{key}` has an unreadable number")),
        Value::String(s) => parse_metric_value(key, s).map_err(|e| e.to_string()),
        other => Err(format!(
            "metric `{key}` has value `{other}`, which is not a number"
        )),
    }
}

fn text_value(key: &str, v: Option<&Value>) -> Result<String, String> {
    match v {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        Some(Value::Bool(b)) => Ok(b.to_string()),
        Some(Value::Null) | None => Err(format!("`{key}` has no value")),
        Some(other) => Err(format!("`{key}` has value `{other}`: give a string")),
    }
}

fn parse_jsonl(text: &str, now: i64) -> ParseResult<LogBatch> {
    let mut batch = LogBatch::default();
    let mut mark = Mark::default();
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        mark.check(&batch, n)?;
        let raw = raw.trim();
        if raw.is_empty() {
            continue;
        }
        let line: Line =
            serde_json::from_str(raw).map_err(|e| (n, format!("not a valid record: {e}")))?;
        let grouped = line.metrics.is_some() || line.params.is_some() || line.tags.is_some();
        if grouped {
            for m in line.metrics.unwrap_or_default() {
                let value = metric_value(&m.key, &m.value).map_err(|e| (n, e))?;
                batch.metrics.push(Metric {
                    key: m.key,
                    value,
                    timestamp: m.timestamp.unwrap_or(now),
                    step: m.step.unwrap_or(0),
                });
            }
            batch.params.extend(
                line.params
                    .unwrap_or_default()
                    .into_iter()
                    .map(|p| KeyValue {
                        key: p.key,
                        value: p.value,
                    }),
            );
            batch
                .tags
                .extend(line.tags.unwrap_or_default().into_iter().map(|p| KeyValue {
                    key: p.key,
                    value: p.value,
                }));
            continue;
        }
        let key = line.key.ok_or((n, "the record has no `key`".to_string()))?;
        match line.kind.as_deref().unwrap_or("metric") {
            "metric" => {
                let value = line
                    .value
                    .as_ref()
                    .ok_or((n, format!("metric `{key}` has no `value`")))?;
                let value = metric_value(&key, value).map_err(|e| (n, e))?;
                batch.metrics.push(Metric {
                    key,
                    value,
                    timestamp: line.timestamp.unwrap_or(now),
                    step: line.step.unwrap_or(0),
                });
            }
            "param" => {
                let value = text_value(&key, line.value.as_ref()).map_err(|e| (n, e))?;
                batch.params.push(KeyValue { key, value });
            }
            "tag" => {
                let value = text_value(&key, line.value.as_ref()).map_err(|e| (n, e))?;
                batch.tags.push(KeyValue { key, value });
            }
            other => {
                return Err((
                    n,
                    format!("unknown type `{other}`: use `metric`, `param` or `tag`"),
                ));
            }
        }
    }
    mark.check(&batch, usize::MAX)?;
    Ok(batch)
}

fn parse_csv(text: &str, now: i64) -> ParseResult<LogBatch> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| (1, format!("cannot read the header row: {e}")))?
        .iter()
        .map(str::to_string)
        .collect();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let (step_col, ts_col) = (col("step"), col("timestamp"));
    let long = col("key").zip(col("value"));
    let type_col = col("type");
    let mut batch = LogBatch::default();
    let mut mark = Mark::default();
    for (i, record) in reader.records().enumerate() {
        let n = i + 2;
        mark.check(&batch, n)?;
        let record = record.map_err(|e| (n, format!("not a valid CSV row: {e}")))?;
        let cell = |c: Option<usize>| c.and_then(|c| record.get(c)).filter(|s| !s.is_empty());
        let int = |c: Option<usize>, what: &str| -> ParseResult<Option<i64>> {
            cell(c)
                .map(|s| {
                    s.parse::<i64>()
                        .map_err(|_| (n, format!("{what} `{s}` is not a whole number")))
                })
                .transpose()
        };
        let step = int(step_col, "step")?.unwrap_or(0);
        let timestamp = int(ts_col, "timestamp")?.unwrap_or(now);
        if let Some((kc, vc)) = long {
            let key = cell(Some(kc))
                .ok_or((n, "the row has no key".to_string()))?
                .to_string();
            let value = record.get(vc).unwrap_or("");
            match cell(type_col).unwrap_or("metric") {
                "metric" => {
                    let value = parse_metric_value(&key, value).map_err(|e| (n, e.to_string()))?;
                    batch.metrics.push(Metric {
                        key,
                        value,
                        timestamp,
                        step,
                    });
                }
                "param" => batch.params.push(KeyValue {
                    key,
                    value: value.to_string(),
                }),
                "tag" => batch.tags.push(KeyValue {
                    key,
                    value: value.to_string(),
                }),
                other => {
                    return Err((
                        n,
                        format!("unknown type `{other}`: use `metric`, `param` or `tag`"),
                    ));
                }
            }
            continue;
        }
        for (c, key) in headers.iter().enumerate() {
            if Some(c) == step_col || Some(c) == ts_col {
                continue;
            }
            if let Some(v) = cell(Some(c)) {
                let value = parse_metric_value(key, v).map_err(|e| (n, e.to_string()))?;
                batch.metrics.push(Metric {
                    key: key.clone(),
                    value,
                    timestamp,
                    step,
                });
            }
        }
    }
    mark.check(&batch, usize::MAX)?;
    Ok(batch)
}

/// Checks the keys and timestamps of what each line added, so that an error names its line.
#[derive(Default)]
struct Mark {
    counts: (usize, usize, usize),
    line: usize,
}

impl Mark {
    /// Checks what was added since the last call (by line `self.line`), then moves to `next`.
    fn check(&mut self, batch: &LogBatch, next: usize) -> ParseResult<()> {
        let line = self.line;
        for m in &batch.metrics[self.counts.0..] {
            validate_key(KeyKind::Metric, &m.key).map_err(|e| (line, e.to_string()))?;
            if m.timestamp < 0 {
                return Err((
                    line,
                    format!(
                        "metric `{}` has timestamp {}: timestamps are 0 or more",
                        m.key, m.timestamp
                    ),
                ));
            }
        }
        for p in &batch.params[self.counts.1..] {
            validate_key(KeyKind::Param, &p.key).map_err(|e| (line, e.to_string()))?;
        }
        for t in &batch.tags[self.counts.2..] {
            validate_key(KeyKind::Tag, &t.key).map_err(|e| (line, e.to_string()))?;
        }
        self.counts = (batch.metrics.len(), batch.params.len(), batch.tags.len());
        self.line = next;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_csv() {
        let b = parse_csv("step,loss,acc\n0,1.0,0.1\n1,0.5,\n", 7).unwrap();
        assert_eq!(b.metrics.len(), 3);
        assert_eq!(
            b.metrics[2],
            Metric {
                key: "loss".into(),
                value: 0.5,
                timestamp: 7,
                step: 1
            }
        );
    }

    #[test]
    fn long_csv_and_errors() {
        let b = parse_csv("type,key,value\nparam,lr,0.1\nmetric,loss,NaN\n", 7).unwrap();
        assert_eq!(
            b.params,
            vec![KeyValue {
                key: "lr".into(),
                value: "0.1".into()
            }]
        );
        assert!(b.metrics[0].value.is_nan());
        assert_eq!(parse_csv("step,loss\nx,1\n", 0).unwrap_err().0, 2);
    }

    #[test]
    fn jsonl_shapes() {
        let text = r#"{"key":"loss","value":0.5,"step":3}
{"type":"param","key":"lr","value":0.01}
{"metrics":[{"key":"acc","value":"NaN","timestamp":5,"step":1}],"tags":[{"key":"t","value":"v"}]}
"#;
        let b = parse_jsonl(text, 9).unwrap();
        assert_eq!(b.metrics.len(), 2);
        assert_eq!(b.params[0].value, "0.01");
        assert_eq!(b.tags[0].key, "t");
        assert_eq!(
            parse_jsonl("{\"key\":\"a\",\"value\":true}\n", 0)
                .unwrap_err()
                .0,
            1
        );
        assert_eq!(parse_jsonl("\n{bad\n", 0).unwrap_err().0, 2);
    }
}
