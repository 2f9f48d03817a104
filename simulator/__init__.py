"""robustsim core: configuration, scenes, rendering, execution, results, analysis and the CLI."""

__version__ = "0.1.0"
