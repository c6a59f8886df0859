//! The router over raw HTTP: every service under both of MLflow's prefixes, MLflow's 404 for
//! an unknown path or a method a path does not take, mlf's own routes under `/api/2.0/mlf/`,
//! and the guard and authentication in front of everything but `/health`, `/version` and
//! `server-info`.

use super::*;

#[test]
fn services_answer_under_both_prefixes_and_unknown_calls_get_mlflows_404() {
    let env = TestEnv::new();
    let s = Server::start(&env, &[]);
    for base in ["/api/2.0/mlflow", "/ajax-api/2.0/mlflow"] {
        let r = s.raw(
            "GET",
            &format!("{base}/experiments/get?experiment_id=0"),
            &[],
            b"",
        );
        assert_eq!(r.status, 200, "{r}");
        assert_eq!(r.json()["experiment"]["name"], "Default", "{r}");
        let r = s.raw("GET", &format!("{base}/registered-models/search"), &[], b"");
        assert_eq!(r.status, 200, "{r}");
        // A method the endpoint does not take, and an endpoint that does not exist.
        for (method, endpoint) in [
            ("POST", "experiments/get"),
            ("DELETE", "runs/search"),
            ("GET", "experiments/nope"),
            ("GET", "experiments/get/"),
            ("PUT", "logged-models/m-1/tags"),
        ] {
            let r = s.raw(method, &format!("{base}/{endpoint}"), &[], b"{}");
            assert_eq!(
                r.error(404, "ENDPOINT_NOT_FOUND"),
                format!("no endpoint {method} /api/2.0/mlflow/{endpoint}"),
            );
        }
    }
    let r = s.raw("GET", "/nowhere", &[], b"");
    assert_eq!(r.error(404, "ENDPOINT_NOT_FOUND"), "no endpoint /nowhere");
    // mlf's own calls.
    let r = s.raw("GET", "/api/2.0/mlf/registry/requests", &[], b"");
    assert_eq!(r.status, 200, "{r}");
    let r = s.raw("POST", "/api/2.0/mlf/registry/requests", &[], b"{}");
    assert_eq!(
        r.error(404, "ENDPOINT_NOT_FOUND"),
        "no endpoint POST /api/2.0/mlflow/mlf/registry/requests"
    );
    // Every answer carries the security headers, a 404 too.
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(r.header("x-frame-options"), Some("SAMEORIGIN"));
}

#[test]
fn the_guard_and_authentication_stand_before_every_route_but_the_open_ones() {
    let env = TestEnv::new();
    let s = Server::start(&env, &["--auth-token", "s3cret"]);
    for path in [
        "/api/2.0/mlflow/experiments/get?experiment_id=0",
        "/ajax-api/2.0/mlflow/experiments/get?experiment_id=0",
        "/api/2.0/mlflow/experiments/nope",
        "/api/2.0/mlf/registry/requests",
        "/api/2.0/mlflow-artifacts/artifacts?path=0",
        "/get-artifact?run_id=x&path=a",
        "/nowhere",
    ] {
        let r = http(&s.addr, "GET", path, &[], b"");
        assert_eq!(r.status, 401, "{path}: {r}");
        assert_eq!(r.json()["error_code"], "UNAUTHENTICATED", "{r}");
        // A foreign Host is refused before anything else.
        let host = [("Host".to_string(), "evil.example".to_string())];
        let r = http(&s.addr, "GET", path, &host, b"");
        r.error(403, "PERMISSION_DENIED");
    }
    for path in [
        "/health",
        "/version",
        "/api/3.0/mlflow/server-info",
        "/ajax-api/3.0/mlflow/server-info",
    ] {
        let r = http(&s.addr, "GET", path, &[], b"");
        assert_eq!(r.status, 200, "{path}: {r}");
    }
    let bearer = [("Authorization".to_string(), "Bearer s3cret".to_string())];
    let r = http(&s.addr, "GET", "/nowhere", &bearer, b"");
    r.error(404, "ENDPOINT_NOT_FOUND");
}
