"""robustsim: policies."""
