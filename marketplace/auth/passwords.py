"""argon2id password hashing (argon2-cffi), with rehash when the parameters change."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

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


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)
