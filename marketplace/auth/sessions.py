from __future__ import annotations

from marketplace.auth.models import User, UserStatus
from marketplace.extensions import db


def load_user_from_session(session_id: str) -> User | None:
    """Flask-Login loader: the id carries the session version, so old cookies stop working."""
    try:
        user_id, version = (int(part) for part in session_id.split(":", 1))
    except (ValueError, AttributeError):
        return None
    user = db.session.get(User, user_id)
    if user is None or user.session_version != version or user.status != UserStatus.ACTIVE:
        return None
    return user
