"""Masking and keyed digests for personal data (PIPL): what other parties and logs may see."""

from __future__ import annotations

import hashlib
import hmac
import re

PHONE_RE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
ID_NUMBER_RE = re.compile(r"(?<![\dA-Za-z])(\d{6})(\d{8})(\d{3}[\dXx])(?![\dA-Za-z])")


def mask_phone(phone: str | None) -> str:
    if not phone or len(phone) < 7:
        return "***"
    return f"{phone[:3]}****{phone[-4:]}"


def mask_id_number(id_number: str | None) -> str:
    if not id_number:
        return ""
    return f"{id_number[:3]}{'*' * 11}{id_number[-4:]}"


def keyed_digest(value: str, key: str) -> str:
    return hmac.new(key.encode(), value.upper().encode(), hashlib.sha256).hexdigest()


def redact(text: str) -> str:
    """Mask every phone number and ID number found in free text."""
    text = ID_NUMBER_RE.sub(lambda m: mask_id_number(m.group(0)), text)
    return PHONE_RE.sub(lambda m: mask_phone(m.group(0)), text)


def valid_id_number(id_number: str) -> bool:
    """Mainland resident ID (GB 11643-1999): 17 digits and an ISO 7064 MOD 11-2 check character."""
    if not re.fullmatch(r"[0-9]{17}[0-9Xx]", id_number):
        return False
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(id_number[:17], weights, strict=True))
    return "10X98765432"[total % 11] == id_number[17].upper()
