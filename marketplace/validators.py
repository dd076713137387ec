"""Checks on identifiers the product accepts: mobile numbers and unified social credit codes."""

from __future__ import annotations

import re

PHONE_PATTERN = re.compile(r"^1[3-9]\d{9}$")

# GB 32100-2015: 31 characters (no I, O, S, V, Z).
CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def valid_phone(phone: str) -> bool:
    return bool(PHONE_PATTERN.match(phone or ""))


def credit_code_check_char(first17: str) -> str:
    total = sum(
        CREDIT_CODE_ALPHABET.index(ch) * w
        for ch, w in zip(first17, CREDIT_CODE_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def valid_credit_code(code: str) -> bool:
    code = (code or "").upper()
    if len(code) != 18 or any(ch not in CREDIT_CODE_ALPHABET for ch in code):
        return False
    return credit_code_check_char(code[:17]) == code[17]


def make_credit_code(body17: str) -> str:
    """Append the check character (used by demo data and tests)."""
    return body17 + credit_code_check_char(body17)
