//! `mlf store copy SRC DST`: a store directory copied into another, into PostgreSQL with
//! its artifacts in a bucket (the throwaway cluster and SeaweedFS) and back, and into MySQL
//! (a throwaway MariaDB server), on to PostgreSQL and back, with every id,
//! timestamp, metric point, registry row and artifact byte; a second copy changes nothing;
//! conflicting and bad ends are refused before anything is written.

use std::path::{Path, PathBuf};

use crate::support::TestEnv;

/// A store with the variety a copy must carry: two experiments (one deleted with its run), a
/// finished run with params, tags, a metric history with a NaN, nested artifacts, a deleted
/// run, and a registry with a version from a run, a version copied in, an alias, a stage and a
/// pending request.
fn varied(env: &TestEnv) -> String {
    let id = env.start_run(&["-x", "churn", "-p", "lr=0.1", "-t", "team=x", "--name", "a"]);
    for (step, v) in [("1", "0.5"), ("2", "0.25"), ("3", "nan")] {
        env.mlf(&["log", "metric", "loss", v, "--step", step]).ok();
    }
    env.write("out/report.txt", "hello");
    env.write("out/deep/blob.bin", &"x".repeat(70_000));
    env.mlf(&["log", "artifact", "out", "--to", "eval"]).ok();
    env.write("model/MLmodel", "flavors: {}\n");
    env.mlf(&["log", "artifact", "model"]).ok();
    env.mlf(&["run", "end"]).ok();
    let gone = env.start_run(&["-x", "churn", "--name", "b"]);
    env.mlf(&["run", "end", "--status", "failed"]).ok();
    env.mlf(&["runs", "delete", &gone]).ok();
    env.start_run(&["-x", "old", "--name", "c"]);
    env.mlf(&["run", "end"]).ok();
    env.mlf(&["experiments", "delete", "old"]).ok();
    env.mlf(&[
        "registry",
        "register",
        &format!("runs:/{id}/model"),
        "--name",
        "churn",
    ])
    .ok();
    env.write("local/MLmodel", "flavors: {local: 1}\n");
    env.mlf(&["registry", "register", "./local", "--name", "churn"])
        .ok();
    env.mlf(&["registry", "alias", "churn", "champion", "2"])
        .ok();
    env.mlf(&["registry", "promote", "churn", "1", "--to", "Staging"])
        .ok();
    env.write(
        ".mlf/config.toml",
        "[registry]\nprotected_stages = [\"Production\"]\n",
    );
    env.mlf(&[
        "registry",
        "request",
        "churn",
        "2",
        "--to",
        "Production",
        "--message",
        "ship it",
    ])
    .ok();
    id
}

/// What a store shows, with its own location written as `STORE`.
fn shown(env: &TestEnv, store: &str, dir: &Path, run: &str) -> String {
    let mut text = String::new();
    for args in [
        &["runs", "list", "--all", "--format", "json"][..],
        &["experiments", "list", "--all", "--format", "json"],
        &["registry", "show", "churn"],
        &["registry", "history", "churn"],
        &["registry", "requests", "--all"],
        &["runs", "metric", run, "loss", "--format", "json"],
    ] {
        let mut full = vec!["--store", store];
        full.extend_from_slice(args);
        let out = env.mlf(&full).ok();
        text.push_str(&out.stdout);
    }
    text.replace(&dir.display().to_string(), "STORE")
}

/// Fails on the first line where `got` differs from `want` (a table's columns are as wide as
/// its longest path, so runs of spaces count as one).
fn same(got: &str, want: &str) {
    let words = |l: &str| l.split_whitespace().collect::<Vec<_>>().join(" ");
    for (i, (g, w)) in got.lines().zip(want.lines()).enumerate() {
        assert_eq!(words(g), words(w), "line {} differs", i + 1);
    }
    assert_eq!(got.lines().count(), want.lines().count());
}

/// Every file below `dir`, with its bytes.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().display().to_string();
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

fn copy(env: &TestEnv, args: &[&str]) -> crate::support::Output {
    let mut full = vec!["store", "copy"];
    full.extend_from_slice(args);
    env.mlf(&full)
}

