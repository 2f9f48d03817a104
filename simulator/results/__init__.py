"""robustsim: simulator/results."""
