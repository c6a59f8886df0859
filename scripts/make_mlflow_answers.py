"""Writes models saved by MLflow 3.17.2's own flavors, and the answers `mlflow models serve`
gives for a set of requests to each, for tests/cli/models_mlflow.rs.

Run through scripts/make-mlflow-answers.sh (it uses target/e2e-venv, made by
scripts/e2e-python-env.sh: mlflow 3.17.2, scikit-learn 1.9.1, pandas, pyarrow):

    python scripts/make_mlflow_answers.py fixtures/models/mlflow
    python scripts/make_mlflow_answers.py fixtures/models/mlflow onnx_int   # only these models,
                                                  # their answers replaced in answers.json

Writes into the given directory:
  typehint/      a PythonModel with type hints (`list[str] -> list[str]`)
  pipeline/      a ColumnTransformer pipeline over a string (zip), an int and a bool column
  series/        a PythonModel returning a pandas Series
  frame/         a PythonModel returning a DataFrame (unsorted columns, NaN, long floats)
  nosig/         a scikit-learn model saved without a signature (MLflow's wine example)
  onnx_two/      an ONNX model with two float inputs (mlflow.onnx), which mlf's runtime
                 cannot run: mlf serves it through its python_function flavor
  onnx_str/      an ONNX model with a string input (mlflow.onnx), likewise
  onnx_zipmap/   fixtures/models/onnx_logreg's classifier (skl2onnx: a label and a ZipMap of
                 probabilities) saved by mlflow.onnx, which mlf runs natively
  onnx_int/      an ONNX model with one int64 input and an int64 and a float output
  answers.json   per request: model, content type, body (text, or base64 for parquet) and
                 the status, content type and body `mlflow models serve` answered
"""

import base64
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import numpy as np
import pandas as pd

import mlflow
import mlflow.pyfunc
import mlflow.sklearn
from mlflow.models import infer_signature

OUT = sys.argv[1]


class Shout(mlflow.pyfunc.PythonModel):
    def predict(self, model_input: list[str]) -> list[str]:
        return [s.upper() + "!" for s in model_input]


class Lengths(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input):
        return model_input["text"].str.len().rename("length")


class Stats(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input):
        x = model_input["x"].astype(float)
        return pd.DataFrame(
            {
                "zeta": x / 3.0,
                "alpha": np.where(x > 1, np.nan, x * 0.1),
                "mid": x * 1e-7 + 1 / 7,
            }
        )


def save(name, **kw):
    path = os.path.join(OUT, name)
    shutil.rmtree(path, ignore_errors=True)
    if "sk_model" in kw:
        mlflow.sklearn.save_model(path=path, **kw)
    else:
        mlflow.pyfunc.save_model(path=path, **kw)
    return path


def make_models():
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    save("typehint", python_model=Shout())

    frame = pd.DataFrame(
        {
            "zip": ["02139", "10001", "94105", "02139", "60601", "10001"],
            "rooms": [3, 2, 4, 1, 5, 2],
            "garden": [True, False, True, False, True, True],
        }
    )
    y = [1, 0, 1, 0, 1, 0]
    pre = ColumnTransformer(
        [
            ("zip", OneHotEncoder(handle_unknown="ignore"), ["zip"]),
            ("num", StandardScaler(), ["rooms"]),
            ("flag", "passthrough", ["garden"]),
        ]
    )
    pipe = Pipeline([("pre", pre), ("clf", LogisticRegression())]).fit(frame, y)
    save(
        "pipeline",
        sk_model=pipe,
        signature=infer_signature(frame, pipe.predict(frame)),
        serialization_format="cloudpickle",
    )

    texts = pd.DataFrame({"text": ["a", "bb", "ccc"]})
    save("series", python_model=Lengths(), signature=infer_signature(texts, pd.Series([1, 2, 3], name="length")))

    xs = pd.DataFrame({"x": [0.5, 1.0, 2.0]})
    save("frame", python_model=Stats())

    from sklearn.datasets import load_wine
    from sklearn.linear_model import ElasticNet

    wine = load_wine(as_frame=True)
    X = wine.data.iloc[:, :5]
    net = ElasticNet(alpha=0.5, l1_ratio=0.5, random_state=42).fit(X, wine.target)
    save("nosig", sk_model=net, serialization_format="cloudpickle")
    return X.head(3), xs


