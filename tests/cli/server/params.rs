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
    let not_list = |key: &str, v: &str| {
        format!("Invalid value {v} for parameter '{key}' supplied: Hint: Value was not a list")
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
