"""Logs a small but varied history with the real MLflow client into a tracking store, then
writes what MLflow's client reads back as JSON, for `mlf import mlflow` to be compared with.

    python scripts/make_mlflow_store.py TRACKING_URI ARTIFACT_ROOT OUT.json

TRACKING_URI is `sqlite:///…/mlflow.db`, a `file:` path to an mlruns directory, or the URL of
a running `mlflow server` (artifacts then go through its proxy; ARTIFACT_ROOT is unused). Runs have
params, tags, metric histories with repeated steps, NaN and infinities, artifacts in folders,
a deleted run, a deleted experiment, a nested run, registered models with versions, stages,
aliases, tags and descriptions, and a logged model. OUT.json holds, per run: its info, params,
tags, every point of every metric history, and the sha256 of every artifact file.
"""

import hashlib
import json
import math
import os
import sys
import tempfile

import mlflow
from mlflow import MlflowClient

uri, artifact_root, out = sys.argv[1], sys.argv[2], sys.argv[3]
mlflow.set_tracking_uri(uri)
client = MlflowClient(uri)


def experiment(name):
    if uri.startswith("http"):
        # Through the server's artifact proxy.
        return client.create_experiment(name)
    return client.create_experiment(name, artifact_location=os.path.join(artifact_root, name))


exp_a = experiment("alpha")
exp_b = experiment("beta")
exp_gone = experiment("gone")

scratch = tempfile.mkdtemp()
with open(os.path.join(scratch, "notes.txt"), "w") as f:
    f.write("hello from mlflow\n")
os.makedirs(os.path.join(scratch, "plots"), exist_ok=True)
with open(os.path.join(scratch, "plots", "curve.bin"), "wb") as f:
    f.write(bytes(range(256)) * 40)

run_ids = []
for i in range(3):
    with mlflow.start_run(experiment_id=exp_a, run_name=f"train-{i}") as run:
        mlflow.log_params({"lr": 0.1 * (i + 1), "depth": i + 2, "optimizer": "adam"})
        mlflow.set_tags({"team": "vision", "attempt": str(i)})
        for step in range(20):
            mlflow.log_metric("loss", 1.0 / (step + 1 + i), step=step)
            mlflow.log_metric("acc", step / 20.0, step=step)
        # Same step twice, special values.
        mlflow.log_metric("loss", 0.01, step=19)
        mlflow.log_metric("odd", float("nan"), step=0)
        mlflow.log_metric("odd", math.inf, step=1)
        mlflow.log_metric("odd", -math.inf, step=2)
        mlflow.log_artifact(os.path.join(scratch, "notes.txt"))
        mlflow.log_artifacts(os.path.join(scratch, "plots"), artifact_path="plots")
        run_ids.append(run.info.run_id)
        if i == 0:
            with mlflow.start_run(run_name="child", nested=True) as child:
                mlflow.log_metric("inner", 3.5)
                run_ids.append(child.info.run_id)

with mlflow.start_run(experiment_id=exp_b, run_name="failed-one") as run:
    mlflow.log_param("x", "1")
    run_ids.append(run.info.run_id)
client.set_terminated(run_ids[-1], status="FAILED")

with mlflow.start_run(experiment_id=exp_b, run_name="deleted-one") as run:
    mlflow.log_metric("m", 1.0)
    run_ids.append(run.info.run_id)
client.delete_run(run_ids[-1])

with mlflow.start_run(experiment_id=exp_gone, run_name="in-gone") as run:
    mlflow.log_param("p", "v")
    run_ids.append(run.info.run_id)
client.delete_experiment(exp_gone)

# The registry: a model with two versions from runs, stages, an alias, tags, descriptions.
client.create_registered_model("classifier", tags={"owner": "ml"}, description="the classifier")
v1 = client.create_model_version("classifier", f"runs:/{run_ids[0]}/plots", run_id=run_ids[0])
v2 = client.create_model_version("classifier", f"runs:/{run_ids[2]}/plots", run_id=run_ids[2],
                                 description="second")
client.transition_model_version_stage("classifier", v1.version, "Production")
client.set_registered_model_alias("classifier", "champion", v2.version)
client.set_model_version_tag("classifier", v2.version, "validated", "yes")

# A logged model (MLflow 3).
lm = client.create_logged_model(experiment_id=exp_a, name="lm", source_run_id=run_ids[0],
                                params={"k": "v"}, tags={"t": "1"})
weights = os.path.join(tempfile.mkdtemp(), "weights.txt")
with open(weights, "w") as f:
    f.write("w = 0.5\n")
client.log_model_artifact(lm.model_id, weights)


def sha(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def artifacts(run_id, path=None):
    out = {}
    for f in client.list_artifacts(run_id, path):
        if f.is_dir:
            out.update(artifacts(run_id, f.path))
        else:
            local = client.download_artifacts(run_id, f.path, dst_path=tempfile.mkdtemp())
            out[f.path] = sha(local)
    return out


def num(v):
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return v


runs = []
for rid in run_ids:
    r = client.get_run(rid)
    histories = {}
    for key in r.data.metrics:
        points = client.get_metric_history(rid, key)
        histories[key] = sorted([p.step, p.timestamp, num(p.value)] for p in points)
    runs.append({
        "run_id": rid,
        "experiment_id": r.info.experiment_id,
        "run_name": r.info.run_name,
        "status": r.info.status,
        "start_time": r.info.start_time,
        "end_time": r.info.end_time,
        "lifecycle_stage": r.info.lifecycle_stage,
        "params": r.data.params,
        "tags": r.data.tags,
        "metrics": histories,
        "artifacts": artifacts(rid) if r.info.lifecycle_stage == "active" else {},
    })

exps = [{"experiment_id": e.experiment_id, "name": e.name, "lifecycle_stage": e.lifecycle_stage,
         "creation_time": e.creation_time}
        for e in client.search_experiments(view_type=mlflow.entities.ViewType.ALL)]
versions = [{"name": v.name, "version": v.version, "current_stage": v.current_stage,
             "run_id": v.run_id, "description": v.description, "tags": v.tags,
             "creation_timestamp": v.creation_timestamp}
            for v in client.search_model_versions("name = 'classifier'")]
model = client.get_registered_model("classifier")
json.dump({
    "experiments": exps,
    "runs": runs,
    "versions": versions,
    "model": {"name": model.name, "description": model.description, "tags": model.tags,
              "aliases": model.aliases},
    "logged_model": lm.model_id,
}, open(out, "w"), indent=1, sort_keys=True)
