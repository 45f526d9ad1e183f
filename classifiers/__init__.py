"""Classifiers: label activities with rules and models (Arrow table in, Arrow table out; no I/O but models).

Names are imported lazily (PEP 562): ``classifiers.contract`` is needed by the
warehouse and must not pay for importing scikit-learn.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "classifier_version": "classifiers.classify",
    "classify_activities": "classifiers.classify",
    "rules_by_kind": "classifiers.classify",
    "ActivityTableError": "classifiers.errors",
    "ClassifierError": "classifiers.errors",
    "ModelArtifactError": "classifiers.errors",
    "RuleFileError": "classifiers.errors",
    "Models": "classifiers.models",
    "load_or_train": "classifiers.models",
    "build_rules": "classifiers.rules_config",
    "read_rule_file": "classifiers.rules_config",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'classifiers' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
