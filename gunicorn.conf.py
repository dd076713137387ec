"""Gunicorn settings for production behind nginx (deploy/nginx/weihai-gig.conf); gunicorn
reads this file from the directory it starts in. Command-line flags override it.

    gunicorn wsgi:app            # 127.0.0.1:8000, WEB_CONCURRENCY (4) workers x 4 threads

Serve it only behind nginx: a gthread worker reads a request's header in one of its threads,
so clients that open connections and never finish their headers would hold every thread;
nginx buffers whole requests and passes gunicorn only complete ones.
"""

import os

from gunicorn.glogging import Logger

bind = "127.0.0.1:8000"  # only nginx connects (deploy/nginx/weihai-gig.conf upstream)
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
worker_class = "gthread"
threads = 4  # requests in flight per process; the in-process caches are thread-safe
timeout = 30  # a worker silent this long is killed and replaced (nginx waits 35 s)
graceful_timeout = 30  # on reload/stop, requests in flight get this long to finish
keepalive = 75  # longer than nginx's upstream keep-alive (60 s): nginx always closes first


class RedactingLogger(Logger):
    """gunicorn's error and access logs, with phone numbers, hashes and tokens redacted."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        from marketplace.logredact import install

        install(self.error_log, self.access_log)


logger_class = RedactingLogger


def post_worker_init(worker) -> None:
    """Each worker process loads the ranker, firm history and shift store before serving."""
    app = worker.wsgi
    if "sqlalchemy" not in getattr(app, "extensions", {}):
        return  # not the marketplace (bench/bare_app.py is served the same way)
    from marketplace.matching.warmup import warm_up

    warm_up(app)
