"""python -m assets.builders [--out DIR] [NAME ...]: regenerate the built-in objects."""

from __future__ import annotations

import argparse
from pathlib import Path

from assets.builders import build, default_output_dir


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m assets.builders", description=__doc__)
    parser.add_argument("names", nargs="*", help="objects to build (default: all)")
    parser.add_argument(
        "--out", type=Path, default=default_output_dir(), help="output directory (default: assets/objects)"
    )
    args = parser.parse_args(argv)
    for folder in build(args.names or None, args.out):
        size = sum(p.stat().st_size for p in folder.iterdir() if p.is_file())
        print(f"{folder}  {size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
