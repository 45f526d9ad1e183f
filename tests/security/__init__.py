"""Security and integrity regression tests (issue 16): one package beside the per-package test folders.

Their shared helper (a sandbox world synced through the real stages) is ``tests/support/synced.py``; the
bad-input corpus is ``tests/security/bad_inputs``.
"""
