//! `mlf server --store mysql://…`: MLflow's REST API over a MySQL store on the throwaway
//! MariaDB server of the store contract (`tests/contract/my.rs`), driven over raw HTTP and by
//! the `mlflow` client. Without MariaDB's binaries these tests fail under `CI=true` and pass
//! (with a message) elsewhere.

use serde_json::json;

use super::Server;
use crate::support::TestEnv;

/// A server on a new database of the MariaDB server, in a new test directory.
fn server() -> Option<(TestEnv, Server, String)> {
    let uri = crate::my::server()?.new_database();
    let env = TestEnv::new();
    let s = Server::start(&env, &["--backend-store-uri", &uri]);
    Some((env, s, uri))
}

/// The `mlflow` client logs, registers and loads models through the server on MySQL; the CLI
/// on the same database sees it all.
#[test]
fn the_mlflow_client_tracks_registers_and_loads_models_through_mlf_server_on_mysql() {
    let Some((env, s, uri)) = server() else {
        return;
    };
    assert!(
        s.stderr().contains("mysql://mlf@127.0.0.1:"),
        "{}",
        s.stderr()
    );
    super::mlflow_client_through(&env, &s, &["--store", &uri]);
}

#[test]
fn concurrent_writes_keep_every_acknowledged_point_and_only_those_on_mysql() {
    let Some((_env, s, _uri)) = server() else {
        return;
    };
    super::concurrent_writes(&s);
}

/// A database that drops the server's connections answers 503 (clients retry) for the call
/// that found the connection gone, and the next call opens a new one; `/health` says when the
/// database does not answer.
#[test]
fn a_dropped_database_connection_answers_503_and_the_server_recovers_on_mysql() {
    let Some((_env, s, uri)) = server() else {
        return;
    };
    let db = uri.rsplit('/').next().unwrap().to_string();
    assert_eq!(s.raw("GET", "/health", &[], b"").status, 200);
    let exp = s.post_ok("experiments/create", json!({ "name": "drop" }))["experiment_id"]
        .as_str()
        .unwrap()
        .to_string();
    let mariadb = crate::my::server().unwrap();
    mariadb.kill_connections(&db);
    let r = s.get("experiments/get", &[("experiment_id", &exp)]);
    assert_eq!(r.status, 503, "{r}\n{}", s.stderr());
    assert_eq!(r.json()["error_code"], "TEMPORARILY_UNAVAILABLE", "{r}");
    let again = s.get_ok("experiments/get", &[("experiment_id", &exp)]);
    assert_eq!(again["experiment"]["name"], "drop");

    // Gone for good: every call and /health answer 503.
    mariadb.execute(&format!("DROP DATABASE {db}"));
    mariadb.kill_connections(&db);
    let r = s.raw("GET", "/health", &[], b"");
    assert_eq!(
        (r.status, r.text().as_str()),
        (503, "the database does not answer"),
        "{r}"
    );
    let r = s.get("experiments/get", &[("experiment_id", &exp)]);
    assert_eq!(r.status, 503, "{r}");
}

/// Two servers on one database behave as one: 8 clients × 500 log-batch requests spread over
/// both lose no point, and 8 registrations of one model at once through both are numbered 1
/// to 8 without gaps.
#[test]
fn two_replicas_on_one_mysql_database_lose_nothing_and_number_versions_in_order() {
    let Some(uri) = crate::my::server().map(|m| m.new_database()) else {
        return;
    };
    let env = TestEnv::new();
    let replicas = [
        Server::start(&env, &["--store", &uri]),
        Server::start(&env, &["--store", &uri]),
    ];
    super::postgres::replicas_lose_nothing(&replicas);
}
