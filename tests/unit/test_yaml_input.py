"""Crafted YAML is refused fast and clearly: bombs, deep nesting, other encodings."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from simulator.yaml_input import MAX_DEPTH, YamlInputError, load_yaml


def bomb(levels: int) -> str:
    lines = ["a0: &a0 [" + ", ".join(["lol"] * 9) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    "text,message",
    [
        (bomb(12), "alias bomb"),
        ("x: " + "[" * 20000 + "]" * 20000, "nested too deeply"),
        ("x: " + "{a: " * (MAX_DEPTH + 1) + "1" + "}" * (MAX_DEPTH + 1), "nested too deeply"),
        ("x: [1, 2\n", "not valid YAML: line"),
    ],
)
def test_hostile_yaml_is_refused_within_a_second(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "x.yaml"
    path.write_text(text)
    started = time.monotonic()
    with pytest.raises(YamlInputError, match=message):
        load_yaml(path)
    assert time.monotonic() - started < 2.0


@pytest.mark.parametrize("data", [b"name: caf\xe9\n", b"\xff\xfen\x00a\x00", "name: x\n".encode("utf-16")])
def test_other_encodings_are_refused_with_the_line(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "x.yaml"
    path.write_bytes(data)
    with pytest.raises(YamlInputError, match=r"not UTF-8 text \(byte 0x[0-9a-f]{2} on line 1\)"):
        load_yaml(path)


def test_shared_aliases_within_the_limits_load(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text(bomb(3) + "nested: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n")
    assert len(load_yaml(path)["a2"]) == 9
    assert load_yaml(tmp_path / "x.yaml") is not None
    (tmp_path / "empty.yaml").write_text("# nothing\n")
    assert load_yaml(tmp_path / "empty.yaml") is None
