"""Writes small, deterministic model fixtures for mlf's model tests.

Run through scripts/make-model-fixtures.sh, which installs the pinned packages:

    python scripts/make_model_fixtures.py fixtures/models

Writes into the given directory:
  sklearn_logreg/          mlflow.sklearn.save_model of a LogisticRegression (column signature)
  onnx_<name>/model.onnx   skl2onnx conversions (logreg, forest, gbr, linear_std)
  onnx_<name>_mlflow/      mlflow.onnx.save_model of the same ONNX model
  inputs.json              the test rows: {"columns": [...], "data": [[...], ...]}
  expected.json            onnxruntime outputs per ONNX model, sklearn outputs for sklearn_logreg

trees/ is written by make_tree_fixtures.py.
"""

import json
import os
import random
import shutil
import sys
import traceback

import numpy as np
import pandas as pd

SEED = 0
N_ROWS = 200
COLUMNS = ["f0", "f1", "f2", "f3"]
TARGET_OPSET = {"": 17, "ai.onnx.ml": 3}

random.seed(SEED)
np.random.seed(SEED)


def q(values, step=1.0 / 64):
    """Rounds to a multiple of `step` so that every value is exact in float32 and in JSON."""
    return np.round(np.asarray(values, dtype=np.float64) / step) * step


def make_data():
    from sklearn.datasets import make_classification, make_regression

    Xc, yc = make_classification(
        n_samples=N_ROWS,
        n_features=4,
        n_informative=3,
        n_redundant=1,
        n_classes=3,
        n_clusters_per_class=1,
        random_state=SEED,
    )
    Xr, yr = make_regression(
        n_samples=N_ROWS, n_features=4, n_informative=4, noise=0.5, random_state=SEED
    )
    # Train on float32-representable inputs so ONNX (float32) and sklearn see the same values.
    Xc = q(Xc, 1.0 / 1024)
    Xr = q(Xr, 1.0 / 1024)
    yr = np.round(yr, 3)
    return pd.DataFrame(Xc, columns=COLUMNS), yc, pd.DataFrame(Xr, columns=COLUMNS), yr


def make_inputs(Xc, Xr):
    rows = [
        *q(Xc.iloc[:3].to_numpy()).tolist(),
        *q(Xr.iloc[:2].to_numpy()).tolist(),
        [-1.5, -0.25, -2.0, -0.75],  # all negative
        [0.0, 0.0, 0.0, 0.0],  # zeros
    ]
    arr = np.asarray(rows, dtype=np.float64)
    assert np.array_equal(arr.astype(np.float32).astype(np.float64), arr)
    return arr


