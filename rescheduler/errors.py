"""One exception root for run-level problems.

Row-level problems are data (a ``RowResult`` with a status and a message), never exceptions.
Run-level problems stop the run and map to an exit code::

    ReschedulerError                 (base; never raised itself)
    ├── UsageError                   exit 2  bad flags or arguments
    ├── ConfigError                  exit 2  bad config file or value; names the key path
    ├── InputFileError               exit 2  unreadable/undecodable input, missing column;
    │                                        names the file, line and column where known
    ├── OutputError                  exit 2  results/journal file cannot be written
    ├── JournalLockedError           exit 2  another run holds the same journal
    ├── ListRefused                  exit 2  appoint/list answered a refusal (a code other than
    │                                        0200000, not transient) or an answer it cannot read
    ├── InputMissing                 exit 4  the input file is not there or is empty (the
    │                                        upstream export did not arrive?); nothing sent
    └── RunAborted                   exit 3  the run stopped early; the report is complete
        ├── CredentialsRejected              HTTP 401: names the access key, never the secret
        ├── TooManyFailures                  --max-failures reached
        ├── ServerUnreachable                many rows in a row got no answer at all
        ├── ListingFailed                    a list page still failed after every retry
        └── Interrupted                      SIGINT / SIGTERM

``export`` uses the same tree: nothing is sent by it, so an abort (exit 3) leaves no output file
under the final name, only the page journal that ``export --resume`` continues from.

Third-party exceptions are mapped to these (or to row outcomes) once, where they arise.
Messages never contain the secret key or a signature. They are in the reader's language
(``rescheduler.i18n``); ``RunAborted.code`` is the stable English ``error_code`` given to the
rows a stopped run left ``not_sent``.
"""

from __future__ import annotations

from rescheduler.i18n import _


class ReschedulerError(Exception):
    """Root of every exception rescheduler raises on purpose."""

    exit_code = 2


class UsageError(ReschedulerError):
    """Bad command-line usage."""


class ConfigError(ReschedulerError):
    """A config value is missing or wrong; the message names the key path."""

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        super().__init__(f"{key} {message}")


class InputFileError(ReschedulerError):
    """The input file cannot be read as a table of reservation changes."""

    def __init__(
        self,
        path: str,
        message: str,
        *,
        line: int | None = None,
        column: str | None = None,
    ) -> None:
        self.path = path
        self.line = line
        self.column = column
        where = path
        if line is not None:
            where = _("{path}, line {line}").format(path=where, line=line)
        if column is not None:
            where = _("{where}, column {column}").format(where=where, column=repr(column))
        super().__init__(_("{where}: {message}").format(where=where, message=message))


class OutputError(ReschedulerError):
    """A results, errors or journal file cannot be written."""


class JournalLockedError(ReschedulerError):
    """Another run is using the same journal."""


class ListRefused(ReschedulerError):
    """The server refused an ``appoint/list`` request, or answered something unreadable."""


class InputMissing(ReschedulerError):
    """The input file does not exist or holds nothing at all: the upstream export did not arrive.

    Distinct from ``InputFileError`` (a file that is there but cannot be used, exit 2), so a
    nightly job's monitoring can tell "nothing came" from "something bad came".
    """

    exit_code = 4

    def __init__(self, path: str, *, empty: bool = False) -> None:
        self.path = path
        self.empty = empty
        if empty:
            text = _("the input file {path} is empty — the upstream export did not arrive whole?")
        else:
            text = _("the input file {path} does not exist — the upstream export did not arrive?")
        super().__init__(text.format(path=path))


class RunAborted(ReschedulerError):
    """The run stopped before every row was attempted; unsent rows are reported ``not_sent``."""

    exit_code = 3
    code = "stopped"  # the error_code of the rows it left not_sent


class CredentialsRejected(RunAborted):
    """The server answered HTTP 401."""

    code = "credentials_rejected"


class TooManyFailures(RunAborted):
    """Failures reached the ``--max-failures`` limit."""

    code = "max_failures"


class ServerUnreachable(RunAborted):
    """Row after row, every attempt failed to connect or timed out: the server is not there."""

    code = "server_unreachable"


class ListingFailed(RunAborted):
    """A list page failed after every retry (server errors, timeouts, connection failures)."""


class Interrupted(RunAborted):
    """The run was interrupted by SIGINT or SIGTERM."""

    code = "interrupted"
