//! Every message survives the REST store's serialization and the server's decoder; the
//! decoder answers MLflow's texts.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;

use super::*;
use crate::protocol::MetricMsg;

/// What the REST store sends, the server decodes to the same message.
fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(m: T) {
    let sent = serde_json::to_value(&m).unwrap();
    let Value::Object(params) = sent.clone() else {
        panic!("{sent} is not an object")
    };
    let back: T = decode(params).unwrap_or_else(|e| panic!("{e}: {sent}"));
    assert_eq!(back, m, "{sent}");
}

fn kv(k: &str, v: &str) -> KeyValue {
    KeyValue {
        key: k.into(),
        value: v.into(),
    }
}

fn s(v: &str) -> String {
    v.to_string()
}

fn err<T: DeserializeOwned + std::fmt::Debug>(params: Value) -> String {
    let Value::Object(p) = params else { panic!() };
    decode::<T>(p).unwrap_err().0
}

#[test]
fn every_experiment_and_run_message_round_trips() {
    round_trip(CreateExperiment {
        name: s("e"),
        artifact_location: None,
        tags: vec![kv("a", "1"), kv("b", "")],
    });
    round_trip(SearchExperiments {
        filter: Some(s("name LIKE 'a%'")),
        max_results: Some(1000),
        page_token: Some(s("t")),
        view_type: ViewType::All,
        order_by: vec![s("name DESC")],
    });
    round_trip(ExperimentId {
        experiment_id: s("3"),
    });
    round_trip(GetExperimentByName {
        experiment_name: s("e"),
    });
    round_trip(UpdateExperiment {
        experiment_id: s("1"),
        new_name: s("f"),
    });
    round_trip(SetExperimentTag {
        key: s("k"),
        value: s("v"),
        experiment_id: s("1"),
    });
    round_trip(DeleteExperimentTag {
        experiment_id: s("1"),
        key: s("k"),
    });
    let id = "a".repeat(32);
    round_trip(CreateRun {
        experiment_id: Some(s("0")),
        tags: vec![kv("mlflow.user", "u")],
        run_name: Some(s("r")),
        user_id: Some(s("u")),
        start_time: Some(1_700_000_000_000),
    });
    round_trip(UpdateRun {
        run_id: id.clone(),
        run_name: None,
        status: Some(RunStatus::Killed),
        end_time: Some(5),
    });
    round_trip(RunId { run_id: id.clone() });
    round_trip(LogInputs {
        run_id: id.clone(),
        datasets: vec![crate::tracking::inputs::DatasetInput {
            tags: vec![kv("mlflow.data.context", "train")],
            dataset: crate::tracking::inputs::Dataset {
                name: s("wine"),
                digest: s("abc"),
                source_type: s("local"),
                source: s("{}"),
                schema: None,
                profile: Some(s("{}")),
            },
        }],
        models: vec![crate::tracking::inputs::ModelInput { model_id: s("m-1") }],
    });
    round_trip(LogMetric {
        run_id: id.clone(),
        key: s("m"),
        value: f64::NEG_INFINITY,
        timestamp: 3,
        step: Some(-2),
        model_id: Some(s("m-1")),
        dataset_name: Some(s("wine")),
        dataset_digest: Some(s("abc")),
    });
    round_trip(RunKeyValue {
        run_id: id.clone(),
        key: s("k"),
        value: s("v"),
    });
    round_trip(DeleteTag {
        run_id: id.clone(),
        key: s("k"),
    });
    round_trip(SearchRuns {
        max_results: Some(10),
        filter: Some(s("metrics.a > 1")),
        order_by: vec![s("start_time DESC")],
        run_view_type: ViewType::DeletedOnly,
        experiment_ids: vec![s("0"), s("1")],
        page_token: None,
    });
    round_trip(LogBatchRequest {
        run_id: id.clone(),
        metrics: vec![MetricMsg {
            key: s("loss"),
            value: 0.5,
            timestamp: 1,
            step: 2,
            model_id: Some(s("m-1")),
            dataset_name: None,
            dataset_digest: None,
        }],
        params: vec![kv("lr", "0.1")],
        tags: vec![kv("t", "v")],
    });
    round_trip(LogModel {
        run_id: id.clone(),
        model_json: s("{}"),
    });
    round_trip(LogOutputs {
        run_id: id.clone(),
        models: vec![ModelOutput {
            model_id: s("m-1"),
            step: 4,
        }],
    });
    round_trip(GetMetricHistory {
        run_id: id.clone(),
        metric_key: s("loss"),
        max_results: Some(25_000),
        page_token: Some(s("7")),
    });
    round_trip(GetMetricHistoryBulkInterval {
        run_ids: vec![id.clone()],
        metric_key: s("loss"),
        start_step: Some(0),
        end_step: Some(9),
        max_results: None,
    });
    round_trip(GetMetricHistoryBulk {
        run_id: vec![id.clone()],
        metric_key: Some(s("loss")),
        max_results: Some(5),
    });
    round_trip(ListArtifacts {
        run_id: id.clone(),
        path: s("sub"),
    });
    round_trip(CreateLoggedModel {
        experiment_id: s("0"),
        name: s("model"),
        model_type: s("sklearn"),
        source_run_id: id,
        tags: vec![kv("a", "b")],
        params: vec![kv("c", "d")],
    });
    round_trip(SearchLoggedModels {
        experiment_ids: vec![s("0")],
        filter: Some(s("name = 'model'")),
        max_results: Some(50),
        page_token: None,
    });
    round_trip(FinalizeLoggedModel {
        status: s("LOGGED_MODEL_READY"),
    });
    round_trip(SetLoggedModelTags {
        tags: vec![kv("a", "b")],
    });
    round_trip(LogLoggedModelParams {
        params: vec![kv("a", "b")],
    });
    round_trip(ListLoggedModelArtifacts {
        artifact_directory_path: s("x"),
    });
}

