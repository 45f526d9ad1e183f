"""The warehouse's one error type."""

from __future__ import annotations


class WarehouseError(Exception):
    """The warehouse cannot do what was asked; the message names the object and the fix."""
