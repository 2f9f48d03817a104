"""Options from YAML checked against the type hints of the constructor they are passed to."""

from __future__ import annotations

import typing
from typing import Any

from pydantic import TypeAdapter, ValidationError

from simulator.messages import short_repr


def option_type_problems(target: type, options: dict[str, Any]) -> list[tuple[str, str]]:
    """(option, message) for each option whose value does not have the type `target.__init__` declares
    for it, checked strictly (a float is no int, a string no number); unannotated options pass."""
    try:
        hints = typing.get_type_hints(target.__init__)
    except (NameError, TypeError):  # hints that do not resolve: nothing to check against
        return []
    problems = []
    for name, value in options.items():
        if name not in hints:
            continue
        try:
            TypeAdapter(hints[name]).validate_python(value, strict=True)
        except ValidationError as error:
            reason = error.errors()[0]["msg"]
            problems.append((name, f"{reason} (got {short_repr(value)}); allowed: {_type_name(hints[name])}"))
        except Exception:  # noqa: BLE001 - a hint pydantic cannot check (e.g. an arbitrary class)
            continue
    return problems


def _type_name(hint: Any) -> str:
    """`int`, `Sequence[str] | None`: a hint as a user reads it."""
    name = getattr(hint, "__name__", None) if isinstance(hint, type) else None
    return name or str(hint).replace("typing.", "").replace("collections.abc.", "")
