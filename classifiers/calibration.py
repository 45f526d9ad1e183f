"""Calibrated probabilities for the linear models, and how to measure them.

``CalibratedLinearClassifier`` wraps a linear classifier (``SGDClassifier``
with log loss).  It fits one copy per fold (``n_splits`` folds; with
``groups``, all rows of a group — a repository, a review's change — stay in
one fold), scores each fold's held-out rows with the copy that did not see
them, and learns a calibration map from those *out-of-fold* scores to how
often the class was right.  The model it keeps is the average of the fold
copies (for linear models: their averaged weights), whose scores on new data
look like the out-of-fold scores the calibration was fitted on; a single
refit on all rows would be more confident than the map assumes.  A
probability of 0.8 then means "right about 8 times in 10" on an unseen
repository or change; ``docs/classifiers.md`` measures how close that is.

Methods: ``sigmoid`` (Platt: one logistic curve per class, normalised to sum
to one, as scikit-learn's ``CalibratedClassifierCV``), ``isotonic`` (one
isotonic map per class, normalised) and ``temperature`` (one temperature for
the softmax of all scores).  The linear weights stay available (``coef_``),
so a prediction can name the words behind it.

``reliability``, ``expected_calibration_error`` and ``precision_at`` measure
calibration on held-out predictions (the harness, ``classifiers.evaluate``).
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.optimize import minimize_scalar
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, StratifiedKFold
from sklearn.utils.validation import check_is_fitted

METHODS = ("sigmoid", "isotonic", "temperature")
# Score of a class that a fold's training rows lacked (it then never wins on that fold's held-out rows).
_ABSENT_SCORE = -20.0


class CalibratedLinearClassifier(ClassifierMixin, BaseEstimator):
    """The average of per-fold linear classifiers, with probabilities calibrated on out-of-fold scores.

    Parameters
    ----------
    estimator : linear classifier with ``decision_function``, ``coef_`` and ``intercept_``
        Cloned and fitted once per fold.
    method : {"sigmoid", "isotonic", "temperature"}, default="sigmoid"
        Per-class Platt scaling, per-class isotonic regression, or one softmax temperature.
    n_splits : int, default=5
        Folds; with ``groups`` at most one per group, without them stratified and shuffled.
    random_state : int, default=0
        Seed of the stratified folds.
    """

    def __init__(self, estimator=None, method: str = "sigmoid", n_splits: int = 5, random_state: int = 0):
        self.estimator = estimator
        self.method = method
        self.n_splits = n_splits
        self.random_state = random_state

    def fit(self, X, y, groups=None):
        """Fit a copy of the estimator per fold, calibrate on their out-of-fold scores, keep their average."""
        if self.method not in METHODS:
            raise ValueError(f"CalibratedLinearClassifier(method={self.method!r}): use one of {', '.join(METHODS)}")
        if self.estimator is None:
            raise ValueError("CalibratedLinearClassifier needs an estimator (a linear classifier)")
        y = np.asarray(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise ValueError("CalibratedLinearClassifier needs at least two classes in y")
        scores = np.full((len(y), len(self.classes_)), np.nan)
        coefs, intercepts = [], []
        for train, test in self._splits(y, groups):
            coef, intercept = self._weights(_fit_quietly(clone(self.estimator), X[train], y[train]))
            scores[test] = np.asarray(X[test] @ coef.T) + intercept
            coefs.append(coef)
            intercepts.append(intercept)
        self.coef_ = np.mean(coefs, axis=0)
        self.intercept_ = np.mean(intercepts, axis=0)
        self.n_features_in_ = X.shape[1]
        held_out = ~np.isnan(scores).any(axis=1)
        scores, y = scores[held_out], y[held_out]
        if self.method == "temperature":
            self.calibrators_ = [_fit_temperature(scores, np.searchsorted(self.classes_, y))]
        else:
            self.calibrators_ = [
                self._per_class(scores[:, k], (y == c).astype(float)) for k, c in enumerate(self.classes_)
            ]
        return self

    def decision_function(self, X) -> np.ndarray:
        """The linear scores, one column per class of ``classes_``."""
        check_is_fitted(self)
        return np.asarray(X @ self.coef_.T) + self.intercept_

    def predict_proba(self, X) -> np.ndarray:
        """Calibrated probabilities, one column per class, rows summing to one."""
        return self._calibrate(self.decision_function(X))

    def predict(self, X) -> np.ndarray:
        """The class with the highest linear score (the class-balanced decision; with per-class calibration
        it is not always the class with the highest calibrated probability)."""
        return self.classes_[self.decision_function(X).argmax(axis=1)]

    def predict_with_confidence(self, X) -> tuple[np.ndarray, np.ndarray]:
        """(``predict(X)``, the calibrated probability of that class) per row."""
        scores = self.decision_function(X)
        best = scores.argmax(axis=1)
        return self.classes_[best], self._calibrate(scores)[np.arange(len(best)), best]

    def predict_proba_uncalibrated(self, X) -> np.ndarray:
        """What the log-loss model itself says (one-vs-rest logistic of the scores, normalised, as
        ``SGDClassifier.predict_proba``): the "before" of the calibration."""
        proba = 1.0 / (1.0 + np.exp(-np.clip(self.decision_function(X), -50, 50)))
        return proba / proba.sum(axis=1, keepdims=True)

    # --- internals ---------------------------------------------------------------------

    def _splits(self, y: np.ndarray, groups) -> list[tuple[np.ndarray, np.ndarray]]:
        x_dummy = np.zeros(len(y))
        if groups is not None:
            groups = np.asarray(groups)
            n_groups = len(np.unique(groups))
            if n_groups >= 2:
                return list(GroupKFold(n_splits=min(self.n_splits, n_groups)).split(x_dummy, y, groups))
        smallest = int(min(np.unique(y, return_counts=True)[1]))
        n = max(2, min(self.n_splits, smallest))
        return list(StratifiedKFold(n_splits=n, shuffle=True, random_state=self.random_state).split(x_dummy, y))

    def _weights(self, model) -> tuple[np.ndarray, np.ndarray]:
        """A fitted linear model's (coef, intercept) with one row per class of ``classes_``."""
        coef, intercept = model.coef_, np.atleast_1d(model.intercept_)
        if coef.shape[0] == 1 and len(model.classes_) == 2:  # binary: one row, for classes_[1]
            coef, intercept = np.vstack([-coef[0], coef[0]]), np.array([-intercept[0], intercept[0]])
        out_coef = np.zeros((len(self.classes_), coef.shape[1]))
        out_intercept = np.full(len(self.classes_), _ABSENT_SCORE)
        index = {c: k for k, c in enumerate(self.classes_)}
        for j, c in enumerate(model.classes_):
            out_coef[index[c]], out_intercept[index[c]] = coef[j], intercept[j]
        return out_coef, out_intercept

    def _per_class(self, scores: np.ndarray, target: np.ndarray):
        if target.min() == target.max():  # never (or always) this class out of fold: a constant
            return float(target[0])
        if self.method == "isotonic":
            return IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(scores, target)
        return LogisticRegression(C=1e4).fit(scores.reshape(-1, 1), target)

    def _calibrate(self, scores: np.ndarray) -> np.ndarray:
        check_is_fitted(self)
        if self.method == "temperature":
            return _softmax(scores / self.calibrators_[0])
        proba = np.column_stack([_apply(cal, scores[:, k]) for k, cal in enumerate(self.calibrators_)])
        total = proba.sum(axis=1, keepdims=True)
        return np.where(total > 0, proba / np.where(total > 0, total, 1.0), 1.0 / proba.shape[1])


