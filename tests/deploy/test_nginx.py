"""The shipped nginx site in front of gunicorn (issue 8 item 9), served for real.

nginx (Debian package) runs the site file deploy/nginx/weihai-gig.conf with only its listen
addresses, TLS lines, upstream port and paths replaced (plain HTTP on 127.0.0.1: no
certificate here), in front of gunicorn with gunicorn.conf.py in production mode. Ports are
free ones, or DEPLOY_TEST_PORT_BASE, +1 and +2 when set.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from marketplace import ROOT
from marketplace.logredact import find_secrets

NGINX = shutil.which("nginx") or next(
    (p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)
pytestmark = [pytest.mark.nginx,
              pytest.mark.skipif(NGINX is None, reason="nginx not installed (`make nginx`)")]

SITE = ROOT / "deploy" / "nginx" / "weihai-gig.conf"
HOST = "gig.example.cn"
IDLE_CONNECTIONS = 64


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ports_for_test() -> tuple[int, int, int]:
    base = os.environ.get("DEPLOY_TEST_PORT_BASE")
    if base:
        return int(base), int(base) + 1, int(base) + 2
    return free_port(), free_port(), free_port()


def site_for_test(site: str, *, https_port: int, http_port: int, upstream_port: int,
                  logs: Path) -> str:
    """The shipped site with only addresses, TLS lines and paths replaced."""
    lines = []
    for line in site.splitlines():
        stripped = line.strip()
        if stripped.startswith(("listen [::]", "ssl_")):
            continue  # no IPv6 listeners and no TLS in the test
        line = re.sub(r"listen 443 ssl(?: http2)?", f"listen 127.0.0.1:{https_port}", line)
        line = re.sub(r"listen 80;", f"listen 127.0.0.1:{http_port};", line)
        line = line.replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream_port};")
        line = line.replace("/srv/weihai-gig/static/", f"{ROOT / 'static'}/")
        line = line.replace("/var/log/nginx/", f"{logs}/")
        lines.append(line)
    return "\n".join(lines)


def main_config(site: str, prefix: Path) -> str:
    """What Debian's nginx.conf provides around a site, with every path under `prefix`."""
    user = "user root;" if os.geteuid() == 0 else ""  # workers must read the repository
    temp = "\n".join(f"    {kind}_temp_path {prefix}/{kind}_temp;"
                     for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return f"""{user}
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    access_log {prefix}/access.log;
{temp}
    gzip on;  # as Debian's nginx.conf: the site must switch it off for dynamic pages
{site}
}}
"""


@dataclass
class Served:
    https_port: int  # the site's main server (443 in production)
    http_port: int  # the redirect server (80 in production)
    gunicorn_port: int
    logs: Path


def wait_until_served(port: int, process: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{what} exited with {process.returncode}")
        try:
            if get(port, "/healthz", timeout=5)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{what} did not answer on port {port}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def served(app, tmp_path_factory) -> Iterator[Served]:
    prefix = tmp_path_factory.mktemp("nginx")
    logs = prefix / "logs"
    logs.mkdir()
    gunicorn_port, https_port, http_port = ports_for_test()
    redis_url = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")
    env = {**os.environ, "MARKETPLACE_ENV": "production", "SECRET_KEY": "k" * 48,
           "SESSION_COOKIE_SECURE": "1", "PROXY_FIX_HOPS": "1", "REDIS_URL": redis_url,
           "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "MODEL_DIR": str(prefix / "models")}
    gunicorn = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind",
         f"127.0.0.1:{gunicorn_port}", "--access-logfile", str(logs / "gunicorn.access.log"),
         "--error-logfile", str(logs / "gunicorn.error.log"), "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    config = prefix / "nginx.conf"
    site = site_for_test(SITE.read_text(), https_port=https_port, http_port=http_port,
                         upstream_port=gunicorn_port, logs=logs)
    config.write_text(main_config(site, prefix))
    check = subprocess.run([NGINX, "-t", "-c", str(config), "-p", str(prefix)],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    nginx = subprocess.Popen([NGINX, "-c", str(config), "-p", str(prefix), "-g", "daemon off;"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_served(gunicorn_port, gunicorn, "gunicorn")
        wait_until_served(https_port, nginx, "nginx")
        yield Served(https_port, http_port, gunicorn_port, logs)
    finally:
        stop(nginx)
        stop(gunicorn)


def get(port: int, path: str, *, host: str = HOST, timeout: float = 10, method: str = "GET",
        body: bytes | None = None, headers: dict | None = None) -> tuple[int, dict, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers={"Host": host, **(headers or {})})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def timed_get(port: int, path: str, timeout: float) -> tuple[float, int | None]:
    began = time.perf_counter()
    try:
        status = get(port, path, timeout=timeout)[0]
    except OSError:  # socket.timeout: no answer in time
        status = None
    return time.perf_counter() - began, status


def open_idle(port: int, count: int) -> list[socket.socket]:
    """Connections that send half a request header and then nothing, ever."""
    sockets = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        sock.sendall(f"GET / HTTP/1.1\r\nHost: {HOST}\r\nX-Slow: ".encode())
        sockets.append(sock)
    return sockets


def close_all(sockets: list[socket.socket]) -> None:
    for sock in sockets:
        sock.close()


def test_idle_half_open_connections_do_not_delay_a_request(served, capsys):
    assert get(served.https_port, "/")[0] == 200  # both workers warm
    baseline, _ = timed_get(served.https_port, "/", timeout=10)
    idle = open_idle(served.https_port, IDLE_CONNECTIONS)
    try:
        time.sleep(0.5)  # let every idle connection reach the server
        elapsed, status = timed_get(served.https_port, "/", timeout=10)
        assert status == 200
        assert elapsed < 1.0, f"{elapsed:.2f} s behind nginx with {IDLE_CONNECTIONS} idle"
        # the same in front of gunicorn alone: its 2 x 4 threads wait on the idle headers
        direct_idle = open_idle(served.gunicorn_port, IDLE_CONNECTIONS)
        try:
            time.sleep(0.5)
            direct, direct_status = timed_get(served.gunicorn_port, "/", timeout=3)
        finally:
            close_all(direct_idle)
    finally:
        close_all(idle)
    with capsys.disabled():
        print(f"\n  GET / alone: {baseline * 1000:.0f} ms; with {IDLE_CONNECTIONS} idle "
              f"half-open connections: behind nginx {elapsed * 1000:.0f} ms (status {status}), "
              f"gunicorn alone {'no answer' if direct_status is None else direct_status} "
              f"after {direct:.1f} s")
    assert direct > 1.0, "gunicorn alone was not delayed: the test no longer shows the risk"
    assert get(served.https_port, "/")[0] == 200  # and all is well again


def test_hsts_once_on_every_answer(served):
    for path in ("/", "/healthz", "/no-such-page", "/static/css/app.css"):
        status, headers, _ = get(served.https_port, path)
        assert headers.get("strict-transport-security") == "max-age=31536000", (path, status)
    conn = http.client.HTTPConnection("127.0.0.1", served.https_port, timeout=10)
    conn.request("GET", "/", headers={"Host": HOST})
    response = conn.getresponse()
    assert len(response.msg.get_all("Strict-Transport-Security")) == 1
    conn.close()


def test_body_over_one_mib_is_refused_by_nginx(served):
    body = b"{" + b" " * (1024 * 1024 + 10) + b"}"
    status, headers, _ = get(served.https_port, "/api/v1/auth/token", method="POST", body=body,
                             headers={"Content-Type": "application/json"})
    assert status == 413
    assert "strict-transport-security" in headers
    assert "/api/v1/auth/token" not in (served.logs / "gunicorn.access.log").read_text()


def test_static_files_served_by_nginx_compressed(served):
    status, headers, body = get(served.https_port, "/static/css/app.css",
                                headers={"Accept-Encoding": "gzip"})
    assert status == 200 and headers.get("content-encoding") == "gzip"
    assert len(body) < (ROOT / "static" / "css" / "app.css").stat().st_size
    assert "max-age=3600" in headers.get("cache-control", "")
    assert "/static/" not in (served.logs / "gunicorn.access.log").read_text()
    _, headers, _ = get(served.https_port, "/", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in headers  # dynamic pages: no BREACH


def test_plain_http_redirects_and_unknown_hosts_are_refused(served):
    status, headers, _ = get(served.http_port, "/shifts?page=2")
    assert status == 301 and headers["location"] == f"https://{HOST}/shifts?page=2"
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        get(served.https_port, "/", host="attacker.example")


def test_logs_keep_no_phone_number(served):
    assert get(served.https_port, "/shifts?q=13812345678")[0] == 200
    time.sleep(0.2)
    nginx_log = (served.logs / "weihai-gig.access.log").read_text()
    gunicorn_log = (served.logs / "gunicorn.access.log").read_text()
    assert "GET /shifts HTTP/1.1" in nginx_log  # the path, never the query string
    assert "138****5678" in gunicorn_log  # gunicorn's access log went through the redaction
    for text in (nginx_log, gunicorn_log, (served.logs / "gunicorn.error.log").read_text()):
        assert "13812345678" not in text
        assert find_secrets(text) == []
