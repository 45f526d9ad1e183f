"""The vendored seed rubric text (a package so the wheel ships it)."""