#[test]
fn a_store_directory_is_copied_whole_and_a_second_copy_changes_nothing() {
    let env = TestEnv::new();
    let id = varied(&env);
    let store = env.store().canonicalize().unwrap();
    let out = copy(&env, &[".mlf", "../b/.mlf"]).ok();
    assert!(out.stderr.contains("Copied "), "{out}");
    assert!(
        out.stderr
            .contains("3 experiments, 3 runs, 3 metric points, 2 model versions"),
        "{out}"
    );
    let b = env
        .cwd()
        .parent()
        .unwrap()
        .join("b/.mlf")
        .canonicalize()
        .unwrap();
    let here = shown(&env, store.to_str().unwrap(), &store, &id);
    same(&shown(&env, b.to_str().unwrap(), &b, &id), &here);
    assert_eq!(files(&b.join("artifacts")), files(&store.join("artifacts")));
    assert_eq!(files(&b.join("registry")), files(&store.join("registry")));
    let again = copy(&env, &[".mlf", "../b/.mlf", "--format", "json"]).ok();
    assert!(again.stderr.contains("Unchanged "), "{again}");
    let report = again.json();
    assert_eq!(report["files"]["copied"], 0);
    assert!(
        report["tables"]
            .as_object()
            .unwrap()
            .values()
            .all(|t| t["written"] == 0),
        "{report}"
    );
    assert_eq!(report["tables"]["metrics"]["read"], 3);
    // A change at the source travels on the next copy; nothing in the target is deleted.
    env.mlf(&[
        "--store",
        b.to_str().unwrap(),
        "experiments",
        "create",
        "only-there",
    ])
    .ok();
    env.mlf(&["runs", "delete", "@"]).ok();
    let out = copy(&env, &[".mlf", "../b/.mlf"]).ok();
    assert!(out.stderr.contains("Copied "), "{out}");
    let listed = env
        .mlf(&[
            "--store",
            b.to_str().unwrap(),
            "experiments",
            "list",
            "--format",
            "json",
        ])
        .ok()
        .stdout;
    assert!(listed.contains("only-there"), "{listed}");
    let runs = |dir: &Path| {
        let out = env.mlf(&[
            "--store",
            dir.to_str().unwrap(),
            "runs",
            "list",
            "--all",
            "--format",
            "json",
        ]);
        out.ok().stdout.replace(&dir.display().to_string(), "STORE")
    };
    same(&runs(&b), &runs(&store));
    assert_eq!(runs(&b).matches("\"deleted\"").count(), 3);
}

#[test]
fn bad_ends_are_refused_in_one_line_before_anything_is_written() {
    let env = TestEnv::new();
    varied(&env);
    // The same store twice.
    let out = copy(&env, &[".mlf", "."]).code(2);
    assert!(
        out.stderr.contains("SRC and DST are the same store"),
        "{out}"
    );
    // A tracking server is not a store.
    let out = copy(&env, &["http://127.0.0.1:9/", "../x"]).code(2);
    assert!(out.stderr.contains("is a tracking server"), "{out}");
    assert!(!env.cwd().parent().unwrap().join("x").exists());
    // No store at SRC.
    let out = copy(&env, &["../nowhere", "../x"]).code(1);
    assert!(out.stderr.contains("no mlf store"), "{out}");
    // A destination for a directory.
    let out = copy(
        &env,
        &[".mlf", "../x", "--artifacts-destination", "s3://b/p"],
    )
    .code(2);
    assert!(
        out.stderr
            .contains("--artifacts-destination is for a database"),
        "{out}"
    );
    // An experiment id that is another experiment there.
    let c = env.cwd().parent().unwrap().join("c");
    std::fs::create_dir_all(&c).unwrap();
    env.mlf_in(&c, &["experiments", "create", "fraud"]).ok();
    let out = copy(&env, &[".mlf", "../c/.mlf"]).code(1);
    assert!(
        out.stderr.contains("experiment 1 is `churn` in ")
            && out.stderr.contains("but `fraud` in")
            && out
                .stderr
                .contains("copy into an empty store or rename one of them"),
        "{out}"
    );
    assert_eq!(out.stderr.trim().lines().count(), 1, "{out}");
    let runs = env
        .mlf_in(&c, &["runs", "list", "--all", "--format", "json"])
        .ok()
        .json();
    assert_eq!(runs["runs"].as_array().unwrap().len(), 0);
}

