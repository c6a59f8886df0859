//! Runs: create and read back, end, delete and restore, resolve by id, prefix or name, the
//! active run.

use std::collections::BTreeSet;

use mlf::store::{Backend, LogBatch, NewRun, RunQuery};
use mlf::tracking::ids::now_ms;
use mlf::tracking::{LifecycleStage, RunStatus, ViewType};

use crate::common::{ACTOR, assert_err, experiment, found, in_view, kv, run, set, sorted, value};

pub fn create_and_get(s: &mut dyn Backend) {
    let exp = experiment(s, "runs");
    let created = s
        .create_run(NewRun {
            experiment_id: exp.clone(),
            name: Some("alpha".into()),
            user: ACTOR.into(),
            tags: vec![kv("team", "ml")],
            params: vec![kv("lr", "0.1")],
            start_time: Some(1_700_000_000_000),
            ..Default::default()
        })
        .unwrap();
    let info = &created.info;
    assert!(mlf::tracking::ids::is_run_id(&info.run_id), "{info:?}");
    assert_eq!(info.run_uuid, info.run_id);
    assert_eq!(info.run_name, "alpha");
    assert_eq!(info.experiment_id, exp);
    assert_eq!(info.user_id, ACTOR);
    assert_eq!(info.status, RunStatus::Running);
    assert_eq!(info.start_time, 1_700_000_000_000);
    assert_eq!(info.end_time, None);
    assert_eq!(info.lifecycle_stage, LifecycleStage::Active);
    assert!(info.artifact_uri.contains(&info.run_id), "{info:?}");

    let got = s.run(&info.run_id).unwrap();
    assert_eq!(got.info.run_id, info.run_id);
    assert_eq!(got.info.run_name, "alpha");
    assert_eq!(got.info.experiment_id, exp);
    assert_eq!(got.info.user_id, ACTOR);
    assert_eq!(got.info.start_time, 1_700_000_000_000);
    assert_eq!(got.info.artifact_uri, info.artifact_uri);
    assert_eq!(sorted(&got.data.params), [("lr".into(), "0.1".into())]);
    assert_eq!(
        sorted(&got.data.tags),
        [
            ("mlflow.runName".into(), "alpha".into()),
            ("mlflow.user".into(), ACTOR.into()),
            ("team".into(), "ml".into()),
        ]
    );
    assert!(got.data.metrics.is_empty());
    assert_eq!(sorted(&created.data.tags), sorted(&got.data.tags));
}

pub fn generated_name(s: &mut dyn Backend) {
    let before = now_ms();
    let r = s
        .create_run(NewRun {
            experiment_id: "0".into(),
            ..Default::default()
        })
        .unwrap();
    assert!(!r.info.run_name.is_empty());
    assert_eq!(
        value(&r.data.tags, "mlflow.runName"),
        Some(r.info.run_name.as_str())
    );
    assert_eq!(r.info.experiment_id, "0");
    assert!(r.info.start_time >= before - 1000, "{:?}", r.info);
    let other = s
        .create_run(NewRun {
            experiment_id: "0".into(),
            ..Default::default()
        })
        .unwrap();
    assert_ne!(other.info.run_id, r.info.run_id);
}

pub fn update_run(s: &mut dyn Backend) {
    let id = run(s, "0", "ending").info.run_id;
    let end = now_ms() + 5;
    s.update_run(&id, RunStatus::Finished, Some(end)).unwrap();
    let r = s.run(&id).unwrap();
    assert_eq!(r.info.status, RunStatus::Finished);
    assert_eq!(r.info.end_time, Some(end));

    // Without an end time, the one the run has is kept (MLflow's `update_run_info`).
    s.update_run(&id, RunStatus::Running, None).unwrap();
    let r = s.run(&id).unwrap();
    assert_eq!(r.info.status, RunStatus::Running);
    assert_eq!(r.info.end_time, Some(end));

    s.update_run(&id, RunStatus::Killed, Some(end + 1)).unwrap();
    let r = s.run(&id).unwrap();
    assert_eq!(
        (r.info.status, r.info.end_time),
        (RunStatus::Killed, Some(end + 1))
    );

    // A deleted run cannot change.
    s.delete_runs(std::slice::from_ref(&id)).unwrap();
    assert_err!(
        s.update_run(&id, RunStatus::Finished, Some(end + 2)),
        InvalidState
    );
    assert_eq!(s.run(&id).unwrap().info.status, RunStatus::Killed);
}

/// MLflow's `update_run_info` leaves the end time alone when none is given, whatever the
/// status: no end time appears by itself.
pub fn update_run_without_end_time(s: &mut dyn Backend) {
    let id = run(s, "0", "no-end").info.run_id;
    s.update_run(&id, RunStatus::Failed, None).unwrap();
    let r = s.run(&id).unwrap();
    assert_eq!(r.info.status, RunStatus::Failed);
    assert_eq!(r.info.end_time, None);
}

