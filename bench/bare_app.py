"""The baseline for bench/api_load.py: a bare Flask app returning a fixed JSON list.

Served by gunicorn exactly like the marketplace (`gunicorn bench.bare_app:app`), so the
ratio of their throughputs shows what the marketplace's own work costs.
"""

from __future__ import annotations

from flask import Flask, jsonify

app = Flask(__name__)

ITEMS = [
    {"id": n, "title": "海产品分拣工", "district": "jingqu", "pay_amount_fen": 22000,
     "pay_unit": "day", "starts_at": "2026-12-01T06:00:00+08:00", "headcount": 5, "filled": 2}
    for n in range(1, 21)
]


@app.get("/items")
def items():
    return jsonify({"items": ITEMS, "page": 1, "per_page": 20, "total": len(ITEMS)})
