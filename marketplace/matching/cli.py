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


# --------------------------------------------------------------------------- history bundles

_METHODS = ("model", "random", "newest", "nearest", "skill_overlap")


def _finite(value):
    """JSON without NaN/Infinity (not valid JSON): NaN becomes null, NumPy becomes Python."""
    import math

    import numpy as np

    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _figure(value) -> str:
    return "   –  " if value is None else f"{value:6.3f}"


@ranker_cli.command("evaluate")
@click.option("--data", "data", default=None,
              type=click.Path(exists=True, file_okay=False, dir_okay=True),
              help="A history bundle directory (default: the database's own history)")
@click.option("--split-at", default=None, metavar="ISO_TIME",
              help="Train before, evaluate at or after this time, e.g. 2025-03-24T00:00:00+08:00 "
                   "(default: 7 days before the newest event)")
@click.option("--rankings", default=None, type=click.Path(dir_okay=False, writable=True),
              help="Write the model's worker_id,rank,shift_id,score rows to this CSV file")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON")
@click.option("--seed", default=0, show_default=True, type=int)
def evaluate_command(data: str | None, split_at: str | None, rankings: str | None,
                     as_json: bool, seed: int) -> None:
    """Train a fresh model before the split and compare it with the baselines after it.

    Nothing is stored: neither in the database nor under instance/models/.
    """
    from marketplace.errors import DomainError
    from marketplace.matching.bundles import evaluate_history
    from marketplace.ranking.evaluation import write_rankings

    try:
        report = evaluate_history(data=data, split_at=split_at, seed=seed)
    except DomainError as error:
        raise click.ClickException(error.message) from error
    finally:
        db.session.rollback()  # read-only: never leave anything pending
    if rankings:
        try:
            write_rankings(report["rankings"], rankings)
        except OSError as error:
            raise click.ClickException(f"Cannot write {rankings}: {error.strerror}") from error
    body = {
        "split_at": report["split_at"],
        "queries": report["queries"],
        "queries_with_outcome": report["queries_with_outcome"],
        "cold_queries": report["cold_queries"],
        "candidates": report["candidates"],
        "metrics": report["metrics"],
        "model": report["model"],
        "rankings": rankings,
    }
    if "true_utility" in report:
        body["true_utility"] = report["true_utility"]
    body = _finite(body)
    if as_json:
        click.echo(json.dumps(body, ensure_ascii=False, indent=2))
        return
    click.echo(f"split at {body['split_at']}: {body['queries']} workers ranked "
               f"({body['cold_queries']} without history, {body['queries_with_outcome']} with "
               f"a graded outcome), {body['candidates']} candidate pairs")
    model = body["model"]
    click.echo(f"model {model['version']}: apply model {model['apply_model']}, "
               f"{model['fit_seconds']} s to fit (not stored)")
    truth = body.get("true_utility")
    header = f"{'method':<14} {'NDCG@5':>6} {'NDCG@10':>7} {'MAP@10':>6}"
    if truth:
        header += f"  {'true NDCG@10':>12} {'(no history)':>12}"
    click.echo(header)
    methods = [m for m in _METHODS if m in body["metrics"]]
    methods += [m for m in body["metrics"] if m not in methods]
    if truth and "oracle" in truth:
        methods.append("oracle")
    for method in methods:
        row = body["metrics"].get(method)
        line = (f"{method:<14} {_figure(row['ndcg@5'])} {_figure(row['ndcg@10']):>7} "
                f"{_figure(row['map@10'])}" if row else f"{method:<14} {'':>6} {'':>7} {'':>6}")
        if truth and method in truth:
            line += (f"  {_figure(truth[method]['ndcg@10']):>12} "
                     f"{_figure(truth[method]['ndcg@10_cold']):>12}")
        click.echo(line)
    if rankings:
        click.echo(f"rankings written to {rankings}")


@ranker_cli.command("import")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, dir_okay=True))
@click.option("--json", "as_json", is_flag=True)
def import_command(directory: str, as_json: bool) -> None:
    """Load a history bundle (workers, shifts, events) into the database.

    A bundle that was imported before is refused (same SHA-256 of its three files).
    """
    from marketplace.errors import DomainError
    from marketplace.matching.bundles import import_bundle

    try:
        result = import_bundle(directory)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from error
    db.session.commit()
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    skipped = result["skipped_hires"]
    click.echo(f"Imported {result['firms']} firms, {result['workers']} workers, "
               f"{result['shifts']} shifts, {result['events']} events and "
               f"{result['applications']} applications ({result['completed']} completed) "
               f"in {result['seconds']} s.")
    if skipped:
        click.echo("Skipped hires: " + ", ".join(f"{n} {why.replace('_', ' ')}"
                                                 for why, n in sorted(skipped.items())))
