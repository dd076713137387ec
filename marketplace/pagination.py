"""A page of an in-memory list, with the attributes of Flask-SQLAlchemy's Pagination that the
pager macro and the API use."""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass
class ListPage:
    """A page of a list computed in Python (e.g. ranked by a model)."""

    page: int
    per_page: int
    total: int
    items: list = field(default_factory=list)

    @property
    def pages(self) -> int:
        return max(math.ceil(self.total / self.per_page), 1)

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1
