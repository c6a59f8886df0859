//! Tests of `mlf` (artifacts), through the binary: `mlf log artifact`, `mlf artifacts
//! put|list|get`, and that no path, symlink or `..` lets a command read or write outside the
//! run's artifact root.

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::support::{Output, TestEnv};

/// The run's artifact directory, from `runs show`.
fn artifact_dir(env: &TestEnv, run: &str) -> PathBuf {
    let v = env
        .mlf(&["runs", "show", run, "--format", "json"])
        .ok()
        .json();
    PathBuf::from(v["run"]["info"]["artifact_uri"].as_str().unwrap())
}

/// `artifacts list ARGS --format json`.
fn list_json(env: &TestEnv, args: &[&str]) -> Value {
    let mut all = vec!["artifacts", "list", "--format", "json"];
    all.extend_from_slice(args);
    env.mlf(&all).ok().json()
}

fn file(path: &str, size: u64) -> Value {
    json!({"path": path, "is_dir": false, "file_size": size})
}

fn dir(path: &str) -> Value {
    json!({"path": path, "is_dir": true})
}

/// Every file below `root` (except any `.mlf` store), relative, sorted, with its content.
fn tree(root: &Path) -> Vec<(String, String)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            if e.file_name() == ".mlf" {
                // The store is compared by `snapshot_store`; its database files churn.
                continue;
            }
            let p = e.path();
            let meta = std::fs::symlink_metadata(&p).unwrap();
            let rel = p.strip_prefix(root).unwrap().display().to_string();
            if meta.is_dir() {
                out.push((format!("{rel}/"), String::new()));
                walk(root, &p, out);
            } else if meta.file_type().is_symlink() {
                out.push((
                    rel,
                    format!("-> {}", std::fs::read_link(&p).unwrap().display()),
                ));
            } else {
                out.push((rel, std::fs::read_to_string(&p).unwrap_or_default()));
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

#[track_caller]
fn assert_refused(env: &TestEnv, args: &[&str]) -> Output {
    let before = env.snapshot_store();
    let work_before = tree(&env.cwd());
    let out = env.mlf(args).code(2);
    assert!(out.stderr.contains("error:"), "no `error:` line:\n{out}");
    assert_eq!(
        env.snapshot_store(),
        before,
        "the store changed after a refused `mlf {}`",
        args.join(" ")
    );
    assert_eq!(
        tree(&env.cwd()),
        work_before,
        "files changed after a refused `mlf {}`",
        args.join(" ")
    );
    out
}

/// A run with a small directory `data/` (a.txt, nested/b.txt) and a file `model.txt` beside
/// it in the working directory.
fn setup() -> (TestEnv, String) {
    let env = TestEnv::new();
    let id = env.start_run(&[]);
    env.write("model.txt", "weights!");
    env.write("data/a.txt", "alpha");
    env.write("data/nested/b.txt", "bravo!");
    (env, id)
}

// ---------------------------------------------------------------------------------------------
// put

#[test]
fn log_artifact_file_goes_to_the_root() {
    let (env, id) = setup();
    let out = env.mlf(&["log", "artifact", "model.txt"]).ok();
    assert_eq!(out.stdout, "");
    assert!(out.stderr.contains("1 file"), "{out}");
    let root = artifact_dir(&env, &id);
    assert_eq!(
        tree(&root),
        [("model.txt".to_string(), "weights!".to_string())]
    );
    let v = list_json(&env, &[]);
    assert_eq!(v["files"], json!([file("model.txt", 8)]));
    assert_eq!(v["root_uri"], root.display().to_string());
}

#[test]
fn log_artifact_to_a_subdirectory() {
    let (env, id) = setup();
    env.mlf(&["log", "artifact", "model.txt", "--to", "sub/dir"])
        .ok();
    let root = artifact_dir(&env, &id);
    assert_eq!(
        std::fs::read_to_string(root.join("sub/dir/model.txt")).unwrap(),
        "weights!"
    );
    assert_eq!(list_json(&env, &[])["files"], json!([dir("sub")]));
    assert_eq!(list_json(&env, &["sub"])["files"], json!([dir("sub/dir")]));
    assert_eq!(
        list_json(&env, &["-R"])["files"],
        json!([dir("sub"), dir("sub/dir"), file("sub/dir/model.txt", 8)])
    );
    // `--to` with a trailing slash or `./` is the same place.
    env.mlf(&["log", "artifact", "model.txt", "--to", "./sub/dir/"])
        .ok();
    assert_eq!(
        list_json(&env, &["-R"])["files"],
        json!([dir("sub"), dir("sub/dir"), file("sub/dir/model.txt", 8)])
    );
}

#[test]
fn log_artifact_directory_keeps_its_layout() {
    let (env, id) = setup();
    let out = env.mlf(&["log", "artifact", "data"]).ok();
    assert!(out.stderr.contains("2 files"), "{out}");
    let root = artifact_dir(&env, &id);
    assert_eq!(
        tree(&root),
        [
            ("data/".to_string(), String::new()),
            ("data/a.txt".to_string(), "alpha".to_string()),
            ("data/nested/".to_string(), String::new()),
            ("data/nested/b.txt".to_string(), "bravo!".to_string()),
        ]
    );
    env.mlf(&["log", "artifact", "data", "--to", "inputs"]).ok();
    assert_eq!(
        list_json(&env, &["-R", "inputs"])["files"],
        json!([
            dir("inputs/data"),
            file("inputs/data/a.txt", 5),
            dir("inputs/data/nested"),
            file("inputs/data/nested/b.txt", 6)
        ])
    );
    // A trailing slash or `.` names the same directory.
    env.mlf(&["log", "artifact", "data/", "--to", "slash"]).ok();
    assert_eq!(
        list_json(&env, &["slash"])["files"],
        json!([dir("slash/data")])
    );
}

#[test]
fn artifacts_put_is_log_artifact() {
    let (env, id) = setup();
    env.mlf(&["artifacts", "put", "model.txt", "--to", "m"])
        .ok();
    env.mlf(&["artifacts", "put", "data"]).ok();
    let root = artifact_dir(&env, &id);
    assert_eq!(
        std::fs::read_to_string(root.join("m/model.txt")).unwrap(),
        "weights!"
    );
    assert_eq!(
        std::fs::read_to_string(root.join("data/nested/b.txt")).unwrap(),
        "bravo!"
    );
}

#[test]
fn logging_again_replaces_the_file() {
    let (env, id) = setup();
    env.mlf(&["log", "artifact", "model.txt"]).ok();
    env.write("model.txt", "v2");
    env.mlf(&["log", "artifact", "model.txt"]).ok();
    let root = artifact_dir(&env, &id);
    assert_eq!(tree(&root), [("model.txt".to_string(), "v2".to_string())]);
}

#[test]
fn put_to_another_run_with_run_flag() {
    let (env, first) = setup();
    env.mlf(&["run", "end"]).ok();
    let second = env.start_run(&[]);
    env.mlf(&["log", "artifact", "model.txt", "--run", &first])
        .ok();
    assert_eq!(tree(&artifact_dir(&env, &second)), []);
    assert_eq!(
        list_json(&env, &["--run", &first])["files"],
        json!([file("model.txt", 8)])
    );
    assert_eq!(list_json(&env, &[])["files"], json!([]));
}

#[test]
fn put_to_a_deleted_run_is_refused() {
    let (env, id) = setup();
    env.mlf(&["runs", "delete", &id]).ok();
    let out = assert_refused(&env, &["log", "artifact", "model.txt", "--run", &id]);
    assert!(out.stderr.contains("deleted"), "{out}");
}

#[test]
fn put_of_a_missing_file_is_refused() {
    let (env, _) = setup();
    let out = assert_refused(&env, &["log", "artifact", "nope.txt"]);
    assert!(out.stderr.contains("nope.txt"), "{out}");
    assert_refused(&env, &["artifacts", "put", "nope/"]);
}

#[test]
fn put_without_a_run_is_refused() {
    let env = TestEnv::new();
    env.mlf(&["init"]).ok();
    env.write("model.txt", "x");
    let out = assert_refused(&env, &["log", "artifact", "model.txt"]);
    assert!(out.stderr.contains("hint:"), "{out}");
}

// ---------------------------------------------------------------------------------------------
// list and get

#[test]
fn list_table_and_csv() {
    let (env, _) = setup();
    env.mlf(&["log", "artifact", "data"]).ok();
    env.mlf(&["log", "artifact", "model.txt"]).ok();
    let out = env.mlf(&["artifacts", "list"]).ok();
    let rows: Vec<Vec<&str>> = out
        .stdout
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        rows,
        vec![
            vec!["PATH", "SIZE"],
            vec!["data/"],
            vec!["model.txt", "8", "B"]
        ]
    );
    let out = env.mlf(&["artifacts", "ls", "-R", "--format", "csv"]).ok();
    assert_eq!(
        out.stdout,
        "path,is_dir,file_size\n\
         data,true,\n\
         data/a.txt,false,5\n\
         data/nested,true,\n\
         data/nested/b.txt,false,6\n\
         model.txt,false,8\n"
    );
}

