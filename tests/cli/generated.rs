//! `completions/` and `man/` are generated from the binary; they fail here when they drift.
//! Regenerate with `MLF_BLESS=1 cargo test --test cli generated`.

use std::path::Path;

use mlf::generate::{COMPLETION_FILES, completion, man_pages};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn bless() -> bool {
    std::env::var("MLF_BLESS").is_ok_and(|v| v == "1")
}

#[test]
fn completions_are_current() {
    let dir = root().join("completions");
    for (name, shell) in COMPLETION_FILES {
        let want = completion(*shell);
        let path = dir.join(name);
        if bless() {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &want).unwrap();
            continue;
        }
        let have = std::fs::read(&path).unwrap_or_default();
        assert!(
            have == want,
            "completions/{name} is stale: run `MLF_BLESS=1 cargo test --test cli generated`"
        );
    }
}

#[test]
fn man_pages_are_current() {
    let dir = root().join("man");
    let pages = man_pages();
    if bless() {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for (name, bytes) in &pages {
            std::fs::write(dir.join(name), bytes).unwrap();
        }
        return;
    }
    let mut committed: Vec<String> = std::fs::read_dir(&dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    committed.sort();
    let names: Vec<String> = pages.iter().map(|(n, _)| n.clone()).collect();
    assert_eq!(
        committed, names,
        "man/ has stale or missing pages: run `MLF_BLESS=1 cargo test --test cli generated`"
    );
    for (name, bytes) in &pages {
        let have = std::fs::read(dir.join(name)).unwrap();
        assert!(
            &have == bytes,
            "man/{name} is stale: run `MLF_BLESS=1 cargo test --test cli generated`"
        );
    }
}

#[test]
fn completions_command_prints_the_committed_script() {
    let env = crate::support::TestEnv::new();
    let out = env.mlf(&["completions", "bash"]).ok();
    let committed = std::fs::read_to_string(root().join("completions/mlf.bash")).unwrap();
    assert_eq!(out.stdout, committed);
    assert!(out.stdout.contains("COMPLETE=\"bash\""), "{}", out.stdout);
    // Help, version and completions touch no store.
    assert!(!env.store().exists());
    env.mlf(&["--version"]).ok();
    assert!(!env.store().exists());
}
