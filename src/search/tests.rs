//! The grammar on good and bad filters and order-by lists.

use super::*;

fn ok(s: &str) -> Expr {
    parse_filter(s, 1_000_000_000)
        .unwrap_or_else(|e| panic!("{s}: {e}"))
        .expect("non-empty")
}

fn err(s: &str) -> SearchError {
    parse_filter(s, 0).expect_err(s)
}

#[test]
fn idents() {
    let Expr::Clause(c) = ok("tags.`mlflow.runName` = 'run1'") else {
        panic!()
    };
    assert_eq!(c.target, Target::Tag("mlflow.runName".into()));
    let Expr::Clause(c) = ok("tags.mlflow.runName = 'run1'") else {
        panic!()
    };
    assert_eq!(c.target, Target::Tag("mlflow.runName".into()));
    let Expr::Clause(c) = ok("`metric`.a >= 0.1") else {
        panic!()
    };
    assert_eq!(c.target, Target::Metric("a".into()));
    let Expr::Clause(c) = ok("attributes.`Run name` LIKE 'my%'") else {
        panic!()
    };
    assert_eq!(c.target, Target::Attr(Attr::RunName));
}

#[test]
fn extensions() {
    assert!(matches!(
        ok("metrics.a > 1 OR NOT (params.b = 'x' AND tags.c != 'y')"),
        Expr::Or(_)
    ));
    let Expr::Clause(c) = ok("attributes.start_time > -7d") else {
        panic!()
    };
    assert_eq!(c.value, Value::Time(1_000_000_000.0 - 7.0 * 86_400_000.0));
}

#[test]
fn errors_have_columns() {
    let e = err("metrics.acc >> 1");
    assert_eq!(e.column, Some(13), "{e}");
    assert!(
        err("metrics.cross-entropy-loss < 0.5")
            .message
            .contains("quoting")
    );
    assert!(err("m.acc >= 0.94").message.contains("entity type"));
    assert!(err("acc >= 0.94").message.contains("invalid attribute"));
    assert!(
        err("metric.acc >= 0.94; metrics.rmse < 1")
            .message
            .contains("not `;`")
    );
}

#[test]
fn order_by() {
    let keys = parse_order_by(&["metrics.acc DESC, params.lr".into()]).unwrap();
    assert_eq!(keys.len(), 2);
    assert!(!keys[0].ascending);
    assert!(parse_order_by(&["metrics.a ACS".into()]).is_err());
    assert!(parse_order_by(&["metrics.a, metrics.a DESC".into()]).is_err());
}

/// A deterministic stream of pseudo-random numbers (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

/// Pieces of filters, good and bad, ASCII and not, for random inputs.
const PIECES: [&str; 40] = [
    "metrics.acc",
    "params.lr",
    "tags.`a b`",
    "attributes.status",
    "run_id",
    "name",
    "tags.k",
    " = ",
    " != ",
    " < ",
    " >= ",
    " LIKE ",
    " ILIKE ",
    " IN ",
    " NOT IN ",
    " IS NULL",
    " IS NOT NULL",
    "'x'",
    "\"y\"",
    "0.5",
    "-7d",
    "1e309",
    "('a', 'b')",
    "(",
    ")",
    " AND ",
    " OR ",
    "NOT ",
    "é",
    "日本",
    "'",
    "`",
    ",",
    ";",
    " ",
    "\u{0}",
    "ﬀ",
    "ß",
    " asc",
    " DESC",
];

#[test]
fn no_input_makes_the_parsers_panic() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..20_000 {
        let n = 1 + rng.next() % 12;
        let text: String = (0..n).map(|_| rng.pick(&PIECES)).collect();
        let _ = parse_filter(&text, 1_700_000_000_000);
        let _ = parse_model_filter(&text);
        let _ = parse_order_by(std::slice::from_ref(&text));
        if let Ok(Some(expr)) = parse_filter(&text, 0) {
            // What parses renders back to text that parses to the same thing.
            let again = parse_filter(&expr.to_filter_string(), 0);
            assert_eq!(again, Ok(Some(expr)), "{text}");
        }
    }
}