#[test]
fn list_of_a_run_without_artifacts_is_empty() {
    let (env, _) = setup();
    let v = list_json(&env, &[]);
    assert_eq!(v["files"], json!([]));
    let out = env.mlf(&["artifacts", "list"]).ok();
    assert_eq!(out.stdout, "");
}

#[test]
fn list_of_a_file_or_a_missing_path() {
    let (env, _) = setup();
    env.mlf(&["log", "artifact", "data"]).ok();
    assert_eq!(
        list_json(&env, &["data/a.txt"])["files"],
        json!([file("data/a.txt", 5)])
    );
    let out = assert_refused(&env, &["artifacts", "list", "missing"]);
    assert!(out.stderr.contains("missing"), "{out}");
}

#[test]
fn get_a_file() {
    let (env, _) = setup();
    env.mlf(&["log", "artifact", "model.txt", "--to", "m"]).ok();
    let out = env
        .mlf(&["artifacts", "get", "m/model.txt", "-o", "out"])
        .ok();
    assert!(out.stderr.contains("1 file"), "{out}");
    assert_eq!(
        tree(&env.cwd().join("out")),
        [("model.txt".to_string(), "weights!".to_string())]
    );
    // Into the current directory by default.
    std::fs::remove_file(env.cwd().join("model.txt")).unwrap();
    env.mlf(&["artifacts", "get", "m/model.txt"]).ok();
    assert_eq!(
        std::fs::read_to_string(env.cwd().join("model.txt")).unwrap(),
        "weights!"
    );
}

