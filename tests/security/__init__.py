"""Security and integrity regression tests (issues 15 and 16), one package beside the per-package test folders:
tokens kept on their host, malformed and poison answers, every rate-limit form, access and identity, text safety.

Shared helpers live in ``tests/support/`` (e.g. ``synced.py``, a sandbox world synced through the real stages); the
bad-input corpus is ``tests/security/bad_inputs``.
"""
