"""`python -m simulator` is the `robustsim` command."""

from simulator.cli import main

main()
