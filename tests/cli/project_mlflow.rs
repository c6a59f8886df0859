//! `mlf project run` against what `mlflow run` (3.17.2) does with the same project: the user
//! recorded when `$USER` is unset, defaults as PyYAML reads them, `path` and `uri` parameters,
//! and the tracking URI a docker_env container gets.

use std::path::{Path, PathBuf};

use crate::support::{self, TestEnv, only_run, param, run_of, tag};

fn write_project(env: &TestEnv, rel: &str, mlproject: &str) -> PathBuf {
    let dir = env.dir.path().join(rel);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("MLproject"), mlproject).unwrap();
    std::fs::canonicalize(dir).unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// The account the tests run as, as the password database names it.
fn account() -> String {
    let out = std::process::Command::new("id")
        .arg("-un")
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn without_user_variables_runs_record_the_account_name() {
    let env = TestEnv::new();
    let mut cmd = env.command(&["run", "--", "true"]);
    cmd.env_remove("USER");
    support::run(cmd).ok();
    let run = run_of(&env, &only_run(&env));
    assert_eq!(tag(&run, "mlflow.user"), Some(account()));

    // LOGNAME wins over USER, as Python's getpass.getuser reads them.
    let env = TestEnv::new();
    let mut cmd = env.command(&["run", "--", "true"]);
    cmd.env("LOGNAME", "lena");
    support::run(cmd).ok();
    let run = run_of(&env, &only_run(&env));
    assert_eq!(tag(&run, "mlflow.user").as_deref(), Some("lena"));
}

#[test]
fn project_runs_without_user_record_the_account_name() {
    let env = TestEnv::new();
    let proj = write_project(
        &env,
        "p",
        "name: p\nentry_points:\n  main:\n    command: \"true\"\n",
    );
    let mut cmd = env.command(&["project", "run", s(&proj), "--env-manager", "local"]);
    cmd.env_remove("USER");
    support::run(cmd).ok();
    let run = run_of(&env, &only_run(&env));
    assert_eq!(tag(&run, "mlflow.user"), Some(account()));
}

/// What `mlflow run` passes for each default (PyYAML's YAML 1.1 reading, then `str()`).
#[test]
fn defaults_are_passed_as_pyyaml_reads_them() {
    let env = TestEnv::new();
    let out = env.dir.path().join("args.txt");
    let proj = write_project(
        &env,
        "p",
        &format!(
            "name: p\nentry_points:\n  main:\n    parameters:\n      \
             lr: {{type: float, default: 1e-1}}\n      \
             mom: {{type: float, default: 0.50}}\n      \
             small: {{type: float, default: 1.0e-5}}\n      \
             n: {{type: int, default: 010}}\n      \
             big: {{type: int, default: 1_000}}\n      \
             flag: {{type: string, default: yes}}\n      \
             quoted: {{type: string, default: '0.50'}}\n    \
             command: \"echo {{lr}} {{mom}} {{small}} {{n}} {{big}} {{flag}} {{quoted}} > {}\"\n",
            out.display()
        ),
    );
    env.mlf(&["project", "run", s(&proj), "--env-manager", "local"])
        .ok();
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "1e-1 0.5 1e-05 8 1000 True 0.50\n"
    );
    let run = run_of(&env, &only_run(&env));
    assert_eq!(param(&run, "lr").as_deref(), Some("1e-1"));
    assert_eq!(param(&run, "n").as_deref(), Some("8"));
}

