"""Load what the first feed request of a server process would otherwise wait for."""

from __future__ import annotations

import time

from flask import Flask

from marketplace.extensions import db
from marketplace.matching.registry import current_ranker
from marketplace.matching.scoring import firm_stats
from marketplace.matching.shift_store import store


def warm_up(app: Flask) -> None:
    """The promoted model, the firms' history and the shift store, before the first request.

    Called by gunicorn in each worker process (gunicorn.conf.py). A failure here (say, the
    database is still starting) only costs the first request its speed, so it is logged.
    """
    began = time.perf_counter()
    with app.app_context():
        try:
            if current_ranker() is not None:
                firm_stats.get([])  # loads every firm's counts
            store.facts([])  # the bulk load of recent shifts
        except Exception:  # never keep a worker from starting
            app.logger.exception("warm-up failed; the first requests will load on demand")
        finally:
            db.session.remove()
    app.logger.info("warm-up took %.1f s", time.perf_counter() - began)
