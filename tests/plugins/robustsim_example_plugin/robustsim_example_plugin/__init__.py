"""Example robustsim plugin (used by tests/integration/test_plugin.py and docs/plugins.md)."""
