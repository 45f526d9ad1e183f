"""Logging: secrets are redacted on the handler that writes, and Prefect's import does not undo it."""

from __future__ import annotations

import logging

from flows.runtime import RedactSecrets, configure_logging


def test_registered_secrets_never_reach_the_log(capsys):
    configure_logging()
    import flows.nightly  # noqa: F401  (Prefect replaces root handlers on import; ours must be back)

    RedactSecrets.register("ghp_supersecretvalue")
    logging.getLogger("miners.github.miner").info("retrying with Authorization: token ghp_supersecretvalue")
    err = capsys.readouterr().err
    assert "ghp_supersecretvalue" not in err
    assert "Authorization: token ***" in err
