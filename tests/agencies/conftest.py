"""Helpers for the HR agency tests (the make_agency and enrol fixtures live in
tests/conftest.py, so the browser tests can use them too)."""

from __future__ import annotations

FIXED_50 = {"kind": "fixed", "fixed_fen": 5000}
