//! Request parameters through `mlf server` over raw HTTP: MLflow's texts for a missing
//! required parameter, a text where an integer belongs and a `tags` that is not a list;
//! keyset pages of experiments; logged models searched with the filter grammar.

use super::*;

const DOCS: &str = "See the API docs for more information about request parameters.";

#[test]
fn missing_required_parameters_get_mlflows_text() {
    let env = TestEnv::new();
    let s = Server::start(&env, &[]);
    let missing = |key: &str| format!("Missing value for required parameter '{key}'. {DOCS}");
    let cases: Vec<(&str, &str, Value, &str)> = vec![
        ("POST", "experiments/create", json!({}), "name"),
        ("POST", "experiments/create", json!({ "name": "" }), "name"),
        (
            "POST",
            "experiments/create",
            json!({ "name": null }),
            "name",
        ),
        (
            "POST",
            "runs/log-parameter",
            json!({ "key": "k" }),
            "run_id",
        ),
        (
            "POST",
            "runs/log-metric",
            json!({ "run_id": "r", "value": 1, "timestamp": 1 }),
            "key",
        ),
        ("POST", "registered-models/create", json!({}), "name"),
        (
            "POST",
            "model-versions/create",
            json!({ "name": "m" }),
            "source",
        ),
    ];
    for (method, endpoint, body, key) in cases {
        let r = s.call(method, endpoint, &body);
        assert_eq!(
            r.error(400, "INVALID_PARAMETER_VALUE"),
            missing(key),
            "{method} {endpoint} {body}"
        );
    }
    let r = s.get("registered-models/get", &[]);
    assert_eq!(r.error(400, "INVALID_PARAMETER_VALUE"), missing("name"));
    let r = s.get("experiments/get-by-name", &[("experiment_name", "")]);
    assert_eq!(
        r.error(400, "INVALID_PARAMETER_VALUE"),
        missing("experiment_name")
    );
    // As MLflow, `run_uuid` stands in for `run_id`.
    let id = s.create_run("0", "r");
    let v = s.get_ok("runs/get", &[("run_uuid", &id)]);
    assert_eq!(v["run"]["info"]["run_id"], json!(id));
}

#[test]
fn a_text_where_an_integer_belongs_gets_mlflows_text() {
    let env = TestEnv::new();
    let s = Server::start(&env, &[]);
    let hint = |key: &str, v: &str| {
        format!(
            "Invalid value \"{v}\" for parameter '{key}' supplied: Hint: Value was of type string, expected an integer"
        )
    };
    let id = s.create_run("0", "r");
    let cases: Vec<(&str, Value, String)> = vec![
        (
            "runs/create",
            json!({ "start_time": "abc" }),
            hint("start_time", "abc"),
        ),
        (
            "experiments/search",
            json!({ "max_results": "abc" }),
            hint("max_results", "abc"),
        ),
        (
            "runs/log-metric",
            json!({ "run_id": id, "key": "m", "value": 1, "timestamp": "abc" }),
            hint("timestamp", "abc"),
        ),
        (
            "runs/log-batch",
            json!({ "run_id": id, "metrics": [{ "key": "m", "value": 1, "timestamp": 1, "step": "x" }] }),
            hint("step", "x"),
        ),
        (
            "runs/update",
            json!({ "run_id": id, "end_time": "later" }),
            hint("end_time", "later"),
        ),
    ];
    for (endpoint, body, text) in cases {
        let r = s.post(endpoint, body.clone());
        assert_eq!(
            r.error(400, "INVALID_PARAMETER_VALUE"),
            text,
            "{endpoint} {body}"
        );
    }
    let r = s.get(
        "metrics/get-history",
        &[("run_id", &id), ("metric_key", "m"), ("max_results", "abc")],
    );
    assert_eq!(
        r.error(400, "INVALID_PARAMETER_VALUE"),
        hint("max_results", "abc")
    );
    // Nothing was logged by the refused calls.
    let run = s.get_ok("runs/get", &[("run_id", &id)]);
    let metrics = run["run"]["data"]["metrics"].as_array().map_or(0, Vec::len);
    assert_eq!(metrics, 0, "{run}");
}

