//! Keyset pages of registered models, model versions and a metric's history, with the same
//! tokens as the SQLite store (`store/paging.rs`): the next page's query starts right after
//! the key the token names.
//!
//! Written once for both database stores: `postgres/pages.rs` and `mysql/pages.rs` expand
//! [`queries`] with their own client in scope (`GenericClient`, `Row`, `Transaction`);
//! the statements are PostgreSQL's, which the MySQL client translates (`mysql/sql.rs`).

/// The items of `pages` for the database store type `$store`.
macro_rules! queries {
    ($store:ident) => {
        use super::filter::{Fragment, MODELS, Param, VERSIONS, named_filter_sql};
        use super::runs::{metric_from, run_key};
        use crate::registry::{ModelVersion, RegisteredModel};
        use crate::search::Expr;
        use crate::store::Result;
        use crate::store::paging::{self, Page};
        use crate::tracking::Metric;

        /// `LIMIT` one more than asked, which tells whether another page exists.
        fn one_more(limit: usize) -> i64 {
            limit.min(i64::MAX as usize - 1) as i64 + 1
        }

        impl $store {
            /// One page of the registered models that match a filter (`name`, `tags.K`), by name: at
            /// most `limit`, after the model `page_token` names.
            pub fn search_models(
                &self,
                filter: Option<&Expr>,
                limit: usize,
                page_token: Option<&str>,
            ) -> Result<Page<RegisteredModel>> {
                let mut f = Fragment::default();
                f.sql
                    .push_str("SELECT m.name FROM registered_models m WHERE TRUE");
                if let Some(e) = filter {
                    f.sql.push_str(" AND ");
                    named_filter_sql(e, &MODELS, &mut f);
                }
                if let Some(t) = page_token {
                    let (_, name) = paging::key(t)?;
                    let p = f.bind(Param::Text(name));
                    f.sql.push_str(&format!(" AND m.name > {p}"));
                }
                let p = f.bind(Param::Int(one_more(limit)));
                f.sql.push_str(&format!(" ORDER BY m.name LIMIT {p}"));
                let names: Vec<String> = self
                    .client()
                    .query(&f.sql, &f.args())?
                    .iter()
                    .map(|r| r.get(0))
                    .collect();
                let (names, next) = paging::split(names, limit, |n| (0, n.clone()));
                let models = names.iter().map(|n| self.model(n)).collect::<Result<_>>()?;
                Ok((models, next))
            }

            /// One page of the live model versions that match a filter (`name`, `version_number`,
            /// `run_id`, `source_path`, `tags.K`), by name then newest first: at most `limit`, after
            /// the version `page_token` names.
            pub fn search_versions(
                &self,
                filter: Option<&Expr>,
                limit: usize,
                page_token: Option<&str>,
            ) -> Result<Page<ModelVersion>> {
                let mut f = Fragment::default();
                f.sql
                    .push_str("SELECT v.name, v.version FROM model_versions v WHERE NOT v.deleted");
                if let Some(e) = filter {
                    f.sql.push_str(" AND ");
                    named_filter_sql(e, &VERSIONS, &mut f);
                }
                if let Some(t) = page_token {
                    let (version, name) = paging::key(t)?;
                    let n = f.bind(Param::Text(name));
                    let v = f.bind(Param::Int(version));
                    f.sql.push_str(&format!(
                        " AND (v.name > {n} OR (v.name = {n} AND v.version < {v}))"
                    ));
                }
                let p = f.bind(Param::Int(one_more(limit)));
                f.sql
                    .push_str(&format!(" ORDER BY v.name ASC, v.version DESC LIMIT {p}"));
                let rows: Vec<(String, i64)> = self
                    .client()
                    .query(&f.sql, &f.args())?
                    .iter()
                    .map(|r| (r.get(0), r.get(1)))
                    .collect();
                let (rows, next) = paging::split(rows, limit, |(n, v)| (*v, n.clone()));
                // Each model's versions are read once, with their tags and aliases.
                let mut out = Vec::with_capacity(rows.len());
                let mut loaded: Option<(String, Vec<ModelVersion>)> = None;
                for (name, version) in rows {
                    if loaded.as_ref().is_none_or(|(n, _)| *n != name) {
                        loaded = Some((name.clone(), self.versions(&name)?));
                    }
                    let all = loaded.as_ref().map_or(&[][..], |(_, v)| v.as_slice());
                    if let Some(v) = all.iter().find(|v| v.version == version.to_string()) {
                        out.push(v.clone());
                    }
                }
                Ok((out, next))
            }

            /// One page of a metric's history in MLflow's order (timestamp, step, value with a NaN as
            /// 0, then NaN last): at most `limit` (all when `None`) after the point `page_token`
            /// names. Not-found for an unknown run.
            pub fn metric_history_page(
                &self,
                uuid: &str,
                key: &str,
                limit: Option<usize>,
                page_token: Option<&str>,
            ) -> Result<Page<Metric>> {
                let mut client = self.client();
                let (pk, _) = run_key(&mut *client, uuid)?;
                let mut f = Fragment::default();
                let (run, k) = (f.bind(Param::Int(pk)), f.bind(Param::Text(key.to_string())));
                f.sql.push_str(&format!(
                    "SELECT key, value, timestamp, step, is_nan FROM metrics WHERE run_id = {run} AND key = {k}"
                ));
                if let Some(t) = page_token {
                    let (ts, step, value, nan) = paging::point_key(t)?;
                    let marks = [
                        f.bind(Param::Int(ts)),
                        f.bind(Param::Int(step)),
                        f.bind(Param::Real(value)),
                        f.bind(Param::Bool(nan)),
                    ];
                    f.sql.push_str(&format!(
                        " AND (timestamp, step, value, is_nan) > ({})",
                        marks.join(", ")
                    ));
                }
                let limit = limit.unwrap_or(usize::MAX);
                let p = f.bind(Param::Int(one_more(limit)));
                f.sql.push_str(&format!(
                    " ORDER BY timestamp, step, value, is_nan LIMIT {p}"
                ));
                let rows: Vec<Metric> = client
                    .query(&f.sql, &f.args())?
                    .iter()
                    .map(|r| metric_from(r, 0))
                    .collect();
                Ok(paging::split_by(rows, limit, paging::point_token))
            }
        }
    };
}
pub(crate) use queries;