def to_jsonable(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    if isinstance(value, list):
        return [to_jsonable(v) for v in value]
    return value


def dumps(value, indent=0):
    """JSON with one line per row: lists of scalars stay on one line, objects are indented."""
    pad = "  " * indent
    if isinstance(value, dict) and value:
        items = [f'{pad}  {json.dumps(k)}: {dumps(v, indent + 1)}' for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list) and any(isinstance(v, (list, dict)) for v in value):
        items = [f"{pad}  {dumps(v, indent + 1)}" for v in value]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    return json.dumps(value)


def run_onnx(path, x32):
    """Runs onnxruntime; returns {output name: nested lists}, ZipMaps as lists ordered by label."""
    import onnxruntime as ort

    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    results = sess.run(None, {sess.get_inputs()[0].name: x32})
    out = {}
    for name, value in zip(names, results):
        if isinstance(value, list) and value and isinstance(value[0], dict):
            labels = sorted(value[0].keys())
            out[name] = [[float(row[k]) for k in labels] for row in value]
            out[name + "_labels"] = [to_jsonable(k) for k in labels]
        else:
            out[name] = to_jsonable(np.asarray(value))
    return out


def describe_onnx(name, path):
    import onnx

    m = onnx.load(path)

    def shape(vi):
        t = vi.type
        if t.HasField("tensor_type"):
            dims = [d.dim_param or (d.dim_value if d.HasField("dim_value") else "?") for d in t.tensor_type.shape.dim]
            elem = onnx.helper.tensor_dtype_to_np_dtype(t.tensor_type.elem_type)
            return f"tensor({elem})[{', '.join(str(d) for d in dims)}]"
        if t.HasField("sequence_type"):
            return "seq(" + str(t.sequence_type.elem_type).replace("\n", " ").strip() + ")"
        return str(t).replace("\n", " ")

    ops = [f"{n.domain or 'ai.onnx'}:{n.op_type}" for n in m.graph.node]
    print(f"== {name}: {path} ({os.path.getsize(path)} bytes)")
    print("   ir_version:", m.ir_version, " producer:", m.producer_name, m.producer_version)
    print("   opsets:", ", ".join(f"{o.domain or 'ai.onnx'}={o.version}" for o in m.opset_import))
    print("   ops:", ", ".join(ops))
    for vi in m.graph.input:
        print("   input: ", vi.name, shape(vi))
    for vi in m.graph.output:
        print("   output:", vi.name, shape(vi))
    return ops


def save_mlflow_onnx(onnx_model, path, problems):
    try:
        import mlflow.onnx

        mlflow.onnx.save_model(onnx_model, path)
    except Exception as e:  # noqa: BLE001 - report and go on
        shutil.rmtree(path, ignore_errors=True)
        problems.append(f"mlflow.onnx.save_model({path}) failed: {e!r}")
        traceback.print_exc()


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "fixtures/models"
    os.makedirs(out_dir, exist_ok=True)

    import mlflow
    import mlflow.sklearn
    from mlflow.models import infer_signature
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import FloatTensorType
    from sklearn.ensemble import GradientBoostingRegressor, RandomForestClassifier
    from sklearn.linear_model import LinearRegression, LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    problems = []
    Xc, yc, Xr, yr = make_data()
    X = make_inputs(Xc, Xr)
    X32 = X.astype(np.float32)
    X_df = pd.DataFrame(X, columns=COLUMNS)

    with open(os.path.join(out_dir, "inputs.json"), "w") as f:
        f.write(dumps({"columns": COLUMNS, "data": X.tolist()}) + "\n")

    expected = {}

    # sklearn flavor, saved by MLflow with a column-based signature.
    logreg = LogisticRegression(max_iter=1000, random_state=SEED).fit(Xc, yc)
    sk_path = os.path.join(out_dir, "sklearn_logreg")
    shutil.rmtree(sk_path, ignore_errors=True)
    signature = infer_signature(Xc, logreg.predict(Xc))
    mlflow.sklearn.save_model(logreg, sk_path, signature=signature, input_example=Xc.head(3))
    expected["sklearn_logreg"] = {
        "predict": to_jsonable(logreg.predict(X_df)),
        "predict_proba": to_jsonable(logreg.predict_proba(X_df)),
        "classes": to_jsonable(logreg.classes_),
    }

    models = {
        "logreg": LogisticRegression(max_iter=1000, random_state=SEED).fit(Xc, yc),
        "forest": RandomForestClassifier(n_estimators=5, max_depth=3, random_state=SEED).fit(Xc, yc),
        "gbr": GradientBoostingRegressor(n_estimators=10, max_depth=3, random_state=SEED).fit(Xr, yr),
        "linear_std": Pipeline([("scaler", StandardScaler()), ("linear", LinearRegression())]).fit(Xr, yr),
    }

    summary = {}
    for name, model in models.items():
        onnx_model = to_onnx(
            model,
            initial_types=[("input", FloatTensorType([None, 4]))],
            target_opset=TARGET_OPSET,
        )
        onnx_dir = os.path.join(out_dir, f"onnx_{name}")
        shutil.rmtree(onnx_dir, ignore_errors=True)
        os.makedirs(onnx_dir)
        onnx_path = os.path.join(onnx_dir, "model.onnx")
        with open(onnx_path, "wb") as f:
            f.write(onnx_model.SerializeToString())

        summary[name] = describe_onnx(f"onnx_{name}", onnx_path)
        expected[f"onnx_{name}"] = run_onnx(onnx_path, X32)

        mlflow_dir = os.path.join(out_dir, f"onnx_{name}_mlflow")
        shutil.rmtree(mlflow_dir, ignore_errors=True)
        save_mlflow_onnx(onnx_model, mlflow_dir, problems)

    with open(os.path.join(out_dir, "expected.json"), "w") as f:
        f.write(dumps(expected) + "\n")

    print()
    print("files:")
    total = 0
    for root, dirs, files in os.walk(out_dir):
        dirs.sort()
        for fn in sorted(files):
            p = os.path.join(root, fn)
            size = os.path.getsize(p)
            total += size
            print(f"  {size:8d}  {p}")
    print(f"  {total:8d}  total")

    import importlib.metadata as md

    print()
    print("versions:", ", ".join(
        f"{p}=={md.version(p)}"
        for p in ["scikit-learn", "skl2onnx", "onnx", "onnxruntime", "mlflow", "numpy", "pandas", "skops"]
    ))
    if problems:
        print()
        print("problems:")
        for p in problems:
            print("  " + p)


if __name__ == "__main__":
    main()
