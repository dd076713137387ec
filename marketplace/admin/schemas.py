from __future__ import annotations

from marshmallow import Schema, fields, validate


class VerifySchema(Schema):
    approve = fields.Boolean(load_default=True)
    note = fields.String(load_default="", validate=validate.Length(max=300))
