"""Errors of the analysis package (no heavy imports: the command line imports this at start)."""


class ResultsNotFoundError(Exception):
    """The folder holds no results (a user's mistake: shown as a message by the command line)."""


class UnsupportedResultsError(Exception):
    """The results lack columns an analysis needs (e.g. written by a plugin evaluator)."""
