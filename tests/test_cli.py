"""Operator commands through Flask's CLI runner."""

from __future__ import annotations

from sqlalchemy import select

from marketplace.auth.models import User
from marketplace.extensions import db


def test_admin_create_makes_an_administrator_who_can_sign_in(app, client):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["admin", "create", "--phone", "13912345678", "--name", "管理员",
                                 "--password", "admin-pass-123"])
    assert result.exit_code == 0, result.output
    admin = db.session.scalar(select(User).where(User.phone == "13912345678"))
    assert admin.role == "admin"
    assert admin.password_hash.startswith("$argon2id$")
    r = client.post("/api/v1/auth/token", json={"phone": "13912345678",
                                                "password": "admin-pass-123"})
    assert r.status_code == 200


def test_admin_create_refuses_bad_phone_and_duplicates(app):
    runner = app.test_cli_runner()
    bad = runner.invoke(args=["admin", "create", "--phone", "12345", "--name", "x",
                              "--password", "admin-pass-123"])
    assert bad.exit_code != 0 and "phone" in bad.output
    args = ["admin", "create", "--phone", "13912345670", "--name", "x", "--password",
            "admin-pass-123"]
    assert runner.invoke(args=args).exit_code == 0
    again = runner.invoke(args=args)
    assert again.exit_code != 0 and "already registered" in again.output