#[test]
fn every_registry_message_round_trips() {
    let hook_event = crate::registry::webhooks::WebhookEvent {
        entity: s("model_version"),
        action: s("created"),
    };
    round_trip(CreateWebhook {
        name: s("ci"),
        url: s("https://ci.example/hook"),
        events: vec![hook_event.clone()],
        description: Some(s("d")),
        secret: Some(s("s3cret")),
        status: None,
    });
    round_trip(UpdateWebhook {
        name: None,
        url: None,
        events: Vec::new(),
        description: None,
        secret: None,
        status: Some(s("DISABLED")),
    });
    round_trip(ListWebhooks {
        max_results: Some(5),
        page_token: None,
    });
    round_trip(TestWebhook {
        event: Some(hook_event),
    });
    round_trip(CreateRegisteredModel {
        name: s("m"),
        description: s("d"),
        tags: vec![kv("a", "b")],
    });
    round_trip(RenameRegisteredModel {
        new_name: s("n"),
        name: s("m"),
    });
    round_trip(UpdateRegisteredModel {
        name: s("m"),
        description: Some(String::new()),
    });
    round_trip(ModelName { name: s("m") });
    round_trip(SearchRegistry {
        filter: Some(s("name = 'm'")),
        max_results: Some(100),
        page_token: Some(s("100")),
    });
    round_trip(GetLatestVersions {
        name: s("m"),
        stages: vec![s("Production")],
    });
    round_trip(SetRegisteredModelTag {
        name: s("m"),
        key: s("k"),
        value: s("v"),
    });
    round_trip(DeleteRegisteredModelTag {
        name: s("m"),
        key: s("k"),
    });
    round_trip(SetAlias {
        name: s("m"),
        alias: s("champ"),
        version: 2,
    });
    round_trip(AliasRef {
        name: s("m"),
        alias: s("champ"),
    });
    round_trip(CreateModelVersion {
        name: s("m"),
        source: s("runs:/x/model"),
        run_id: Some(s("x")),
        description: s("d"),
        tags: vec![kv("a", "b")],
        model_id: Some(s("m-1")),
    });
    round_trip(UpdateModelVersion {
        name: s("m"),
        version: 1,
        description: Some(s("d")),
    });
    round_trip(TransitionStage {
        name: s("m"),
        version: 1,
        stage: s("Staging"),
        archive_existing_versions: true,
    });
    round_trip(VersionRef {
        name: s("m"),
        version: 3,
    });
    round_trip(SetModelVersionTag {
        name: s("m"),
        version: 1,
        key: s("k"),
        value: s("v"),
    });
    round_trip(DeleteModelVersionTag {
        name: s("m"),
        version: 1,
        key: s("k"),
    });
    round_trip(RequestTransition {
        comment: Some(s("please")),
        name: s("m"),
        version: 1,
        stage: s("Production"),
    });
    round_trip(DecideRequest {
        comment: None,
        id: Some(4),
        approve: true,
    });
    round_trip(ListRequests {
        all: true,
        name: Some(s("m")),
    });
    round_trip(PendingRequest {
        stage: None,
        name: s("m"),
        version: 1,
    });
    round_trip(RegistryAt {
        at: Some(1_700_000_000_000),
        name: s("m"),
    });
}

