//! The web UI over raw HTTP: `mlf ui` and `mlf server` serve the pages, every page carries the
//! Content-Security-Policy, user strings come out escaped, previews stay inside the run, forms
//! that change the registry need the CSRF token, and the API's authentication covers the UI.
//! The browser tests (tests/browser/ui.py, Playwright driving Debian's chromium) click through
//! the same pages; `.ci/run` runs them.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::thread;

use crate::server::{Server, WAIT};
use crate::support::{self, HttpAnswer, TestEnv, http_exchange};

mod more;
mod open;

const EVIL: &str = "<script>alert(1)</script>";

/// `mlf ui --port 0` in the test's directory; killed when dropped.
struct Ui {
    child: Child,
    addr: String,
}

impl Ui {
    fn start(env: &TestEnv) -> Ui {
        let mut cmd = env.command(&["ui", "--port", "0"]);
        cmd.stdout(Stdio::null()).stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn mlf ui");
        let pipe = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel::<String>();
        thread::spawn(move || {
            for line in BufReader::new(pipe).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.split("http://").nth(1) {
                    let addr = rest.split(['/', ' ']).next().unwrap_or("").to_string();
                    let _ = tx.send(addr);
                }
            }
        });
        let addr = rx.recv_timeout(WAIT).expect("mlf ui did not start");
        Ui { child, addr }
    }
}

impl Drop for Ui {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn request(addr: &str, method: &str, target: &str, headers: &[(&str, &str)], body: &str) -> Page {
    let mut raw = format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        raw.push_str(&format!("{k}: {v}\r\n"));
    }
    raw.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    Page(http_exchange(addr, raw.as_bytes(), WAIT, target))
}

struct Page(HttpAnswer);

impl Page {
    fn status(&self) -> u16 {
        self.0.status
    }
    fn header(&self, name: &str) -> Option<&str> {
        self.0
            .headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.body).into_owned()
    }
}

fn get(addr: &str, target: &str) -> Page {
    request(addr, "GET", target, &[], "")
}

/// A store with an experiment `demo`: three runs with a param and a `loss` history, one
/// named `EVIL` with a log and artifacts.
fn demo_store(env: &TestEnv) -> (String, String) {
    for i in 1..=3 {
        let name = format!("run{i}");
        let lr = format!("lr=0.{i}");
        let script = format!("for s in 1 2 3 4; do echo loss=$((10 - s * {i})); done");
        env.mlf(&[
            "run",
            "-q",
            "-x",
            "demo",
            "-n",
            &name,
            "-p",
            &lr,
            "--capture-metrics",
            "--",
            "sh",
            "-c",
            &script,
        ])
        .ok();
    }
    env.mlf(&[
        "run",
        "-q",
        "-x",
        "demo",
        "-n",
        EVIL,
        "-p",
        "note=<b>bold</b>",
        "--",
        "sh",
        "-c",
        "echo '<img src=x onerror=alert(2)>'",
    ])
    .ok();
    env.write("table.csv", "a,b\n1,<i>2</i>\n");
    env.write("data.json", "{\"k\": [1, 2]}");
    env.mlf(&["log", "artifact", "table.csv", "--run", EVIL])
        .ok();
    env.mlf(&["log", "artifact", "data.json", "--run", EVIL])
        .ok();
    let runs = support::runs(env);
    let evil = runs.iter().find(|r| r["info"]["run_name"] == EVIL).unwrap();
    (
        evil["info"]["experiment_id"].as_str().unwrap().to_string(),
        evil["info"]["run_id"].as_str().unwrap().to_string(),
    )
}

