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

#[test]
fn experiment_searches_honour_order_by_across_pages() {
    let env = TestEnv::new();
    let s = Server::start(&env, &[]);
    for name in ["b", "d", "a", "c"] {
        s.post_ok("experiments/create", json!({ "name": name }));
    }
    let names = |order: &[&str], max: i64| {
        let mut all = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut body = json!({ "max_results": max, "order_by": order });
            if let Some(t) = &token {
                body["page_token"] = json!(t);
            }
            let v = s.post_ok("experiments/search", body);
            for e in v["experiments"].as_array().unwrap() {
                all.push(e["name"].as_str().unwrap().to_string());
            }
            match v["next_page_token"].as_str() {
                Some(t) => token = Some(t.to_string()),
                None => return all,
            }
        }
    };
    assert_eq!(names(&["name"], 2), ["Default", "a", "b", "c", "d"]);
    assert_eq!(
        names(&["attribute.name DESC"], 3),
        ["d", "c", "b", "a", "Default"]
    );
    assert_eq!(
        names(&["experiment_id DESC"], 1),
        ["c", "a", "d", "b", "Default"]
    );
    // MLflow 3.17.2's texts for what it does not take.
    let r = s.post(
        "experiments/search",
        json!({ "max_results": 3, "order_by": ["foo"] }),
    );
    assert!(
        r.error(400, "INVALID_PARAMETER_VALUE")
            .starts_with("Invalid attribute key 'foo' specified."),
        "{r}"
    );
    let r = s.post(
        "experiments/search",
        json!({ "max_results": 3, "order_by": ["name sideways"] }),
    );
    assert_eq!(
        r.error(400, "INVALID_PARAMETER_VALUE"),
        "Invalid ordering key in order_by clause 'name sideways'."
    );
}

#[test]
fn logged_models_search_name_take_metrics_and_tags_as_mlflow() {
    let env = TestEnv::new();
    let s = Server::start(&env, &[]);
    let run_a = s.create_run("0", "a");
    let run_b = s.create_run("0", "b");
    let mut ids = Vec::new();
    for run in [&run_a, &run_b, &run_a] {
        let m = s.post_ok(
            "logged-models",
            json!({ "experiment_id": "0", "source_run_id": run }),
        );
        ids.push(m["model"]["info"]["model_id"].as_str().unwrap().to_string());
    }
    // Unnamed models get distinct generated names.
    let mut names = BTreeSet::new();
    for id in &ids {
        let m = s.get_ok(&format!("logged-models/{id}"), &[]);
        let name = m["model"]["info"]["name"].as_str().unwrap().to_string();
        assert!(!name.is_empty() && name != "model", "{m:#}");
        names.insert(name);
    }
    assert_eq!(names.len(), 3, "{names:?}");
    // The filter, max_results and page tokens.
    let mut found = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut body = json!({
            "experiment_ids": ["0"],
            "filter": format!("source_run_id = '{run_a}'"),
            "max_results": 1,
        });
        if let Some(t) = &token {
            body["page_token"] = json!(t);
        }
        let v = s.post_ok("logged-models/search", body);
        let page = v["models"].as_array().unwrap();
        assert!(page.len() <= 1, "{v:#}");
        for m in page {
            assert_eq!(m["info"]["source_run_id"], run_a.as_str(), "{m:#}");
            found.push(m["info"]["model_id"].as_str().unwrap().to_string());
        }
        match v["next_page_token"].as_str() {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
    }
    found.sort();
    let mut want = vec![ids[0].clone(), ids[2].clone()];
    want.sort();
    assert_eq!(found, want);
    // A metric logged with model_id (and a dataset) is the model's too, in MLflow's shape.
    s.post_ok(
        "runs/log-metric",
        json!({
            "run_id": run_a, "key": "acc", "value": 0.9, "timestamp": 5, "step": 2,
            "model_id": ids[0], "dataset_name": "wine", "dataset_digest": "abc123",
        }),
    );
    s.post_ok(
        "runs/log-batch",
        json!({ "run_id": run_a, "metrics": [
            { "key": "loss", "value": 0.1, "timestamp": 6, "step": 0, "model_id": ids[0] },
            { "key": "plain", "value": 1, "timestamp": 6 },
        ] }),
    );
    let m = s.get_ok(&format!("logged-models/{}", ids[0]), &[]);
    assert_eq!(
        m["model"]["data"]["metrics"],
        json!([
            { "key": "acc", "value": 0.9, "timestamp": 5, "step": 2, "dataset_name": "wine",
              "dataset_digest": "abc123", "model_id": ids[0], "run_id": run_a },
            { "key": "loss", "value": 0.1, "timestamp": 6, "step": 0, "model_id": ids[0],
              "run_id": run_a },
        ]),
        "{m:#}"
    );
    let run = s.get_ok("runs/get", &[("run_id", &run_a)]);
    assert_eq!(
        run["run"]["data"]["metrics"].as_array().unwrap().len(),
        3,
        "{run:#}"
    );
    // Deleting a tag the model does not have: MLflow's 404.
    let r = s.raw(
        "DELETE",
        &format!("{TRACKING}/logged-models/{}/tags/nope", ids[0]),
        &[],
        b"",
    );
    assert_eq!(
        r.error(404, "RESOURCE_DOES_NOT_EXIST"),
        format!(
            "No tag with key 'nope' found for model with ID '{}'.",
            ids[0]
        )
    );
    // Renaming a registered model updates it.
    let before = s.post_ok("registered-models/create", json!({ "name": "old" }))
        ["registered_model"]["last_updated_timestamp"]
        .as_i64()
        .unwrap();
    thread::sleep(Duration::from_millis(5));
    let after = s.post_ok(
        "registered-models/rename",
        json!({ "name": "old", "new_name": "new" }),
    )["registered_model"]["last_updated_timestamp"]
        .as_i64()
        .unwrap();
    assert!(after > before, "{before} -> {after}");
}

