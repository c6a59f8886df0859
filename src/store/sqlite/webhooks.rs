//! Webhooks for registry events, and the registry's history read as an outbox: the server
//! delivers each event recorded after the ones it has seen.

use rusqlite::{OptionalExtension, params};

use super::Store;
use crate::registry::webhooks::{Webhook, WebhookEvent};
use crate::store::{Error, Result};
use crate::tracking::ids::now_ms;

/// What a webhook is made or changed with; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct WebhookChange {
    pub name: Option<String>,
    pub description: Option<String>,
    pub url: Option<String>,
    pub events: Option<Vec<WebhookEvent>>,
    pub secret: Option<String>,
    pub status: Option<String>,
}

/// One recorded registry event, as the outbox reads it.
#[derive(Debug, Clone)]
pub struct RegistryEvent {
    pub id: i64,
    pub name: String,
    pub version: Option<i64>,
    pub kind: String,
    pub from: Option<String>,
    pub to: Option<String>,
    pub actor: String,
    pub comment: Option<String>,
}

fn not_found(id: &str) -> Error {
    Error::NotFound(crate::store::Missing::Webhook(id.to_string()))
}

impl Store {
    /// Makes a webhook from `new` (name, url and events given).
    pub fn create_webhook(&mut self, new: WebhookChange) -> Result<Webhook> {
        let id = uuid::Uuid::new_v4().to_string();
        let now = now_ms();
        self.write(|tx| {
            tx.execute(
                "INSERT INTO webhooks (webhook_id, name, description, url, secret, status, creation_time, last_updated_time)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
                params![
                    id,
                    new.name.clone().unwrap_or_default(),
                    new.description.clone().unwrap_or_default(),
                    new.url.clone().unwrap_or_default(),
                    new.secret.clone().unwrap_or_default(),
                    new.status.clone().unwrap_or_else(|| "ACTIVE".into()),
                    now
                ],
            )?;
            for e in new.events.iter().flatten() {
                tx.execute(
                    "INSERT OR IGNORE INTO webhook_events (webhook_id, entity, action) VALUES (?1, ?2, ?3)",
                    params![id, e.entity, e.action],
                )?;
            }
            Ok(())
        })?;
        self.webhook(&id)
    }

