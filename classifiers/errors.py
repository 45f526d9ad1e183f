"""The classifiers' error hierarchy: every message says what failed, on which object, and what to do."""

from __future__ import annotations


class ClassifierError(Exception):
    """Base class for classifier failures."""


class RuleFileError(ClassifierError):
    """A rules YAML file is unreadable or invalid."""


class ModelArtifactError(ClassifierError):
    """A persisted model does not match this code, its training data or this scikit-learn."""


class ActivityTableError(ClassifierError):
    """The activities table does not carry the columns the classifiers read."""
