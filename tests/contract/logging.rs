//! Logging params, tags and metrics in batches, and a metric's history.

use mlf::store::{Backend, LogBatch};

use crate::common::{assert_err, experiment, kv, log, metric, run, sorted, value};

pub fn log_batch(s: &mut dyn Backend) {
    let exp = experiment(s, "logging");
    let id = run(s, &exp, "logger").info.run_id;
    let t = 1_700_000_000_000;
    let outcome = s
        .log_batch(
            &id,
            LogBatch {
                params: vec![kv("b", "x"), kv("a", "1")],
                tags: vec![kv("stage", "dev")],
                metrics: vec![
                    metric("acc", 0.5, t, 0),
                    metric("acc", 0.75, t + 1, 1),
                    metric("loss", 2.5, t, 0),
                ],
            },
        )
        .unwrap();
    assert!(outcome.truncated.is_empty());
    let r = s.run(&id).unwrap();
    assert_eq!(
        sorted(&r.data.params),
        [("a".into(), "1".into()), ("b".into(), "x".into())]
    );
    assert_eq!(value(&r.data.tags, "stage"), Some("dev"));
    // A run's data holds the latest value per key: the largest (step, timestamp, value).
    let mut latest: Vec<(String, f64, i64, i64)> = r
        .data
        .metrics
        .iter()
        .map(|m| (m.key.clone(), m.value, m.timestamp, m.step))
        .collect();
    latest.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        latest,
        [("acc".into(), 0.75, t + 1, 1), ("loss".into(), 2.5, t, 0)]
    );

    // Tags upsert; an older point does not replace the latest.
    log(
        s,
        &id,
        LogBatch {
            tags: vec![kv("stage", "prod")],
            metrics: vec![metric("acc", 0.1, t - 5, 0)],
            ..Default::default()
        },
    );
    let r = s.run(&id).unwrap();
    assert_eq!(value(&r.data.tags, "stage"), Some("prod"));
    assert_eq!(r.metric("acc").unwrap().value, 0.75);
    assert_eq!(
        r.data.tags.iter().filter(|t| t.key == "stage").count(),
        1,
        "{:?}",
        r.data.tags
    );

    // The tag `mlflow.runName` renames the run.
    log(
        s,
        &id,
        LogBatch {
            tags: vec![kv("mlflow.runName", "renamed")],
            ..Default::default()
        },
    );
    assert_eq!(s.run(&id).unwrap().info.run_name, "renamed");

    // Over-long values are truncated (MLflow's default), and the outcome says which.
    let long = "v".repeat(6100);
    let outcome = s
        .log_batch(
            &id,
            LogBatch {
                params: vec![kv("long", &long)],
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(outcome.truncated, ["long"]);
    assert_eq!(s.run(&id).unwrap().param("long").unwrap().len(), 6000);

    // A bad key is refused, and nothing of that batch is written.
    assert_err!(
        s.log_batch(
            &id,
            LogBatch {
                params: vec![kv("fine", "1"), kv("bad$key", "1")],
                ..Default::default()
            },
        ),
        Invalid
    );
    assert_eq!(s.run(&id).unwrap().param("fine"), None);
}

pub fn params_are_write_once(s: &mut dyn Backend) {
    let id = run(s, "0", "once").info.run_id;
    let batch = |v: &str| LogBatch {
        params: vec![kv("alpha", v)],
        ..Default::default()
    };
    log(s, &id, batch("0.5"));
    // The same value again is fine; another is refused.
    log(s, &id, batch("0.5"));
    assert_err!(s.log_batch(&id, batch("0.6")), Invalid);
    assert_eq!(s.run(&id).unwrap().param("alpha"), Some("0.5"));
}

pub fn metric_history(s: &mut dyn Backend) {
    let id = run(s, "0", "curves").info.run_id;
    let t = 1_700_000_000_000;
    // Out of order, timestamps not in step order, across two batches, with NaN and infinity.
    log(
        s,
        &id,
        LogBatch {
            metrics: vec![
                metric("loss", 0.3, t + 10, 2),
                metric("loss", 0.9, t + 50, 0),
                metric("loss", f64::NAN, t + 20, 1),
                metric("other", 7.0, t, 0),
            ],
            ..Default::default()
        },
    );
    log(
        s,
        &id,
        LogBatch {
            metrics: vec![
                metric("loss", 0.5, t + 5, 1),
                metric("loss", f64::INFINITY, t + 1, 3),
                // An exact duplicate collapses into the point already there.
                metric("loss", 0.3, t + 10, 2),
            ],
            ..Default::default()
        },
    );
    let history = s.metric_history(&id, "loss").unwrap();
    // By step, then timestamp.
    let points: Vec<(i64, i64)> = history.iter().map(|m| (m.step, m.timestamp)).collect();
    assert_eq!(
        points,
        [
            (0, t + 50),
            (1, t + 5),
            (1, t + 20),
            (2, t + 10),
            (3, t + 1)
        ],
        "{history:?}"
    );
    let values: Vec<f64> = history.iter().map(|m| m.value).collect();
    assert_eq!(values[0], 0.9);
    assert_eq!(values[1], 0.5);
    assert!(values[2].is_nan(), "{history:?}");
    assert_eq!(values[3], 0.3);
    assert_eq!(values[4], f64::INFINITY);
    assert!(history.iter().all(|m| m.key == "loss"));

    let latest = s.run(&id).unwrap();
    let loss = latest.metric("loss").unwrap();
    assert_eq!((loss.step, loss.value), (3, f64::INFINITY));

    assert!(s.metric_history(&id, "never-logged").unwrap().is_empty());
    assert_eq!(s.metric_history(&id, "other").unwrap().len(), 1);
}
