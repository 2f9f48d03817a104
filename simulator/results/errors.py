"""Errors about an output folder, shown to the user as one message (never a traceback)."""

from __future__ import annotations


class OutputMismatchError(ValueError):
    """The output folder holds results of a different experiment or set-up."""


class OutputFolderError(OutputMismatchError):
    """The output folder cannot be used: below a file, not writable, or its experiment.json unreadable."""


class RowsNotWrittenError(OutputFolderError):
    """Rows could not be written to the results folder; the message says where they were saved instead."""
