//! Searching runs: filters, order, pages, and the lists shell completion reads.

use std::collections::BTreeSet;

use mlf::search::parse_filter;
use mlf::store::{Backend, LogBatch, RunQuery};
use mlf::tracking::RunStatus;

use crate::common::{assert_err, experiment, found, kv, log, metric, query, run_at, set};

pub fn search_filter_and_order(s: &mut dyn Backend) {
    let exp = experiment(s, "search");
    let elsewhere = experiment(s, "elsewhere");
    let t = 1_700_000_000_000;
    for (i, (name, acc, kind)) in [
        ("one", Some(0.9), "a"),
        ("two", Some(0.4), "a"),
        ("three", Some(0.7), "b"),
        ("four", Some(0.95), "a"),
        ("five", None, "a"),
    ]
    .into_iter()
    .enumerate()
    {
        let id = run_at(s, &exp, name, t + 1000 * i as i64).info.run_id;
        log(
            s,
            &id,
            LogBatch {
                params: vec![kv("kind", kind)],
                metrics: acc.map(|a| metric("acc", a, t, 0)).into_iter().collect(),
                ..Default::default()
            },
        );
    }
    run_at(s, &elsewhere, "outsider", t + 10_000);

    // Newest first by default.
    assert_eq!(
        found(s, &query(&exp, "", &[])),
        ["five", "four", "three", "two", "one"]
    );
    assert_eq!(
        found(s, &query(&exp, "", &["attributes.start_time ASC"])),
        ["one", "two", "three", "four", "five"]
    );
    assert_eq!(
        found(
            s,
            &query(
                &exp,
                "metrics.acc > 0.5 and params.kind = 'a'",
                &["metrics.acc DESC"]
            )
        ),
        ["four", "one"]
    );
    // A run without the metric sorts last, either way.
    assert_eq!(
        found(s, &query(&exp, "", &["metrics.acc ASC"])),
        ["two", "three", "one", "four", "five"]
    );
    assert_eq!(
        found(s, &query(&exp, "", &["metrics.acc DESC"])),
        ["four", "one", "three", "two", "five"]
    );
    assert_eq!(
        found(s, &query(&exp, "attributes.run_name = 'three'", &[])),
        ["three"]
    );
    assert_eq!(
        found(
            s,
            &query(&exp, "tags.mlflow.runName LIKE 't%'", &["params.kind DESC"])
        )
        .into_iter()
        .collect::<BTreeSet<_>>(),
        set(&["two", "three"])
    );
    assert_eq!(found(s, &query(&exp, "params.kind != 'a'", &[])), ["three"]);
    assert!(found(s, &query(&exp, "metrics.acc > 2", &[])).is_empty());

    // Status is an attribute too.
    let one = s.resolve_run("one", Some(&exp)).unwrap();
    s.update_run(&one, RunStatus::Finished, Some(t + 20_000))
        .unwrap();
    assert_eq!(
        found(s, &query(&exp, "attributes.status = 'FINISHED'", &[])),
        ["one"]
    );

    // Every experiment when none is named.
    let all = found(
        s,
        &RunQuery {
            filter: parse_filter("params.kind = 'b' or attributes.run_name = 'outsider'", 0)
                .unwrap(),
            ..Default::default()
        },
    );
    assert_eq!(all, ["outsider", "three"]);
}

pub fn search_pages(s: &mut dyn Backend) {
    let exp = experiment(s, "pages");
    let t = 1_700_000_000_000;
    let mut ids = BTreeSet::new();
    for i in 0..7 {
        let id = run_at(s, &exp, &format!("p{i}"), t + i).info.run_id;
        ids.insert(id);
    }
    let everything = found(s, &query(&exp, "", &[]));
    assert_eq!(everything.len(), 7);

    let mut seen: Vec<String> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    let mut sizes = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = s
            .search_runs(&RunQuery {
                experiment_ids: vec![exp.clone()],
                max_results: Some(3),
                page_token: token.clone(),
                ..Default::default()
            })
            .unwrap();
        sizes.push(page.runs.len());
        for r in page.runs {
            seen.push(r.info.run_id);
            names.push(r.info.run_name);
        }
        if sizes.len() == 1 {
            // A run made between pages does not shift them.
            run_at(s, &exp, "late", t + 100);
        }
        match page.next_page_token {
            Some(t) => token = Some(t),
            None => break,
        }
        assert!(sizes.len() < 10, "the pages never end: {sizes:?}");
    }
    assert_eq!(sizes, [3, 3, 1]);
    assert_eq!(seen.len(), 7, "{names:?}");
    assert_eq!(seen.iter().cloned().collect::<BTreeSet<_>>(), ids);
    assert_eq!(names, everything);

    // A page exactly as large as what is left ends the search.
    let page = s
        .search_runs(&RunQuery {
            experiment_ids: vec![exp.clone()],
            max_results: Some(8),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(page.runs.len(), 8);
    assert_eq!(page.next_page_token, None);

    assert_err!(
        s.search_runs(&RunQuery {
            max_results: Some(0),
            ..Default::default()
        }),
        Invalid
    );
}

/// What shell completion reads: the newest runs and the keys in use.
pub fn completion_lists(s: &mut dyn Backend) {
    let t = 1_700_000_000_000;
    let old = run_at(s, "0", "old", t).info.run_id;
    let new = run_at(s, "0", "new", t + 1).info.run_id;
    let gone = run_at(s, "0", "gone", t + 2).info.run_id;
    s.delete_runs(std::slice::from_ref(&gone)).unwrap();
    log(
        s,
        &old,
        LogBatch {
            params: vec![kv("lr", "1")],
            metrics: vec![metric("acc", 1.0, t, 0)],
            tags: vec![kv("team", "x")],
        },
    );
    log(
        s,
        &new,
        LogBatch {
            params: vec![kv("depth", "3")],
            metrics: vec![metric("loss", 1.0, t, 0)],
            ..Default::default()
        },
    );
    assert_eq!(
        s.recent_runs(10).unwrap(),
        [(new.clone(), "new".to_string()), (old, "old".to_string())]
    );
    assert_eq!(s.recent_runs(1).unwrap(), [(new, "new".to_string())]);
    assert_eq!(s.keys_in_use("params").unwrap(), ["depth", "lr"]);
    assert_eq!(s.keys_in_use("metrics").unwrap(), ["acc", "loss"]);
    assert!(s.keys_in_use("tags").unwrap().contains(&"team".to_string()));
}