pub fn delete_and_restore_views(s: &mut dyn Backend) {
    let exp = experiment(s, "lifecycle");
    let a = run(s, &exp, "a").info.run_id;
    let b = run(s, &exp, "b").info.run_id;
    run(s, &exp, "c");

    s.delete_runs(&[a.clone(), b.clone()]).unwrap();
    assert_eq!(in_view(s, &exp, ViewType::ActiveOnly), set(&["c"]));
    assert_eq!(in_view(s, &exp, ViewType::DeletedOnly), set(&["a", "b"]));
    assert_eq!(in_view(s, &exp, ViewType::All), set(&["a", "b", "c"]));
    // A deleted run can still be read.
    let got = s.run(&a).unwrap();
    assert_eq!(got.info.lifecycle_stage, LifecycleStage::Deleted);
    assert_eq!(got.info.run_name, "a");
    // Deleted runs of every experiment, when none is named.
    let deleted = found(
        s,
        &RunQuery {
            view: ViewType::DeletedOnly,
            ..Default::default()
        },
    );
    assert_eq!(
        deleted.into_iter().collect::<BTreeSet<_>>(),
        set(&["a", "b"])
    );
    // Nothing is logged to a deleted run.
    assert_err!(
        s.log_batch(
            &a,
            LogBatch {
                tags: vec![kv("k", "v")],
                ..Default::default()
            }
        ),
        InvalidState
    );

    s.restore_runs(std::slice::from_ref(&a)).unwrap();
    assert_eq!(in_view(s, &exp, ViewType::ActiveOnly), set(&["a", "c"]));
    assert_eq!(in_view(s, &exp, ViewType::DeletedOnly), set(&["b"]));
    assert_eq!(
        s.run(&a).unwrap().info.lifecycle_stage,
        LifecycleStage::Active
    );
}

/// `delete_runs` and `restore_runs` change all the runs or none (the store's documented
/// promise; a server is asked run by run, so the client checks them all first).
pub fn delete_runs_is_all_or_none(s: &mut dyn Backend) {
    let exp = experiment(s, "atomic");
    let a = run(s, &exp, "a").info.run_id;
    let b = run(s, &exp, "b").info.run_id;
    let unknown = "f".repeat(32);

    assert_err!(s.delete_runs(&[a.clone(), unknown.clone()]), NotFound);
    assert_eq!(in_view(s, &exp, ViewType::ActiveOnly), set(&["a", "b"]));

    s.delete_runs(std::slice::from_ref(&b)).unwrap();
    // `a` is not deleted: restoring both restores neither.
    assert_err!(s.restore_runs(&[b.clone(), a.clone()]), InvalidState);
    assert_eq!(in_view(s, &exp, ViewType::DeletedOnly), set(&["b"]));
    // Deleting both when `b` already is deletes neither.
    assert_err!(s.delete_runs(&[a.clone(), b.clone()]), InvalidState);
    assert_eq!(in_view(s, &exp, ViewType::ActiveOnly), set(&["a"]));

    // A run of a deleted experiment comes back with its experiment, not alone.
    s.delete_experiment(&exp).unwrap();
    assert_err!(s.restore_runs(std::slice::from_ref(&a)), InvalidState);
    assert_eq!(
        s.run(&a).unwrap().info.lifecycle_stage,
        LifecycleStage::Deleted
    );
}

pub fn resolve_run(s: &mut dyn Backend) {
    let exp = experiment(s, "resolve");
    let other = experiment(s, "other");
    let id = run(s, &exp, "unique-name").info.run_id;
    let twin_a = run(s, &exp, "twin").info.run_id;
    let twin_b = run(s, &other, "twin").info.run_id;

    assert_eq!(s.resolve_run(&id, None).unwrap(), id);
    assert_eq!(s.resolve_run(&id.to_uppercase(), None).unwrap(), id);
    assert_eq!(s.resolve_run(&format!("  {id} "), None).unwrap(), id);
    assert_eq!(s.resolve_run(&id[..10], None).unwrap(), id);
    assert_eq!(s.resolve_run("unique-name", None).unwrap(), id);

    // A name shared by two runs is ambiguous, unless the experiment tells them apart.
    assert_err!(s.resolve_run("twin", None), Invalid);
    assert_eq!(s.resolve_run("twin", Some(&exp)).unwrap(), twin_a);
    assert_eq!(s.resolve_run("twin", Some(&other)).unwrap(), twin_b);
    // The experiment narrows names only: an id or id prefix is found wherever it is.
    assert_eq!(s.resolve_run(&twin_b, Some(&exp)).unwrap(), twin_b);
    assert_eq!(s.resolve_run(&twin_b[..12], Some(&exp)).unwrap(), twin_b);

    // Deleted runs resolve too.
    s.delete_runs(std::slice::from_ref(&id)).unwrap();
    assert_eq!(s.resolve_run(&id[..10], None).unwrap(), id);
    assert_eq!(s.resolve_run("unique-name", None).unwrap(), id);

    assert_err!(s.resolve_run("no-such-run", None), NotFound);
    assert_err!(s.resolve_run(&"0".repeat(32), None), NotFound);
    assert_err!(s.resolve_run("", None), Invalid);
}