def _fit_quietly(model, X, y):
    with warnings.catch_warnings():  # SGD stops at its fixed epoch budget on purpose
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


def _apply(calibrator, scores: np.ndarray) -> np.ndarray:
    if isinstance(calibrator, float):
        return np.full(len(scores), calibrator)
    if isinstance(calibrator, IsotonicRegression):
        return calibrator.predict(scores)
    return calibrator.predict_proba(scores.reshape(-1, 1))[:, 1]


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _fit_temperature(scores: np.ndarray, target: np.ndarray) -> float:
    """The temperature T minimising the log loss of softmax(scores / T) on ``target`` (class indices)."""
    rows = np.arange(len(target))

    def log_loss(log_t: float) -> float:
        return float(-np.log(_softmax(scores / np.exp(log_t))[rows, target] + 1e-12).mean())

    return float(np.exp(minimize_scalar(log_loss, bounds=(-4.0, 4.0), method="bounded").x))


# --- measuring calibration ------------------------------------------------------------

RELIABILITY_BINS = (0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


def reliability(confidence, correct, edges=RELIABILITY_BINS) -> list[dict]:
    """Per confidence bin (lo, hi]: how many predictions, their mean confidence and the share that was right."""
    confidence, correct = np.asarray(confidence, dtype=float), np.asarray(correct, dtype=float)
    rows = []
    for i, (lo, hi) in enumerate(zip(edges[:-1], edges[1:])):
        mask = ((confidence > lo) if i else (confidence >= lo)) & (confidence <= hi)
        n = int(mask.sum())
        rows.append(
            {
                "lo": lo,
                "hi": hi,
                "n": n,
                "mean_confidence": round(float(confidence[mask].mean()), 4) if n else None,
                "accuracy": round(float(correct[mask].mean()), 4) if n else None,
            }
        )
    return rows


def expected_calibration_error(confidence, correct, n_bins: int = 10) -> float:
    """ECE over ``n_bins`` equal-width bins of the top-label confidence: |accuracy - mean confidence| per
    bin, weighted by the bin's share of the predictions."""
    confidence, correct = np.asarray(confidence, dtype=float), np.asarray(correct, dtype=float)
    if not len(confidence):
        return 0.0
    which = np.minimum((confidence * n_bins).astype(int), n_bins - 1)
    total = 0.0
    for b in range(n_bins):
        mask = which == b
        if mask.any():
            total += mask.mean() * abs(correct[mask].mean() - confidence[mask].mean())
    return round(float(total), 4)


def precision_at(confidence, correct, threshold: float) -> tuple[int, float]:
    """(labels kept, their precision) when only predictions with confidence >= ``threshold`` are emitted."""
    confidence, correct = np.asarray(confidence, dtype=float), np.asarray(correct, dtype=float)
    mask = confidence >= threshold
    n = int(mask.sum())
    return n, (round(float(correct[mask].mean()), 4) if n else 0.0)
