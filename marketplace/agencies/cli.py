"""`flask agencies ...`: grade every agency again (run nightly, so rolling windows move on)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from marketplace.extensions import db

agencies_cli = AppGroup("agencies", help="HR agencies: trust grades.")


@agencies_cli.command("reassess")
def reassess_command() -> None:
    """Recompute every verified agency's trust grade; a D suspends brokering (audited)."""
    from marketplace.agencies.trust import reassess_all

    counts = reassess_all()
    db.session.commit()
    click.echo(", ".join(f"{grade}: {n}" for grade, n in counts.items()))
