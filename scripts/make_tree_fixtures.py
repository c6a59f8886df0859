"""Writes ONNX tree-ensemble fixtures (ai.onnx.ml TreeEnsembleClassifier / TreeEnsembleRegressor)
with the outputs onnxruntime gives for them.

Run through scripts/make-model-fixtures.sh, which installs the pinned packages:

    python scripts/make_tree_fixtures.py fixtures/models/trees

Writes into the given directory:
  <name>.onnx     one model per fixture, each with one input "input", float [N, 4]:
                    rf_* gbc_* gbr et_* hgb_*   skl2onnx conversions of scikit-learn forests and boosters
                                                (hgb_* when skl2onnx can convert them)
                    lgbm_* xgb_*                onnxmltools converters (through skl2onnx) of LightGBM / XGBoost
                    syn_*                       single-node graphs built with onnx.helper that cover the
                                                operator's attributes: every node mode, missing-value tracks,
                                                unsorted node lists, aggregate functions, post transforms,
                                                base values, binary / multiclass / string class labels
  expected.json   {"columns": [...],
                   "rows": [[4 floats], ...],            the 7 rows of ../inputs.json, then more rows
                   "nan_rows": [[4 floats or null], ...],  null = NaN
                   "models": {name: {"outputs": [graph output names],
                                     "zipmap": [outputs that are ZipMap sequences of maps],
                                     "labels": {zipmap output: [labels, sorted]},
                                     "expected": {output: [one value per row of "rows"]},
                                     "expected_nan": {output: [one value per row of "nan_rows"]}}}}
                  onnxruntime (CPUExecutionProvider) outputs, as numpy .tolist() gives them; a ZipMap
                  output is a list of probabilities per row, ordered as its "labels".
A converter or variant that fails, or that onnxruntime refuses, is left out and printed.
"""

import json
import math
import os
import random
import sys
import traceback

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_model_fixtures import COLUMNS, N_ROWS, SEED, TARGET_OPSET, dumps, make_data, make_inputs, q  # noqa: E402

random.seed(SEED)
np.random.seed(SEED)

INPUT = "input"

# Rows with missing values (None = NaN), built from values of the first rows so that the other
# features still take the paths they take there.
NAN_ROWS = [
    [None, 0.296875, 0.1875, -0.984375],
    [0.234375, None, None, -1.796875],
    [0.53125, -1.9375, 0.1875, None],
    [0.53125, None, None, 0.09375],
    [None, None, None, None],
]


# ---------------------------------------------------------------------------------------------
# data


def make_datasets():
    from sklearn.datasets import make_classification, make_regression

    Xc, yc, Xr, yr = make_data()
    Xb, yb = make_classification(
        n_samples=N_ROWS,
        n_features=4,
        n_informative=3,
        n_redundant=1,
        n_classes=2,
        n_clusters_per_class=1,
        random_state=SEED,
    )
    Xr2, yr2 = make_regression(
        n_samples=N_ROWS, n_features=4, n_informative=4, n_targets=2, noise=0.5, random_state=SEED
    )
    return {
        "frames": (Xc, Xr),
        "multi": (Xc.to_numpy(), yc),
        "binary": (q(Xb, 1.0 / 1024), yb),
        "reg": (Xr.to_numpy(), yr),
        "reg2": (q(Xr2, 1.0 / 1024), np.round(yr2, 3)),
    }


def make_rows(data):
    Xm, ym = data["multi"]
    Xb, yb = data["binary"]
    Xr, yr = data["reg"]
    rows = [
        *make_inputs(*data["frames"]).tolist(),
        # one training row of each binary class, and one of each class of the 3-class data past the
        # first three rows (which are already in inputs.json)
        *q(Xb[[int(np.argmax(yb == 0)), int(np.argmax(yb == 1))]]).tolist(),
        *q(Xm[[3 + int(np.argmax(ym[3:] == k)) for k in range(3)]]).tolist(),
        # the regression rows with the largest and smallest targets
        *q(Xr[[int(np.argmax(yr)), int(np.argmin(yr))]]).tolist(),
        # large magnitudes, and a row that meets the NEQ threshold of syn_modes
        [3.0, -2.5, 2.75, -3.0],
        [0.5, 0.25, 0.0, -0.75],
    ]
    arr = np.asarray(rows, dtype=np.float64)
    assert np.array_equal(arr.astype(np.float32).astype(np.float64), arr)
    return arr


def nan_matrix(rows):
    return np.array([[np.nan if v is None else v for v in r] for r in rows], dtype=np.float32)


