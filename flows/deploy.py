"""``ladder schedule``: the ``nightly`` flow as a Prefect deployment on a cron schedule, served by Prefect.

``build_deployment`` is Prefect's own ``Flow.to_deployment`` (a cron schedule in a time zone, the config
path as the flow's parameter, one run at a time: the warehouse has one writer); ``serve`` is Prefect's
``serve``, which registers it with the Prefect API the environment names (a Prefect server:
``PREFECT_API_URL``; Prefect Cloud: ``prefect cloud login``) and runs each scheduled flow run in a
subprocess until stopped.  docs/operations.md has both set-ups; ``prefect.yaml`` at the repository's
root is the same deployment for ``prefect deploy`` and a work pool.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flows.config import ConfigError

DEFAULT_NAME = "ladder-nightly"


def build_deployment(config_path: Path, cron: str, *, name: str = DEFAULT_NAME, timezone: str = "UTC") -> Any:
    """The deployment (``prefect.deployments.runner.RunnerDeployment``); a bad cron or zone is a ConfigError."""
    import zoneinfo

    from prefect.deployments.runner import EntrypointType
    from prefect.schedules import Cron

    from flows.nightly import nightly

    try:
        zoneinfo.ZoneInfo(timezone)
        schedule = Cron(cron, timezone=timezone)
    except (ValueError, zoneinfo.ZoneInfoNotFoundError) as exc:
        raise ConfigError(
            f"--cron {cron!r} / --timezone {timezone!r} is not a valid schedule ({_first_line(exc)}): use five cron "
            'fields, e.g. "15 2 * * *" (02:15 every day), and an IANA zone such as UTC or Europe/Berlin.'
        ) from None
    return nightly.to_deployment(
        name=name,
        schedules=[schedule],
        parameters={"config_path": str(config_path.resolve())},
        concurrency_limit=1,  # one writer: a night that overruns delays the next instead of racing it
        description="ladder-signals: mine, load, classify, evidence, reports (ladder schedule)",
        tags=["ladder"],
        entrypoint_type=EntrypointType.MODULE_PATH,  # flows.nightly.nightly: works from an installed wheel too
    )


def serve(deployment: Any) -> None:  # pragma: no cover - blocks until stopped; `ladder schedule --dry-run` is tested
    from prefect import serve as prefect_serve

    prefect_serve(deployment)


def describe(deployment: Any) -> dict[str, Any]:
    """What the deployment is, as plain values (``ladder schedule --dry-run`` prints it)."""
    schedules = [
        {"cron": getattr(s.schedule, "cron", None), "timezone": getattr(s.schedule, "timezone", None)}
        for s in deployment.schedules or []
    ]
    return {
        "name": deployment.name,
        "flow": deployment.flow_name,
        "entrypoint": deployment.entrypoint,
        "parameters": deployment.parameters,
        "schedules": schedules,
        "concurrency_limit": deployment.concurrency_limit,
        "tags": deployment.tags,
    }


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
