//! Where MLflow 3.17.2's server defines the answer, the same request to `mlf server` answers
//! the same: the version the API implements, exact run ids and MLflow's not-found texts,
//! type checks on request fields, artifact content types, searches and logged models, dataset
//! and model inputs, registry sources, and webhooks. The expected texts were recorded from
//! `mlflow server` 3.17.2 with the same requests.

use super::*;

#[test]
fn version_answers_the_mlflow_release_whose_api_the_server_speaks() {
    let env = TestEnv::new();
    let s = Server::start(&env, &[]);
    let r = s.raw("GET", "/version", &[], b"");
    assert_eq!(r.status, 200, "{r}");
    assert_eq!(r.text(), "3.17.2");
}

/// MLflow's words for a value of the wrong type, as 3.17.2 answers them.
fn wrong_type(value: &str, param: &str, kind: &str) -> String {
    format!(
        "Invalid value {value} for parameter '{param}' supplied:  Hint: Value was of type '{kind}'. See the API docs for more information about request parameters."
    )
}

#[test]
fn a_number_where_text_is_due_is_refused_with_mlflows_message() {
    let env = TestEnv::new();
    let s = Server::start(&env, &[]);
    let run = s.create_run("0", "typed");
    let cases = [
        (
            "experiments/create",
            json!({ "name": 123 }),
            wrong_type("123", "name", "int"),
        ),
        (
            "experiments/create",
            json!({ "name": true }),
            wrong_type("true", "name", "bool"),
        ),
        (
            "experiments/create",
            json!({ "name": 1.5 }),
            wrong_type("1.5", "name", "float"),
        ),
        (
            "experiments/create",
            json!({ "name": ["a"] }),
            wrong_type("[\"a\"]", "name", "list"),
        ),
        (
            "experiments/create",
            json!({ "name": "x", "artifact_location": 5 }),
            wrong_type("5", "artifact_location", "int"),
        ),
        (
            "runs/log-metric",
            json!({ "run_id": run, "key": 31, "value": 1, "timestamp": 1 }),
            wrong_type("31", "key", "int"),
        ),
        (
            "runs/log-metric",
            json!({ "run_id": 31, "key": "a", "value": 1, "timestamp": 1 }),
            wrong_type("31", "run_id", "int"),
        ),
        (
            "runs/log-parameter",
            json!({ "run_id": run, "key": "p", "value": 41 }),
            wrong_type("41", "value", "int"),
        ),
        (
            "runs/set-tag",
            json!({ "run_id": run, "key": "t", "value": 41 }),
            wrong_type("41", "value", "int"),
        ),
        (
            "runs/log-batch",
            json!({ "run_id": run, "metrics": "foo" }),
            wrong_type("\"foo\"", "metrics", "str"),
        ),
        (
            "runs/log-batch",
            json!({ "run_id": run, "params": "foo" }),
            wrong_type("\"foo\"", "params", "str"),
        ),
    ];
    for (endpoint, body, message) in cases {
        let r = s.post(endpoint, body.clone());
        assert_eq!(
            r.error(400, "INVALID_PARAMETER_VALUE"),
            message,
            "{endpoint} {body}"
        );
    }
    // Nothing was logged; inside a list a number stands for its text, as in MLflow.
    let got = s.get_ok("runs/get", &[("run_id", &run)]);
    assert!(
        got["run"]["data"]["params"]
            .as_array()
            .is_none_or(|a| a.is_empty()),
        "{got:#}"
    );
    s.post_ok(
        "runs/log-batch",
        json!({ "run_id": run, "params": [{ "key": "a", "value": 41 }] }),
    );
    let got = s.get_ok("runs/get", &[("run_id", &run)]);
    assert_eq!(
        got["run"]["data"]["params"],
        json!([{ "key": "a", "value": "41" }])
    );
}