#[test]
fn get_a_directory() {
    let (env, _) = setup();
    env.mlf(&["log", "artifact", "data", "--to", "in"]).ok();
    let out = env
        .mlf(&["artifacts", "get", "in/data", "--output-dir", "restored"])
        .ok();
    assert!(out.stderr.contains("2 files"), "{out}");
    assert_eq!(
        tree(&env.cwd().join("restored")),
        [
            ("data/".to_string(), String::new()),
            ("data/a.txt".to_string(), "alpha".to_string()),
            ("data/nested/".to_string(), String::new()),
            ("data/nested/b.txt".to_string(), "bravo!".to_string()),
        ]
    );
}

#[test]
fn get_from_another_run() {
    let (env, first) = setup();
    env.mlf(&["log", "artifact", "model.txt"]).ok();
    env.mlf(&["run", "end"]).ok();
    env.start_run(&[]);
    env.mlf(&["artifacts", "get", "model.txt", "-o", "o", "--run", &first])
        .ok();
    assert_eq!(
        std::fs::read_to_string(env.cwd().join("o/model.txt")).unwrap(),
        "weights!"
    );
}

#[test]
fn get_of_a_missing_artifact_is_refused() {
    let (env, _) = setup();
    env.mlf(&["log", "artifact", "model.txt"]).ok();
    let out = assert_refused(&env, &["artifacts", "get", "nope.txt", "-o", "out"]);
    assert!(out.stderr.contains("nope.txt"), "{out}");
}

#[test]
fn show_lists_artifacts() {
    let (env, id) = setup();
    env.mlf(&["log", "artifact", "data"]).ok();
    let out = env.mlf(&["runs", "show", &id]).ok();
    assert!(out.stdout.contains("data/a.txt"), "{out}");
    assert!(out.stdout.contains("data/nested/b.txt"), "{out}");
}

// ---------------------------------------------------------------------------------------------
// escapes

#[test]
fn put_destination_outside_the_root_is_refused() {
    let (env, _) = setup();
    for to in ["../x", "/abs", "a/../../x", "..", "/"] {
        let out = assert_refused(&env, &["log", "artifact", "model.txt", "--to", to]);
        assert!(out.stderr.contains(to), "{out}");
        assert_refused(&env, &["artifacts", "put", "data", "--to", to]);
    }
    assert!(!env.dir.path().join("x").exists());
    assert!(!Path::new("/abs").exists());
}

#[test]
fn get_and_list_outside_the_root_are_refused() {
    let (env, _) = setup();
    env.mlf(&["log", "artifact", "model.txt"]).ok();
    for path in ["../../etc/passwd", "/etc/passwd", "..", "a/../../b"] {
        assert_refused(&env, &["artifacts", "get", path, "-o", "out"]);
        assert_refused(&env, &["artifacts", "list", path]);
    }
    assert!(!env.cwd().join("out").exists());
}

#[test]
fn directory_with_a_symlink_out_is_refused() {
    let (env, _) = setup();
    let secret = env.dir.path().join("secret.txt");
    std::fs::write(&secret, "top secret").unwrap();
    symlink(&secret, env.cwd().join("data/leak.txt")).unwrap();
    let out = assert_refused(&env, &["log", "artifact", "data"]);
    assert!(out.stderr.contains("leak.txt"), "{out}");
    symlink("/etc/hostname", env.cwd().join("data/nested/host")).unwrap();
    std::fs::remove_file(env.cwd().join("data/leak.txt")).unwrap();
    assert_refused(&env, &["artifacts", "put", "data"]);
}