#[test]
fn ui_pages_carry_the_csp_and_escape_what_users_wrote() {
    let env = TestEnv::new();
    let (exp, evil) = demo_store(&env);
    let ui = Ui::start(&env);
    let a = ui.addr.as_str();

    let home = get(a, "/");
    assert_eq!(home.status(), 200, "{}", home.text());
    let csp = home.header("content-security-policy").expect("a CSP");
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe"),
        "{csp}"
    );
    assert!(
        home.header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert!(home.text().contains("demo"));

    let table = get(a, &format!("/ui/experiments/{exp}"));
    assert_eq!(table.status(), 200);
    let text = table.text();
    assert!(
        !text.contains(EVIL),
        "a run name came out as markup:\n{text}"
    );
    assert!(
        text.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
        "{text}"
    );
    assert!(text.contains("run1") && text.contains("loss"), "{text}");
    assert!(table.header("content-security-policy").is_some());

    // Sorted by a metric, filtered, paged: the store's search does it.
    let sorted = get(
        a,
        &format!("/ui/experiments/{exp}?order=metrics.%60loss%60%20ASC&filter=params.lr%20!%3D%20%270.1%27"),
    )
    .text();
    let (r3, r2) = (
        sorted.find(">run3<").unwrap(),
        sorted.find(">run2<").unwrap(),
    );
    assert!(r3 < r2, "run3 has the lowest loss:\n{sorted}");
    assert!(
        !sorted.contains(">run1<"),
        "the filter drops lr = 0.1:\n{sorted}"
    );
    // Columns by glob; only those that differ on request.
    let picked = get(a, &format!("/ui/experiments/{exp}?cols=lr,tags.mlf.*")).text();
    assert!(
        picked.contains("lr (param)") && picked.contains("mlf.exitCode (tag)"),
        "{picked}"
    );
    assert!(!picked.contains(">loss</a>"), "{picked}");
    let changed = get(
        a,
        &format!(
            "/ui/experiments/{exp}?cols=params.*,tags.mlf.exitCode&changed=1&filter=params.lr%20!%3D%20%270.9%27"
        ),
    )
    .text();
    assert!(
        changed.contains("lr (param)") && !changed.contains("exitCode (tag)"),
        "{changed}"
    );
    // A bad filter is answered inline, with where it went wrong.
    let bad = get(
        a,
        &format!("/ui/experiments/{exp}?filter=metrics.loss%20%3C"),
    )
    .text();
    assert!(
        bad.contains("id=\"filter-error\"") && bad.contains("column"),
        "{bad}"
    );
    // htmx asks for the table alone.
    let part = request(
        a,
        "GET",
        &format!("/ui/experiments/{exp}"),
        &[("HX-Request", "true")],
        "",
    );
    assert!(part.text().trim_start().starts_with("<div id=\"runs\">"));

    let run = get(a, &format!("/ui/runs/{evil}"));
    assert_eq!(run.status(), 200);
    let text = run.text();
    assert!(!text.contains(EVIL) && !text.contains("<b>bold") && !text.contains("<img src=x"));
    assert!(
        text.contains("&#60;img src=x onerror=alert(2)&#62;"),
        "the stdout log:\n{text}"
    );
    assert!(text.contains("table.csv") && text.contains("data.json"));

    let csv = get(a, &format!("/ui/runs/{evil}/preview?path=table.csv")).text();
    assert!(csv.contains("<td>&#60;i&#62;2&#60;/i&#62;</td>"), "{csv}");
    let json = get(a, &format!("/ui/runs/{evil}/preview?path=data.json")).text();
    assert!(json.contains("&#34;k&#34;"), "{json}");
    for outside in ["../../mlf.db", "/etc/passwd", "..%2F..%2Fmlf.db"] {
        let p = get(a, &format!("/ui/runs/{evil}/preview?path={outside}"));
        assert!(
            matches!(p.status(), 400 | 403 | 404),
            "{outside}: {}",
            p.status()
        );
        assert!(!p.text().contains("SQLite format"), "{outside}");
    }

    let ids = support::run_ids(&env);
    let series = get(a, &format!("/ui/runs/{}/metric?key=loss", ids[1])).text();
    let v: serde_json::Value = serde_json::from_str(&series).unwrap();
    assert_eq!(v["total"], 4, "{series}");
    assert_eq!(v["sampled"], false);

    let compare = get(a, &format!("/ui/compare?run={}&run={}", ids[1], ids[2]));
    assert_eq!(compare.status(), 200);
    assert!(
        compare.text().contains("class=\"differs\""),
        "{}",
        compare.text()
    );

    let js = get(a, "/ui/assets/htmx.min.js");
    assert_eq!(js.status(), 200);
    assert!(js.header("content-type").unwrap().contains("javascript"));

    let missing = get(a, "/ui/runs/nope");
    assert_eq!(missing.status(), 404);
    assert!(missing.header("content-security-policy").is_some());
}

