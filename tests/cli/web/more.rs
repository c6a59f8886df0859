//! The runs table's metric views and grouping, edits from the run and model pages, the run
//! page's source, family and system metrics, MLmodel previews, the compare page's plots and
//! the registry as of a time.

use super::{EVIL, Page, Ui, get, request};
use crate::support::{self, TestEnv, git};

const FORM: [(&str, &str); 1] = [("Content-Type", "application/x-www-form-urlencoded")];

fn token(page: &str) -> String {
    page.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("a CSRF token in the page")
        .to_string()
}

fn post(a: &str, target: &str, body: &str) -> Page {
    request(a, "POST", target, &FORM, body)
}

/// Three runs of `demo` with `loss` going 9, 3, 5 (and lr 0.1, 0.1, 0.2).
fn losses(env: &TestEnv) -> String {
    for (name, lr, script) in [
        ("a", "0.1", "echo loss=9; echo loss=3; echo loss=5"),
        ("b", "0.1", "echo loss=8; echo loss=1"),
        ("c", "0.2", "echo loss=7"),
    ] {
        env.mlf(&[
            "run",
            "-q",
            "-x",
            "demo",
            "-n",
            name,
            "-p",
            &format!("lr={lr}"),
            "--capture-metrics",
            "--",
            "sh",
            "-c",
            script,
        ])
        .ok();
    }
    support::runs(env)[0]["info"]["experiment_id"]
        .as_str()
        .unwrap()
        .to_string()
}

fn row_of<'a>(table: &'a str, name: &str) -> &'a str {
    let at = table.find(&format!(">{name}</a>")).expect(name);
    let end = table[at..].find("</tr>").unwrap();
    &table[at..at + end]
}

#[test]
fn runs_table_shows_min_or_max_of_metrics_and_groups_by_a_param() {
    let env = TestEnv::new();
    let exp = losses(&env);
    let ui = Ui::start(&env);
    let a = ui.addr.as_str();
    let last = get(a, &format!("/ui/experiments/{exp}?cols=loss")).text();
    assert!(row_of(&last, "a").contains(">5<"), "{last}");
    let min = get(a, &format!("/ui/experiments/{exp}?cols=loss&agg=min")).text();
    assert!(min.contains("loss (min)"), "{min}");
    assert!(row_of(&min, "a").contains(">3<") && row_of(&min, "b").contains(">1<"));
    let max = get(a, &format!("/ui/experiments/{exp}?cols=loss&agg=max")).text();
    assert!(row_of(&max, "a").contains(">9<") && row_of(&max, "b").contains(">8<"));
    assert!(max.contains("agg=max"), "links keep the view: {max}");

    let grouped = get(a, &format!("/ui/experiments/{exp}?group=lr")).text();
    let g1 = grouped.find("lr = 0.1 · 2 runs").expect(&grouped);
    let g2 = grouped.find("lr = 0.2 · 1 run ").expect(&grouped);
    let (ra, rc) = (
        grouped.find(">a</a>").unwrap(),
        grouped.find(">c</a>").unwrap(),
    );
    assert!(g1 < ra && ra < g2 && g2 < rc, "{grouped}");
}

