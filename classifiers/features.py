"""Structure features for the models: change size on a log scale, standardized and bucketed.

``SizeFeatures`` is a scikit-learn transformer that follows the estimator
contract (``__init__`` only stores, ``fit`` returns self, learned attributes end
in ``_``) and passes ``sklearn.utils.estimator_checks.check_estimator``.  It
turns counts such as lines changed and files touched into numbers a linear
model can use: a symmetric log (so a 5,000-line change is not 1,000 times a
5-line one), standardized, plus one-hot quantile buckets so that "tiny" and
"huge" can pull towards different labels.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data


def symlog(values: np.ndarray) -> np.ndarray:
    """sign(x) * log1p(|x|): a log scale defined for every real number."""
    return np.sign(values) * np.log1p(np.abs(values))


class SizeFeatures(TransformerMixin, BaseEstimator):
    """Log-scaled, standardized numeric columns plus one-hot quantile buckets per column.

    Parameters
    ----------
    n_buckets : int, default=4
        Quantile buckets per column (0 turns bucketing off).
    names : tuple of str, default=None
        Names for the input columns in ``get_feature_names_out`` ("lines_bucket3", not "x2_bucket3").
    """

    def __init__(self, n_buckets: int = 4, names: tuple[str, ...] | None = None):
        self.n_buckets = n_buckets
        self.names = names

    def fit(self, X, y=None):
        """Learn each column's mean, scale and bucket edges on the log scale."""
        if not isinstance(self.n_buckets, (int, np.integer)) or self.n_buckets < 0:
            raise ValueError(f"SizeFeatures(n_buckets={self.n_buckets!r}): n_buckets must be an integer >= 0")
        X = validate_data(self, X, dtype=np.float64)
        logged = symlog(X)
        self.mean_ = logged.mean(axis=0)
        scale = logged.std(axis=0)
        self.scale_ = np.where(scale > 0, scale, 1.0)
        if self.n_buckets > 1:
            quantiles = np.linspace(0, 1, self.n_buckets + 1)[1:-1]
            self.bucket_edges_ = [np.unique(np.quantile(logged[:, j], quantiles)) for j in range(X.shape[1])]
        else:
            self.bucket_edges_ = [np.empty(0) for _ in range(X.shape[1])]
        return self

    def transform(self, X):
        """Standardized log values, then one column per bucket per input column (0/1)."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        logged = symlog(X)
        parts = [(logged - self.mean_) / self.scale_]
        for j, edges in enumerate(self.bucket_edges_):
            if len(edges) == 0:
                continue
            which = np.searchsorted(edges, logged[:, j], side="right")
            onehot = np.zeros((X.shape[0], len(edges) + 1))
            onehot[np.arange(X.shape[0]), which] = 1.0
            parts.append(onehot)
        return np.hstack(parts)

    def get_feature_names_out(self, input_features=None):
        """``<col>_log`` per column, then ``<col>_bucket<k>`` per bucket."""
        check_is_fitted(self)
        if self.names is not None and len(self.names) == self.n_features_in_:
            input_features = list(self.names)
        if input_features is None:
            input_features = getattr(self, "feature_names_in_", None)
        if input_features is None:
            input_features = [f"x{j}" for j in range(self.n_features_in_)]
        names = [f"{name}_log" for name in input_features]
        for name, edges in zip(input_features, self.bucket_edges_):
            if len(edges):
                names.extend(f"{name}_bucket{k}" for k in range(len(edges) + 1))
        return np.asarray(names, dtype=object)
