"""robustsim: simulator/analysis."""