# ---------------------------------------------------------------------------------------------
# converted models


def convert(model, options=None):
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import FloatTensorType

    return to_onnx(
        model,
        initial_types=[(INPUT, FloatTensorType([None, 4]))],
        target_opset=TARGET_OPSET,
        options=options,
    )


def sklearn_models(data, skipped):
    """Yields (name, onnx model, fitted model)."""
    from sklearn.ensemble import (
        ExtraTreesRegressor,
        GradientBoostingClassifier,
        GradientBoostingRegressor,
        HistGradientBoostingClassifier,
        HistGradientBoostingRegressor,
        RandomForestClassifier,
        RandomForestRegressor,
    )

    Xm, ym = data["multi"]
    Xb, yb = data["binary"]
    Xr, yr = data["reg"]
    Xr2, yr2 = data["reg2"]
    nozip = {"zipmap": False}

    rf_binary = RandomForestClassifier(n_estimators=5, max_depth=3, random_state=SEED).fit(Xb, yb)
    yield "rf_binary", convert(rf_binary), rf_binary
    yield "rf_binary_nozipmap", convert(rf_binary, nozip), rf_binary

    m = convert(rf_binary, nozip)
    kept = [o for o in m.graph.output if o.name != "probabilities"]
    assert len(kept) == 1 and kept[0].name == "label"
    del m.graph.output[:]
    m.graph.output.extend(kept)
    yield "rf_binary_label", m, rf_binary

    rf_multi = RandomForestClassifier(n_estimators=5, max_depth=3, random_state=SEED).fit(Xm, ym)
    yield "rf_multi", convert(rf_multi, nozip), rf_multi

    gbc_binary = GradientBoostingClassifier(n_estimators=10, max_depth=3, random_state=SEED).fit(Xb, yb)
    yield "gbc_binary", convert(gbc_binary, nozip), gbc_binary

    gbc_multi = GradientBoostingClassifier(n_estimators=10, max_depth=3, random_state=SEED).fit(Xm, ym)
    yield "gbc_multi", convert(gbc_multi, nozip), gbc_multi

    names = np.array(["ant", "bee", "cat"])
    rf_strings = RandomForestClassifier(n_estimators=5, max_depth=3, random_state=SEED).fit(Xm, names[ym])
    yield "rf_strings", convert(rf_strings), rf_strings

    yes_no = np.array(["no", "yes"])
    rf_bs = RandomForestClassifier(n_estimators=5, max_depth=3, random_state=SEED).fit(Xb, yes_no[yb])
    yield "rf_binary_strings", convert(rf_bs, nozip), rf_bs

    rf_reg = RandomForestRegressor(n_estimators=5, max_depth=3, random_state=SEED).fit(Xr, yr)
    yield "rf_regressor", convert(rf_reg), rf_reg

    et2 = ExtraTreesRegressor(n_estimators=5, max_depth=3, random_state=SEED).fit(Xr2, yr2)
    yield "et_regressor_2t", convert(et2), et2

    gbr = GradientBoostingRegressor(n_estimators=10, max_depth=3, random_state=SEED).fit(Xr, yr)
    yield "gbr", convert(gbr), gbr

    for name, model, X, y, options in [
        ("hgb_binary", HistGradientBoostingClassifier(max_iter=10, random_state=SEED), Xb, yb, nozip),
        ("hgb_regressor", HistGradientBoostingRegressor(max_iter=10, random_state=SEED), Xr, yr, None),
    ]:
        model.fit(X, y)
        try:
            yield name, convert(model, options), model
        except Exception as e:  # noqa: BLE001 - report and go on
            skipped.append((name, f"skl2onnx cannot convert it: {short_error(e)}"))


