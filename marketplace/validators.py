"""Checks on what the product accepts: mobile numbers, unified social credit codes, integers
sized to their database columns and text free of control characters.

Python's `\\d` matches any Unicode digit (full-width ３, Arabic-Indic ٣), so every pattern here
spells its digits `[0-9]`.
"""

from __future__ import annotations

import datetime as dt
import re

PHONE_REGEX = r"^1[3-9][0-9]{9}$"
PHONE_PATTERN = re.compile(PHONE_REGEX)
ID_NUMBER_REGEX = r"^[0-9]{17}[0-9Xx]$"
ASCII_INT_PATTERN = re.compile(r"^[+-]?[0-9]{1,19}$")

# Column ranges: Integer is int32 on PostgreSQL; BigInteger is int64.
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
# Any amount of money the product computes and stores (an Integer column of fen).
MAX_MONEY_FEN = INT32_MAX
# Highest page number a list accepts (a page beyond the last is simply empty).
MAX_PAGE = 100_000
# Dates the product accepts: year 1 or 9999 overflow the moment a day is added or a local
# time is converted to UTC.
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2200, 12, 31)

# C0 controls and DEL; tab, newline and carriage return are allowed in multi-line text.
_LINE_BREAKS = "\t\n\r"
_CONTROLS = [chr(c) for c in (*range(0x00, 0x20), 0x7F)]
_SURROGATES = "\ud800-\udfff"
BAD_TEXT = re.compile(
    "[" + re.escape("".join(c for c in _CONTROLS if c not in _LINE_BREAKS)) + _SURROGATES + "]"
)
BAD_LINE = re.compile("[" + re.escape("".join(_CONTROLS)) + _SURROGATES + "]")

# GB 32100-2015: 31 characters (no I, O, S, V, Z).
CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def valid_phone(phone: str) -> bool:
    return bool(PHONE_PATTERN.match(phone or ""))


def bad_text(value: str, *, multiline: bool = True) -> bool:
    """True when `value` holds a control character (tab, newline and CR are fine in
    multi-line text) or an unpaired UTF-16 surrogate."""
    return bool((BAD_TEXT if multiline else BAD_LINE).search(value))


def date_in_range(value: dt.date | dt.datetime) -> bool:
    """True for a date (or a datetime's date) between EARLIEST_DATE and LATEST_DATE."""
    day = value.date() if isinstance(value, dt.datetime) else value
    return EARLIEST_DATE <= day <= LATEST_DATE


def db_int(value: str, *, low: int = INT32_MIN, high: int = INT32_MAX) -> int:
    """An integer written in ASCII digits that fits an Integer column; ValueError otherwise.

    Usable as `request.args.get(name, type=db_int)`: a bad value reads as missing.
    """
    text = str(value).strip()
    if not ASCII_INT_PATTERN.match(text):
        raise ValueError(f"not an integer: {value!r}")
    number = int(text)
    if not low <= number <= high:
        raise ValueError(f"out of range: {value!r}")
    return number


def db_id(value: str) -> int:
    """A row id (1 .. 2**31-1) written in ASCII digits; ValueError otherwise."""
    return db_int(value, low=1)


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
