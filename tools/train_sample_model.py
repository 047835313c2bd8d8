#!/usr/bin/env python3
"""Trains healthzk's sample insurer models on real data and exports them for `healthzk model import`.

Data: scikit-learn's bundled diabetes study (Efron, Hastie, Johnstone, Tibshirani 2004, "Least
Angle Regression", Annals of Statistics 32(2)): 442 patients, ten baseline variables (age, sex,
BMI, mean arterial pressure and six serum measurements), and a quantitative measure of disease
progression one year later. Loaded unscaled, so every feature is in clinical units and maps to a
`lab_panel/v1` slot.

Label: progression above the study median (140.5), i.e. "high one-year progression risk".
Models: StandardScaler + LogisticRegression, and StandardScaler + MLPClassifier(16 ReLU units).
The export is plain JSON of the fitted arrays (coef_/coefs_, intercept_/intercepts_, mean_,
scale_), which `healthzk model import` folds and quantizes.

Also writes held-out cases with sklearn's own logits, which a Rust test uses to check that the
folded float model reproduces sklearn and the quantized model stays within tolerance.

Run: pip install scikit-learn==1.5.2 && python3 tools/train_sample_model.py
"""
import json
import math
import os

import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

OUT = os.path.join(os.path.dirname(__file__), "..", "models")
INPUTS = ["age", "sex", "bmi", "bp", "tc", "ldl", "hdl", "tch", "ltg", "glucose"]
DECIMALS = [0, 0, 1, 2, 0, 1, 1, 2, 4, 0]  # lab_panel/v1 slot decimals, same order
THRESHOLD = {"probability": 0.2, "direction": "below"}

data = load_diabetes(scaled=False)
X = data.data
y = (data.target > 140.5).astype(int)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)

lr = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=1000)).fit(X_train, y_train)
mlp = make_pipeline(
    StandardScaler(),
    MLPClassifier(hidden_layer_sizes=(16,), activation="relu", alpha=1e-2, max_iter=4000, random_state=0),
).fit(X_train, y_train)


def export(name, pipe, kind):
    scaler, clf = pipe[0], pipe[1]
    if kind == "logistic_regression":
        coefs, intercepts = [clf.coef_.tolist()], [clf.intercept_.tolist()]
    else:
        coefs, intercepts = [c.tolist() for c in clf.coefs_], [b.tolist() for b in clf.intercepts_]
    doc = {
        "name": name,
        "schema": "lab_panel/v1",
        "kind": kind,
        "inputs": INPUTS,
        "scaler_mean": scaler.mean_.tolist(),
        "scaler_scale": scaler.scale_.tolist(),
        "coefs": coefs,
        "intercepts": intercepts,
        "threshold": THRESHOLD,
    }
    with open(os.path.join(OUT, f"{name}.import.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(f"{name}: test accuracy {pipe.score(X_test, y_test):.3f}")


def logit(p):
    p = min(max(p, 1e-15), 1 - 1e-15)
    return math.log(p / (1 - p))


export("diabetes-progression-lr", lr, "logistic_regression")
export("diabetes-progression-mlp", mlp, "mlp")

cases = []
for row in X_test:
    slots = {n: round(float(v) * 10**d) for n, v, d in zip(INPUTS, row, DECIMALS)}
    cases.append(
        {
            "slots": slots,
            "lr_logit": float(lr.decision_function(row.reshape(1, -1))[0]),
            "mlp_logit": logit(float(mlp.predict_proba(row.reshape(1, -1))[0, 1])),
        }
    )
with open(os.path.join(OUT, "diabetes-progression-cases.json"), "w") as f:
    json.dump({"source": "sklearn.datasets.load_diabetes(scaled=False), held-out 25%", "cases": cases}, f, indent=1)
    f.write("\n")
print(f"{len(cases)} held-out cases written")