def booster_models(data, skipped):
    """LightGBM and XGBoost models, converted by onnxmltools' converters registered in skl2onnx."""
    try:
        import lightgbm
        import xgboost
        from onnxmltools.convert.lightgbm.operator_converters.LightGbm import convert_lightgbm
        from onnxmltools.convert.xgboost.operator_converters.XGBoost import convert_xgboost
        from skl2onnx import update_registered_converter
        from skl2onnx.common.shape_calculator import (
            calculate_linear_classifier_output_shapes,
            calculate_linear_regressor_output_shapes,
        )
    except Exception as e:  # noqa: BLE001 - report and go on
        for name in ["lgbm_binary", "lgbm_multi", "xgb_binary", "xgb_regressor"]:
            skipped.append((name, f"lightgbm / xgboost / onnxmltools not importable: {short_error(e)}"))
        return

    cls_options = {"nocl": [True, False], "zipmap": [True, False, "columns"]}
    update_registered_converter(
        lightgbm.LGBMClassifier,
        "LightGbmLGBMClassifier",
        calculate_linear_classifier_output_shapes,
        convert_lightgbm,
        options=cls_options,
    )
    update_registered_converter(
        xgboost.XGBClassifier,
        "XGBoostXGBClassifier",
        calculate_linear_classifier_output_shapes,
        convert_xgboost,
        options=cls_options,
    )
    update_registered_converter(
        xgboost.XGBRegressor,
        "XGBoostXGBRegressor",
        calculate_linear_regressor_output_shapes,
        convert_xgboost,
    )

    Xm, ym = data["multi"]
    Xb, yb = data["binary"]
    Xr, yr = data["reg"]
    lgbm_args = dict(n_estimators=10, max_depth=3, num_leaves=8, random_state=SEED, n_jobs=1, verbose=-1)
    xgb_args = dict(n_estimators=10, max_depth=3, random_state=SEED, n_jobs=1)
    for name, model, X, y in [
        ("lgbm_binary", lightgbm.LGBMClassifier(**lgbm_args), Xb, yb),
        ("lgbm_multi", lightgbm.LGBMClassifier(**lgbm_args), Xm, ym),
        ("xgb_binary", xgboost.XGBClassifier(**xgb_args), Xb, yb),
        ("xgb_regressor", xgboost.XGBRegressor(**xgb_args), Xr, yr),
    ]:
        try:
            model.fit(X.astype(np.float32), y)
            options = {"zipmap": False} if hasattr(model, "predict_proba") else None
            yield name, convert(model, options), model
        except Exception as e:  # noqa: BLE001 - report and go on
            traceback.print_exc()
            skipped.append((name, f"conversion failed: {short_error(e)}"))


# ---------------------------------------------------------------------------------------------
# hand-built models
#
# A tree is (tree id, [node, ...]) with the nodes in the order they are written to the attributes;
# the first node of a tree is its root.
#   B(id, mode, feature, threshold, true id, false id, missing_true=0)  a branch
#   L(id, (target or class id, weight), ...)                            a leaf


def B(nid, mode, feature, value, true_id, false_id, missing_true=0):
    return ("B", nid, "BRANCH_" + mode, feature, value, true_id, false_id, missing_true)


def L(nid, *weights):
    return ("L", nid, list(weights))


def ensemble_attributes(trees, prefix):
    nodes = {k: [] for k in ["treeids", "nodeids", "featureids", "modes", "values", "truenodeids",
                             "falsenodeids", "missing_value_tracks_true"]}
    weights = {k: [] for k in ["treeids", "nodeids", "ids", "weights"]}
    for tree_id, tree in trees:
        for node in tree:
            if node[0] == "B":
                _, nid, mode, feature, value, true_id, false_id, missing = node
            else:
                _, nid, leaf_weights = node
                mode, feature, value, true_id, false_id, missing = "LEAF", 0, 0.0, 0, 0, 0
                for k, w in leaf_weights:
                    weights["treeids"].append(tree_id)
                    weights["nodeids"].append(nid)
                    weights["ids"].append(k)
                    weights["weights"].append(float(w))
            for key, v in zip(nodes, [tree_id, nid, feature, mode, float(value), true_id, false_id, missing]):
                nodes[key].append(v)
    attrs = {f"nodes_{k}": v for k, v in nodes.items()}
    attrs.update({f"{prefix}_{k}": v for k, v in weights.items()})
    return attrs


def tensor_value_info(name, elem_type, shape):
    from onnx import helper

    return helper.make_tensor_value_info(name, elem_type, shape)


def single_node_model(name, op_type, attrs, outputs):
    from onnx import TensorProto, helper

    node = helper.make_node(op_type, [INPUT], [o.name for o in outputs], domain="ai.onnx.ml", name=op_type, **attrs)
    graph = helper.make_graph([node], name, [tensor_value_info(INPUT, TensorProto.FLOAT, [None, 4])], outputs)
    return helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", TARGET_OPSET[""]), helper.make_opsetid("ai.onnx.ml", TARGET_OPSET["ai.onnx.ml"])],
        ir_version=8,
    )


