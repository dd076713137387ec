"""`flask ranker ...`: train, evaluate, promote, inspect and audit the matching model."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup

from marketplace.extensions import db

ranker_cli = AppGroup("ranker", help="The matching model: train, evaluate, promote, status.")


@ranker_cli.command("train")
@click.option("--seed", default=0, show_default=True)
@click.option("--promote-if-better", is_flag=True,
              help="Promote the new model when it beats the current one (or none is promoted)")
def train_command(seed: int, promote_if_better: bool) -> None:
    """Train on the database's event log; store the model under instance/models/."""
    from marketplace.errors import DomainError
    from marketplace.matching import registry

    try:
        meta = registry.train(seed=seed)
    except DomainError as error:
        raise click.ClickException(error.message) from error
    click.echo(json.dumps(meta, ensure_ascii=False, indent=2))
    if promote_if_better:
        try:
            registry.promote(meta["version"], force=False)
            click.echo(f"Promoted {meta['version']}.")
        except registry.PromotionRefused as refused:
            click.echo(f"Not promoted: {refused}")
    db.session.commit()


@ranker_cli.command("promote")
@click.argument("version")
@click.option("--force", is_flag=True, help="Promote even if it scores below the current one")
def promote_command(version: str, force: bool) -> None:
    """Serve VERSION from now on (refused when it scores below the current model)."""
    from marketplace.matching import registry

    try:
        registry.promote(version, force=force)
    except (registry.PromotionRefused, registry.UnknownModel) as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"Promoted {version}.")


@ranker_cli.command("status")
@click.option("--json", "as_json", is_flag=True)
def status_command(as_json: bool) -> None:
    """The promoted model and every stored model with its metrics."""
    from marketplace.matching import registry

    status = registry.status()
    if as_json:
        click.echo(json.dumps(status, ensure_ascii=False, indent=2))
        return
    click.echo(f"promoted: {status['promoted'] or '(none: content score)'}")
    for model in status["models"]:
        metric = model.get("score")
        click.echo(f"  {model['version']}  trained {model['trained_at']}  "
                   f"window {model['train_from']} → {model['train_to']}  score {metric}")


@ranker_cli.command("fairness")
@click.option("--shifts", "max_shifts", default=50, show_default=True,
              help="How many open shifts to sample")
@click.option("--json", "as_json", is_flag=True)
def fairness_command(max_shifts: int, as_json: bool) -> None:
    """Exposure of priority-group and new workers in top-10 candidate lists."""
    from marketplace.matching.fairness import exposure_report

    report = exposure_report(max_shifts=max_shifts)
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    click.echo(f"lists: {report['lists']}  eligible pairs: {report['eligible_pairs']}")
    for name in ("priority", "new"):
        row = report[name]
        click.echo(f"{name:>9}: {row['share_of_eligible']:.1%} of eligible, "
                   f"{row['share_of_top10']:.1%} of top-10 slots, ratio {row['exposure_ratio']}")
