"""The shipped systemd units and server settings agree with the app and with each other."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from gunicorn.config import Config

from marketplace import ROOT

DEPLOY = ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("weihai-gig-*"))
NGINX_SITE = (DEPLOY / "nginx" / "weihai-gig.conf").read_text()


def directive(name: str, text: str = NGINX_SITE) -> str:
    match = re.search(rf"^[ \t]*{name}[ \t]+([^;{{\n]+);", text, re.MULTILINE)
    assert match, f"no {name} in the nginx site"
    return match.group(1).strip()


def seconds(value: str) -> int:
    return int(value.rstrip("s"))


def unit_values(path: Path, key: str) -> list[str]:
    return [line.split("=", 1)[1] for line in path.read_text().splitlines()
            if line.startswith(f"{key}=")]


def gunicorn_settings() -> Config:
    config = Config()
    namespace: dict = {"__file__": str(ROOT / "gunicorn.conf.py")}
    exec(compile((ROOT / "gunicorn.conf.py").read_text(), "gunicorn.conf.py", "exec"), namespace)
    for key, value in namespace.items():
        if key in config.settings:
            config.set(key, value)
    return config


def test_gunicorn_runs_threads_with_timeouts_nginx_outlasts():
    config = gunicorn_settings()
    assert config.worker_class_str == "gthread" and config.threads >= 4
    assert config.bind == ["127.0.0.1:8000"]
    assert directive("server") == "127.0.0.1:8000"  # nginx's upstream is that address
    assert seconds(directive("proxy_read_timeout")) > config.timeout
    assert config.graceful_timeout <= config.timeout
    assert config.keepalive > 60  # nginx closes idle upstream connections after 60 s
    assert config.logger_class.__name__ == "RedactingLogger"


def test_nginx_body_limit_matches_the_app(app):
    assert directive("client_max_body_size") == "1m"
    assert app.config.get("MAX_CONTENT_LENGTH") in (None, 1024 * 1024)
    assert directive("proxy_request_buffering") == "on"
    assert seconds(directive("client_header_timeout")) <= 10


def test_web_unit_runs_production_behind_one_proxy():
    web = DEPLOY / "systemd" / "weihai-gig-web.service"
    environment = " ".join(unit_values(web, "Environment"))
    for setting in ("MARKETPLACE_ENV=production", "SESSION_COOKIE_SECURE=1", "PROXY_FIX_HOPS=1"):
        assert setting in environment
    assert unit_values(web, "ExecStart") == ["/srv/weihai-gig/.venv/bin/gunicorn wsgi:app"]


def test_nightly_unit_runs_real_commands():
    nightly = DEPLOY / "systemd" / "weihai-gig-nightly.service"
    commands = unit_values(nightly, "ExecStart")
    assert len(commands) == 2
    env = {**os.environ, "FLASK_APP": "wsgi"}
    for command in commands:
        program, *args = command.split()
        assert program == "/srv/weihai-gig/.venv/bin/flask"
        result = subprocess.run([sys.executable, "-m", "flask", *args, "--help"], cwd=ROOT,
                                env=env, capture_output=True, text=True)
        assert result.returncode == 0, (command, result.stderr[-500:])


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_units_pass_systemd_analyze(tmp_path):
    copies = []
    for unit in UNITS:  # point the paths at this checkout so the programs exist
        copy = tmp_path / unit.name
        copy.write_text(unit.read_text().replace("/srv/weihai-gig/.venv", str(ROOT / ".venv"))
                        .replace("/srv/weihai-gig", str(ROOT)))
        copies.append(str(copy))
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", *copies],
                            capture_output=True, text=True, env={**os.environ,
                                                                 "SYSTEMD_LOG_LEVEL": "warning"})
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr
    timer = DEPLOY / "systemd" / "weihai-gig-nightly.timer"
    (calendar,) = unit_values(timer, "OnCalendar")
    result = subprocess.run(["systemd-analyze", "calendar", calendar], capture_output=True,
                            text=True)
    assert result.returncode == 0 and "Next elapse" in result.stdout, result.stderr
