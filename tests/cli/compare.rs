//! Snapshot tests of `mlf runs compare`, `runs diff`, `runs metric` and `runs plot`, through
//! the binary, at a fixed width (COLUMNS=100 unless a test says otherwise) with the clock pinned.
//!
//! Three runs of experiment `cmp` (T0 = 1700000000000 = 2023-11-14 22:13:20 UTC):
//!
//! | run  | start  | duration | status   | params               | tags        | loss by step 0..3   | acc               |
//! |------|--------|----------|----------|----------------------|-------------|---------------------|-------------------|
//! | base | T0     | 1m 30s   | FINISHED | lr .1, layers 2, adam| team vision | 1, .8, .6, .5       | .6, (3) .8        |
//! | wide | T0+1h  | 2m 05s   | FINISHED | lr .1, layers 4, adam| team vision | .9, .7, .5, .4      | .7, (3) .85       |
//! | deep | T0+2h  | 30s      | FAILED   | lr .01, layers 8, adam| team nlp   | 1.2, .9, .7, .6     | (3) .9; grad_norm 3 |

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::json;

use crate::support::{self, Output, TestEnv, git, snap};

const T0: i64 = 1_700_000_000_000;
const HOUR: i64 = 3_600_000;
/// The clock of the commands under test.
const NOW: i64 = T0 + 3 * HOUR;

/// `mlf ARGS` at `now` with `COLUMNS=columns`.
fn at(env: &TestEnv, now: i64, columns: u16, args: &[&str]) -> Output {
    at_in(env, &env.cwd(), now, columns, args)
}

/// `mlf ARGS` at `NOW` with `COLUMNS=100`, which must succeed.
#[track_caller]
fn ok_now(env: &TestEnv, args: &[&str]) -> Output {
    at(env, NOW, 100, args).ok()
}

fn at_in(env: &TestEnv, cwd: &Path, now: i64, columns: u16, args: &[&str]) -> Output {
    let mut cmd = env.command_in(cwd, args);
    cmd.env("MLF_TEST_NOW", now.to_string())
        .env("COLUMNS", columns.to_string());
    support::run(cmd)
}

/// One run to create: started at `start`, ended at `end` with `status`.
struct NewRun<'a> {
    name: &'a str,
    start: i64,
    end: i64,
    status: &'a str,
    args: &'a [&'a str],
    /// (key, step, value); each point's timestamp is start + 1s × (step + 1).
    points: &'a [(&'a str, i64, f64)],
}

/// Creates a run through the binary (`run start`, `log batch`, `run end`); returns its id.
fn create(env: &TestEnv, run: &NewRun) -> String {
    let mut args = vec!["run", "start", "-n", run.name];
    args.extend_from_slice(run.args);
    let out = at(env, run.start, 100, &args).ok();
    let id = out.stdout.trim().to_string();
    if !run.points.is_empty() {
        let lines: Vec<String> = run
            .points
            .iter()
            .map(|(key, step, value)| {
                json!({
                    "key": key,
                    "value": value,
                    "step": step,
                    "timestamp": run.start + 1000 * (step + 1),
                })
                .to_string()
            })
            .collect();
        let file = env.write(&format!("batch-{}.jsonl", run.name), &lines.join("\n"));
        at(
            env,
            run.start,
            100,
            &["log", "batch", "--file", file.to_str().unwrap()],
        )
        .ok();
    }
    at(env, run.end, 100, &["run", "end", "--status", run.status]).ok();
    id
}

/// Creates a run with nothing logged that started at `start` and finished a second later.
fn create_finished(env: &TestEnv, name: &str, start: i64) -> String {
    create(
        env,
        &NewRun {
            name,
            start,
            end: start + 1000,
            status: "finished",
            args: &[],
            points: &[],
        },
    )
}

