//! Tests of the run search grammar, through the binary: `mlf runs list -f EXPR`, `--order-by`,
//! pages, `-x`, `--only-changed` and `--format md`, against the fixed store described in
//! `fixtures/search/runs.jsonl`.
//!
//! The fixture's runs (T0 = 1700000000000 = 2023-11-14 22:13:20 UTC; "latest" is the value at
//! the greatest step):
//!
//! | run        | exp   | status   | start    | params                                   | latest metrics                          |
//! |------------|-------|----------|----------|------------------------------------------|-----------------------------------------|
//! | run1       | alpha | FINISHED | T0-3d    | model=LinearRegression LR alpha=.5 lr=.01| rmse .8 acc .95 a 2 b 1 loss .3         |
//! | my-run     | alpha | FINISHED | T0-2d    | model=linearregression LR alpha=.1 lr=.1 | rmse 1.2 (was .5) acc .93 a .0005 loss .2|
//! | my-other   | alpha | FAILED   | T0-1d    | model=RidgeRegression Ridge alpha=.5 lr=.01 | rmse .7 acc NaN loss -.7             |
//! | mango      | beta  | FINISHED | T0       | model=LinearRegression LR name=m lr=.001 | acc 100, spacey name 6, version_number 3, loss -.5 |
//! | Melon      | beta  | FINISHED | T0+1h    | name=m lr=.1                             | version_number 1 (was 2), accuracy.2.0 7, acc .94 |
//! | apple      | beta  | FAILED   | T0+1d    | lr=.1                                    | a .2 b 3 accuracy.2.0 4 spacey name 5 score 1 |
//! | bare       | gamma | FINISHED | T0+2d    | (none, no tags, no metrics)              |                                         |
//! | killed-one | gamma | KILLED   | T0+3d    | lr=.01                                   | acc .95 rmse .95 score -inf             |
//! | early-bird | gamma | FINISHED | T0-5d    | lr=.001 (created 9th)                    | rmse .6 spacey name 9 score inf         |
//! | live       | gamma | RUNNING  | T0+4d    | model=Linear lr=.1                       | loss .5                                 |
//!
//! Users: my-run and apple are `alice`, mango and Melon `bob`, the rest `tester`.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::support::{self, Output, TestEnv};

const FIXTURE: &str = include_str!("../../fixtures/search/runs.jsonl");

const T0: i64 = 1_700_000_000_000;
const HOUR: i64 = 3_600_000;
const DAY: i64 = 86_400_000;
/// The clock of every search command: one hour after the newest run started.
const NOW: i64 = T0 + 4 * DAY + HOUR;

const ALL: &[&str] = &[
    "run1",
    "my-run",
    "my-other",
    "mango",
    "Melon",
    "apple",
    "bare",
    "killed-one",
    "early-bird",
    "live",
];

/// The fixture store, and each run's id by name.
struct Fixture {
    env: TestEnv,
    ids: BTreeMap<String, String>,
}

/// Builds the fixture store through the binary: `run start` at the run's start time, `log
/// batch` of its metric points, `run end --status` at its end time (the RUNNING run is last).
fn fixture() -> Fixture {
    let env = TestEnv::new();
    let runs: Vec<Value> = FIXTURE
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("fixture line is JSON"))
        .collect();
    let mut ids = BTreeMap::new();
    for (i, run) in runs.iter().enumerate() {
        let name = run["name"].as_str().unwrap();
        let start = run["start"].as_i64().unwrap();
        let mut args: Vec<String> = vec![
            "run".into(),
            "start".into(),
            "-x".into(),
            run["experiment"].as_str().unwrap().into(),
            "-n".into(),
            name.into(),
        ];
        for (flag, field) in [("-p", "params"), ("-t", "tags")] {
            for (k, v) in run[field].as_object().unwrap() {
                args.push(flag.into());
                args.push(format!("{k}={}", v.as_str().unwrap()));
            }
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut cmd = env.command(&args);
        cmd.env("MLF_TEST_NOW", start.to_string())
            .env("USER", run["user"].as_str().unwrap());
        let id = support::run(cmd).ok().stdout.trim().to_string();
        assert_eq!(id.len(), 32, "run start printed `{id}`");
        ids.insert(name.to_string(), id);

        let metrics = run["metrics"].as_array().unwrap();
        if !metrics.is_empty() {
            let lines: Vec<String> = metrics
                .iter()
                .map(|m| {
                    let step = m["step"].as_i64().unwrap();
                    json!({
                        "key": m["key"],
                        "value": m["value"],
                        "step": step,
                        "timestamp": start + 1000 * (step + 1),
                    })
                    .to_string()
                })
                .collect();
            let file = env.write(&format!("batch/{i}.jsonl"), &(lines.join("\n") + "\n"));
            mlf_at(
                &env,
                start,
                &["log", "batch", "--file", file.to_str().unwrap()],
            )
            .ok();
        }

        let status = run["status"].as_str().unwrap();
        if status == "running" {
            assert_eq!(
                i,
                runs.len() - 1,
                "only the last fixture run may stay running"
            );
            continue;
        }
        let end = run["end"].as_i64().unwrap();
        mlf_at(&env, end, &["run", "end", "--status", status]).ok();
    }
    Fixture { env, ids }
}

/// `mlf ARGS` in `env` with the clock pinned at `now`.
fn mlf_at(env: &TestEnv, now: i64, args: &[&str]) -> Output {
    let mut cmd = env.command(args);
    cmd.env("MLF_TEST_NOW", now.to_string());
    support::run(cmd)
}

impl Fixture {
    /// `mlf ARGS` with the clock pinned at NOW.
    fn mlf(&self, args: &[&str]) -> Output {
        self.mlf_at(NOW, args)
    }

    fn mlf_at(&self, now: i64, args: &[&str]) -> Output {
        mlf_at(&self.env, now, args)
    }

    /// `{name}` in a filter replaced by that run's id.
    fn expand(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (name, id) in &self.ids {
            out = out.replace(&format!("{{{name}}}"), id);
        }
        out
    }

    fn name_of(&self, id: &str) -> String {
        self.ids
            .iter()
            .find(|(_, v)| v.as_str() == id)
            .map(|(k, _)| k.clone())
            .unwrap_or_else(|| id.to_string())
    }

    /// `runs list --format json ARGS`: the run names in order, and the next page token.
    fn list_page(&self, now: i64, args: &[&str]) -> (Vec<String>, Option<String>) {
        let mut all = vec!["runs", "list", "--format", "json"];
        all.extend_from_slice(args);
        let out = self.mlf_at(now, &all).ok();
        let v = out.json();
        let names = v["runs"]
            .as_array()
            .unwrap_or_else(|| panic!("no `runs` array:\n{out}"))
            .iter()
            .map(|r| {
                let name = r["info"]["run_name"].as_str().unwrap().to_string();
                let id = r["info"]["run_id"].as_str().unwrap();
                if self.ids.values().any(|v| v == id) {
                    assert_eq!(self.name_of(id), name, "run_name and run_id disagree");
                }
                name
            })
            .collect();
        let token = v
            .get("next_page_token")
            .map(|t| t.as_str().expect("token is a string").to_string());
        (names, token)
    }

