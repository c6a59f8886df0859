//! mlf's own registry features beyond MLflow's API — stage requests and their approval, the
//! registry's history — and what only a local store has.
//!
//! The REST store reaches the requests and the history through `mlf server`'s own calls
//! (`/api/2.0/mlf/registry/…`; an MLflow server lacks them), so those are tested on both.
//! Where they legitimately differ, the case branches on `local()` (or on whether the store is a
//! server's client) and says why.

use mlf::registry::Stage;
use mlf::store::{Act, Backend, Error, Fix, NewVersion};
use mlf::tracking::ViewType;
use mlf::tracking::ids::now_ms;

use crate::common::{ACTOR, act, assert_err, experiment, register, run_with_model};

fn new_version(name: &str, source: &str, run_id: &str, storage_location: &str) -> NewVersion {
    NewVersion {
        name: name.to_string(),
        source: source.to_string(),
        run_id: run_id.to_string(),
        storage_location: storage_location.to_string(),
        description: String::new(),
        tags: Vec::new(),
    }
}

const REVIEWER: &str = "reviewer";

fn by(actor: &'static str, comment: Option<&'static str>) -> Act<'static> {
    Act { actor, comment }
}

fn model_with_versions(s: &mut dyn Backend, name: &str, n: usize) {
    let exp = experiment(s, &format!("{name}-training"));
    let run = run_with_model(s, &exp, "train");
    for _ in 0..n {
        register(s, name, &run);
    }
}

/// What only one side has: the local store itself, and counts a server cannot give.
pub fn local_only(s: &mut dyn Backend) {
    let exp = experiment(s, "counted");
    crate::common::run(s, &exp, "r1");
    crate::common::run(s, &exp, "r2");
    assert!(s.truncates());
    match s.local() {
        Some(store) => {
            // A local store: its directory is the location, and runs are counted per
            // experiment.
            let root = store.root().to_path_buf();
            assert!(root.join("mlf.db").is_file(), "{}", root.display());
            assert_eq!(s.location(), root.display().to_string());
            let counts = s.run_counts().unwrap().expect("a local store counts runs");
            assert_eq!(counts.get(&exp), Some(&2));
            assert_eq!(counts.get("0"), None);
            assert!(s.local_mut().is_some());
        }
        None if s.location().starts_with("postgresql://")
            || s.location().starts_with("mysql://") =>
        {
            // A database: its URI (without the password) is the location, and it counts runs.
            let location = s.location();
            assert!(location.contains("@127.0.0.1:"), "{location}");
            assert!(!location.contains("mlf-contract"), "{location}");
            let counts = s.run_counts().unwrap().expect("a database counts runs");
            assert_eq!(counts.get(&exp), Some(&2));
            assert!(s.local_mut().is_none());
        }
        None => {
            // A server: its URL is the location, and it cannot count runs.
            assert!(
                s.location().starts_with("http://127.0.0.1:"),
                "{}",
                s.location()
            );
            assert_eq!(s.run_counts().unwrap(), None);
            assert!(s.local_mut().is_none());
        }
    }
    // Either way the experiment lists the same.
    assert_eq!(s.list_experiments(ViewType::All).unwrap().len(), 2);
}

