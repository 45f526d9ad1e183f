"""Overlapping repo globs of two teams (``miners.people.ownership.glob_overlap``), checked against fnmatch itself.

Every pair of a roster's globs is compared, so the comparison has a cheap literal head/tail test before the
character-by-character search; both are checked here on random globs against an independent oracle: every
name over a small alphabet, matched with ``fnmatch.fnmatchcase``.
"""

from __future__ import annotations

import itertools
import random
from fnmatch import fnmatchcase

import pytest

from miners.people.ownership import glob_overlap

ALPHABET = "ab-"
NAMES = ["".join(p) for n in range(7) for p in itertools.product(ALPHABET, repeat=n)]
PIECES = ["a", "b", "-", "*", "?", "[ab]", "[!a]", "[a-b]"]


def _random_glob(rng: random.Random) -> str:
    return "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 4)))


@pytest.mark.parametrize(
    ("a", "b", "overlap"),
    [
        ("acme/train*", "acme/*er", True),
        ("acme/ml-*", "acme/search-*", False),  # literal heads differ
        ("acme/*-api", "acme/*-web", False),  # literal tails differ
        ("acme/*", "acme/billing", True),
        ("ACME/Billing", "acme/billing", True),  # case-insensitive, as repo globs are
        ("acme/[!b]illing", "acme/billing", False),
        ("acme/a?c", "acme/abc", True),
    ],
)
def test_examples(a, b, overlap):
    example = glob_overlap(a, b)
    assert (example is not None) == overlap, example
    if example is not None:
        assert fnmatchcase(example, a.lower()) and fnmatchcase(example, b.lower())


def test_random_globs_agree_with_fnmatch_on_every_short_name():
    rng = random.Random(13)
    seen = {True: 0, False: 0}
    for _ in range(400):
        a, b = _random_glob(rng), _random_glob(rng)
        example = glob_overlap(a, b)
        if example is not None:  # a real witness
            assert fnmatchcase(example, a) and fnmatchcase(example, b), (a, b, example)
        else:  # no name up to 6 characters matches both (the globs have at most 4 pieces)
            assert not any(fnmatchcase(n, a) and fnmatchcase(n, b) for n in NAMES), (a, b)
        seen[example is not None] += 1
    assert min(seen.values()) > 50, seen  # both outcomes were exercised
