"""Fuzz the JSON API with schemathesis, once per role, against a served app with demo data.

    .venv/bin/python tests/fuzz/run_schemathesis.py            # SQLite file (what `make fuzz` runs)
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/fuzz \\
        .venv/bin/python tests/fuzz/run_schemathesis.py        # that PostgreSQL database, recreated

Steps: a fresh database (a new SQLite file; with DATABASE_URL, that PostgreSQL database dropped
and created again), `flask db upgrade`, `flask demo load`, gunicorn (2 workers) on 127.0.0.1,
a bearer token for each demo role from `POST /api/v1/auth/token`, then one `schemathesis run`
per role (anonymous first, administrator last, so the administrator's decisions cannot spoil the
other runs). Each run covers the operations the role may call (the `x-roles` of the OpenAPI
document) with the examples, coverage, fuzzing and stateful phases, and the checks below.

It prints the number of test cases per role and exits non-zero when any run fails. The server's
log is kept in `<workdir>/server.log` (printed at the end) for the log-redaction check.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DEMO_PASSWORD = "demo-pass-2026"  # marketplace.demo.loader.DEMO_PASSWORD
# role -> demo login (README, "Demo logins"); None: no token
ROLES: dict[str, str | None] = {
    "anonymous": None,
    "worker": "13900000003",
    "firm": "13900000002",
    "agency": "13900000004",
    "partner": "13900000005",
    "admin": "13900000001",
    # a worker registered for the run: its own token, logout, revocation and password change,
    # last, since these end the token they are sent with
    "account": None,
}
ACCOUNT = {"phone": "13700009999", "password": "fuzz-run-Account-2026", "role": "worker",
           "name": "接口测试账号"}
CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,"
          "response_schema_conformance")
PHASES = "examples,coverage,fuzzing,stateful"
# Operations left out of the per-role runs, because they would end the run's own token or
# session mid-run: API logout and token revocation, and a password change (which revokes every
# other token of the account). The "account" run covers them with a throwaway account.
TOKEN_KILLERS = r"^(DELETE /auth/token.*|POST /auth/password)$"
# Sign-in limits stay on, high enough for a fuzz run from one address (config.py settings).
SERVER_ENV = {
    "LOGIN_RATE_LIMIT": "100000 per hour",
    "LOGIN_IP_RATE_LIMIT": "100000 per hour",
    "REGISTER_RATE_LIMIT": "100000 per hour",
    "REGISTER_IP_RATE_LIMIT": "100000 per hour",
    "MARKETPLACE_ENV": "development",
    "FLASK_APP": "wsgi",
}


@dataclass
class RunResult:
    role: str
    operations: int
    cases: int
    failures: int
    exit_code: int
    seconds: float


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    workdir = Path(args.workdir).resolve()
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    database_url = fresh_database(workdir)
    env = {**os.environ, **SERVER_ENV, "DATABASE_URL": database_url}
    env.pop("REDIS_URL", None)  # limits and caches in memory: nothing shared with other runs
    started = time.monotonic()
    prepare(env)
    log_path = workdir / "server.log"
    server = serve(env, args.port, log_path)
    results: list[RunResult] = []
    try:
        base = f"http://127.0.0.1:{args.port}"
        wait_until_up(base)
        spec = fetch_json(f"{base}/api/v1/openapi.json")
        tokens = {role: token_for(base, phone) for role, phone in ROLES.items() if phone}
        if "account" in args.roles:
            fetch_json(f"{base}/api/v1/auth/register", ACCOUNT)
            tokens["account"] = token_for(base, ACCOUNT["phone"], ACCOUNT["password"])
        for role in args.roles:
            results.append(fuzz_role(role, tokens.get(role), spec, base, workdir, args))
    finally:
        stop(server)
    report(results, time.monotonic() - started, database_url, log_path)
    return 0 if results and all(r.exit_code == 0 for r in results) else 1


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("FUZZ_PORT", "5140")))
    parser.add_argument("--workdir",
                        default=os.environ.get("FUZZ_DIR", str(ROOT / "instance" / "fuzz")),
                        help="database file, server log and reports (emptied first)")
    parser.add_argument("--seconds-per-role", type=int,
                        default=int(os.environ.get("FUZZ_SECONDS_PER_ROLE", "30")),
                        help="schemathesis --max-time of each role's run")
    parser.add_argument("--max-examples", type=int,
                        default=int(os.environ.get("FUZZ_MAX_EXAMPLES", "25")),
                        help="cases per operation in each fuzzing round")
    parser.add_argument("--seed", type=int, default=None, help="schemathesis --seed")
    parser.add_argument("--roles", type=lambda s: s.split(","), default=list(ROLES),
                        help="comma-separated, from " + ",".join(ROLES))
    args = parser.parse_args(argv)
    unknown = set(args.roles) - set(ROLES)
    if unknown:
        parser.error(f"unknown roles: {', '.join(sorted(unknown))}")
    return args


# ------------------------------------------------------------------------- the server


def fresh_database(workdir: Path) -> str:
    """A new SQLite file, or the PostgreSQL database of DATABASE_URL dropped and created."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        return f"sqlite:///{workdir / 'fuzz.sqlite3'}"
    import psycopg
    from psycopg import sql

    base, _, name = url.rpartition("/")
    name = name.split("?")[0]
    if not name or name in ("postgres", "template0", "template1"):
        raise SystemExit(f"refusing to recreate database {name!r}")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        ident = sql.Identifier(name)
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(ident))
    return url