#[test]
fn run_ids_are_exact_and_not_found_reads_as_mlflows() {
    let env = TestEnv::new();
    let s = Server::start(&env, &[]);
    let run = s.create_run("0", "alpha");
    s.put_artifact(
        &format!("artifacts/0/{run}/artifacts/model/MLmodel"),
        b"flavors: {}\n",
    );
    s.post_ok("registered-models/create", json!({ "name": "m" }));
    // By name, by prefix: neither names a run over REST.
    for spec in ["alpha", &run[..8]] {
        let r = s.get("runs/get", &[("run_id", spec)]);
        assert_eq!(
            r.error(404, "RESOURCE_DOES_NOT_EXIST"),
            format!("Run with id={spec} not found")
        );
        let r = s.post(
            "model-versions/create",
            json!({ "name": "m", "source": format!("runs:/{spec}/model") }),
        );
        assert_eq!(
            r.error(400, "INVALID_PARAMETER_VALUE"),
            format!(
                "Invalid model version source: 'runs:/{spec}/model'. The run_id request parameter must identify the resource that contains the source."
            )
        );
    }
    let r = s.get("registered-models/get", &[("name", "nope")]);
    assert_eq!(
        r.error(404, "RESOURCE_DOES_NOT_EXIST"),
        "Registered Model with name=nope not found"
    );
    let r = s.post(
        "runs/log-metric",
        json!({ "run_id": "zzz", "key": "a", "value": 1, "timestamp": 1 }),
    );
    assert_eq!(
        r.error(404, "RESOURCE_DOES_NOT_EXIST"),
        "Run with id=zzz not found"
    );
    // The exact id is taken.
    let v = s.post_ok(
        "model-versions/create",
        json!({ "name": "m", "source": format!("runs:/{run}/model"), "run_id": run }),
    );
    assert_eq!(v["model_version"]["run_id"], run.as_str(), "{v:#}");
}

#[test]
fn registry_sources_mlflow_accepts_are_accepted_and_unsafe_ones_refused() {
    let env = TestEnv::new();
    let s = Server::start(&env, &[]);
    s.post_ok("registered-models/create", json!({ "name": "m" }));
    // A run that lives in another store: source and run_id agree, as MLflow 3.17.2 takes it.
    let elsewhere = "0123456789abcdef0123456789abcdef";
    let source = format!("runs:/{elsewhere}/model");
    let v = s.post_ok(
        "model-versions/create",
        json!({ "name": "m", "source": source, "run_id": elsewhere }),
    );
    assert_eq!(v["model_version"]["source"], source.as_str(), "{v:#}");
    assert_eq!(v["model_version"]["run_id"], elsewhere, "{v:#}");
    // They must agree.
    let r = s.post(
        "model-versions/create",
        json!({ "name": "m", "source": source, "run_id": "ffffffffffffffffffffffffffffffff" }),
    );
    r.error(400, "INVALID_PARAMETER_VALUE");
    // A logged model with no files yet, by its artifact location and id, as MLflow 3's
    // client registers one.
    let run = s.create_run("0", "lm");
    let m = s.post_ok(
        "logged-models",
        json!({ "experiment_id": "0", "name": "clf", "source_run_id": run }),
    )["model"]["info"]
        .clone();
    let id = m["model_id"].as_str().unwrap();
    let location = m["artifact_uri"].as_str().unwrap();
    let v = s.post_ok(
        "model-versions/create",
        json!({ "name": "m", "source": location, "run_id": run, "model_id": id }),
    );
    assert_eq!(v["model_version"]["version"], "2", "{v:#}");
    let uri = s.get_ok(
        "model-versions/get-download-uri",
        &[("name", "m"), ("version", "2")],
    );
    assert_eq!(uri["artifact_uri"], location, "{uri:#}");
    let v = s.post_ok(
        "model-versions/create",
        json!({ "name": "m", "source": format!("models:/{id}"), "model_id": id }),
    );
    assert_eq!(v["model_version"]["version"], "3", "{v:#}");
    // Still refused: local paths, file: URIs, traversal, another logged model's id.
    let outside = plant_secret(&env).display().to_string();
    for (source, extra) in [
        (outside.clone(), json!({})),
        (format!("file://{outside}"), json!({})),
        (format!("runs:/{run}/../../.."), json!({ "run_id": run })),
        (format!("{location}/../../../.."), json!({ "model_id": id })),
        (format!("models:/{id}"), json!({ "model_id": "m-0000" })),
    ] {
        let mut body = json!({ "name": "m", "source": source });
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let r = s.post("model-versions/create", body.clone());
        assert_eq!(r.status, 400, "{body}:\n{r}");
    }
    assert_eq!(versions_of(&s, "m").len(), 3);
}