#[test]
fn directory_with_a_symlink_to_a_directory_is_refused() {
    let (env, _) = setup();
    let outside = env.dir.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("s.txt"), "s").unwrap();
    symlink(&outside, env.cwd().join("data/dirlink")).unwrap();
    assert_refused(&env, &["log", "artifact", "data"]);
}

#[test]
fn directory_with_a_symlink_inside_it_is_copied_as_a_file() {
    let (env, id) = setup();
    symlink("a.txt", env.cwd().join("data/alias.txt")).unwrap();
    env.mlf(&["log", "artifact", "data"]).ok();
    let root = artifact_dir(&env, &id);
    let copied = root.join("data/alias.txt");
    assert!(
        !std::fs::symlink_metadata(&copied)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(std::fs::read_to_string(copied).unwrap(), "alpha");
}

#[test]
fn planted_symlink_in_the_artifact_root_is_not_followed_by_get() {
    let (env, id) = setup();
    env.mlf(&["log", "artifact", "model.txt"]).ok();
    let root = artifact_dir(&env, &id);
    let secret = env.dir.path().join("secret.txt");
    std::fs::write(&secret, "top secret").unwrap();
    symlink(&secret, root.join("leak")).unwrap();
    symlink("/etc", root.join("etc")).unwrap();

    let out = assert_refused(&env, &["artifacts", "get", "leak", "-o", "out"]);
    assert!(out.stderr.contains("leak"), "{out}");
    assert_refused(&env, &["artifacts", "get", "etc/hostname", "-o", "out"]);
    assert_refused(&env, &["artifacts", "get", "etc", "-o", "out"]);
    assert_refused(&env, &["artifacts", "list", "etc"]);
    assert!(!env.cwd().join("out").exists());
    // Getting the whole root would take the planted links too: refused as a whole.
    assert_refused(&env, &["artifacts", "get", ".", "-o", "all"]);
    assert!(!env.cwd().join("all").exists());
}

#[test]
fn planted_symlink_in_a_nested_directory_is_not_followed() {
    let (env, id) = setup();
    env.mlf(&["log", "artifact", "data"]).ok();
    let root = artifact_dir(&env, &id);
    let secret = env.dir.path().join("secret.txt");
    std::fs::write(&secret, "top secret").unwrap();
    symlink(&secret, root.join("data/nested/leak")).unwrap();
    assert_refused(&env, &["artifacts", "get", "data", "-o", "out"]);
    assert!(!env.cwd().join("out").exists());
}

#[test]
fn planted_directory_symlink_is_not_written_through() {
    let (env, id) = setup();
    let root = artifact_dir(&env, &id);
    std::fs::create_dir_all(&root).unwrap();
    let outside = env.dir.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    symlink(&outside, root.join("evil")).unwrap();

    let out = env
        .mlf(&["log", "artifact", "model.txt", "--to", "evil"])
        .code(2);
    assert!(out.stderr.contains("error:"), "{out}");
    let out = env
        .mlf(&["log", "artifact", "model.txt", "--to", "evil/new/sub"])
        .code(2);
    assert!(out.stderr.contains("error:"), "{out}");
    assert_eq!(
        tree(&outside),
        [],
        "a refused `log artifact` created files or directories outside the artifact root"
    );
}

#[test]
fn a_killed_directory_copy_leaves_no_directory_that_looks_complete() {
    let (env, id) = setup();
    // A large (sparse) last file keeps the copy busy long enough to kill it midway.
    env.write("big/a.txt", "first");
    let big = std::fs::File::create(env.cwd().join("big/z.bin")).unwrap();
    big.set_len(2 << 30).unwrap();
    let root = artifact_dir(&env, &id);
    let mut cmd = env.command(&["log", "artifact", "big"]);
    cmd.stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut child = cmd.spawn().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let staging = loop {
        let hidden = std::fs::read_dir(&root).ok().and_then(|d| {
            d.flatten().map(|e| e.path()).find(|p| {
                p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with(".big.")
            })
        });
        if let Some(h) = hidden.filter(|h| h.join("a.txt").is_file()) {
            break h;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the copy never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        !root.join("big").exists(),
        "a partial `big` stands in the run"
    );
    let listed = list_json(&env, &[]);
    assert!(!listed.to_string().contains("big"), "{listed}");
    // The next copy lands whole beside the leftover, which stays hidden.
    std::fs::File::create(env.cwd().join("big/z.bin"))
        .unwrap()
        .set_len(10)
        .unwrap();
    env.mlf(&["log", "artifact", "big"]).ok();
    assert_eq!(
        list_json(&env, &["-R", "big"])["files"],
        json!([file("big/a.txt", 5), file("big/z.bin", 10)])
    );
    let _ = std::fs::remove_dir_all(staging);
}
