"""The errors enquete raises for a user's input, settings or environment.

The command line turns exactly these into a one-line ``Erreur : …`` message and exit
code 1; anything else is a bug and shows its traceback. Every class also derives from
the built-in exception a Python user would expect (``ValueError``, or ``RuntimeError``
for the environment), so ``except ValueError`` keeps working::

    EnqueteError
    ├── ConfigError      settings or options that cannot be used (checked when they load)
    │   └── CodebookError    a codebook missing, malformed or inconsistent
    ├── CorpusError      a corpus folder or its corpus.yaml cannot be used
    ├── IngestError      a file cannot be read as the document it claims to be (names the file and line)
    ├── SchemaError      a segment table does not have the expected shape
    ├── OutputError      a table or output path cannot be used
    ├── ReviewError      a review workbook cannot be read
    ├── RefiQdaError     a REFI-QDA file cannot be written or read
    ├── TopicError       topics cannot be computed from these segments (too few)
    ├── ReportError      the report cannot be built (a template without the needed styles)
    ├── VerifyError      a run folder cannot be verified (no manifest, corpus not found)
    ├── PrivacyError     text that is not pseudonymised would leave the machine, or go to a remote host
    ├── ModelError       the spaCy model is not installed (RuntimeError)
    └── LLMError         the language-model server cannot be used: unreachable, model unknown, refusing (RuntimeError)

Warnings say what was decided and deserves a look, without stopping anything; the command
line always shows them (``Attention : …``)::

    EnqueteWarning (UserWarning)
    ├── CorpusWarning    a corpus folder read with defaults, or with files left aside
    ├── ReadingWarning   a document read with a decision to check (date order, interviewer)
    └── OutputWarning    a file written within a limit of its format (a workbook cell cut short)

This module imports nothing: the command line loads it before anything heavy.
"""

from __future__ import annotations


class EnqueteError(Exception):
    """Base of every error enquete raises for its user's input, settings or environment."""


class ConfigError(EnqueteError, ValueError):
    """Settings or options that cannot be used."""


class CodebookError(ConfigError):
    """A codebook file is missing, malformed or inconsistent."""


class CorpusError(EnqueteError, ValueError):
    """A corpus folder or its manifest cannot be used."""


class IngestError(EnqueteError, ValueError):
    """A file cannot be read as the document it claims to be.

    The message names the file and, where it helps, the line.
    """

    def __init__(self, path, reason: str, line: int | None = None):
        self.path = str(path)
        self.reason = reason
        self.line = line
        where = f"{self.path}, ligne {line}" if line else self.path
        super().__init__(f"{where} : {reason}")


class SchemaError(EnqueteError, ValueError):
    """The segment table does not have the expected shape."""


class OutputError(EnqueteError, ValueError):
    """A table or an output path cannot be used."""


class ReviewError(EnqueteError, ValueError):
    """A review workbook cannot be read."""


class RefiQdaError(EnqueteError, ValueError):
    """A REFI-QDA file cannot be written or read."""


class TopicError(EnqueteError, ValueError):
    """Topics cannot be computed from these segments (too few long enough)."""


class ReportError(EnqueteError, ValueError):
    """The report cannot be built (a template without the needed styles, say)."""


class VerifyError(EnqueteError, ValueError):
    """A folder cannot be verified (no manifest, corpus not found)."""


class ModelError(EnqueteError, RuntimeError):
    """The spaCy model is not installed."""


class EnqueteWarning(UserWarning):
    """Base of the warnings enquete gives its user: a decision worth checking."""


class CorpusWarning(EnqueteWarning):
    """Something in a corpus deserves the user's attention but does not stop the run."""


class ReadingWarning(EnqueteWarning):
    """A document was read, with a decision the user should check (date order, interviewer, layout)."""


class OutputWarning(EnqueteWarning):
    """A file was written within a limit of its format (a workbook cell cut at Excel's maximum)."""


class PrivacyError(EnqueteError, ValueError):
    """Text that is not pseudonymised would leave the machine, or go to a host that is not local."""


class LLMError(EnqueteError, RuntimeError):
    """The language-model server cannot be used: unreachable, the model unknown, or answering errors."""
