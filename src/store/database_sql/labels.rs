//! Aliases, descriptions and tags of registered models and their versions.
//!
//! Written once for both database stores: `postgres/labels.rs` and `mysql/labels.rs` expand
//! [`queries`] with their own client in scope (`GenericClient`, `Row`, `Transaction`);
//! the statements are PostgreSQL's, which the MySQL client translates (`mysql/sql.rs`).

/// The items of `labels` for the database store type `$store`.
macro_rules! queries {
    ($store:ident) => {
        use super::registry::{lock_model, model_exists, not_found_model, record, touch, version_stage};
        use crate::registry::validate_alias;
        use crate::store::{Act, Error, Missing, Result};
        use crate::tracking::ids::now_ms;

        fn no_alias(name: &str, alias: &str) -> Error {
            Error::NotFound(Missing::Alias {
                name: name.to_string(),
                alias: alias.to_string(),
            })
        }

        impl $store {
            /// Points an alias at a version (moving it if it pointed elsewhere).
            pub fn set_alias(
                &self,
                name: &str,
                alias: &str,
                version: i64,
                act: &Act,
            ) -> Result<Option<i64>> {
                validate_alias(alias)?;
                self.write(|tx| {
                    lock_model(tx, name)?;
                    version_stage(tx, name, version)?;
                    let previous: Option<i64> = tx
                        .query_opt(
                            "SELECT version FROM registered_model_aliases WHERE name = $1 AND alias = $2",
                            &[&name, &alias],
                        )?
                        .map(|r| r.get(0));
                    tx.execute(
                        "INSERT INTO registered_model_aliases (name, alias, version) VALUES ($1, $2, $3)
                         ON CONFLICT (name, alias) DO UPDATE SET version = excluded.version",
                        &[&name, &alias, &version],
                    )?;
                    touch(tx, name)?;
                    let from = previous.map(|v| v.to_string());
                    record(
                        tx,
                        name,
                        Some(version),
                        "alias",
                        from.as_deref(),
                        Some(alias),
                        act,
                    )?;
                    Ok(previous)
                })
            }

            /// Removes an alias.
            pub fn delete_alias(&self, name: &str, alias: &str, act: &Act) -> Result<i64> {
                self.write(|tx| {
                    if !lock_model(tx, name)? {
                        return Err(not_found_model(name));
                    }
                    let version: i64 = tx
                        .query_opt(
                            "SELECT version FROM registered_model_aliases WHERE name = $1 AND alias = $2",
                            &[&name, &alias],
                        )?
                        .map(|r| r.get(0))
                        .ok_or_else(|| no_alias(name, alias))?;
                    tx.execute(
                        "DELETE FROM registered_model_aliases WHERE name = $1 AND alias = $2",
                        &[&name, &alias],
                    )?;
                    touch(tx, name)?;
                    record(tx, name, Some(version), "unalias", Some(alias), None, act)?;
                    Ok(version)
                })
            }

            /// The version an alias points at.
            pub fn alias_version(&self, name: &str, alias: &str) -> Result<i64> {
                let mut client = self.client();
                if !model_exists(&mut *client, name)? {
                    return Err(not_found_model(name));
                }
                client
                    .query_opt(
                        "SELECT version FROM registered_model_aliases WHERE name = $1 AND alias = $2",
                        &[&name, &alias],
                    )?
                    .map(|r| r.get(0))
                    .ok_or_else(|| no_alias(name, alias))
            }

            /// Sets the description of a model (`version` None) or of a version.
            pub fn describe(&self, name: &str, version: Option<i64>, text: &str, act: &Act) -> Result<()> {
                self.write(|tx| {
                    let now = now_ms();
                    match version {
                        None => {
                            let n = tx.execute(
                                "UPDATE registered_models SET description = $1, last_updated_time = $2 WHERE name = $3",
                                &[&text, &now, &name],
                            )?;
                            if n == 0 {
                                return Err(not_found_model(name));
                            }
                        }
                        Some(v) => {
                            version_stage(tx, name, v)?;
                            tx.execute(
                                "UPDATE model_versions SET description = $1, last_updated_time = $2 WHERE name = $3 AND version = $4",
                                &[&text, &now, &name, &v],
                            )?;
                        }
                    }
                    record(tx, name, version, "describe", None, Some(text), act)
                })
            }

            /// Sets (`Some(value)`) or removes (`None`) tags of a model or a version.
            pub fn set_registry_tags(
                &self,
                name: &str,
                version: Option<i64>,
                tags: &[(String, Option<String>)],
                act: &Act,
            ) -> Result<()> {
                self.write(|tx| {
                    match version {
                        None if !model_exists(tx, name)? => return Err(not_found_model(name)),
                        Some(v) => {
                            version_stage(tx, name, v)?;
                        }
                        None => {}
                    }
                    for (key, value) in tags {
                        match (version, value) {
                            (None, Some(val)) => tx.execute(
                                "INSERT INTO registered_model_tags (name, key, value) VALUES ($1, $2, $3)
                                 ON CONFLICT (name, key) DO UPDATE SET value = excluded.value",
                                &[&name, key, val],
                            )?,
                            (None, None) => tx.execute(
                                "DELETE FROM registered_model_tags WHERE name = $1 AND key = $2",
                                &[&name, key],
                            )?,
                            (Some(v), Some(val)) => tx.execute(
                                "INSERT INTO model_version_tags (name, version, key, value) VALUES ($1, $2, $3, $4)
                                 ON CONFLICT (name, version, key) DO UPDATE SET value = excluded.value",
                                &[&name, &v, key, val],
                            )?,
                            (Some(v), None) => tx.execute(
                                "DELETE FROM model_version_tags WHERE name = $1 AND version = $2 AND key = $3",
                                &[&name, &v, key],
                            )?,
                        };
                        let kind = if value.is_some() { "tag" } else { "untag" };
                        let to = value
                            .as_ref()
                            .map(|v| format!("{key}={v}"))
                            .unwrap_or_else(|| key.clone());
                        record(tx, name, version, kind, None, Some(&to), act)?;
                    }
                    touch(tx, name)
                })
            }
        }
    };
}
pub(crate) use queries;
