//! The model registry's tables: registered models, versions (numbers never reused), stages,
//! aliases, tags, transition requests, and an append-only history of every change.

use std::collections::BTreeMap;

use rusqlite::{OptionalExtension, Row, params, params_from_iter};

use super::Store;
use crate::registry::{Alias, ModelVersion, RegisteredModel, Stage, validate_model_name};
use crate::search::Expr;
use crate::store::{Error, Fix, Missing, Result};
use crate::tracking::KeyValue;
use crate::tracking::ids::now_ms;

/// What a new version is made of.
#[derive(Debug, Clone)]
pub struct NewVersion {
    pub name: String,
    pub source: String,
    pub run_id: String,
    pub storage_location: String,
    pub description: String,
    pub tags: Vec<KeyValue>,
}

/// Who did something, and why.
#[derive(Debug, Clone)]
pub struct Act<'a> {
    pub actor: &'a str,
    pub comment: Option<&'a str>,
}

/// Which versions held each stage and alias at a moment.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Snapshot {
    pub name: String,
    pub at: i64,
    /// Stage → versions in it (highest first).
    pub stages: BTreeMap<String, Vec<String>>,
    /// Alias → version.
    pub aliases: BTreeMap<String, String>,
}

const VERSION_COLUMNS: &str = "name, version, creation_time, last_updated_time, user_id, \
    current_stage, description, source, run_id, status, storage_location";

fn version_from_row(r: &Row) -> rusqlite::Result<ModelVersion> {
    Ok(ModelVersion {
        name: r.get(0)?,
        version: r.get::<_, i64>(1)?.to_string(),
        creation_timestamp: r.get(2)?,
        last_updated_timestamp: r.get(3)?,
        user_id: r.get(4)?,
        current_stage: r.get(5)?,
        description: r.get(6)?,
        source: r.get(7)?,
        run_id: r.get(8)?,
        status: r.get(9)?,
        storage_location: r.get(10)?,
        tags: Vec::new(),
        aliases: Vec::new(),
    })
}

