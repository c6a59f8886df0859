//! MLflow 3's logged models (`m-<32 hex>`): create, read with tags and params, status, tags,
//! params, soft delete, keyset-paged search, and the models a run output.
//!
//! Written once for both database stores: `postgres/logged_models.rs` and `mysql/logged_models.rs` expand
//! [`queries`] with their own client in scope (`GenericClient`, `Row`, `Transaction`);
//! the statements are PostgreSQL's, which the MySQL client translates (`mysql/sql.rs`).

/// The items of `logged_models` for the database store type `$store`.
macro_rules! queries {
    ($store:ident) => {
        use super::filter::{Fragment, LOGGED_MODELS, Param, named_filter_sql};
        use crate::search::Expr;
        use crate::store::paging::{self, Page};
        use crate::store::{Error, LoggedModel, Missing, Result};
        use crate::tracking::KeyValue;
        use crate::tracking::ids::{new_run_id, now_ms};

        const COLUMNS: &str = "model_id, experiment_id, name, model_type, source_run_id, status, \
            status_message, creator_id, creation_time, last_updated_time";

        fn model_from_row(r: &Row) -> LoggedModel {
            LoggedModel {
                model_id: r.get(0),
                experiment_id: r.get::<_, i64>(1).to_string(),
                name: r.get(2),
                model_type: r.get(3),
                source_run_id: r.get(4),
                status: r.get(5),
                status_message: r.get(6),
                creator_id: r.get(7),
                creation_timestamp_ms: r.get(8),
                last_updated_timestamp_ms: r.get(9),
                tags: Vec::new(),
                params: Vec::new(),
            }
        }

        fn not_found(id: &str) -> Error {
            Error::NotFound(Missing::LoggedModel(id.to_string()))
        }

        /// Sets (or with `None`, removes) key/values of a logged model in `table`.
        fn put(
            tx: &mut Transaction,
            table: &str,
            id: &str,
            pairs: &[(String, Option<String>)],
        ) -> Result<()> {
            for (k, v) in pairs {
                match v {
                    Some(v) => tx.execute(
                        &format!(
                            "INSERT INTO {table} (model_id, key, value) VALUES ($1, $2, $3)
                             ON CONFLICT (model_id, key) DO UPDATE SET value = excluded.value"
                        ),
                        &[&id, k, v],
                    )?,
                    None => tx.execute(
                        &format!("DELETE FROM {table} WHERE model_id = $1 AND key = $2"),
                        &[&id, k],
                    )?,
                };
            }
            Ok(())
        }

        fn pairs(kvs: &[KeyValue]) -> Vec<(String, Option<String>)> {
            kvs.iter()
                .map(|kv| (kv.key.clone(), Some(kv.value.clone())))
                .collect()
        }

        impl $store {
            /// Creates a logged model in an experiment.
            #[allow(clippy::too_many_arguments)]
            pub fn create_logged_model(
                &self,
                experiment_id: &str,
                name: &str,
                model_type: &str,
                source_run_id: &str,
                creator: &str,
                tags: &[KeyValue],
                params: &[KeyValue],
            ) -> Result<LoggedModel> {
                let exp = self.experiment(experiment_id)?;
                let exp_id: i64 = exp.experiment_id.parse().unwrap_or(-1);
                let id = format!("m-{}", new_run_id());
                let name = if name.is_empty() { "model" } else { name };
                let now = now_ms();
                self.write(|tx| {
                    tx.execute(
                        "INSERT INTO logged_models (model_id, experiment_id, name, model_type, source_run_id,
                                                    creator_id, creation_time, last_updated_time)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
                        &[&id, &exp_id, &name, &model_type, &source_run_id, &creator, &now],
                    )?;
                    put(tx, "logged_model_tags", &id, &pairs(tags))?;
                    put(tx, "logged_model_params", &id, &pairs(params))
                })?;
                self.logged_model(&id)
            }

            /// A live logged model with its tags and params.
            pub fn logged_model(&self, id: &str) -> Result<LoggedModel> {
                let mut client = self.client();
                let row = client.query_opt(
                    &format!(
                        "SELECT {COLUMNS} FROM logged_models WHERE model_id = $1 AND lifecycle_stage = 'active'"
                    ),
                    &[&id],
                )?;
                let mut m = model_from_row(&row.ok_or_else(|| not_found(id))?);
                for (table, out) in [
                    ("logged_model_tags", &mut m.tags),
                    ("logged_model_params", &mut m.params),
                ] {
                    *out = client
                        .query(
                            &format!("SELECT key, value FROM {table} WHERE model_id = $1 ORDER BY key"),
                            &[&id],
                        )?
                        .iter()
                        .map(|r| KeyValue {
                            key: r.get(0),
                            value: r.get(1),
                        })
                        .collect();
                }
                Ok(m)
            }

            /// Sets a logged model's status (`LOGGED_MODEL_READY`, …).
            pub fn set_logged_model_status(&self, id: &str, status: &str) -> Result<LoggedModel> {
                let n = self.write(|tx| {
                    let n = tx.execute(
                        "UPDATE logged_models SET status = $1, last_updated_time = $2 WHERE model_id = $3",
                        &[&status, &now_ms(), &id],
                    )?;
                    Ok(n)
                })?;
                if n == 0 {
                    return Err(not_found(id));
                }
                self.logged_model(id)
            }

            /// Sets or removes logged-model tags.
            pub fn set_logged_model_tags(&self, id: &str, tags: &[(String, Option<String>)]) -> Result<()> {
                self.logged_model(id)?;
                self.write(|tx| put(tx, "logged_model_tags", id, tags))
            }

            /// Adds (or replaces) params of a logged model.
            pub fn log_logged_model_params(&self, id: &str, params: &[KeyValue]) -> Result<()> {
                self.logged_model(id)?;
                self.write(|tx| put(tx, "logged_model_params", id, &pairs(params)))
            }

            /// Soft-deletes a logged model.
            pub fn delete_logged_model(&self, id: &str) -> Result<()> {
                self.logged_model(id)?;
                self.write(|tx| {
                    tx.execute(
                        "UPDATE logged_models SET lifecycle_stage = 'deleted' WHERE model_id = $1",
                        &[&id],
                    )?;
                    Ok(())
                })
            }

            /// One page of the logged models of experiments (all when none are named) matching a
            /// filter, newest first, then by id: at most `limit`, after the model `page_token` names.
            pub fn search_logged_models(
                &self,
                experiment_ids: &[String],
                filter: Option<&Expr>,
                limit: usize,
                page_token: Option<&str>,
            ) -> Result<Page<LoggedModel>> {
                let mut f = Fragment::default();
                f.sql.push_str(
                    "SELECT lm.model_id, lm.creation_time FROM logged_models lm WHERE lm.lifecycle_stage = 'active'",
                );
                if !experiment_ids.is_empty() {
                    let marks: Vec<String> = experiment_ids
                        .iter()
                        .map(|e| f.bind(Param::Text(e.clone())))
                        .collect();
                    f.sql.push_str(&format!(
                        " AND CAST(lm.experiment_id AS TEXT) IN ({})",
                        marks.join(", ")
                    ));
                }
                if let Some(e) = filter {
                    f.sql.push_str(" AND ");
                    named_filter_sql(e, &LOGGED_MODELS, &mut f);
                }
                if let Some(t) = page_token {
                    let (time, id) = paging::key(t)?;
                    let (t1, i1) = (f.bind(Param::Int(time)), f.bind(Param::Text(id)));
                    f.sql.push_str(&format!(
                        " AND (lm.creation_time < {t1} OR (lm.creation_time = {t1} AND lm.model_id > {i1}))"
                    ));
                }
                let p = f.bind(Param::Int(limit.min(i64::MAX as usize - 1) as i64 + 1));
                f.sql.push_str(&format!(
                    " ORDER BY lm.creation_time DESC, lm.model_id ASC LIMIT {p}"
                ));
                let rows: Vec<(String, i64)> = self
                    .client()
                    .query(&f.sql, &f.args())?
                    .iter()
                    .map(|r| (r.get(0), r.get(1)))
                    .collect();
                let (rows, next) = paging::split(rows, limit, |(id, time)| (*time, id.clone()));
                let models = rows
                    .iter()
                    .map(|(id, _)| self.logged_model(id))
                    .collect::<Result<_>>()?;
                Ok((models, next))
            }

            /// Records that a run output models: (model id, step).
            pub fn log_run_outputs(&self, run: &str, models: &[(String, i64)]) -> Result<()> {
                self.run(run)?;
                self.write(|tx| {
                    for (m, step) in models {
                        tx.execute(
                            "INSERT INTO run_outputs (run_uuid, model_id, step) VALUES ($1, $2, $3)
                             ON CONFLICT (run_uuid, model_id) DO UPDATE SET step = excluded.step",
                            &[&run, m, step],
                        )?;
                    }
                    Ok(())
                })
            }

            /// Models a run output: (model id, step).
            pub fn run_outputs(&self, run: &str) -> Result<Vec<(String, i64)>> {
                Ok(self
                    .client()
                    .query(
                        "SELECT model_id, step FROM run_outputs WHERE run_uuid = $1 ORDER BY model_id",
                        &[&run],
                    )?
                    .iter()
                    .map(|r| (r.get(0), r.get(1)))
                    .collect())
            }
        }
    };
}
pub(crate) use queries;
