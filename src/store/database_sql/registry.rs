//! The model registry's tables: registered models, versions (numbers never reused, handed out
//! under a row lock on the model so that concurrent registrations get 1, 2, 3… without gaps),
//! stages, deletes, and an append-only history of every change.
//!
//! Written once for both database stores: `postgres/registry.rs` and `mysql/registry.rs` expand
//! [`queries`] with their own client in scope (`GenericClient`, `Row`, `Transaction`);
//! the statements are PostgreSQL's, which the MySQL client translates (`mysql/sql.rs`).

/// The items of `registry` for the database store type `$store`.
macro_rules! queries {
    ($store:ident) => {
        use super::filter::{Fragment, MODELS, named_filter_sql};
        use crate::registry::{Alias, ModelVersion, RegisteredModel, Stage, validate_model_name};
        use crate::search::Expr;
        use crate::store::{Act, Error, Fix, Missing, NewVersion, Result};
        use crate::tracking::KeyValue;
        use crate::tracking::ids::now_ms;

        const VERSION_COLUMNS: &str = "name, version, creation_time, last_updated_time, user_id, \
            current_stage, description, source, run_id, status, storage_location";

        fn version_from_row(r: &Row) -> ModelVersion {
            ModelVersion {
                name: r.get(0),
                version: r.get::<_, i64>(1).to_string(),
                creation_timestamp: r.get(2),
                last_updated_timestamp: r.get(3),
                user_id: r.get(4),
                current_stage: r.get(5),
                description: r.get(6),
                source: r.get(7),
                run_id: r.get(8),
                status: r.get(9),
                storage_location: r.get(10),
                tags: Vec::new(),
                aliases: Vec::new(),
            }
        }

        pub(super) fn no_version(name: &str, version: i64) -> Error {
            Error::NotFound(Missing::ModelVersion {
                name: name.to_string(),
                version,
            })
        }

        pub(super) fn not_found_model(name: &str) -> Error {
            Error::NotFound(Missing::RegisteredModel(name.to_string()))
        }

        pub(super) fn record(
            tx: &mut Transaction,
            name: &str,
            version: Option<i64>,
            kind: &str,
            from: Option<&str>,
            to: Option<&str>,
            act: &Act,
        ) -> Result<()> {
            tx.execute(
                "INSERT INTO registry_events (name, version, kind, from_value, to_value, actor, time, comment)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                &[&name, &version, &kind, &from, &to, &act.actor, &now_ms(), &act.comment],
            )?;
            Ok(())
        }

        pub(super) fn model_exists(tx: &mut impl GenericClient, name: &str) -> Result<bool> {
            Ok(tx
                .query_opt("SELECT 1 FROM registered_models WHERE name = $1", &[&name])?
                .is_some())
        }

        /// Locks the model's row for the rest of the transaction: writers of one model go one at a
        /// time. False when there is no such model.
        pub(super) fn lock_model(tx: &mut Transaction, name: &str) -> Result<bool> {
            Ok(tx
                .query_opt(
                    "SELECT 1 FROM registered_models WHERE name = $1 FOR UPDATE",
                    &[&name],
                )?
                .is_some())
        }

        pub(super) fn touch(tx: &mut Transaction, name: &str) -> Result<()> {
            tx.execute(
                "UPDATE registered_models SET last_updated_time = $1 WHERE name = $2",
                &[&now_ms(), &name],
            )?;
            Ok(())
        }

        /// The version's stage, or not-found when the version does not exist (or was deleted).
        pub(super) fn version_stage(
            tx: &mut impl GenericClient,
            name: &str,
            version: i64,
        ) -> Result<Stage> {
            let stage = tx.query_opt(
                "SELECT current_stage FROM model_versions WHERE name = $1 AND version = $2 AND NOT deleted",
                &[&name, &version],
            )?;
            match stage {
                Some(s) => Ok(Stage::parse(&s.get::<_, String>(0)).unwrap_or(Stage::None)),
                None if model_exists(tx, name)? => Err(no_version(name, version)),
                None => Err(not_found_model(name)),
            }
        }

        /// Inserts a model; false when it exists already.
        fn insert_model(
            tx: &mut Transaction,
            name: &str,
            description: &str,
            tags: &[KeyValue],
            act: &Act,
        ) -> Result<bool> {
            let now = now_ms();
            let inserted = tx.execute(
                "INSERT INTO registered_models (name, description, user_id, creation_time, last_updated_time)
                 VALUES ($1, $2, $3, $4, $4) ON CONFLICT (name) DO NOTHING",
                &[&name, &description, &act.actor, &now],
            )?;
            if inserted == 0 {
                return Ok(false);
            }
            for t in tags {
                tx.execute(
                    "INSERT INTO registered_model_tags (name, key, value) VALUES ($1, $2, $3)
                     ON CONFLICT (name, key) DO UPDATE SET value = excluded.value",
                    &[&name, &t.key, &t.value],
                )?;
            }
            record(tx, name, None, "create_model", None, None, act)?;
            Ok(true)
        }

        impl $store {
            /// Creates a registered model.
            pub fn create_model(
                &self,
                name: &str,
                description: &str,
                tags: &[KeyValue],
                act: &Act,
            ) -> Result<RegisteredModel> {
                validate_model_name(name)?;
                self.write(|tx| {
                    if !insert_model(tx, name, description, tags, act)? {
                        return Err(Error::AlreadyExists(format!(
                            "registered model `{name}` already exists"
                        )));
                    }
                    Ok(())
                })?;
                self.model(name)
            }

            /// A registered model with its latest version per stage, tags and aliases.
            pub fn model(&self, name: &str) -> Result<RegisteredModel> {
                let mut model = {
                    let mut client = self.client();
                    let row = client.query_opt(
                        "SELECT name, creation_time, last_updated_time, user_id, description
                         FROM registered_models WHERE name = $1",
                        &[&name],
                    )?;
                    let row = row.ok_or_else(|| not_found_model(name))?;
                    let mut model = RegisteredModel {
                        name: row.get(0),
                        creation_timestamp: row.get(1),
                        last_updated_timestamp: row.get(2),
                        user_id: row.get(3),
                        description: row.get(4),
                        latest_versions: Vec::new(),
                        tags: Vec::new(),
                        aliases: Vec::new(),
                    };
                    model.tags = client
                        .query(
                            "SELECT key, value FROM registered_model_tags WHERE name = $1 ORDER BY key",
                            &[&name],
                        )?
                        .iter()
                        .map(|r| KeyValue {
                            key: r.get(0),
                            value: r.get(1),
                        })
                        .collect();
                    model.aliases = client
                        .query(
                            "SELECT alias, version FROM registered_model_aliases WHERE name = $1 ORDER BY alias",
                            &[&name],
                        )?
                        .iter()
                        .map(|r| Alias {
                            alias: r.get(0),
                            version: r.get::<_, i64>(1).to_string(),
                        })
                        .collect();
                    model
                };
                let versions = self.versions(name)?;
                for stage in Stage::ALL {
                    if let Some(v) = versions
                        .iter()
                        .filter(|v| v.current_stage == stage.as_str())
                        .max_by_key(|v| v.version.parse::<i64>().unwrap_or(0))
                    {
                        model.latest_versions.push(v.clone());
                    }
                }
                Ok(model)
            }

            /// Registered models matching a filter (`name`, `tags.K`), by name.
            pub fn list_models(&self, filter: Option<&Expr>) -> Result<Vec<RegisteredModel>> {
                let mut f = Fragment::default();
                let mut sql = "SELECT name FROM registered_models m".to_string();
                if let Some(e) = filter {
                    named_filter_sql(e, &MODELS, &mut f);
                    sql.push_str(" WHERE ");
                    sql.push_str(&f.sql);
                }
                sql.push_str(" ORDER BY name");
                let names: Vec<String> = self
                    .client()
                    .query(&sql, &f.args())?
                    .iter()
                    .map(|r| r.get(0))
                    .collect();
                names.iter().map(|n| self.model(n)).collect()
            }

            /// Every live version of a model, newest first, with tags and aliases; not-found for an
            /// unknown model.
            pub fn versions(&self, name: &str) -> Result<Vec<ModelVersion>> {
                let mut client = self.client();
                let mut versions: Vec<ModelVersion> = client
                    .query(
                        &format!(
                            "SELECT {VERSION_COLUMNS} FROM model_versions WHERE name = $1 AND NOT deleted ORDER BY version DESC"
                        ),
                        &[&name],
                    )?
                    .iter()
                    .map(version_from_row)
                    .collect();
                if versions.is_empty() && !model_exists(&mut *client, name)? {
                    return Err(not_found_model(name));
                }
                for r in client.query(
                    "SELECT version, key, value FROM model_version_tags WHERE name = $1 ORDER BY key",
                    &[&name],
                )? {
                    let v = r.get::<_, i64>(0).to_string();
                    if let Some(mv) = versions.iter_mut().find(|m| m.version == v) {
                        mv.tags.push(KeyValue {
                            key: r.get(1),
                            value: r.get(2),
                        });
                    }
                }
                for r in client.query(
                    "SELECT version, alias FROM registered_model_aliases WHERE name = $1 ORDER BY alias",
                    &[&name],
                )? {
                    let v = r.get::<_, i64>(0).to_string();
                    if let Some(mv) = versions.iter_mut().find(|m| m.version == v) {
                        mv.aliases.push(r.get(1));
                    }
                }
                Ok(versions)
            }

            /// One live version.
            pub fn version(&self, name: &str, version: i64) -> Result<ModelVersion> {
                version_stage(&mut *self.client(), name, version)?;
                self.versions(name)?
                    .into_iter()
                    .find(|v| v.version == version.to_string())
                    .ok_or_else(|| no_version(name, version))
            }

            /// Where a source's files are: a `runs:/RUN/PATH` below the run's artifacts, others as
            /// they are.
            fn source_location(&self, source: &str) -> Result<String> {
                let Some(rest) = source.strip_prefix("runs:/") else {
                    return Ok(source.to_string());
                };
                let (run_id, path) = rest.split_once('/').unwrap_or((rest, ""));
                let run = self.run(run_id)?;
                let dir = std::path::PathBuf::from(
                    run.info
                        .artifact_uri
                        .strip_prefix("file://")
                        .unwrap_or(&run.info.artifact_uri),
                );
                Ok(dir.join(path).display().to_string())
            }

            /// Registers a new version (creating the model when missing), numbered under a row lock on
            /// the model. Files are registered from where they are (a run's artifacts): this store
            /// does not take copies, so `place` is never called.
            pub fn create_version(
                &self,
                new: &NewVersion,
                act: &Act,
                _place: &mut dyn FnMut(i64) -> std::result::Result<String, crate::store::PlaceError>,
            ) -> Result<ModelVersion> {
                validate_model_name(&new.name)?;
                if new.source.is_empty() && new.storage_location.is_empty() {
                    return Err(Error::Invalid(
                        "a database store registers models from runs:/RUN/PATH or models:/ URIs".into(),
                    )
                    .with_fix(Fix::LogModelToRun));
                }
                let name = new.name.as_str();
                let location = if new.storage_location.is_empty() {
                    self.source_location(&new.source)?
                } else {
                    new.storage_location.clone()
                };
                let source = if new.source.is_empty() {
                    location.clone()
                } else {
                    new.source.clone()
                };
                let version = self.write(|tx| {
                    insert_model(tx, name, "", &[], act)?;
                    lock_model(tx, name)?;
                    let next: i64 = tx
                        .query_one(
                            "SELECT COALESCE(MAX(version), 0) + 1 FROM model_versions WHERE name = $1",
                            &[&name],
                        )?
                        .get(0);
                    let now = now_ms();
                    tx.execute(
                        "INSERT INTO model_versions (name, version, description, user_id, current_stage, source, run_id,
                                                     storage_location, status, creation_time, last_updated_time)
                         VALUES ($1, $2, $3, $4, 'None', $5, $6, $7, 'READY', $8, $8)",
                        &[&name, &next, &new.description, &act.actor, &source, &new.run_id, &location, &now],
                    )?;
                    for t in &new.tags {
                        tx.execute(
                            "INSERT INTO model_version_tags (name, version, key, value) VALUES ($1, $2, $3, $4)
                             ON CONFLICT (name, version, key) DO UPDATE SET value = excluded.value",
                            &[&name, &next, &t.key, &t.value],
                        )?;
                    }
                    touch(tx, name)?;
                    record(tx, name, Some(next), "register", None, Some(&source), act)?;
                    Ok(next)
                })?;
                self.version(name, version)
            }

            /// Moves a version to a stage. With `archive_existing`, the other versions in that stage
            /// go to Archived. With `needs_approval`, an approved, unused request for this version and
            /// stage must exist; the move uses it up.
            pub fn transition(
                &self,
                name: &str,
                version: i64,
                stage: Stage,
                archive_existing: bool,
                needs_approval: bool,
                act: &Act,
            ) -> Result<ModelVersion> {
                if archive_existing && !matches!(stage, Stage::Staging | Stage::Production) {
                    return Err(Error::Invalid(format!(
                        "--archive-existing only applies to Staging and Production, not {stage}"
                    )));
                }
                self.write(|tx| {
                    lock_model(tx, name)?;
                    let current = version_stage(tx, name, version)?;
                    if needs_approval {
                        let request = tx.query_opt(
                            "SELECT id FROM transition_requests WHERE name = $1 AND version = $2 AND to_stage = $3
                             AND status = 'approved' ORDER BY id LIMIT 1",
                            &[&name, &version, &stage.as_str()],
                        )?;
                        let Some(request) = request else {
                            return Err(Error::Refused(format!(
                                "{stage} is a protected stage: version {version} of `{name}` needs an approved request first"
                            ))
                            .with_fix(Fix::RequestApproval {
                                name: name.to_string(),
                                version,
                                stage: stage.to_string(),
                            }));
                        };
                        let id: i64 = request.get(0);
                        tx.execute("UPDATE transition_requests SET status = 'used' WHERE id = $1", &[&id])?;
                    }
                    let now = now_ms();
                    if archive_existing {
                        let others: Vec<i64> = tx
                            .query(
                                "SELECT version FROM model_versions WHERE name = $1 AND current_stage = $2
                                 AND version != $3 AND NOT deleted ORDER BY version",
                                &[&name, &stage.as_str(), &version],
                            )?
                            .iter()
                            .map(|r| r.get(0))
                            .collect();
                        for other in others {
                            tx.execute(
                                "UPDATE model_versions SET current_stage = 'Archived', last_updated_time = $1
                                 WHERE name = $2 AND version = $3",
                                &[&now, &name, &other],
                            )?;
                            let why = format!("archived when version {version} entered {stage}");
                            let by = Act { actor: act.actor, comment: Some(&why) };
                            record(tx, name, Some(other), "stage", Some(stage.as_str()), Some("Archived"), &by)?;
                        }
                    }
                    tx.execute(
                        "UPDATE model_versions SET current_stage = $1, last_updated_time = $2 WHERE name = $3 AND version = $4",
                        &[&stage.as_str(), &now, &name, &version],
                    )?;
                    touch(tx, name)?;
                    record(tx, name, Some(version), "stage", Some(current.as_str()), Some(stage.as_str()), act)
                })?;
                self.version(name, version)
            }

            /// Deletes a version: it disappears, its aliases go with it, its number is never reused.
            pub fn delete_version(&self, name: &str, version: i64, act: &Act) -> Result<Vec<String>> {
                self.write(|tx| {
                    lock_model(tx, name)?;
                    version_stage(tx, name, version)?;
                    let aliases: Vec<String> = tx
                        .query(
                            "SELECT alias FROM registered_model_aliases WHERE name = $1 AND version = $2 ORDER BY alias",
                            &[&name, &version],
                        )?
                        .iter()
                        .map(|r| r.get(0))
                        .collect();
                    for a in &aliases {
                        record(tx, name, Some(version), "unalias", Some(a), None, act)?;
                    }
                    tx.execute(
                        "DELETE FROM registered_model_aliases WHERE name = $1 AND version = $2",
                        &[&name, &version],
                    )?;
                    tx.execute(
                        "DELETE FROM model_version_tags WHERE name = $1 AND version = $2",
                        &[&name, &version],
                    )?;
                    tx.execute(
                        "UPDATE model_versions SET deleted = TRUE, current_stage = 'Deleted_Internal', description = '',
                                last_updated_time = $1 WHERE name = $2 AND version = $3",
                        &[&now_ms(), &name, &version],
                    )?;
                    tx.execute(
                        "UPDATE transition_requests SET status = 'cancelled'
                         WHERE name = $1 AND version = $2 AND status IN ('pending', 'approved')",
                        &[&name, &version],
                    )?;
                    touch(tx, name)?;
                    record(tx, name, Some(version), "delete_version", None, None, act)?;
                    Ok(aliases)
                })
            }

            /// Deletes a model with its versions, tags, aliases and requests; its history stays.
            pub fn delete_model(&self, name: &str, act: &Act) -> Result<()> {
                self.write(|tx| {
                    if !lock_model(tx, name)? {
                        return Err(not_found_model(name));
                    }
                    for table in [
                        "registered_model_tags",
                        "registered_model_aliases",
                        "model_version_tags",
                        "model_versions",
                        "registered_models",
                    ] {
                        tx.execute(&format!("DELETE FROM {table} WHERE name = $1"), &[&name])?;
                    }
                    tx.execute(
                        "UPDATE transition_requests SET status = 'cancelled'
                         WHERE name = $1 AND status IN ('pending', 'approved')",
                        &[&name],
                    )?;
                    record(tx, name, None, "delete_model", None, None, act)
                })
            }
        }
    };
}
pub(crate) use queries;
