//! `mlf runs show RUN --web` and `mlf registry show NAME --web`: the page opens in the browser
//! that `BROWSER` names (else `xdg-open`): in the UI at `--url` / `MLF_UI_URL` or the tracking
//! server, by MLflow's hash route; over a local store, in a UI served on a free port until
//! the command is stopped. A stub browser records what it was given.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use super::get;
use crate::server::{Server, WAIT};
use crate::support::TestEnv;

/// A browser stub named `name` in `bin/` of the test directory that appends its arguments to
/// `opened`.
fn stub(env: &TestEnv, name: &str) -> (PathBuf, PathBuf) {
    let opened = env.cwd().join("opened");
    let script = env.write(
        &format!("bin/{name}"),
        &format!("#!/bin/sh\necho \"$@\" >> '{}'\n", opened.display()),
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    (script, opened)
}

/// The lines the stub recorded, once there are `n` of them (it runs in the background).
fn wait_opened(opened: &Path, n: usize) -> Vec<String> {
    let until = Instant::now() + WAIT;
    loop {
        let lines: Vec<String> = std::fs::read_to_string(opened)
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect();
        if lines.len() >= n || Instant::now() > until {
            return lines;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn web_opens_mlflows_route_in_the_ui_at_the_url_through_browser() {
    let mut env = TestEnv::new();
    let run = env.start_run(&["-n", "one"]);
    let (browser, opened) = stub(&env, "browser");
    env.set(
        "BROWSER",
        &format!("no-such-browser:{} --new-tab %s", browser.display()),
    );
    let out = env
        .mlf(&[
            "runs",
            "show",
            "one",
            "--web",
            "--url",
            "http://127.0.0.1:9/",
        ])
        .ok();
    let want = format!("http://127.0.0.1:9/#/experiments/0/runs/{run}");
    assert_eq!(out.stdout.trim(), want);
    assert_eq!(wait_opened(&opened, 1), vec![format!("--new-tab {want}")]);

    env.set("MLF_UI_URL", "http://ui.example:5000");
    env.mlf(&["runs", "show", "one", "--web"]).ok();
    let lines = wait_opened(&opened, 2);
    assert_eq!(
        lines[1],
        format!("--new-tab http://ui.example:5000/#/experiments/0/runs/{run}")
    );

    env.write("model/MLmodel", "flavors: {}\n");
    env.mlf(&["log", "artifact", "model", "--run", "one"]).ok();
    env.mlf(&[
        "registry",
        "register",
        "runs:/one/model",
        "--name",
        "churn model",
    ])
    .ok();
    env.mlf(&["registry", "show", "churn model", "--web", "--version", "1"])
        .ok();
    env.mlf(&["registry", "show", "churn model", "--web"]).ok();
    let lines = wait_opened(&opened, 4);
    assert_eq!(
        lines[2..],
        [
            "--new-tab http://ui.example:5000/#/models/churn%20model/versions/1".to_string(),
            "--new-tab http://ui.example:5000/#/models/churn%20model".to_string(),
        ]
    );

    let bad = env
        .mlf(&["runs", "show", "one", "--web", "--url", "ui.example"])
        .code(2);
    assert!(
        bad.stderr.contains("`ui.example` is not a web UI address"),
        "{}",
        bad.stderr
    );
    let missing = env
        .mlf(&["registry", "show", "churn model", "--web", "--version", "7"])
        .code(2);
    assert!(!missing.stderr.is_empty());
    assert_eq!(wait_opened(&opened, 4).len(), 4, "nothing more was opened");
}

#[test]
fn web_without_a_browser_says_where_the_page_is() {
    let mut env = TestEnv::new();
    env.start_run(&["-n", "one"]);
    env.set("PATH", "/nonexistent");
    let out = env
        .mlf(&[
            "runs",
            "show",
            "one",
            "--web",
            "--url",
            "http://127.0.0.1:9",
        ])
        .code(1);
    assert!(
        out.stderr.contains("cannot open a browser"),
        "{}",
        out.stderr
    );
    assert!(
        out.stdout
            .contains("http://127.0.0.1:9/#/experiments/0/runs/")
    );
}

#[test]
fn web_on_a_tracking_server_opens_its_ui_by_xdg_open() {
    let mut env = TestEnv::new();
    let run = env.start_run(&["-n", "one"]);
    let server = Server::start(&env, &[]);
    let (_, opened) = stub(&env, "xdg-open");
    let path = format!(
        "{}:{}",
        env.cwd().join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    env.set("PATH", &path);
    env.set("MLF_TRACKING_URI", &server.url());
    env.mlf(&["runs", "show", &run, "--web"]).ok();
    let lines = wait_opened(&opened, 1);
    assert_eq!(
        lines,
        vec![format!("{}/#/experiments/0/runs/{run}", server.url())]
    );
    let addr = server.url().trim_start_matches("http://").to_string();
    assert_eq!(get(&addr, "/").status(), 200, "the server serves the UI");
}

#[test]
fn web_over_a_local_store_serves_the_ui_and_opens_the_page() {
    let mut env = TestEnv::new();
    let run = env.start_run(&["-n", "<b>one</b>"]);
    let (browser, opened) = stub(&env, "browser");
    env.set("BROWSER", &browser.display().to_string());
    let mut child = env
        .command(&["runs", "show", &run, "--web"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lines = wait_opened(&opened, 1);
    let page = lines.first().cloned().unwrap_or_default();
    let addr = page
        .strip_prefix("http://")
        .and_then(|r| r.split('/').next())
        .unwrap_or_default()
        .to_string();
    let answer = (!addr.is_empty()).then(|| get(&addr, &format!("/ui/runs/{run}")).text());
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(page, format!("http://{addr}/ui/runs/{run}"));
    let answer = answer.unwrap();
    assert!(answer.contains("&#60;b&#62;one&#60;/b&#62;"), "{answer}");
}