pub fn approvals(s: &mut dyn Backend) {
    model_with_versions(s, "m", 2);

    let req = s
        .request_transition("m", 1, Stage::Production, &by(ACTOR, Some("ready")))
        .unwrap();
    assert!(req.id > 0);
    assert_eq!(req.name, "m");
    assert_eq!(req.version, "1");
    assert_eq!(req.to_stage, "Production");
    assert_eq!(req.status, "pending");
    assert_eq!(req.requested_by, ACTOR);
    assert_eq!(req.comment, "ready");
    // One open request per version and stage.
    assert_err!(
        s.request_transition("m", 1, Stage::Production, &act()),
        AlreadyExists
    );
    assert_err!(
        s.request_transition("m", 1, Stage::None, &act()),
        InvalidState
    );
    assert_err!(
        s.request_transition("m", 9, Stage::Staging, &act()),
        NotFound
    );

    assert_eq!(s.pending_request_for("m", 1, None).unwrap(), req.id);
    assert_eq!(
        s.pending_request_for("m", 1, Some(Stage::Production))
            .unwrap(),
        req.id
    );
    assert_err!(
        s.pending_request_for("m", 1, Some(Stage::Staging)),
        NotFound
    );
    let pending: Vec<i64> = s
        .requests(Some("m"), false)
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(pending, [req.id]);
    assert_eq!(s.requests(None, false).unwrap().len(), 1);

    // Who asked may not decide (the default policy; a server applies its own, also the default
    // here).
    assert_err!(s.decide_request(req.id, true, false, &act()), Refused);
    let decided = s
        .decide_request(req.id, true, false, &by(REVIEWER, Some("ok")))
        .unwrap();
    assert_eq!(decided.id, req.id);
    assert_eq!(decided.status, "approved");
    assert_eq!(decided.decided_by.as_deref(), Some(REVIEWER));
    assert_eq!(decided.decision_comment.as_deref(), Some("ok"));
    assert!(decided.decided_at.is_some());
    assert_err!(
        s.decide_request(req.id, false, false, &by(REVIEWER, None)),
        InvalidState
    );

    let rejected = s
        .request_transition("m", 2, Stage::Staging, &act())
        .unwrap();
    let rejected = s
        .decide_request(rejected.id, false, false, &by(REVIEWER, None))
        .unwrap();
    assert_eq!(rejected.status, "rejected");
    assert!(s.requests(Some("m"), false).unwrap().is_empty());
    // Every request, newest first.
    let all: Vec<(i64, String)> = s
        .requests(Some("m"), true)
        .unwrap()
        .into_iter()
        .map(|r| (r.id, r.status))
        .collect();
    assert_eq!(
        all,
        [
            (rejected.id, "rejected".to_string()),
            (req.id, "approved".to_string())
        ]
    );
    assert_err!(
        s.decide_request(999_999, true, false, &by(REVIEWER, None)),
        NotFound
    );

    match crate::common::is_server(s) {
        false => {
            // A store of its own enforces `needs_approval` itself: the approved request is used up
            // by the move, and a second move needs another.
            s.transition("m", 1, Stage::Production, false, true, &act())
                .unwrap();
            assert_eq!(s.requests(Some("m"), true).unwrap()[1].status, "used");
            let e = assert_err!(
                s.transition("m", 2, Stage::Production, false, true, &act()),
                Refused
            );
            assert!(
                matches!(
                    e,
                    mlf::store::Error::Fixable(_, Fix::RequestApproval { .. })
                ),
                "{e:?}"
            );
        }
        true => {
            // A server applies its own policy (nothing protected by default) and ignores
            // `needs_approval`: the move happens and the request stays approved.
            s.transition("m", 1, Stage::Production, false, true, &act())
                .unwrap();
            assert_eq!(s.requests(Some("m"), true).unwrap()[1].status, "approved");
        }
    }
    assert_eq!(s.version("m", 1).unwrap().current_stage, "Production");
}

pub fn history(s: &mut dyn Backend) {
    let start = now_ms();
    s.create_model("m", "", &[], &act()).unwrap();
    model_with_versions(s, "m", 1);
    s.transition("m", 1, Stage::Staging, false, false, &act())
        .unwrap();
    s.set_alias("m", "champ", 1, &act()).unwrap();
    s.describe("m", None, "text", &act()).unwrap();
    s.set_registry_tags("m", None, &[("k".into(), Some("v".into()))], &act())
        .unwrap();
    let before_unalias = now_ms();
    std::thread::sleep(std::time::Duration::from_millis(5));
    s.delete_alias("m", "champ", &act()).unwrap();

    let events = s.registry_history("m").unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "create_model",
            "register",
            "stage",
            "alias",
            "describe",
            "tag",
            "unalias"
        ]
    );
    assert!(events.iter().all(|e| e.name == "m" && e.actor == ACTOR));
    assert!(events.iter().all(|e| e.timestamp >= start - 1000));
    let stage = &events[2];
    assert_eq!(stage.version.as_deref(), Some("1"));
    assert_eq!(
        (stage.from.as_deref(), stage.to.as_deref()),
        (Some("None"), Some("Staging"))
    );
    assert_eq!(events[3].to.as_deref(), Some("champ"));
    assert_eq!(events[5].to.as_deref(), Some("k=v"));

    // What held each stage and alias at a moment.
    let then = s.registry_at("m", before_unalias).unwrap();
    assert_eq!(
        then.stages.get("Staging").cloned(),
        Some(vec!["1".to_string()])
    );
    assert_eq!(then.aliases.get("champ").map(String::as_str), Some("1"));
    let now = s.registry_at("m", now_ms()).unwrap();
    assert!(now.aliases.is_empty(), "{now:?}");
    assert_err!(s.registry_at("m", start - 60_000), NotFound);

    // The history outlives the model.
    s.delete_model("m", &act()).unwrap();
    let events = s.registry_history("m").unwrap();
    assert_eq!(events.last().unwrap().kind, "delete_model");
    assert_err!(s.registry_history("never-existed"), NotFound);
}