/// A location inside the store `root` as a path relative to it; others as they are.
fn relative_location(root: &std::path::Path, location: &str) -> String {
    match std::path::Path::new(location).strip_prefix(root) {
        Ok(rel) if !rel.as_os_str().is_empty() => rel.display().to_string(),
        _ => location.to_string(),
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
    tx: &rusqlite::Connection,
    name: &str,
    version: Option<i64>,
    kind: &str,
    from: Option<&str>,
    to: Option<&str>,
    act: &Act,
) -> Result<()> {
    tx.execute(
        "INSERT INTO registry_events (name, version, kind, from_value, to_value, actor, time, comment)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![name, version, kind, from, to, act.actor, now_ms(), act.comment],
    )?;
    Ok(())
}

pub(super) fn model_exists(tx: &rusqlite::Connection, name: &str) -> Result<bool> {
    Ok(tx
        .query_row(
            "SELECT 1 FROM registered_models WHERE name = ?1",
            [name],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

pub(super) fn touch(tx: &rusqlite::Connection, name: &str) -> Result<()> {
    tx.execute(
        "UPDATE registered_models SET last_updated_time = ?1 WHERE name = ?2",
        params![now_ms(), name],
    )?;
    Ok(())
}

/// The version's stage, or not-found when the version does not exist (or was deleted).
pub(super) fn version_stage(tx: &rusqlite::Connection, name: &str, version: i64) -> Result<Stage> {
    let stage: Option<String> = tx
        .query_row(
            "SELECT current_stage FROM model_versions WHERE name = ?1 AND version = ?2 AND deleted = 0",
            params![name, version],
            |r| r.get(0),
        )
        .optional()?;
    match stage {
        Some(s) => Ok(Stage::parse(&s).unwrap_or(Stage::None)),
        None if model_exists(tx, name)? => Err(no_version(name, version)),
        None => Err(not_found_model(name)),
    }
}

impl Store {
    fn create_model_tx(
        tx: &rusqlite::Connection,
        name: &str,
        description: &str,
        tags: &[KeyValue],
        act: &Act,
    ) -> Result<()> {
        let now = now_ms();
        tx.execute(
            "INSERT INTO registered_models (name, description, user_id, creation_time, last_updated_time)
             VALUES (?1, ?2, ?3, ?4, ?4)",
            params![name, description, act.actor, now],
        )?;
        for t in tags {
            tx.execute(
                "INSERT OR REPLACE INTO registered_model_tags (name, key, value) VALUES (?1, ?2, ?3)",
                params![name, t.key, t.value],
            )?;
        }
        record(tx, name, None, "create_model", None, None, act)
    }

    /// Creates a registered model.
    pub fn create_model(
        &mut self,
        name: &str,
        description: &str,
        tags: &[KeyValue],
        act: &Act,
    ) -> Result<RegisteredModel> {
        validate_model_name(name)?;
        self.write(|tx| {
            if model_exists(tx, name)? {
                return Err(Error::AlreadyExists(format!(
                    "registered model `{name}` already exists"
                )));
            }
            Store::create_model_tx(tx, name, description, tags, act)
        })?;
        self.model(name)
    }

    /// A registered model with its latest version per stage, tags and aliases.
    pub fn model(&self, name: &str) -> Result<RegisteredModel> {
        let conn = self.conn();
        let found = conn
            .query_row(
                "SELECT name, creation_time, last_updated_time, user_id, description FROM registered_models WHERE name = ?1",
                [name],
                |r| {
                    Ok(RegisteredModel {
                        name: r.get(0)?,
                        creation_timestamp: r.get(1)?,
                        last_updated_timestamp: r.get(2)?,
                        user_id: r.get(3)?,
                        description: r.get(4)?,
                        latest_versions: Vec::new(),
                        tags: Vec::new(),
                        aliases: Vec::new(),
                    })
                },
            )
            .optional()?;
        let mut model = found.ok_or_else(|| not_found_model(name))?;
        let mut stmt = conn.prepare_cached(
            "SELECT key, value FROM registered_model_tags WHERE name = ?1 ORDER BY key",
        )?;
        model.tags = stmt
            .query_map([name], |r| {
                Ok(KeyValue {
                    key: r.get(0)?,
                    value: r.get(1)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut stmt = conn.prepare_cached(
            "SELECT alias, version FROM registered_model_aliases WHERE name = ?1 ORDER BY alias",
        )?;
        model.aliases = stmt
            .query_map([name], |r| {
                Ok(Alias {
                    alias: r.get(0)?,
                    version: r.get::<_, i64>(1)?.to_string(),
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
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
        let mut sql = "SELECT name FROM registered_models m".to_string();
        let mut values: Vec<rusqlite::types::Value> = Vec::new();
        if let Some(f) = filter {
            sql.push_str(" WHERE ");
            super::filter::named_filter_sql(f, &super::filter::MODELS, &mut sql, &mut values);
        }
        sql.push_str(" ORDER BY name");
        let names: Vec<String> = {
            let mut stmt = self.conn().prepare(&sql)?;
            stmt.query_map(params_from_iter(values.iter()), |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?
        };
        names.iter().map(|n| self.model(n)).collect()
    }

    /// Every live version of a model, newest first, with tags and aliases; not-found for an
    /// unknown model.
    pub fn versions(&self, name: &str) -> Result<Vec<ModelVersion>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {VERSION_COLUMNS} FROM model_versions WHERE name = ?1 AND deleted = 0 ORDER BY version DESC"
        ))?;
        let mut versions: Vec<ModelVersion> = stmt
            .query_map([name], version_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        for v in &mut versions {
            v.storage_location = self.absolute_location(&v.storage_location);
        }
        if versions.is_empty() && !model_exists(conn, name)? {
            return Err(not_found_model(name));
        }
        let mut tags = conn.prepare_cached(
            "SELECT version, key, value FROM model_version_tags WHERE name = ?1 ORDER BY key",
        )?;
        let mut rows = tags.query([name])?;
        while let Some(r) = rows.next()? {
            let v: i64 = r.get(0)?;
            if let Some(mv) = versions.iter_mut().find(|m| m.version == v.to_string()) {
                mv.tags.push(KeyValue {
                    key: r.get(1)?,
                    value: r.get(2)?,
                });
            }
        }
        let mut aliases = conn.prepare_cached(
            "SELECT version, alias FROM registered_model_aliases WHERE name = ?1 ORDER BY alias",
        )?;
        let mut rows = aliases.query([name])?;
        while let Some(r) = rows.next()? {
            let v: i64 = r.get(0)?;
            if let Some(mv) = versions.iter_mut().find(|m| m.version == v.to_string()) {
                mv.aliases.push(r.get(1)?);
            }
        }
        Ok(versions)
    }

    /// A version's files as stored (relative to the store when inside it) made absolute.
    fn absolute_location(&self, stored: &str) -> String {
        let path = std::path::Path::new(stored);
        // A URI (a source whose run lives in another store) is kept as it is.
        if stored.is_empty() || path.is_absolute() || stored.contains(":/") {
            stored.to_string()
        } else {
            self.root().join(path).display().to_string()
        }
    }

    /// One live version.
    pub fn version(&self, name: &str, version: i64) -> Result<ModelVersion> {
        version_stage(self.conn(), name, version)?;
        self.versions(name)?
            .into_iter()
            .find(|v| v.version == version.to_string())
            .ok_or_else(|| no_version(name, version))
    }

    /// Registers a new version (creating the model when missing). `place` is called inside the
    /// transaction with the new number, to move the files into place; numbers are never reused.
    pub fn create_version(
        &mut self,
        new: &NewVersion,
        act: &Act,
        place: &mut dyn FnMut(i64) -> std::result::Result<String, crate::store::PlaceError>,
    ) -> Result<ModelVersion> {
        validate_model_name(&new.name)?;
        let name = new.name.as_str();
        let root = self.root().to_path_buf();
        let version = self.write(|tx| {
            if !model_exists(tx, name)? {
                Store::create_model_tx(tx, name, "", &[], act)?;
            }
            let next: i64 = tx.query_row(
                "SELECT COALESCE(MAX(version), 0) + 1 FROM model_versions WHERE name = ?1",
                [name],
                |r| r.get(0),
            )?;
            // Files copied in are placed now that the number is known; their copy is the source.
            let location = if new.storage_location.is_empty() { place(next).map_err(|e| Error::Invalid(e.to_string()))? } else { new.storage_location.clone() };
            // Kept relative to the store when inside it, so a moved store still finds its files.
            let stored = relative_location(&root, &location);
            let source = if new.source.is_empty() { location.clone() } else { new.source.clone() };
            let now = now_ms();
            tx.execute(
                "INSERT INTO model_versions (name, version, description, user_id, current_stage, source, run_id,
                                             storage_location, status, creation_time, last_updated_time)
                 VALUES (?1, ?2, ?3, ?4, 'None', ?5, ?6, ?7, 'READY', ?8, ?8)",
                params![name, next, new.description, act.actor, source, new.run_id, stored, now],
            )?;
            for t in &new.tags {
                tx.execute(
                    "INSERT OR REPLACE INTO model_version_tags (name, version, key, value) VALUES (?1, ?2, ?3, ?4)",
                    params![name, next, t.key, t.value],
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
        &mut self,
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
            let current = version_stage(tx, name, version)?;
            if needs_approval {
                let request: Option<i64> = tx
                    .query_row(
                        "SELECT id FROM transition_requests WHERE name = ?1 AND version = ?2 AND to_stage = ?3
                         AND status = 'approved' ORDER BY id LIMIT 1",
                        params![name, version, stage.as_str()],
                        |r| r.get(0),
                    )
                    .optional()?;
                let Some(id) = request else {
                    return Err(Error::Refused(format!(
                        "{stage} is a protected stage: version {version} of `{name}` needs an approved request first"
                    ))
                    .with_fix(Fix::RequestApproval {
                        name: name.to_string(),
                        version,
                        stage: stage.to_string(),
                    }));
                };
                tx.execute("UPDATE transition_requests SET status = 'used' WHERE id = ?1", [id])?;
            }
            let now = now_ms();
            if archive_existing {
                let others: Vec<i64> = {
                    let mut stmt = tx.prepare(
                        "SELECT version FROM model_versions WHERE name = ?1 AND current_stage = ?2 AND version != ?3 AND deleted = 0",
                    )?;
                    stmt.query_map(params![name, stage.as_str(), version], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?
                };
                for other in others {
                    tx.execute(
                        "UPDATE model_versions SET current_stage = 'Archived', last_updated_time = ?1 WHERE name = ?2 AND version = ?3",
                        params![now, name, other],
                    )?;
                    let why = format!("archived when version {version} entered {stage}");
                    record(tx, name, Some(other), "stage", Some(stage.as_str()), Some("Archived"), &Act { actor: act.actor, comment: Some(&why) })?;
                }
            }
            tx.execute(
                "UPDATE model_versions SET current_stage = ?1, last_updated_time = ?2 WHERE name = ?3 AND version = ?4",
                params![stage.as_str(), now, name, version],
            )?;
            touch(tx, name)?;
            record(tx, name, Some(version), "stage", Some(current.as_str()), Some(stage.as_str()), act)
        })?;
        self.version(name, version)
    }

    /// Deletes a version: it disappears, its aliases go with it, its number is never reused.
    pub fn delete_version(&mut self, name: &str, version: i64, act: &Act) -> Result<Vec<String>> {
        self.write(|tx| {
            version_stage(tx, name, version)?;
            let aliases: Vec<String> = {
                let mut stmt = tx.prepare("SELECT alias FROM registered_model_aliases WHERE name = ?1 AND version = ?2 ORDER BY alias")?;
                stmt.query_map(params![name, version], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?
            };
            for a in &aliases {
                record(tx, name, Some(version), "unalias", Some(a), None, act)?;
            }
            tx.execute("DELETE FROM registered_model_aliases WHERE name = ?1 AND version = ?2", params![name, version])?;
            tx.execute("DELETE FROM model_version_tags WHERE name = ?1 AND version = ?2", params![name, version])?;
            tx.execute(
                "UPDATE model_versions SET deleted = 1, current_stage = 'Deleted_Internal', description = '',
                        last_updated_time = ?1 WHERE name = ?2 AND version = ?3",
                params![now_ms(), name, version],
            )?;
            tx.execute(
                "UPDATE transition_requests SET status = 'cancelled' WHERE name = ?1 AND version = ?2 AND status IN ('pending', 'approved')",
                params![name, version],
            )?;
            touch(tx, name)?;
            record(tx, name, Some(version), "delete_version", None, None, act)?;
            Ok(aliases)
        })
    }

    /// Deletes a model with its versions, tags, aliases and requests; its history stays.
    pub fn delete_model(&mut self, name: &str, act: &Act) -> Result<()> {
        self.write(|tx| {
            if !model_exists(tx, name)? {
                return Err(not_found_model(name));
            }
            for table in ["registered_model_tags", "registered_model_aliases", "model_version_tags", "model_versions", "registered_models"] {
                tx.execute(&format!("DELETE FROM {table} WHERE name = ?1"), [name])?;
            }
            tx.execute(
                "UPDATE transition_requests SET status = 'cancelled' WHERE name = ?1 AND status IN ('pending', 'approved')",
                [name],
            )?;
            record(tx, name, None, "delete_model", None, None, act)
        })
    }
}
