//! The registry's part of `mlf push` and `mlf pull`: registered models read whole (tags,
//! aliases, versions with their tags), a digest of each, and models merged in. A version
//! number is write-once, like a param: the same number from another source is a conflict,
//! reported and left as it is. Of two copies of a model or version, the one updated last
//! gives its description, stage, tags and aliases. A version that comes with a run's
//! artifacts points at that run's files here.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, params};

use super::Store;
use crate::protocol::sync::{
    ModelBundle, ModelDigest, RegistryReport, VersionBundle, VersionConflict,
};
use crate::store::Result;

fn pairs<T: rusqlite::types::FromSql>(
    conn: &Connection,
    sql: &str,
    args: impl rusqlite::Params,
) -> Result<Vec<(String, T)>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let out = stmt
        .query_map(args, |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(out)
}

impl Store {
    /// The registered models named (all when `None`), whole.
    pub fn sync_models(&self, names: Option<&[String]>) -> Result<Vec<ModelBundle>> {
        let conn = self.conn();
        let all: Vec<String> = match names {
            Some(n) => n.to_vec(),
            None => {
                let mut stmt = conn.prepare("SELECT name FROM registered_models ORDER BY name")?;
                stmt.query_map([], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?
            }
        };
        let mut out = Vec::new();
        for name in all {
            let row: Option<(String, String, i64, i64)> = conn
                .query_row(
                    "SELECT description, user_id, creation_time, last_updated_time
                     FROM registered_models WHERE name = ?1",
                    [&name],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()?;
            let Some((description, user_id, creation_time, last_updated_time)) = row else {
                continue;
            };
            let mut stmt = conn.prepare_cached(
                "SELECT version, description, user_id, current_stage, source, run_id, status,
                        deleted, creation_time, last_updated_time, storage_location
                 FROM model_versions WHERE name = ?1 ORDER BY version",
            )?;
            let mut versions: Vec<VersionBundle> = stmt
                .query_map([&name], |r| {
                    Ok(VersionBundle {
                        version: r.get(0)?,
                        description: r.get(1)?,
                        user_id: r.get(2)?,
                        current_stage: r.get(3)?,
                        source: r.get(4)?,
                        run_id: r.get(5)?,
                        status: r.get(6)?,
                        deleted: r.get(7)?,
                        creation_time: r.get(8)?,
                        last_updated_time: r.get(9)?,
                        tags: Vec::new(),
                        storage_location: r.get(10)?,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?;
            for v in &mut versions {
                v.tags = pairs(
                    conn,
                    "SELECT key, value FROM model_version_tags WHERE name = ?1 AND version = ?2 ORDER BY key",
                    params![name, v.version],
                )?;
            }
            out.push(ModelBundle {
                tags: pairs(
                    conn,
                    "SELECT key, value FROM registered_model_tags WHERE name = ?1 ORDER BY key",
                    [&name],
                )?,
                aliases: pairs(
                    conn,
                    "SELECT alias, version FROM registered_model_aliases WHERE name = ?1 ORDER BY alias",
                    [&name],
                )?,
                name,
                description,
                user_id,
                creation_time,
                last_updated_time,
                versions,
            });
        }
        Ok(out)
    }

    /// A digest of every registered model: equal when two stores hold the same (where the
    /// files are aside).
    pub fn sync_model_digests(&self) -> Result<Vec<ModelDigest>> {
        Ok(self
            .sync_models(None)?
            .into_iter()
            .map(|m| ModelDigest {
                hash: m.digest(),
                name: m.name,
            })
            .collect())
    }

    /// Merges registered models in, one transaction.
    pub fn sync_merge_models(&mut self, models: &[ModelBundle]) -> Result<RegistryReport> {
        let root = self.root().to_path_buf();
        let artifact_root = self.artifact_root();
        self.write(|tx| {
            let mut report = RegistryReport::default();
            for m in models {
                merge_model(tx, &root, &artifact_root, m, &mut report)?;
            }
            Ok(report)
        })
    }
}

/// Where this store keeps the files of a version from `runs:/RUN/PATH`: the run's artifacts
/// here, relative to the store when inside it.
fn run_location(
    tx: &Connection,
    root: &std::path::Path,
    artifact_root: &std::path::Path,
    v: &VersionBundle,
) -> Result<Option<String>> {
    let Some(rest) = v.source.strip_prefix("runs:/") else {
        return Ok(None);
    };
    let (run, path) = rest.split_once('/').unwrap_or((rest, ""));
    let row: Option<(i64, Option<String>, Option<String>)> = tx
        .query_row(
            "SELECT r.experiment_id, r.artifact_uri, e.artifact_location FROM runs r
             JOIN experiments e ON e.experiment_id = r.experiment_id WHERE r.run_uuid = ?1",
            [run],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((exp, uri, location)) = row else {
        return Ok(None);
    };
    let dir = match uri {
        Some(u) => std::path::PathBuf::from(u.strip_prefix("file://").unwrap_or(&u)),
        None => location
            .map(|l| std::path::PathBuf::from(l.strip_prefix("file://").unwrap_or(&l)))
            .unwrap_or_else(|| artifact_root.join(exp.to_string()))
            .join(run)
            .join("artifacts"),
    };
    let full = if path.is_empty() { dir } else { dir.join(path) };
    Ok(Some(match full.strip_prefix(root) {
        Ok(rel) if !rel.as_os_str().is_empty() => rel.display().to_string(),
        _ => full.display().to_string(),
    }))
}

fn merge_model(
    tx: &Connection,
    root: &std::path::Path,
    artifact_root: &std::path::Path,
    m: &ModelBundle,
    report: &mut RegistryReport,
) -> Result<()> {
    let here: Option<(String, i64)> = tx
        .query_row(
            "SELECT description, last_updated_time FROM registered_models WHERE name = ?1",
            [&m.name],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let newer = match here {
        None => {
            tx.execute(
                "INSERT INTO registered_models (name, description, user_id, creation_time, last_updated_time)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![m.name, m.description, m.user_id, m.creation_time, m.last_updated_time],
            )?;
            report.models += 1;
            true
        }
        Some((description, updated)) => {
            let newer = m.last_updated_time > updated;
            if newer {
                tx.execute(
                    "UPDATE registered_models SET description = ?1, last_updated_time = ?2 WHERE name = ?3",
                    params![m.description, m.last_updated_time, m.name],
                )?;
                if description != m.description {
                    report.updated += 1;
                }
            }
            newer
        }
    };
    report.tags += merge_tags(
        tx,
        "SELECT key, value FROM registered_model_tags WHERE name = ?1",
        "INSERT INTO registered_model_tags (name, key, value) VALUES (?1, ?2, ?3)
         ON CONFLICT (name, key) DO UPDATE SET value = excluded.value",
        &m.name,
        None,
        &m.tags,
        newer,
    )?;
    for v in &m.versions {
        merge_version(tx, root, artifact_root, &m.name, v, report)?;
    }
    let aliases: HashMap<String, i64> = pairs(
        tx,
        "SELECT alias, version FROM registered_model_aliases WHERE name = ?1",
        [&m.name],
    )?
    .into_iter()
    .collect();
    for (alias, version) in &m.aliases {
        let put = match aliases.get(alias) {
            None => true,
            Some(v) => v != version && newer,
        };
        if put {
            tx.execute(
                "INSERT INTO registered_model_aliases (name, alias, version) VALUES (?1, ?2, ?3)
                 ON CONFLICT (name, alias) DO UPDATE SET version = excluded.version",
                params![m.name, alias, version],
            )?;
            report.aliases += 1;
        }
    }
    Ok(())
}

fn merge_version(
    tx: &Connection,
    root: &std::path::Path,
    artifact_root: &std::path::Path,
    name: &str,
    v: &VersionBundle,
    report: &mut RegistryReport,
) -> Result<()> {
    let here: Option<(String, String, i64)> = tx
        .query_row(
            "SELECT source, run_id, last_updated_time FROM model_versions WHERE name = ?1 AND version = ?2",
            params![name, v.version],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let newer = match here {
        None => {
            let location = match v.registry_files() {
                Some(rel) => {
                    report.files.push(rel.to_string());
                    rel.to_string()
                }
                None => run_location(tx, root, artifact_root, v)?
                    .unwrap_or_else(|| v.storage_location.clone()),
            };
            tx.execute(
                "INSERT INTO model_versions (name, version, description, user_id, current_stage,
                    source, run_id, storage_location, status, deleted, creation_time, last_updated_time)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                params![
                    name,
                    v.version,
                    v.description,
                    v.user_id,
                    v.current_stage,
                    v.source,
                    v.run_id,
                    location,
                    v.status,
                    v.deleted,
                    v.creation_time,
                    v.last_updated_time
                ],
            )?;
            report.versions += 1;
            true
        }
        Some((source, run_id, _)) if source != v.source || run_id != v.run_id => {
            report.conflicts.push(VersionConflict {
                name: name.to_string(),
                version: v.version,
                kept: source,
                refused: v.source.clone(),
            });
            return Ok(());
        }
        Some((_, _, updated)) => {
            let newer = v.last_updated_time > updated;
            if newer {
                tx.execute(
                    "UPDATE model_versions SET description = ?1, current_stage = ?2, status = ?3,
                        deleted = ?4, last_updated_time = ?5 WHERE name = ?6 AND version = ?7",
                    params![
                        v.description,
                        v.current_stage,
                        v.status,
                        v.deleted,
                        v.last_updated_time,
                        name,
                        v.version
                    ],
                )?;
                report.updated += 1;
            }
            newer
        }
    };
    report.tags += merge_tags(
        tx,
        "SELECT key, value FROM model_version_tags WHERE name = ?1 AND version = ?2",
        "INSERT INTO model_version_tags (name, version, key, value) VALUES (?1, ?4, ?2, ?3)
         ON CONFLICT (name, version, key) DO UPDATE SET value = excluded.value",
        name,
        Some(v.version),
        &v.tags,
        newer,
    )?;
    Ok(())
}

/// Adds the tags missing here, and changes those that differ when the incoming copy is newer;
/// answers how many were written.
fn merge_tags(
    tx: &Connection,
    select: &str,
    upsert: &str,
    name: &str,
    version: Option<i64>,
    tags: &[(String, String)],
    newer: bool,
) -> Result<usize> {
    let here: HashMap<String, String> = match version {
        Some(v) => pairs(tx, select, params![name, v])?,
        None => pairs(tx, select, [name])?,
    }
    .into_iter()
    .collect();
    let mut written = 0;
    let mut put = tx.prepare_cached(upsert)?;
    for (k, value) in tags {
        let write = match here.get(k) {
            None => true,
            Some(old) => old != value && newer,
        };
        if write {
            match version {
                Some(v) => put.execute(params![name, k, value, v])?,
                None => put.execute(params![name, k, value])?,
            };
            written += 1;
        }
    }
    Ok(written)
}
