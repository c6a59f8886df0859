//! `mlf server --store postgresql://… --artifacts-destination az://CONTAINER/PREFIX` (and
//! MLflow's `wasbs://CONTAINER@ACCOUNT.blob.core.windows.net/PREFIX`): the artifact proxy over
//! Azure Blob Storage, here Azurite (`crate::azure`) checking the account's key, beside the
//! PostgreSQL cluster of the store contract.

use super::{Server, mlf};
use crate::support::TestEnv;

/// A test directory whose commands reach Azurite with its key, and a database.
fn setup() -> Option<(TestEnv, String)> {
    let uri = crate::pg::cluster()?.new_database();
    let mut env = TestEnv::new();
    for (k, v) in crate::azure::server().vars() {
        env.set(k, &v);
    }
    Some((env, uri))
}

/// The `mlflow` client logs, registers and loads models through a server whose artifacts go to
/// a container: every file is a blob below the prefix, none is on the server's disk, and the
/// command line on the same database reads them from the container.
#[test]
fn the_mlflow_client_works_through_a_server_with_artifacts_in_azure() {
    let Some((env, uri)) = setup() else {
        return;
    };
    let az = crate::azure::server();
    az.create_container("mlf-e2e");
    let s = Server::start(
        &env,
        &[
            "--store",
            &uri,
            "--artifacts-destination",
            "az://mlf-e2e/team",
        ],
    );
    super::mlflow_client_through(&env, &s, &["--store", &uri]);
    let blobs = az.blobs("mlf-e2e", "team/");
    for want in [
        "/artifacts/tree/a.txt",
        "/artifacts/docs/notes.txt",
        "/MLmodel",
    ] {
        assert!(
            blobs.iter().any(|(k, _)| k.ends_with(want)),
            "no blob ending in {want}: {blobs:#?}"
        );
    }
    assert!(!env.cwd().join("mlruns").exists());
}

/// Through MLflow's `wasbs://` form: a file larger than a part goes up in blocks and comes
/// back byte for byte; listings and deletes reach the container.
#[test]
fn large_uploads_go_up_in_blocks_to_a_wasbs_destination() {
    let Some((env, uri)) = setup() else {
        return;
    };
    let az = crate::azure::server();
    az.create_container("mlf-parts");
    let dest = format!(
        "wasbs://mlf-parts@{}.blob.core.windows.net/p",
        crate::azure::ACCOUNT
    );
    let s = Server::start(&env, &["--store", &uri, "--artifacts-destination", &dest]);
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
        az.blobs("mlf-parts", "p/"),
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
    assert_eq!(az.blobs("mlf-parts", "p/"), vec![]);
}

/// A container that is missing, a refused key or a URI without an account stop the server
/// before it listens, in one line naming the container and the fix, never the key.
#[test]
fn a_container_that_cannot_be_used_stops_the_server() {
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
    let missing = start(&env, "az://mlf-no-such-container/p").code(1);
    assert_eq!(
        missing.stderr.trim(),
        "error: cannot use the artifact destination: az://mlf-no-such-container/p: no such bucket (create the bucket first)"
    );
    let bare = start(&env, "wasbs://c/p").code(2);
    assert!(
        bare.stderr.contains(
            "names no storage account: write wasbs://CONTAINER@ACCOUNT.blob.core.windows.net/PATH"
        ),
        "{bare}"
    );
    crate::azure::server().create_container("mlf-keys");
    let wrong = crate::azure::server()
        .connection_string()
        .replace("AccountKey=Eby8", "AccountKey=AAAA");
    env.set("AZURE_STORAGE_CONNECTION_STRING", &wrong);
    let refused = start(&env, "az://mlf-keys/p").code(1);
    assert!(
        refused.stderr.contains("az://mlf-keys/p: access denied (the account key in AZURE_STORAGE_CONNECTION_STRING or AZURE_STORAGE_ACCESS_KEY is refused"),
        "{refused}"
    );
    assert!(!refused.stderr.contains("AAAA"), "{refused}");
    assert_eq!(refused.stderr.trim().lines().count(), 1, "{refused}");
}
