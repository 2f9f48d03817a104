"""robustsim: simulator/render."""
