//! Keyset pages of registered models, model versions and metric history: every item once,
//! with items added between pages; a token the store did not give is refused.

use std::fmt::Debug;

use mlf::search::{parse_model_filter, parse_version_filter};
use mlf::store::{Backend, LogBatch, Page, Result};

use crate::common::{assert_err, log, metric, register, run, run_with_model};

/// Every page from the first; `between` runs after the first page.
fn walk<T: Debug>(
    s: &mut dyn Backend,
    mut page: impl FnMut(&dyn Backend, Option<&str>) -> Result<Page<T>>,
    mut between: impl FnMut(&mut dyn Backend),
) -> (Vec<T>, Vec<usize>) {
    let (mut all, mut sizes, mut token) = (Vec::new(), Vec::new(), None::<String>);
    loop {
        let (items, next) = page(&*s, token.as_deref()).expect("a page");
        sizes.push(items.len());
        all.extend(items);
        if sizes.len() == 1 {
            between(s);
        }
        match next {
            Some(t) => token = Some(t),
            None => return (all, sizes),
        }
        assert!(sizes.len() < 20, "the pages never end: {sizes:?}");
    }
}

pub fn model_pages(s: &mut dyn Backend) {
    let exp = "0";
    let r = run_with_model(s, exp, "src");
    for name in ["b", "d", "f", "h", "j"] {
        register(s, name, &r);
    }
    let (models, sizes) = walk(
        s,
        |s, t| s.search_models(None, 2, t),
        |s| {
            register(s, "a", &r);
            register(s, "z", &r);
        },
    );
    let names: Vec<&str> = models.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["b", "d", "f", "h", "j", "z"]);
    assert_eq!(sizes, [2, 2, 2]);
    let f = parse_model_filter("name LIKE '%' AND name != 'd'").unwrap();
    let (page, next) = s.search_models(f.as_ref(), 10, None).unwrap();
    assert_eq!(page.len(), 6);
    assert_eq!(next, None);
    assert_err!(s.search_models(None, 2, Some("bogus")), Invalid);
}

pub fn version_pages(s: &mut dyn Backend) {
    let r = run_with_model(s, "0", "src");
    let other = run_with_model(s, "0", "other");
    for (name, from) in [
        ("m", &r),
        ("m", &r),
        ("m", &other),
        ("n", &r),
        ("n", &other),
    ] {
        register(s, name, from);
    }
    let (versions, sizes) = walk(
        s,
        |s, t| s.search_versions(None, 2, t),
        |s| {
            register(s, "m", &r);
        },
    );
    let keys: Vec<String> = versions
        .iter()
        .map(|v| format!("{}/{}", v.name, v.version))
        .collect();
    assert_eq!(keys, ["m/3", "m/2", "m/1", "n/2", "n/1"]);
    assert_eq!(sizes, [2, 2, 1]);
    let found = |s: &dyn Backend, filter: &str| -> Vec<String> {
        let f = parse_version_filter(filter).unwrap();
        let (page, next) = s.search_versions(f.as_ref(), 100, None).unwrap();
        assert_eq!(next, None);
        page.iter()
            .map(|v| format!("{}/{}", v.name, v.version))
            .collect()
    };
    assert_eq!(found(s, "name = 'n'"), ["n/2", "n/1"]);
    assert_eq!(
        found(s, "name = 'm' AND version_number > 2"),
        ["m/4", "m/3"]
    );
    let id = &other.info.run_id;
    assert_eq!(found(s, &format!("run_id IN ('{id}')")), ["m/3", "n/2"]);
    assert_err!(s.search_versions(None, 2, Some("zz")), Invalid);
}

pub fn metric_history_pages(s: &mut dyn Backend) {
    let id = run(s, "0", "curve").info.run_id;
    let t = 1_700_000_000_000;
    let batch = |points: &[(f64, i64, i64)]| LogBatch {
        metrics: points
            .iter()
            .map(|(v, ts, step)| metric("loss", *v, t + ts, *step))
            .collect(),
        ..Default::default()
    };
    log(
        s,
        &id,
        batch(&[
            (0.5, 2, 0),
            (0.4, 1, 1),
            (0.3, 1, 0),
            (f64::NAN, 1, 0),
            (0.0, 1, 0),
        ]),
    );
    let (points, sizes) = walk(
        s,
        |s, tok| s.metric_history_page(&id, "loss", Some(2), tok),
        |s| log(s, &id, batch(&[(0.1, 9, 9)])),
    );
    let keys: Vec<(i64, i64, String)> = points
        .iter()
        .map(|m| (m.timestamp - t, m.step, m.value.to_string()))
        .collect();
    let k = |ts: i64, step: i64, v: &str| (ts, step, v.to_string());
    assert_eq!(
        keys,
        [
            k(1, 0, "0"),
            k(1, 0, "NaN"),
            k(1, 0, "0.3"),
            k(1, 1, "0.4"),
            k(2, 0, "0.5"),
            k(9, 9, "0.1")
        ]
    );
    assert_eq!(sizes, [2, 2, 2]);
    let (all, next) = s.metric_history_page(&id, "loss", None, None).unwrap();
    assert_eq!((all.len(), next), (6, None));
    assert_err!(
        s.metric_history_page(&id, "loss", Some(2), Some("zz")),
        Invalid
    );
    assert_err!(
        s.metric_history_page("0123456789abcdef0123456789abcdef", "loss", None, None),
        NotFound
    );
}