#[test]
fn registry_forms_need_the_csrf_token_and_use_the_cli_rules() {
    let env = TestEnv::new();
    env.start_run(&["-n", "train"]);
    env.write("model/MLmodel", "flavors: {}\n");
    env.mlf(&["log", "artifact", "model", "--run", "train"])
        .ok();
    env.mlf(&["registry", "register", "runs:/train/model", "--name", "m"])
        .ok();
    env.write(
        ".mlf/config.toml",
        "[registry]\nprotected_stages = [\"Production\"]\nallow_self_approval = false\n",
    );
    let ui = Ui::start(&env);
    let a = ui.addr.as_str();
    assert!(
        get(a, "/ui/models")
            .text()
            .contains("href=\"/ui/models/m\"")
    );
    assert_eq!(get(a, "/ui/models/m").status(), 200);
    let page = get(a, "/ui/models/m/versions/1").text();
    let token = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("a CSRF token in the form")
        .to_string();
    let form = [("Content-Type", "application/x-www-form-urlencoded")];
    let post = |body: &str| request(a, "POST", "/ui/models/m/versions/1/stage", &form, body);

    assert_eq!(post("stage=Production&action=move").status(), 403);
    assert_eq!(post("stage=Production&action=move&csrf=00").status(), 403);
    // The protected stage refuses a move without an approved request, as the CLI does.
    let refused = post(&format!("stage=Production&action=move&csrf={token}"));
    assert_eq!(refused.status(), 200, "{}", refused.text());
    assert!(
        refused.text().contains("id=\"error\""),
        "{}",
        refused.text()
    );
    let asked = post(&format!(
        "stage=Production&action=request&actor=alice&csrf={token}"
    ));
    assert_eq!(asked.status(), 200, "{}", asked.text());
    let text = asked.text();
    let id = text
        .split("(request ")
        .nth(1)
        .and_then(|r| r.split(')').next())
        .expect("the request's id")
        .to_string();
    let decide = |who: &str| {
        request(
            a,
            "POST",
            &format!("/ui/requests/{id}"),
            &form,
            &format!("decision=approve&actor={who}&name=m&version=1&csrf={token}"),
        )
    };
    let selfie = decide("alice");
    assert!(
        selfie.text().contains("id=\"error\""),
        "no self-approval: {}",
        selfie.text()
    );
    let approved = decide("bob").text();
    assert!(approved.contains("is approved"), "{approved}");
    let moved = post(&format!(
        "stage=Production&action=move&actor=bob&csrf={token}"
    ));
    assert_eq!(moved.status(), 200, "{}", moved.text());
    let show = env
        .mlf(&["registry", "show", "m", "--format", "json"])
        .ok()
        .json();
    assert!(show.to_string().contains("Production"), "{show}");
    let aliased = post(&format!(
        "action=alias&alias=champion&actor=bob&csrf={token}"
    ))
    .text();
    assert!(
        aliased.contains("@champion points at version 1"),
        "{aliased}"
    );
    let described = post(&format!(
        "action=describe&description=%3Cb%3Ebest%3C%2Fb%3E&csrf={token}"
    ));
    assert!(
        described.text().contains("&#60;b&#62;best"),
        "{}",
        described.text()
    );
    assert!(get(a, "/ui/models/m").text().contains("@champion"));
    let history = get(a, "/ui/models/m/versions/1").text();
    assert!(
        history.contains("alice") && history.contains("bob"),
        "{history}"
    );
}