def regressor(name, trees, n_targets=1, aggregate="SUM", post="NONE", base_values=None, as_tensor=False):
    from onnx import TensorProto, numpy_helper

    attrs = ensemble_attributes(trees, "target")
    attrs.update(n_targets=n_targets, aggregate_function=aggregate, post_transform=post)
    if base_values is not None:
        attrs["base_values"] = [float(v) for v in base_values]
    if as_tensor:
        for key in ["nodes_values", "target_weights", "base_values"]:
            if key in attrs:
                attrs[key + "_as_tensor"] = numpy_helper.from_array(
                    np.asarray(attrs.pop(key), dtype=np.float32), key + "_as_tensor"
                )
    out = tensor_value_info("variable", TensorProto.FLOAT, [None, n_targets])
    return single_node_model(name, "TreeEnsembleRegressor", attrs, [out])


def classifier(name, trees, labels, post="NONE", base_values=None):
    from onnx import TensorProto

    attrs = ensemble_attributes(trees, "class")
    attrs["post_transform"] = post
    if isinstance(labels[0], str):
        attrs["classlabels_strings"] = list(labels)
        label_type = TensorProto.STRING
    else:
        attrs["classlabels_int64s"] = [int(v) for v in labels]
        label_type = TensorProto.INT64
    if base_values is not None:
        attrs["base_values"] = [float(v) for v in base_values]
    outs = [
        tensor_value_info("label", label_type, [None]),
        tensor_value_info("probabilities", TensorProto.FLOAT, [None, len(labels)]),
    ]
    return single_node_model(name, "TreeEnsembleClassifier", attrs, outs)


# Thresholds below are values that occur in the rows (0.234375, 0.1875, -0.75, 0.703125, 0.0,
# -0.25, -1.6875, ...), so that LEQ / LT, GTE / GT and EQ / NEQ give different paths.

# Every node mode; nodes listed leaves first after the root, ids out of order, ids numbered across
# trees, tree ids 0, 1, 5, a one-leaf tree, a leaf with two weights for the same target.
MODES_TREES = [
    (0, [
        B(0, "LEQ", 0, 0.234375, 4, 1, missing_true=1),
        L(7, (0, 1.0), (1, 0.5)),
        L(5, (0, 2.0)),
        L(3, (0, 4.0), (1, 4.0)),
        L(9, (0, 8.0)),
        L(10, (1, 16.0)),
        L(6, (1, -3.0)),
        B(4, "EQ", 2, 0.1875, 7, 2),
        B(2, "LT", 3, -0.75, 5, 6, missing_true=1),
        B(1, "GTE", 1, 0.703125, 3, 8),
        B(8, "NEQ", 2, 0.0, 9, 10),
    ]),
    (1, [
        B(11, "GT", 1, -0.25, 14, 15, missing_true=1),
        L(17, (1, 32.0)),
        L(13, (0, 0.125), (1, 0.125)),
        B(15, "LEQ", 3, -1.6875, 17, 18),
        L(12, (0, -0.5), (0, 0.25)),
        B(14, "EQ", 0, 0.0, 13, 12, missing_true=1),
        L(18, (0, 64.0)),
    ]),
    (5, [
        L(19, (1, 0.0625)),
    ]),
]

# Three trees of one target for MIN / MAX / AVERAGE, the last a single leaf.
MINMAX_TREES = [
    (0, [
        B(0, "LEQ", 0, 0.234375, 1, 2, missing_true=1),
        L(1, (0, -1.5)),
        B(2, "LEQ", 2, 0.0, 3, 4),
        L(3, (0, 2.25)),
        L(4, (0, 0.75)),
    ]),
    (1, [
        B(0, "LEQ", 1, -0.25, 1, 2),
        B(1, "LT", 3, -0.75, 3, 4, missing_true=1),
        L(2, (0, 1.0)),
        L(3, (0, -2.0)),
        L(4, (0, 3.5)),
    ]),
    (2, [
        B(0, "GT", 2, 0.1875, 1, 2),
        L(1, (0, 5.0)),
        L(2, (0, 0.5)),
    ]),
]

# One target with leaf values in (0, 1) whose sum stays in (0, 1), for PROBIT.
PROBIT_TREES = [
    (0, [
        B(0, "LEQ", 0, 0.234375, 1, 2, missing_true=1),
        L(1, (0, 0.125)),
        B(2, "LEQ", 3, -0.75, 3, 4),
        L(3, (0, 0.25)),
        L(4, (0, 0.4375)),
    ]),
    (1, [
        B(0, "LEQ", 1, -0.25, 1, 2),
        L(1, (0, 0.0625)),
        L(2, (0, 0.5)),
    ]),
]

