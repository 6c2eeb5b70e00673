"""Fits scikit-learn's reference for one of our learners and prints its trees and predictions.

Used by tests/sklearn_reference_test.ts (Debian's python3-sklearn). Reads a JSON list of jobs
on stdin, each {"model": "tree" | "forest" | "hist_boosting", "params": {scikit-learn keyword
arguments}, "x": rows, "y": labels, "eval": rows}; prints a list with, per job, {"sklearn":
version, "trees": [...], "proba" or "margin": [per eval row], "importances": [...]}. Every tree is flat, in preorder (left child first), as ours:
feature (-1 at a leaf), threshold, left, right, value (P(class 1) of the node for trees, the leaf
value for boosting) and weight (weighted sample count; hessian sum for boosting).
"""

import json
import sys

import numpy as np
import sklearn
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.tree import DecisionTreeClassifier


def cart(tree):
    """A fitted sklearn.tree._tree.Tree as flat lists (its node ids are already preorder)."""
    counts = tree.value[:, 0, :]  # weighted class counts per node (scikit-learn 1.2)
    leaf = tree.children_left < 0
    return {
        "feature": np.where(leaf, -1, tree.feature).tolist(),
        "threshold": tree.threshold.tolist(),
        "left": tree.children_left.tolist(),
        "right": tree.children_right.tolist(),
        "value": (counts[:, 1] / counts.sum(axis=1)).tolist(),
        "weight": tree.weighted_n_node_samples.tolist(),
    }


def hist_tree(predictor):
    """A HistGradientBoosting TreePredictor (its nodes are filled in preorder, left first)."""
    nodes = predictor.nodes
    leaf = nodes["is_leaf"].astype(bool)
    return {
        "feature": np.where(leaf, -1, nodes["feature_idx"]).tolist(),
        "threshold": nodes["num_threshold"].tolist(),
        "left": np.where(leaf, -1, nodes["left"]).tolist(),
        "right": np.where(leaf, -1, nodes["right"]).tolist(),
        "value": nodes["value"].tolist(),
        "weight": nodes["count"].astype(float).tolist(),
    }


def fit(job):
    x = np.asarray(job["x"], dtype=np.float64)
    y = np.asarray(job["y"], dtype=np.int64)
    x_eval = np.asarray(job["eval"], dtype=np.float64).reshape(-1, x.shape[1])
    kind = job["model"]
    out = {"sklearn": sklearn.__version__}
    if kind == "tree":
        model = DecisionTreeClassifier(**job["params"]).fit(x, y)
        out["trees"] = [cart(model.tree_)]
    elif kind == "forest":
        model = RandomForestClassifier(**job["params"]).fit(x, y)
        out["trees"] = [cart(e.tree_) for e in model.estimators_]
    elif kind == "hist_boosting":
        model = HistGradientBoostingClassifier(**job["params"]).fit(x, y)
        out["trees"] = [hist_tree(p[0]) for p in model._predictors]
        out["baseline"] = float(np.ravel(model._baseline_prediction)[0])
        out["margin"] = model.decision_function(x_eval).tolist()
        out["n_iter"] = int(model.n_iter_)
    else:
        raise SystemExit(f"unknown model {kind!r}")
    if kind != "hist_boosting":
        out["proba"] = model.predict_proba(x_eval)[:, 1].tolist()
        out["importances"] = model.feature_importances_.tolist()
    return out


def main():
    json.dump([fit(job) for job in json.load(sys.stdin)], sys.stdout)


if __name__ == "__main__":
    main()
