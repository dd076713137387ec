from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from marketplace.validators import (
    ASCII_INT_PATTERN,
    INT32_MAX,
    INT32_MIN,
    INT64_MAX,
    INT64_MIN,
    MAX_PAGE,
)


class Int(fields.Integer):
    """An integer sized to its column: int32 (an Integer column), or int64 with `big=True`.

    Decimals are refused, never truncated: 1.5 and 1.0 (JSON numbers with a point), "1.5",
    true, "1_0" and full-width digits all fail. A string of ASCII digits is read (query strings
    are strings, and API clients have always been allowed to send "5"); `strict=True` refuses
    strings too. A value outside the column's range is refused, so it never reaches the
    database as an overflow.
    """

    default_error_messages = {"range": "Must be between {low} and {high}."}

    def __init__(self, *, strict: bool = False, big: bool = False, **kwargs: Any) -> None:
        super().__init__(strict=strict, **kwargs)
        self.low, self.high = (INT64_MIN, INT64_MAX) if big else (INT32_MIN, INT32_MAX)

    def _validated(self, value: Any) -> int:
        if isinstance(value, str) and not ASCII_INT_PATTERN.match(value.strip()):
            raise self.make_error("invalid", input=value)
        if isinstance(value, float):
            raise self.make_error("invalid", input=value)
        number = super()._validated(value)
        if not self.low <= number <= self.high:
            raise self.make_error("range", low=self.low, high=self.high)
        return number


class ErrorBodySchema(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    fields_ = fields.Dict(data_key="fields")


class ErrorSchema(Schema):
    error = fields.Nested(ErrorBodySchema, required=True)


class PageQuerySchema(Schema):
    page = Int(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    per_page = Int(load_default=20, validate=validate.Range(min=1, max=100))
