"""Opening the warehouse to write, as every writing stage does: operator-only files, the access policy recorded.

Shared by the nightly's stages (``flows.stages``) and ``ladder identities`` (``flows.people``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flows.config import LadderConfig
from flows.files import file_policy, private_umask, secure, warehouse_files
from flows.viewer import access_settings


@contextmanager
def open_writer(config: LadderConfig) -> Iterator[Any]:
    """The warehouse opened writable (created 0600 or per ``files:``), with the config's access policy recorded.

    What ``ladder report`` enforces comes from here (``ladder_settings``), never from the reader's config.
    """
    from warehouse import open_warehouse

    policy = file_policy(config)
    path = config.warehouse_path
    with private_umask(policy):
        with open_warehouse(path) as wh:
            secure(warehouse_files(path), policy)
            wh.write_settings(access_settings(config))
            yield wh
    secure(warehouse_files(path), policy)
