"""robustsim: simulator/models."""