/// Local to PostgreSQL with the artifacts in a bucket, and back into a new directory: the
/// same runs, experiments, registry and history, and the same bytes; the objects are in the
/// bucket, and the database's own commands read them there.
#[test]
fn a_store_goes_to_postgres_and_a_bucket_and_comes_back_the_same() {
    let Some(cluster) = crate::pg::cluster() else {
        return;
    };
    let uri = cluster.new_database();
    let mut env = TestEnv::new();
    for (k, v) in crate::s3::server().vars() {
        env.set(k, &v);
    }
    crate::s3::server().put("mlf-copy/.keep", b"");
    let id = varied(&env);
    let store = env.store().canonicalize().unwrap();
    crate::support::sqlite(
        &store.join("mlf.db"),
        "INSERT INTO webhooks (webhook_id, name, url, creation_time, last_updated_time)
         VALUES ('w1', 'ci', 'https://ci.example/hook', 1, 1)",
    );
    let out = copy(
        &env,
        &[
            ".mlf",
            &uri,
            "--artifacts-destination",
            "s3://mlf-copy/team",
        ],
    )
    .ok();
    assert!(out.stderr.contains("Copied "), "{out}");
    assert!(
        out.stderr
            .contains("Skipped 1 row of `webhooks`: postgresql://"),
        "{out}"
    );
    let objects = crate::s3::server().objects("mlf-copy/team");
    let keys: Vec<&str> = objects.iter().map(|(k, _)| k.as_str()).collect();
    assert!(
        keys.contains(&format!("team/1/{id}/artifacts/eval/out/deep/blob.bin").as_str())
            && keys.contains(&"team/registry/churn/2/local/MLmodel"),
        "{keys:#?}"
    );
    // The database's commands read the files from the bucket.
    let got = env
        .mlf(&[
            "--store",
            &uri,
            "artifacts",
            "get",
            "eval/out/report.txt",
            "--run",
            &id,
            "-o",
            "-",
        ])
        .ok();
    assert_eq!(got.stdout, "hello");
    let resolved = env
        .mlf(&[
            "--store",
            &uri,
            "registry",
            "show",
            "churn",
            "--version",
            "2",
        ])
        .ok();
    assert!(
        resolved
            .stdout
            .contains("s3://mlf-copy/team/registry/churn/2/local"),
        "{resolved}"
    );
    let again = copy(&env, &[".mlf", &uri]).ok();
    assert!(again.stderr.contains("Unchanged "), "{again}");
    // Into another database with its own bucket prefix: objects read from one prefix and
    // written below the other.
    let other = cluster.new_database();
    copy(
        &env,
        &[
            &uri,
            &other,
            "--artifacts-destination",
            "s3://mlf-copy/other",
        ],
    )
    .ok();
    let moved = crate::s3::server().objects("mlf-copy/other");
    assert_eq!(moved.len(), objects.len(), "{moved:#?}");
    let got = env
        .mlf(&[
            "--store",
            &other,
            "artifacts",
            "get",
            "eval/out/report.txt",
            "--run",
            &id,
            "-o",
            "-",
        ])
        .ok();
    assert_eq!(got.stdout, "hello");
    // And back.
    let out = copy(&env, &[&uri, "../back"]).ok();
    assert!(out.stderr.contains("Copied "), "{out}");
    let back: PathBuf = env
        .cwd()
        .parent()
        .unwrap()
        .join("back")
        .canonicalize()
        .unwrap();
    same(
        &shown(&env, back.to_str().unwrap(), &back, &id),
        &shown(&env, store.to_str().unwrap(), &store, &id),
    );
    assert_eq!(
        files(&back.join("artifacts")),
        files(&store.join("artifacts"))
    );
    assert_eq!(
        files(&back.join("registry")),
        files(&store.join("registry"))
    );
    // New experiments in the database continue after the copied ids.
    let made = env
        .mlf(&["--store", &uri, "experiments", "create", "next"])
        .ok();
    assert!(made.stderr.contains("(id 3)"), "{made}");
}