#[test]
fn mlf_server_serves_the_ui_behind_its_authentication() {
    let env = TestEnv::new();
    let one = env.start_run(&["-n", "one"]);
    let server = Server::start(&env, &["--auth-token", "s3cret"]);
    let addr = server.url().trim_start_matches("http://").to_string();
    assert_eq!(get(&addr, "/").status(), 401);
    assert_eq!(get(&addr, "/ui/models").status(), 401);
    let ok = request(&addr, "GET", "/", &[("Authorization", "Bearer s3cret")], "");
    assert_eq!(ok.status(), 200);
    assert!(ok.header("content-security-policy").is_some());
    // A running run keeps the table reloading itself.
    let auth = [("Authorization", "Bearer s3cret")];
    let table = request(&addr, "GET", "/ui/experiments/0", &auth, "").text();
    assert!(table.contains("hx-trigger=\"every 5s\""), "{table}");
    // A running run's page follows its logs.
    let page = request(&addr, "GET", &format!("/ui/runs/{one}"), &auth, "").text();
    assert!(
        page.contains(&format!("hx-get=\"/ui/runs/{one}/logs\"")),
        "{page}"
    );
    let logs = request(&addr, "GET", &format!("/ui/runs/{one}/logs"), &auth, "");
    assert_eq!(logs.status(), 200);
    assert!(
        logs.text().starts_with("<section id=\"logs\""),
        "{}",
        logs.text()
    );
    // The API beside it answers as before.
    let api = request(
        &addr,
        "GET",
        "/api/2.0/mlflow/experiments/get?experiment_id=0",
        &[("Authorization", "Bearer s3cret")],
        "",
    );
    assert_eq!(api.status(), 200);
}

#[test]
fn experiments_and_runs_change_from_the_pages_with_the_csrf_token() {
    let env = TestEnv::new();
    let run = env.start_run(&["-n", "one"]);
    let ui = Ui::start(&env);
    let a = ui.addr.as_str();
    let home = get(a, "/").text();
    let token = home
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("a CSRF token")
        .to_string();
    let form = [("Content-Type", "application/x-www-form-urlencoded")];
    let post = |target: &str, body: &str| request(a, "POST", target, &form, body);

    assert_eq!(post("/ui/experiments", "name=nope").status(), 403);
    let created = post("/ui/experiments", &format!("name=fresh&csrf={token}"));
    assert_eq!(created.status(), 303);
    let to = created.header("location").unwrap().to_string();
    let id = to.rsplit('/').next().unwrap().to_string();
    let renamed = post(&to, &format!("action=rename&name=renamed&csrf={token}"));
    assert_eq!(renamed.status(), 303);
    let list = env
        .mlf(&["experiments", "list", "--format", "json"])
        .ok()
        .stdout;
    assert!(
        list.contains("renamed") && !list.contains("fresh"),
        "{list}"
    );
    assert_eq!(
        post(&to, &format!("action=delete&csrf={token}")).status(),
        303
    );
    assert!(
        get(a, &format!("/ui/experiments/{id}"))
            .text()
            .contains("deleted")
    );

    let target = format!("/ui/runs/{run}");
    assert_eq!(post(&target, "action=delete").status(), 403);
    assert_eq!(
        post(&target, &format!("action=delete&csrf={token}")).status(),
        303
    );
    assert!(get(a, &target).text().contains("id=\"restore-run\""));
    let shown = env
        .mlf(&["runs", "list", "--all", "--format", "json"])
        .ok()
        .stdout;
    assert!(shown.contains("\"deleted\""), "{shown}");
    assert_eq!(
        post(&target, &format!("action=restore&csrf={token}")).status(),
        303
    );
    assert!(get(a, &target).text().contains("id=\"delete-run\""));
}
