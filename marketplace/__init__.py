"""Weihai Gig & Shared-Labor Exchange.

The application factory lives in `marketplace.app`. This file imports neither Flask nor
SQLAlchemy, so `marketplace.ranking` (a pure library) can be imported without them;
`from marketplace import create_app` still works, importing `marketplace.app` on first use.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parent.parent

if TYPE_CHECKING:
    from marketplace.app import create_app

__all__ = ["ROOT", "create_app"]


def __getattr__(name: str) -> Any:
    """PEP 562: `marketplace.create_app` is imported lazily from `marketplace.app`."""
    if name == "create_app":
        from marketplace.app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
