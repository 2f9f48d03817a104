"""robustsim: simulator/evaluators."""
