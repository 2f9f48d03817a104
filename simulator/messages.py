"""Short, one-line renderings of user values for error messages (a huge value never floods one)."""

from __future__ import annotations

import reprlib
from typing import Any


def short_repr(value: Any, limit: int = 80) -> str:
    """`repr(value)`, cut to about `limit` characters."""
    shortener = reprlib.Repr()
    shortener.maxlevel, shortener.maxlist, shortener.maxdict = 3, 8, 8
    shortener.maxstring = shortener.maxother = limit
    text = shortener.repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def short_value(value: Any) -> str:
    """A parameter value for a table: floats to 3 significant digits, anything else as it is."""
    return f"{value:.3g}" if isinstance(value, float) else str(value)