# Two targets, SUM, for the SOFTMAX / LOGISTIC / SOFTMAX_ZERO regressors.
REG2_TREES = [
    (0, [
        B(0, "LEQ", 0, 0.234375, 1, 2),
        L(1, (0, 1.5), (1, -0.5)),
        B(2, "LEQ", 1, 0.0, 3, 4),
        L(3, (0, 0.25)),
        L(4, (1, 2.0)),
    ]),
    (1, [
        B(0, "LEQ", 3, -0.75, 1, 2, missing_true=1),
        L(1, (0, -1.0)),
        L(2, (1, 0.75)),
    ]),
]

# Three classes; ids 0..2. Leaves that leave some classes out, so that their scores stay exactly 0.
CLS3_TREES = [
    (0, [
        B(0, "LEQ", 0, 0.234375, 1, 2, missing_true=1),
        B(1, "LEQ", 3, -0.75, 3, 4),
        B(2, "LEQ", 1, 0.0, 5, 6),
        L(3, (0, 0.5), (1, 0.25)),
        L(4, (2, 0.75)),
        L(5, (0, 0.25), (1, 0.125), (2, 0.125)),
        L(6, (1, 0.875)),
    ]),
    (1, [
        B(0, "GT", 2, 0.1875, 1, 2),
        L(1, (2, 0.5)),
        B(2, "LEQ", 3, -1.6875, 3, 4, missing_true=1),
        L(3, (0, 0.375)),
        L(4, (1, 0.125), (0, 0.0625)),
    ]),
]

# Three classes, every class on every leaf, scores in (0, 1), for PROBIT.
CLS3_PROBIT_TREES = [
    (0, [
        B(0, "LEQ", 0, 0.234375, 1, 2, missing_true=1),
        L(1, (0, 0.25), (1, 0.125), (2, 0.0625)),
        B(2, "LEQ", 1, 0.0, 3, 4),
        L(3, (0, 0.0625), (1, 0.375), (2, 0.125)),
        L(4, (0, 0.125), (1, 0.0625), (2, 0.5)),
    ]),
    (1, [
        B(0, "GT", 2, 0.1875, 1, 2),
        L(1, (0, 0.125), (1, 0.25), (2, 0.0625)),
        L(2, (0, 0.5), (1, 0.125), (2, 0.25)),
    ]),
]

# Three classes with negative weights: a row whose only scores are negative leaves class id 0
# without a score, which is not the same as a score of 0 for the winning label.
CLS3_SIGNED_TREES = [
    (0, [
        B(0, "LEQ", 0, 0.234375, 1, 2, missing_true=1),
        B(1, "LEQ", 3, -0.75, 3, 4),
        B(2, "LEQ", 1, 0.0, 5, 6),
        L(3, (0, 0.5), (1, -0.25)),
        L(4, (1, -0.75), (2, -0.5)),
        L(5, (0, -1.0), (1, 1.0), (2, 0.5)),
        L(6, (2, -0.125)),
    ]),
    (1, [
        B(0, "GT", 2, 0.1875, 1, 2),
        L(1, (1, -0.25)),
        B(2, "LEQ", 3, -1.6875, 3, 4, missing_true=1),
        L(3, (0, 0.375), (2, -0.375)),
        L(4, (2, -0.0625)),
    ]),
]

# Binary, weights on class id 0 only, all positive, in the RandomForest style (each tree's leaves
# are fractions of 1/2); some rows sum to exactly 0.5.
BIN_POSITIVE_TREES = [
    (0, [
        B(0, "LEQ", 0, 0.234375, 1, 2, missing_true=1),
        L(1, (0, 0.125)),
        B(2, "LEQ", 3, -0.75, 3, 4),
        L(3, (0, 0.25)),
        L(4, (0, 0.5)),
    ]),
    (1, [
        B(0, "LEQ", 1, -0.25, 1, 2),
        L(1, (0, 0.25)),
        L(2, (0, 0.375)),
    ]),
]

# Binary, weights on class id 0 only, mixed signs (boosting style); some rows sum to exactly 0.
BIN_SIGNED_TREES = [
    (0, [
        B(0, "LEQ", 0, 0.234375, 1, 2, missing_true=1),
        L(1, (0, -0.75)),
        B(2, "LEQ", 3, -0.75, 3, 4),
        L(3, (0, 0.5)),
        L(4, (0, 1.25)),
    ]),
    (1, [
        B(0, "LEQ", 1, -0.25, 1, 2),
        L(1, (0, 0.75)),
        L(2, (0, -0.5)),
    ]),
]