/// Every change of the registry records why (`Act::comment`) in its history, as the stage
/// requests do.
pub fn history_keeps_comments(s: &mut dyn Backend) {
    model_with_versions(s, "m", 1);
    s.transition(
        "m",
        1,
        Stage::Staging,
        false,
        false,
        &by(ACTOR, Some("to test")),
    )
    .unwrap();
    s.set_alias("m", "champ", 1, &by(ACTOR, Some("best so far")))
        .unwrap();
    s.describe("m", Some(1), "d", &by(ACTOR, Some("documented")))
        .unwrap();
    s.request_transition("m", 1, Stage::Production, &by(ACTOR, Some("ship it")))
        .unwrap();
    let comments: Vec<(String, Option<String>)> = s
        .registry_history("m")
        .unwrap()
        .into_iter()
        .filter(|e| ["stage", "alias", "describe", "request"].contains(&e.kind.as_str()))
        .map(|e| (e.kind, e.comment))
        .collect();
    let with = |k: &str, c: &str| (k.to_string(), Some(c.to_string()));
    assert_eq!(
        comments,
        [
            with("stage", "to test"),
            with("alias", "best so far"),
            with("describe", "documented"),
            with("request", "ship it"),
        ]
    );
}

/// A version's files, as a local directory. A local store records where they are (the command
/// line resolves `runs:/` to the run's directory before registering); a server resolves the
/// source itself and the files are downloaded.
pub fn version_files(s: &mut dyn Backend) {
    let exp = experiment(s, "files");
    let run = run_with_model(s, &exp, "train");
    let source = format!("runs:/{}/model", run.info.run_id);
    let location = match s.local() {
        Some(store) => store
            .run_artifact_dir(&run)
            .join("model")
            .display()
            .to_string(),
        None => String::new(),
    };
    let v = s
        .create_version(
            &new_version("m", &source, &run.info.run_id, &location),
            &act(),
            &mut |_| Err("nothing to place".into()),
        )
        .unwrap();
    assert_eq!(v.source, source);
    let scratch = tempfile::tempdir().expect("tempdir");
    let dir = s.version_files(&v, scratch.path()).unwrap();
    assert_eq!(
        std::fs::read(dir.join("MLmodel")).unwrap(),
        b"flavors: {}\n"
    );
}

/// Registering files that are in no run: a local store calls `place` with the new number to
/// copy them in, and the copy is the version's source and location. A server cannot take
/// files (register them from a run), so the REST store refuses with that fix before anything
/// is made.
pub fn register_copied_files(s: &mut dyn Backend) {
    let mut asked = Vec::new();
    let result = s.create_version(&new_version("copied", "", "", ""), &act(), &mut |n| {
        asked.push(n);
        Ok(format!("/copies/copied/{n}"))
    });
    match s.local() {
        Some(_) => {
            let v = result.unwrap();
            assert_eq!(asked, [1]);
            assert_eq!(v.version, "1");
            assert_eq!(v.storage_location, "/copies/copied/1");
            assert_eq!(v.source, "/copies/copied/1");
            // A failed placement registers nothing.
            let e = s.create_version(&new_version("copied", "", "", ""), &act(), &mut |_| {
                Err("disk full".into())
            });
            assert_err!(e, Invalid);
            assert_eq!(s.versions("copied").unwrap().len(), 1);
            let v = s
                .create_version(&new_version("copied", "", "", ""), &act(), &mut |n| {
                    Ok(format!("/copies/copied/{n}"))
                })
                .unwrap();
            assert_eq!(v.version, "2");
        }
        None => {
            let e = assert_err!(result, Invalid);
            assert!(matches!(e, Error::Fixable(_, Fix::LogModelToRun)), "{e:?}");
            assert!(asked.is_empty());
            assert_err!(s.model("copied"), NotFound);
        }
    }
}
