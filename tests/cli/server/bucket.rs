//! `mlf server --store postgresql://… --artifacts-destination s3://BUCKET/PREFIX`: the artifact
//! proxy over a real S3 server (SeaweedFS, `crate::s3`) checking its keys, beside the
//! PostgreSQL cluster of the store contract. Clients send and get artifacts through the
//! server alone; the objects land in the bucket, nothing on the server's disk.

use std::io::Write;

use serde_json::json;

use super::{Server, mlf};
use crate::support::TestEnv;

/// A test directory whose commands reach the S3 server with good keys, and a database.
fn setup() -> Option<(TestEnv, String)> {
    let uri = crate::pg::cluster()?.new_database();
    let mut env = TestEnv::new();
    for (k, v) in crate::s3::server().vars() {
        env.set(k, &v);
    }
    Some((env, uri))
}

/// `mlf server` on the database `uri` with its artifacts below `dest`.
fn serve(env: &TestEnv, uri: &str, dest: &str) -> Server {
    Server::start(env, &["--store", uri, "--artifacts-destination", dest])
}

/// Makes `bucket` (the filer makes it with its first object).
fn make_bucket(bucket: &str) {
    crate::s3::server().put(&format!("{bucket}/.keep"), b"");
}

/// The `mlflow` client logs, registers and loads models through a server on PostgreSQL whose
/// artifacts go to a bucket: every file is an object below the prefix, the server's directory
/// holds none, and the command line on the same database reads them from the bucket (the
/// database recorded the destination).
#[test]
fn the_mlflow_client_works_through_a_server_on_postgres_with_artifacts_in_a_bucket() {
    let Some((env, uri)) = setup() else {
        return;
    };
    make_bucket("mlf-e2e");
    let s = serve(&env, &uri, "s3://mlf-e2e/team");
    super::mlflow_client_through(&env, &s, &["--store", &uri]);
    let objects = crate::s3::server().objects("mlf-e2e/team");
    let keys: Vec<&str> = objects.iter().map(|(k, _)| k.as_str()).collect();
    for want in [
        "/artifacts/tree/a.txt",
        "/artifacts/tree/sub/b.txt",
        "/artifacts/docs/notes.txt",
        "/MLmodel",
    ] {
        assert!(
            keys.iter()
                .any(|k| k.starts_with("team/") && k.ends_with(want)),
            "no object ending in {want}: {keys:#?}"
        );
    }
    assert!(
        !env.cwd().join("mlruns").exists(),
        "artifacts were written to the server's disk"
    );
}

