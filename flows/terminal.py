"""What the CLI prints to a terminal carries no control sequences: text from GitHub, Jira or a file is data.

A login, a display name, a title or a file name can hold ESC (terminal escape sequences: colours, cursor
moves, window titles, hyperlinks), BEL, NUL, a carriage return that overwrites the line, or bidi overrides
that reverse what follows.  ``clean`` drops them all, keeping tab and newline.
"""

from __future__ import annotations

import re

# C0 controls but tab and newline (so CR too), DEL, C1 controls, bidi embeddings / overrides / isolates.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean(text: str) -> str:
    """``text`` without control and bidi-control characters (tab and newline kept)."""
    return _UNSAFE.sub("", text)
