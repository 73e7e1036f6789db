#!/usr/bin/env python3
"""Write the scikit-learn fixtures: fitted models pickled by CPython, and what sklearn predicts.

    DIR/bin/python python_fixtures/sklearn_models.py [OUT]  # needs numpy, scikit-learn

Rewrites the files of OUT (default python_fixtures/sklearn/; its subfolders are left alone).
The committed sets: python_fixtures/sklearn/ with scikit-learn 1.9 and numpy 2, and
python_fixtures/sklearn/sklearn1.3-numpy1/ with scikit-learn 1.3.2 and numpy 1.26.4 (the
``numpy.core`` names, and LogisticRegression's ``multi_class``, gone since 1.8: that set adds a
``multi_class="ovr"`` 3-class model and a ``multi_class="multinomial"`` binary one). Files:

- ``<model>.p<proto>.pkl``: ``pickle.dumps(model, protocol=proto)`` for protocols 2-5 (protocol
  5 without a ``buffer_callback``, so its arrays are in-band, as a plain ``pickle.dumps`` writes
  them);
- ``<model>.joblib``, ``<model>.c3.joblib`` and ``<model>.gz.joblib``: ``joblib.dump(model,
  path)`` uncompressed, with ``compress=3`` (zlib) and with ``compress=('gzip', 3)``, when joblib
  is installed (the sklearn1.3-numpy1 set predates the gzip files and has none);
- ``expectations.tsv``: per model, method and input, what sklearn itself returns, one line each:
  ``model<TAB>method<TAB>X<TAB>result``, where ``X`` and ``result`` are rows separated by ``;``
  of values separated by ``,``; floats are Python's ``repr`` (they read back exactly), labels
  integers or plain text. A first comment line records the versions that wrote the files.

tests/sklearn.rs and examples/sklearn_predict.rs read them; neither needs Python.
"""

import os
import pickle
import platform
import sys

import numpy as np
import sklearn
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

try:
    import joblib
except ImportError:  # joblib comes with scikit-learn, but stay usable without it
    joblib = None

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "sklearn")

# The seed's model and data (issue 6).
SEED_X = [[1, 2], [3, 4], [5, 6]]
SEED_Y = [0, 1, 0]

# A small fixed 3-class problem; labels that are not 0..n so that a mix-up of class index and
# label shows.
MULTI_X = [
    [0.0, 0.0], [1.0, 0.5], [0.5, 1.0], [0.2, 0.3],
    [4.0, 0.5], [5.0, 1.0], [4.5, -0.5], [3.8, 0.2],
    [2.0, 4.0], [2.5, 5.0], [1.5, 4.5], [2.2, 3.6],
]
MULTI_Y = [10] * 4 + [20] * 4 + [30] * 4

# Inputs the recorded predictions are for.
INPUTS = [[3.0, 4.0], [1.0, 2.0], [0.0, 0.0], [10.0, -3.0], [2.5, 7.25], [-1.5, 0.125]]

# A 3-feature input for the scaler, so that columns with different means and scales show.
SCALER_X = [[1.0, -2.0, 10.0], [3.0, 0.0, 30.0], [5.0, 2.0, 35.0], [7.0, 8.0, 5.0]]
SCALER_INPUTS = [[3.0, 4.0, 20.0], [0.0, 0.0, 0.0], [-1.0, 100.0, 1e-3]]

REGRESSION_X = [[1.0, 2.0], [3.0, 4.0], [5.0, 7.0], [2.0, 1.0], [0.5, 3.0]]
REGRESSION_Y = [1.0, 2.5, 2.0, 0.5, 1.75]


def models():
    """(name, fitted model, [(method, inputs)])"""
    yield (
        "logreg_binary",
        LogisticRegression().fit(SEED_X, SEED_Y),
        [("predict", INPUTS), ("predict_proba", INPUTS)],
    )
    yield (
        "logreg_multinomial",
        LogisticRegression().fit(MULTI_X, MULTI_Y),
        [("predict", INPUTS), ("predict_proba", INPUTS)],
    )
    yield (
        "logreg_string_labels",
        LogisticRegression().fit(MULTI_X, ["cat"] * 4 + ["dog"] * 4 + ["bird"] * 4),
        [("predict", INPUTS), ("predict_proba", INPUTS)],
    )
    yield (
        "standard_scaler",
        StandardScaler().fit(SCALER_X),
        [("transform", SCALER_INPUTS)],
    )
    yield (
        "linear_regression",
        LinearRegression().fit(REGRESSION_X, REGRESSION_Y),
        [("predict", INPUTS)],
    )
    yield (
        "pipeline_scaler_logreg",
        Pipeline([("scaler", StandardScaler()), ("clf", LogisticRegression())]).fit(MULTI_X, MULTI_Y),
        [("predict", INPUTS), ("predict_proba", INPUTS)],
    )
    if "multi_class" in LogisticRegression().get_params():
        # scikit-learn < 1.8: one sigmoid per class, normalised; and a binary softmax.
        yield (
            "logreg_ovr",
            LogisticRegression(multi_class="ovr").fit(MULTI_X, MULTI_Y),
            [("predict", INPUTS), ("predict_proba", INPUTS)],
        )
        yield (
            "logreg_binary_multinomial",
            LogisticRegression(multi_class="multinomial").fit(SEED_X, SEED_Y),
            [("predict", INPUTS), ("predict_proba", INPUTS)],
        )


def fmt_value(v):
    if isinstance(v, str):  # a label (np.str_ is a str)
        return v
    if isinstance(v, (np.integer, int)):
        return str(int(v))
    return repr(float(v))


def fmt_rows(a):
    a = np.asarray(a)
    if a.ndim == 1:
        a = a.reshape(-1, 1)
    return ";".join(",".join(fmt_value(v) for v in row) for row in a)


def main():
    os.makedirs(OUT, exist_ok=True)
    for old in os.listdir(OUT):
        if os.path.isfile(os.path.join(OUT, old)):
            os.remove(os.path.join(OUT, old))
    versions = (
        f"# python {platform.python_version()} numpy {np.__version__} "
        f"scikit-learn {sklearn.__version__}"
        + (f" joblib {joblib.__version__}" if joblib else "")
    )
    lines = [versions]
    for name, model, calls in models():
        for proto in range(2, 6):
            data = pickle.dumps(model, protocol=proto)
            # Loading back must predict the same, or the fixture is not worth recording.
            back = pickle.loads(data)
            for method, inputs in calls:
                assert np.array_equal(getattr(back, method)(inputs), getattr(model, method)(inputs))
            with open(os.path.join(OUT, f"{name}.p{proto}.pkl"), "wb") as f:
                f.write(data)
        if joblib is not None:
            joblib.dump(model, os.path.join(OUT, f"{name}.joblib"))
            joblib.dump(model, os.path.join(OUT, f"{name}.c3.joblib"), compress=3)
            joblib.dump(model, os.path.join(OUT, f"{name}.gz.joblib"), compress=("gzip", 3))
        for method, inputs in calls:
            result = getattr(model, method)(np.asarray(inputs, dtype=np.float64))
            lines.append("\t".join([name, method, fmt_rows(inputs), fmt_rows(result)]))
    with open(os.path.join(OUT, "expectations.tsv"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {len(lines) - 1} expectations and their pickles to {OUT}")


if __name__ == "__main__":
    main()