# Binary with weights on both class ids.
BIN_BOTH_TREES = [
    (0, [
        B(0, "LEQ", 0, 0.234375, 1, 2, missing_true=1),
        L(1, (0, 0.75), (1, 0.25)),
        B(2, "LEQ", 3, -0.75, 3, 4),
        L(3, (0, 0.5), (1, 0.5)),
        L(4, (0, 0.125), (1, 0.875)),
    ]),
    (1, [
        B(0, "LEQ", 1, -0.25, 1, 2),
        L(1, (0, 0.375), (1, -0.5)),
        L(2, (0, -0.25), (1, 0.5)),
    ]),
]


def synthetic_models():
    yield "syn_modes", regressor("syn_modes", MODES_TREES, n_targets=2, base_values=[0.5, -0.25])
    yield "syn_min", regressor("syn_min", MINMAX_TREES, aggregate="MIN", base_values=[0.5])
    yield "syn_max", regressor("syn_max", MINMAX_TREES, aggregate="MAX", base_values=[0.5])
    yield "syn_avg_base", regressor("syn_avg_base", MINMAX_TREES, aggregate="AVERAGE", base_values=[10.0])
    yield "syn_as_tensor", regressor("syn_as_tensor", MINMAX_TREES, base_values=[0.5], as_tensor=True)
    yield "syn_probit", regressor("syn_probit", PROBIT_TREES, post="PROBIT")
    for post in ["SOFTMAX", "LOGISTIC", "SOFTMAX_ZERO"]:
        name = f"syn_reg2_{post.lower()}"
        yield name, regressor(name, REG2_TREES, n_targets=2, post=post)

    labels3 = [3, 5, 9]
    yield "syn_cls_none", classifier("syn_cls_none", CLS3_SIGNED_TREES, labels3)
    yield "syn_cls_none_base", classifier("syn_cls_none_base", CLS3_SIGNED_TREES, labels3,
                                          base_values=[0.25, -0.5, 0.125])
    for post in ["SOFTMAX", "LOGISTIC", "SOFTMAX_ZERO"]:
        name = f"syn_cls_{post.lower()}"
        yield name, classifier(name, CLS3_TREES, labels3, post=post)
    yield "syn_cls_probit", classifier("syn_cls_probit", CLS3_PROBIT_TREES, labels3, post="PROBIT")
    yield "syn_cls_softmax_base", classifier("syn_cls_softmax_base", CLS3_TREES, labels3, post="SOFTMAX",
                                             base_values=[0.25, -0.5, 0.125])
    yield "syn_cls_strings", classifier("syn_cls_strings", CLS3_TREES, ["x", "y", "z"])

    for suffix, labels in [("01", [0, 1]), ("47", [4, 7])]:
        variants = [
            ("positive", BIN_POSITIVE_TREES, "NONE", None),
            ("signed", BIN_SIGNED_TREES, "NONE", None),
            ("signed_logistic", BIN_SIGNED_TREES, "LOGISTIC", None),
            ("base2", BIN_SIGNED_TREES, "NONE", [-0.25, 0.25]),
            ("base2_logistic", BIN_SIGNED_TREES, "LOGISTIC", [-0.25, 0.25]),
            ("base1", BIN_SIGNED_TREES, "NONE", [0.25]),
            ("base1_logistic", BIN_SIGNED_TREES, "LOGISTIC", [0.25]),
            ("both", BIN_BOTH_TREES, "NONE", None),
            ("both_softmax", BIN_BOTH_TREES, "SOFTMAX", None),
        ]
        for variant, trees, post, base in variants:
            name = f"syn_bin_{variant}_{suffix}"
            yield name, classifier(name, trees, labels, post=post, base_values=base)


# ---------------------------------------------------------------------------------------------
# running


def short_error(e):
    def line(x):
        text = str(x).strip().splitlines()
        return f"{type(x).__name__}: {text[0][:160] if text else ''}"

    return line(e) + (f" (from {line(e.__cause__)})" if e.__cause__ is not None else "")


def run_onnx(model_bytes, x32):
    """Runs onnxruntime; returns ({output name: nested lists}, {zipmap output: sorted labels})."""
    import onnxruntime as ort

    sess = ort.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    results = sess.run(None, {sess.get_inputs()[0].name: x32})
    out, labels = {}, {}
    for name, value in zip(names, results):
        if isinstance(value, list):
            keys = sorted(value[0].keys())
            assert all(sorted(row.keys()) == keys for row in value)
            out[name] = [[float(row[k]) for k in keys] for row in value]
            labels[name] = [k.item() if isinstance(k, np.generic) else k for k in keys]
        else:
            out[name] = np.asarray(value).tolist()
    return out, labels