pub fn unknown_run_is_not_found(s: &mut dyn Backend) {
    let unknown = "0123456789abcdef0123456789abcdef";
    assert_err!(s.run(unknown), NotFound);
    assert_err!(s.metric_history(unknown, "loss"), NotFound);
    assert_err!(
        s.log_batch(
            unknown,
            LogBatch {
                tags: vec![kv("k", "v")],
                ..Default::default()
            }
        ),
        NotFound
    );
    assert_err!(
        s.update_run(unknown, RunStatus::Finished, Some(now_ms())),
        NotFound
    );
    assert_err!(s.delete_runs(&[unknown.to_string()]), NotFound);
    assert_err!(s.restore_runs(&[unknown.to_string()]), NotFound);
}

pub fn active_run(s: &mut dyn Backend) {
    assert_eq!(s.active_run().unwrap(), None);
    let first = s
        .create_run(NewRun {
            experiment_id: "0".into(),
            name: Some("first".into()),
            make_active: true,
            ..Default::default()
        })
        .unwrap()
        .info
        .run_id;
    assert_eq!(s.active_run().unwrap(), Some(first.clone()));
    // One active RUNNING run at a time.
    assert_err!(
        s.create_run(NewRun {
            experiment_id: "0".into(),
            name: Some("second".into()),
            make_active: true,
            ..Default::default()
        }),
        InvalidState
    );
    s.update_run(&first, RunStatus::Finished, Some(now_ms()))
        .unwrap();
    let second = s
        .create_run(NewRun {
            experiment_id: "0".into(),
            name: Some("second".into()),
            make_active: true,
            ..Default::default()
        })
        .unwrap()
        .info
        .run_id;
    assert_eq!(s.active_run().unwrap(), Some(second));
    s.set_active_run(None).unwrap();
    assert_eq!(s.active_run().unwrap(), None);
    s.set_active_run(Some(&first)).unwrap();
    assert_eq!(s.active_run().unwrap(), Some(first));
}

/// The tag `mlflow.runName` names a new run as the name does; given both, they must agree
/// (MLflow's `create_run` refuses them differing), and nothing is made.
pub fn run_name_from_tag(s: &mut dyn Backend) {
    let exp = experiment(s, "names");
    let tagged = s
        .create_run(NewRun {
            experiment_id: exp.clone(),
            tags: vec![kv("mlflow.runName", "from-tag")],
            ..Default::default()
        })
        .unwrap();
    assert_eq!(tagged.info.run_name, "from-tag");
    assert_eq!(
        sorted(&tagged.data.tags),
        [("mlflow.runName".into(), "from-tag".into())]
    );
    let both = s
        .create_run(NewRun {
            experiment_id: exp.clone(),
            name: Some("same".into()),
            tags: vec![kv("mlflow.runName", "same")],
            ..Default::default()
        })
        .unwrap();
    assert_eq!(both.info.run_name, "same");
    assert_err!(
        s.create_run(NewRun {
            experiment_id: exp.clone(),
            name: Some("x".into()),
            tags: vec![kv("mlflow.runName", "y")],
            ..Default::default()
        }),
        Invalid
    );
    assert_eq!(in_view(s, &exp, ViewType::All), set(&["from-tag", "same"]));
}

/// Tags given to a new run are kept as given, `mlflow.user` too: MLflow's `create_run`
/// stores the tags it is given, and the user id is a field of its own.
pub fn user_tag_is_kept(s: &mut dyn Backend) {
    let r = s
        .create_run(NewRun {
            experiment_id: "0".into(),
            name: Some("both".into()),
            user: "alice".into(),
            tags: vec![kv("mlflow.user", "bob")],
            ..Default::default()
        })
        .unwrap();
    assert_eq!(r.info.user_id, "alice");
    assert_eq!(value(&r.data.tags, "mlflow.user"), Some("bob"));
    let r = s
        .create_run(NewRun {
            experiment_id: "0".into(),
            name: Some("tag-only".into()),
            tags: vec![kv("mlflow.user", "bob")],
            ..Default::default()
        })
        .unwrap();
    assert_eq!(r.info.user_id, "");
    assert_eq!(value(&r.data.tags, "mlflow.user"), Some("bob"));
}
