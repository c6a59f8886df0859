//! Keyset pages of registered models, model versions and metric history over raw HTTP: every
//! item once however the pages fall, with an item added between pages; model versions
//! filtered with the grammar; a token the server did not give is a 400.

use super::*;

/// Follows `next_page_token` from the first page; `between` runs after each page but the
/// last. Answers the ids `id` picks, in order, and how many pages there were.
fn walk(
    mut page: impl FnMut(Option<&str>) -> Value,
    key: &str,
    id: impl Fn(&Value) -> String,
    mut between: impl FnMut(usize),
) -> (Vec<String>, usize) {
    let (mut seen, mut token, mut pages) = (Vec::new(), None::<String>, 0);
    loop {
        let v = page(token.as_deref());
        seen.extend(
            v[key]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .map(&id),
        );
        pages += 1;
        assert!(pages < 100, "pages never end");
        match v["next_page_token"].as_str() {
            Some(t) => token = Some(t.to_string()),
            None => return (seen, pages),
        }
        between(pages);
    }
}

fn once_each(seen: &[String], expected: &[String]) {
    let unique: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "an item came twice: {seen:?}");
    for e in expected {
        assert!(seen.contains(e), "{e} missing from {seen:?}");
    }
}

#[test]
fn registered_model_pages_hold_each_model_once() {
    let env = TestEnv::new();
    let s = Server::start(&env, &[]);
    let names: Vec<String> = (0..12).map(|i| format!("m{i:02}")).collect();
    for n in &names {
        s.post_ok("registered-models/create", json!({ "name": n }));
    }
    let (seen, pages) = walk(
        |t| {
            let mut q = vec![("max_results", "5")];
            if let Some(t) = t {
                q.push(("page_token", t));
            }
            s.get_ok("registered-models/search", &q)
        },
        "registered_models",
        |m| m["name"].as_str().unwrap().to_string(),
        |p| {
            if p == 1 {
                s.post_ok("registered-models/create", json!({ "name": "a-early" }));
                s.post_ok("registered-models/create", json!({ "name": "z-late" }));
            }
        },
    );
    once_each(&seen, &names);
    assert!(!seen.contains(&"a-early".to_string()), "{seen:?}");
    assert_eq!(seen.last().map(String::as_str), Some("z-late"));
    assert_eq!(pages, 3, "{seen:?}");
    let r = s.get(
        "registered-models/search",
        &[("max_results", "5"), ("page_token", "bogus")],
    );
    assert_eq!(
        r.error(400, "INVALID_PARAMETER_VALUE"),
        "Invalid page token 'bogus'"
    );
}

/// A run with a model directory, and `counts[i]` versions of model `names[i]` from it.
fn versions(s: &Server, names: &[&str], counts: &[usize]) -> String {
    let run = s.create_run("0", "source");
    s.put_artifact(
        &format!("artifacts/0/{run}/artifacts/model/MLmodel"),
        b"flavors: {}\n",
    );
    for (name, n) in names.iter().zip(counts) {
        s.post_ok("registered-models/create", json!({ "name": name }));
        for _ in 0..*n {
            add_version(s, name, &run);
        }
    }
    run
}

fn add_version(s: &Server, name: &str, run: &str) -> String {
    let v = s.post_ok(
        "model-versions/create",
        json!({ "name": name, "source": format!("runs:/{run}/model"), "run_id": run }),
    );
    v["model_version"]["version"].as_str().unwrap().to_string()
}

fn version_search(s: &Server, filter: &str, max: &str, token: Option<&str>) -> Value {
    let mut q = vec![("filter", filter), ("max_results", max)];
    if let Some(t) = token {
        q.push(("page_token", t));
    }
    s.get_ok("model-versions/search", &q)
}

#[test]
fn model_version_pages_hold_each_version_once() {
    let env = TestEnv::new();
    let s = Server::start(&env, &[]);
    let run = versions(&s, &["a", "b"], &[4, 3]);
    let key = |v: &Value| {
        format!(
            "{}/{}",
            v["name"].as_str().unwrap(),
            v["version"].as_str().unwrap()
        )
    };
    let expected: Vec<String> = ["a/4", "a/3", "a/2", "a/1", "b/3", "b/2", "b/1"]
        .map(String::from)
        .to_vec();
    let (seen, _) = walk(
        |t| version_search(&s, "", "3", t),
        "model_versions",
        key,
        |p| {
            if p == 1 {
                add_version(&s, "a", &run);
            }
        },
    );
    once_each(&seen, &expected);
    assert_eq!(
        seen, expected,
        "by name, newest first; a/5 came after the page it sorts in"
    );
    let (all, pages) = walk(
        |t| version_search(&s, "", "1", t),
        "model_versions",
        key,
        |_| {},
    );
    assert_eq!((all.len(), pages), (8, 8), "{all:?}");
    let r = s.get(
        "model-versions/search",
        &[("max_results", "3"), ("page_token", "zz")],
    );
    assert_eq!(
        r.error(400, "INVALID_PARAMETER_VALUE"),
        "Invalid page token 'zz'"
    );
}

