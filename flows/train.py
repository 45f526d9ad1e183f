"""The Prefect flow `train`: weak labels and disputed labels → retrain the models → artifacts in model_dir.

The flow reads and validates the config once and hands it to the tasks.  The
warehouse is opened read-only; when it does not exist yet (no sync has run)
the models are trained on the vendored data alone.
"""

from __future__ import annotations

from pathlib import Path

from flows.runtime import check_prefect_home, configure_prefect_env, restore_logging, start_prefect_server

configure_prefect_env()

from prefect import flow, task  # noqa: E402  (env must be set before Prefect loads)

restore_logging()  # Prefect replaced the root log handlers (and their secret redaction) on import

from flows.config import LadderConfig, read_config  # noqa: E402


@task(name="read-weak-labels")
def weak_labels_task(config: LadderConfig) -> dict | None:
    """Weak-labelled work-type examples from the company's PRs and tickets, or None without a warehouse."""
    from classifiers.weak_labels import weak_label_examples
    from warehouse import open_warehouse

    if not Path(config.warehouse_path).exists():
        return None
    with open_warehouse(config.warehouse_path, read_only=True) as wh:
        activities = wh.query_activities()
    examples = weak_label_examples(activities, rules_path=config.resolve(config.classifiers.rules))
    return {"inputs": examples.inputs, "labels": examples.labels, "ids": examples.ids, "groups": examples.groups}


@task(name="read-disputes")
def disputes_task(config: LadderConfig) -> dict | None:
    """Labels engineers disputed and corrected in ``ladder serve`` (``classifiers.disputes``), or None."""
    from dataclasses import asdict

    from classifiers.disputes import dispute_examples
    from warehouse import open_warehouse
    from warehouse.feedback import read_notes

    notes = read_notes(config.feedback_path)
    if not notes or not Path(config.warehouse_path).exists():
        return None
    with open_warehouse(config.warehouse_path, read_only=True) as wh:
        activities = wh.query_activities()
    return asdict(dispute_examples(notes, activities))


@task(name="train-models")
def train_models_task(config: LadderConfig, weak: dict | None, seed: int, disputes: dict | None = None) -> list[dict]:
    """Train both models (work type with the weak labels added, both with disputed labels) and replace
    their artifacts."""
    from classifiers.disputes import DisputeExamples
    from classifiers.models import train_and_save
    from classifiers.training_data import Examples
    from flows.files import file_policy, private_umask, secure, tree

    extra = Examples(**weak) if weak else None
    corrected = None
    if disputes:
        corrected = DisputeExamples(
            Examples(**disputes["work_type"]),
            Examples(**disputes["review_substance"]),
            disputes["used"],
            disputes["provenance"],
        )
    policy = file_policy(config)
    with private_umask(policy):
        models = train_and_save(config.model_dir, seed=seed, work_type_extra=extra, disputes=corrected)
    secure(tree(config.model_dir), policy)
    return [
        dict(model.metadata, artifact_dir=str(config.model_dir))
        for model in (models.work_type, models.review_substance)
    ]


@flow(name="train", log_prints=False)
def train(
    config_path: str, use_company_data: bool = True, seed: int = 0, config: LadderConfig | None = None
) -> list[dict]:
    """Retrain the work-type and review-substance models; returns each artifact's metadata.

    ``config``: ``config_path`` already read and validated; without it the flow reads it here, once.
    """
    config = config if config is not None else read_config(config_path)
    weak = weak_labels_task(config) if use_company_data else None
    disputes = disputes_task(config) if use_company_data else None
    return train_models_task(config, weak, seed, disputes)


def run_train(
    config_path: Path, *, use_company_data: bool = True, seed: int = 0, config: LadderConfig | None = None
) -> list[dict]:
    """Run the flow now, in-process (the temporary Prefect server dies with this process)."""
    check_prefect_home()
    start_prefect_server()
    return train(str(config_path), use_company_data=use_company_data, seed=seed, config=config)
