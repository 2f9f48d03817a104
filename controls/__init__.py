"""robustsim: controls."""