#[test]
fn runs_and_models_are_edited_from_their_pages_with_the_cli_checks() {
    let env = TestEnv::new();
    let run = env.start_run(&["-n", "one"]);
    env.write("model/MLmodel", "flavors: {}\n");
    env.mlf(&["log", "artifact", "model", "--run", "one"]).ok();
    env.mlf(&["registry", "register", "runs:/one/model", "--name", "m"])
        .ok();
    env.mlf(&["registry", "alias", "m", "champion", "1"]).ok();
    let ui = Ui::start(&env);
    let a = ui.addr.as_str();
    let target = format!("/ui/runs/{run}");
    let t = token(&get(a, &target).text());

    assert_eq!(post(a, &target, "action=rename&name=two").status(), 403);
    let renamed = post(a, &target, &format!("action=rename&name=two&csrf={t}"));
    assert_eq!(renamed.status(), 303);
    let tagged = post(
        a,
        &target,
        &format!("action=tag&key=team&value=%3Cb%3Erisk&csrf={t}"),
    );
    assert_eq!(tagged.status(), 303);
    let shown = support::run_of(&env, &run);
    assert_eq!(shown["info"]["run_name"], "two");
    assert_eq!(support::tag(&shown, "team").as_deref(), Some("<b>risk"));
    assert!(get(a, &target).text().contains("&#60;b&#62;risk"));
    // The checks of the CLI: a bad key, a name too long, a tag that is not there.
    let bad = post(
        a,
        &target,
        &format!("action=tag&key=a%0Ab&value=1&csrf={t}"),
    );
    assert_eq!(bad.status(), 400, "{}", bad.text());
    let long = "x".repeat(300);
    assert_eq!(
        post(a, &target, &format!("action=rename&name={long}&csrf={t}")).status(),
        400
    );
    assert_eq!(
        post(a, &target, &format!("action=untag&key=nope&csrf={t}")).status(),
        404
    );
    assert_eq!(
        post(a, &target, &format!("action=untag&key=team&csrf={t}")).status(),
        303
    );
    let shown = support::run_of(&env, &run);
    assert_eq!(support::tag(&shown, "team"), None);
    assert_eq!(shown["info"]["run_name"], "two");

    let model = "/ui/models/m";
    assert_eq!(
        post(a, model, "action=describe&description=x").status(),
        403
    );
    for body in [
        "action=describe&description=churn%20scorer",
        "action=tag&key=team&value=risk",
        "action=tag&key=stage&value=beta",
        "action=untag&key=stage",
        "action=unalias&alias=champion",
    ] {
        let r = post(a, model, &format!("{body}&actor=carol&csrf={t}"));
        assert_eq!(r.status(), 303, "{body}: {}", r.text());
    }
    let show = env
        .mlf(&["registry", "show", "m", "--format", "json"])
        .ok()
        .stdout;
    assert!(
        show.contains("churn scorer") && show.contains("risk"),
        "{show}"
    );
    assert!(
        !show.contains("beta") && !show.contains("champion"),
        "{show}"
    );
    let page = get(a, model).text();
    assert!(
        page.contains("id=\"model-tags\"") && !page.contains("@champion"),
        "{page}"
    );
    let history = env.mlf(&["registry", "history", "m"]).ok().stdout;
    assert!(history.contains("carol"), "{history}");
}

