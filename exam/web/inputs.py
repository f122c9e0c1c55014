"""Reading numbers out of URLs, query strings and forms without trusting them: ids within the database's
integer range, page numbers within reason, digits that are ASCII digits (``"²".isdigit()`` is True)."""
from __future__ import annotations

from typing import Any

from flask import Flask, request
from werkzeug.routing import IntegerConverter

#: ids are 32-bit integers in the database
MAX_ID = 2**31 - 1
#: no listing has more pages than this
MAX_PAGE = 100_000


def small_int(text: Any, maximum: int = MAX_ID) -> int | None:
    """``text`` as a non-negative int if it is 1–10 ASCII digits not above ``maximum``; else None."""
    if not isinstance(text, str) or not (0 < len(text) <= 10) or not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if value <= maximum else None


def page_arg(name: str = "page", last: int = MAX_PAGE) -> int:
    """The page number asked for, 1 … ``last``; anything unreadable is page 1."""
    page = small_int(request.args.get(name, "1"), MAX_PAGE) or 1
    return max(1, min(page, last))


class IdConverter(IntegerConverter):
    """``<int:…>`` in every route: an id beyond the database's range is simply not found (404)."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:  # noqa: A002 (werkzeug's name)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = IdConverter