def make_onnx(only):
    import onnx
    import mlflow.onnx
    from onnx import TensorProto, helper

    def model(inputs, nodes, outputs):
        graph = helper.make_graph(nodes, "g", inputs, outputs)
        m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
        m.ir_version = 8
        onnx.checker.check_model(m)
        return m

    f = lambda n: helper.make_tensor_value_info(n, TensorProto.FLOAT, [None, 1])
    two = model(
        [f("a"), f("b")],
        [helper.make_node("Add", ["a", "b"], ["sum"]), helper.make_node("Mul", ["a", "b"], ["prod"])],
        [f("sum"), f("prod")],
    )
    s = lambda n: helper.make_tensor_value_info(n, TensorProto.STRING, [None, 1])
    text = model([s("text")], [helper.make_node("Identity", ["text"], ["same"])], [s("same")])
    i64 = lambda n: helper.make_tensor_value_info(n, TensorProto.INT64, [None, 2])
    ints = model(
        [i64("x")],
        [
            helper.make_node("Constant", [], ["one"], value=helper.make_tensor("one", TensorProto.INT64, [], [1])),
            helper.make_node("Add", ["x", "one"], ["next"]),
            helper.make_node("Cast", ["x"], ["xf"], to=TensorProto.FLOAT),
            helper.make_node("Constant", [], ["half"], value=helper.make_tensor("half", TensorProto.FLOAT, [], [0.5])),
            helper.make_node("Mul", ["xf", "half"], ["halved"]),
        ],
        [i64("next"), helper.make_tensor_value_info("halved", TensorProto.FLOAT, [None, 2])],
    )
    zipmap = onnx.load(os.path.join(os.path.dirname(OUT.rstrip("/")), "onnx_logreg", "model.onnx"))
    for name, m in [("onnx_two", two), ("onnx_str", text), ("onnx_zipmap", zipmap), ("onnx_int", ints)]:
        if only and name not in only:
            continue
        path = os.path.join(OUT, name)
        shutil.rmtree(path, ignore_errors=True)
        mlflow.onnx.save_model(m, path)


def parquet_b64(df, **kw):
    buf = io.BytesIO()
    df.to_parquet(buf, **kw)
    return base64.b64encode(buf.getvalue()).decode()


