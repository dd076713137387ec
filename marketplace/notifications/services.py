from __future__ import annotations

from sqlalchemy import func, select, update

from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.notifications.models import Notification


def notify(*, user_id: int, kind: str, message: str, link: str | None = None) -> Notification:
    """Queue an in-app message. `message` is a message key or plain text shown to the user."""
    note = Notification(user_id=user_id, kind=kind, message=message, link=link)
    db.session.add(note)
    return note


def notify_many(*, user_ids: list[int], kind: str, message: str, link: str | None = None) -> None:
    if user_ids:
        db.session.add_all(
            Notification(user_id=uid, kind=kind, message=message, link=link) for uid in user_ids
        )


def unread_count(user_id: int) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Notification).where(
            Notification.user_id == user_id, Notification.read_at.is_(None)
        )
    ) or 0


def list_for(user_id: int, *, page: int, per_page: int):
    query = (
        select(Notification)
        .where(Notification.user_id == user_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def mark_all_read(user_id: int) -> None:
    db.session.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
