//! What the store's unit tests share: a store in a temporary directory, a run in it, and a
//! database that is nearly full.

use std::path::PathBuf;

use super::Store;
use super::runs::NewRun;

/// A new store in a directory of its own below the temporary directory.
pub(super) fn temp_store(name: &str) -> (PathBuf, Store) {
    let dir = std::env::temp_dir().join(format!("mlf-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let store = Store::create(&dir).unwrap();
    (dir, store)
}

/// A new run in the default experiment; its id.
pub(super) fn new_run(store: &mut Store) -> String {
    let run = store
        .create_run(NewRun {
            experiment_id: "0".into(),
            name: None,
            user: "u".into(),
            tags: Vec::new(),
            params: Vec::new(),
            owner: None,
            make_active: false,
            start_time: None,
        })
        .unwrap();
    run.info.run_id
}

/// Lets the store's connection grow the database by two pages at most: a larger write fails
/// as on a full disk.
pub(super) fn nearly_full(store: &Store) {
    let pages: i64 = store
        .conn
        .query_row("PRAGMA page_count", [], |r| r.get(0))
        .unwrap();
    store
        .conn
        .pragma_update(None, "max_page_count", pages + 2)
        .unwrap();
}