#[test]
fn run_inputs_are_kept_returned_searched_and_shown() {
    let env = TestEnv::new();
    let s = Server::start(&env, &[]);
    let run = s.create_run("0", "inputs");
    let other = s.create_run("0", "other");
    let model =
        s.post_ok("logged-models", json!({ "experiment_id": "0" }))["model"]["info"]["model_id"]
            .as_str()
            .unwrap()
            .to_string();
    // As MLflow 3.17.2's client sends `mlflow.log_input` and a model input.
    let inputs = json!({
        "dataset_inputs": [{
            "tags": [{ "key": "mlflow.data.context", "value": "train" }],
            "dataset": {
                "name": "wine", "digest": "abc123", "source_type": "local",
                "source": "{\"uri\": \"/data/wine.csv\"}",
                "schema": "{\"mlflow_colspec\": []}", "profile": "{\"num_rows\": 3}",
            },
        }],
        "model_inputs": [{ "model_id": model }],
    });
    s.post_ok(
        "runs/log-inputs",
        json!({
            "run_id": run,
            "datasets": inputs["dataset_inputs"],
            "models": inputs["model_inputs"],
        }),
    );
    // Logged twice, kept once.
    s.post_ok(
        "runs/log-inputs",
        json!({ "run_id": run, "datasets": inputs["dataset_inputs"] }),
    );
    let got = s.get_ok("runs/get", &[("run_id", &run)]);
    assert_eq!(got["run"]["inputs"], inputs, "{got:#}");
    let found = |filter: &str| -> Vec<String> {
        let v = s.post_ok(
            "runs/search",
            json!({ "experiment_ids": ["0"], "filter": filter }),
        );
        v["runs"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|r| {
                if r["info"]["run_id"] == run.as_str() {
                    assert_eq!(r["inputs"], inputs, "{r:#}");
                }
                r["info"]["run_name"].as_str().unwrap().to_string()
            })
            .collect()
    };
    assert_eq!(found("datasets.name = 'wine'"), ["inputs"]);
    assert_eq!(found("datasets.digest IN ('abc123', 'x')"), ["inputs"]);
    assert_eq!(found("datasets.context = 'train'"), ["inputs"]);
    assert_eq!(found("datasets.context = 'eval'"), Vec::<String>::new());
    assert_eq!(
        found("datasets.name LIKE 'w%' AND attributes.run_name = 'other'"),
        Vec::<String>::new()
    );
    let _ = other;
    let r = s.post(
        "runs/log-inputs",
        json!({ "run_id": "nope", "datasets": [] }),
    );
    assert_eq!(
        r.error(404, "RESOURCE_DOES_NOT_EXIST"),
        "Run with id=nope not found"
    );
    drop(s);
    // `mlf runs show` lists them.
    let out = mlf(&env, &["runs", "show", &run]);
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stdout.contains("inputs"), "{out}");
    assert!(out.stdout.contains("dataset, train"), "{out}");
    assert!(out.stdout.contains("wine (digest abc123), local"), "{out}");
    assert!(out.stdout.contains(&model), "{out}");
}