/// Into PostgreSQL with the artifacts in an Azure container (Azurite): the blobs are there, and
/// the database's commands read them.
#[test]
fn a_store_goes_to_postgres_with_its_files_in_azure() {
    let Some(cluster) = crate::pg::cluster() else {
        return;
    };
    let uri = cluster.new_database();
    let mut env = TestEnv::new();
    let az = crate::azure::server();
    for (k, v) in az.vars() {
        env.set(k, &v);
    }
    az.create_container("mlf-copy");
    let id = varied(&env);
    copy(
        &env,
        &[
            ".mlf",
            &uri,
            "--artifacts-destination",
            "az://mlf-copy/team",
        ],
    )
    .ok();
    let blobs: Vec<String> = az
        .blobs("mlf-copy", "team/")
        .into_iter()
        .map(|b| b.0)
        .collect();
    assert!(
        blobs.contains(&format!("team/1/{id}/artifacts/eval/out/deep/blob.bin"))
            && blobs.contains(&"team/registry/churn/2/local/MLmodel".to_string()),
        "{blobs:#?}"
    );
    let got = env
        .mlf(&[
            "--store",
            &uri,
            "artifacts",
            "get",
            "eval/out/report.txt",
            "--run",
            &id,
            "-o",
            "-",
        ])
        .ok();
    assert_eq!(got.stdout, "hello");
    let again = copy(&env, &[".mlf", &uri]).ok();
    assert!(again.stderr.contains("Unchanged "), "{again}");
}

/// Into MySQL (MariaDB) with the files in a bucket, from there into PostgreSQL, and back into
/// directories from both: the same listings and bytes everywhere.
#[test]
fn a_store_goes_to_mysql_then_postgres_and_comes_back_the_same() {
    let (Some(mariadb), Some(cluster)) = (crate::my::server(), crate::pg::cluster()) else {
        return;
    };
    let my = mariadb.new_database();
    let pg = cluster.new_database();
    let mut env = TestEnv::new();
    for (k, v) in crate::s3::server().vars() {
        env.set(k, &v);
    }
    crate::s3::server().put("mlf-mycopy/.keep", b"");
    let id = varied(&env);
    let store = env.store().canonicalize().unwrap();
    let out = copy(
        &env,
        &[".mlf", &my, "--artifacts-destination", "s3://mlf-mycopy/my"],
    )
    .ok();
    assert!(out.stderr.contains("Copied "), "{out}");
    let objects = crate::s3::server().objects("mlf-mycopy/my");
    assert!(
        objects
            .iter()
            .any(|(k, _)| k == &format!("my/1/{id}/artifacts/eval/out/deep/blob.bin")),
        "{objects:#?}"
    );
    let got = env
        .mlf(&[
            "--store",
            &my,
            "artifacts",
            "get",
            "eval/out/report.txt",
            "--run",
            &id,
            "-o",
            "-",
        ])
        .ok();
    assert_eq!(got.stdout, "hello");
    let again = copy(&env, &[".mlf", &my]).ok();
    assert!(again.stderr.contains("Unchanged "), "{again}");
    // MySQL to PostgreSQL, objects moving to another prefix.
    copy(
        &env,
        &[&my, &pg, "--artifacts-destination", "s3://mlf-mycopy/pg"],
    )
    .ok();
    assert_eq!(
        crate::s3::server().objects("mlf-mycopy/pg").len(),
        objects.len()
    );
    for (from, to) in [(&my, "../from-my"), (&pg, "../from-pg")] {
        let out = copy(&env, &[from, to]).ok();
        assert!(out.stderr.contains("Copied "), "{out}");
        let back: PathBuf = env
            .cwd()
            .parent()
            .unwrap()
            .join(to.trim_start_matches("../"))
            .canonicalize()
            .unwrap();
        same(
            &shown(&env, back.to_str().unwrap(), &back, &id),
            &shown(&env, store.to_str().unwrap(), &store, &id),
        );
        assert_eq!(
            files(&back.join("artifacts")),
            files(&store.join("artifacts"))
        );
        assert_eq!(
            files(&back.join("registry")),
            files(&store.join("registry"))
        );
    }
    // New experiments in the database continue after the copied ids.
    let made = env
        .mlf(&["--store", &my, "experiments", "create", "next"])
        .ok();
    assert!(made.stderr.contains("(id 3)"), "{made}");
}