def check_finite(value, where):
    if isinstance(value, dict):
        for k, v in value.items():
            check_finite(v, f"{where} {k}")
    elif isinstance(value, list):
        for v in value:
            check_finite(v, where)
    elif isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{where}: non-finite output {value}")


def tree_nodes(model):
    """Yields, for each tree-ensemble node, {attr: value} with thresholds as nodes_values."""
    from onnx import helper, numpy_helper

    for node in model.graph.node:
        if node.op_type.startswith("TreeEnsemble"):
            attrs = {}
            for a in node.attribute:
                v = helper.get_attribute_value(a)
                if a.type == a.TENSOR:
                    v = numpy_helper.to_array(v).tolist()
                attrs[a.name.removesuffix("_as_tensor")] = v.decode() if isinstance(v, bytes) else v
            yield node, attrs


def coverage(model, X):
    """Counts the leaves and branch outcomes that the rows reach."""
    leaves, outcomes, n_leaves, n_branches = set(), set(), 0, 0
    for _, a in tree_nodes(model):
        ids = list(zip(a["nodes_treeids"], a["nodes_nodeids"]))
        index = {key: i for i, key in enumerate(ids)}
        modes = [m.decode() if isinstance(m, bytes) else m for m in a["nodes_modes"]]
        missing = a.get("nodes_missing_value_tracks_true", [0] * len(ids))
        roots = [i for i, key in enumerate(ids) if i == 0 or ids[i - 1][0] != key[0]]
        n_leaves += sum(m == "LEAF" for m in modes)
        n_branches += sum(m != "LEAF" for m in modes)
        for row in X:
            for r in roots:
                i = r
                while modes[i] != "LEAF":
                    x = float(np.float32(row[a["nodes_featureids"][i]]))
                    t = float(np.float32(a["nodes_values"][i]))
                    go = {
                        "BRANCH_LEQ": x <= t, "BRANCH_LT": x < t, "BRANCH_GTE": x >= t,
                        "BRANCH_GT": x > t, "BRANCH_EQ": x == t, "BRANCH_NEQ": x != t,
                    }[modes[i]] or (math.isnan(x) and missing[i] == 1)
                    outcomes.add((ids[i], go))
                    nxt = a["nodes_truenodeids"][i] if go else a["nodes_falsenodeids"][i]
                    i = index[(ids[i][0], nxt)]
                leaves.add(ids[i])
    return len(leaves), n_leaves, len(outcomes), 2 * n_branches


def op_summary(model):
    parts = []
    for node in model.graph.node:
        op = f"{node.domain or 'ai.onnx'}:{node.op_type}"
        if node.op_type.startswith("TreeEnsemble"):
            a = dict(next(attrs for n, attrs in tree_nodes(model) if n is node))
            details = [f"post={a.get('post_transform', 'NONE')}"]
            if node.op_type == "TreeEnsembleRegressor":
                details.append(f"agg={a.get('aggregate_function', 'SUM')}")
                details.append(f"n_targets={a.get('n_targets')}")
            else:
                labels = a.get("classlabels_int64s") or [s.decode() if isinstance(s, bytes) else s
                                                         for s in a.get("classlabels_strings", [])]
                details.append(f"labels={labels}")
                details.append(f"class_ids={sorted(set(a.get('class_ids', [])))}")
            if "base_values" in a:
                details.append(f"base={[round(v, 6) for v in a['base_values']]}")
            n_trees = len(set(a["nodes_treeids"]))
            details.append(f"trees={n_trees} nodes={len(a['nodes_treeids'])}")
            modes = sorted({m.decode() if isinstance(m, bytes) else m for m in a["nodes_modes"]} - {"LEAF"})
            details.append("modes=" + ",".join(m.removeprefix("BRANCH_") for m in modes))
            details.append(f"missing_true={sum(a.get('nodes_missing_value_tracks_true', []))}")
            op += "(" + " ".join(details) + ")"
        parts.append(op)
    return " ".join(parts)