/// A file larger than a part goes up as a multipart upload and comes back byte for byte; an
/// upload that breaks off after its first part leaves no object; listings, folders, deletes
/// and escapes behave as on a local root.
#[test]
fn uploads_through_the_proxy_are_whole_or_absent_in_the_bucket() {
    let Some((env, uri)) = setup() else {
        return;
    };
    make_bucket("mlf-parts");
    let s = serve(&env, &uri, "s3://mlf-parts/p");
    let run = s.create_run("0", "big");
    let base = format!("/api/2.0/mlflow-artifacts/artifacts/0/{run}/artifacts");
    let info = s.get_ok("runs/get", &[("run_id", &run)]);
    assert_eq!(
        info["run"]["info"]["artifact_uri"],
        format!("mlflow-artifacts:/0/{run}/artifacts")
    );

    // 20 MiB and a few bytes: three parts of 8 MiB, the last one short.
    let big: Vec<u8> = (0..20 * 1024 * 1024 + 7)
        .map(|i: u32| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let put = s.raw("PUT", &format!("{base}/data/big.bin"), &[], &big);
    assert_eq!(put.status, 200, "{put}");
    s.put_artifact(&format!("0/{run}/artifacts/data/small.txt"), b"small\n");
    let got = s.raw("GET", &format!("{base}/data/big.bin"), &[], b"");
    assert_eq!(got.status, 200, "{got}");
    assert!(got.body == big, "the download differs from the upload");
    assert_eq!(
        got.header("content-disposition"),
        Some("attachment; filename=big.bin")
    );
    let objects = crate::s3::server().objects("mlf-parts/p");
    assert_eq!(
        objects,
        vec![
            (
                format!("p/0/{run}/artifacts/data/big.bin"),
                big.len() as u64
            ),
            (format!("p/0/{run}/artifacts/data/small.txt"), 6),
        ]
    );

    // Listings: the proxy's and the tracking API's.
    let listing = s.raw(
        "GET",
        &format!("/api/2.0/mlflow-artifacts/artifacts?path=0/{run}/artifacts/data"),
        &[],
        b"",
    );
    assert_eq!(
        listing.json(),
        json!({ "files": [
            { "path": "big.bin", "is_dir": false, "file_size": big.len() },
            { "path": "small.txt", "is_dir": false, "file_size": 6 },
        ] })
    );
    let listed = s.get_ok("artifacts/list", &[("run_id", &run)]);
    assert_eq!(
        listed,
        json!({
            "root_uri": format!("mlflow-artifacts:/0/{run}/artifacts"),
            "files": [{ "path": "data", "is_dir": true }],
        })
    );
    // The UI's file routes reach the same objects.
    let ui = s.raw(
        "GET",
        &format!("/get-artifact?path=data/small.txt&run_uuid={run}"),
        &[],
        b"",
    );
    assert_eq!((ui.status, ui.text()), (200, "small\n".to_string()), "{ui}");
    let up = s.raw(
        "POST",
        &format!("/ajax-api/2.0/mlflow/upload-artifact?run_uuid={run}&path=ui/note.txt"),
        &[],
        b"from the UI",
    );
    assert_eq!(up.status, 200, "{up}");
    let got = s.raw("GET", &format!("{base}/ui/note.txt"), &[], b"");
    assert_eq!(got.text(), "from the UI");
    assert_eq!(s.raw("DELETE", &format!("{base}/ui"), &[], b"").status, 200);

    // A folder is not downloaded; a missing file is 404; `..` is refused.
    let folder = s.raw("GET", &format!("{base}/data"), &[], b"");
    assert_eq!(folder.status, 400, "{folder}");
    assert_eq!(s.raw("GET", &format!("{base}/nope"), &[], b"").status, 404);
    let escape = s.raw("GET", &format!("{base}/%2e%2e/%2e%2e/x"), &[], b"");
    assert_eq!(escape.status, 400, "{escape}");

    // An upload that stops after 12 MiB of 30: one part went up, the object never appears.
    {
        let mut stream = std::net::TcpStream::connect(&s.addr).unwrap();
        let head = format!(
            "PUT {base}/broken.bin HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\n\r\n",
            s.addr,
            30 * 1024 * 1024
        );
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(&big[..12 * 1024 * 1024]).unwrap();
        stream.flush().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert_eq!(
        s.raw("GET", &format!("{base}/broken.bin"), &[], b"").status,
        404
    );
    let keys: Vec<String> = crate::s3::server()
        .objects("mlf-parts/p")
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert!(!keys.iter().any(|k| k.ends_with("broken.bin")), "{keys:#?}");

    // A listing longer than one page of the bucket's (1,000 keys) comes back whole.
    for i in 0..1050 {
        crate::s3::server().put(
            &format!("mlf-parts/p/0/{run}/artifacts/many/f{i:04}.txt"),
            b"x",
        );
    }
    let many = s.raw(
        "GET",
        &format!("/api/2.0/mlflow-artifacts/artifacts?path=0/{run}/artifacts/many"),
        &[],
        b"",
    );
    let names: Vec<String> = many.json()["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    let want: Vec<String> = (0..1050).map(|i| format!("f{i:04}.txt")).collect();
    assert_eq!(names, want);
    let listed = s.get_ok("artifacts/list", &[("run_id", &run), ("path", "many")]);
    assert_eq!(listed["files"].as_array().unwrap().len(), 1050);
    assert_eq!(
        s.raw("DELETE", &format!("{base}/many"), &[], b"").status,
        200
    );

    // Deleting a folder removes everything below it.
    let deleted = s.raw("DELETE", &format!("{base}/data"), &[], b"");
    assert_eq!(deleted.status, 200, "{deleted}");
    assert_eq!(crate::s3::server().objects("mlf-parts/p"), vec![]);
}

/// A bucket the server cannot use stops it before it listens, in one line naming the bucket
/// and the fix, never the secret; `/health` answers 503 once the bucket is gone.
#[test]
fn a_bucket_that_cannot_be_used_stops_the_server_and_fails_health() {
    let Some((mut env, uri)) = setup() else {
        return;
    };
    let start = |env: &TestEnv, dest: &str| {
        mlf(
            env,
            &[
                "server",
                "--port",
                "0",
                "--store",
                &uri,
                "--artifacts-destination",
                dest,
            ],
        )
    };
    let missing = start(&env, "s3://mlf-no-such-bucket/p").code(1);
    assert_eq!(
        missing.stderr.trim(),
        "error: cannot use the artifact destination: s3://mlf-no-such-bucket/p: no such bucket (create the bucket first)"
    );
    let other = start(&env, "hdfs://b/p").code(2);
    assert!(
        other
            .stderr
            .contains("`hdfs://` artifact roots are not supported"),
        "{other}"
    );
    // Google Cloud Storage without credentials: the metadata server of a machine outside
    // Google's cloud gives none.
    let gs = start(&env, "gs://b/p").code(1);
    assert_eq!(
        gs.stderr.trim(),
        "error: cannot use the artifact destination: gs://b/p: no Google Cloud credentials: set GOOGLE_APPLICATION_CREDENTIALS to a service account's key file (this machine's metadata server gave none)"
    );
    let dir = mlf(
        &env,
        &[
            "server",
            "--port",
            "0",
            "--artifacts-destination",
            "s3://mlf-e2e/p",
        ],
    )
    .code(2);
    assert!(dir.stderr.contains("with a database store"), "{dir}");

    make_bucket("mlf-health");
    env.set("AWS_SECRET_ACCESS_KEY", "not-the-secret-77");
    let refused = start(&env, "s3://mlf-health/p").code(1);
    assert!(refused.stderr.contains("access denied"), "{refused}");
    assert!(!refused.stderr.contains("not-the-secret-77"), "{refused}");
    assert_eq!(refused.stderr.trim().lines().count(), 1, "{refused}");
    env.set("AWS_SECRET_ACCESS_KEY", crate::s3::SECRET);
    env.set("MLFLOW_S3_ENDPOINT_URL", "http://127.0.0.1:1");
    let unreachable = start(&env, "s3://mlf-health/p").code(1);
    assert!(
        unreachable
            .stderr
            .contains("cannot connect to http://127.0.0.1:1"),
        "{unreachable}"
    );
    env.set("MLFLOW_S3_ENDPOINT_URL", &crate::s3::server().endpoint);

    let s = serve(&env, &uri, "s3://mlf-health/p");
    let ok = s.raw("GET", "/health", &[], b"");
    assert_eq!((ok.status, ok.text()), (200, "OK".to_string()));
    crate::s3::server().remove_bucket("mlf-health");
    let gone = s.raw("GET", "/health", &[], b"");
    assert_eq!(gone.status, 503, "{gone}");
    assert_eq!(gone.text(), "the artifact bucket does not answer");
}

/// Keys from the AWS shared files: the profile `AWS_PROFILE` of `AWS_SHARED_CREDENTIALS_FILE`
/// when the environment gives none; a profile that is not there is refused in one line.
#[test]
fn keys_come_from_the_credentials_file_profile() {
    let Some((_, uri)) = setup() else {
        return;
    };
    make_bucket("mlf-profile");
    let s3 = crate::s3::server();
    let mut env = TestEnv::new();
    let file = env.write(
        "aws/credentials",
        &format!(
            "[default]\naws_access_key_id = nobody\naws_secret_access_key = nothing\n\n[team]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            crate::s3::KEY,
            crate::s3::SECRET
        ),
    );
    env.set("AWS_SHARED_CREDENTIALS_FILE", &file.display().to_string());
    env.set("MLFLOW_S3_ENDPOINT_URL", &s3.endpoint);
    env.set("AWS_PROFILE", "nope");
    let start = |env: &TestEnv| {
        mlf(
            env,
            &[
                "server",
                "--port",
                "0",
                "--store",
                &uri,
                "--artifacts-destination",
                "s3://mlf-profile/p",
            ],
        )
    };
    let missing = start(&env).code(1);
    assert!(
        missing.stderr.contains("AWS_PROFILE `nope` is in neither"),
        "{missing}"
    );
    env.set("AWS_PROFILE", "default");
    let refused = start(&env).code(1);
    assert!(refused.stderr.contains("access denied"), "{refused}");
    env.set("AWS_PROFILE", "team");
    let s = serve(&env, &uri, "s3://mlf-profile/p");
    s.put_artifact("0/r/artifacts/a.txt", b"with the team's keys");
    assert_eq!(
        s3.objects("mlf-profile/p"),
        vec![("p/0/r/artifacts/a.txt".to_string(), 20)]
    );
}

/// A server started on another destination keeps the Default experiment's earlier runs where
/// their files are, and puts new runs below the new destination.
#[test]
fn a_new_destination_leaves_earlier_runs_files_where_they_are() {
    let Some((env, uri)) = setup() else {
        return;
    };
    make_bucket("mlf-move");
    let first = serve(&env, &uri, "s3://mlf-move/one");
    let old = first.create_run("0", "before");
    first.put_artifact(&format!("0/{old}/artifacts/a.txt"), b"before the move");
    drop(first);
    let second = serve(&env, &uri, "s3://mlf-move/two");
    let new = second.create_run("0", "after");
    second.put_artifact(&format!("0/{new}/artifacts/b.txt"), b"after");
    let keys: Vec<String> = crate::s3::server()
        .objects("mlf-move")
        .into_iter()
        .map(|(k, _)| k)
        .filter(|k| k != ".keep")
        .collect();
    assert_eq!(
        keys,
        vec![
            format!("one/0/{old}/artifacts/a.txt"),
            format!("two/0/{new}/artifacts/b.txt"),
        ]
    );
    // The earlier run's files are still found, through the server and the command line.
    let listed = second.get_ok("artifacts/list", &[("run_id", &old)]);
    assert_eq!(listed["files"][0]["path"], "a.txt", "{listed:#}");
    let got = mlf(
        &env,
        &[
            "--store",
            &uri,
            "artifacts",
            "get",
            "a.txt",
            "--run",
            &old,
            "-o",
            "-",
        ],
    )
    .ok();
    assert_eq!(got.stdout, "before the move");
}
