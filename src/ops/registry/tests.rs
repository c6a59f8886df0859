//! Registering, transitions and decisions against a local store in a scratch directory.

use std::path::{Path, PathBuf};

use super::*;
use crate::store::Store;

const ACT: Act = Act {
    actor: "alice",
    comment: None,
};

/// A store in `<dir>/.mlf` and a model directory `<dir>/model` with one file.
fn setup() -> (tempfile::TempDir, Store, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join(".mlf");
    let store = Store::create(&root).unwrap();
    std::fs::create_dir(dir.path().join("model")).unwrap();
    std::fs::write(dir.path().join("model/MLmodel"), "flavors: {}\n").unwrap();
    (dir, store, root)
}

fn registration<'a>(uri: &'a str, cwd: &'a Path) -> Registration<'a> {
    Registration {
        name: "m",
        uri,
        cwd,
        description: "",
        tags: Vec::new(),
    }
}

/// What is left below `<store>/registry/` besides the models' directories.
fn staging_left(root: &Path) -> Vec<String> {
    match std::fs::read_dir(root.join("registry")) {
        Ok(entries) => entries
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".incoming-"))
            .collect(),
        Err(_) => Vec::new(),
    }
}

#[test]
fn a_local_directory_is_copied_into_the_store() {
    let (dir, mut store, root) = setup();
    let v = register(&mut store, registration("model", dir.path()), &ACT).unwrap();
    assert_eq!(v.version, "1");
    let placed = root.join("registry/m/1/model");
    assert_eq!(v.storage_location, placed.display().to_string());
    assert!(placed.join("MLmodel").is_file());
    assert!(v.tags.iter().any(|t| t.key == "mlf.source.original"));
    assert!(staging_left(&root).is_empty());
}

#[test]
fn sources_are_refused_before_anything_is_copied() {
    let (dir, mut store, root) = setup();
    let cwd = dir.path();
    let err = |uri: &str, store: &mut Store| register(store, registration(uri, cwd), &ACT);
    assert!(matches!(
        err(".mlf", &mut store),
        Err(RegisterError::InsideStore(_))
    ));
    assert!(matches!(
        err("nowhere", &mut store),
        Err(RegisterError::NoSuchPath(_))
    ));
    assert!(matches!(
        err("file:///tmp/model", &mut store),
        Err(RegisterError::FileUri(_))
    ));
    match err("s3://bucket/model", &mut store) {
        Err(RegisterError::Scheme { scheme, .. }) => assert_eq!(scheme, "s3"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        err("runs:/", &mut store),
        Err(RegisterError::NoRun(_))
    ));
    assert!(matches!(
        err("runs:/abc/a%2e", &mut store),
        Err(RegisterError::ArtifactPath(_))
    ));
    assert!(staging_left(&root).is_empty());
    assert!(store.model("m").is_err());
}

#[test]
fn a_failed_placement_leaves_no_files_and_no_version() {
    let (dir, mut store, root) = setup();
    // A file where the model's directory would go: the copy cannot be moved into place.
    std::fs::create_dir_all(root.join("registry")).unwrap();
    std::fs::write(root.join("registry/m"), "in the way").unwrap();
    let result = register(&mut store, registration("model", dir.path()), &ACT);
    assert!(matches!(result, Err(RegisterError::Store(_))), "{result:?}");
    assert!(staging_left(&root).is_empty());
    assert!(store.versions("m").map(|v| v.is_empty()).unwrap_or(true));
}

#[test]
fn a_protected_stage_needs_an_approved_request() {
    let (dir, mut store, root) = setup();
    std::fs::write(
        root.join("config.toml"),
        "[registry]\nprotected_stages = [\"Production\"]\n",
    )
    .unwrap();
    register(&mut store, registration("model", dir.path()), &ACT).unwrap();

    let moved = transition(&mut store, "m", 1, Stage::Staging, false, &ACT).unwrap();
    assert!(!moved.approved);
    assert_eq!(moved.version.current_stage, "Staging");

    let refused = transition(&mut store, "m", 1, Stage::Production, false, &ACT);
    match refused {
        Err(crate::ops::Error::Store(e)) => {
            assert!(matches!(e.plain(), Error::Refused(_)), "{e:?}")
        }
        other => panic!("{other:?}"),
    }

    let asked = store
        .request_transition("m", 1, Stage::Production, &ACT)
        .unwrap();
    let which = Pending::Of {
        name: "m",
        version: 1,
        stage: None,
    };
    // Self-approval is off by default.
    assert!(decide(&mut store, which, true, &ACT).is_err());
    let bob = Act {
        actor: "bob",
        comment: None,
    };
    let decided = decide(&mut store, Pending::Id(asked.id), true, &bob).unwrap();
    assert_eq!(decided.id, asked.id);
    let moved = transition(&mut store, "m", 1, Stage::Production, false, &ACT).unwrap();
    assert!(moved.approved);
    assert_eq!(moved.version.current_stage, "Production");
}

#[test]
fn an_unreadable_policy_is_its_own_error() {
    let (dir, mut store, root) = setup();
    register(&mut store, registration("model", dir.path()), &ACT).unwrap();
    std::fs::write(root.join("config.toml"), "[registry\n").unwrap();
    let result = transition(&mut store, "m", 1, Stage::Staging, false, &ACT);
    assert!(
        matches!(result, Err(crate::ops::Error::Policy(_))),
        "{result:?}"
    );
    let which = Pending::Id(1);
    assert!(matches!(
        decide(&mut store, which, true, &ACT),
        Err(crate::ops::Error::Policy(_))
    ));
}
