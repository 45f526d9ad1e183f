"""Jinja2 templates for reports (a package so the wheel ships them)."""
