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
