//! Tests of `mlf` (concurrency), through the binary.
//!
//! Many `mlf` processes writing one store at once: nothing is lost, nothing fails.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{Output, TestEnv, history, metric, mlf_bin, runs, sqlite, tag};

const WAIT: Duration = Duration::from_secs(120);

/// `sh -c SCRIPT` in the working directory, with the harness's cleared environment and `$MLF`
/// set to the binary.
fn shell(env: &TestEnv, script: &str) -> Command {
    let mut cmd = Command::new("sh");
    cmd.args(["-c", script]).current_dir(env.cwd());
    env.pin_env(&mut cmd);
    cmd.env("MLF", mlf_bin())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Waits for every child (bounded overall) and returns their outputs in order.
fn wait_all(children: Vec<Child>) -> Vec<Output> {
    use std::os::unix::process::ExitStatusExt;
    let deadline = Instant::now() + WAIT;
    let mut outs = Vec::new();
    let mut children = children;
    // Read the pipes from threads so that no child blocks on a full pipe.
    let readers: Vec<_> = children
        .iter_mut()
        .map(|c| {
            let mut o = c.stdout.take().unwrap();
            let mut e = c.stderr.take().unwrap();
            std::thread::spawn(move || {
                use std::io::Read;
                let mut so = String::new();
                let mut se = String::new();
                let _ = o.read_to_string(&mut so);
                let _ = e.read_to_string(&mut se);
                (so, se)
            })
        })
        .collect();
    let mut statuses = vec![None; children.len()];
    while statuses.iter().any(Option::is_none) {
        for (i, c) in children.iter_mut().enumerate() {
            if statuses[i].is_none() {
                statuses[i] = c.try_wait().unwrap();
            }
        }
        if Instant::now() > deadline {
            for c in &mut children {
                let _ = c.kill();
                let _ = c.wait();
            }
            panic!("processes did not end within {WAIT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    for (st, reader) in statuses.into_iter().zip(readers) {
        let st = st.unwrap();
        let (stdout, stderr) = reader.join().unwrap();
        outs.push(Output {
            code: st.code().unwrap_or_else(|| 128 + st.signal().unwrap_or(0)),
            stdout,
            stderr,
        });
    }
    outs
}

#[test]
fn eight_processes_log_four_thousand_metrics_without_loss() {
    let env = TestEnv::new();
    let run = env.start_run(&[]);
    let children: Vec<Child> = (1..=8)
        .map(|k| {
            let script = format!(
                r#"for i in $(seq 1 500); do "$MLF" log metric m{k} $i --step $i --run "$RUN" || exit 1; done"#
            );
            shell(&env, &script)
                .env("RUN", &run)
                .spawn()
                .expect("spawn sh")
        })
        .collect();
    for (k, out) in wait_all(children).into_iter().enumerate() {
        assert_eq!(out.code, 0, "writer m{}:\n{out}", k + 1);
        assert_eq!(out.stderr, "", "writer m{}:\n{out}", k + 1);
    }

    // Latest values.
    let shown = env
        .mlf(&["runs", "show", &run, "--format", "json"])
        .ok()
        .json();
    let metrics = shown["run"]["data"]["metrics"].as_array().unwrap();
    assert_eq!(metrics.len(), 8, "{metrics:?}");
    for k in 1..=8 {
        assert_eq!(
            metric(&shown["run"], &format!("m{k}")),
            Some((500.0, 500)),
            "m{k}"
        );
    }

    // Every point of every history, as `mlf runs metric` tells it.
    for k in 1..=8 {
        let points = history(&env, &run, &format!("m{k}"));
        let want: Vec<(i64, f64)> = (1..=500).map(|i| (i, i as f64)).collect();
        assert!(points == want, "history of m{k}: {} points", points.len());
    }

    // And straight from the database.
    let db = env.store().join("mlf.db");
    if let Some(total) = sqlite(&db, "SELECT count(*) FROM metrics") {
        assert_eq!(total.trim(), "4000");
        let per_key = sqlite(
            &db,
            "SELECT key, count(*), count(DISTINCT step), min(step), max(step), sum(value), \
             sum(value = step) FROM metrics GROUP BY key ORDER BY key",
        )
        .unwrap();
        let want: String = (1..=8)
            .map(|k| format!("m{k}|500|500|1|500|125250.0|500\n"))
            .collect();
        assert_eq!(per_key, want);
    }
    env.mlf(&["run", "end"]).ok();
}

#[test]
fn eight_concurrent_runs_in_one_store() {
    let env = TestEnv::new();
    env.mlf(&["init"]).ok();
    let children: Vec<Child> = (0..8)
        .map(|_| {
            let mut cmd = env.command(&["run", "--", "true"]);
            cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
            cmd.spawn().expect("spawn mlf")
        })
        .collect();
    for out in wait_all(children) {
        out.ok();
    }
    check_eight_finished_runs(&env);
}

/// Starts `n` copies of `mlf ARGS` (through `sh`, in the working directory) all at once: each
/// waits for a `go` file before it `exec`s mlf.
fn start_together(env: &TestEnv, n: usize, args: &[&str]) -> Vec<Child> {
    let gate = env.dir.path().join("gate");
    let _ = std::fs::remove_dir_all(&gate);
    std::fs::create_dir_all(&gate).unwrap();
    let script = r#"gate=$1; shift; : > "$gate/ready.$$"; while [ ! -e "$gate/go" ]; do :; done; exec "$MLF" "$@""#;
    let children: Vec<Child> = (0..n)
        .map(|_| {
            let mut cmd = shell(env, script);
            cmd.arg("sh").arg(&gate).args(args);
            cmd.spawn().expect("spawn sh")
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let ready = std::fs::read_dir(&gate).unwrap().count();
        if ready >= n {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "only {ready} of {n} processes got ready"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    std::fs::write(gate.join("go"), "").unwrap();
    children
}

#[test]
fn eight_concurrent_runs_create_one_store() {
    // No store yet: all eight create it at once. A race may go either way once, so a number of
    // rounds; every failure is reported.
    let mut problems = Vec::new();
    for round in 0..20 {
        let env = TestEnv::new();
        assert!(!env.store().exists());
        let children = start_together(&env, 8, &["run", "--", "true"]);
        let failed: Vec<String> = wait_all(children)
            .into_iter()
            .filter(|o| o.code != 0)
            .map(|o| format!("round {round}: {o}"))
            .collect();
        if !failed.is_empty() {
            problems.extend(failed);
            continue;
        }
        assert!(env.store().join("mlf.db").is_file());
        check_eight_finished_runs(&env);
        let exps = env
            .mlf(&["experiments", "list", "--all", "--format", "json"])
            .ok()
            .json();
        let names: Vec<&str> = exps["experiments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["Default"]);
    }
    assert!(
        problems.is_empty(),
        "concurrent store creation failed:\n{}",
        problems.join("\n")
    );
}

fn check_eight_finished_runs(env: &TestEnv) {
    let runs = runs(env);
    assert_eq!(runs.len(), 8);
    let mut ids: Vec<&str> = runs
        .iter()
        .map(|r| r["info"]["run_id"].as_str().unwrap())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 8, "run ids are distinct");
    let mut names: Vec<&str> = runs
        .iter()
        .map(|r| r["info"]["run_name"].as_str().unwrap())
        .collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 8, "run names are distinct: {names:?}");
    for r in &runs {
        assert_eq!(r["info"]["status"], "FINISHED", "{r}");
        assert_eq!(tag(r, "mlf.exitCode").as_deref(), Some("0"));
    }
}

#[test]
fn concurrent_captured_runs_keep_their_own_histories() {
    let env = TestEnv::new();
    env.mlf(&["init"]).ok();
    let script = "i=1; while [ $i -le 100 ]; do echo \"step=$i loss=$i\"; i=$((i+1)); done";
    let children: Vec<Child> = (0..4)
        .map(|_| {
            let mut cmd = env.command(&["run", "--capture-metrics", "--", "sh", "-c", script]);
            cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
            cmd.spawn().expect("spawn mlf")
        })
        .collect();
    for out in wait_all(children) {
        let out = out.ok();
        assert!(
            out.stderr.contains("Captured 100 metric points"),
            "{}",
            out.stderr
        );
    }
    let runs = runs(&env);
    assert_eq!(runs.len(), 4);
    for r in &runs {
        assert_eq!(metric(r, "loss"), Some((100.0, 100)));
    }
    if let Some(rows) = sqlite(
        &env.store().join("mlf.db"),
        "SELECT count(*), count(DISTINCT step), sum(value) FROM metrics GROUP BY run_id",
    ) {
        assert_eq!(rows, "100|100|5050.0\n".repeat(4));
    }
}

#[test]
fn concurrent_run_starts_leave_exactly_one_active_run() {
    // `mlf run start` refuses while a run is active; racing starts must not all get past that
    // check. A few rounds, since a race may go either way once.
    for round in 0..5 {
        let env = TestEnv::new();
        env.mlf(&["init"]).ok();
        let outs = wait_all(start_together(&env, 8, &["run", "start"]));
        let started: Vec<&Output> = outs.iter().filter(|o| o.code == 0).collect();
        for o in outs.iter().filter(|o| o.code != 0) {
            assert_eq!(o.code, 2, "round {round}: {o}");
            assert!(o.stderr.contains("still active"), "round {round}: {o}");
        }
        assert_eq!(
            started.len(),
            1,
            "round {round}: {} of 8 concurrent `mlf run start` succeeded",
            started.len()
        );
        let id = started[0].stdout.trim();
        let runs = runs(&env);
        assert_eq!(runs.len(), 1, "round {round}: runs left behind");
        assert_eq!(runs[0]["info"]["run_id"], id);
        // The active run is the one that was reported.
        env.mlf(&["log", "metric", "x", "1"]).ok();
        let shown = env
            .mlf(&["runs", "show", id, "--format", "json"])
            .ok()
            .json();
        assert_eq!(metric(&shown["run"], "x"), Some((1.0, 0)));
    }
}
