//! The model registry's tables: registered models, versions (numbers never reused), stages,
//! aliases, tags, transition requests, and an append-only history of every change.

use std::collections::BTreeMap;

use rusqlite::{OptionalExtension, Row, Transaction, params, params_from_iter};

use super::Store;
use crate::registry::{
    Alias, Event, ModelVersion, RegisteredModel, Stage, TransitionRequest, validate_alias,
    validate_model_name,
};
use crate::search::{Attr, Expr, Op, Target, Value};
use crate::store::{Error, Fix, Result};
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

fn not_found_model(name: &str) -> Error {
    Error::NotFound(format!("no registered model named `{name}`"))
}

fn record(
    tx: &Transaction,
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

fn model_exists(tx: &rusqlite::Connection, name: &str) -> Result<bool> {
    Ok(tx
        .query_row(
            "SELECT 1 FROM registered_models WHERE name = ?1",
            [name],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

fn touch(tx: &Transaction, name: &str) -> Result<()> {
    tx.execute(
        "UPDATE registered_models SET last_updated_time = ?1 WHERE name = ?2",
        params![now_ms(), name],
    )?;
    Ok(())
}

/// The version's stage, or not-found when the version does not exist (or was deleted).
fn version_stage(tx: &rusqlite::Connection, name: &str, version: i64) -> Result<Stage> {
    let stage: Option<String> = tx
        .query_row(
            "SELECT current_stage FROM model_versions WHERE name = ?1 AND version = ?2 AND deleted = 0",
            params![name, version],
            |r| r.get(0),
        )
        .optional()?;
    match stage {
        Some(s) => Ok(Stage::parse(&s).unwrap_or(Stage::None)),
        None if model_exists(tx, name)? => Err(Error::NotFound(format!(
            "model `{name}` has no version {version}"
        ))),
        None => Err(not_found_model(name)),
    }
}

impl Store {
    fn create_model_tx(
        tx: &Transaction,
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
        validate_model_name(name).map_err(Error::Invalid)?;
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
            model_filter_sql(f, &mut sql, &mut values);
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
        if stored.is_empty() || path.is_absolute() {
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
            .ok_or_else(|| Error::NotFound(format!("model `{name}` has no version {version}")))
    }

    /// Registers a new version (creating the model when missing). `place` is called inside the
    /// transaction with the new number, to move the files into place; numbers are never reused.
    pub fn create_version(
        &mut self,
        new: &NewVersion,
        act: &Act,
        place: &mut dyn FnMut(i64) -> std::result::Result<String, String>,
    ) -> Result<ModelVersion> {
        validate_model_name(&new.name).map_err(Error::Invalid)?;
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
            let location = if new.storage_location.is_empty() { place(next).map_err(Error::Invalid)? } else { new.storage_location.clone() };
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

    /// Points an alias at a version (moving it if it pointed elsewhere).
    pub fn set_alias(
        &mut self,
        name: &str,
        alias: &str,
        version: i64,
        act: &Act,
    ) -> Result<Option<i64>> {
        validate_alias(alias).map_err(Error::Invalid)?;
        self.write(|tx| {
            version_stage(tx, name, version)?;
            let previous: Option<i64> = tx
                .query_row(
                    "SELECT version FROM registered_model_aliases WHERE name = ?1 AND alias = ?2",
                    params![name, alias],
                    |r| r.get(0),
                )
                .optional()?;
            tx.execute(
                "INSERT INTO registered_model_aliases (name, alias, version) VALUES (?1, ?2, ?3)
                 ON CONFLICT (name, alias) DO UPDATE SET version = excluded.version",
                params![name, alias, version],
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
    pub fn delete_alias(&mut self, name: &str, alias: &str, act: &Act) -> Result<i64> {
        self.write(|tx| {
            if !model_exists(tx, name)? {
                return Err(not_found_model(name));
            }
            let version: Option<i64> = tx
                .query_row(
                    "SELECT version FROM registered_model_aliases WHERE name = ?1 AND alias = ?2",
                    params![name, alias],
                    |r| r.get(0),
                )
                .optional()?;
            let version = version
                .ok_or_else(|| Error::NotFound(format!("model `{name}` has no alias `{alias}`")))?;
            tx.execute(
                "DELETE FROM registered_model_aliases WHERE name = ?1 AND alias = ?2",
                params![name, alias],
            )?;
            touch(tx, name)?;
            record(tx, name, Some(version), "unalias", Some(alias), None, act)?;
            Ok(version)
        })
    }

    /// The version an alias points at.
    pub fn alias_version(&self, name: &str, alias: &str) -> Result<i64> {
        if !model_exists(self.conn(), name)? {
            return Err(not_found_model(name));
        }
        self.conn()
            .query_row(
                "SELECT version FROM registered_model_aliases WHERE name = ?1 AND alias = ?2",
                params![name, alias],
                |r| r.get(0),
            )
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("model `{name}` has no alias `{alias}`")))
    }

    /// Sets the description of a model (`version` None) or of a version.
    pub fn describe(
        &mut self,
        name: &str,
        version: Option<i64>,
        text: &str,
        act: &Act,
    ) -> Result<()> {
        self.write(|tx| {
            let now = now_ms();
            match version {
                None => {
                    if tx.execute("UPDATE registered_models SET description = ?1, last_updated_time = ?2 WHERE name = ?3", params![text, now, name])? == 0 {
                        return Err(not_found_model(name));
                    }
                }
                Some(v) => {
                    version_stage(tx, name, v)?;
                    tx.execute(
                        "UPDATE model_versions SET description = ?1, last_updated_time = ?2 WHERE name = ?3 AND version = ?4",
                        params![text, now, name, v],
                    )?;
                }
            }
            record(tx, name, version, "describe", None, Some(text), act)
        })
    }

    /// Sets (`Some(value)`) or removes (`None`) tags of a model or a version.
    pub fn set_registry_tags(
        &mut self,
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
                        "INSERT OR REPLACE INTO registered_model_tags (name, key, value) VALUES (?1, ?2, ?3)",
                        params![name, key, val],
                    )?,
                    (None, None) => tx.execute("DELETE FROM registered_model_tags WHERE name = ?1 AND key = ?2", params![name, key])?,
                    (Some(v), Some(val)) => tx.execute(
                        "INSERT OR REPLACE INTO model_version_tags (name, version, key, value) VALUES (?1, ?2, ?3, ?4)",
                        params![name, v, key, val],
                    )?,
                    (Some(v), None) => tx.execute(
                        "DELETE FROM model_version_tags WHERE name = ?1 AND version = ?2 AND key = ?3",
                        params![name, v, key],
                    )?,
                };
                let kind = if value.is_some() { "tag" } else { "untag" };
                let to = value.as_ref().map(|v| format!("{key}={v}")).unwrap_or_else(|| key.clone());
                record(tx, name, version, kind, None, Some(&to), act)?;
            }
            touch(tx, name)
        })
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

    /// Asks for a version to enter a stage.
    pub fn request_transition(
        &mut self,
        name: &str,
        version: i64,
        stage: Stage,
        act: &Act,
    ) -> Result<TransitionRequest> {
        let id = self.write(|tx| {
            let current = version_stage(tx, name, version)?;
            if current == stage {
                return Err(Error::InvalidState(format!("version {version} of `{name}` is already in {stage}")));
            }
            let open: Option<(i64, String)> = tx
                .query_row(
                    "SELECT id, status FROM transition_requests WHERE name = ?1 AND version = ?2 AND to_stage = ?3
                     AND status IN ('pending', 'approved')",
                    params![name, version, stage.as_str()],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            if let Some((id, status)) = open {
                return Err(Error::AlreadyExists(format!(
                    "request #{id} to move version {version} of `{name}` to {stage} is already {status}"
                )));
            }
            tx.execute(
                "INSERT INTO transition_requests (name, version, to_stage, status, requested_by, requested_at, comment)
                 VALUES (?1, ?2, ?3, 'pending', ?4, ?5, ?6)",
                params![name, version, stage.as_str(), act.actor, now_ms(), act.comment.unwrap_or("")],
            )?;
            let id = tx.last_insert_rowid();
            record(tx, name, Some(version), "request", Some(current.as_str()), Some(stage.as_str()), act)?;
            Ok(id)
        })?;
        self.request(id)
    }

    /// Approves or rejects a pending request.
    pub fn decide_request(
        &mut self,
        id: i64,
        approve: bool,
        allow_self: bool,
        act: &Act,
    ) -> Result<TransitionRequest> {
        self.write(|tx| {
            let req = request_by_id(tx, id)?;
            if req.status != "pending" {
                return Err(Error::InvalidState(format!("request #{id} is {}, not pending", req.status)));
            }
            if !allow_self && req.requested_by.trim().eq_ignore_ascii_case(act.actor.trim()) {
                return Err(Error::Refused(format!(
                    "request #{id} was made by `{}`: someone else must decide it (or set `allow_self_approval = true` under [registry] in .mlf/config.toml)",
                    req.requested_by
                )));
            }
            let status = if approve { "approved" } else { "rejected" };
            tx.execute(
                "UPDATE transition_requests SET status = ?1, decided_by = ?2, decided_at = ?3, decision_comment = ?4 WHERE id = ?5",
                params![status, act.actor, now_ms(), act.comment, id],
            )?;
            let version: i64 = req.version.parse().unwrap_or(0);
            let kind = if approve { "approve" } else { "reject" };
            record(tx, &req.name, Some(version), kind, None, Some(&req.to_stage), act)
        })?;
        self.request(id)
    }

    /// One request.
    pub fn request(&self, id: i64) -> Result<TransitionRequest> {
        request_by_id(self.conn(), id)
    }

    /// Requests, newest first: of one model (or all), pending only unless `all`.
    pub fn requests(&self, name: Option<&str>, all: bool) -> Result<Vec<TransitionRequest>> {
        let status = if all { "1" } else { "status = 'pending'" };
        let mut stmt = self.conn().prepare(&format!(
            "SELECT {REQUEST_COLUMNS} FROM transition_requests WHERE (?1 IS NULL OR name = ?1) AND {status} ORDER BY id DESC"
        ))?;
        let rows = stmt.query_map([name], request_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The pending request for a version (and stage, when several are pending).
    pub fn pending_request_for(
        &self,
        name: &str,
        version: i64,
        stage: Option<Stage>,
    ) -> Result<i64> {
        let mut stmt = self.conn().prepare(
            "SELECT id, to_stage FROM transition_requests WHERE name = ?1 AND version = ?2 AND status = 'pending' ORDER BY id",
        )?;
        let found: Vec<(i64, String)> = stmt
            .query_map(params![name, version], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let found: Vec<_> = found
            .into_iter()
            .filter(|(_, s)| stage.is_none_or(|st| st.as_str() == s))
            .collect();
        match found.as_slice() {
            [(id, _)] => Ok(*id),
            [] => Err(Error::NotFound(format!(
                "no pending request for version {version} of `{name}`"
            ))),
            many => Err(Error::Invalid(format!(
                "version {version} of `{name}` has pending requests to {}: say which with --to",
                many.iter()
                    .map(|(_, s)| s.as_str())
                    .collect::<Vec<_>>()
                    .join(" and ")
            ))),
        }
    }

    /// The history of a model, oldest first (it outlives the model's deletion).
    pub fn registry_history(&self, name: &str) -> Result<Vec<Event>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT id, name, version, kind, from_value, to_value, actor, time, comment FROM registry_events
             WHERE name = ?1 ORDER BY time, id",
        )?;
        let events: Vec<Event> = stmt
            .query_map([name], |r| {
                Ok(Event {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    version: r.get::<_, Option<i64>>(2)?.map(|v| v.to_string()),
                    kind: r.get(3)?,
                    from: r.get(4)?,
                    to: r.get(5)?,
                    actor: r.get(6)?,
                    timestamp: r.get(7)?,
                    comment: r.get(8)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        if events.is_empty() && !model_exists(self.conn(), name)? {
            return Err(not_found_model(name));
        }
        Ok(events)
    }

    /// Which versions were in each stage, and where each alias pointed, at time `at`.
    pub fn registry_at(&self, name: &str, at: i64) -> Result<Snapshot> {
        let events = self.registry_history(name)?;
        let mut stages: BTreeMap<i64, String> = BTreeMap::new();
        let mut aliases: BTreeMap<String, String> = BTreeMap::new();
        let mut existed = false;
        for e in events.iter().filter(|e| e.timestamp <= at) {
            let version = e.version.as_deref().and_then(|v| v.parse::<i64>().ok());
            match (e.kind.as_str(), version) {
                ("create_model", _) => existed = true,
                ("register", Some(v)) => {
                    existed = true;
                    stages.insert(v, "None".into());
                }
                ("stage", Some(v)) => {
                    stages.insert(v, e.to.clone().unwrap_or_default());
                }
                ("delete_version", Some(v)) => {
                    stages.remove(&v);
                }
                ("alias", Some(v)) => {
                    aliases.insert(e.to.clone().unwrap_or_default(), v.to_string());
                }
                ("unalias", _) => {
                    aliases.remove(e.from.as_deref().unwrap_or_default());
                }
                ("delete_model", _) => {
                    existed = false;
                    stages.clear();
                    aliases.clear();
                }
                _ => {}
            }
        }
        if !existed {
            return Err(Error::NotFound(format!(
                "registered model `{name}` did not exist at that time"
            )));
        }
        let mut by_stage: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (v, s) in stages.iter().rev() {
            by_stage.entry(s.clone()).or_default().push(v.to_string());
        }
        Ok(Snapshot {
            name: name.to_string(),
            at,
            stages: by_stage,
            aliases,
        })
    }
}

const REQUEST_COLUMNS: &str = "id, name, version, to_stage, status, requested_by, requested_at, comment, \
    decided_by, decided_at, decision_comment";

fn request_from_row(r: &Row) -> rusqlite::Result<TransitionRequest> {
    Ok(TransitionRequest {
        id: r.get(0)?,
        name: r.get(1)?,
        version: r.get::<_, i64>(2)?.to_string(),
        to_stage: r.get(3)?,
        status: r.get(4)?,
        requested_by: r.get(5)?,
        requested_at: r.get(6)?,
        comment: r.get(7)?,
        decided_by: r.get(8)?,
        decided_at: r.get(9)?,
        decision_comment: r.get(10)?,
    })
}

fn request_by_id(conn: &rusqlite::Connection, id: i64) -> Result<TransitionRequest> {
    conn.query_row(
        &format!("SELECT {REQUEST_COLUMNS} FROM transition_requests WHERE id = ?1"),
        [id],
        request_from_row,
    )
    .optional()?
    .ok_or_else(|| Error::NotFound(format!("no transition request #{id}")))
}

/// A registered-model filter (`name`, `tags.K`) as SQL over `registered_models m`.
fn model_filter_sql(e: &Expr, sql: &mut String, values: &mut Vec<rusqlite::types::Value>) {
    use super::filter::like_to_glob;
    match e {
        Expr::And(items) | Expr::Or(items) => {
            let joiner = if matches!(e, Expr::And(_)) {
                " AND "
            } else {
                " OR "
            };
            sql.push('(');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    sql.push_str(joiner);
                }
                model_filter_sql(item, sql, values);
            }
            sql.push(')');
        }
        Expr::Not(inner) => {
            sql.push_str("(NOT ");
            model_filter_sql(inner, sql, values);
            sql.push(')');
        }
        Expr::Clause(c) => {
            let text = match &c.value {
                Value::Str(s) => s.clone(),
                _ => String::new(),
            };
            let test = |column: &str,
                        sql: &mut String,
                        values: &mut Vec<rusqlite::types::Value>| match c.op
            {
                Op::Eq | Op::Ne => {
                    sql.push_str(&format!("{column} {} ?", c.op.as_str()));
                    values.push(text.clone().into());
                }
                Op::Like => {
                    sql.push_str(&format!("{column} GLOB ?"));
                    values.push(like_to_glob(&text).into());
                }
                Op::ILike => {
                    sql.push_str(&format!("{column} LIKE ?"));
                    values.push(text.clone().into());
                }
                Op::In | Op::NotIn => {
                    let Value::List(items) = &c.value else { return };
                    let not = if c.op == Op::NotIn { "NOT " } else { "" };
                    sql.push_str(&format!(
                        "{column} {not}IN ({})",
                        vec!["?"; items.len()].join(",")
                    ));
                    values.extend(items.iter().map(|s| s.clone().into()));
                }
                _ => sql.push('0'),
            };
            match &c.target {
                Target::Attr(Attr::Name) => {
                    sql.push('(');
                    test("m.name", sql, values);
                    sql.push(')');
                }
                // MLflow's client hides prompts with `tags.mlflow.prompt.is_prompt != 'true'`,
                // where a model without the tag must match.
                Target::Tag(key) if key == "mlflow.prompt.is_prompt" && c.op == Op::Ne => {
                    sql.push_str("m.name NOT IN (SELECT name FROM registered_model_tags WHERE key = ? AND value = ?)");
                    values.push(key.clone().into());
                    values.push(text.clone().into());
                }
                Target::Tag(key) => {
                    match c.op {
                        Op::IsNull | Op::IsNotNull => {
                            let not = if c.op == Op::IsNull { "NOT " } else { "" };
                            sql.push_str(&format!("m.name {not}IN (SELECT name FROM registered_model_tags WHERE key = ?)"));
                            values.push(key.clone().into());
                        }
                        _ => {
                            sql.push_str("m.name IN (SELECT name FROM registered_model_tags WHERE key = ? AND ");
                            values.push(key.clone().into());
                            test("value", sql, values);
                            sql.push(')');
                        }
                    }
                }
                _ => sql.push('0'),
            }
        }
    }
}