/// The three runs of the module doc; their ids by name.
fn setup() -> (TestEnv, BTreeMap<&'static str, String>) {
    let env = TestEnv::new();
    let mut ids = BTreeMap::new();
    // name, start, duration, status, (lr, layers, team) and the metric points.
    let runs = [
        (
            "base",
            T0,
            90_000,
            "finished",
            ["lr=0.1", "layers=2", "team=vision"],
            &[
                ("loss", 0, 1.0),
                ("loss", 1, 0.8),
                ("loss", 2, 0.6),
                ("loss", 3, 0.5),
                ("acc", 0, 0.6),
                ("acc", 3, 0.8),
            ],
        ),
        (
            "wide",
            T0 + HOUR,
            125_000,
            "finished",
            ["lr=0.1", "layers=4", "team=vision"],
            &[
                ("loss", 0, 0.9),
                ("loss", 1, 0.7),
                ("loss", 2, 0.5),
                ("loss", 3, 0.4),
                ("acc", 0, 0.7),
                ("acc", 3, 0.85),
            ],
        ),
        (
            "deep",
            T0 + 2 * HOUR,
            30_000,
            "failed",
            ["lr=0.01", "layers=8", "team=nlp"],
            &[
                ("loss", 0, 1.2),
                ("loss", 1, 0.9),
                ("loss", 2, 0.7),
                ("loss", 3, 0.6),
                ("acc", 3, 0.9),
                ("grad_norm", 0, 3.0),
            ],
        ),
    ];
    for (name, start, duration, status, [lr, layers, team], points) in runs {
        let args = [
            "-x", "cmp", "-p", lr, "-p", layers, "-p", "opt=adam", "-t", team,
        ];
        let run = NewRun {
            name,
            start,
            end: start + duration,
            status,
            args: &args,
            points,
        };
        ids.insert(name, create(&env, &run));
    }
    (env, ids)
}

/// The 8-character short id of a run.
fn short(ids: &BTreeMap<&str, String>, name: &str) -> String {
    ids[name][..8].to_string()
}

// ---------------------------------------------------------------------------------------------
// compare

#[test]
fn compare_three_named_runs() {
    let (env, ids) = setup();
    let out = ok_now(&env, &["runs", "compare", "base", "wide", "deep"]);
    let (b, w, d) = (
        short(&ids, "base"),
        short(&ids, "wide"),
        short(&ids, "deep"),
    );
    // ≠ on rows that differ; `*` on each metric's best (higher acc, lower loss); the second and
    // third runs' metrics show their difference from the first.
    assert_eq!(
        out.stdout,
        format!(
            "   KEY                RUN 1                RUN 2                RUN 3
≠  name               base                 wide                 deep
≠  id                 {b}             {w}             {d}
≠  status             FINISHED             FINISHED             FAILED
≠  start              2023-11-14 22:13:20  2023-11-14 23:13:20  2023-11-15 00:13:20
≠  duration           1m 30s               2m 05s               30.0s
   git commit         -                    -                    -
≠  params.layers      2                    4                    8
≠  params.lr          0.1                  0.1                  0.01
   params.opt         adam                 adam                 adam
≠  metrics.acc        0.8                  0.85 (+0.05)         0.9 (+0.1) *
≠  metrics.grad_norm  -                    -                    3 *
≠  metrics.loss       0.5                  0.4 (-0.1) *         0.6 (+0.1)
≠  tags.team          vision               vision               nlp
"
        )
    );
    // Runs are taken in the order given, by name, id prefix or full id.
    let out = ok_now(&env, &["runs", "compare", &ids["deep"], &ids["base"][..6]]);
    assert_eq!(
        out.stdout.lines().nth(1).unwrap(),
        "≠  name               deep                 base"
    );
    assert!(
        out.stdout
            .contains("≠  metrics.loss       0.6                  0.5 (-0.1) *\n"),
        "{out}"
    );
}

#[test]
fn compare_lower_and_higher_override_the_direction() {
    let (env, _) = setup();
    let out = ok_now(
        &env,
        &[
            "runs",
            "compare",
            "base",
            "wide",
            "deep",
            "--columns",
            "metrics.*",
            "--higher",
            "loss",
            "--lower",
            "acc",
        ],
    );
    let rows: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.contains("metrics."))
        .collect();
    assert_eq!(
        rows,
        [
            "≠  metrics.acc        0.8 *                0.85 (+0.05)         0.9 (+0.1)",
            "≠  metrics.grad_norm  -                    -                    3 *",
            "≠  metrics.loss       0.5                  0.4 (-0.1)           0.6 (+0.1) *",
        ],
        "{out}"
    );
}

