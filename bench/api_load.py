"""API load benchmark: the marketplace under gunicorn against a bare Flask app, measured with wrk.

    .venv/bin/python bench/api_load.py [--duration 15] [--connections 10] [--workers 4]

On the PostgreSQL in DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/bench, created
when missing) it upgrades the schema, loads the large demo market once (50,000 workers, 10,000
open shifts, 1,000,000 events; skipped when already there), serves the app and
bench/bare_app.py with the same gunicorn settings on free ports of 127.0.0.1, and runs wrk
(bounded in time, fixed connections) against GET /api/v1/shifts, GET /api/v1/feed (as the demo
worker, with a bearer token) and the bare endpoint. Figures and ratios go to
bench/results/api_load.json and are printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RESULTS = ROOT / "bench" / "results" / "api_load.json"
LUA = ROOT / "bench" / "wrk_report.lua"
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/bench"
DEMO_WORKER_PHONE = "13900000003"
DEMO_PASSWORD = "demo-pass-2026"
LARGE = {"workers": 50_000, "open_shifts": 10_000, "events": 1_000_000}
TARGET_FEED_P95_MS = 150.0
TARGET_SHIFTS_RATIO = 0.25


def log(message: str) -> None:
    print(f"[api_load] {message}", flush=True)


def _conninfo(url: str, database: str | None = None) -> str:
    parsed = make_url(url).set(drivername="postgresql")
    if database:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


def ensure_database(url: str, *, reset: bool) -> None:
    name = make_url(url).database
    with psycopg.connect(_conninfo(url, "postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists and reset:
            log(f"dropping database {name}")
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            log(f"creating database {name}")
            conn.execute(f'CREATE DATABASE "{name}"')


def data_counts(url: str) -> dict[str, int]:
    with psycopg.connect(_conninfo(url)) as conn:
        row = conn.execute("""
            SELECT (SELECT count(*) FROM users),
                   (SELECT count(*) FROM users WHERE phone = %s),
                   (SELECT count(*) FROM worker_profiles),
                   (SELECT count(*) FROM shifts WHERE status = 'open' AND starts_at > now()),
                   (SELECT count(*) FROM events)
        """, (DEMO_WORKER_PHONE,)).fetchone()
    keys = ("users", "demo_worker", "workers", "open_shifts", "events")
    return dict(zip(keys, row, strict=True))


def flask(*args: str, env: dict[str, str]) -> None:
    subprocess.run([str(BIN / "flask"), *args], cwd=ROOT, env=env, check=True, timeout=1800)


def ensure_large_demo(url: str, env: dict[str, str]) -> tuple[dict[str, int], float | None]:
    counts = data_counts(url)
    large = all(counts[k] >= v for k, v in LARGE.items()) and counts["demo_worker"] == 1
    if large:
        log(f"large demo data already loaded: {counts}")
        return counts, None
    if counts["users"]:
        sys.exit(f"{url} has data but not the large demo market ({counts}); rerun with --reset")
    log("loading the large demo market (flask demo load --scale large) ...")
    began = time.perf_counter()
    flask("demo", "load", "--scale", "large", env=env)
    seconds = round(time.perf_counter() - began, 1)
    counts = data_counts(url)
    log(f"loaded in {seconds} s: {counts}")
    return counts, seconds


def ensure_promoted_model(env: dict[str, str]) -> float | None:
    """Train and promote a ranker on the benchmark database's history once, so the feed is
    served by the model (as in production) rather than by the content score."""
    if (Path(env["MODEL_DIR"]) / "promoted.json").exists():
        log(f"promoted model already in {env['MODEL_DIR']}")
        return None
    log("training the ranker on the benchmark history (flask ranker train --promote-if-better)")
    began = time.perf_counter()
    flask("ranker", "train", "--promote-if-better", env=env)
    return round(time.perf_counter() - began, 1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(app: str, *, env: dict[str, str], args: argparse.Namespace, probe: str,
          pythonpath: str | None = None) -> tuple[subprocess.Popen, str]:
    port = free_port()
    command = [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}",
               "--workers", str(args.workers), "--worker-class", args.worker_class,
               "--threads", str(args.threads), "--log-level", "warning"]
    if pythonpath:
        command += ["--pythonpath", pythonpath]
    process = subprocess.Popen([*command, app], cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"gunicorn for {app} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(base + probe, timeout=5) as response:
                if response.status == 200:
                    return process, base
        except OSError:
            time.sleep(0.3)
    process.terminate()
    sys.exit(f"gunicorn for {app} did not answer on {base}{probe}")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def issue_token(base: str) -> str:
    request = urllib.request.Request(
        base + "/api/v1/auth/token", method="POST",
        data=json.dumps({"phone": DEMO_WORKER_PHONE, "password": DEMO_PASSWORD}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["token"]


TOKENS_SCRIPT = """
import json, sys
from sqlalchemy import select
from marketplace.app import create_app
from marketplace.auth.models import Role, User
from marketplace.auth.services import issue_token
from marketplace.extensions import db
app = create_app()
with app.app_context():
    ids = db.session.scalars(select(User.id).where(User.role == Role.WORKER)
                             .order_by(User.id)).all()
    step = max(len(ids) // int(sys.argv[1]), 1)
    users = [db.session.get(User, i) for i in ids[::step][: int(sys.argv[1])]]
    tokens = [issue_token(user=u, ttl_days=1) for u in users]
    db.session.commit()
    print(json.dumps(tokens))
"""


def worker_tokens(env: dict[str, str], count: int) -> list[str]:
    """Bearer tokens of `count` different workers spread over the market."""
    done = subprocess.run([sys.executable, "-c", TOKENS_SCRIPT, str(count)], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=True, timeout=600)
    return json.loads(done.stdout.strip().splitlines()[-1])


def first_opens(base: str, tokens: list[str]) -> dict:
    """Each worker opens the feed once, one after the other: nothing of theirs is cached, so
    every request filters in SQL, scores with the model and logs impressions."""
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    latencies, failures = [], 0
    for token in tokens:
        began = time.perf_counter()
        connection.request("GET", "/api/v1/feed", headers={"Authorization": f"Bearer {token}"})
        response = connection.getresponse()
        response.read()
        latencies.append((time.perf_counter() - began) * 1000)
        failures += response.status != 200
    connection.close()
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return round(ordered[min(int(p / 100 * len(ordered)), len(ordered) - 1)], 2)

    return {"url": base + "/api/v1/feed", "workers": len(tokens), "connections": 1,
            "latency_ms": {"mean": round(sum(ordered) / len(ordered), 2), "p50": pct(50),
                           "p90": pct(90), "p95": pct(95), "p99": pct(99),
                           "max": round(ordered[-1], 2)},
            "non_2xx": failures}


def wrk(url: str, *, seconds: int, args: argparse.Namespace, token: str | None = None) -> dict:
    env = {**os.environ, "WRK_AUTH": f"Bearer {token}" if token else ""}
    command = [args.wrk, f"-t{args.wrk_threads}", f"-c{args.connections}", f"-d{seconds}s",
               "--timeout", "10s", "--latency", "-s", str(LUA), url]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True,
                          timeout=seconds + 60)
    line = next(x for x in done.stdout.splitlines() if x.startswith("WRK_JSON "))
    raw = json.loads(line[len("WRK_JSON "):])
    requests = raw["requests"]
    duration = raw["duration_us"] / 1e6
    errors = raw["errors"]
    return {
        "url": url,
        "requests": requests,
        "seconds": round(duration, 2),
        "rps": round(requests / duration, 1),
        "latency_ms": {k: round(v / 1000, 2) for k, v in raw["latency_us"].items()},
        "non_2xx": errors["status"],
        "socket_errors": {k: v for k, v in errors.items() if k != "status"},
    }


def measure(name: str, url: str, *, args: argparse.Namespace, token: str | None = None) -> dict:
    log(f"{name}: warm-up {args.warmup} s, then {args.duration} s at {args.connections} "
        f"connections -> {url}")
    wrk(url, seconds=args.warmup, args=args, token=token)
    result = wrk(url, seconds=args.duration, args=args, token=token)
    latency = result["latency_ms"]
    log(f"{name}: {result['rps']} req/s, p50 {latency['p50']} ms, p95 {latency['p95']} ms, "
        f"non-2xx {result['non_2xx']}")
    return result


def git_commit() -> str | None:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                              capture_output=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def worktree_changes() -> list[str]:
    """Uncommitted changes to the application code, so a figure is never tied to the wrong code."""
    try:
        out = subprocess.run(["git", "status", "--porcelain", "--", "marketplace", "wsgi.py"],
                             cwd=ROOT, text=True, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return []
    return [line[3:] for line in out.splitlines()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--duration", type=int, default=15, help="seconds per measured run")
    parser.add_argument("--warmup", type=int, default=10,
                        help="seconds of warm-up per endpoint (every gunicorn process loads its "
                             "model, firm history and shift store on its first feed request)")
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--worker-class", default="gthread", choices=("sync", "gthread"))
    parser.add_argument("--threads", type=int, default=1, help="threads per gthread worker")
    parser.add_argument("--wrk", default=shutil.which("wrk") or "/usr/bin/wrk")
    parser.add_argument("--cold-workers", type=int, default=320,
                        help="workers whose first feed request is timed (the first 20 warm up)")
    parser.add_argument("--reset", action="store_true",
                        help="drop and recreate the benchmark database first")
    args = parser.parse_args()
    if not args.database_url.startswith("postgres"):
        sys.exit("the benchmark runs on PostgreSQL: set DATABASE_URL=postgresql://...")

    load_before = os.getloadavg()
    if load_before[0] > 1.0:
        log(f"warning: the machine is busy (load average {load_before[0]:.2f}); "
            "figures will be lower and noisier than on an idle machine")
    env = {**os.environ, "DATABASE_URL": args.database_url, "FLASK_APP": "wsgi",
           "SECRET_KEY": secrets.token_hex(32), "MARKETPLACE_ENV": "development",
           "MODEL_DIR": os.environ.get("MODEL_DIR", str(ROOT / "instance" / "bench-models"))}
    if args.reset:
        shutil.rmtree(env["MODEL_DIR"], ignore_errors=True)  # trained on the data being dropped
    ensure_database(args.database_url, reset=args.reset)
    log("flask db upgrade")
    flask("db", "upgrade", env=env)
    counts, load_seconds = ensure_large_demo(args.database_url, env)
    train_seconds = ensure_promoted_model(env)

    app_server, app_base = serve("wsgi:app", env=env, args=args,
                                 probe="/api/v1/shifts?per_page=1")
    bare_server, bare_base = serve("bare_app:app", env=env, args=args, probe="/items",
                                   pythonpath=str(ROOT / "bench"))
    try:
        token = issue_token(app_base)
        tokens = worker_tokens(env, args.cold_workers)
        log(f"feed_first_open: {len(tokens)} different workers, one request each, in turn")
        first_opens(app_base, tokens[:20])  # warm the processes (model, firm history)
        cold = first_opens(app_base, tokens[20:])
        log(f"feed_first_open: p50 {cold['latency_ms']['p50']} ms, "
            f"p95 {cold['latency_ms']['p95']} ms")
        results = {
            "bare": measure("bare", bare_base + "/items", args=args),
            "shifts": measure("shifts", app_base + "/api/v1/shifts", args=args),
            "feed": measure("feed", app_base + "/api/v1/feed", args=args, token=token),
            "feed_first_open": cold,
        }
    finally:
        stop(app_server)
        stop(bare_server)

    bare_rps = results["bare"]["rps"] or 1.0
    ratios = {
        "shifts_rps_over_bare_rps": round(results["shifts"]["rps"] / bare_rps, 3),
        "feed_rps_over_bare_rps": round(results["feed"]["rps"] / bare_rps, 3),
    }
    targets = {
        "feed_p95_ms": {"target": f"<= {TARGET_FEED_P95_MS}",
                        "measured": results["feed"]["latency_ms"]["p95"],
                        "met": results["feed"]["latency_ms"]["p95"] <= TARGET_FEED_P95_MS},
        "shifts_over_bare": {"target": f">= {TARGET_SHIFTS_RATIO}",
                             "measured": ratios["shifts_rps_over_bare_rps"],
                             "met": ratios["shifts_rps_over_bare_rps"] >= TARGET_SHIFTS_RATIO},
        "feed_first_open_p95_ms": {
            "target": f"<= {TARGET_FEED_P95_MS}",
            "measured": cold["latency_ms"]["p95"],
            "met": cold["latency_ms"]["p95"] <= TARGET_FEED_P95_MS},
    }
    report = {
        "benchmark": "api_load",
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "uncommitted_app_changes": worktree_changes(),
        "command": " ".join(["python", "bench/api_load.py", *sys.argv[1:]]),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform(),
                    "load_average_1min": {"before": round(load_before[0], 2),
                                          "after": round(os.getloadavg()[0], 2)}},
        "server": {"gunicorn_workers": args.workers, "worker_class": args.worker_class,
                   "threads": args.threads, "bind": "127.0.0.1"},
        "load": {"tool": "wrk", "connections": args.connections, "threads": args.wrk_threads,
                 "seconds": args.duration, "warmup_seconds": args.warmup},
        "data": {**{k: v for k, v in counts.items() if k != "demo_worker"},
                 "load_seconds": load_seconds, "train_seconds": train_seconds},
        "results": results,
        "ratios": ratios,
        "targets": targets,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")

    print()
    print(f"{'endpoint':<16}{'req/s':>10}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}"
          f"{'non-2xx':>9}")
    for name, result in results.items():
        latency = result["latency_ms"]
        print(f"{name:<16}{result.get('rps', '-'):>10}{latency['p50']:>10}{latency['p95']:>10}"
              f"{latency['p99']:>10}{result['non_2xx']:>9}")
    verdict = {True: "met", False: "NOT met"}
    print(f"shifts / bare throughput: {ratios['shifts_rps_over_bare_rps']:.1%} "
          f"(target >= {TARGET_SHIFTS_RATIO:.0%}: {verdict[targets['shifts_over_bare']['met']]})")
    print(f"feed p95: {results['feed']['latency_ms']['p95']} ms "
          f"(target <= {TARGET_FEED_P95_MS:.0f} ms: {verdict[targets['feed_p95_ms']['met']]})")
    print(f"feed p95 at a worker's first open (nothing cached, 1 connection): "
          f"{cold['latency_ms']['p95']} ms (target <= {TARGET_FEED_P95_MS:.0f} ms: "
          f"{verdict[targets['feed_first_open_p95_ms']['met']]})")
    print(f"written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