/// `path` parameters: `file:///x` is `/x`; `runs:/` and `models:/` URIs are downloaded into a
/// fresh directory and the command gets the copy; other remote schemes are refused by name.
/// `uri` parameters take any value with a scheme, as MLflow's `is_uri`.
#[test]
fn path_and_uri_parameters_read_as_mlflow_does() {
    let env = TestEnv::new();
    env.write("data.txt", "from the run\n");
    let id = env.start_run(&[]);
    env.mlf(&["log", "artifact", "data.txt", "--to", "inputs"])
        .ok();
    env.mlf(&["run", "end"]).ok();
    let local = env.write("local.txt", "local file\n");
    let out = env.dir.path().join("seen.txt");
    let proj = write_project(
        &env,
        "p",
        &format!(
            "name: p\nentry_points:\n  main:\n    parameters:\n      \
             data: path\n      model: uri\n    \
             command: \"cat {{data}} >> {out}; echo {{data}} {{model}} >> {out}\"\n",
            out = out.display()
        ),
    );
    let file_uri = format!("data=file://{}", local.display());
    env.mlf(&[
        "project",
        "run",
        s(&proj),
        "--env-manager",
        "local",
        "-P",
        &file_uri,
        "-P",
        "model=models:/churn@champion",
    ])
    .ok();
    let seen = std::fs::read_to_string(&out).unwrap();
    assert_eq!(
        seen,
        format!(
            "local file\n{} models:/churn@champion\n",
            std::fs::canonicalize(&local).unwrap().display()
        )
    );

    std::fs::remove_file(&out).unwrap();
    let runs_uri = format!("data=runs:/{id}/inputs/data.txt");
    env.mlf(&[
        "project",
        "run",
        s(&proj),
        "--env-manager",
        "local",
        "-P",
        &runs_uri,
        "-P",
        "model=runs:/abc/model",
    ])
    .ok();
    let seen = std::fs::read_to_string(&out).unwrap();
    let (content, paths) = seen.split_once('\n').unwrap();
    assert_eq!(content, "from the run");
    let copied = paths.split(' ').next().unwrap();
    assert!(copied.ends_with("/param_0/data.txt"), "{seen}");
    assert!(
        !copied.contains("/.mlf/"),
        "a copy, not the store's file: {seen}"
    );
    assert!(paths.ends_with(" runs:/abc/model\n"), "{seen}");

    let err = env
        .mlf(&[
            "project",
            "run",
            s(&proj),
            "--env-manager",
            "local",
            "-P",
            "data=s3://bucket/key",
            "-P",
            "model=x",
        ])
        .code(2);
    assert!(err.stderr.contains("must be a URI"), "{err}");
    let err = env
        .mlf(&[
            "project",
            "run",
            s(&proj),
            "--env-manager",
            "local",
            "-P",
            "data=gs://bucket/key",
            "-P",
            "model=s3://b/k",
        ])
        .code(2);
    assert!(
        err.stderr.contains("`gs://bucket/key`") && err.stderr.contains("local file"),
        "{err}"
    );
}

/// `mlflow-artifacts:` URIs given to `path` parameters are downloaded from the tracking
/// server's artifact proxy (a file, or a directory whole), whether the URI names the server or
/// leaves it to `MLFLOW_TRACKING_URI`.
#[test]
fn path_parameters_download_mlflow_artifacts_uris_from_the_tracking_server() {
    let mut env = TestEnv::new();
    env.write("data.txt", "from the server\n");
    env.write("dir/a.txt", "a\n");
    env.write("dir/sub/b.txt", "b\n");
    let id = env.start_run(&[]);
    env.mlf(&["log", "artifact", "data.txt", "--to", "inputs"])
        .ok();
    env.mlf(&["log", "artifact", "dir", "--to", "inputs"]).ok();
    env.mlf(&["run", "end"]).ok();
    let server = crate::server::Server::start(&env, &[]);
    let url = server.url();
    let exp = crate::support::run_of(&env, &id)["info"]["experiment_id"]
        .as_str()
        .unwrap()
        .to_string();
    let out = env.dir.path().join("seen.txt");
    let proj = write_project(
        &env,
        "p",
        &format!(
            "name: p\nentry_points:\n  main:\n    parameters:\n      data: path\n    \
             command: \"cat {{data}} >> {out}; ls -R {{data}} >> {out}\"\n",
            out = out.display()
        ),
    );
    let host = url.trim_start_matches("http://").trim_end_matches('/');
    let file =
        format!("data=mlflow-artifacts://{host}/artifacts/{exp}/{id}/artifacts/inputs/data.txt");
    env.mlf(&[
        "project",
        "run",
        s(&proj),
        "--env-manager",
        "local",
        "-P",
        &file,
    ])
    .ok();
    let seen = std::fs::read_to_string(&out).unwrap();
    assert!(seen.starts_with("from the server\n"), "{seen}");
    assert!(seen.contains("/param_0/data.txt"), "{seen}");

    std::fs::remove_file(&out).unwrap();
    env.set("MLFLOW_TRACKING_URI", &url);
    let dir = format!("data=mlflow-artifacts:/artifacts/{exp}/{id}/artifacts/inputs/dir");
    env.mlf(&[
        "project",
        "run",
        s(&proj),
        "--env-manager",
        "local",
        "-P",
        &dir,
    ])
    .ok();
    let seen = std::fs::read_to_string(&out).unwrap();
    assert!(
        seen.contains("a.txt") && seen.contains("sub") && seen.contains("b.txt"),
        "{seen}"
    );

    let missing = format!("data=mlflow-artifacts:/artifacts/{exp}/{id}/artifacts/nothing.txt");
    let err = env
        .mlf(&[
            "project",
            "run",
            s(&proj),
            "--env-manager",
            "local",
            "-P",
            &missing,
        ])
        .code(2);
    assert!(err.stderr.contains("cannot download"), "{err}");
}