#[test]
fn compare_filter_only_changed() {
    let (env, ids) = setup();
    let out = ok_now(
        &env,
        &[
            "runs",
            "compare",
            "-x",
            "cmp",
            "--filter",
            "params.opt = 'adam' AND metrics.acc > 0.82",
            "--only-changed",
        ],
    );
    let (w, d) = (short(&ids, "wide"), short(&ids, "deep"));
    // Newest first; the rows equal in both (git commit, params.opt) are gone; deltas are from
    // the first run shown (deep).
    assert_eq!(
        out.stdout,
        format!(
            "   KEY                RUN 1                RUN 2
≠  name               deep                 wide
≠  id                 {d}             {w}
≠  status             FAILED               FINISHED
≠  start              2023-11-15 00:13:20  2023-11-14 23:13:20
≠  duration           30.0s                2m 05s
≠  params.layers      8                    4
≠  params.lr          0.01                 0.1
≠  metrics.acc        0.9 *                0.85 (-0.05)
≠  metrics.grad_norm  3 *                  -
≠  metrics.loss       0.6                  0.4 (-0.2) *
≠  tags.team          nlp                  vision
"
        )
    );
    // --order-by and --limit choose the runs.
    let out = ok_now(
        &env,
        &[
            "runs",
            "compare",
            "-f",
            "metrics.loss < 1",
            "--order-by",
            "metrics.loss",
            "-n",
            "2",
            "--columns",
            "loss",
        ],
    );
    assert!(
        out.stdout
            .contains("≠  name          wide                 base\n"),
        "{out}"
    );
    // A filter that selects nothing.
    let out = ok_now(&env, &["runs", "compare", "-f", "metrics.loss > 5"]);
    assert_eq!(out.stdout, "", "{out}");
    assert!(out.stderr.contains("No runs"), "{out}");
}

#[test]
fn compare_splits_into_blocks_that_fit_the_width() {
    let (env, ids) = setup();
    // Two runs need 64 columns: at 60 each run gets its own block.
    let out = at(&env, NOW, 60, &["runs", "compare", "base", "wide", "deep"]).ok();
    let (b, w, d) = (
        short(&ids, "base"),
        short(&ids, "wide"),
        short(&ids, "deep"),
    );
    assert_eq!(
        out.stdout,
        format!(
            "   KEY                RUN 1
≠  name               base
≠  id                 {b}
≠  status             FINISHED
≠  start              2023-11-14 22:13:20
≠  duration           1m 30s
   git commit         -
≠  params.layers      2
≠  params.lr          0.1
   params.opt         adam
≠  metrics.acc        0.8
≠  metrics.grad_norm  -
≠  metrics.loss       0.5
≠  tags.team          vision

   KEY                RUN 2
≠  name               wide
≠  id                 {w}
≠  status             FINISHED
≠  start              2023-11-14 23:13:20
≠  duration           2m 05s
   git commit         -
≠  params.layers      4
≠  params.lr          0.1
   params.opt         adam
≠  metrics.acc        0.85 (+0.05)
≠  metrics.grad_norm  -
≠  metrics.loss       0.4 (-0.1) *
≠  tags.team          vision

   KEY                RUN 3
≠  name               deep
≠  id                 {d}
≠  status             FAILED
≠  start              2023-11-15 00:13:20
≠  duration           30.0s
   git commit         -
≠  params.layers      8
≠  params.lr          0.01
   params.opt         adam
≠  metrics.acc        0.9 (+0.1) *
≠  metrics.grad_norm  3 *
≠  metrics.loss       0.6 (+0.1)
≠  tags.team          nlp
"
        )
    );
    // At 80, two runs then one.
    let out = at(&env, NOW, 80, &["runs", "compare", "base", "wide", "deep"]).ok();
    let headers: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.trim_start().starts_with("KEY"))
        .collect();
    assert_eq!(
        headers,
        [
            "   KEY                RUN 1                RUN 2",
            "   KEY                RUN 3"
        ],
        "{out}"
    );
}

