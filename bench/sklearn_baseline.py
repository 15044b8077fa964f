#!/usr/bin/python3
"""The seed's scikit-learn approach, as the baseline for bench_model_quality.

usage: sklearn_baseline.py DATA.csv COLUMNS.json FOLDS.csv OUT.json

Same rows, folds and columns as the C++ side, derived columns (model.derived_properties) included
and computed the same way. Numeric columns: median imputation (and scaling
for logistic regression); categorical: one-hot. RandomForestClassifier with its defaults (the
seed's model), LogisticRegression, and HistGradientBoostingClassifier with its defaults (scikit-learn's
own gradient boosting, the strongest of its usual tools on tables). Writes out-of-fold probabilities and predict_proba rows/s
(for the forest also with n_jobs=2, the threads ChurnGuard scores with).
"""
import csv
import json
import sys
import time

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler


def derive(row, d):
    """A derived column (model.derived_properties) as ChurnGuard computes it: blank where it is missing."""
    vals = [row[c].strip() for c in d["of"]]
    if any(v == "" for v in vals):
        return ""
    x = [float(v) for v in vals]
    if d["op"] == "sum":
        return repr(sum(x))
    if d["op"] == "ratio":
        return repr(x[0] / x[1]) if x[1] != 0 else ""
    if d["op"] == "log":
        return repr(float(np.log1p(x[0]))) if x[0] > -1 else ""
    raise ValueError("unknown derived op " + d["op"])


def load(path, cols):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    for d in cols.get("derived", []):
        for r in rows:
            r[d["name"]] = derive(r, d)
    numeric = cols["numeric"] + [d["name"] for d in cols.get("derived", [])]
    num = np.array([[float(r[c]) if r[c].strip() else np.nan for c in numeric] for r in rows])
    cat = np.array([[r[c] for c in cols["categorical"]] for r in rows], dtype=object)
    y = np.array([1 if r[cols["label"]] == cols["positive"] else 0 for r in rows])
    return num, cat, y


def encoder(scale, n_num, n_cat, dense=False):
    numeric = make_pipeline(SimpleImputer(strategy="median"), StandardScaler()) if scale else SimpleImputer(strategy="median")
    return ColumnTransformer([("num", numeric, list(range(n_num))),
                              ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=not dense), list(range(n_num, n_num + n_cat)))])


def rows_per_second(fn, rows):
    reps, start = 0, time.perf_counter()
    while True:
        fn()
        reps += 1
        elapsed = time.perf_counter() - start
        if elapsed >= 1.0:
            return rows * reps / elapsed


def main():
    data, cols_path, folds_path, out_path = sys.argv[1:5]
    cols = json.load(open(cols_path))
    num, cat, y = load(data, cols)
    X = np.concatenate([num.astype(object), cat], axis=1)
    folds = np.array([int(line) for line in open(folds_path).read().split()[1:]])
    models = {
        "rf": lambda: RandomForestClassifier(random_state=0),
        "lr": lambda: LogisticRegression(max_iter=1000),
        "hgb": lambda: HistGradientBoostingClassifier(random_state=0),
    }
    out = {}
    for key, make in models.items():
        oof = np.zeros(len(y))
        for k in range(5):
            tr, te = folds != k, folds == k
            enc = encoder(key == "lr", num.shape[1], cat.shape[1], dense=key == "hgb")
            clf = make().fit(enc.fit_transform(X[tr]), y[tr])
            oof[te] = clf.predict_proba(enc.transform(X[te]))[:, 1]
            if k == 0:
                Xall = enc.transform(X)
                rps = rows_per_second(lambda: clf.predict_proba(Xall), len(y))
                if key == "rf":  # the same forest on two threads, as ChurnGuard scores
                    clf.set_params(n_jobs=2)
                    rps2 = rows_per_second(lambda: clf.predict_proba(Xall), len(y))
        out[key] = {"oof": oof.tolist(), "rows_per_s": rps}
        if key == "rf":
            out[key]["rows_per_s_2_threads"] = rps2
    json.dump(out, open(out_path, "w"))


if __name__ == "__main__":
    main()