    /// Run names `runs list ARGS` returns, in order.
    fn names(&self, args: &[&str]) -> Vec<String> {
        self.list_page(NOW, args).0
    }

    /// Run names a filter selects, in order.
    fn filter_at(&self, now: i64, expr: &str) -> Vec<String> {
        let expr = self.expand(expr);
        self.list_page(now, &["-f", &expr]).0
    }

    /// `runs list --format json ARGS`, checked to exit 2 with nothing on stdout; returns the
    /// output for checks of its message.
    #[track_caller]
    fn list_refused(&self, args: &[&str]) -> Output {
        let mut all = vec!["runs", "list", "--format", "json"];
        all.extend_from_slice(args);
        let out = self.mlf(&all);
        assert_eq!(
            out.code, 2,
            "{args:?} should be refused with exit 2:\n{out}"
        );
        assert!(out.stdout.is_empty(), "{args:?} printed to stdout:\n{out}");
        out
    }

    /// Checks a table of (filter, expected run names, in any order); reports every mismatch.
    #[track_caller]
    fn check(&self, cases: &[(&str, &[&str])]) {
        self.check_at(NOW, cases);
    }

    #[track_caller]
    fn check_at(&self, now: i64, cases: &[(&str, &[&str])]) {
        let mut failures = Vec::new();
        for (expr, expected) in cases {
            let out = self.mlf_at(
                now,
                &["runs", "list", "--format", "json", "-f", &self.expand(expr)],
            );
            if out.code != 0 {
                failures.push(format!("{expr}\n    refused: {}", out.stderr.trim()));
                continue;
            }
            let got: BTreeSet<String> = out.json()["runs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["info"]["run_name"].as_str().unwrap().to_string())
                .collect();
            let want: BTreeSet<String> = expected.iter().map(|s| s.to_string()).collect();
            if got != want {
                failures.push(format!(
                    "{expr}\n    expected {want:?}\n    got      {got:?}"
                ));
            }
        }
        assert!(
            failures.is_empty(),
            "{} of {} filters selected the wrong runs:\n{}",
            failures.len(),
            cases.len(),
            failures.join("\n")
        );
    }
}

fn strings(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

/// Everything in ALL but `but`.
fn all_but(but: &[&str]) -> Vec<&'static str> {
    ALL.iter().copied().filter(|n| !but.contains(n)).collect()
}

// ---------------------------------------------------------------------------------------------
// The fixture itself

#[test]
fn fixture_has_the_described_runs() {
    let fx = fixture();
    let v = fx.mlf(&["runs", "list", "--format", "json"]).ok().json();
    let runs = v["runs"].as_array().unwrap();
    assert_eq!(runs.len(), ALL.len(), "{v:#}");
    let by_name: BTreeMap<&str, &Value> = runs
        .iter()
        .map(|r| (r["info"]["run_name"].as_str().unwrap(), r))
        .collect();
    let latest = |name: &str, key: &str| -> Value {
        by_name[name]["data"]["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["key"] == key)
            .map(|m| m["value"].clone())
            .unwrap_or(Value::Null)
    };
    // The latest point is the greatest step, not the last one logged.
    assert_eq!(latest("my-run", "acc"), json!(0.93));
    assert_eq!(latest("my-run", "rmse"), json!(1.2));
    assert_eq!(latest("my-other", "acc"), json!("NaN"));
    assert_eq!(latest("Melon", "version_number"), json!(1.0));
    assert_eq!(by_name["live"]["info"]["status"], "RUNNING");
    assert_eq!(by_name["live"]["info"]["end_time"], Value::Null);
    assert_eq!(by_name["killed-one"]["info"]["status"], "KILLED");
    assert_eq!(by_name["apple"]["info"]["user_id"], "alice");
    assert_eq!(by_name["mango"]["info"]["start_time"], json!(T0));
    assert_eq!(by_name["mango"]["info"]["end_time"], json!(T0 + 2 * HOUR));
    assert!(
        by_name["bare"]["data"]["metrics"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

// ---------------------------------------------------------------------------------------------
// The accepted examples of MLflow's grammar (reference §2.5), numbered as there

#[test]
fn mlflow_examples_select_the_expected_runs() {
    let fx = fixture();
    let all_but_run1 = all_but(&["run1"]);
    let cases: Vec<(&str, &[&str])> = vec![
        // 1: latest rmse (my-run's was 0.5, is 1.2)
        ("metrics.rmse < 1 and params.model_class = 'LR'", &["run1"]),
        // 2: NaN is not >= anything
        (
            "metrics.acc >= 0.94",
            &["run1", "mango", "Melon", "killed-one"],
        ),
        // 3
        ("metric.acc>=100", &["mango"]),
        // 4
        ("metrics.loss <= -0.5", &["my-other", "mango"]),
        // 5
        ("metrics.a > 1e-3", &["run1", "apple"]),
        // 6
        ("params.model = \"LinearRegression\"", &["run1", "mango"]),
        // 7
        ("parameters.alpha = '0.5'", &["run1", "my-other"]),
        // 8: case-sensitive
        ("params.model LIKE 'Lin%'", &["run1", "mango", "live"]),
        // 9: case-insensitive
        (
            "params.model ILIKE '%regression'",
            &["run1", "my-run", "my-other", "mango"],
        ),
        // 10
        ("tags.version = 'commit-hash'", &["run1"]),
        // 11
        ("tags.`mlflow.runName` = 'run1'", &["run1"]),
        ("tags.mlflow.runName = 'run1'", &["run1"]),
        // 12
        ("tags.\"t.a.g\" = \"a\"", &["run1"]),
        // 13
        ("metrics.`spacey name` > 5", &["mango", "early-bird"]),
        // 14
        ("metrics.\"accuracy.2.0\" > 5", &["Melon"]),
        // 15
        ("`metric`.a >= 0.1", &["run1", "apple"]),
        // 16
        (
            "attributes.status = 'FINISHED'",
            &["run1", "my-run", "mango", "Melon", "bare", "early-bird"],
        ),
        // 17
        ("run.status = 'RUNNING'", &["live"]),
        // 18
        ("status = 'FAILED'", &["my-other", "apple"]),
        // 19
        (
            "attributes.start_time >= 1700000000000",
            &["mango", "Melon", "apple", "bare", "killed-one", "live"],
        ),
        // 20
        (
            "attributes.created > 1700000000000",
            &["Melon", "apple", "bare", "killed-one", "live"],
        ),
        // 21: the running run has no end time and is not selected
        (
            "attributes.end_time < 1700000000000",
            &["run1", "my-run", "my-other", "early-bird"],
        ),
        // 22
        ("attributes.run_name = 'my-run'", &["my-run"]),
        // 23
        ("attributes.`Run name` LIKE 'my%'", &["my-run", "my-other"]),
        ("attributes.`run name` = 'apple'", &["apple"]),
        ("attributes.`Run Name` = 'apple'", &["apple"]),
        // 24: as written (no run has such an id), and with real ids
        ("attributes.run_id IN ('a1b2', 'c3d4')", &[]),
        (
            "attributes.run_id IN ('{run1}', '{apple}')",
            &["run1", "apple"],
        ),
        // 25
        ("attributes.run_id NOT IN ('a1b2')", ALL),
        ("attributes.run_id NOT IN ('{run1}')", &all_but_run1),
        // 26
        ("attributes.user_id = 'alice'", &["my-run", "apple"]),
        // 27
        ("attributes.artifact_uri LIKE '%/artifacts'", ALL),
        // 28-30: the store records no dataset inputs, so dataset clauses select nothing
        ("datasets.name = 'train'", &[]),
        ("datasets.digest IN ('abc', 'def')", &[]),
        ("datasets.context = 'training'", &[]),
        ("dataset.name != 'train'", &[]),
        // 31
        (
            "metrics.a > 1 AND metrics.b < 2 and tags.x = 'y'",
            &["run1"],
        ),
        // 32
        (
            "tags.x IS NULL",
            &["my-other", "mango", "Melon", "bare", "killed-one", "live"],
        ),
        (
            "tags.x IS NOT NULL",
            &["run1", "my-run", "apple", "early-bird"],
        ),
        // 33-35 are experiment, model-version and registered-model filters, which `runs list`
        // does not search; these are their run-filter analogues.
        // 33: `name ILIKE 'a%' AND tags.a = '1'`; `creation_time >= …`; tag.`k e y` = 'value'
        (
            "attributes.run_name ILIKE 'M%' AND tags.a = '1'",
            &["mango"],
        ),
        (
            "attributes.created >= 1700000000000",
            &["mango", "Melon", "apple", "bare", "killed-one", "live"],
        ),
        ("tag.`k e y` = 'value'", &["my-run"]),
        // 34: `name = 'm' AND version_number >= 2` (Melon's version_number was 2, is 1);
        // `run_id IN (…)`; `source_path = 'A/D'`; `tags.k LIKE 'v%'`
        (
            "params.name = 'm' AND metrics.version_number >= 2",
            &["mango"],
        ),
        (
            "attributes.run_id IN ('{mango}','{Melon}')",
            &["mango", "Melon"],
        ),
        ("tags.source_path = 'A/D'", &["mango"]),
        ("tags.k LIKE 'v%'", &["mango"]),
        // 35: `name LIKE 'm%'`; `name ILIKE '%M%'`; tags.`mlflow.prompt.is_prompt` = 'true'
        (
            "attributes.run_name LIKE 'm%'",
            &["my-run", "my-other", "mango"],
        ),
        (
            "attributes.run_name ILIKE '%M%'",
            &["my-run", "my-other", "mango", "Melon"],
        ),
        ("tags.`mlflow.prompt.is_prompt` = 'true'", &["mango"]),
        // MLflow tolerates a dangling final AND; the empty filter selects everything.
        (
            "metrics.acc >= 0.94 and",
            &["run1", "mango", "Melon", "killed-one"],
        ),
        ("", ALL),
        ("   ", ALL),
    ];
    fx.check(&cases);
}

// ---------------------------------------------------------------------------------------------
// Rejected filters

/// Filters MLflow rejects (reference §2.5), and more. OR and parentheses, which MLflow also
/// rejects, are extensions of mlf and accepted.
const REJECTED: &[&str] = &[
    "metrics.cross-entropy-loss < 0.5",
    "metric.acc >= 0.94; metrics.rmse < 1",
    "metric.acc >= 0.94;",
    "m.acc >= 0.94",
    "acc >= 0.94",
    "attribute.experiment_id = '1'",
    "attribute.lifecycle_stage = 'active'",
    "params.acc = 5",
    "params.acc = LR",
    "params.acc = `LR`",
    "metric.model = 'LR'",
    "attribute.status = 1",
    "1 = 1",
    "tags.acc = = 'LR'",
    "params.acc LR",
    "attributes.status IN ('FINISHED','FAILED')",
    "attributes.run_id IN ()",
    "attributes.run_id IN (1,2)",
    "dataset.profile = 'x'",
    "params.model >= 'LR'",
    // and more
    "metrics.acc >> 1",
    "(metrics.acc > 1",
    "((metrics.acc > 1) AND params.lr = '0.1'",
    "metrics.acc > 1)",
    "()",
    "params.a = 'x",
    "params.a = \"x",
    "tags.`a = 'x'",
    "params.a >= 'x'",
    "params.a < 'x'",
    "metrics.a = 'x'",
    "metrics.a LIKE '1%'",
    "status IN ('a')",
    "attributes.user_id NOT IN ('alice')",
    "attributes.run_id IN ('a'",
    "attributes.run_id IN 'a'",
    "attributes.run_id = ('a')",
    "params.a IN ('x')",
    "metrics.a > 1 OR",
    "OR metrics.a > 1",
    "metrics.a > 1 AND AND metrics.b < 2",
    "metrics.a > 1 metrics.b < 2",
    "NOT",
    "METRICS.a > 1",
    "Params.lr = '0.1'",
    "attributes.foo = 'x'",
    "foo.bar = 'x'",
    "metrics. > 1",
    "metrics.a >",
    "metrics.a",
    "metrics.a > +1",
    "metrics.a > 1.2.3",
    "metrics.a IS NULL",
    "attributes.end_time IS NULL",
    "tags.a IS 'x'",
    "attributes.start_time LIKE '17%'",
    "attributes.start_time > '1700000000000'",
    "attributes.start_time > 7d",
    "attributes.start_time > -7y",
    "attributes.start_time > -7dd",
    "datasets.name > 'a'",
    "datasets.name = 1",
    "metrics.acc != metrics.acc",
];

#[test]
fn rejected_filters_exit_2_with_a_message_and_no_output() {
    let fx = fixture();
    let mut failures = Vec::new();
    for expr in REJECTED {
        let out = fx.mlf(&["runs", "list", "--format", "json", "-f", expr]);
        let ok = out.code == 2
            && out.stdout.is_empty()
            && out.stderr.starts_with("error: invalid filter");
        if !ok {
            failures.push(format!("{expr}\n{out}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} bad filters were not refused with exit 2 and `error: invalid filter`:\n{}",
        failures.len(),
        REJECTED.len(),
        failures.join("\n")
    );
    // The table format, and `compare --filter`, refuse them the same way.
    let out = fx.mlf(&["runs", "list", "-f", "1 = 1"]).code(2);
    assert!(out.stdout.is_empty(), "{out}");
    let out = fx.mlf(&["runs", "compare", "-f", "1 = 1"]).code(2);
    assert!(out.stderr.starts_with("error: invalid filter"), "{out}");
    assert!(out.stdout.is_empty(), "{out}");
}

#[test]
fn filter_errors_name_the_column() {
    let fx = fixture();
    let cases: &[(&str, &str)] = &[
        ("metrics.acc >> 1", "at column 13"),
        ("metrics.a = 'x'", "at column 13"),
        ("params.a = 'x", "at column 12"),
        ("(metrics.acc > 1", "at column 1"),
        ("metrics.acc > 1)", "at column 16"),
        ("metric.acc >= 0.94; metrics.rmse < 1", "at column 19"),
        ("metrics.a > 1 AND foo = 'x'", "at column 19"),
        ("params.lr >= '0.1'", "at column 11"),
        ("METRICS.a > 1", "at column 1"),
        ("status = 'FINISHED' AND 1 = 1", "at column 25"),
    ];
    let mut failures = Vec::new();
    for (expr, column) in cases {
        let out = fx.mlf(&["runs", "list", "-f", expr]);
        let first = out.stderr.lines().next().unwrap_or_default();
        if out.code != 2 || !first.contains(column) || !first.contains(expr) {
            failures.push(format!("{expr}: expected `{column}`\n{out}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    let out = fx.mlf(&["runs", "list", "-f", "metrics.acc >> 1"]).code(2);
    assert_eq!(
        out.stderr.lines().next().unwrap(),
        "error: invalid filter: unexpected token '>>' at column 13 of 'metrics.acc >> 1'"
    );
    let out = fx
        .mlf(&["runs", "list", "-f", "metrics.cross-entropy-loss < 0.5"])
        .code(2);
    assert!(out.stderr.contains("backticks"), "{out}");
}

// ---------------------------------------------------------------------------------------------
// Extensions: OR, NOT, parentheses, relative times

#[test]
fn or_not_and_parentheses() {
    let fx = fixture();
    fx.check(&[
        (
            "params.model_class = 'Ridge' OR status = 'RUNNING'",
            &["my-other", "live"],
        ),
        (
            "params.model_class = 'Ridge' OR params.model_class = 'LR' OR tags.a = '2'",
            &["run1", "my-run", "my-other", "mango", "Melon"],
        ),
        // AND binds tighter than OR, on either side.
        (
            "status = 'FAILED' OR status = 'KILLED' AND metrics.rmse < 0.8",
            &["my-other", "apple"],
        ),
        (
            "(status = 'FAILED' OR status = 'KILLED') AND metrics.rmse < 0.8",
            &["my-other"],
        ),
        (
            "metrics.rmse < 0.8 AND status = 'FAILED' OR status = 'KILLED'",
            &["my-other", "killed-one"],
        ),
        (
            "metrics.rmse < 0.8 AND (status = 'FAILED' OR status = 'KILLED')",
            &["my-other"],
        ),
        (
            "((status = 'FAILED') OR ((status = 'KILLED')))",
            &["my-other", "apple", "killed-one"],
        ),
        (
            "( params.lr = '0.1' ) AND ( tags.team = 'vision' OR tags.a = '1' )",
            &["my-run", "apple", "live"],
        ),
        // NOT
        (
            "NOT status = 'FINISHED'",
            &["my-other", "apple", "killed-one", "live"],
        ),
        ("NOT NOT status = 'RUNNING'", &["live"]),
        (
            "NOT (params.model_class = 'LR' OR tags.a = '1')",
            &[
                "my-other",
                "Melon",
                "bare",
                "killed-one",
                "early-bird",
                "live",
            ],
        ),
        (
            "NOT params.model_class = 'LR' AND params.lr = '0.1'",
            &["Melon", "apple", "live"],
        ),
        (
            "NOT (params.model_class = 'LR' AND params.lr = '0.1')",
            &all_but(&["my-run"]),
        ),
        (
            "NOT status = 'FINISHED' OR metrics.acc > 1",
            &["my-other", "apple", "killed-one", "live", "mango"],
        ),
        (
            "attributes.run_id NOT IN ('{run1}') AND NOT attributes.run_id IN ('{live}')",
            &all_but(&["run1", "live"]),
        ),
    ]);
}

#[test]
fn missing_keys_are_false_even_for_not_equal_and_their_not_is_true() {
    let fx = fixture();
    fx.check(&[
        // `!=` on a key the run lacks is false.
        ("params.model_class != 'LR'", &["my-other"]),
        (
            "params.model != 'LinearRegression'",
            &["my-run", "my-other", "live"],
        ),
        ("tags.x != 'y'", &["my-run"]),
        (
            "metrics.rmse != 0.8",
            &["my-run", "my-other", "killed-one", "early-bird"],
        ),
        // NaN is not equal to a number.
        (
            "metrics.acc != 0.95",
            &["my-run", "my-other", "mango", "Melon"],
        ),
        ("metrics.acc = 0.95", &["run1", "killed-one"]),
        // NOT of a clause on a missing key is true.
        (
            "NOT params.model_class = 'LR'",
            &[
                "my-other",
                "Melon",
                "apple",
                "bare",
                "killed-one",
                "early-bird",
                "live",
            ],
        ),
        ("NOT params.model_class != 'LR'", &all_but(&["my-other"])),
        (
            "NOT metrics.rmse < 100",
            &["mango", "Melon", "apple", "bare", "live"],
        ),
        ("NOT tags.nope = 'x'", ALL),
        ("tags.nope != 'x'", &[]),
        ("metrics.nope != 0", &[]),
        ("params.nope LIKE '%'", &[]),
        ("NOT params.nope LIKE '%'", ALL),
        // Every run has a name, so `!=` on an attribute is an ordinary comparison.
        ("attributes.run_name != 'bare'", &all_but(&["bare"])),
    ]);
}

#[test]
fn relative_times_count_back_from_the_clock() {
    let fx = fixture();
    // NOW = T0+4d+1h
    fx.check(&[
        (
            "attributes.start_time > -7d",
            &all_but(&["run1", "early-bird"]),
        ),
        (
            "attributes.start_time >= -1w",
            &all_but(&["run1", "early-bird"]),
        ),
        ("attributes.start_time > -36h", &["killed-one", "live"]),
        ("attributes.start_time > -90m", &["live"]),
        ("attributes.start_time > -3600s", &[]),
        ("attributes.start_time < -7d", &["run1", "early-bird"]),
        (
            "attributes.end_time < -3d",
            &[
                "run1",
                "my-run",
                "my-other",
                "mango",
                "Melon",
                "apple",
                "early-bird",
            ],
        ),
        ("attributes.created > -60h", &["bare", "killed-one", "live"]),
        (
            "attributes.start_time > -7d AND attributes.start_time < -3d",
            &["my-run", "my-other", "mango", "Melon", "apple"],
        ),
        ("NOT attributes.start_time > -7d", &["run1", "early-bird"]),
    ]);
    // The same filter, later: the clock moves the window.
    fx.check_at(
        T0 + 10 * DAY,
        &[
            ("attributes.start_time > -7d", &["live"]),
            ("attributes.start_time >= -7d", &["killed-one", "live"]),
        ],
    );
    assert_eq!(
        fx.filter_at(T0 + 100 * DAY, "attributes.start_time > -7d"),
        Vec::<String>::new()
    );
}

#[test]
fn keywords_and_operators_are_case_insensitive_but_values_are_not() {
    let fx = fixture();
    fx.check(&[
        (
            "metrics.acc >= 0.94 aNd params.lr = '0.01'",
            &["run1", "killed-one"],
        ),
        (
            "status = 'FAILED' or status = 'KILLED'",
            &["my-other", "apple", "killed-one"],
        ),
        ("not status = 'FINISHED' and tags.a = '1'", &["apple"]),
        ("params.model like 'Lin%'", &["run1", "mango", "live"]),
        (
            "params.model iLiKe 'LIN%'",
            &["run1", "my-run", "mango", "live"],
        ),
        (
            "tags.x is not null",
            &["run1", "my-run", "apple", "early-bird"],
        ),
        ("tags.version Is Null", &all_but(&["run1", "my-other"])),
        ("attributes.run_id not in ('{bare}')", &all_but(&["bare"])),
        ("attributes.run_id In ('{bare}')", &["bare"]),
        // Values compare exactly.
        ("status = 'finished'", &[]),
        ("attributes.run_name = 'melon'", &[]),
        ("params.model = 'linearRegression'", &[]),
    ]);
}

#[test]
fn like_is_case_sensitive_and_ilike_is_not() {
    let fx = fixture();
    fx.check(&[
        ("params.model LIKE 'lin%'", &["my-run"]),
        (
            "params.model ILIKE 'lin%'",
            &["run1", "my-run", "mango", "live"],
        ),
        (
            "params.model LIKE '%Regression'",
            &["run1", "my-other", "mango"],
        ),
        (
            "params.model ILIKE '%REGRESSION'",
            &["run1", "my-run", "my-other", "mango"],
        ),
        ("tags.team LIKE 'V%'", &["my-other"]),
        ("tags.team ILIKE 'V%'", &["my-run", "my-other", "live"]),
        ("tags.team = 'vision'", &["my-run", "live"]),
        ("attributes.run_name LIKE 'M%'", &["Melon"]),
        ("attributes.run_name ILIKE 'm_lon'", &["Melon"]),
        (
            "attributes.status LIKE 'F%'",
            &[
                "run1",
                "my-run",
                "my-other",
                "mango",
                "Melon",
                "apple",
                "bare",
                "early-bird",
            ],
        ),
        (
            "attributes.status ILIKE 'f%ed'",
            &[
                "run1",
                "my-run",
                "my-other",
                "mango",
                "Melon",
                "apple",
                "bare",
                "early-bird",
            ],
        ),
        // `_` is one character, `%` any run of characters; glob characters are literal.
        ("params.lr LIKE '0.0_'", &["run1", "my-other", "killed-one"]),
        (
            "params.lr LIKE '0._'",
            &["my-run", "Melon", "apple", "live"],
        ),
        ("params.lr LIKE '%'", &all_but(&["bare"])),
        ("params.model LIKE '*'", &[]),
        ("params.model LIKE 'Lin*'", &[]),
        ("params.model LIKE '?inear'", &[]),
        ("params.model LIKE '[L]inear'", &[]),
        ("params.model LIKE 'Linear'", &["live"]),
        ("params.model ILIKE 'linear'", &["live"]),
    ]);
}

#[test]
fn is_null_and_is_not_null_on_params_and_tags() {
    let fx = fixture();
    fx.check(&[
        (
            "params.model IS NULL",
            &["Melon", "apple", "bare", "killed-one", "early-bird"],
        ),
        (
            "params.model IS NOT NULL",
            &["run1", "my-run", "my-other", "mango", "live"],
        ),
        ("params.lr IS NULL", &["bare"]),
        ("params.nope IS NULL", ALL),
        ("params.nope IS NOT NULL", &[]),
        ("tags.`k e y` IS NOT NULL", &["my-run", "Melon"]),
        ("tags.mlflow.runName IS NOT NULL", ALL),
        (
            "NOT tags.x IS NULL",
            &["run1", "my-run", "apple", "early-bird"],
        ),
        (
            "params.model IS NULL AND tags.x IS NOT NULL",
            &["apple", "early-bird"],
        ),
    ]);
}

#[test]
fn run_name_follows_the_run_name_tag() {
    let fx = fixture();
    fx.mlf(&["log", "tag", "mlflow.runName", "pear", "--run", "apple"])
        .ok();
    fx.check(&[
        ("attributes.run_name = 'pear'", &["pear"]),
        ("tags.mlflow.runName = 'pear'", &["pear"]),
        ("attributes.run_name = 'apple'", &[]),
        ("tags.mlflow.runName = 'apple'", &[]),
    ]);
}

// ---------------------------------------------------------------------------------------------
// --order-by

#[test]
fn default_order_is_newest_start_first() {
    let fx = fixture();
    // early-bird was created 9th but started first.
    assert_eq!(
        fx.names(&[]),
        strings(&[
            "live",
            "killed-one",
            "bare",
            "apple",
            "Melon",
            "mango",
            "my-other",
            "my-run",
            "run1",
            "early-bird",
        ])
    );
    assert_eq!(
        fx.names(&["--order-by", "attributes.start_time DESC"]),
        fx.names(&[])
    );
    assert_eq!(
        fx.names(&["--order-by", "start_time"]),
        fx.names(&[]).into_iter().rev().collect::<Vec<_>>()
    );
}

#[test]
fn order_by_several_keys_missing_last_nan_after_numbers() {
    let fx = fixture();
    // acc: mango 100, run1 and killed-one .95 (both lr .01: newest start first), Melon .94,
    // my-run .93, my-other NaN, then the runs without acc by lr (string order), bare (no lr)
    // last.
    assert_eq!(
        fx.names(&["--order-by", "metrics.acc DESC, params.lr"]),
        strings(&[
            "mango",
            "killed-one",
            "run1",
            "Melon",
            "my-run",
            "my-other",
            "early-bird",
            "live",
            "apple",
            "bare",
        ])
    );
    // Ascending: NaN still after the numbers, missing still last (by start, newest first).
    assert_eq!(
        fx.names(&["--order-by", "metrics.acc"]),
        strings(&[
            "my-run",
            "Melon",
            "killed-one",
            "run1",
            "mango",
            "my-other",
            "live",
            "bare",
            "apple",
            "early-bird",
        ])
    );
    assert_eq!(
        fx.names(&["--order-by", "metrics.acc ASC"]),
        fx.names(&["--order-by", "metrics.acc"])
    );
    // Several --order-by options, lower-case direction, an attribute as second key.
    assert_eq!(
        fx.names(&[
            "--order-by",
            "params.model_class desc",
            "--order-by",
            "attributes.run_name"
        ]),
        strings(&[
            "my-other",
            "mango",
            "my-run",
            "run1",
            "Melon",
            "apple",
            "bare",
            "early-bird",
            "killed-one",
            "live",
        ])
    );
    // An attribute some runs lack (the running run has no end time) is last both ways.
    assert_eq!(
        fx.names(&["--order-by", "attributes.end_time DESC"]),
        strings(&[
            "killed-one",
            "bare",
            "apple",
            "mango",
            "Melon",
            "my-other",
            "my-run",
            "run1",
            "early-bird",
            "live",
        ])
    );
    assert_eq!(
        fx.names(&["--order-by", "attributes.end_time"]),
        strings(&[
            "early-bird",
            "run1",
            "my-run",
            "my-other",
            "Melon",
            "mango",
            "apple",
            "bare",
            "killed-one",
            "live",
        ])
    );
    // A tag key; missing last in both directions.
    assert_eq!(
        fx.names(&["--order-by", "tags.x DESC"]),
        strings(&[
            "my-run",
            "apple",
            "run1",
            "early-bird",
            "live",
            "killed-one",
            "bare",
            "Melon",
            "mango",
            "my-other",
        ])
    );
    assert_eq!(
        fx.names(&["--order-by", "tags.x ASC"]),
        strings(&[
            "apple",
            "run1",
            "early-bird",
            "my-run",
            "live",
            "killed-one",
            "bare",
            "Melon",
            "mango",
            "my-other",
        ])
    );
}

#[test]
fn order_by_ties_are_broken_by_start_time_newest_first() {
    let fx = fixture();
    // model_class LR: mango (T0), my-run (T0-2d), run1 (T0-3d); then Ridge; then the rest.
    assert_eq!(
        fx.names(&["--order-by", "params.model_class"]),
        strings(&[
            "mango",
            "my-run",
            "run1",
            "my-other",
            "live",
            "killed-one",
            "bare",
            "apple",
            "Melon",
            "early-bird",
        ])
    );
    assert_eq!(
        fx.names(&["--order-by", "params.model_class DESC"]),
        strings(&[
            "my-other",
            "mango",
            "my-run",
            "run1",
            "live",
            "killed-one",
            "bare",
            "apple",
            "Melon",
            "early-bird",
        ])
    );
    // user_id: tester (six runs), bob (two), alice (two); ties by start, newest first.
    assert_eq!(
        fx.names(&["--order-by", "attributes.user_id DESC"]),
        strings(&[
            "live",
            "killed-one",
            "bare",
            "my-other",
            "run1",
            "early-bird",
            "Melon",
            "mango",
            "apple",
            "my-run",
        ])
    );
    // Order and filter together.
    assert_eq!(
        fx.names(&["-f", "params.lr = '0.1'", "--order-by", "metrics.loss DESC"]),
        strings(&["live", "my-run", "apple", "Melon"])
    );
}

#[test]
fn invalid_order_by_exits_2() {
    let fx = fixture();
    for order in [
        "metrics.a ACS",
        "metrics.a decs",
        "metrics.a, metrics.a DESC",
        "metrics.acc DESC, params.lr, metrics.acc",
        "metrics.a DESC DESC",
        "metrics.a DESC params.b",
        "datasets.name",
        "foo",
        "attributes.foo",
        "m.acc",
        "metrics.`a",
        "metrics.cross-entropy",
    ] {
        let out = fx.list_refused(&["--order-by", order]);
        assert!(
            out.stderr.starts_with("error: invalid order-by"),
            "--order-by {order:?}:\n{out}"
        );
    }
    // The same key twice across two options.
    let out = fx.mlf(&[
        "runs",
        "list",
        "--order-by",
        "params.lr",
        "--order-by",
        "params.lr DESC",
    ]);
    assert_eq!(out.code, 2, "{out}");
}

// ---------------------------------------------------------------------------------------------
// Pages

/// Follows `next_page_token` from the first page to the last; returns the pages.
fn all_pages(fx: &Fixture, limit: &str, extra: &[&str]) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut args = vec!["--limit", limit];
        args.extend_from_slice(extra);
        if let Some(t) = &token {
            args.extend(["--page-token", t.as_str()]);
        }
        let (names, next) = fx.list_page(NOW, &args);
        pages.push(names);
        assert!(pages.len() <= 20, "the pages never end: {pages:?}");
        match next {
            Some(t) => token = Some(t),
            None => return pages,
        }
    }
}

#[test]
fn pages_cover_every_run_exactly_once() {
    let fx = fixture();
    let pages = all_pages(&fx, "3", &[]);
    let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, [3, 3, 3, 1], "{pages:?}");
    assert_eq!(pages.concat(), fx.names(&[]));

    // Exactly a multiple of the page size: no empty last page promised.
    let pages = all_pages(&fx, "5", &[]);
    assert_eq!(pages.len(), 2, "{pages:?}");
    assert_eq!(pages.concat(), fx.names(&[]));

    // With a filter and an order.
    let extra = [
        "-f",
        "NOT status = 'RUNNING'",
        "--order-by",
        "metrics.acc DESC, params.lr",
    ];
    let pages = all_pages(&fx, "4", &extra);
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [4, 4, 1]);
    assert_eq!(pages.concat(), fx.names(&extra));

    // A limit covering everything has no token.
    let (names, token) = fx.list_page(NOW, &["--limit", "10"]);
    assert_eq!(names.len(), 10);
    assert_eq!(token, None);
    // The table says how to go on.
    let out = fx.mlf(&["runs", "list", "--limit", "2"]).ok();
    assert_eq!(out.stdout.lines().count(), 3, "{out}");
    assert!(out.stderr.contains("--page-token"), "{out}");
}

#[test]
fn a_run_created_between_pages_does_not_shift_them() {
    let fx = fixture();
    let before = fx.names(&[]);
    let (first, token) = fx.list_page(NOW, &["--limit", "4"]);
    assert_eq!(first, before[..4]);
    let token = token.expect("a next page token");

    // A new run, newest of all, would sort first.
    fx.mlf_at(
        NOW + HOUR,
        &["run", "-x", "alpha", "-n", "newcomer", "--", "true"],
    )
    .ok();

    let mut rest = Vec::new();
    let mut token = Some(token);
    while let Some(t) = token {
        let (names, next) = fx.list_page(NOW + 2 * HOUR, &["--limit", "4", "--page-token", &t]);
        rest.extend(names);
        token = next;
    }
    assert_eq!(
        [first, rest].concat(),
        before,
        "the pages after a new run shifted or repeated"
    );
    // A fresh listing sees the new run first.
    assert_eq!(fx.names(&["--limit", "1"]), ["newcomer"]);
}

#[test]
fn a_garbage_page_token_exits_2() {
    let fx = fixture();
    for token in ["garbage", "", "zz-1", "3", "-", "1-2-3"] {
        let out = fx.list_refused(&["--limit", "2", "--page-token", token]);
        assert!(
            out.stderr.starts_with("error:"),
            "--page-token {token:?}:\n{out}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// -x, --only-changed, --format md

#[test]
fn experiments_combine_with_a_filter() {
    let fx = fixture();
    let lr = |args: &[&str]| -> BTreeSet<String> {
        let mut all = args.to_vec();
        all.extend(["-f", "params.lr = '0.1'"]);
        fx.names(&all).into_iter().collect()
    };
    let set = |names: &[&str]| names.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    assert_eq!(lr(&[]), set(&["my-run", "Melon", "apple", "live"]));
    assert_eq!(
        lr(&["-x", "alpha", "-x", "beta"]),
        set(&["my-run", "Melon", "apple"])
    );
    // By id (gamma is 3), and OR inside the filter still stays within the experiments.
    assert_eq!(lr(&["-x", "3"]), set(&["live"]));
    assert_eq!(
        fx.names(&[
            "-x",
            "gamma",
            "-x",
            "alpha",
            "-f",
            "status = 'FAILED' OR status = 'KILLED'"
        ]),
        strings(&["killed-one", "my-other"])
    );
    assert_eq!(
        fx.names(&["-x", "beta", "-f", "status = 'RUNNING'"]),
        Vec::<String>::new()
    );
    let out = fx.mlf(&["runs", "list", "-x", "nope", "-f", "status = 'RUNNING'"]);
    assert_eq!(out.code, 2, "{out}");
}

/// The first line of a CSV, split on commas.
fn csv_header(out: &Output) -> Vec<String> {
    out.stdout
        .lines()
        .next()
        .unwrap_or_default()
        .split(',')
        .map(str::to_string)
        .collect()
}

#[test]
fn only_changed_drops_columns_equal_in_every_listed_run() {
    let fx = fixture();
    let fixed = [
        "run_id",
        "run_name",
        "experiment_id",
        "status",
        "start_time",
        "end_time",
        "lifecycle_stage",
    ];
    let args = ["runs", "list", "-f", "params.name = 'm'", "--format", "csv"];
    let out = fx.mlf(&args).ok();
    let mut want = strings(&fixed);
    want.extend(strings(&[
        "params.lr",
        "params.model",
        "params.model_class",
        "params.name",
        "metrics.acc",
        "metrics.accuracy.2.0",
        "metrics.loss",
        "metrics.spacey name",
        "metrics.version_number",
    ]));
    assert_eq!(csv_header(&out), want, "{out}");

    // name is m in both: dropped; a param or metric only one run has differs.
    let out = fx.mlf(&[&args[..], &["--only-changed"]].concat()).ok();
    want.retain(|c| c != "params.name");
    assert_eq!(csv_header(&out), want, "{out}");

    // run1 and killed-one: lr .01 and acc .95 in both, rmse differs; model and the rest only
    // in run1, score only in killed-one.
    let out = fx
        .mlf(&[
            "runs",
            "list",
            "-f",
            "metrics.acc = 0.95",
            "--only-changed",
            "--format",
            "csv",
        ])
        .ok();
    let mut want = strings(&fixed);
    want.extend(strings(&[
        "params.alpha",
        "params.model",
        "params.model_class",
        "metrics.a",
        "metrics.b",
        "metrics.loss",
        "metrics.rmse",
        "metrics.score",
    ]));
    assert_eq!(csv_header(&out), want, "{out}");

    // The table too: the columns of the runs' own are kept, lr and acc go.
    let out = fx
        .mlf(&["runs", "list", "-f", "metrics.acc = 0.95", "--only-changed"])
        .ok();
    let header: Vec<&str> = out
        .stdout
        .lines()
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(
        header,
        [
            "STATUS",
            "NAME",
            "ID",
            "EXPERIMENT",
            "START",
            "DURATION",
            "alpha",
            "model",
            "model_class",
            "a",
            "b",
            "loss",
            "rmse",
            "score"
        ],
        "{out}"
    );
}

#[test]
fn markdown_format_prints_a_table() {
    let fx = fixture();
    let out = fx
        .mlf(&["runs", "list", "-f", "params.name = 'm'", "--format", "md"])
        .ok();
    let melon = &fx.ids["Melon"][..8];
    let mango = &fx.ids["mango"][..8];
    assert_eq!(
        out.stdout,
        format!(
            "\
| STATUS | NAME | ID | START | DURATION | lr | model | model_class | name | acc | accuracy.2.0 | loss | spacey name | version_number |
|---|---|---|---|---|---|---|---|---|---|---|---|---|---|
| FINISHED | Melon | {melon} | 2023-11-14 23:13:20 | 5m 00s | 0.1 |  |  | m | 0.94 | 7 |  |  | 1 |
| FINISHED | mango | {mango} | 2023-11-14 22:13:20 | 2h 00m | 0.001 | LinearRegression | LR | m | 100 |  | -0.5 | 6 | 3 |
"
        )
    );
    // Several experiments add a column; a running run's duration runs to the clock; NaN shows.
    let out = fx
        .mlf(&[
            "runs",
            "list",
            "-f",
            "status = 'RUNNING' OR params.model_class = 'Ridge'",
            "--columns",
            "model*,acc,loss",
            "--format",
            "md",
        ])
        .ok();
    let live = &fx.ids["live"][..8];
    let other = &fx.ids["my-other"][..8];
    assert_eq!(
        out.stdout,
        format!(
            "\
| STATUS | NAME | ID | EXPERIMENT | START | DURATION | model | model_class | acc | loss |
|---|---|---|---|---|---|---|---|---|---|
| RUNNING | live | {live} | gamma | 2023-11-18 22:13:20 | 1h 00m | Linear |  |  | 0.5 |
| FAILED | my-other | {other} | alpha | 2023-11-13 22:13:20 | 10m 00s | RidgeRegression | Ridge | NaN | -0.7 |
"
        )
    );
}

// ---------------------------------------------------------------------------------------------
// Edges

#[test]
fn infinities_compare_and_sort_as_numbers() {
    let fx = fixture();
    fx.check(&[
        ("metrics.score > 1000", &["early-bird"]),
        ("metrics.score < -1000", &["killed-one"]),
        ("metrics.score != 1", &["early-bird", "killed-one"]),
        ("metrics.score >= -1e308", &["apple", "early-bird"]),
    ]);
    assert_eq!(
        fx.names(&[
            "--order-by",
            "metrics.score DESC",
            "-x",
            "gamma",
            "-x",
            "beta"
        ]),
        strings(&[
            "early-bird",
            "apple",
            "killed-one",
            "live",
            "bare",
            "Melon",
            "mango"
        ])
    );
    assert_eq!(
        fx.names(&["--order-by", "metrics.score", "-x", "gamma"]),
        strings(&["killed-one", "early-bird", "live", "bare"])
    );
}

#[test]
fn relative_times_apply_only_to_start_and_end_time() {
    let fx = fixture();
    // `-7d` means "seven days before now" only for times; as a metric value it is a mistake,
    // not the number now-7d.
    for expr in [
        "metrics.acc > -7d",
        "metrics.loss < -1h",
        "attributes.run_name = -7d",
    ] {
        fx.list_refused(&["-f", expr]);
    }
}

#[test]
fn deleted_runs_are_searched_only_with_all() {
    let fx = fixture();
    fx.mlf(&["runs", "delete", "apple"]).ok();
    fx.check(&[
        ("tags.a = '1'", &["mango"]),
        ("attributes.user_id = 'alice'", &["my-run"]),
    ]);
    let all: BTreeSet<String> = fx
        .names(&["--all", "-f", "tags.a = '1'"])
        .into_iter()
        .collect();
    assert_eq!(all, ["apple", "mango"].map(String::from).into());
    // The lifecycle stage is chosen by --all, not by the filter.
    let out = fx.mlf(&[
        "runs",
        "list",
        "-f",
        "attributes.lifecycle_stage = 'deleted'",
    ]);
    assert_eq!(out.code, 2, "{out}");
}

#[test]
fn run_ids_match_exactly() {
    let fx = fixture();
    let upper = fx.ids["run1"].to_uppercase();
    let prefix = &fx.ids["run1"][..8];
    fx.check(&[
        ("attributes.run_id = '{run1}'", &["run1"]),
        (&format!("attributes.run_id = '{upper}'"), &[]),
        (&format!("attributes.run_id IN ('{upper}')"), &[]),
        (&format!("attributes.run_id = '{prefix}'"), &[]),
        (&format!("attributes.run_id LIKE '{prefix}%'"), &["run1"]),
        ("attributes.run_id != '{run1}'", &all_but(&["run1"])),
    ]);
}

#[test]
fn artifact_uri_filters_match_the_listed_uri() {
    let fx = fixture();
    // Experiments whose artifact location is given, with and without a trailing slash.
    let base = fx.env.dir.path().join("elsewhere");
    let with_slash = format!("{}/", base.join("one").display());
    let without = base.join("two").display().to_string();
    fx.mlf(&[
        "experiments",
        "create",
        "ext1",
        "--artifact-location",
        &with_slash,
    ])
    .ok();
    fx.mlf(&[
        "experiments",
        "create",
        "ext2",
        "--artifact-location",
        &without,
    ])
    .ok();
    for exp in ["ext1", "ext2"] {
        fx.mlf_at(
            NOW,
            &["run", "-x", exp, "-n", &format!("in-{exp}"), "--", "true"],
        )
        .ok();
    }
    let v = fx.mlf(&["runs", "list", "--format", "json"]).ok().json();
    let mut failures = Vec::new();
    for run in v["runs"].as_array().unwrap() {
        let name = run["info"]["run_name"].as_str().unwrap();
        let uri = run["info"]["artifact_uri"].as_str().unwrap();
        let expr = format!("attributes.artifact_uri = '{uri}'");
        let got = fx.filter_at(NOW, &expr);
        if got != [name] {
            failures.push(format!("{expr}: expected [{name}], got {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_zero_limit_does_not_hand_out_a_token_to_the_same_page() {
    let fx = fixture();
    let out = fx.mlf(&["runs", "list", "--format", "json", "--limit", "0"]);
    if out.code == 2 {
        return; // refusing a page of no runs is fine
    }
    let v = out.ok().json();
    assert_eq!(
        v.get("next_page_token"),
        None,
        "following this token returns the same empty page forever:\n{v:#}"
    );
}

#[test]
fn hostile_filters_are_refused_in_one_line_naming_the_limit() {
    let env = TestEnv::new();
    env.mlf(&["run", "--", "true"]).ok();
    let nested = format!("{}params.a = 'x'{}", "(".repeat(3000), ")".repeat(3000));
    let clauses = (0..501)
        .map(|i| format!("params.k{i} = '1'"))
        .collect::<Vec<_>>()
        .join(" AND ");
    let keys = (0..21)
        .map(|i| format!("metrics.m{i}"))
        .collect::<Vec<_>>()
        .join(",");
    let cases: [(&[&str], &str); 5] = [
        (&["runs", "list", "-f", &nested], "at most 100 levels"),
        (&["runs", "list", "-f", "NOT NOT éé"], "'NOT NOT éé'"),
        (&["runs", "list", "-f", &clauses], "at most 500 clauses"),
        (&["runs", "list", "--order-by", &keys], "at most 20 keys"),
        (&["registry", "list", "-f", &nested], "at most 100 levels"),
    ];
    for (args, says) in cases {
        let out = crate::support::assert_refused(&env, args);
        assert!(out.stderr.contains(says), "{out}");
        let first = out.stderr.lines().next().unwrap_or_default();
        assert!(first.len() < 400, "a line quoting the whole input: {first}");
    }
    // At the limits, searches run.
    let ok = (0..500)
        .map(|i| format!("metrics.k{i} > 1"))
        .collect::<Vec<_>>()
        .join(" OR ");
    env.mlf(&["runs", "list", "-f", &ok]).ok();
}

#[test]
fn every_error_is_one_line_even_when_the_input_spans_lines() {
    let env = TestEnv::new();
    env.mlf(&["run", "--", "true"]).ok();
    for args in [
        &["runs", "list", "-f", "params.a = 'x'\nAND\n   )"][..],
        &["runs", "show", "no\nsuch run"][..],
        &["runs", "list", "--order-by", "metrics.a\nDESC\nASC"][..],
    ] {
        let out = env.mlf(args);
        assert_eq!(out.code, 2, "{out}");
        let errors: Vec<&str> = out
            .stderr
            .lines()
            .filter(|l| !l.starts_with("hint:"))
            .collect();
        assert_eq!(errors.len(), 1, "{args:?}:\n{}", out.stderr);
        assert!(errors[0].starts_with("error: "), "{}", out.stderr);
    }
}