#[test]
fn tags_that_are_not_a_list_get_mlflows_text() {
    let env = TestEnv::new();
    let s = Server::start(&env, &[]);
    // As MLflow 3.17.2 words it: the value and its type by Python's name.
    let not_list = |key: &str, v: &str| {
        let kind = match v.chars().next() {
            Some('"') => "str",
            Some('{') => "dict",
            _ => "int",
        };
        format!(
            "Invalid value {v} for parameter '{key}' supplied:  Hint: Value was of type '{kind}'. See the API docs for more information about request parameters."
        )
    };
    let id = s.create_run("0", "r");
    let cases: Vec<(&str, &str, Value, String)> = vec![
        (
            "POST",
            "experiments/create",
            json!({ "name": "e", "tags": "team=nlp" }),
            not_list("tags", "\"team=nlp\""),
        ),
        (
            "POST",
            "runs/create",
            json!({ "tags": { "key": "a", "value": "b" } }),
            not_list("tags", r#"{"key":"a","value":"b"}"#),
        ),
        (
            "POST",
            "registered-models/create",
            json!({ "name": "m", "tags": 3 }),
            not_list("tags", "3"),
        ),
        (
            "POST",
            "runs/log-batch",
            json!({ "run_id": id, "params": "lr" }),
            not_list("params", "\"lr\""),
        ),
    ];
    for (method, endpoint, body, text) in cases {
        let r = s.call(method, endpoint, &body);
        assert_eq!(
            r.error(400, "INVALID_PARAMETER_VALUE"),
            text,
            "{endpoint} {body}"
        );
    }
    // Nothing was created by the refused calls.
    let v = s.post_ok("experiments/search", json!({ "max_results": 10 }));
    assert_eq!(v["experiments"].as_array().map(Vec::len), Some(1), "{v}");
    assert_eq!(s.get("registered-models/get", &[("name", "m")]).status, 404);
}

#[test]
fn experiment_pages_hold_each_experiment_exactly_once() {
    let env = TestEnv::new();
    let s = Server::start(&env, &[]);
    for i in 0..23 {
        s.post_ok("experiments/create", json!({ "name": format!("e{i:02}") }));
    }
    let all = s.post_ok("experiments/search", json!({ "max_results": 1000 }));
    let order: Vec<String> = all["experiments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(order.len(), 24, "{all}");
    assert!(all.get("next_page_token").is_none(), "{all}");
    let mut seen: Vec<String> = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut body = json!({ "max_results": 5 });
        if let Some(t) = &token {
            body["page_token"] = json!(t);
        }
        let v = s.post_ok("experiments/search", body);
        let page = v["experiments"].as_array().cloned().unwrap_or_default();
        assert!(page.len() <= 5, "{v}");
        seen.extend(page.iter().map(|e| e["name"].as_str().unwrap().to_string()));
        pages += 1;
        match v["next_page_token"].as_str() {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
        // An experiment created between pages does not repeat or hide others.
        if pages == 2 {
            s.post_ok("experiments/create", json!({ "name": "late" }));
        }
    }
    assert_eq!(pages, 5);
    assert_eq!(seen, order, "every experiment once, newest first");
    let r = s.post(
        "experiments/search",
        json!({ "max_results": 5, "page_token": "not-a-token" }),
    );
    assert_eq!(
        r.error(400, "INVALID_PARAMETER_VALUE"),
        "Invalid page token 'not-a-token'"
    );
}

#[test]
fn logged_models_are_searched_with_the_filter_grammar_a_page_at_a_time() {
    let env = TestEnv::new();
    let s = Server::start(&env, &[]);
    let run = s.create_run("0", "r");
    let mut ids = Vec::new();
    for (name, kind, team, lr) in [
        ("alpha", "sklearn", "nlp", "0.1"),
        ("Alpine", "sklearn", "vision", "0.2"),
        ("beta", "pytorch", "nlp", "0.1"),
    ] {
        let v = s.post_ok(
            "logged-models",
            json!({
                "experiment_id": "0", "name": name, "model_type": kind, "source_run_id": run,
                "tags": [{ "key": "team", "value": team }],
                "params": [{ "key": "lr", "value": lr }],
            }),
        );
        ids.push(v["model"]["info"]["model_id"].as_str().unwrap().to_string());
    }
    s.call(
        "PATCH",
        &format!("logged-models/{}", ids[2]),
        &json!({ "status": "READY" }),
    );
    let names = |filter: &str| -> Vec<String> {
        let v = s.post_ok(
            "logged-models/search",
            json!({ "experiment_ids": ["0"], "filter": filter }),
        );
        let mut n: Vec<String> = v["models"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|m| m["info"]["name"].as_str().unwrap().to_string())
            .collect();
        n.sort();
        n
    };
    assert_eq!(names("name = 'alpha'"), ["alpha"]);
    assert_eq!(names("name LIKE 'al%'"), ["alpha"]);
    assert_eq!(names("name ILIKE 'al%'"), ["Alpine", "alpha"]);
    assert_eq!(names("name != 'alpha'"), ["Alpine", "beta"]);
    assert_eq!(
        names("model_type = 'sklearn' AND tags.team = 'nlp'"),
        ["alpha"]
    );
    assert_eq!(names("params.lr = '0.1'"), ["alpha", "beta"]);
    assert_eq!(
        names("params.lr = '0.1' AND tags.team != 'nlp'"),
        Vec::<String>::new()
    );
    assert_eq!(names("status = 'READY'"), ["beta"]);
    assert_eq!(
        names("status = 'LOGGED_MODEL_PENDING'"),
        ["Alpine", "alpha"]
    );
    assert_eq!(
        names(&format!("source_run_id = '{run}' AND name = 'beta'")),
        ["beta"]
    );
    assert_eq!(names(""), ["Alpine", "alpha", "beta"]);
    for (filter, says) in [
        ("flavor = 'x'", "invalid attribute 'flavor'"),
        ("metrics.acc > 1", "invalid entity type 'metrics'"),
        ("name = ", "Invalid filter"),
        ("name > 'a'", "cannot be compared with >"),
    ] {
        let r = s.post("logged-models/search", json!({ "filter": filter }));
        let message = r.error(400, "INVALID_PARAMETER_VALUE");
        assert!(message.contains(says), "{filter}: {message}");
    }
    // Pages of one: each model once, newest first.
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut body = json!({ "experiment_ids": ["0"], "max_results": 1 });
        if let Some(t) = &token {
            body["page_token"] = json!(t);
        }
        let v = s.post_ok("logged-models/search", body);
        for m in v["models"].as_array().unwrap() {
            seen.push(m["info"]["model_id"].as_str().unwrap().to_string());
        }
        match v["next_page_token"].as_str() {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
    }
    let mut expected = ids.clone();
    expected.sort();
    let mut got = seen.clone();
    got.sort();
    assert_eq!(got, expected, "{seen:?}");
}
