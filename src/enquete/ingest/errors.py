"""Errors raised by readers; the corpus ingest turns them into rows of the rejects report."""

from __future__ import annotations


class IngestError(ValueError):
    """A file cannot be read as the document it claims to be.

    The message names the file and, where it helps, the line.
    """

    def __init__(self, path, reason: str, line: int | None = None):
        self.path = str(path)
        self.reason = reason
        self.line = line
        where = f"{self.path}, ligne {line}" if line else self.path
        super().__init__(f"{where} : {reason}")