/// A request a webhook receiver got: its headers (names in lower case) and body.
struct Received {
    headers: BTreeMap<String, String>,
    raw: String,
    body: Value,
}

/// A tiny HTTP receiver on a free loopback port: answers `statuses` in turn (then 200) and
/// sends every request it gets down the channel.
fn receiver(statuses: Vec<u16>) -> (String, mpsc::Receiver<Received>) {
    use std::io::Write;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut statuses = statuses.into_iter();
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut headers = BTreeMap::new();
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            loop {
                line.clear();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some((k, v)) = line.trim_end().split_once(':') {
                    headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
                }
            }
            let n: usize = headers
                .get("content-length")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let mut body = vec![0; n];
            let _ = reader.read_exact(&mut body);
            let status = statuses.next().unwrap_or(200);
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
            );
            let raw = String::from_utf8_lossy(&body).into_owned();
            let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
            if tx.send(Received { headers, raw, body }).is_err() {
                return;
            }
        }
    });
    (url, rx)
}

/// MLflow's signature of a delivery: `v1,` and base64 HMAC-SHA256 of `ID.TIMESTAMP.BODY`.
fn signed(secret: &str, id: &str, timestamp: &str, body: &str) -> String {
    use base64::Engine;
    use hmac::{KeyInit, Mac};
    let mut mac = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    )
}