/// `s3://` path parameters are downloaded from the bucket (a real S3 server, SeaweedFS, that
/// checks the keys) as MLflow does: an object as a file, a prefix as a tree. Wrong keys and a
/// missing object are refused with the URI named and no secret shown.
#[test]
fn path_parameters_download_s3_uris() {
    let s3 = crate::s3::server();
    s3.put("params-bucket/data/train.csv", b"a,b\n1,2\n");
    s3.put("params-bucket/data/sub/readme.txt", b"hello\n");
    let big: Vec<u8> = (0..9 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
    s3.put("params-bucket/blobs/big.bin", &big);
    let mut env = TestEnv::new();
    for (k, v) in s3.vars() {
        env.set(k, &v);
    }
    env.mlf(&["init"]).ok();
    let out = env.dir.path().join("seen.txt");
    let proj = write_project(
        &env,
        "p",
        &format!(
            "name: p\nentry_points:\n  main:\n    parameters:\n      data: path\n    \
             command: \"echo {{data}} >> {out}; cat {{data}} >> {out} 2>/dev/null; ls -R {{data}} >> {out}\"\n",
            out = out.display()
        ),
    );
    let run = |env: &TestEnv, value: &str| {
        env.mlf(&[
            "project",
            "run",
            s(&proj),
            "--env-manager",
            "local",
            "-P",
            &format!("data={value}"),
        ])
    };
    run(&env, "s3://params-bucket/data/train.csv").ok();
    let seen = std::fs::read_to_string(&out).unwrap();
    assert!(seen.contains("/param_0/train.csv\na,b\n1,2\n"), "{seen}");

    std::fs::remove_file(&out).unwrap();
    run(&env, "s3://params-bucket/data").ok();
    let seen = std::fs::read_to_string(&out).unwrap();
    let first = seen.lines().next().unwrap().to_string();
    assert!(first.ends_with("/param_0/data"), "{seen}");
    assert_eq!(
        std::fs::read_to_string(Path::new(&first).join("sub/readme.txt")).unwrap(),
        "hello\n"
    );
    assert_eq!(
        std::fs::read_to_string(Path::new(&first).join("train.csv")).unwrap(),
        "a,b\n1,2\n"
    );

    // More than one ranged read.
    std::fs::remove_file(&out).unwrap();
    run(&env, "s3://params-bucket/blobs/big.bin").ok();
    let seen = std::fs::read(&out).unwrap();
    let line = seen.split(|b| *b == b'\n').next().unwrap();
    let path = String::from_utf8_lossy(line).into_owned();
    assert_eq!(std::fs::read(&path).unwrap(), big);

    let err = run(&env, "s3://params-bucket/data/nothing.csv").code(2);
    assert!(
        err.stderr.contains(
            "cannot download parameter `data`: s3://params-bucket/data/nothing.csv: no object"
        ),
        "{err}"
    );
    let err = run(&env, "s3://no-such-bucket/x.csv").code(2);
    assert!(err.stderr.contains("no such bucket"), "{err}");

    // No keys at all: the instance's metadata service is asked, and does not answer here.
    let mut bare = TestEnv::new();
    bare.set("MLFLOW_S3_ENDPOINT_URL", &s3.endpoint);
    bare.mlf(&["init"]).ok();
    let err = run(&bare, "s3://params-bucket/data/train.csv").code(2);
    assert!(err.stderr.contains("no S3 credentials"), "{err}");

    env.set("AWS_SECRET_ACCESS_KEY", "wrong-secret-value");
    let err = run(&env, "s3://params-bucket/data/train.csv").code(2);
    assert!(err.stderr.contains("access denied"), "{err}");
    assert!(!err.stderr.contains("wrong-secret-value"), "{err}");
    assert!(!err.stderr.contains(crate::s3::SECRET), "{err}");
    assert!(err.stderr.contains("AWS_ACCESS_KEY_ID"), "{err}");
}
