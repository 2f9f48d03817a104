"""Errors of the analysis package (no heavy imports: the command line imports this at start)."""


class ResultsNotFoundError(Exception):
    """The folder holds no results (a user's mistake: shown as a message by the command line)."""