#[test]
fn webhooks_receive_signed_registry_events_with_retries() {
    let env = TestEnv::new();
    let s = Server::start(&env, &[]);
    // The first delivery is answered 503, and must come again.
    let (url, got) = receiver(vec![503]);
    let events = json!([
        { "entity": "REGISTERED_MODEL", "action": "CREATED" },
        { "entity": "MODEL_VERSION", "action": "CREATED" },
        { "entity": "MODEL_VERSION_ALIAS", "action": "CREATED" },
        { "entity": "MODEL_VERSION_TAG", "action": "SET" },
        { "entity": "model_version_stage", "action": "updated" },
    ]);
    let created = s.post_ok(
        "webhooks",
        json!({ "name": "ci", "url": url, "events": events, "secret": "s3cret", "description": "d" }),
    );
    let hook = &created["webhook"];
    let id = hook["webhook_id"].as_str().unwrap().to_string();
    assert_eq!(hook["status"], "ACTIVE", "{created:#}");
    assert_eq!(
        hook["events"][0],
        json!({ "entity": "MODEL_VERSION", "action": "CREATED" })
    );
    // The secret is kept, never answered.
    let listed = s.get("webhooks", &[]);
    let one = s.get(&format!("webhooks/{id}"), &[]);
    for r in [&listed, &one] {
        assert_eq!(r.status, 200, "{r}");
        assert!(!r.text().contains("s3cret"), "{r}");
    }
    assert!(!created.to_string().contains("s3cret"));
    assert_eq!(listed.json()["webhooks"][0]["webhook_id"], id.as_str());

    // Registry changes through the API.
    s.post_ok("registered-models/create", json!({ "name": "m" }));
    let run = s.create_run("0", "r");
    s.put_artifact(
        &format!("artifacts/0/{run}/artifacts/model/MLmodel"),
        b"flavors: {}\n",
    );
    s.post_ok(
        "model-versions/create",
        json!({ "name": "m", "source": format!("runs:/{run}/model"), "run_id": run }),
    );
    s.post_ok(
        "registered-models/alias",
        json!({ "name": "m", "alias": "champion", "version": "1" }),
    );
    s.post_ok(
        "model-versions/set-tag",
        json!({ "name": "m", "version": "1", "key": "team", "value": "nlp" }),
    );
    s.post_ok(
        "model-versions/transition-stage",
        json!({ "name": "m", "version": "1", "stage": "Staging", "archive_existing_versions": false }),
    );
    let mut by_event: BTreeMap<String, Vec<Received>> = BTreeMap::new();
    while by_event.values().map(Vec::len).sum::<usize>() < 6 {
        let r = got
            .recv_timeout(WAIT)
            .unwrap_or_else(|_| panic!("deliveries missing: {:?}", by_event.keys()));
        let key = format!("{}.{}", r.body["entity"], r.body["action"]).replace('"', "");
        by_event.entry(key).or_default().push(r);
    }
    // Every delivery is signed as MLflow signs it.
    for (event, deliveries) in &by_event {
        for r in deliveries {
            let h = &r.headers;
            assert_eq!(h["content-type"], "application/json", "{event}");
            assert_eq!(
                h["x-mlflow-signature"],
                signed(
                    "s3cret",
                    &h["x-mlflow-delivery-id"],
                    &h["x-mlflow-timestamp"],
                    &r.raw
                ),
                "{event}: {h:?}"
            );
            assert!(!h["x-mlflow-delivery-id"].is_empty());
            assert!(h["x-mlflow-timestamp"].parse::<i64>().is_ok());
        }
    }
    let created = &by_event["registered_model.created"];
    assert_eq!(created.len(), 2, "the 503 is retried");
    assert_eq!(
        created[0].headers["x-mlflow-delivery-id"],
        created[1].headers["x-mlflow-delivery-id"]
    );
    assert_eq!(
        created[0].body["data"],
        json!({ "name": "m", "tags": {}, "description": null })
    );
    let v = &by_event["model_version.created"][0].body["data"];
    assert_eq!(v["name"], "m");
    assert_eq!(v["version"], "1");
    assert_eq!(v["source"], format!("runs:/{run}/model"));
    assert_eq!(v["run_id"], run.as_str());
    assert_eq!(
        by_event["model_version_alias.created"][0].body["data"],
        json!({ "name": "m", "alias": "champion", "version": "1" })
    );
    assert_eq!(
        by_event["model_version_tag.set"][0].body["data"],
        json!({ "name": "m", "version": "1", "key": "team", "value": "nlp" })
    );
    let stage = &by_event["model_version_stage.updated"][0].body["data"];
    assert_eq!(
        (stage["from_stage"].as_str(), stage["to_stage"].as_str()),
        (Some("None"), Some("Staging"))
    );

    // The test call sends an example and says what came back.
    let t = s.post_ok(
        &format!("webhooks/{id}/test"),
        json!({ "event": { "entity": "MODEL_VERSION", "action": "CREATED" } }),
    );
    assert_eq!(t["result"]["success"], true, "{t:#}");
    assert_eq!(t["result"]["response_status"], 200, "{t:#}");
    let example = got.recv_timeout(WAIT).unwrap();
    assert_eq!(example.body["entity"], "model_version");
    assert_eq!(example.body["action"], "created");
    assert!(
        example.body["timestamp"]
            .as_str()
            .unwrap()
            .ends_with("+00:00")
    );

    // Update, refusals, delete.
    let u = s.call(
        "PATCH",
        &format!("webhooks/{id}"),
        &json!({ "name": "ci2", "status": "DISABLED" }),
    );
    assert_eq!(u.status, 200, "{u}");
    assert_eq!(u.json()["webhook"]["name"], "ci2");
    assert_eq!(u.json()["webhook"]["status"], "DISABLED");
    let r = s.post(
        "webhooks",
        json!({ "name": "x", "url": "file:///etc/passwd", "events": events }),
    );
    assert_eq!(
        r.error(400, "INVALID_PARAMETER_VALUE"),
        "Invalid webhook URL scheme: 'file'. Allowed schemes are: http, https."
    );
    let r = s.post(
        "webhooks",
        json!({ "name": "x", "url": url, "events": [{ "entity": "MODEL_VERSION", "action": "SET" }] }),
    );
    assert_eq!(
        r.error(400, "INVALID_PARAMETER_VALUE"),
        "Invalid action 'set' for entity 'model_version'. Valid actions are: ['created']"
    );
    let d = s.call("DELETE", &format!("webhooks/{id}"), &json!({}));
    assert_eq!(d.status, 200, "{d}");
    let r = s.get(&format!("webhooks/{id}"), &[]);
    assert_eq!(
        r.error(404, "RESOURCE_DOES_NOT_EXIST"),
        format!("Webhook with ID {id} not found.")
    );
}

