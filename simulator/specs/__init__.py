"""Specification tests: a sub-box of an experiment's conditions, a requirement, and a statistical verdict."""