#[test]
fn the_decoder_answers_mlflows_texts() {
    assert_eq!(
        err::<CreateExperiment>(json!({})),
        "Missing value for required parameter 'name'. See the API docs for more information about request parameters."
    );
    assert_eq!(
        err::<CreateExperiment>(json!({ "name": "" })),
        missing("name")
    );
    assert_eq!(
        err::<CreateExperiment>(json!({ "name": "e", "tags": "x" })),
        "Invalid value \"x\" for parameter 'tags' supplied:  Hint: Value was of type 'str'. See the API docs for more information about request parameters."
    );
    // A number, boolean, list or object where text is due, as MLflow 3.17.2 words it.
    assert_eq!(
        err::<CreateExperiment>(json!({ "name": 123 })),
        "Invalid value 123 for parameter 'name' supplied:  Hint: Value was of type 'int'. See the API docs for more information about request parameters."
    );
    assert_eq!(
        err::<CreateExperiment>(json!({ "name": {"a": 1} })),
        "Invalid value {\"a\":1} for parameter 'name' supplied:  Hint: Value was of type 'dict'. See the API docs for more information about request parameters."
    );
    assert_eq!(
        err::<LogMetric>(json!({ "run_id": 31, "key": "k", "value": 1, "timestamp": 1 })),
        "Invalid value 31 for parameter 'run_id' supplied:  Hint: Value was of type 'int'. See the API docs for more information about request parameters."
    );
    // Inside a list, a number stands for its text, as protobuf reads it.
    let Value::Object(p) = json!({ "run_id": "r", "params": [{ "key": "a", "value": 41 }] }) else {
        panic!()
    };
    let m: LogBatchRequest = decode(p).unwrap();
    assert_eq!(m.params[0].value, "41");
    assert_eq!(
        err::<CreateRun>(json!({ "start_time": "abc" })),
        "Invalid value \"abc\" for parameter 'start_time' supplied: Hint: Value was of type string, expected an integer"
    );
    assert_eq!(
        err::<CreateRun>(json!({ "start_time": 1.5 })),
        "Invalid value 1.5 for parameter 'start_time' supplied: Hint: Value was of type number, expected an integer"
    );
    // The first field the message declares is reported first.
    assert_eq!(err::<LogMetric>(json!({ "value": "x" })), missing("run_id"));
    let batch = json!({ "run_id": "r", "metrics": [{ "key": "k", "value": 1, "timestamp": "t" }] });
    assert_eq!(
        err::<LogBatchRequest>(batch),
        "Invalid value \"t\" for parameter 'timestamp' supplied: Hint: Value was of type string, expected an integer"
    );
    assert_eq!(
        err::<VersionRef>(json!({ "name": "m", "version": "x" })),
        "Parameter 'version' must be an integer, got 'x'."
    );
}

#[test]
fn run_uuid_stands_in_for_run_id_and_query_texts_are_read() {
    let Value::Object(p) =
        json!({ "run_uuid": "abc", "key": "k", "value": "1", "timestamp": "17" })
    else {
        panic!()
    };
    let m: LogMetric = decode(p).unwrap();
    assert_eq!(
        (m.run_id.as_str(), m.value, m.timestamp, m.step),
        ("abc", 1.0, 17, None)
    );
    let Value::Object(p) = json!({ "experiment_ids": "3", "run_view_type": "2" }) else {
        panic!()
    };
    let m: SearchRuns = decode(p).unwrap();
    assert_eq!(m.experiment_ids, [s("3")]);
    assert_eq!(m.run_view_type, ViewType::DeletedOnly);
}

/// The one-pass log-batch decoder takes the plainest bodies, and gives for each exactly what
/// the general decoder gives; every other form is left to the general decoder.
#[test]
fn the_plain_log_batch_decoder_agrees_with_the_general_one() {
    let plain = [
        r#"{"run_id":"r1","metrics":[{"key":"m","value":0.5,"timestamp":1700000000000,"step":3}]}"#,
        r#"{"run_id":"r1","metrics":[{"key":"m","value":1,"timestamp":5}],"params":[{"key":"p","value":"x"}],"tags":[{"key":"t","value":""}]}"#,
        r#"{"run_id":"r1","params":[],"tags":[{"key":"t","value":"v","extra":1}],"other":true}"#,
        r#"{"run_id":"r1","metrics":[{"key":"m","value":-1e300,"timestamp":0,"step":-2}]}"#,
        r#"{"run_id":"r1","metrics":[{"key":"m","value":1,"timestamp":1,"model_id":"m-1","dataset_name":"d","dataset_digest":""}]}"#,
    ];
    for body in plain {
        let fast = LogBatchRequest::from_plain_json(body.as_bytes())
            .unwrap_or_else(|| panic!("not plain: {body}"));
        let Value::Object(map) = serde_json::from_str(body).unwrap() else {
            panic!("{body}")
        };
        let general: LogBatchRequest = decode(map).unwrap_or_else(|e| panic!("{e}: {body}"));
        assert_eq!(fast, general, "{body}");
    }
    let other = [
        r#"{"run_id":"","metrics":[]}"#,
        r#"{"run_id":"r1","metrics":[{"key":"m","value":"NaN","timestamp":1}]}"#,
        r#"{"run_id":"r1","metrics":[{"key":"m","value":1,"timestamp":"1"}]}"#,
        r#"{"run_id":"r1","metrics":[{"key":"m","value":1}]}"#,
        r#"{"run_id":"r1","metrics":[{"key":"","value":1,"timestamp":1}]}"#,
        r#"{"run_id":"r1","metrics":[{"key":"m","value":1,"timestamp":1,"step":null}]}"#,
        r#"{"run_id":"r1","params":[{"key":"p","value":41}]}"#,
        r#"{"run_id":"r1","params":[{"key":"p"}]}"#,
        r#"{"run_id":"r1","metrics":"foo"}"#,
        r#"{"run_id":"r1","run_id":"r2"}"#,
        r#"{"run_id":31}"#,
        r#""{\"run_id\":\"r1\"}""#,
    ];
    for body in other {
        assert!(
            LogBatchRequest::from_plain_json(body.as_bytes()).is_none(),
            "taken as plain: {body}"
        );
    }
}
