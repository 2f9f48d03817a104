"""Extension points: controls, policies, models and evaluators found through entry points.

A user's package adds one by declaring, in its pyproject.toml:

    [project.entry-points."robustsim.controls"]
    my_control = "my_package.module:MyControl"

Built-ins are registered the same way in robustsim's own pyproject.toml.
"""

from __future__ import annotations

import difflib
from functools import cache
from importlib.metadata import entry_points
from typing import Any, Literal

Group = Literal["controls", "policies", "models", "evaluators"]
_SINGULAR = {"controls": "control", "policies": "policy", "models": "model", "evaluators": "evaluator"}


class UnknownNameError(KeyError):
    """A name that no installed package registers; str() lists what is available."""

    def __str__(self) -> str:
        return str(self.args[0])


@cache
def _entry_points(group: Group) -> dict[str, Any]:
    return {ep.name: ep for ep in entry_points(group=f"robustsim.{group}")}


def names(group: Group) -> list[str]:
    """Registered names in a group, sorted."""
    return sorted(_entry_points(group))


def lookup(group: Group, name: str) -> Any:
    """The class registered under `name`, with a did-you-mean error for unknown names."""
    found = _entry_points(group)
    if name not in found:
        close = difflib.get_close_matches(name, found, n=3)
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
        available = ", ".join(sorted(found)) or "none installed"
        raise UnknownNameError(f"unknown {_SINGULAR[group]} {name!r}{hint} (available: {available})")
    return found[name].load()
