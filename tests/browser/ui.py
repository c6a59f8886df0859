"""Browser tests of mlf's web UI: Playwright for Python driving Debian's chromium.

    target/browser-venv/bin/python tests/browser/ui.py [path/to/mlf]

Builds a store with the mlf binary (default target/debug/mlf), starts `mlf ui --port 0` on it,
and clicks through experiment -> runs table (filter, sort, paging) -> run page (charts, logs,
artifact preview) -> compare -> registry (request a protected stage, approve, promote,
history). Checks that no page logs a console error (a CSP violation is one), that a run named
<script>alert(1)</script> renders as text and opens no dialog, and saves a screenshot of every
page under target/browser-screenshots/. Exits non-zero on the first failure.

The browser is /usr/bin/chromium (apt package `chromium`, or CHROMIUM=path); Playwright
downloads nothing. scripts/browser-python-env.sh makes the virtualenv.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
MLF = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else ROOT / "target/debug/mlf"
SHOTS = ROOT / "target/browser-screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
EVIL = "<script>alert(1)</script>"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def mlf(work, *args, stdin=None):
    env = dict(os.environ, MLF_STORE=str(work / ".mlf"), NO_COLOR="1")
    env.pop("RUST_BACKTRACE", None)
    out = subprocess.run(
        [str(MLF), *args], cwd=work, env=env, input=stdin, capture_output=True, text=True
    )
    if out.returncode != 0:
        raise SystemExit(f"mlf {' '.join(args)} failed:\n{out.stdout}{out.stderr}")
    return out.stdout


def build_store(work):
    mlf(work, "init")
    for i in range(1, 4):
        script = f"for s in 1 2 3 4 5; do echo loss=$((20 - s * {i})); done; echo step done"
        mlf(work, "run", "-q", "-x", "demo", "-n", f"train{i}", "-p", f"lr=0.{i}",
            "-p", "opt=adam", "--capture-metrics", "--", "sh", "-c", script)
    mlf(work, "run", "-q", "-x", "demo", "-n", EVIL, "-p", "lr=0.9", "--", "sh", "-c",
        "echo '<img src=x onerror=alert(2)>'")
    (work / "table.csv").write_text("epoch,acc\n1,0.5\n2,0.7\n")
    mlf(work, "log", "artifact", "table.csv", "--run", EVIL)
    # A long series: the chart draws it down-sampled, and says so.
    lines = "\n".join(
        json.dumps({"type": "metric", "key": "noise", "value": (i * 7919) % 1000 / 10.0, "step": i})
        for i in range(6000)
    )
    mlf(work, "log", "batch", "--run", "train3", "-f", "-", "--input-format", "jsonl", stdin=lines)
    # System metrics are charted apart.
    mlf(work, "log", "metric", "system/cpu_utilization_percentage", "42", "--run", "train3")
    # Enough runs for a second page of the table (100 a page).
    for i in range(100):
        mlf(work, "run", "-q", "-x", "demo", "-n", f"sweep{i:03}", "-p", f"lr=0.0{i % 10}", "--", "true")
    # A registered model whose Production stage needs an approved request.
    (work / "model").mkdir()
    (work / "model/MLmodel").write_text(
        "flavors:\n  python_function: {loader_module: m}\nsignature:\n"
        "  inputs: '[{\"type\": \"double\", \"name\": \"age\"}]'\n"
        "  outputs: '[{\"type\": \"long\"}]'\n"
    )
    mlf(work, "log", "artifact", "model", "--run", "train1")
    mlf(work, "registry", "register", "runs:/train1/model", "--name", "churn")
    (work / ".mlf/config.toml").write_text(
        '[registry]\nprotected_stages = ["Production"]\nallow_self_approval = false\n'
    )
    runs = json.loads(mlf(work, "runs", "list", "-x", "demo", "--format", "json", "-n", "1000"))
    return runs["runs"][0]["info"]["experiment_id"]


def start_ui(work):
    env = dict(os.environ, MLF_STORE=str(work / ".mlf"), NO_COLOR="1")
    proc = subprocess.Popen([str(MLF), "ui", "--port", "0"], cwd=work, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    found = {}
    ready = threading.Event()

    def read():
        for line in proc.stderr:
            m = re.search(r"http://([0-9.:]+)/", line)
            if m and not ready.is_set():
                found["addr"] = m.group(1)
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    if not ready.wait(60):
        proc.kill()
        raise SystemExit("mlf ui did not start")
    return proc, "http://" + found["addr"]


class Checks:
    def __init__(self):
        self.errors = []
        self.dialogs = []

    def watch(self, page):
        page.on("console", lambda m: m.type == "error" and self.errors.append(f"{page.url}: {m.text}"))
        page.on("pageerror", lambda e: self.errors.append(f"{page.url}: {e}"))
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    print(f"  screenshot target/browser-screenshots/{name}.png")


def step(name):
    print(f"- {name}")


def main():
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"no chromium at {CHROMIUM}: apt-get install chromium")
    if SHOTS.exists():
        shutil.rmtree(SHOTS)
    work = Path(tempfile.mkdtemp(prefix="mlf-browser-"))
    exp = build_store(work)
    proc, base = start_ui(work)
    checks = Checks()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
            page = browser.new_page(viewport={"width": 1300, "height": 900})
            checks.watch(page)

            step("home, and MLflow's hash link to the experiment")
            page.goto(base + "/")
            expect(page.locator("#experiments")).to_contain_text("demo")
            shot(page, "01-home")
            page.goto(f"{base}/#/experiments/{exp}")
            page.wait_for_url(f"**/ui/experiments/{exp}")

            step("runs table: the first page of 100, then the next")
            rows = page.locator("table.runs tbody tr")
            expect(rows).to_have_count(100)
            shot(page, "02-runs")
            page.click("#next-page")
            expect(page.locator(".pager")).to_contain_text("Page 2")
            expect(rows).to_have_count(4)
            expect(page.get_by_text(EVIL, exact=True)).to_have_count(1)
            shot(page, "03-runs-page-2")

            step("filter: a bad one answers inline, a good one narrows the table")
            page.fill("#filter", "metrics.loss <")
            page.press("#filter", "Enter")
            expect(page.locator("#filter-error")).to_contain_text("column")
            shot(page, "04-filter-error")
            page.fill("#filter", "metrics.loss < 15")
            page.press("#filter", "Enter")
            expect(rows).to_have_count(2)
            expect(page.locator("#filter-error")).to_have_count(0)

            step("sort by a metric")
            page.fill("#filter", "params.opt = 'adam'")
            page.press("#filter", "Enter")
            expect(rows).to_have_count(3)
            page.locator("thead a", has_text="loss").click()
            expect(page.locator("thead th", has_text="loss")).to_contain_text("▼")
            expect(rows.nth(0)).to_contain_text("train1")
            page.locator("thead a", has_text="loss").click()
            expect(page.locator("thead th", has_text="loss")).to_contain_text("▲")
            expect(rows.nth(0)).to_contain_text("train3")
            shot(page, "05-sorted")

            step("column chooser and only-changed")
            page.fill("#cols", "params.*")
            page.check("#changed")
            page.press("#filter", "Enter")
            head = page.locator("table.runs thead")
            expect(head).to_contain_text("lr (param)")
            expect(head).not_to_contain_text("opt (param)")
            expect(head).not_to_contain_text("loss")
            shot(page, "05b-columns")

            step("metrics as min, grouped by a param")
            page.select_option("#agg", "min")
            page.fill("#group", "lr")
            page.fill("#cols", "")
            page.press("#filter", "Enter")
            expect(head).to_contain_text("loss (min)")
            expect(page.locator("tr.group-head")).to_have_count(3)
            expect(page.locator("tr.group-head").first).to_contain_text("lr = 0.1")
            shot(page, "05c-grouped")
            page.select_option("#agg", "last")
            page.fill("#group", "")
            page.uncheck("#changed")
            page.press("#filter", "Enter")
            expect(page.locator("tr.group-head")).to_have_count(0)

            step("run page: charts, down-sampling said, logs")
            page.click("text=train3")
            page.wait_for_url("**/ui/runs/**")
            charts = page.locator("figure.chart[data-drawn='1']")
            expect(charts).to_have_count(3)
            expect(page.locator("#charts figure.chart canvas")).to_have_count(2)
            expect(page.locator("figure.chart[data-key='noise'] .note")).to_contain_text("Down-sampled")
            expect(page.locator("#stdout")).to_contain_text("step done")
            page.check("input[name='x-axis'][value='wall']")
            expect(page.locator("figure.chart[data-drawn='1']")).to_have_count(3)
            expect(page.locator("#system-charts figure.chart canvas")).to_have_count(1)
            shot(page, "06-run")

            step("the run named <script>alert(1)</script>: text, logs and a CSV preview")
            page.go_back()
            page.go_back()
            page.goto(f"{base}/ui/experiments/{exp}?filter=params.lr%20%3D%20%270.9%27")
            page.get_by_text(EVIL, exact=True).click()
            page.wait_for_url("**/ui/runs/**")
            expect(page.locator("#run-name")).to_have_text(EVIL)
            evil_id = page.url.rstrip("/").rsplit("/", 1)[1]
            expect(page.locator("#stdout")).to_contain_text("<img src=x onerror=alert(2)>")
            page.click("#artifact-list >> text=table.csv")
            expect(page.locator("#preview table.csv td").first).to_have_text("epoch")
            shot(page, "07-run-evil")

            step("a run renamed and tagged from its page")
            page.goto(f"{base}/ui/experiments/{exp}?filter=attributes.run_name%20%3D%20%27sweep000%27")
            page.click("text=sweep000")
            page.wait_for_url("**/ui/runs/**")
            page.fill("#rename-run input[name=name]", "sweep-zero")
            page.click("#rename-run button[value=rename]")
            expect(page.locator("#run-name")).to_have_text("sweep-zero")
            page.fill("#set-tag input[name=key]", "team")
            page.fill("#set-tag input[name=value]", "<b>risk</b>")
            page.click("#set-tag button")
            expect(page.locator("#tags")).to_contain_text("<b>risk</b>")
            shot(page, "07b-run-edited")
            page.locator("#tags tr", has_text="team").locator("button").click()
            expect(page.locator("#tags")).not_to_contain_text("risk")

            step("MLmodel preview with its signature")
            page.goto(f"{base}/ui/experiments/{exp}?filter=attributes.run_name%20%3D%20%27train1%27")
            page.click("text=train1")
            page.click("#artifact-list >> text=model/MLmodel")
            expect(page.locator("#signature-inputs")).to_contain_text("age")
            expect(page.locator("#signature-inputs")).to_contain_text("double")
            shot(page, "07c-mlmodel")

            step("compare two runs")
            page.goto(f"{base}/ui/experiments/{exp}?filter=params.opt%20%3D%20%27adam%27")
            boxes = page.locator("table.runs tbody input[type=checkbox]")
            boxes.nth(0).check()
            boxes.nth(1).check()
            page.click("#compare")
            page.wait_for_url("**/ui/compare?**")
            expect(page.locator("tr.differs").first).to_be_visible()
            expect(page.locator("figure.chart[data-drawn='1']").first).to_be_visible()
            expect(page.locator("svg#parallel path.line")).to_have_count(2)
            expect(page.locator("svg#scatter circle")).to_have_count(2)
            page.select_option("#plot-x", "params.lr")
            page.select_option("#plot-y", "metrics.noise")
            page.click("#plot-go")
            expect(page.locator("#plot-y")).to_have_value("metrics.noise")
            expect(page.locator("svg#scatter circle")).to_have_count(1)
            shot(page, "08-compare")

            step("registry: request Production, approve as another user, promote, history")
            page.goto(base + "/ui/models")
            page.click("text=churn")
            page.click("text=Version 1")
            expect(page.locator("#signature-inputs")).to_contain_text("age")
            form = page.locator("#stage-form")
            form.locator("select[name=stage]").select_option("Production")
            form.locator("input[name=actor]").fill("alice")
            form.locator("#move").click()
            expect(page.locator("#error")).to_contain_text("rotected")
            form = page.locator("#stage-form")
            form.locator("select[name=stage]").select_option("Production")
            form.locator("input[name=actor]").fill("alice")
            form.locator("#request").click()
            expect(page.locator("#message")).to_contain_text("Requested Production")
            decide = page.locator("form.decide").first
            decide.locator("input[name=actor]").fill("bob")
            decide.locator("button.approve").click()
            expect(page.locator("#message")).to_contain_text("approved")
            form = page.locator("#stage-form")
            form.locator("select[name=stage]").select_option("Production")
            form.locator("input[name=actor]").fill("bob")
            form.locator("#move").click()
            expect(page.locator("#stage")).to_have_text("Production")
            expect(page.locator("#history")).to_contain_text("alice")
            shot(page, "09-version")
            page.fill("#as-of input[name=at]", "2000-01-01")
            page.click("#as-of-go")
            expect(page.locator("#as-of")).to_contain_text("did not exist at that time")
            expect(page.locator("#history li.later").first).to_be_visible()
            shot(page, "09b-version-as-of")
            page.goto(base + "/ui/models/churn")
            expect(page.locator("#model")).to_contain_text("Production")
            page.fill("#model-tag input[name=key]", "team")
            page.fill("#model-tag input[name=value]", "risk")
            page.click("#model-tag button")
            expect(page.locator("#model-tags")).to_contain_text("risk")
            page.fill("#model-describe input[name=description]", "churn scorer")
            page.click("#model-describe button")
            expect(page.locator("#description")).to_have_text("churn scorer")
            shot(page, "10-model")
            page.goto(base + "/ui/models")
            shot(page, "11-models")

            step("the mlflow client's 'View run at' link")
            page.goto(f"{base}/#/experiments/{exp}/runs/{evil_id}")
            page.wait_for_url(f"**/ui/runs/{evil_id}")
            expect(page.locator("#run-name")).to_have_text(EVIL)

            step("charts: log scale and smoothing redraw without errors")
            page.goto(f"{base}/ui/experiments/{exp}?filter=params.opt%20%3D%20%27adam%27")
            page.click("text=train2")
            page.check("#log-y")
            page.select_option("#smoothing", "0.6")
            expect(page.locator("figure.chart[data-drawn='1']")).to_have_count(1)

            step("MLflow's hash link to a model version")
            page.goto(base + "/#/models/churn/versions/1")
            page.wait_for_url("**/ui/models/churn/versions/1")
            browser.close()
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(work, ignore_errors=True)
    if checks.dialogs:
        raise SystemExit(f"a page opened a dialog (script ran): {checks.dialogs}")
    if checks.errors:
        raise SystemExit("console errors:\n" + "\n".join(checks.errors))
    print("browser tests passed")


if __name__ == "__main__":
    main()