#[test]
fn limits_hold_and_are_named() {
    let nested = format!("{}params.a = 'x'{}", "(".repeat(5000), ")".repeat(5000));
    let e = parse_filter(&nested, 0).unwrap_err().to_string();
    assert!(e.contains("at most 100 levels"), "{e}");
    assert!(e.len() < 300, "the message quotes the whole input: {e}");
    let nots = format!("{}params.a = 'x'", "NOT ".repeat(10_000));
    let e = parse_filter(&nots, 0).unwrap_err().to_string();
    assert!(e.contains("at most 100 levels"), "{e}");
    let ok = format!("{}params.a = 'x'{}", "(".repeat(100), ")".repeat(100));
    assert!(parse_filter(&ok, 0).is_ok());

    let clauses = |n: usize| {
        (0..n)
            .map(|i| format!("params.k{i} = '1'"))
            .collect::<Vec<_>>()
            .join(" AND ")
    };
    assert!(parse_filter(&clauses(500), 0).is_ok());
    let e = parse_filter(&clauses(501), 0).unwrap_err().to_string();
    assert!(e.contains("at most 500 clauses"), "{e}");

    let list = |n: usize| {
        let ids: Vec<String> = (0..n).map(|i| format!("'{i:032x}'")).collect();
        format!("attributes.run_id IN ({})", ids.join(","))
    };
    assert!(parse_filter(&list(10_000), 0).is_ok());
    let e = parse_filter(&list(10_001), 0).unwrap_err().to_string();
    assert!(e.contains("at most 10000 values"), "{e}");

    let keys = |n: usize| {
        vec![
            (0..n)
                .map(|i| format!("metrics.m{i}"))
                .collect::<Vec<_>>()
                .join(","),
        ]
    };
    assert_eq!(parse_order_by(&keys(20)).unwrap().len(), 20);
    let e = parse_order_by(&keys(21)).unwrap_err().to_string();
    assert!(e.contains("at most 20 keys"), "{e}");

    let e = parse_filter("éé", 0).unwrap_err().to_string();
    assert!(e.contains("'éé'"), "{e}");
}

#[test]
fn logged_model_filters_know_their_attributes_tags_and_params() {
    let e = parse_logged_model_filter(
        "name LIKE 'a%' AND status = 'READY' AND model_type != 'x' AND source_run_id = 'r' AND tags.t = 'v' AND params.p ILIKE 'q'",
    )
    .unwrap()
    .unwrap();
    let Expr::And(items) = e else { panic!("{e:?}") };
    let targets: Vec<Target> = items
        .iter()
        .map(|i| match i {
            Expr::Clause(c) => c.target.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        targets,
        [
            Target::Attr(Attr::Name),
            Target::Attr(Attr::Status),
            Target::Attr(Attr::ModelType),
            Target::Attr(Attr::SourceRunId),
            Target::Tag("t".into()),
            Target::Param("p".into()),
        ]
    );
    for bad in ["metrics.a > 1", "run_id = 'x'", "name > 'a'", "tags.t = 1"] {
        assert!(parse_logged_model_filter(bad).is_err(), "{bad}");
    }
}

#[test]
fn version_filters_know_names_numbers_runs_sources_and_tags() {
    let e = parse_version_filter(
        "name = 'm' AND version_number >= 2 AND run_id IN ('a', 'b') AND source_path LIKE 'runs:/%' AND tags.k != 'v'",
    )
    .unwrap()
    .unwrap();
    let Expr::And(items) = e else { panic!("{e:?}") };
    let targets: Vec<Target> = items
        .iter()
        .map(|i| match i {
            Expr::Clause(c) => c.target.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        targets,
        [
            Target::Attr(Attr::Name),
            Target::Attr(Attr::VersionNumber),
            Target::Attr(Attr::RunId),
            Target::Attr(Attr::SourcePath),
            Target::Tag("k".into()),
        ]
    );
    for bad in [
        "version = 2",
        "version_number = '2'",
        "version_number = 1.5",
        "version_number LIKE '1'",
        "source_path IN ('x')",
        "params.p = 'x'",
        "status = 'READY'",
    ] {
        assert!(parse_version_filter(bad).is_err(), "{bad}");
    }
}