    /// A webhook, with its secret (the server never answers it).
    pub fn webhook(&self, id: &str) -> Result<Webhook> {
        let conn = self.conn();
        let mut w = conn
            .query_row(
                "SELECT webhook_id, name, description, url, secret, status, creation_time, last_updated_time
                   FROM webhooks WHERE webhook_id = ?1",
                [id],
                |r| {
                    Ok(Webhook {
                        webhook_id: r.get(0)?,
                        name: r.get(1)?,
                        description: r.get(2)?,
                        url: r.get(3)?,
                        secret: r.get(4)?,
                        status: r.get(5)?,
                        creation_timestamp: r.get(6)?,
                        last_updated_timestamp: r.get(7)?,
                        events: Vec::new(),
                    })
                },
            )
            .optional()?
            .ok_or_else(|| not_found(id))?;
        w.events = conn
            .prepare_cached(
                "SELECT entity, action FROM webhook_events WHERE webhook_id = ?1 ORDER BY entity, action",
            )?
            .query_map([id], |r| {
                Ok(WebhookEvent {
                    entity: r.get(0)?,
                    action: r.get(1)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(w)
    }

    /// One page of webhooks, newest first, after the one `page_token` names.
    pub fn list_webhooks(
        &self,
        limit: usize,
        page_token: Option<&str>,
    ) -> Result<crate::store::paging::Page<Webhook>> {
        let mut sql = String::from("SELECT webhook_id, creation_time FROM webhooks WHERE 1");
        let mut values: Vec<rusqlite::types::Value> = Vec::new();
        if let Some(t) = page_token {
            let (time, id) = crate::store::paging::key(t)?;
            sql.push_str(" AND (creation_time < ? OR (creation_time = ? AND webhook_id > ?))");
            values.extend([time.into(), time.into(), id.into()]);
        }
        sql.push_str(" ORDER BY creation_time DESC, webhook_id ASC LIMIT ?");
        values.push((limit.min(i64::MAX as usize - 1) as i64 + 1).into());
        let rows: Vec<(String, i64)> = self
            .conn()
            .prepare(&sql)?
            .query_map(rusqlite::params_from_iter(values.iter()), |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let (rows, next) = crate::store::paging::split(rows, limit, |(id, t)| (*t, id.clone()));
        let hooks = rows
            .iter()
            .map(|(id, _)| self.webhook(id))
            .collect::<Result<_>>()?;
        Ok((hooks, next))
    }

    /// Changes what `change` gives of a webhook.
    pub fn update_webhook(&mut self, id: &str, change: WebhookChange) -> Result<Webhook> {
        self.webhook(id)?;
        let now = now_ms();
        self.write(|tx| {
            let fields = [
                ("name", &change.name),
                ("description", &change.description),
                ("url", &change.url),
                ("secret", &change.secret),
                ("status", &change.status),
            ];
            for (column, value) in fields {
                if let Some(v) = value {
                    let sql = match column {
                        "name" => "UPDATE webhooks SET name = ?1 WHERE webhook_id = ?2",
                        "description" => "UPDATE webhooks SET description = ?1 WHERE webhook_id = ?2",
                        "url" => "UPDATE webhooks SET url = ?1 WHERE webhook_id = ?2",
                        "secret" => "UPDATE webhooks SET secret = ?1 WHERE webhook_id = ?2",
                        _ => "UPDATE webhooks SET status = ?1 WHERE webhook_id = ?2",
                    };
                    tx.prepare_cached(sql)?.execute(params![v, id])?;
                }
            }
            if let Some(events) = &change.events {
                tx.execute("DELETE FROM webhook_events WHERE webhook_id = ?1", [id])?;
                for e in events {
                    tx.execute(
                        "INSERT OR IGNORE INTO webhook_events (webhook_id, entity, action) VALUES (?1, ?2, ?3)",
                        params![id, e.entity, e.action],
                    )?;
                }
            }
            tx.execute(
                "UPDATE webhooks SET last_updated_time = ?1 WHERE webhook_id = ?2",
                params![now, id],
            )?;
            Ok(())
        })?;
        self.webhook(id)
    }

    pub fn delete_webhook(&mut self, id: &str) -> Result<()> {
        self.webhook(id)?;
        self.write(|tx| {
            tx.execute("DELETE FROM webhook_events WHERE webhook_id = ?1", [id])?;
            tx.execute("DELETE FROM webhooks WHERE webhook_id = ?1", [id])?;
            Ok(())
        })
    }

    /// The active webhooks that take an event.
    pub fn webhooks_for(&self, event: &WebhookEvent) -> Result<Vec<Webhook>> {
        let ids: Vec<String> = self
            .conn()
            .prepare_cached(
                "SELECT w.webhook_id FROM webhooks w JOIN webhook_events e USING (webhook_id)
                  WHERE w.status = 'ACTIVE' AND e.entity = ?1 AND e.action = ?2 ORDER BY w.webhook_id",
            )?
            .query_map(params![event.entity, event.action], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        ids.iter().map(|id| self.webhook(id)).collect()
    }

    /// The id of the last registry event recorded (0 when none).
    pub fn last_registry_event(&self) -> Result<i64> {
        Ok(self.conn().query_row(
            "SELECT COALESCE(MAX(id), 0) FROM registry_events",
            [],
            |r| r.get(0),
        )?)
    }

    /// The registry events recorded after `after`, oldest first.
    pub fn registry_events_after(&self, after: i64) -> Result<Vec<RegistryEvent>> {
        let rows = self
            .conn()
            .prepare_cached(
                "SELECT id, name, version, kind, from_value, to_value, actor, comment
                   FROM registry_events WHERE id > ?1 ORDER BY id LIMIT 1000",
            )?
            .query_map([after], |r| {
                Ok(RegistryEvent {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    version: r.get(2)?,
                    kind: r.get(3)?,
                    from: r.get(4)?,
                    to: r.get(5)?,
                    actor: r.get(6)?,
                    comment: r.get(7)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }
}