#[test]
fn run_page_shows_source_family_system_metrics_and_model_signatures() {
    let env = TestEnv::new();
    let cwd = env.cwd();
    git(&cwd, &["init", "-q", "-b", "main"]);
    env.write("train.py", "lr = 0.1\n");
    git(&cwd, &["add", "."]);
    git(&cwd, &["commit", "-q", "-m", "one"]);
    env.write("train.py", "lr = 0.2 # <dirty>\n");
    env.mlf(&[
        "run",
        "-q",
        "-n",
        "parent",
        "--capture-metrics",
        "--",
        "sh",
        "-c",
        "echo loss=1; echo system/cpu_utilization_percentage=40",
    ])
    .ok();
    let parent = support::newest_run(&env, 1);
    env.mlf(&["run", "-q", "-n", EVIL, "--", "true"]).ok();
    let child = support::newest_run(&env, 2);
    env.mlf(&["log", "tag", "mlflow.parentRunId", &parent, "--run", &child])
        .ok();
    env.write(
        "model/MLmodel",
        "flavors:\n  python_function: {loader_module: m}\nsignature:\n  inputs: '[{\"type\": \"double\", \"name\": \"age\"}]'\n  outputs: '[{\"type\": \"tensor\", \"tensor-spec\": {\"dtype\": \"float32\", \"shape\": [-1, 2]}}]'\n",
    );
    env.write("report.html", "<h1>hi</h1><script>alert(3)</script>");
    env.mlf(&["log", "artifact", "model", "--run", &parent])
        .ok();
    env.mlf(&["log", "artifact", "report.html", "--run", &parent])
        .ok();
    let ui = Ui::start(&env);
    let a = ui.addr.as_str();

    let page = get(a, &format!("/ui/runs/{parent}")).text();
    let commit = git(&cwd, &["rev-parse", "HEAD"]);
    assert!(
        page.contains(&format!("<code id=\"commit\">{commit}</code>")),
        "{page}"
    );
    assert!(
        page.contains("id=\"patch\"") && page.contains("&#60;dirty&#62;"),
        "{page}"
    );
    assert!(
        page.contains("id=\"children\"") && page.contains("&#60;script&#62;"),
        "{page}"
    );
    let charts = page.split("id=\"system-charts\"").collect::<Vec<_>>();
    assert_eq!(charts.len(), 2, "a section of system metrics: {page}");
    assert!(charts[0].contains("data-key=\"loss\"") && !charts[0].contains("data-key=\"system/"));
    assert!(charts[1].contains("data-key=\"system/cpu_utilization_percentage\""));
    let child_page = get(a, &format!("/ui/runs/{child}")).text();
    assert!(
        child_page.contains("id=\"parent-run\">parent<"),
        "{child_page}"
    );

    let mlmodel = get(a, &format!("/ui/runs/{parent}/preview?path=model/MLmodel")).text();
    assert!(mlmodel.contains("id=\"signature-inputs\""), "{mlmodel}");
    assert!(mlmodel.contains("<td>age</td><td>double</td>"), "{mlmodel}");
    assert!(mlmodel.contains("float32 [-1, 2]") && mlmodel.contains("python_function"));
    let html = get(a, &format!("/ui/runs/{parent}/preview?path=report.html")).text();
    assert!(html.contains("<iframe sandbox src="), "{html}");
    let file = get(a, &format!("/ui/runs/{parent}/file?path=report.html"));
    assert!(
        file.header("content-security-policy")
            .unwrap()
            .starts_with("sandbox")
    );
}

#[test]
fn compare_draws_parallel_coordinates_and_a_scatter_of_any_two_columns() {
    let env = TestEnv::new();
    losses(&env);
    env.mlf(&[
        "run", "-q", "-x", "demo", "-n", EVIL, "-p", "lr=0.3", "--", "true",
    ])
    .ok();
    let ids = support::run_ids(&env);
    let ui = Ui::start(&env);
    let a = ui.addr.as_str();
    let runs = ids.join(",");
    let page = get(a, &format!("/ui/compare?runs={runs}")).text();
    assert!(
        page.contains("<svg class=\"plot-svg\" id=\"parallel\""),
        "{page}"
    );
    assert!(
        page.contains("<svg class=\"plot-svg\" id=\"scatter\""),
        "{page}"
    );
    assert!(
        !page.contains(EVIL) && page.contains("&lt;script&gt;alert(1)"),
        "{page}"
    );
    // Three runs have both lr and loss: three dots.
    let chosen = get(
        a,
        &format!("/ui/compare?runs={runs}&x=params.lr&y=metrics.loss"),
    )
    .text();
    let scatter = chosen.split("id=\"scatter\"").nth(1).unwrap();
    assert_eq!(scatter.matches("<circle").count(), 3, "{scatter}");
    assert!(
        chosen.contains("<option value=\"params.lr\" selected>"),
        "{chosen}"
    );
}

