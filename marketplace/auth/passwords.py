"""argon2id password hashing (argon2-cffi), with rehash when the parameters change, and the
password policy (length, the shipped list of common passwords, not the phone number)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from marketplace.errors import N_

# OWASP / ASVS argon2id floor: m=19 MiB, t=2, p=1. We use 19 MiB, t=2.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)

# A hash of a random password, checked when the account does not exist, so a login for an
# unknown phone number takes as long as one for a known phone number.
_DUMMY_HASH = _hasher.hash("not-a-real-password-0f3c9a")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    except UnicodeEncodeError:  # a lone surrogate from JSON: no stored password has one
        _hasher.verify(_DUMMY_HASH, "not-a-real-password-0f3c9a")  # same time as a mismatch
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)


# --- the password policy: length, not a common password, not the phone number ---------------
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords (lower case; see the file's header)."""
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("# "))


def password_problems(password: str | None, *, phone: str | None = None) -> list[str]:
    """What is wrong with a new password (messages marked for translation), or []."""
    password = password or ""
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        return [N_("Use %(min)d to 128 characters", min=MIN_PASSWORD_LENGTH)]
    if not all(ch.isprintable() and not 0xD800 <= ord(ch) <= 0xDFFF for ch in password):
        return [N_("The password contains characters that cannot be used.")]
    if password.strip().lower() in common_passwords():
        return [N_("This password is one of the most common ones. Choose one that is harder "
                   "to guess.")]
    phone = (phone or "").strip()
    if phone and phone in password and len(password) - len(phone) < 4:
        return [N_("Do not use your phone number as your password.")]
    return []
