//! A synthetic store for benchmarks: many runs with params, tags and metric histories, written
//! straight into the tables in large transactions.

use rusqlite::params;

use super::Store;
use crate::store::Result;
use crate::tracking::ids::{new_run_id, now_ms};

/// The shape of a synthetic store.
#[derive(Debug, Clone)]
pub struct Synthetic {
    pub experiment: String,
    pub runs: usize,
    pub params: usize,
    pub metrics: usize,
    pub steps: usize,
    pub tags: usize,
    pub seed: u64,
}

/// Metric and param names used first, so that benchmark filters read naturally.
const METRICS: [&str; 5] = ["rmse", "r2", "mae", "loss", "acc"];
const PARAMS: [&str; 3] = ["alpha", "l1_ratio", "optimizer"];

fn next(state: &mut u64) -> f64 {
    // xorshift64*: fast and repeatable.
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
}

impl Store {
    /// Writes `spec.runs` finished runs into a new experiment; returns its id.
    pub fn generate_synthetic(
        &mut self,
        spec: &Synthetic,
        progress: &mut dyn FnMut(usize),
    ) -> Result<String> {
        let exp = self.create_experiment(&spec.experiment, None)?;
        let exp_id: i64 = exp.experiment_id.parse().unwrap_or(0);
        let metric_names: Vec<String> = (0..spec.metrics)
            .map(|i| {
                METRICS
                    .get(i)
                    .map_or_else(|| format!("m{i}"), |s| s.to_string())
            })
            .collect();
        let param_names: Vec<String> = (0..spec.params)
            .map(|i| {
                PARAMS
                    .get(i)
                    .map_or_else(|| format!("p{i}"), |s| s.to_string())
            })
            .collect();
        let mut rng = spec.seed.max(1);
        let start = now_ms() - spec.runs as i64 * 60_000;
        let chunk = 500;
        let mut done = 0;
        self.conn().pragma_update(None, "synchronous", "OFF")?;
        while done < spec.runs {
            let n = chunk.min(spec.runs - done);
            self.write(|tx| {
                let mut run_stmt = tx.prepare_cached(
                    "INSERT INTO runs (run_uuid, name, experiment_id, user_id, status, start_time, end_time, lifecycle_stage)
                     VALUES (?1, ?2, ?3, 'bench', 'FINISHED', ?4, ?5, 'active')",
                )?;
                let mut param_stmt = tx.prepare_cached("INSERT INTO params (run_id, key, value) VALUES (?1, ?2, ?3)")?;
                let mut tag_stmt = tx.prepare_cached("INSERT INTO tags (run_id, key, value) VALUES (?1, ?2, ?3)")?;
                let mut metric_stmt = tx.prepare_cached(
                    "INSERT INTO metrics (run_id, key, step, timestamp, value, is_nan) VALUES (?1, ?2, ?3, ?4, ?5, 0)",
                )?;
                let mut latest_stmt = tx.prepare_cached(
                    "INSERT INTO latest_metrics (run_id, key, step, timestamp, value, is_nan) VALUES (?1, ?2, ?3, ?4, ?5, 0)",
                )?;
                for i in done..done + n {
                    let t0 = start + i as i64 * 60_000;
                    let name = format!("bench-{i}");
                    run_stmt.execute(params![new_run_id(), name, exp_id, t0, t0 + 30_000])?;
                    let pk = tx.last_insert_rowid();
                    tag_stmt.execute(params![pk, "mlflow.runName", name])?;
                    for (k, key) in param_names.iter().enumerate() {
                        let value = match k {
                            0 => format!("{:.1}", (next(&mut rng) * 10.0).floor() / 10.0),
                            2 => ["adam", "sgd", "lbfgs"][(next(&mut rng) * 3.0) as usize % 3].to_string(),
                            _ => format!("{}", (next(&mut rng) * 100.0) as u32),
                        };
                        param_stmt.execute(params![pk, key, value])?;
                    }
                    for t in 0..spec.tags {
                        tag_stmt.execute(params![pk, format!("t{t}"), format!("v{}", (next(&mut rng) * 5.0) as u32)])?;
                    }
                    for key in &metric_names {
                        let target = next(&mut rng);
                        let mut value = 0.0;
                        for s in 0..spec.steps {
                            let progress = (s + 1) as f64 / spec.steps as f64;
                            value = target * progress + (1.0 - progress) * next(&mut rng);
                            metric_stmt.execute(params![pk, key, s as i64, t0 + s as i64 * 100, value])?;
                        }
                        let last = spec.steps.saturating_sub(1) as i64;
                        latest_stmt.execute(params![pk, key, last, t0 + last * 100, value])?;
                    }
                }
                Ok(())
            })?;
            done += n;
            progress(done);
        }
        self.conn().pragma_update(None, "synchronous", "NORMAL")?;
        Ok(exp.experiment_id)
    }
}