def requests(wine, xs):
    J = "application/json"
    C = "text/csv"
    P = "application/vnd.apache.parquet"
    houses = pd.DataFrame(
        {"zip": ["02139", "94105"], "rooms": [2, 4], "garden": [False, True]}
    )
    reqs = [
        ("typehint", "inputs_list", J, json.dumps({"inputs": ["ab", "cd"]})),
        ("typehint", "instances_list", J, json.dumps({"instances": ["x"]})),
        ("typehint", "split_refused", J, json.dumps({"dataframe_split": {"columns": ["a"], "data": [["ab"]]}})),
        ("typehint", "records_refused", J, json.dumps({"dataframe_records": [{"a": "ab"}]})),
        ("typehint", "wrong_type", J, json.dumps({"inputs": [1, 2]})),
        ("pipeline", "split", J, json.dumps({"dataframe_split": json.loads(houses.to_json(orient="split", index=False))})),
        ("pipeline", "records", J, json.dumps({"dataframe_records": json.loads(houses.to_json(orient="records"))})),
        ("pipeline", "inputs_records", J, json.dumps({"inputs": json.loads(houses.to_json(orient="records"))})),
        ("pipeline", "inputs_columns", J, json.dumps({"inputs": {"zip": ["02139"], "rooms": [3], "garden": [True]}})),
        ("pipeline", "csv", C, houses.to_csv(index=False)),
        ("pipeline", "csv_float_int", C, "zip,rooms,garden\n02139,3.0,True\n"),
        ("pipeline", "csv_fraction_int", C, "zip,rooms,garden\n02139,3.5,True\n"),
        ("pipeline", "parquet", P, parquet_b64(houses)),
        ("series", "records", J, json.dumps({"dataframe_records": [{"text": "abcd"}, {"text": ""}]})),
        ("series", "csv", C, "text\nhello\nhi\n"),
        ("frame", "split", J, json.dumps({"dataframe_split": json.loads(xs.to_json(orient="split", index=False))})),
        ("frame", "csv", C, xs.to_csv(index=False)),
        ("nosig", "records", J, json.dumps({"dataframe_records": json.loads(wine.to_json(orient="records"))})),
        ("nosig", "split", J, json.dumps({"dataframe_split": json.loads(wine.to_json(orient="split", index=False))})),
        ("nosig", "csv", C, wine.to_csv(index=False)),
        ("onnx_two", "inputs_named", J, json.dumps({"inputs": {"a": [[1.5], [2.0]], "b": [[3.0], [4.25]]}})),
        ("onnx_two", "split", J, json.dumps({"dataframe_split": {"columns": ["a", "b"], "data": [[1.5, 3.0], [2.0, 4.25]]}})),
        ("onnx_two", "csv", C, "a,b\n1.5,3.0\n2.0,4.25\n"),
        ("onnx_str", "inputs_named", J, json.dumps({"inputs": {"text": [["ab"], ["cd"]]}})),
        ("onnx_str", "records", J, json.dumps({"dataframe_records": [{"text": "ab"}, {"text": "cd"}]})),
    ]
    flowers = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3], [5.9, 3.0, 4.2, 1.5]]
    cols = ["sl", "sw", "pl", "pw"]
    reqs += [
        ("onnx_zipmap", "inputs_rows", J, json.dumps({"inputs": flowers})),
        ("onnx_zipmap", "instances_rows", J, json.dumps({"instances": flowers})),
        ("onnx_zipmap", "inputs_named", J, json.dumps({"inputs": {"input": flowers}})),
        ("onnx_zipmap", "split", J, json.dumps({"dataframe_split": {"columns": cols, "data": flowers}})),
        ("onnx_zipmap", "records", J, json.dumps({"dataframe_records": [dict(zip(cols, r)) for r in flowers]})),
        ("onnx_zipmap", "csv", C, ",".join(cols) + "\n" + "".join(",".join(map(str, r)) + "\n" for r in flowers)),
        ("onnx_zipmap", "parquet", P, parquet_b64(pd.DataFrame(flowers, columns=cols))),
        ("onnx_zipmap", "parquet_gzip", P, parquet_b64(pd.DataFrame(flowers, columns=cols), compression="gzip")),
        ("onnx_int", "inputs_rows", J, json.dumps({"inputs": [[1, 2], [3, -4]]})),
        ("onnx_int", "inputs_named", J, json.dumps({"inputs": {"x": [[1, 2], [3, -4]]}})),
        ("onnx_int", "inputs_fraction", J, json.dumps({"inputs": [[58.5, 1], [2, 3]]})),
        ("onnx_int", "split", J, json.dumps({"dataframe_split": {"columns": ["p", "q"], "data": [[1, 2], [3, -4]]}})),
        ("onnx_int", "csv", C, "p,q\n1,2\n3,-4\n"),
        # An index of its own (stored as a column that pandas makes the index again), and zstd.
        ("onnx_int", "parquet_indexed_zstd", P,
         parquet_b64(pd.DataFrame({"p": [1, 3], "q": [2, -4]}, index=[10, 20]), compression="zstd")),
        ("onnx_int", "parquet_named_index", P,
         parquet_b64(pd.DataFrame({"id": [7, 8], "p": [1, 3], "q": [2, -4]}).set_index("id"))),
        ("onnx_int", "parquet_floats", P, parquet_b64(pd.DataFrame({"p": [1.0, 3.5], "q": [2.0, -4.0]}))),
        ("onnx_int", "parquet_garbage", P, base64.b64encode(b"PAR1 not really").decode()),
    ]
    return reqs


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def record(model, reqs):
    port = free_port()
    path = os.path.join(OUT, model)
    server = subprocess.Popen(
        [os.path.join(os.path.dirname(sys.executable), "mlflow"), "models", "serve", "-m", path,
         "-p", str(port), "--env-manager", "local"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=1)
                break
            except Exception:
                time.sleep(0.2)
        answers = []
        for m, name, ct, body in reqs:
            if m != model:
                continue
            data = base64.b64decode(body) if ct.endswith("parquet") else body.encode()
            req = urllib.request.Request(
                f"http://127.0.0.1:{port}/invocations", data=data, headers={"Content-Type": ct}
            )
            try:
                with urllib.request.urlopen(req, timeout=60) as r:
                    status, rct, text = r.status, r.headers.get("Content-Type"), r.read().decode()
            except urllib.error.HTTPError as e:
                status, rct, text = e.code, e.headers.get("Content-Type"), e.read().decode()
            if status != 200 and rct.startswith("application/json"):
                # The stack trace names paths of this machine; the tests compare the rest.
                parsed = json.loads(text)
                parsed.pop("stack_trace", None)
                text = json.dumps(parsed)
            answers.append(
                {"model": m, "name": name, "content_type": ct, "body": body,
                 "status": status, "answer_content_type": rct, "answer": text}
            )
        return answers
    finally:
        server.terminate()
        server.wait()


MODELS = ["typehint", "pipeline", "series", "frame", "nosig", "onnx_two", "onnx_str",
          "onnx_zipmap", "onnx_int"]


def main():
    os.makedirs(OUT, exist_ok=True)
    only = set(sys.argv[2:])
    answers_file = os.path.join(OUT, "answers.json")
    if only:
        # Only the ONNX models named, made without the others' flavors.
        wine = xs = pd.DataFrame()
        with open(answers_file) as f:
            answers = [a for a in json.load(f) if a["model"] not in only]
    else:
        wine, xs = make_models()
        answers = []
    make_onnx(only)
    reqs = requests(wine, xs)
    for model in MODELS:
        if not only or model in only:
            answers += record(model, reqs)
    answers.sort(key=lambda a: MODELS.index(a["model"]))
    with open(answers_file, "w") as f:
        json.dump(answers, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
