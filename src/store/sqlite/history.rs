//! Metric history: every point of a metric, and the sampled points the UI and the server's
//! bulk endpoints ask for.

use rusqlite::{Row, params, params_from_iter};

use super::Store;
use crate::store::Result;
use crate::store::paging::{self, Page};
use crate::tracking::Metric;

/// A metric's lowest and highest value and its number of points.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Extremes {
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub points: usize,
}

impl Store {
    /// The whole history of one metric of a run, by step then timestamp.
    pub fn metric_history(&self, uuid: &str, key: &str) -> Result<Vec<Metric>> {
        let (pk, _) = Store::run_key(self.conn(), uuid)?;
        let mut stmt = self.conn().prepare_cached(
            "SELECT key, value, timestamp, step, is_nan FROM metrics
             WHERE run_id = ?1 AND key = ?2 ORDER BY step, timestamp",
        )?;
        let rows = stmt.query_map(params![pk, key], |r| metric_from(r, 0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The lowest and highest value (NaN left out; none when every point is NaN) and the
    /// number of points of every metric of the given runs, keyed by run id and metric key;
    /// one query over the metrics' primary key.
    pub fn metric_extremes(
        &self,
        uuids: &[String],
    ) -> Result<std::collections::HashMap<(String, String), Extremes>> {
        let mut out = std::collections::HashMap::new();
        for chunk in uuids.chunks(500) {
            let marks = vec!["?"; chunk.len()].join(", ");
            let sql = format!(
                "SELECT r.run_uuid, m.key,
                        MIN(CASE WHEN m.is_nan = 0 THEN m.value END),
                        MAX(CASE WHEN m.is_nan = 0 THEN m.value END), COUNT(*)
                 FROM runs r JOIN metrics m ON m.run_id = r.id
                 WHERE r.run_uuid IN ({marks})
                 GROUP BY r.id, m.key"
            );
            let mut stmt = self.conn().prepare(&sql)?;
            let rows = stmt.query_map(params_from_iter(chunk.iter()), |r| {
                Ok((
                    (r.get::<_, String>(0)?, r.get::<_, String>(1)?),
                    Extremes {
                        min: r.get(2)?,
                        max: r.get(3)?,
                        points: r.get::<_, i64>(4)? as usize,
                    },
                ))
            })?;
            for row in rows {
                let (k, v) = row?;
                out.insert(k, v);
            }
        }
        Ok(out)
    }

    /// A metric's points as (step, timestamp in ms, value) by step then timestamp, NaN as
    /// NaN: what a chart draws, without building a `Metric` per point.
    pub fn metric_points(&self, uuid: &str, key: &str) -> Result<Vec<(i64, i64, f64)>> {
        let (pk, _) = Store::run_key(self.conn(), uuid)?;
        let mut stmt = self.conn().prepare_cached(
            "SELECT step, timestamp, value, is_nan FROM metrics
             WHERE run_id = ?1 AND key = ?2 ORDER BY step, timestamp",
        )?;
        let rows = stmt.query_map(params![pk, key], |r| {
            let nan: bool = r.get(3)?;
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                if nan { f64::NAN } else { r.get::<_, f64>(2)? },
            ))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The lowest and highest step of a metric's history; `None` when it has no point.
    pub fn metric_step_range(&self, uuid: &str, key: &str) -> Result<Option<(i64, i64)>> {
        let (pk, _) = Store::run_key(self.conn(), uuid)?;
        // Two subqueries, each one seek into the primary key.
        let range: (Option<i64>, Option<i64>) = self.conn().query_row(
            "SELECT (SELECT MIN(step) FROM metrics WHERE run_id = ?1 AND key = ?2),
                    (SELECT MAX(step) FROM metrics WHERE run_id = ?1 AND key = ?2)",
            params![pk, key],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(range.0.zip(range.1))
    }

    /// Hands each point of a metric's history with a step in `low..=high` to `f`, as
    /// (step, value) by step then timestamp, NaN as NaN, without holding them all.
    pub fn each_metric_point(
        &self,
        uuid: &str,
        key: &str,
        (low, high): (i64, i64),
        mut f: impl FnMut(i64, f64),
    ) -> Result<()> {
        let (pk, _) = Store::run_key(self.conn(), uuid)?;
        let mut stmt = self.conn().prepare_cached(
            "SELECT step, value, is_nan FROM metrics
             WHERE run_id = ?1 AND key = ?2 AND step >= ?3 AND step <= ?4
             ORDER BY step, timestamp",
        )?;
        let mut rows = stmt.query(params![pk, key, low, high])?;
        while let Some(r) = rows.next()? {
            let nan: bool = r.get(2)?;
            f(r.get(0)?, if nan { f64::NAN } else { r.get(1)? });
        }
        Ok(())
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
        let (pk, _) = Store::run_key(self.conn(), uuid)?;
        let mut sql = String::from(
            "SELECT key, value, timestamp, step, is_nan FROM metrics WHERE run_id = ? AND key = ?",
        );
        let mut values: Vec<rusqlite::types::Value> = vec![pk.into(), key.to_string().into()];
        if let Some(t) = page_token {
            let (ts, step, value, nan) = paging::point_key(t)?;
            sql.push_str(" AND (timestamp, step, value, is_nan) > (?, ?, ?, ?)");
            values.extend([ts.into(), step.into(), value.into(), i64::from(nan).into()]);
        }
        sql.push_str(" ORDER BY timestamp, step, value, is_nan LIMIT ?");
        let limit = limit.unwrap_or(usize::MAX);
        values.push((limit.min(i64::MAX as usize - 1) as i64 + 1).into());
        let mut stmt = self.conn().prepare(&sql)?;
        let rows = stmt
            .query_map(params_from_iter(values.iter()), |r| metric_from(r, 0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(paging::split_by(rows, limit, paging::point_token))
    }

    /// Some points of a metric of a run, optionally only those with a step in `steps`
    /// (inclusive), ordered by step, timestamp, value (a NaN as 0), then NaN last. `pick` is
    /// given how many points there are and answers the positions to keep, in ascending
    /// order. An unknown run has no points. One statement, so the count and the points agree.
    pub fn metric_points_at(
        &self,
        uuid: &str,
        key: &str,
        steps: Option<(i64, i64)>,
        pick: impl FnOnce(usize) -> Vec<usize>,
    ) -> Result<Vec<Metric>> {
        let (low, high) = steps.unzip();
        let mut stmt = self.conn().prepare_cached(
            "SELECT m.key, m.value, m.timestamp, m.step, m.is_nan, COUNT(*) OVER ()
             FROM metrics m JOIN runs r ON r.id = m.run_id
             WHERE r.run_uuid = ?1 AND m.key = ?2
               AND (?3 IS NULL OR m.step >= ?3) AND (?4 IS NULL OR m.step <= ?4)
             ORDER BY m.step, m.timestamp, m.value, m.is_nan",
        )?;
        let mut rows = stmt.query(params![uuid, key, low, high])?;
        let mut out = Vec::new();
        let mut wanted = Vec::new().into_iter().peekable();
        let mut pick = Some(pick);
        let mut at = 0usize;
        while let Some(row) = rows.next()? {
            if let Some(pick) = pick.take() {
                let total: i64 = row.get(5)?;
                wanted = pick(total.max(0) as usize).into_iter().peekable();
            }
            while wanted.next_if(|w| *w < at).is_some() {}
            if wanted.peek().is_none() {
                break;
            }
            if wanted.next_if_eq(&at).is_some() {
                out.push(metric_from(row, 0)?);
            }
            at += 1;
        }
        Ok(out)
    }

    /// The points of a metric of several runs, with each point's run id, ordered by run id,
    /// timestamp, step, value (a NaN as 0), then NaN last; at most `limit`. Unknown runs have
    /// no points.
    pub fn metric_points_of_runs(
        &self,
        uuids: &[String],
        key: &str,
        limit: usize,
    ) -> Result<Vec<(String, Metric)>> {
        if uuids.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let marks = vec!["?"; uuids.len()].join(", ");
        let sql = format!(
            "SELECT m.key, m.value, m.timestamp, m.step, m.is_nan, r.run_uuid
             FROM metrics m JOIN runs r ON r.id = m.run_id
             WHERE m.key = ? AND r.run_uuid IN ({marks})
             ORDER BY r.run_uuid, m.timestamp, m.step, m.value, m.is_nan
             LIMIT ?"
        );
        let mut args: Vec<rusqlite::types::Value> = Vec::with_capacity(uuids.len() + 2);
        args.push(key.to_string().into());
        args.extend(uuids.iter().map(|u| u.clone().into()));
        args.push(i64::try_from(limit).unwrap_or(i64::MAX).into());
        let mut stmt = self.conn().prepare(&sql)?;
        let rows = stmt.query_map(params_from_iter(args), |r| {
            Ok((r.get::<_, String>(5)?, metric_from(r, 0)?))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

pub(super) fn metric_from(r: &Row, at: usize) -> rusqlite::Result<Metric> {
    let is_nan: bool = r.get(at + 4)?;
    Ok(Metric {
        key: r.get(at)?,
        value: if is_nan { f64::NAN } else { r.get(at + 1)? },
        timestamp: r.get(at + 2)?,
        step: r.get(at + 3)?,
    })
}
