"""The app served by gunicorn (several worker processes) on the suite's own database, and a
helper that fires many identical requests at it at the same instant.

Concurrency tests use it so that requests really run in separate processes with separate
connections, as in production: on the SQLite file database of the suite or on PostgreSQL
from DATABASE_URL.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 3
THREADS = 4


@dataclass
class Answer:
    status: int
    body: bytes
    headers: dict[str, str]

    def json(self) -> dict:
        try:
            return json.loads(self.body or b"{}")
        except ValueError:
            return {}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServedApp:
    """gunicorn with WORKERS processes serving `wsgi:app` on the given database."""

    def __init__(self, database_url: str, secret_key: str, model_dir: str) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        # the log file lives as long as the server, beyond this method
        self.log = tempfile.NamedTemporaryFile(prefix="served-", suffix=".log", delete=False)  # noqa: SIM115
        config = Path(tempfile.mkdtemp()) / "gunicorn.conf.py"
        config.write_text("")  # no warm-up: the suite's database has no model to load
        env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": secret_key,
               "MODEL_DIR": model_dir, "MARKETPLACE_ENV": "development",
               "FEED_CACHE_SECONDS": "0", "PUBLIC_LIST_CACHE_SECONDS": "0",
               "FIRM_STATS_TTL_SECONDS": "0", "SHIFT_STORE_SECONDS": "0"}
        env.pop("REDIS_URL", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(config), "-w", str(WORKERS),
             "-k", "gthread", "--threads", str(THREADS), "-b", f"127.0.0.1:{self.port}",
             "wsgi:app"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self._wait_until_up()

    def _wait_until_up(self) -> None:
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"gunicorn exited: {Path(self.log.name).read_text()}")
            try:
                urllib.request.urlopen(f"{self.base_url}/healthz", timeout=2)
                return
            except OSError:
                time.sleep(0.2)
        raise AssertionError("the served app did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)

    def server_errors(self) -> list[str]:
        """Lines of the server log that report an unhandled error."""
        return [line for line in Path(self.log.name).read_text().splitlines()
                if "unhandled error" in line or "Traceback" in line]

    def session(self) -> Browser:
        return Browser(self.base_url)

    def send(self, method: str, path: str, *, body: dict | bytes | None = None,
             headers: dict[str, str] | None = None,
             opener: urllib.request.OpenerDirector | None = None) -> Answer:
        data = json.dumps(body).encode() if isinstance(body, dict) else body
        request = urllib.request.Request(self.base_url + path, data=data, method=method,
                                         headers={"Content-Type": "application/json",
                                                  **(headers or {})})
        try:
            with (opener or _NO_REDIRECT).open(request, timeout=60) as response:
                return Answer(response.status, response.read(), dict(response.headers))
        except urllib.error.HTTPError as error:
            return Answer(error.code, error.read(), dict(error.headers))

    def race(self, method: str, path: str, *, times: int = 10, body: dict | bytes | None = None,
             headers: dict[str, str] | None = None,
             opener: urllib.request.OpenerDirector | None = None) -> list[Answer]:
        """Send the same request `times` times from as many threads, released together."""
        barrier = threading.Barrier(times)
        answers: list[Answer | None] = [None] * times

        def run(n: int) -> None:
            barrier.wait()
            answers[n] = self.send(method, path, body=body, headers=headers, opener=opener)

        threads = [threading.Thread(target=run, args=(n,)) for n in range(times)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert all(answer is not None for answer in answers), "a request did not finish"
        return answers  # type: ignore[return-value]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_NO_REDIRECT = urllib.request.build_opener(_NoRedirect)
FORM_FIELD = re.compile(r'name="(csrf_token|idempotency_key)"[^>]*value="([^"]+)"')


class Browser:
    """A cookie-keeping client of the served app that signs in through the real form."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar),
                                                  _NoRedirect)

    def get(self, path: str) -> str:
        try:
            with self.opener.open(self.base_url + path, timeout=60) as response:
                return response.read().decode()
        except urllib.error.HTTPError as error:
            return error.read().decode()

    def form_fields(self, path: str, action: str | None = None) -> dict[str, str]:
        """The hidden fields of the form on `path` that posts to `action` (else the first
        form that posts)."""
        html = self.get(path)
        start = html.index(f'action="{action}"' if action else 'method="post"')
        form = html[start:html.index("</form>", start)]
        return dict(FORM_FIELD.findall(form))

    def login(self, phone: str, password: str) -> None:
        fields = self.form_fields("/login")
        data = urllib.parse.urlencode({**fields, "phone": phone, "password": password})
        request = urllib.request.Request(self.base_url + "/login", data=data.encode(),
                                         method="POST")
        try:
            self.opener.open(request, timeout=60)
        except urllib.error.HTTPError as error:
            assert error.code in (302, 303), error.read()[:300]

    def form_body(self, fields: dict[str, str]) -> tuple[bytes, dict[str, str]]:
        return (urllib.parse.urlencode(fields).encode(),
                {"Content-Type": "application/x-www-form-urlencoded"})