#[test]
fn downloads_carry_mlflows_content_type_and_disposition() {
    let env = TestEnv::new();
    let s = Server::start(&env, &[]);
    let run = s.create_run("0", "files");
    // Name, Content-Type, Content-Disposition, as MLflow 3.17.2's `/get-artifact` answers
    // (HTML and SVG excepted on purpose: never sent as a type a browser runs).
    let cases = [
        ("a.txt", "text/plain", "attachment; filename=a.txt"),
        ("b.log", "text/plain", "attachment; filename=b.log"),
        (
            "model/MLmodel",
            "text/plain",
            "attachment; filename=MLmodel",
        ),
        (
            "MLproject",
            "application/octet-stream",
            "attachment; filename=MLproject",
        ),
        ("c.png", "image/png", "attachment; filename=c.png"),
        ("d.pdf", "application/pdf", "attachment; filename=d.pdf"),
        ("e.json", "text/plain", "attachment; filename=e.json"),
        ("h.jpg", "image/jpeg", "attachment; filename=h.jpg"),
        (
            "j.parquet",
            "application/octet-stream",
            "attachment; filename=j.parquet",
        ),
        (
            "l.gz",
            "application/octet-stream",
            "attachment; filename=l.gz",
        ),
        (
            "m.tar.gz",
            "application/x-tar",
            "attachment; filename=m.tar.gz",
        ),
        ("x.zip", "application/zip", "attachment; filename=x.zip"),
        ("o p.txt", "text/plain", "attachment; filename=\"o p.txt\""),
        (
            "q\"r.txt",
            "text/plain",
            "attachment; filename=\"q\\\"r.txt\"",
        ),
        (
            "ü.txt",
            "text/plain",
            "attachment; filename=u.txt; filename*=UTF-8''%C3%BC.txt",
        ),
        (
            "f.html",
            "application/octet-stream",
            "attachment; filename=f.html",
        ),
    ];
    for (name, _, _) in &cases {
        s.put_artifact(
            &format!(
                "artifacts/0/{run}/artifacts/{}",
                encode(name).replace("%2F", "/")
            ),
            b"hi\n",
        );
    }
    s.post_ok("registered-models/create", json!({ "name": "m" }));
    s.post_ok(
        "model-versions/create",
        json!({ "name": "m", "source": format!("runs:/{run}/model"), "run_id": run }),
    );
    for (name, ty, disposition) in cases {
        let path = encode(name).replace("%2F", "/");
        for target in [
            format!("/get-artifact?run_id={run}&path={}", encode(name)),
            format!("{PROXY}/artifacts/0/{run}/artifacts/{path}"),
        ] {
            let r = s.raw("GET", &target, &[], b"");
            assert_eq!(r.status, 200, "{target}:\n{r}");
            assert_eq!(r.header("content-type"), Some(ty), "{target}:\n{r}");
            assert_eq!(
                r.header("content-disposition"),
                Some(disposition),
                "{target}:\n{r}"
            );
        }
    }
    // A doubled slash, as MLflow's UI asks behind a prefix of `/`.
    let r = s.raw(
        "GET",
        "//model-versions/get-artifact?name=m&version=1&path=MLmodel",
        &[],
        b"",
    );
    assert_eq!(r.status, 200, "{r}");
    assert_eq!(r.header("content-type"), Some("text/plain"), "{r}");
    assert_eq!(r.text(), "hi\n");
}
