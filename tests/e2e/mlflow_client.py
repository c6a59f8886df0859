"""Drives `mlf server` with the real mlflow client; prints one JSON line of results.

Usage: python mlflow_client.py TRACKING_URI WORKDIR
"""
import json
import os
import sys

uri, work = sys.argv[1], sys.argv[2]
os.environ["MLFLOW_TRACKING_URI"] = uri
os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")

import mlflow
from mlflow import MlflowClient
import numpy as np
from sklearn.linear_model import LogisticRegression

out = {}
client = MlflowClient()

exp = mlflow.set_experiment("e2e")
out["experiment_id"] = exp.experiment_id

with mlflow.start_run(run_name="train") as run:
    rid = run.info.run_id
    mlflow.log_param("alpha", 0.5)
    mlflow.log_params({"depth": 3, "opt": "adam"})
    for step in range(5):
        mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
    mlflow.log_metrics({"acc": 0.9, "f1": 0.8})
    client.log_batch(rid, metrics=[mlflow.entities.Metric("rmse", 0.25, 0, 0)],
                     params=[mlflow.entities.Param("batch", "32")],
                     tags=[mlflow.entities.RunTag("team", "vision")])
    mlflow.set_tag("stage", "dev")
    path = os.path.join(work, "notes.txt")
    with open(path, "w") as f:
        f.write("hello\n")
    mlflow.log_artifact(path, "docs")
    d = os.path.join(work, "dir")
    os.makedirs(os.path.join(d, "sub"), exist_ok=True)
    with open(os.path.join(d, "a.txt"), "w") as f:
        f.write("a")
    with open(os.path.join(d, "sub", "b.txt"), "w") as f:
        f.write("b")
    mlflow.log_artifacts(d, "tree")
    X = np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.2], [0.9, 0.8]])
    y = np.array([0, 1, 0, 1])
    model = LogisticRegression().fit(X, y)
    info = mlflow.sklearn.log_model(model, name="model")
    out["model_uri"] = info.model_uri
out["run_id"] = rid

try:
    with mlflow.start_run(run_name="broken"):
        raise RuntimeError("boom")
except RuntimeError:
    pass

runs = mlflow.search_runs(experiment_ids=[exp.experiment_id], filter_string="metrics.acc > 0.5 and params.alpha = '0.5'",
                          order_by=["metrics.acc DESC"], output_format="list")
out["search"] = [r.info.run_name for r in runs]
out["statuses"] = sorted(r.info.status for r in mlflow.search_runs(experiment_ids=[exp.experiment_id], output_format="list"))
out["history"] = [(m.step, m.value) for m in client.get_metric_history(rid, "loss")]
out["experiments"] = sorted(e.name for e in client.search_experiments())
out["artifacts"] = sorted(a.path for a in client.list_artifacts(rid, "tree"))

mv = mlflow.register_model(f"runs:/{rid}/model", "e2e-model")
out["version"] = mv.version
client.transition_model_version_stage("e2e-model", mv.version, "Staging")
client.set_registered_model_alias("e2e-model", "champion", mv.version)
out["alias_version"] = client.get_model_version_by_alias("e2e-model", "champion").version
out["stage"] = client.get_model_version("e2e-model", mv.version).current_stage
loaded = mlflow.pyfunc.load_model("models:/e2e-model@champion")
out["predictions"] = [int(v) for v in loaded.predict(X)]
out["sklearn"] = [int(v) for v in model.predict(X)]
print(json.dumps(out))
