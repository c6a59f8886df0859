//! Experiments: create, get, find, list by view, rename, delete and restore.

use mlf::store::{Backend, NewRun, RunQuery};
use mlf::tracking::{Experiment, LifecycleStage, ViewType};

use crate::common::{assert_err, experiment, run};

fn ids(list: &[Experiment]) -> Vec<&str> {
    list.iter().map(|e| e.experiment_id.as_str()).collect()
}

fn names(list: &[Experiment]) -> Vec<&str> {
    list.iter().map(|e| e.name.as_str()).collect()
}

pub fn default_experiment(s: &mut dyn Backend) {
    let e = s.experiment("0").unwrap();
    assert_eq!(e.experiment_id, "0");
    assert_eq!(e.name, "Default");
    assert_eq!(e.lifecycle_stage, LifecycleStage::Active);
    assert_eq!(
        s.find_experiment("Default").unwrap().unwrap().experiment_id,
        "0"
    );
    let all = s.list_experiments(ViewType::All).unwrap();
    assert_eq!(names(&all), ["Default"]);
}

pub fn create_get_and_find(s: &mut dyn Backend) {
    let before = mlf::tracking::ids::now_ms();
    let created = s.create_experiment("exp-a", None).unwrap();
    assert_eq!(created.name, "exp-a");
    assert_eq!(created.lifecycle_stage, LifecycleStage::Active);
    assert!(
        created.experiment_id.parse::<i64>().unwrap() > 0,
        "{created:?}"
    );
    assert!(created.creation_time >= before - 1000, "{created:?}");
    assert!(
        created.last_update_time >= created.creation_time,
        "{created:?}"
    );
    assert!(!created.artifact_location.is_empty(), "{created:?}");
    assert!(created.tags.is_empty(), "{created:?}");

    let got = s.experiment(&created.experiment_id).unwrap();
    assert_eq!(got.experiment_id, created.experiment_id);
    assert_eq!(got.name, "exp-a");
    assert_eq!(got.lifecycle_stage, LifecycleStage::Active);
    assert_eq!(got.creation_time, created.creation_time);
    assert_eq!(got.artifact_location, created.artifact_location);

    let by_name = s.find_experiment("exp-a").unwrap().expect("found by name");
    assert_eq!(by_name.experiment_id, created.experiment_id);
    let by_id = s
        .find_experiment(&created.experiment_id)
        .unwrap()
        .expect("found by id");
    assert_eq!(by_id.name, "exp-a");
    assert_eq!(
        s.resolve_experiment("exp-a").unwrap().experiment_id,
        created.experiment_id
    );
    assert!(s.find_experiment("no-such-experiment").unwrap().is_none());
    assert!(s.find_experiment("424242").unwrap().is_none());
    assert_err!(s.resolve_experiment("no-such-experiment"), NotFound);
}

pub fn duplicate_name_is_refused(s: &mut dyn Backend) {
    let id = experiment(s, "dup");
    assert_err!(s.create_experiment("dup", None), AlreadyExists);
    // Names stay taken by deleted experiments (MLflow: "incl. deleted").
    s.delete_experiment(&id).unwrap();
    assert_err!(s.create_experiment("dup", None), AlreadyExists);
    assert_eq!(s.list_experiments(ViewType::All).unwrap().len(), 2);
}

pub fn unknown_experiment_is_not_found(s: &mut dyn Backend) {
    assert_err!(s.experiment("424242"), NotFound);
    assert_err!(s.rename_experiment("424242", "x"), NotFound);
    assert_err!(s.delete_experiment("424242"), NotFound);
    assert_err!(s.restore_experiment("424242"), NotFound);
    assert_err!(
        s.create_run(NewRun {
            experiment_id: "424242".into(),
            ..Default::default()
        }),
        NotFound
    );
}

pub fn list_by_view(s: &mut dyn Backend) {
    let a = experiment(s, "a");
    let b = experiment(s, "b");
    let c = experiment(s, "c");
    s.delete_experiment(&b).unwrap();

    let active = s.list_experiments(ViewType::ActiveOnly).unwrap();
    assert_eq!(ids(&active), ["0", a.as_str(), c.as_str()]);
    assert_eq!(names(&active), ["Default", "a", "c"]);
    assert!(
        active
            .iter()
            .all(|e| e.lifecycle_stage == LifecycleStage::Active)
    );

    let deleted = s.list_experiments(ViewType::DeletedOnly).unwrap();
    assert_eq!(ids(&deleted), [b.as_str()]);
    assert_eq!(deleted[0].lifecycle_stage, LifecycleStage::Deleted);

    let all = s.list_experiments(ViewType::All).unwrap();
    assert_eq!(names(&all), ["Default", "a", "b", "c"]);
}