#[test]
fn registry_pages_show_the_registry_as_of_a_time() {
    let env = TestEnv::new();
    env.start_run(&["-n", "train"]);
    env.write(
        "model/MLmodel",
        "flavors: {}\nsignature:\n  inputs: '[{\"type\": \"string\", \"name\": \"<city>\"}]'\n",
    );
    env.mlf(&["log", "artifact", "model", "--run", "train"])
        .ok();
    env.mlf(&["registry", "register", "runs:/train/model", "--name", "m"])
        .ok();
    let before = support::run_of(&env, "train")["info"]["start_time"]
        .as_i64()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    env.mlf(&["registry", "promote", "m", "1", "--to", "Staging"])
        .ok();
    let ui = Ui::start(&env);
    let a = ui.addr.as_str();
    let now = get(a, "/ui/models/m/versions/1?at=99999999999999").text();
    assert!(
        now.contains("<td>&#60;city&#62;</td><td>string</td>"),
        "the version's signature: {now}"
    );
    assert!(
        now.contains("id=\"as-of-table\"") && now.contains("<th>Staging</th>"),
        "{now}"
    );
    let registered = support::sqlite(
        &env.store().join("mlf.db"),
        "SELECT MIN(time) FROM registry_events WHERE kind = 'register'",
    )
    .unwrap()
    .trim()
    .to_string();
    let then = get(a, &format!("/ui/models/m/versions/1?at={registered}")).text();
    assert!(
        then.contains("<th>None</th>") && !then.contains("<th>Staging</th>"),
        "{then}"
    );
    assert!(
        then.contains("class=\"later\""),
        "the promotion comes after: {then}"
    );
    let early = get(a, &format!("/ui/models/m?at={}", before - 60_000)).text();
    assert!(early.contains("did not exist at that time"), "{early}");
    let bad = get(a, "/ui/models/m?at=yesterday%3Cb%3E");
    assert_eq!(bad.status(), 200);
    assert!(bad.text().contains("id=\"as-of-error\"") && bad.text().contains("&#60;b&#62;"));
}

#[test]
fn a_long_series_is_down_sampled_by_step_keeping_its_spikes() {
    let env = TestEnv::new();
    let id = env.start_run(&[]);
    // 6,000 points: steps 0, 2, 4, ... with two timestamps at step 5000, a spike at step 7777
    // and a dip at step 9000; a NaN at step 100.
    let mut lines = String::new();
    for i in 0..5999 {
        let step = i * 2;
        let value = match step {
            7777 | 7778 => "1000".to_string(),
            9000 => "-1000".to_string(),
            100 => "\"NaN\"".to_string(),
            _ => format!("{}", (i % 7) as f64 / 10.0),
        };
        lines.push_str(&format!(
            "{{\"type\": \"metric\", \"key\": \"long\", \"value\": {value}, \"step\": {step}, \"timestamp\": {}}}\n",
            1_700_000_000_000_i64 + i
        ));
    }
    lines.push_str("{\"type\": \"metric\", \"key\": \"long\", \"value\": 0.5, \"step\": 5000, \"timestamp\": 1}\n");
    let file = env.write("long.jsonl", &lines);
    env.mlf(&["log", "batch", "--run", &id, "-f", file.to_str().unwrap()])
        .ok();
    let ui = Ui::start(&env);
    let a = ui.addr.as_str();
    let v: serde_json::Value =
        serde_json::from_str(&get(a, &format!("/ui/runs/{id}/metric?key=long")).text()).unwrap();
    assert_eq!(v["total"], 6000);
    assert_eq!(v["sampled"], true);
    let xs: Vec<f64> = v["x"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    let ys: Vec<Option<f64>> = v["y"]
        .as_array()
        .unwrap()
        .iter()
        .map(|y| y.as_f64())
        .collect();
    assert_eq!(v["shown"].as_u64().unwrap() as usize, xs.len());
    assert!(
        xs.len() <= 2000 && xs.len() >= 1000,
        "{} points drawn",
        xs.len()
    );
    assert!(xs.windows(2).all(|w| w[0] <= w[1]), "x in step order");
    assert!(xs.first() == Some(&0.0) && xs.last() == Some(&11996.0));
    assert!(
        ys.contains(&Some(1000.0)) && ys.contains(&Some(-1000.0)),
        "{v}"
    );
    // The wall-clock axis keeps every point's extremes too.
    let wall: serde_json::Value =
        serde_json::from_str(&get(a, &format!("/ui/runs/{id}/metric?key=long&x=wall")).text())
            .unwrap();
    assert_eq!(wall["total"], 6000);
    assert!(
        wall["y"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!(1000.0))
    );
}
