//! Stage-transition requests and their approval, and the registry's history: every change
//! recorded, and what held each stage and alias at a moment.
//!
//! Written once for both database stores: `postgres/requests.rs` and `mysql/requests.rs` expand
//! [`queries`] with their own client in scope (`GenericClient`, `Row`, `Transaction`);
//! the statements are PostgreSQL's, which the MySQL client translates (`mysql/sql.rs`).

/// The items of `requests` for the database store type `$store`.
macro_rules! queries {
    ($store:ident) => {
        use std::collections::BTreeMap;

        use super::registry::{lock_model, model_exists, not_found_model, record, version_stage};
        use crate::registry::{Event, Stage, TransitionRequest};
        use crate::store::{Act, Error, Missing, Result, Snapshot};
        use crate::tracking::ids::now_ms;

        const REQUEST_COLUMNS: &str = "id, name, version, to_stage, status, requested_by, requested_at, comment, \
            decided_by, decided_at, decision_comment";

        fn request_from_row(r: &Row) -> TransitionRequest {
            TransitionRequest {
                id: r.get(0),
                name: r.get(1),
                version: r.get::<_, i64>(2).to_string(),
                to_stage: r.get(3),
                status: r.get(4),
                requested_by: r.get(5),
                requested_at: r.get(6),
                comment: r.get(7),
                decided_by: r.get(8),
                decided_at: r.get(9),
                decision_comment: r.get(10),
            }
        }

        fn request_by_id(c: &mut impl GenericClient, id: i64, lock: bool) -> Result<TransitionRequest> {
            let lock = if lock { " FOR UPDATE" } else { "" };
            c.query_opt(
                &format!("SELECT {REQUEST_COLUMNS} FROM transition_requests WHERE id = $1{lock}"),
                &[&id],
            )?
            .map(|r| request_from_row(&r))
            .ok_or_else(|| Error::NotFound(Missing::Request(id)))
        }

        impl $store {
            /// Asks for a version to enter a stage.
            pub fn request_transition(
                &self,
                name: &str,
                version: i64,
                stage: Stage,
                act: &Act,
            ) -> Result<TransitionRequest> {
                let id = self.write(|tx| {
                    lock_model(tx, name)?;
                    let current = version_stage(tx, name, version)?;
                    if current == stage {
                        return Err(Error::InvalidState(format!(
                            "version {version} of `{name}` is already in {stage}"
                        )));
                    }
                    let open = tx.query_opt(
                        "SELECT id, status FROM transition_requests WHERE name = $1 AND version = $2 AND to_stage = $3
                         AND status IN ('pending', 'approved')",
                        &[&name, &version, &stage.as_str()],
                    )?;
                    if let Some(row) = open {
                        let (id, status): (i64, String) = (row.get(0), row.get(1));
                        return Err(Error::AlreadyExists(format!(
                            "request #{id} to move version {version} of `{name}` to {stage} is already {status}"
                        )));
                    }
                    let id = tx.insert_id(
                        "INSERT INTO transition_requests (name, version, to_stage, status, requested_by, requested_at, comment)
                         VALUES ($1, $2, $3, 'pending', $4, $5, $6) RETURNING id",
                        &[&name, &version, &stage.as_str(), &act.actor, &now_ms(), &act.comment.unwrap_or("")],
                    )?;
                    record(tx, name, Some(version), "request", Some(current.as_str()), Some(stage.as_str()), act)?;
                    Ok(id)
                })?;
                self.request(id)
            }

            /// Approves or rejects a pending request.
            pub fn decide_request(
                &self,
                id: i64,
                approve: bool,
                allow_self: bool,
                act: &Act,
            ) -> Result<TransitionRequest> {
                self.write(|tx| {
                    let req = request_by_id(tx, id, true)?;
                    if req.status != "pending" {
                        return Err(Error::InvalidState(format!(
                            "request #{id} is {}, not pending",
                            req.status
                        )));
                    }
                    if !allow_self && req.requested_by.trim().eq_ignore_ascii_case(act.actor.trim()) {
                        return Err(Error::Refused(format!(
                            "request #{id} was made by `{}`: someone else must decide it (or set `allow_self_approval = true` under [registry] in .mlf/config.toml)",
                            req.requested_by
                        )));
                    }
                    let status = if approve { "approved" } else { "rejected" };
                    tx.execute(
                        "UPDATE transition_requests SET status = $1, decided_by = $2, decided_at = $3, decision_comment = $4
                         WHERE id = $5",
                        &[&status, &act.actor, &now_ms(), &act.comment, &id],
                    )?;
                    let version: i64 = req.version.parse().unwrap_or(0);
                    let kind = if approve { "approve" } else { "reject" };
                    record(tx, &req.name, Some(version), kind, None, Some(&req.to_stage), act)
                })?;
                self.request(id)
            }

            /// One request.
            pub fn request(&self, id: i64) -> Result<TransitionRequest> {
                request_by_id(&mut *self.client(), id, false)
            }

            /// Requests, newest first: of one model (or all), pending only unless `all`.
            pub fn requests(&self, name: Option<&str>, all: bool) -> Result<Vec<TransitionRequest>> {
                let status = if all { "TRUE" } else { "status = 'pending'" };
                let rows = self.client().query(
                    &format!(
                        "SELECT {REQUEST_COLUMNS} FROM transition_requests
                         WHERE ($1::TEXT IS NULL OR name = $1) AND {status} ORDER BY id DESC"
                    ),
                    &[&name],
                )?;
                Ok(rows.iter().map(request_from_row).collect())
            }

            /// The pending request for a version (and stage, when several are pending).
            pub fn pending_request_for(
                &self,
                name: &str,
                version: i64,
                stage: Option<Stage>,
            ) -> Result<i64> {
                let found: Vec<(i64, String)> = self
                    .client()
                    .query(
                        "SELECT id, to_stage FROM transition_requests
                         WHERE name = $1 AND version = $2 AND status = 'pending' ORDER BY id",
                        &[&name, &version],
                    )?
                    .iter()
                    .map(|r| (r.get(0), r.get(1)))
                    .filter(|(_, s): &(i64, String)| stage.is_none_or(|st| st.as_str() == s))
                    .collect();
                match found.as_slice() {
                    [(id, _)] => Ok(*id),
                    [] => Err(Error::NotFound(Missing::PendingRequest {
                        name: name.to_string(),
                        version,
                    })),
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
                let mut client = self.client();
                let events: Vec<Event> = client
                    .query(
                        "SELECT id, name, version, kind, from_value, to_value, actor, time, comment
                         FROM registry_events WHERE name = $1 ORDER BY time, id",
                        &[&name],
                    )?
                    .iter()
                    .map(|r| Event {
                        id: r.get(0),
                        name: r.get(1),
                        version: r.get::<_, Option<i64>>(2).map(|v| v.to_string()),
                        kind: r.get(3),
                        from: r.get(4),
                        to: r.get(5),
                        actor: r.get(6),
                        timestamp: r.get(7),
                        comment: r.get(8),
                    })
                    .collect();
                if events.is_empty() && !model_exists(&mut *client, name)? {
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
                    return Err(Error::NotFound(Missing::RegisteredModelThen(
                        name.to_string(),
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
    };
}
pub(crate) use queries;
