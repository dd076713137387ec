"""Operator commands: `flask admin ...`, `flask demo ...` (the ranker's come with matching)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from marketplace.extensions import db

admin_cli = AppGroup("admin", help="City administrator accounts.")
demo_cli = AppGroup("demo", help="Demo data for a believable Weihai market.")
idempotency_cli = AppGroup("idempotency", help="Stored answers of repeated requests.")


@idempotency_cli.command("purge")
def purge_idempotency() -> None:
    """Delete stored answers older than IDEMPOTENCY_TTL_HOURS (a nightly job)."""
    from flask import current_app

    from marketplace.idempotency import purge_expired

    removed = purge_expired(ttl_hours=current_app.config["IDEMPOTENCY_TTL_HOURS"])
    click.echo(f"{removed} stored answers removed.")


@admin_cli.command("create")
@click.option("--phone", prompt=True, help="11-digit mobile number used to sign in")
@click.option("--name", prompt=True, default="人社局管理员", show_default=True)
@click.password_option(help="At least 8 characters")
def create_admin(phone: str, name: str, password: str) -> None:
    """Create a city administrator account."""
    from marketplace.auth.services import create_admin as create
    from marketplace.errors import DomainError

    try:
        user = create(phone=phone, password=password, name=name)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(f"{error.message}: {error.fields}") from error
    db.session.commit()
    click.echo(f"Administrator #{user.id} created.")


@demo_cli.command("load")
@click.option("--seed", default=7, show_default=True, help="Same seed, same market")
@click.option("--scale", type=click.Choice(["small", "large"]), default="small",
              show_default=True, help="large: 50,000 workers, 10,000 shifts, 1,000,000 events")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database has users already")
def load_demo(seed: int, scale: str, if_empty: bool) -> None:
    """Load the demo market (firms, workers, shifts and a few weeks of history)."""
    from marketplace.demo.loader import database_is_empty, load

    if if_empty and not database_is_empty():
        click.echo("Database already has data; demo not loaded.")
        return
    summary = load(seed=seed, scale=scale)
    click.echo(", ".join(f"{k}: {v}" for k, v in summary.items()))


def register(app: Flask) -> None:
    from marketplace.agencies.cli import agencies_cli
    from marketplace.matching.cli import ranker_cli

    app.cli.add_command(agencies_cli)
    app.cli.add_command(admin_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(idempotency_cli)
    app.cli.add_command(ranker_cli)