#[test]
fn compare_blocks_never_wrap_a_value() {
    let (env, _) = setup();
    // 13 rows and a header per block; a block wider than the terminal would make the table
    // wrap cells onto extra lines.
    let mut failures = Vec::new();
    for columns in 44..=110u16 {
        let out = at(
            &env,
            NOW,
            columns,
            &["runs", "compare", "base", "wide", "deep"],
        )
        .ok();
        let blocks: Vec<&str> = out.stdout.split("\n\n").collect();
        let too_wide = out
            .stdout
            .lines()
            .any(|l| l.chars().count() > usize::from(columns));
        let wrapped = blocks.iter().any(|b| b.trim_end().lines().count() != 14);
        if too_wide || wrapped {
            failures.push((columns, out.stdout));
        }
    }
    assert!(
        failures.is_empty(),
        "blocks wider than the terminal at COLUMNS={:?}; the first:\n{}",
        failures.iter().map(|f| f.0).collect::<Vec<_>>(),
        failures[0].1
    );
}

#[test]
fn compare_json_shape() {
    let (env, ids) = setup();
    let v = ok_now(
        &env,
        &[
            "runs", "compare", "base", "wide", "deep", "--format", "json",
        ],
    )
    .json();
    assert_eq!(
        v["runs"],
        json!([
            {"run_id": ids["base"], "run_name": "base"},
            {"run_id": ids["wide"], "run_name": "wide"},
            {"run_id": ids["deep"], "run_name": "deep"},
        ])
    );
    let rows = v["rows"].as_array().unwrap();
    let keys: Vec<&str> = rows.iter().map(|r| r["key"].as_str().unwrap()).collect();
    assert_eq!(
        keys,
        [
            "name",
            "id",
            "status",
            "start",
            "duration",
            "git commit",
            "params.layers",
            "params.lr",
            "params.opt",
            "metrics.acc",
            "metrics.grad_norm",
            "metrics.loss",
            "tags.team"
        ]
    );
    let row = |k: &str| rows.iter().find(|r| r["key"] == k).unwrap().clone();
    // Attribute and param rows: key, values (null where missing), differs; nothing else.
    assert_eq!(
        row("params.opt"),
        json!({"key": "params.opt", "values": ["adam", "adam", "adam"], "differs": false})
    );
    assert_eq!(
        row("git commit"),
        json!({"key": "git commit", "values": [null, null, null], "differs": false})
    );
    assert_eq!(
        row("status"),
        json!({"key": "status", "values": ["FINISHED", "FINISHED", "FAILED"], "differs": true})
    );
    // Metric rows add the best run's index, the direction and the deltas from the first run.
    let loss = row("metrics.loss");
    assert_eq!(loss["values"], json!(["0.5", "0.4", "0.6"]));
    assert_eq!(loss["differs"], true);
    assert_eq!(loss["best"], 1);
    assert_eq!(loss["higher_is_better"], false);
    let deltas: Vec<f64> = loss["deltas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_f64().unwrap())
        .collect();
    assert_eq!(deltas.len(), 3);
    for (got, want) in deltas.iter().zip([0.0, -0.1, 0.1]) {
        assert!((got - want).abs() < 1e-9, "{deltas:?}");
    }
    let acc = row("metrics.acc");
    assert_eq!(acc["best"], 2);
    assert_eq!(acc["higher_is_better"], true);
    // No first value: no deltas; the only value is the best.
    let grad = row("metrics.grad_norm");
    assert_eq!(grad["values"], json!([null, null, "3"]));
    assert_eq!(grad["deltas"], json!([null, null, null]));
    assert_eq!(grad["best"], 2);
}

// ---------------------------------------------------------------------------------------------
// diff

#[test]
fn diff_params_metrics_tags_and_artifacts() {
    let (env, ids) = setup();
    env.write("a/report.txt", "accuracy 0.8\n");
    env.write("b/report.txt", "accuracy 0.9, longer\n");
    env.write("a/weights.bin", "aaaa");
    env.write("b/weights.bin", "bbbb");
    env.write("a/same.txt", "same\n");
    env.write("b/same.txt", "same\n");
    env.write("a/only-a.txt", "old\n");
    env.write("b/only-b.txt", "new\n");
    for (dir, run) in [("a", "base"), ("b", "deep")] {
        for file in ["report.txt", "weights.bin", "same.txt"] {
            env.mlf(&["log", "artifact", &format!("{dir}/{file}"), "--run", run])
                .ok();
        }
    }
    env.mlf(&[
        "log",
        "artifact",
        "a/only-a.txt",
        "--to",
        "extra",
        "--run",
        "base",
    ])
    .ok();
    env.mlf(&[
        "log",
        "artifact",
        "b/only-b.txt",
        "--to",
        "extra",
        "--run",
        "deep",
    ])
    .ok();

    let out = ok_now(&env, &["runs", "diff", "base", "deep"]);
    let (b, d) = (short(&ids, "base"), short(&ids, "deep"));
    // opt is the same and not shown; same.txt is identical and not shown; weights.bin has the
    // same size and other bytes.
    assert_eq!(
        out.stdout,
        format!(
            "a  base ({b})  FINISHED
b  deep ({d})  FAILED

params
  ~ layers  2 → 8
  ~ lr      0.1 → 0.01

metrics
  ~ acc        0.8 → 0.9  +0.1 (+12.5%)
  + grad_norm  - → 3
  ~ loss       0.5 → 0.6  +0.1 (+20.0%)

tags
  ~ team  vision → nlp

artifacts
  - extra/only-a.txt  4 B → -
  + extra/only-b.txt  - → 4 B
  ~ report.txt        13 B → 21 B
  ~ weights.bin       4 B → 4 B
"
        )
    );

    // The other way round, with a decrease.
    let out = ok_now(&env, &["runs", "diff", "deep", "base"]);
    assert!(
        out.stdout
            .contains("\n  ~ loss       0.6 → 0.5  -0.1 (-16.7%)\n"),
        "{out}"
    );
    assert!(out.stdout.contains("\n  - grad_norm  3 → -\n"), "{out}");

    let v = ok_now(&env, &["runs", "diff", "base", "deep", "--format", "json"]).json();
    assert_eq!(v["a"], ids["base"].as_str());
    assert_eq!(v["b"], ids["deep"].as_str());
    assert_eq!(
        v["params"],
        json!([{"key": "layers", "a": "2", "b": "8"}, {"key": "lr", "a": "0.1", "b": "0.01"}])
    );
    assert_eq!(
        v["tags"],
        json!([{"key": "team", "a": "vision", "b": "nlp"}])
    );
    assert_eq!(
        v["metrics"][1],
        json!({"key": "grad_norm", "a": null, "b": 3.0, "delta": null, "relative": null})
    );
    assert!((v["metrics"][0]["relative"].as_f64().unwrap() - 0.125).abs() < 1e-9);
    assert_eq!(
        v["artifacts"],
        json!([
            {"path": "extra/only-a.txt", "change": "removed", "a_size": 4, "b_size": null},
            {"path": "extra/only-b.txt", "change": "added", "a_size": null, "b_size": 4},
            {"path": "report.txt", "change": "changed", "a_size": 13, "b_size": 21},
            {"path": "weights.bin", "change": "changed", "a_size": 4, "b_size": 4},
        ])
    );
    assert_eq!(v["code"]["stat"], json!(null));

    // Two runs with the same params, tags and artifacts.
    let out = ok_now(&env, &["runs", "diff", "base", "base"]);
    assert_eq!(
        out.stdout,
        format!(
            "a  base ({b})  FINISHED
b  base ({b})  FINISHED

metrics
    acc   0.8 → 0.8  (same)
    loss  0.5 → 0.5  (same)
"
        )
    );
}

#[test]
fn diff_of_unchanged_nan_metrics_says_same() {
    let env = TestEnv::new();
    let mut ids = Vec::new();
    for (name, k) in [("n1", "NaN"), ("n2", "2")] {
        ids.push(env.start_run(&["-n", name]));
        env.mlf(&["log", "metric", "m", "NaN"]).ok();
        env.mlf(&["log", "metric", "z", "0"]).ok();
        env.mlf(&["log", "metric", "k", k]).ok();
        env.mlf(&["run", "end"]).ok();
    }
    let out = ok_now(&env, &["runs", "diff", "n1", "n2"]);
    let lines: Vec<&str> = out.stdout.lines().collect();
    // NaN is NaN in both runs, as `runs compare` agrees (no ≠).
    assert!(
        lines.contains(&"    m  NaN → NaN  (same)"),
        "an unchanged NaN metric is shown as a change:\n{out}"
    );
    assert!(lines.contains(&"    z  0 → 0  (same)"), "{out}");
    assert!(
        lines.iter().any(|l| l.starts_with("  ~ k  NaN → 2")),
        "{out}"
    );
    let cmp = ok_now(&env, &["runs", "compare", "n1", "n2"]);
    assert!(
        cmp.stdout.lines().any(|l| l.starts_with("   metrics.m ")),
        "{cmp}"
    );
}

#[test]
fn diff_code_between_two_commits() {
    let env = TestEnv::new();
    let cwd = env.cwd();
    git(&cwd, &["init", "-q", "-b", "main"]);
    env.write("train.py", "lr = 0.1\nepochs = 3\n");
    env.write("README", "a\n");
    git(&cwd, &["add", "."]);
    git(&cwd, &["commit", "-q", "-m", "one"]);
    let c1 = git(&cwd, &["rev-parse", "HEAD"]);
    let first = create_finished(&env, "first", T0);
    env.write("train.py", "lr = 0.01\nepochs = 3\nlayers = 4\n");
    env.write("README", "a\nb\n");
    git(&cwd, &["commit", "-q", "-a", "-m", "two"]);
    let c2 = git(&cwd, &["rev-parse", "HEAD"]);
    let second = create_finished(&env, "second", T0 + HOUR);
    // A dirty tree: the diff is saved with the run.
    env.write("README", "a\nb\ndirty\n");
    let third = create_finished(&env, "third", T0 + 2 * HOUR);
    let (c1, c2) = (&c1[..10], &c2[..10]);
    let (f, s, t) = (&first[..8], &second[..8], &third[..8]);

    let out = ok_now(&env, &["runs", "diff", "first", "second"]);
    assert_eq!(
        out.stdout,
        format!(
            "a  first ({f})   FINISHED
b  second ({s})  FINISHED

code
  a  {c1}
  b  {c2}
   README   | 1 +
   train.py | 3 ++-
   2 files changed, 3 insertions(+), 1 deletion(-)
"
        )
    );

    let out = ok_now(&env, &["runs", "diff", "second", "third"]);
    let patch = std::fs::metadata(
        env.store()
            .join("artifacts/0")
            .join(&third)
            .join("artifacts/source/diff.patch"),
    )
    .expect("the dirty run saved source/diff.patch")
    .len();
    assert_eq!(
        out.stdout,
        format!(
            "a  second ({s})  FINISHED
b  third ({t})   FINISHED

code
  a  {c2}
  b  {c2} + uncommitted changes (artifact source/diff.patch)

artifacts
  + source/diff.patch  - → {patch} B
"
        )
    );

    // Outside the repository the commits are still named, without the stat.
    let outside = env.dir.path().join("home");
    let out = at_in(
        &env,
        &outside,
        NOW,
        100,
        &[
            "--store",
            env.store().to_str().unwrap(),
            "runs",
            "diff",
            "first",
            "second",
        ],
    )
    .ok();
    assert_eq!(
        out.stdout,
        format!(
            "a  first ({f})   FINISHED
b  second ({s})  FINISHED

code
  a  {c1}
  b  {c2}
"
        )
    );

    // Same commit, clean.
    let out = ok_now(&env, &["runs", "diff", "second", "second"]);
    assert!(
        out.stdout
            .ends_with(&format!("code\n  a  {c2}\n  b  {c2}\n  same commit\n")),
        "{out}"
    );
}

// ---------------------------------------------------------------------------------------------
// metric

#[test]
fn metric_history_as_table_json_and_csv() {
    let (env, _) = setup();
    let out = ok_now(&env, &["runs", "metric", "base", "loss"]);
    assert_eq!(
        out.stdout,
        "STEP  VALUE  TIME
0     1      2023-11-14 22:13:21
1     0.8    2023-11-14 22:13:22
2     0.6    2023-11-14 22:13:23
3     0.5    2023-11-14 22:13:24
"
    );
    let out = ok_now(&env, &["runs", "metric", "base", "loss", "--format", "csv"]);
    assert_eq!(
        out.stdout,
        "step,value,timestamp
0,1,1700000001000
1,0.8,1700000002000
2,0.6,1700000003000
3,0.5,1700000004000
"
    );
    let v = ok_now(&env, &["runs", "metric", "wide", "acc", "--format", "json"]).json();
    assert_eq!(
        v,
        json!({"metrics": [
            {"key": "acc", "value": 0.7, "step": 0, "timestamp": T0 + HOUR + 1000},
            {"key": "acc", "value": 0.85, "step": 3, "timestamp": T0 + HOUR + 4000},
        ]})
    );
    let out = ok_now(&env, &["runs", "metric", "base", "acc", "--format", "md"]);
    assert_eq!(
        out.stdout,
        "| STEP | VALUE | TIME |
|---|---|---|
| 0 | 0.6 | 2023-11-14 22:13:21 |
| 3 | 0.8 | 2023-11-14 22:13:24 |
"
    );
    let out = at(&env, NOW, 100, &["runs", "metric", "base", "nope"]).code(2);
    assert!(out.stdout.is_empty(), "{out}");
    assert!(
        out.stderr
            .contains("run base has no metric `nope`: it has acc, loss"),
        "{out}"
    );
}

// ---------------------------------------------------------------------------------------------
// plot

#[test]
fn plot_two_runs_with_markers() {
    let (env, ids) = setup();
    let out = ok_now(
        &env,
        &[
            "runs", "plot", "base", "wide", "-m", "loss", "--height", "8",
        ],
    );
    // loss from 0.4 to 1 over steps 0..3 on a 95×8 grid: base (*) from the top-left corner,
    // wide (+) to the bottom-right one; where they cross, the later series is drawn.
    let out = snap!(
        "plot_two_runs_with_markers",
        env,
        [
            "runs", "plot", "base", "wide", "-m", "loss", "--height", "8"
        ],
        out
    );
    let (b, w) = (short(&ids, "base"), short(&ids, "wide"));
    assert!(
        out.stdout
            .contains(&format!("     * base ({b}) (4 points)\n"))
    );
    assert!(
        out.stdout
            .contains(&format!("     + wide ({w}) (4 points)\n"))
    );
    for line in out.stdout.lines() {
        assert!(line.chars().count() <= 100, "wider than COLUMNS: {line:?}");
    }
    // Each run's first point is where its curve starts: base at (0, 1), wide at (0, 0.9).
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(lines[1].starts_with("  1 ┤*"));
    assert!(lines[2].starts_with("    │+"));
    // The last points: base at 0.5 (row 6 of 0..7), wide at 0.4 (the bottom row).
    assert!(lines[7].ends_with('*') && lines[8].ends_with('+'));
}

#[test]
fn plot_one_run_in_braille() {
    let (env, ids) = setup();
    let out = ok_now(
        &env,
        &[
            "runs", "plot", "base", "-m", "loss", "--style", "braille", "--height", "4", "--width",
            "40",
        ],
    );
    let b = short(&ids, "base");
    assert_eq!(
        out.stdout,
        format!(
            "      loss
   1 ┤⠉⠒⠒⠤⠤⣀⡀
     │      ⠈⠉⠑⠒⠢⠤⣀⣀
0.75 ┤              ⠉⠉⠒⠒⠤⠤⣀⣀
 0.5 ┤                      ⠉⠉⠑⠒⠒⠒⠤⠤⠤⠤⣀⣀
     └──────────────────────────────────
      0              step              3
      ── base ({b}) (4 points)
"
        )
    );
    // One run draws in braille by default too, across the whole width.
    let out = ok_now(&env, &["runs", "plot", "base", "-m", "loss"]);
    assert!(out.stdout.contains('⠉'), "{out}");
    assert_eq!(
        out.stdout.lines().nth(16).unwrap().chars().count(),
        100,
        "{out}"
    );
}

#[test]
fn plot_of_a_missing_metric_names_the_run_metrics() {
    let (env, _) = setup();
    let out = at(
        &env,
        NOW,
        100,
        &["runs", "plot", "base", "wide", "-m", "nope"],
    )
    .code(2);
    assert!(out.stdout.is_empty(), "{out}");
    assert_eq!(
        out.stderr.lines().next().unwrap(),
        "error: run base has no metric `nope`: it has acc, loss"
    );
    // A metric only some runs have.
    let out = at(
        &env,
        NOW,
        100,
        &["runs", "plot", "deep", "base", "-m", "grad_norm"],
    )
    .code(2);
    assert!(out.stdout.is_empty(), "{out}");
    assert!(
        out.stderr
            .contains("run base has no metric `grad_norm`: it has acc, loss"),
        "{out}"
    );
}
