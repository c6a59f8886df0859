//! A run's inputs (datasets with the tags of their use, logged models) and the metrics of
//! logged models, as in the SQLite store: a dataset is kept once per experiment by (name,
//! digest), and logging the same input again changes nothing but its tags.
//!
//! Written once for both database stores: `postgres/inputs.rs` and `mysql/inputs.rs` expand
//! [`queries`] with their own client in scope (`GenericClient`, `Row`, `Transaction`);
//! the statements are PostgreSQL's, which the MySQL client translates (`mysql/sql.rs`).

/// The items of `inputs` for the database store type `$store`.
macro_rules! queries {
    ($store:ident) => {
        use std::collections::HashMap;

        use super::runs::run_key;
        use crate::store::{Result, RunIo};
        use crate::tracking::KeyValue;
        use crate::tracking::inputs::{Dataset, DatasetInput, ModelInput, ModelMetric, RunInputs};

        impl $store {
            /// Records what run `run` took in.
            pub fn log_inputs(
                &self,
                run: &str,
                datasets: &[DatasetInput],
                models: &[ModelInput],
            ) -> Result<()> {
                let experiment: i64 = self.run(run)?.info.experiment_id.parse().unwrap_or(0);
                self.write(|tx| {
                    run_key(tx, run)?;
                    for input in datasets {
                        let d = &input.dataset;
                        let found = tx.query_opt(
                            "SELECT dataset_uuid FROM datasets WHERE experiment_id = $1 AND name = $2 AND digest = $3",
                            &[&experiment, &d.name, &d.digest],
                        )?;
                        let uuid: String = match found {
                            Some(r) => r.get(0),
                            None => {
                                let u = crate::tracking::ids::new_run_id();
                                tx.execute(
                                    "INSERT INTO datasets (dataset_uuid, experiment_id, name, digest, source_type, source, schema, profile)
                                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                                    &[&u, &experiment, &d.name, &d.digest, &d.source_type, &d.source, &d.schema, &d.profile],
                                )?;
                                u
                            }
                        };
                        tx.execute(
                            "INSERT INTO run_dataset_inputs (run_uuid, dataset_uuid) VALUES ($1, $2)
                             ON CONFLICT (run_uuid, dataset_uuid) DO NOTHING",
                            &[&run, &uuid],
                        )?;
                        for t in &input.tags {
                            tx.execute(
                                "INSERT INTO run_dataset_input_tags (run_uuid, dataset_uuid, key, value) VALUES ($1, $2, $3, $4)
                                 ON CONFLICT (run_uuid, dataset_uuid, key) DO UPDATE SET value = excluded.value",
                                &[&run, &uuid, &t.key, &t.value],
                            )?;
                        }
                    }
                    for m in models {
                        tx.execute(
                            "INSERT INTO run_model_inputs (run_uuid, model_id) VALUES ($1, $2)
                             ON CONFLICT (run_uuid, model_id) DO NOTHING",
                            &[&run, &m.model_id],
                        )?;
                    }
                    Ok(())
                })
            }

            /// What run `run` took in, datasets by name then digest.
            pub fn run_inputs(&self, run: &str) -> Result<RunInputs> {
                let mut client = self.client();
                let rows = client.query(
                    "SELECT d.dataset_uuid, d.name, d.digest, d.source_type, d.source, d.schema, d.profile
                       FROM run_dataset_inputs i JOIN datasets d USING (dataset_uuid)
                      WHERE i.run_uuid = $1 ORDER BY d.name, d.digest",
                    &[&run],
                )?;
                let mut dataset_inputs = Vec::with_capacity(rows.len());
                for r in &rows {
                    let uuid: String = r.get(0);
                    let tags = client
                        .query(
                            "SELECT key, value FROM run_dataset_input_tags
                              WHERE run_uuid = $1 AND dataset_uuid = $2 ORDER BY key",
                            &[&run, &uuid],
                        )?
                        .iter()
                        .map(|t| KeyValue {
                            key: t.get(0),
                            value: t.get(1),
                        })
                        .collect();
                    dataset_inputs.push(DatasetInput {
                        tags,
                        dataset: Dataset {
                            name: r.get(1),
                            digest: r.get(2),
                            source_type: r.get(3),
                            source: r.get(4),
                            schema: r.get(5),
                            profile: r.get(6),
                        },
                    });
                }
                let model_inputs = client
                    .query(
                        "SELECT model_id FROM run_model_inputs WHERE run_uuid = $1 ORDER BY model_id",
                        &[&run],
                    )?
                    .iter()
                    .map(|r| ModelInput { model_id: r.get(0) })
                    .collect();
                Ok(RunInputs {
                    dataset_inputs,
                    model_inputs,
                })
            }

            /// The outputs and inputs of many runs in four queries.
            pub fn runs_io(&self, runs: &[&str]) -> Result<HashMap<String, RunIo>> {
                let ids: Vec<String> = runs.iter().map(|r| (*r).to_string()).collect();
                let mut out: HashMap<String, RunIo> = HashMap::new();
                let mut client = self.client();
                for r in client.query(
                    "SELECT run_uuid, model_id, step FROM run_outputs
                      WHERE run_uuid = ANY($1) ORDER BY run_uuid, model_id",
                    &[&ids],
                )? {
                    let entry = out.entry(r.get(0)).or_default();
                    entry.outputs.push((r.get(1), r.get(2)));
                }
                let mut tags: HashMap<(String, String), Vec<KeyValue>> = HashMap::new();
                for t in client.query(
                    "SELECT run_uuid, dataset_uuid, key, value FROM run_dataset_input_tags
                      WHERE run_uuid = ANY($1) ORDER BY run_uuid, dataset_uuid, key",
                    &[&ids],
                )? {
                    tags.entry((t.get(0), t.get(1)))
                        .or_default()
                        .push(KeyValue {
                            key: t.get(2),
                            value: t.get(3),
                        });
                }
                for r in client.query(
                    "SELECT i.run_uuid, d.dataset_uuid, d.name, d.digest, d.source_type, d.source,
                            d.schema, d.profile
                       FROM run_dataset_inputs i JOIN datasets d USING (dataset_uuid)
                      WHERE i.run_uuid = ANY($1) ORDER BY i.run_uuid, d.name, d.digest",
                    &[&ids],
                )? {
                    let run: String = r.get(0);
                    let dataset: String = r.get(1);
                    let tags = tags.remove(&(run.clone(), dataset)).unwrap_or_default();
                    out.entry(run)
                        .or_default()
                        .inputs
                        .dataset_inputs
                        .push(DatasetInput {
                            tags,
                            dataset: Dataset {
                                name: r.get(2),
                                digest: r.get(3),
                                source_type: r.get(4),
                                source: r.get(5),
                                schema: r.get(6),
                                profile: r.get(7),
                            },
                        });
                }
                for r in client.query(
                    "SELECT run_uuid, model_id FROM run_model_inputs
                      WHERE run_uuid = ANY($1) ORDER BY run_uuid, model_id",
                    &[&ids],
                )? {
                    let run: String = r.get(0);
                    out.entry(run)
                        .or_default()
                        .inputs
                        .model_inputs
                        .push(ModelInput { model_id: r.get(1) });
                }
                Ok(out)
            }

            /// Records metrics of logged models (each names its model).
            pub fn log_model_metrics(&self, metrics: &[ModelMetric]) -> Result<()> {
                for m in metrics {
                    self.logged_model(&m.model_id)?;
                }
                self.write(|tx| {
                    for m in metrics {
                        let nan = m.value.is_nan();
                        let value = (!nan).then_some(m.value);
                        tx.execute(
                            "INSERT INTO logged_model_metrics
                               (model_id, key, value, is_nan, timestamp, step, run_uuid, dataset_name, dataset_digest)
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                             ON CONFLICT (model_id, key, run_uuid, dataset_name, dataset_digest, step, timestamp)
                             DO UPDATE SET value = excluded.value, is_nan = excluded.is_nan",
                            &[
                                &m.model_id,
                                &m.key,
                                &value,
                                &nan,
                                &m.timestamp,
                                &m.step,
                                &m.run_id,
                                &m.dataset_name,
                                &m.dataset_digest,
                            ],
                        )?;
                    }
                    Ok(())
                })
            }

            /// The metrics of a logged model, every point, as MLflow answers them.
            pub fn logged_model_metrics(&self, model: &str) -> Result<Vec<ModelMetric>> {
                let rows = self.client().query(
                    "SELECT key, value, is_nan, timestamp, step, run_uuid, dataset_name, dataset_digest
                       FROM logged_model_metrics WHERE model_id = $1
                      ORDER BY key, run_uuid, dataset_name, dataset_digest, step, timestamp",
                    &[&model],
                )?;
                Ok(rows
                    .iter()
                    .map(|r| {
                        let nan: bool = r.get(2);
                        let value: Option<f64> = r.get(1);
                        ModelMetric {
                            key: r.get(0),
                            value: if nan {
                                f64::NAN
                            } else {
                                value.unwrap_or(f64::NAN)
                            },
                            timestamp: r.get(3),
                            step: r.get(4),
                            run_id: r.get(5),
                            dataset_name: r.get(6),
                            dataset_digest: r.get(7),
                            model_id: model.to_string(),
                        }
                    })
                    .collect())
            }
        }
    };
}
pub(crate) use queries;
