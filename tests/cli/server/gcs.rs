//! `mlf server --store mysql://… --artifacts-destination gs://BUCKET/PREFIX`: the artifact
//! proxy over Google Cloud Storage's XML API (`crate::gcs`), beside the MariaDB server of the
//! store contract.

use super::{Server, mlf};
use crate::support::TestEnv;

/// A test directory whose commands reach the server with the service account's key, and a
/// database.
fn setup() -> Option<(TestEnv, String)> {
    let uri = crate::my::server()?.new_database();
    let mut env = TestEnv::new();
    for (k, v) in crate::gcs::server().vars() {
        env.set(k, &v);
    }
    Some((env, uri))
}

/// The `mlflow` client logs, registers and loads models through a server on MySQL whose
/// artifacts go to a GCS bucket: every file is an object below the prefix, none is on the
/// server's disk, and the command line on the same database reads them from the bucket.
#[test]
fn the_mlflow_client_works_through_a_server_on_mysql_with_artifacts_in_gcs() {
    let Some((env, uri)) = setup() else {
        return;
    };
    let gcs = crate::gcs::server();
    gcs.create_bucket("mlfe2e");
    let s = Server::start(
        &env,
        &[
            "--store",
            &uri,
            "--artifacts-destination",
            "gs://mlfe2e/team",
        ],
    );
    super::mlflow_client_through(&env, &s, &["--store", &uri]);
    let objects = gcs.objects("mlfe2e", "team/");
    for want in [
        "/artifacts/tree/a.txt",
        "/artifacts/docs/notes.txt",
        "/MLmodel",
    ] {
        assert!(
            objects.iter().any(|(k, _)| k.ends_with(want)),
            "no object ending in {want}: {objects:#?}"
        );
    }
    assert!(!env.cwd().join("mlruns").exists());
}

/// A file larger than a part goes up as a multipart upload and comes back byte for byte;
/// listings and deletes reach the bucket; the command line reads the objects.
#[test]
fn large_uploads_go_up_in_parts_to_a_gcs_destination() {
    let Some((env, uri)) = setup() else {
        return;
    };
    let gcs = crate::gcs::server();
    gcs.create_bucket("mlfparts");
    let s = Server::start(
        &env,
        &[
            "--store",
            &uri,
            "--artifacts-destination",
            "gs://mlfparts/p",
        ],
    );
    let run = s.create_run("0", "big");
    let base = format!("/api/2.0/mlflow-artifacts/artifacts/0/{run}/artifacts");
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
        gcs.objects("mlfparts", "p/"),
        vec![
            (
                format!("p/0/{run}/artifacts/data/big.bin"),
                big.len() as u64
            ),
            (format!("p/0/{run}/artifacts/data/small.txt"), 6),
        ]
    );
    let listed = s.get_ok("artifacts/list", &[("run_id", &run), ("path", "data")]);
    assert_eq!(listed["files"].as_array().unwrap().len(), 2, "{listed}");
    let out = mlf(
        &env,
        &[
            "--store",
            &uri,
            "artifacts",
            "get",
            "data/small.txt",
            "--run",
            &run,
            "-o",
            "-",
        ],
    )
    .ok();
    assert_eq!(out.stdout, "small\n");
    assert_eq!(
        s.raw("DELETE", &format!("{base}/data"), &[], b"").status,
        200
    );
    assert_eq!(gcs.objects("mlfparts", "p/"), vec![]);
}

/// A missing bucket stops the server before it listens, in one line naming the bucket and the
/// fix; a `gs://` URI without a bucket is refused as a usage error.
#[test]
fn a_gcs_bucket_that_cannot_be_used_stops_the_server() {
    let Some((env, uri)) = setup() else {
        return;
    };
    let start = |dest: &str| {
        mlf(
            &env,
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
    let missing = start("gs://mlfnosuchbucket/p").code(1);
    assert_eq!(
        missing.stderr.trim(),
        "error: cannot use the artifact destination: gs://mlfnosuchbucket/p: no such bucket (create the bucket first)"
    );
    let bare = start("gs:///p").code(2);
    assert!(
        bare.stderr
            .contains("names no bucket: write gs://BUCKET/PREFIX"),
        "{bare}"
    );
}
