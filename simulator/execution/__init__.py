"""robustsim: simulator/execution."""