pub fn rename(s: &mut dyn Backend) {
    let id = experiment(s, "before");
    let other = experiment(s, "taken");
    s.rename_experiment(&id, "after").unwrap();
    assert_eq!(s.experiment(&id).unwrap().name, "after");
    assert!(s.find_experiment("before").unwrap().is_none());
    assert_eq!(
        s.find_experiment("after").unwrap().unwrap().experiment_id,
        id
    );
    assert_err!(s.rename_experiment(&id, "taken"), AlreadyExists);
    assert_eq!(s.experiment(&id).unwrap().name, "after");
    // A deleted experiment keeps its name until restored.
    s.delete_experiment(&other).unwrap();
    assert_err!(s.rename_experiment(&other, "renamed"), InvalidState);
    assert_eq!(s.experiment(&other).unwrap().name, "taken");
}

pub fn delete_and_restore(s: &mut dyn Backend) {
    let id = experiment(s, "doomed");
    let r = run(s, &id, "inside").info.run_id;

    s.delete_experiment(&id).unwrap();
    let e = s.experiment(&id).unwrap();
    assert_eq!(e.lifecycle_stage, LifecycleStage::Deleted);
    assert_eq!(e.name, "doomed");
    // Found by name and id while deleted, and its runs went with it.
    assert_eq!(
        s.find_experiment("doomed")
            .unwrap()
            .unwrap()
            .lifecycle_stage,
        LifecycleStage::Deleted
    );
    assert_eq!(
        s.run(&r).unwrap().info.lifecycle_stage,
        LifecycleStage::Deleted
    );
    assert_err!(s.delete_experiment(&id), InvalidState);
    // Its runs show among the deleted ones of every experiment, not among the active ones.
    let deleted = s
        .search_runs(&RunQuery {
            view: ViewType::DeletedOnly,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(deleted.runs.len(), 1);
    assert_eq!(deleted.runs[0].info.run_id, r);
    let active = s.search_runs(&RunQuery::default()).unwrap();
    assert!(active.runs.is_empty());

    s.restore_experiment(&id).unwrap();
    assert_eq!(
        s.experiment(&id).unwrap().lifecycle_stage,
        LifecycleStage::Active
    );
    assert_eq!(
        s.run(&r).unwrap().info.lifecycle_stage,
        LifecycleStage::Active
    );
    let page = s
        .search_runs(&RunQuery {
            experiment_ids: vec![id.clone()],
            ..Default::default()
        })
        .unwrap();
    assert_eq!(page.runs.len(), 1);
    assert_err!(s.restore_experiment(&id), InvalidState);

    // The Default experiment cannot be deleted.
    assert_err!(s.delete_experiment("0"), Invalid);
    assert_eq!(
        s.experiment("0").unwrap().lifecycle_stage,
        LifecycleStage::Active
    );
}

pub fn no_runs_in_a_deleted_experiment(s: &mut dyn Backend) {
    let id = experiment(s, "gone");
    s.delete_experiment(&id).unwrap();
    assert_err!(
        s.create_run(NewRun {
            experiment_id: id.clone(),
            name: Some("late".into()),
            ..Default::default()
        }),
        InvalidState
    );
    let page = s
        .search_runs(&RunQuery {
            experiment_ids: vec![id],
            view: ViewType::All,
            ..Default::default()
        })
        .unwrap();
    assert!(page.runs.is_empty());
}

/// `find_experiment` takes a name or an id: an exact name wins, then an id.
pub fn name_wins_over_id(s: &mut dyn Backend) {
    let first = experiment(s, "first");
    // An experiment named as the first one's id.
    let named = experiment(s, &first);
    assert_ne!(named, first);
    let found = s.find_experiment(&first).unwrap().unwrap();
    assert_eq!(
        (found.experiment_id.as_str(), found.name.as_str()),
        (named.as_str(), first.as_str())
    );
    assert_eq!(s.resolve_experiment(&first).unwrap().experiment_id, named);
    // No experiment is named as the second one's id: that id is found.
    assert_eq!(s.find_experiment(&named).unwrap().unwrap().name, first);
    assert!(s.find_experiment("").unwrap().is_none());
}

/// Where an experiment keeps its artifacts: a store of its own (a directory or a database)
/// takes the location given; `mlf server` chooses it itself and refuses one from a client (a location is a URI later joined
/// with paths: shared/reference/security-lessons.md, CVE-2023-6909 and CVE-2024-1483) — a
/// legitimate difference.
pub fn artifact_location(s: &mut dyn Backend) {
    let dir = tempfile::tempdir().expect("tempdir");
    let wanted = dir.path().join("elsewhere").display().to_string();
    match crate::common::is_server(s) {
        false => {
            let e = s.create_experiment("placed", Some(&wanted)).unwrap();
            assert_eq!(e.artifact_location, wanted);
            let r = run(s, &e.experiment_id, "r");
            assert!(r.info.artifact_uri.starts_with(&wanted), "{:?}", r.info);
        }
        true => {
            assert_err!(s.create_experiment("placed", Some(&wanted)), Invalid);
            assert!(s.find_experiment("placed").unwrap().is_none());
        }
    }
    // Without one, the store chooses, under the experiment's id.
    let e = s.create_experiment("chosen", None).unwrap();
    assert!(
        e.artifact_location.ends_with(&e.experiment_id),
        "{}",
        e.artifact_location
    );
}
