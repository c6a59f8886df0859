//! A run's inputs (datasets with the tags of their use, logged models) and the metrics of
//! logged models. A dataset is kept once per experiment by (name, digest); logging the same
//! input again changes nothing but its tags.

use rusqlite::{OptionalExtension, params};

use super::Store;
use crate::store::Result;
use crate::tracking::KeyValue;
use crate::tracking::inputs::{Dataset, DatasetInput, ModelInput, ModelMetric, RunInputs};

impl Store {
    /// Records what run `run` took in.
    pub fn log_inputs(
        &mut self,
        run: &str,
        datasets: &[DatasetInput],
        models: &[ModelInput],
    ) -> Result<()> {
        let info = self.run(run)?.info;
        let experiment: i64 = info.experiment_id.parse().unwrap_or(0);
        self.write(|tx| {
            super::Store::run_key(tx, run)?;
            for input in datasets {
                let d = &input.dataset;
                let found: Option<String> = tx
                    .prepare_cached(
                        "SELECT dataset_uuid FROM datasets WHERE experiment_id = ?1 AND name = ?2 AND digest = ?3",
                    )?
                    .query_row(params![experiment, d.name, d.digest], |r| r.get(0))
                    .optional()?;
                let uuid = match found {
                    Some(u) => u,
                    None => {
                        let u = crate::tracking::ids::new_run_id();
                        tx.prepare_cached(
                            "INSERT INTO datasets (dataset_uuid, experiment_id, name, digest, source_type, source, schema, profile)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                        )?
                        .execute(params![u, experiment, d.name, d.digest, d.source_type, d.source, d.schema, d.profile])?;
                        u
                    }
                };
                tx.prepare_cached(
                    "INSERT OR IGNORE INTO run_dataset_inputs (run_uuid, dataset_uuid) VALUES (?1, ?2)",
                )?
                .execute(params![run, uuid])?;
                for t in &input.tags {
                    tx.prepare_cached(
                        "INSERT OR REPLACE INTO run_dataset_input_tags (run_uuid, dataset_uuid, key, value) VALUES (?1, ?2, ?3, ?4)",
                    )?
                    .execute(params![run, uuid, t.key, t.value])?;
                }
            }
            for m in models {
                tx.prepare_cached(
                    "INSERT OR IGNORE INTO run_model_inputs (run_uuid, model_id) VALUES (?1, ?2)",
                )?
                .execute(params![run, m.model_id])?;
            }
            Ok(())
        })
    }

    /// What run `run` took in, datasets by name then digest.
    pub fn run_inputs(&self, run: &str) -> Result<RunInputs> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT d.dataset_uuid, d.name, d.digest, d.source_type, d.source, d.schema, d.profile
               FROM run_dataset_inputs i JOIN datasets d USING (dataset_uuid)
              WHERE i.run_uuid = ?1 ORDER BY d.name, d.digest",
        )?;
        let rows: Vec<(String, Dataset)> = stmt
            .query_map([run], |r| {
                Ok((
                    r.get(0)?,
                    Dataset {
                        name: r.get(1)?,
                        digest: r.get(2)?,
                        source_type: r.get(3)?,
                        source: r.get(4)?,
                        schema: r.get(5)?,
                        profile: r.get(6)?,
                    },
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut tags_of = conn.prepare_cached(
            "SELECT key, value FROM run_dataset_input_tags WHERE run_uuid = ?1 AND dataset_uuid = ?2 ORDER BY key",
        )?;
        let mut dataset_inputs = Vec::with_capacity(rows.len());
        for (uuid, dataset) in rows {
            let tags = tags_of
                .query_map(params![run, uuid], |r| {
                    Ok(KeyValue {
                        key: r.get(0)?,
                        value: r.get(1)?,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?;
            dataset_inputs.push(DatasetInput { tags, dataset });
        }
        let model_inputs = conn
            .prepare_cached(
                "SELECT model_id FROM run_model_inputs WHERE run_uuid = ?1 ORDER BY model_id",
            )?
            .query_map([run], |r| {
                Ok(ModelInput {
                    model_id: r.get(0)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(RunInputs {
            dataset_inputs,
            model_inputs,
        })
    }

    /// Records metrics of logged models (each names its model).
    pub fn log_model_metrics(&mut self, metrics: &[ModelMetric]) -> Result<()> {
        if metrics.is_empty() {
            return Ok(());
        }
        for m in metrics {
            self.logged_model(&m.model_id)?;
        }
        self.write(|tx| {
            for m in metrics {
                let nan = m.value.is_nan();
                tx.prepare_cached(
                    "INSERT OR REPLACE INTO logged_model_metrics
                       (model_id, key, value, is_nan, timestamp, step, run_uuid, dataset_name, dataset_digest)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )?
                .execute(params![
                    m.model_id,
                    m.key,
                    if nan { None } else { Some(m.value) },
                    nan,
                    m.timestamp,
                    m.step,
                    m.run_id,
                    m.dataset_name,
                    m.dataset_digest
                ])?;
            }
            Ok(())
        })
    }

    /// The metrics of a logged model, every point, as MLflow answers them.
    pub fn logged_model_metrics(&self, model: &str) -> Result<Vec<ModelMetric>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT key, value, is_nan, timestamp, step, run_uuid, dataset_name, dataset_digest
               FROM logged_model_metrics WHERE model_id = ?1
              ORDER BY key, run_uuid, dataset_name, dataset_digest, step, timestamp",
        )?;
        let all = stmt
            .query_map([model], |r| {
                let nan: bool = r.get(2)?;
                Ok(ModelMetric {
                    key: r.get(0)?,
                    value: if nan {
                        f64::NAN
                    } else {
                        r.get::<_, Option<f64>>(1)?.unwrap_or(f64::NAN)
                    },
                    timestamp: r.get(3)?,
                    step: r.get(4)?,
                    run_id: r.get(5)?,
                    dataset_name: r.get(6)?,
                    dataset_digest: r.get(7)?,
                    model_id: model.to_string(),
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(all)
    }
}
