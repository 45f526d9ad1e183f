"""The classifier commands of the ``ladder`` CLI: ``train``, ``eval`` and ``classify``.

``register(main)`` adds them to the ``ladder`` group (replacing an older
``train``).  No business logic: the harness is ``classifiers.evaluate``, CSV
classification ``classifiers.batch``, training the Prefect flow ``flows.train``.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from flows.cli.options import config_option

TASK_CHOICE = click.Choice(["work-type", "review-comment"])


@click.command()
@config_option
@click.option("--no-company-data", is_flag=True, help="Train on the vendored data only (no weak labels).")
@click.option("--seed", default=0, show_default=True, type=int, help="Training seed (same seed, same model).")
def train(config_path: str, no_company_data: bool, seed: int) -> None:
    """Retrain the work-type and review-comment models in the config's model_dir, adding weak labels
    (conventional titles, GitHub labels, Jira issue types) from the warehouse and the labels engineers
    disputed and corrected in `ladder serve` (training split only; the count is printed)."""
    from classifiers.disputes import DISPUTE_WEIGHT
    from flows.config import read_config
    from flows.train import run_train

    config = read_config(config_path)
    for meta in run_train(Path(config_path), use_company_data=not no_company_data, seed=seed, config=config):
        metrics = meta["metrics"]
        weak = meta.get("weak_labels") or {}
        disputed = meta.get("disputes") or {}
        click.echo(
            f"{meta['model_id']} v{meta['version']}: held-out accuracy {metrics['accuracy']:.3f}, "
            f"macro-F1 {metrics['macro_f1']:.3f}"
            + (f", +{weak['n']} weak labels from the warehouse" if weak else "")
            + f", {disputed.get('n_activities', 0)} disputed labels used"
            + (f" (each counted {DISPUTE_WEIGHT}x)" if disputed.get("n_activities") else "")
            + f" → {config.model_dir}"
        )


@click.command("eval")
@click.argument("task", type=TASK_CHOICE)
@click.option(
    "--data",
    type=click.Path(dir_okay=False, exists=True),
    metavar="FILE.csv",
    help="Labelled CSV (default: the vendored training data).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the full result as JSON.")
@click.option(
    "--doc",
    type=click.Path(dir_okay=False),
    metavar="PATH",
    help="Also rewrite this task's section of a Markdown file (docs/classifiers.md).",
)
@click.option("--seed", default=0, show_default=True, type=int)
@click.option(
    "--rules",
    "rules_path",
    type=click.Path(dir_okay=False, exists=True),
    metavar="PATH",
    help="An extra rules YAML for the rules baseline.",
)
def eval_(task: str, data: str | None, as_json: bool, doc: str | None, seed: int, rules_path: str | None) -> None:
    """Cross-validate TASK's model against the majority class and the rules alone, in one run."""
    from classifiers.eval_doc import update_classifiers_doc
    from classifiers.evaluate import evaluate_task

    result = evaluate_task(
        task, Path(data) if data else None, seed=seed, rules_path=Path(rules_path) if rules_path else None
    )
    if doc:
        update_classifiers_doc(Path(doc), result)
    if as_json:
        click.echo(json.dumps(result, indent=2, sort_keys=True))
        return
    base = result["baselines"]
    click.echo(f"{task}: {result['n']} rows, {result['scheme']}")
    for name, scores in (("model", result["model"]), ("rules", base["rules"]), ("majority", base["majority"])):
        click.echo(f"  {name:<9} macro-F1 {scores['macro_f1']:.3f}  accuracy {scores['accuracy']:.3f}")
    for fold in result["folds"]:
        click.echo(
            f"  held out {fold['name']}: model {fold['model']['macro_f1']:.3f}, rules "
            f"{fold['rules']['macro_f1']:.3f}, majority {fold['majority']['macro_f1']:.3f}"
            + ("" if fold["beats_baselines"] else "  (model does NOT beat both)")
        )
    if doc:
        click.echo(f"wrote {doc}", err=True)


@click.command()
@click.argument("task", type=TASK_CHOICE)
@click.option(
    "--data",
    required=True,
    type=click.Path(dir_okay=False, exists=True),
    metavar="FILE.csv",
    help="CSV to classify (work-type: subject, body, files; review-comment: message).",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False),
    metavar="FILE.csv",
    help="Where to write the rows with label, confidence, classifier and reason added.",
)
@click.option(
    "--model-dir",
    type=click.Path(file_okay=False),
    metavar="DIR",
    help="Model artifacts to use (default: train in memory, write nothing).",
)
@click.option(
    "--rules", "rules_path", type=click.Path(dir_okay=False, exists=True), metavar="PATH", help="An extra rules YAML."
)
def classify(task: str, data: str, out: str, model_dir: str | None, rules_path: str | None) -> None:
    """Label every row of a CSV: label, confidence and reason per row."""
    from classifiers.batch import classify_csv

    counts = classify_csv(
        task,
        Path(data),
        Path(out),
        model_dir=Path(model_dir) if model_dir else None,
        rules_path=Path(rules_path) if rules_path else None,
    )
    shown = ", ".join(f"{label} {n}" for label, n in sorted(counts.items(), key=lambda kv: -kv[1]))
    click.echo(f"wrote {out}: {sum(counts.values())} rows ({shown})")


def register(main: click.Group) -> None:
    """Add ``train``, ``eval`` and ``classify`` to ``main``."""
    for command in (train, eval_, classify):
        main.add_command(command)
