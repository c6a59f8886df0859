//! `mlf server --store postgresql://…`: MLflow's REST API over a PostgreSQL store on the
//! throwaway cluster of the store contract (`tests/contract/pg.rs`), driven over raw HTTP.
//! Without PostgreSQL's binaries these tests fail under `CI=true` and pass (with a message)
//! elsewhere.

use serde_json::{Value, json};

use super::Server;
use crate::support::TestEnv;

/// A server on a new database of the cluster, in a new test directory.
fn server() -> Option<(TestEnv, Server, String)> {
    let uri = crate::pg::cluster()?.new_database();
    let env = TestEnv::new();
    let s = Server::start(&env, &["--store", &uri]);
    Some((env, s, uri))
}

fn names(runs: &Value) -> Vec<String> {
    runs.as_array()
        .map(|a| {
            a.iter()
                .map(|r| r["info"]["run_name"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn the_api_tracks_searches_and_registers_on_postgres() {
    let Some((env, s, uri)) = server() else {
        return;
    };
    // The server names the database without its password.
    let password = uri.split(':').nth(2).unwrap().split('@').next().unwrap();
    assert!(s.printed.starts_with("127.0.0.1:"), "{}", s.stderr());
    assert!(
        s.stderr().contains("postgresql://postgres@127.0.0.1"),
        "{}",
        s.stderr()
    );
    assert!(!s.stderr().contains(password), "{}", s.stderr());

    let exp = s.post_ok("experiments/create", json!({ "name": "pg-e2e" }))["experiment_id"]
        .as_str()
        .unwrap()
        .to_string();
    let got = s.get_ok("experiments/get-by-name", &[("experiment_name", "pg-e2e")]);
    assert_eq!(got["experiment"]["experiment_id"], exp.as_str());
    s.post_ok(
        "experiments/set-experiment-tag",
        json!({ "experiment_id": exp, "key": "team", "value": "churn" }),
    );
    let found = s.post_ok(
        "experiments/search",
        json!({ "filter": "tags.team = 'churn'", "max_results": 10 }),
    );
    assert_eq!(found["experiments"][0]["name"], "pg-e2e", "{found}");

    // Runs, logged in batches.
    let mut ids = Vec::new();
    for (i, (name, loss)) in [("a", 0.9), ("b", 0.3), ("c", 0.1)].into_iter().enumerate() {
        let run = s.post_ok(
            "runs/create",
            json!({ "experiment_id": exp, "run_name": name, "start_time": 1000 + i }),
        )["run"]["info"]["run_id"]
            .as_str()
            .unwrap()
            .to_string();
        s.post_ok(
            "runs/log-batch",
            json!({
                "run_id": run,
                "metrics": [
                    { "key": "loss", "value": loss + 1.0, "timestamp": 1, "step": 0 },
                    { "key": "loss", "value": loss, "timestamp": 2, "step": 1 },
                ],
                "params": [{ "key": "lr", "value": format!("0.0{i}") }],
                "tags": [{ "key": "stage", "value": "train" }],
            }),
        );
        ids.push(run);
    }
    let run = s.get_ok("runs/get", &[("run_id", &ids[1])]);
    assert_eq!(run["run"]["data"]["metrics"][0]["value"], 0.3, "{run}");
    assert_eq!(
        run["run"]["data"]["params"],
        json!([{ "key": "lr", "value": "0.01" }])
    );
    let h = s.get_ok(
        "metrics/get-history",
        &[("run_id", &ids[1]), ("metric_key", "loss")],
    );
    assert_eq!(h["metrics"].as_array().map_or(0, Vec::len), 2, "{h}");

    // Search: filter and order in SQL, and pages.
    let found = s.post_ok(
        "runs/search",
        json!({ "experiment_ids": [exp], "filter": "metrics.loss < 0.5 and params.lr != '0.00'",
                "order_by": ["metrics.loss ASC"] }),
    );
    assert_eq!(names(&found["runs"]), ["c", "b"], "{found}");
    let first = s.post_ok(
        "runs/search",
        json!({ "experiment_ids": [exp], "max_results": 2 }),
    );
    assert_eq!(names(&first["runs"]), ["c", "b"], "{first}");
    let token = first["next_page_token"]
        .as_str()
        .expect("a next page")
        .to_string();
    let second = s.post_ok(
        "runs/search",
        json!({ "experiment_ids": [exp], "max_results": 2, "page_token": token }),
    );
    assert_eq!(names(&second["runs"]), ["a"], "{second}");
    assert!(second.get("next_page_token").is_none(), "{second}");

    // Artifacts go through the proxy into the artifact root (`mlruns` beside the server).
    let uri = run["run"]["info"]["artifact_uri"].as_str().unwrap();
    let base = format!("mlruns/{exp}/{}/artifacts", ids[1]);
    assert_eq!(uri, format!("mlflow-artifacts:/{base}"));
    s.put_artifact(&format!("{base}/model/MLmodel"), b"flavors: {}\n");
    let listed = s.get_ok("artifacts/list", &[("run_id", &ids[1])]);
    assert_eq!(listed["files"][0]["path"], "model", "{listed}");
    let on_disk = env.cwd().join(&base).join("model/MLmodel");
    assert_eq!(std::fs::read(&on_disk).unwrap(), b"flavors: {}\n");

    // The registry: versions numbered by the database, stages, searches.
    s.post_ok("registered-models/create", json!({ "name": "churn" }));
    for want in ["1", "2"] {
        let v = s.post_ok(
            "model-versions/create",
            json!({ "name": "churn", "source": format!("runs:/{}/model", ids[1]), "run_id": ids[1] }),
        );
        assert_eq!(v["model_version"]["version"], want, "{v}");
    }
    let v = s.post_ok(
        "model-versions/transition-stage",
        json!({ "name": "churn", "version": "1", "stage": "Production",
                "archive_existing_versions": false }),
    );
    assert_eq!(v["model_version"]["current_stage"], "Production", "{v}");
    let latest = s.post_ok(
        "registered-models/get-latest-versions",
        json!({ "name": "churn", "stages": ["Production"] }),
    );
    assert_eq!(latest["model_versions"][0]["version"], "1", "{latest}");
    let versions = s.get_ok(
        "model-versions/search",
        &[("filter", "name = 'churn'"), ("max_results", "1")],
    );
    assert_eq!(versions["model_versions"][0]["version"], "2", "{versions}");
    assert!(versions["next_page_token"].is_string(), "{versions}");
    let models = s.get_ok("registered-models/search", &[("filter", "name LIKE 'ch%'")]);
    assert_eq!(models["registered_models"][0]["name"], "churn", "{models}");

    // MLflow 3's logged models: create, finalize, search by param, and a run's outputs.
    let m = s.post_ok(
        "logged-models",
        json!({ "experiment_id": exp, "name": "clf", "source_run_id": ids[2],
                "params": [{ "key": "depth", "value": "3" }] }),
    );
    let model = m["model"]["info"]["model_id"].as_str().unwrap().to_string();
    assert!(model.starts_with("m-"), "{m}");
    let done = s.call(
        "PATCH",
        &format!("logged-models/{model}"),
        &json!({ "model_id": model, "status": "LOGGED_MODEL_READY" }),
    );
    assert_eq!(done.status, 200, "{done}");
    assert_eq!(
        done.json()["model"]["info"]["status"],
        "LOGGED_MODEL_READY",
        "{done}"
    );
    let found = s.post_ok(
        "logged-models/search",
        json!({ "experiment_ids": [exp], "filter": "params.depth = '3' AND status = 'READY'" }),
    );
    assert_eq!(
        found["models"][0]["info"]["model_id"],
        model.as_str(),
        "{found}"
    );
    s.post_ok(
        "runs/outputs",
        json!({ "run_id": ids[2], "models": [{ "model_id": model, "step": 0 }] }),
    );
    let run = s.get_ok("runs/get", &[("run_id", &ids[2])]);
    assert_eq!(
        run["run"]["outputs"]["model_outputs"][0]["model_id"],
        model.as_str(),
        "{run}"
    );
}

/// The `mlflow` client logs, registers and loads models through the server on PostgreSQL;
/// the CLI on the same database sees it all.
#[test]
fn the_mlflow_client_tracks_registers_and_loads_models_through_mlf_server_on_postgres() {
    let Some((env, s, uri)) = server() else {
        return;
    };
    super::mlflow_client_through(&env, &s, &["--store", &uri]);
}

/// The CLI on the same database sees what the server wrote.
#[test]
fn the_command_line_reads_what_the_server_wrote() {
    let Some((env, s, uri)) = server() else {
        return;
    };
    let run = s.create_run("0", "shared");
    s.post_ok(
        "runs/log-batch",
        json!({ "run_id": run, "metrics": [{ "key": "acc", "value": 0.75, "timestamp": 1, "step": 0 }] }),
    );
    let out = env
        .mlf(&["--store", &uri, "runs", "list", "--format", "json"])
        .ok();
    let v = out.json();
    assert_eq!(v["runs"][0]["info"]["run_id"], run.as_str(), "{v}");
    assert_eq!(v["runs"][0]["data"]["metrics"][0]["value"], 0.75, "{v}");
}

/// As MLflow names it: `--backend-store-uri`.
#[test]
fn concurrent_writes_keep_every_acknowledged_point_and_only_those_on_postgres() {
    let Some(cluster) = crate::pg::cluster() else {
        return;
    };
    let uri = cluster.new_database();
    let env = TestEnv::new();
    let s = Server::start(&env, &["--backend-store-uri", &uri]);
    assert!(s.stderr().contains("postgresql://"), "{}", s.stderr());
    super::concurrent_writes(&s);
}

#[test]
fn run_inputs_and_model_metrics_are_kept_and_webhooks_are_refused_on_postgres() {
    let Some((_env, s, _uri)) = server() else {
        return;
    };
    let run = s.create_run("0", "inputs");
    s.create_run("0", "other");
    let model =
        s.post_ok("logged-models", json!({ "experiment_id": "0" }))["model"]["info"]["model_id"]
            .as_str()
            .unwrap()
            .to_string();
    let inputs = json!({
        "dataset_inputs": [{
            "tags": [{ "key": "mlflow.data.context", "value": "train" }],
            "dataset": {
                "name": "wine", "digest": "abc123", "source_type": "local",
                "source": "{\"uri\": \"/data/wine.csv\"}",
            },
        }],
        "model_inputs": [{ "model_id": model }],
    });
    for _ in 0..2 {
        s.post_ok(
            "runs/log-inputs",
            json!({
                "run_id": run,
                "datasets": inputs["dataset_inputs"],
                "models": inputs["model_inputs"],
            }),
        );
    }
    let got = s.get_ok("runs/get", &[("run_id", &run)]);
    assert_eq!(got["run"]["inputs"], inputs, "{got:#}");
    for filter in [
        "datasets.name = 'wine'",
        "datasets.digest IN ('abc123', 'x')",
        "datasets.context = 'train'",
    ] {
        let found = s.post_ok(
            "runs/search",
            json!({ "experiment_ids": ["0"], "filter": filter }),
        );
        assert_eq!(names(&found["runs"]), ["inputs"], "{filter}: {found:#}");
    }
    // A page of runs carries each run's inputs and outputs as runs/get gives them, though
    // read for the whole page at once.
    let other = s.create_run("0", "other");
    s.post_ok(
        "runs/log-inputs",
        json!({ "run_id": other, "datasets": [{
            "tags": [{ "key": "b", "value": "2" }, { "key": "a", "value": "1" }],
            "dataset": { "name": "iris", "digest": "d1", "source_type": "local", "source": "{}" },
        }, {
            "dataset": { "name": "air", "digest": "d2", "source_type": "local", "source": "{}" },
        }] }),
    );
    s.post_ok(
        "runs/outputs",
        json!({ "run_id": other, "models": [{ "model_id": model, "step": 3 }] }),
    );
    s.create_run("0", "bare");
    let page = s.post_ok("runs/search", json!({ "experiment_ids": ["0"] }));
    let runs = page["runs"].as_array().unwrap();
    assert!(runs.len() >= 3, "{page:#}");
    for r in runs {
        let id = r["info"]["run_id"].as_str().unwrap();
        let one = s.get_ok("runs/get", &[("run_id", id)]);
        assert_eq!(r["inputs"], one["run"]["inputs"], "{id}");
        assert_eq!(r["outputs"], one["run"]["outputs"], "{id}");
    }
    let other_json = runs
        .iter()
        .find(|r| r["info"]["run_id"] == other.as_str())
        .unwrap();
    assert_eq!(
        other_json["inputs"]["dataset_inputs"][1]["tags"],
        json!([{ "key": "a", "value": "1" }, { "key": "b", "value": "2" }]),
        "{other_json:#}"
    );

    // A metric logged with a model id is the model's too.
    s.post_ok(
        "runs/log-metric",
        json!({
            "run_id": run, "key": "acc", "value": 0.9, "timestamp": 5, "step": 1,
            "model_id": model, "dataset_name": "wine", "dataset_digest": "abc123",
        }),
    );
    let got = s.get_ok(&format!("logged-models/{model}"), &[]);
    assert_eq!(
        got["model"]["data"]["metrics"],
        json!([{ "key": "acc", "value": 0.9, "timestamp": 5, "step": 1, "run_id": run,
                 "dataset_name": "wine", "dataset_digest": "abc123", "model_id": model }]),
        "{got:#}"
    );

    // Webhooks need a store directory: said so, nothing kept.
    let r = s.post(
        "webhooks",
        json!({ "name": "w", "url": "http://127.0.0.1:9/hook", "events": [
            { "entity": "registered_model", "action": "created" }] }),
    );
    let message = r.error(404, "ENDPOINT_NOT_FOUND");
    assert!(message.contains("store directory"), "{message}");
}

/// Push and pull need a server on a store directory: a server on PostgreSQL refuses them in
/// one line, and nothing is written on either side.
#[test]
fn push_and_pull_are_refused_by_a_server_on_postgres() {
    let Some((_env, s, _uri)) = server() else {
        return;
    };
    let laptop = TestEnv::new();
    laptop.start_run(&["-x", "offline", "-p", "lr=0.1"]);
    laptop.mlf(&["run", "end"]).ok();
    for verb in ["push", "pull"] {
        let out = laptop.mlf(&[verb, &s.url()]);
        assert_ne!(out.code, 0, "{out}");
        assert!(
            out.stderr
                .contains("push and pull need a tracking server over a store directory"),
            "{out}"
        );
    }
    let r = s.post_ok("runs/search", json!({ "experiment_ids": ["0"] }));
    assert_eq!(r["runs"].as_array().map_or(0, Vec::len), 0, "{r}");
}

/// A database that drops the server's connections answers 503 (clients retry) for the call
/// that found the connection gone, and the next call opens a new one; `/health` says when the
/// database does not answer.
#[test]
fn a_dropped_database_connection_answers_503_and_the_server_recovers() {
    let Some((_env, s, uri)) = server() else {
        return;
    };
    let db = uri.rsplit('/').next().unwrap().to_string();
    assert_eq!(s.raw("GET", "/health", &[], b"").status, 200);
    let exp = s.post_ok("experiments/create", json!({ "name": "drop" }))["experiment_id"]
        .as_str()
        .unwrap()
        .to_string();
    let cluster = crate::pg::cluster().unwrap();
    cluster.execute(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{db}'"
    ));
    let r = s.get("experiments/get", &[("experiment_id", &exp)]);
    assert_eq!(r.status, 503, "{r}\n{}", s.stderr());
    assert_eq!(r.json()["error_code"], "TEMPORARILY_UNAVAILABLE", "{r}");
    let again = s.get_ok("experiments/get", &[("experiment_id", &exp)]);
    assert_eq!(again["experiment"]["name"], "drop");

    // Gone for good: every call and /health answer 503.
    cluster.execute(&format!("DROP DATABASE {db} WITH (FORCE)"));
    let r = s.raw("GET", "/health", &[], b"");
    assert_eq!(
        (r.status, r.text().as_str()),
        (503, "the database does not answer"),
        "{r}"
    );
    let r = s.get("experiments/get", &[("experiment_id", &exp)]);
    assert_eq!(r.status, 503, "{r}");
}

/// Connections terminated while batches are being written: a batch that is acknowledged is
/// stored whole, and one that is not (503, so the client tries again) left nothing behind.
#[test]
fn a_connection_dropped_in_the_middle_of_batches_leaves_each_whole_or_absent() {
    let Some((_env, s, uri)) = server() else {
        return;
    };
    let db = uri.rsplit('/').next().unwrap().to_string();
    let run = s.post_ok("runs/create", json!({ "experiment_id": "0" }))["run"]["info"]["run_id"]
        .as_str()
        .unwrap()
        .to_string();
    let cluster = crate::pg::cluster().unwrap();
    let done = std::sync::atomic::AtomicBool::new(false);
    let outcomes: Vec<(usize, u16)> = std::thread::scope(|scope| {
        scope.spawn(|| {
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                cluster.execute(&format!(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                     WHERE datname = '{db}' AND state = 'active' AND pid <> pg_backend_pid()"
                ));
                std::thread::sleep(std::time::Duration::from_millis(3));
            }
        });
        let mut outcomes = Vec::new();
        for batch in 0..60 {
            let metrics: Vec<Value> = (0..1000)
                .map(
                    |i| json!({ "key": "m", "value": i, "timestamp": 1, "step": batch * 1000 + i }),
                )
                .collect();
            let r = s.post(
                "runs/log-batch",
                json!({ "run_id": run, "metrics": metrics }),
            );
            assert!(
                r.status == 200 || r.status == 503,
                "batch {batch}: {r}\n{}",
                s.stderr()
            );
            outcomes.push((batch, r.status));
        }
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        outcomes
    });
    // A refused batch is absent, or whole when the connection dropped after its commit (the
    // server cannot know): never part of it.
    let history = |s: &Server| -> std::collections::BTreeMap<i64, usize> {
        for _ in 0..20 {
            let r = s.get(
                "metrics/get-history",
                &[
                    ("run_id", &run),
                    ("metric_key", "m"),
                    ("max_results", "100000"),
                ],
            );
            if r.status == 200 {
                let mut per_batch = std::collections::BTreeMap::new();
                for p in r.json()["metrics"].as_array().cloned().unwrap_or_default() {
                    *per_batch
                        .entry(p["step"].as_i64().unwrap() / 1000)
                        .or_default() += 1;
                }
                return per_batch;
            }
        }
        panic!("the history cannot be read: {}", s.stderr());
    };
    let per_batch = history(&s);
    let refused: Vec<usize> = outcomes
        .iter()
        .filter(|o| o.1 == 503)
        .map(|o| o.0)
        .collect();
    assert!(!refused.is_empty(), "no batch met a dropped connection");
    for (batch, status) in &outcomes {
        let stored = per_batch.get(&(*batch as i64)).copied().unwrap_or(0);
        if *status == 200 {
            assert_eq!(stored, 1000, "batch {batch} was acknowledged");
        } else {
            assert!(
                stored == 0 || stored == 1000,
                "batch {batch} left {stored} points"
            );
        }
    }
    // Sent again, as clients do after a 503, every batch is there once.
    for batch in refused {
        let metrics: Vec<Value> = (0..1000)
            .map(|i| json!({ "key": "m", "value": i, "timestamp": 1, "step": batch * 1000 + i }))
            .collect();
        s.post_ok(
            "runs/log-batch",
            json!({ "run_id": run, "metrics": metrics }),
        );
    }
    let per_batch = history(&s);
    assert_eq!(per_batch.len(), 60, "{per_batch:?}");
    assert!(per_batch.values().all(|n| *n == 1000), "{per_batch:?}");
}

/// Two servers on one database behave as one: 8 clients × 500 log-batch requests spread over
/// both lose no point, and 8 registrations of one model at once through both are numbered 1
/// to 8 without gaps.
#[test]
fn two_replicas_on_one_database_lose_nothing_and_number_versions_in_order() {
    let Some(uri) = crate::pg::cluster().map(|c| c.new_database()) else {
        return;
    };
    let env = TestEnv::new();
    let replicas = [
        Server::start(&env, &["--store", &uri]),
        Server::start(&env, &["--store", &uri]),
    ];
    replicas_lose_nothing(&replicas);
}

/// 8 clients × 500 log-batch requests spread over two replicas, then 8 registrations of one
/// model at once through both: every point is there, and the versions are numbered 1 to 8.
pub(super) fn replicas_lose_nothing(replicas: &[Server; 2]) {
    let run = replicas[0].post_ok("runs/create", json!({ "experiment_id": "0" }))["run"]["info"]
        ["run_id"]
        .as_str()
        .unwrap()
        .to_string();
    std::thread::scope(|scope| {
        for client in 0..8 {
            let (replicas, run) = (&replicas, &run);
            scope.spawn(move || {
                for i in 0..500 {
                    let step = client * 1000 + i;
                    replicas[(client + i) % 2].post_ok(
                        "runs/log-batch",
                        json!({ "run_id": run, "metrics": [
                            { "key": "a", "value": step as f64, "timestamp": 1, "step": step },
                            { "key": "b", "value": 1.0, "timestamp": step, "step": step },
                        ] }),
                    );
                }
            });
        }
    });
    for (key, replica) in [("a", 0), ("b", 1)] {
        let history = replicas[replica].get_ok(
            "metrics/get-history",
            &[
                ("run_id", &run),
                ("metric_key", key),
                ("max_results", "10000"),
            ],
        );
        let points = history["metrics"].as_array().unwrap();
        assert_eq!(points.len(), 4000, "metric {key}");
    }
    let latest = replicas[1].get_ok("runs/get", &[("run_id", &run)]);
    let a = latest["run"]["data"]["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["key"] == "a")
        .unwrap()
        .clone();
    assert_eq!(a["step"], 7499, "{a}");

    let exp = latest["run"]["info"]["experiment_id"].as_str().unwrap();
    replicas[0].put_artifact(
        &format!("mlruns/{exp}/{run}/artifacts/model/MLmodel"),
        b"flavors: {}\n",
    );
    replicas[1].post_ok("registered-models/create", json!({ "name": "shared" }));
    let mut numbers: Vec<u64> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let (replicas, run) = (&replicas, &run);
                scope.spawn(move || {
                    let v = replicas[i % 2].post_ok(
                        "model-versions/create",
                        json!({ "name": "shared", "source": format!("runs:/{run}/model"),
                                "run_id": run }),
                    );
                    v["model_version"]["version"]
                        .as_str()
                        .unwrap()
                        .parse::<u64>()
                        .unwrap()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    numbers.sort();
    assert_eq!(numbers, (1..=8).collect::<Vec<_>>());
}