def prepare(env: dict[str, str]) -> None:
    for command in (["db", "upgrade"], ["demo", "load"]):
        subprocess.run([str(BIN / "flask"), *command], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)


def serve(env: dict[str, str], port: int, log_path: Path) -> subprocess.Popen:
    log = log_path.open("ab")
    return subprocess.Popen(
        [str(BIN / "gunicorn"), "wsgi:app", "--bind", f"127.0.0.1:{port}", "--workers", "2",
         "--timeout", "60", "--graceful-timeout", "5",
         # The app is under test, not gunicorn's request-line cap (4094 bytes, answered with
         # an HTML 400 before the app sees the request; nginx answers 414 in production).
         "--limit-request-line", "0"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def wait_until_up(base: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            fetch_json(f"{base}/api/v1/openapi.json")
            return
        except (urllib.error.URLError, ConnectionError) as exc:
            if time.monotonic() > deadline:
                raise SystemExit(f"the server did not answer on {base} within "
                                 f"{timeout:.0f} s") from exc
            time.sleep(0.5)


def fetch_json(url: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def token_for(base: str, phone: str, password: str = DEMO_PASSWORD) -> str:
    answer = fetch_json(f"{base}/api/v1/auth/token", {"phone": phone, "password": password})
    return answer["token"]


# ------------------------------------------------------------------------- the runs


def operations_for(spec: dict, role: str) -> list[str]:
    """`METHOD /path` of the operations this role may call (anonymous: the public ones).

    The signed-in runs leave out /auth/* (the anonymous run covers registration and sign-in).
    """
    names = []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            public = "security" not in operation
            roles = operation.get("x-roles")  # absent: any signed-in account
            if role == "anonymous":
                allowed = public
            elif role == "account":
                allowed = path.startswith("/auth/") and not public
            else:
                allowed = not path.startswith("/auth/") and (roles is None or role in roles)
            if allowed:
                names.append(f"{method.upper()} {path}")
    return sorted(names)


def fuzz_role(role: str, token: str | None, spec: dict, base: str, workdir: Path,
              args: argparse.Namespace) -> RunResult:
    names = operations_for(spec, role)
    command = [
        str(BIN / "schemathesis"), "run", f"{base}/api/v1/openapi.json",
        "--phases", PHASES, "--checks", CHECKS,
        "--max-time", str(args.seconds_per_role), "--max-examples", str(args.max_examples),
        # one client worker: with several threads, CPython 3.11 before 3.11.8 can fail in
        # ast.parse (gh-106905), which hypothesis calls to describe its filters
        "--request-timeout", "10", "--workers", "1", "--no-color",
        "--generation-database", "none", "--suppress-health-check", "all",
        "--report", "junit", "--report-junit-path", str(workdir / f"junit-{role}.xml"),
    ]
    if role != "account":
        command += ["--exclude-name-regex", TOKEN_KILLERS]
    for name in names:
        command += ["--include-name", name]
    if token:
        command += ["--header", f"Authorization: Bearer {token}"]
    if args.seed is not None:
        command += ["--seed", str(args.seed)]
    print(f"== schemathesis as {role}: {len(names)} operations, "
          f"{args.seconds_per_role} s", flush=True)
    started = time.monotonic()
    out_path = workdir / f"schemathesis-{role}.txt"
    with out_path.open("w") as out:
        # in the work directory: schemathesis keeps a crash cache there, emptied every run
        proc = subprocess.run(command, cwd=workdir, stdout=out, stderr=subprocess.STDOUT,
                              env={**os.environ, "NO_COLOR": "1"})
    seconds = time.monotonic() - started
    text = out_path.read_text()
    cases, failures = summary_counts(text)
    if proc.returncode != 0:
        print(failure_section(text), flush=True)
    print(f"   {role}: {cases} cases, {failures} failures, exit {proc.returncode}, "
          f"{seconds:.0f} s (output: {out_path})", flush=True)
    return RunResult(role, len(names), cases, failures, proc.returncode, seconds)


def summary_counts(text: str) -> tuple[int, int]:
    """Test cases and unique failures from schemathesis's summary ("N generated, ...")."""
    cases = re.search(r"(\d+) generated", text)
    failures = re.search(r"found (\d+) unique failures?", text)
    return (int(cases.group(1)) if cases else 0, int(failures.group(1)) if failures else 0)


def failure_section(text: str) -> str:
    start = text.find("= FAILURES =")
    if start < 0:
        start = text.find("= ERRORS =")
    end = text.find("= WARNINGS =")
    return text[max(start, 0) if start >= 0 else -4000:end if end > start >= 0 else None]


def report(results: list[RunResult], seconds: float, database_url: str, log_path: Path) -> None:
    database = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"
    print(f"\n== schemathesis on {database}: {seconds:.0f} s in all")
    for r in results:
        state = "ok" if r.exit_code == 0 else "FAILED"
        print(f"   {r.role:<10} {r.operations:>3} operations {r.cases:>6} cases "
              f"{r.failures:>3} failures {r.seconds:>4.0f} s  {state}")
    print(f"   total      {sum(r.cases for r in results):>20} cases")
    print(f"   server log: {log_path}")


if __name__ == "__main__":
    sys.exit(main())