def source_check(source, X, result):
    """Compares the source model's own predictions with onnxruntime's."""
    rows = X.astype(np.float32)
    diffs = []
    if hasattr(source, "predict_proba"):
        label_out = next(o for o in result["outputs"] if "label" in o)
        same = [str(a) == str(b) for a, b in zip(source.predict(rows).tolist(), result["expected"][label_out])]
        diffs.append(f"labels equal {sum(same)}/{len(same)}")
        prob_outs = [o for o in result["outputs"] if o != label_out]
        if prob_outs:
            got = np.asarray(result["expected"][prob_outs[0]], dtype=np.float64)
            diffs.append(f"max |proba diff| {np.max(np.abs(source.predict_proba(rows) - got)):.2e}")
    else:
        got = np.asarray(result["expected"][result["outputs"][0]], dtype=np.float64)
        want = np.asarray(source.predict(rows), dtype=np.float64).reshape(got.shape)
        diffs.append(f"max |predict diff| {np.max(np.abs(want - got)):.2e}")
    return "source vs onnxruntime: " + ", ".join(diffs)


def main():
    import onnx

    out_dir = sys.argv[1] if len(sys.argv) > 1 else "fixtures/models/trees"
    os.makedirs(out_dir, exist_ok=True)
    for fn in os.listdir(out_dir):
        if fn.endswith(".onnx"):
            os.remove(os.path.join(out_dir, fn))

    data = make_datasets()
    X = make_rows(data)
    inputs_json = os.path.join(os.path.dirname(os.path.abspath(out_dir)), "inputs.json")
    if os.path.exists(inputs_json):
        with open(inputs_json) as f:
            assert json.load(f)["data"] == X[:7].tolist(), "rows differ from inputs.json"
    X32 = X.astype(np.float32)
    XN32 = nan_matrix(NAN_ROWS)

    skipped = []
    candidates = []
    for name, model, source in [*sklearn_models(data, skipped), *booster_models(data, skipped)]:
        candidates.append((name, model, source))
    for name, model in synthetic_models():
        candidates.append((name, model, None))

    results = {}
    notes = {}
    for name, model, source in candidates:
        try:
            onnx.checker.check_model(model, full_check=True)
            data_bytes = model.SerializeToString()
            expected, labels = run_onnx(data_bytes, X32)
            expected_nan, labels_nan = run_onnx(data_bytes, XN32)
            assert labels == labels_nan
            check_finite(expected, name)
            check_finite(expected_nan, name)
        except Exception as e:  # noqa: BLE001 - report and go on
            skipped.append((name, f"refused: {short_error(e)}"))
            continue
        path = os.path.join(out_dir, f"{name}.onnx")
        with open(path, "wb") as f:
            f.write(data_bytes)
        outputs = [o.name for o in model.graph.output]
        results[name] = {
            "outputs": outputs,
            "zipmap": [o for o in outputs if o in labels],
            "labels": labels,
            "expected": {o: expected[o] for o in outputs},
            "expected_nan": {o: expected_nan[o] for o in outputs},
        }
        cov = coverage(model, X)
        cov_nan = coverage(model, XN32)
        notes[name] = (
            f"{op_summary(model)}\n"
            f"     outputs: {outputs}  zipmap: {results[name]['zipmap']}  {os.path.getsize(path)} bytes\n"
            f"     rows reach {cov[0]}/{cov[1]} leaves, {cov[2]}/{cov[3]} branch outcomes;"
            f" nan_rows reach {cov_nan[0]} leaves"
        )
        if source is not None:
            notes[name] += f"\n     {source_check(source, X, results[name])}"

    doc = {
        "columns": COLUMNS,
        "rows": X.tolist(),
        "nan_rows": NAN_ROWS,
        "models": results,
    }
    with open(os.path.join(out_dir, "expected.json"), "w") as f:
        f.write(dumps(doc) + "\n")

    for name, text in notes.items():
        print(f"== {name}: {text}")
        for o in results[name]["outputs"]:
            v = results[name]["expected"][o]
            if v and not isinstance(v[0], list):
                print(f"     {o}: {v}  nan: {results[name]['expected_nan'][o]}")

    total = sum(os.path.getsize(os.path.join(out_dir, fn)) for fn in os.listdir(out_dir))
    print()
    print(f"{len(results)} models, {total} bytes in {out_dir}")

    import importlib.metadata as md

    versions = []
    for names in [["scikit-learn"], ["skl2onnx"], ["onnx"], ["onnxruntime"], ["numpy"], ["lightgbm"],
                  ["xgboost-cpu", "xgboost"], ["onnxmltools"]]:
        for p in names:
            try:
                versions.append(f"{p}=={md.version(p)}")
                break
            except md.PackageNotFoundError:
                pass
        else:
            versions.append(f"{names[-1]} (not installed)")
    print("versions:", ", ".join(versions))
    if skipped:
        print()
        print("skipped:")
        for name, why in skipped:
            print(f"  {name}: {why}")


if __name__ == "__main__":
    main()