/// What the real `mlflow` client does with inputs, logged-model metrics and webhooks.
const CLIENT: &str = r#"
import sys
import mlflow
import pandas as pd
from mlflow import MlflowClient

mlflow.set_tracking_uri(sys.argv[1])
client = MlflowClient()
with mlflow.start_run() as run:
    df = pd.DataFrame({"a": [1, 2], "b": [3, 4]})
    ds = mlflow.data.from_pandas(df, name="wine", source="/data/wine.csv")
    mlflow.log_input(ds, context="train")
rid = run.info.run_id
r = client.get_run(rid)
di = r.inputs.dataset_inputs
assert len(di) == 1, di
assert di[0].dataset.name == "wine", di
assert di[0].dataset.digest == ds.digest, di
assert [(t.key, t.value) for t in di[0].tags] == [("mlflow.data.context", "train")], di[0].tags
found = mlflow.search_runs(filter_string="datasets.name = 'wine'", output_format="list")
assert [x.info.run_id for x in found] == [rid], found
assert mlflow.search_runs(filter_string="datasets.context = 'eval'", output_format="list") == []
model = mlflow.initialize_logged_model(experiment_id="0")
client.log_metric(rid, "acc", 0.9, model_id=model.model_id, dataset_name="wine", dataset_digest=ds.digest)
got = client.get_logged_model(model.model_id)
assert [(m.key, m.value, m.dataset_name) for m in got.metrics] == [("acc", 0.9, "wine")], got.metrics
hook = client.create_webhook(name="ci", url="http://127.0.0.1:9/hook", events=["model_version.created"], secret="x")
assert client.get_webhook(hook.webhook_id).name == "ci"
assert [h.webhook_id for h in client.list_webhooks()] == [hook.webhook_id]
client.update_webhook(hook.webhook_id, status="DISABLED")
assert client.get_webhook(hook.webhook_id).status.value == "DISABLED"
client.delete_webhook(hook.webhook_id)
print("OK")
"#;

#[test]
fn the_mlflow_client_logs_inputs_model_metrics_and_manages_webhooks() {
    let env = TestEnv::new();
    let s = Server::start(&env, &[]);
    let script = env.write("client.py", CLIENT);
    let mut cmd = Command::new(venv_bin().join("python"));
    cmd.arg(&script)
        .arg(s.url())
        .current_dir(env.cwd())
        .env_clear()
        .env("PATH", venv_path())
        .env("HOME", env.dir.path().join("home"))
        .env("TZ", "UTC")
        .env("GIT_PYTHON_REFRESH", "quiet")
        .env("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0");
    let out = bounded(cmd, PY_WAIT);
    assert_eq!(out.code, 0, "{out}\n----- server -----\n{}", s.stderr());
    assert_eq!(out.stdout.lines().last(), Some("OK"), "{out}");
}
