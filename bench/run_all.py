"""Run every benchmark in turn and print one summary.

    .venv/bin/python bench/run_all.py [--only ranking_quality assignment ...]

Each benchmark writes its own bench/results/<name>.json; this script runs them one after the
other (never in parallel: they would measure each other), then writes
bench/results/summary.json with each one's exit status and duration. api_load needs the
PostgreSQL in DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/bench) and wrk.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
BENCHMARKS = ["ranking_quality", "ranking_speed", "assignment", "agency_fill", "api_load"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=BENCHMARKS, default=BENCHMARKS)
    args = parser.parse_args()
    summary = {}
    for name in args.only:
        script = BENCH / f"{name}.py"
        if not script.exists():
            summary[name] = {"status": "missing"}
            continue
        print(f"== {name}", flush=True)
        began = time.perf_counter()
        code = subprocess.run([sys.executable, str(script)], cwd=BENCH.parent).returncode
        summary[name] = {"exit_code": code, "seconds": round(time.perf_counter() - began, 1),
                         "results": f"bench/results/{name}.json"}
    report = {"at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "runs": summary}
    (BENCH / "results" / "summary.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(summary, indent=2))
    sys.exit(max((run.get("exit_code", 0) for run in summary.values()), default=0))


if __name__ == "__main__":
    main()
