"""Security and integrity regression tests (issue 16).

A package (unlike ``tests/``) because several files here share their names with older tests in ``tests/``
(``test_access.py``): pytest's default import mode needs distinct module names.
"""