#[test]
fn model_versions_are_filtered_with_the_grammar() {
    let env = TestEnv::new();
    let s = Server::start(&env, &[]);
    let run = versions(&s, &["a", "b"], &[3, 2]);
    s.post_ok(
        "model-versions/set-tag",
        json!({ "name": "a", "version": "2", "key": "k", "value": "v1" }),
    );
    s.post_ok(
        "model-versions/set-tag",
        json!({ "name": "b", "version": "1", "key": "k", "value": "w" }),
    );
    let found = |filter: &str| -> Vec<String> {
        let v = version_search(&s, filter, "100", None);
        v["model_versions"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|v| {
                format!(
                    "{}/{}",
                    v["name"].as_str().unwrap(),
                    v["version"].as_str().unwrap()
                )
            })
            .collect()
    };
    let source = format!("runs:/{run}/model");
    let cases: Vec<(String, Vec<&str>)> = vec![
        ("name = 'a'".into(), vec!["a/3", "a/2", "a/1"]),
        ("name='b'".into(), vec!["b/2", "b/1"]),
        ("name != 'a'".into(), vec!["b/2", "b/1"]),
        ("name ILIKE 'A'".into(), vec!["a/3", "a/2", "a/1"]),
        ("name LIKE 'A'".into(), vec![]),
        ("name IN ('b')".into(), vec!["b/2", "b/1"]),
        (
            "name = 'a' AND version_number >= 2".into(),
            vec!["a/3", "a/2"],
        ),
        ("version_number = 1".into(), vec!["a/1", "b/1"]),
        (
            format!("run_id IN ('{run}', 'other')"),
            vec!["a/3", "a/2", "a/1", "b/2", "b/1"],
        ),
        ("run_id = 'other'".into(), vec![]),
        (
            format!("source_path = '{source}' and name = 'b'"),
            vec!["b/2", "b/1"],
        ),
        ("tags.k LIKE 'v%'".into(), vec!["a/2"]),
        ("tags.k != 'v1'".into(), vec!["b/1"]),
        ("tags.`k` = 'w' AND name = 'b'".into(), vec!["b/1"]),
    ];
    for (filter, want) in cases {
        assert_eq!(found(&filter), want, "{filter}");
    }
    for (filter, says) in [
        ("version = 2", "invalid attribute 'version'"),
        ("metrics.acc > 1", "invalid entity type 'metrics'"),
        ("version_number = 'x'", "version_number needs an integer"),
        ("source_path IN ('x')", "list"),
        ("name = ", "Invalid filter"),
    ] {
        let r = s.get("model-versions/search", &[("filter", filter)]);
        let message = r.error(400, "INVALID_PARAMETER_VALUE");
        assert!(message.contains(says), "{filter}: {message}");
    }
}

#[test]
fn metric_history_pages_hold_each_point_once() {
    let env = TestEnv::new();
    let s = Server::start(&env, &[]);
    let run = s.create_run("0", "history");
    // Ties on timestamp and step, a NaN beside a 0: the order is timestamp, step, value.
    let metrics = json!([
        { "key": "h", "value": 2, "timestamp": 10, "step": 0 },
        { "key": "h", "value": 1, "timestamp": 10, "step": 0 },
        { "key": "h", "value": "NaN", "timestamp": 10, "step": 1 },
        { "key": "h", "value": 0, "timestamp": 10, "step": 1 },
        { "key": "h", "value": 5, "timestamp": 11, "step": 0 },
        { "key": "h", "value": -1, "timestamp": 12, "step": 3 },
        { "key": "h", "value": "Infinity", "timestamp": 12, "step": 4 },
    ]);
    s.post_ok(
        "runs/log-batch",
        json!({ "run_id": run, "metrics": metrics }),
    );
    let point = |m: &Value| format!("{}/{}/{}", m["timestamp"], m["step"], m["value"]);
    let all = s.get_ok(
        "metrics/get-history",
        &[("run_id", &run), ("metric_key", "h")],
    );
    let expected: Vec<String> = all["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(point)
        .collect();
    assert!(all.get("next_page_token").is_none(), "{all}");
    assert_eq!(
        expected,
        [
            "10/0/1.0",
            "10/0/2.0",
            "10/1/0.0",
            "10/1/\"NaN\"",
            "11/0/5.0",
            "12/3/-1.0",
            "12/4/\"Infinity\""
        ]
    );
    let (seen, pages) = walk(
        |t| {
            let mut q = vec![
                ("run_id", run.as_str()),
                ("metric_key", "h"),
                ("max_results", "3"),
            ];
            if let Some(t) = t {
                q.push(("page_token", t));
            }
            s.get_ok("metrics/get-history", &q)
        },
        "metrics",
        point,
        |p| {
            if p == 1 {
                let late = json!([{ "key": "h", "value": 9, "timestamp": 20, "step": 0 }]);
                s.post_ok("runs/log-batch", json!({ "run_id": run, "metrics": late }));
            }
        },
    );
    once_each(&seen, &expected);
    assert_eq!(seen.last().map(String::as_str), Some("20/0/9.0"));
    assert_eq!((seen.len(), pages), (8, 3), "{seen:?}");
    for bad in ["zz", "3", "31303a78"] {
        let r = s.get(
            "metrics/get-history",
            &[("run_id", &run), ("metric_key", "h"), ("page_token", bad)],
        );
        assert_eq!(
            r.error(400, "INVALID_PARAMETER_VALUE"),
            format!("Invalid page token '{bad}'")
        );
    }
}
