"""Gunicorn settings; gunicorn reads this file from the directory it starts in.

    gunicorn wsgi:app --bind 127.0.0.1:8000 --workers 4
"""


def post_worker_init(worker) -> None:
    """Each worker process loads the ranker, firm history and shift store before serving."""
    app = worker.wsgi
    if "sqlalchemy" not in getattr(app, "extensions", {}):
        return  # not the marketplace (bench/bare_app.py is served the same way)
    from marketplace.matching.warmup import warm_up

    warm_up(app)
