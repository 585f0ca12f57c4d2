"""One exception root for run-level problems.

Row-level problems are data (a ``RowResult`` with a status and a message), never exceptions.
Run-level problems stop the run and map to an exit code::

    ReschedulerError                 (base; never raised itself)
    ├── UsageError                   exit 2  bad flags or arguments
    ├── ConfigError                  exit 2  bad config file or value; names the key path
    ├── InputFileError               exit 2  unreadable/undecodable input, missing column;
    │                                        names the file, line and column where known
    ├── OutputError                  exit 2  results/journal file cannot be written (checked
    │   │                                    before anything is sent)
    │   └── OutputsInUse             exit 2  another run (or validate) holds the same outputs
    ├── JournalLockedError           exit 2  another run holds the same journal
    ├── ListRefused                  exit 2  appoint/list answered a refusal (a code other than
    │                                        0200000, not transient) or an answer it cannot read
    ├── SnapshotFailed               exit 2  the listing before a run (or plan) failed: nothing
    │                                        sent; ``run --no-snapshot`` sends without it
    ├── InputMissing                 exit 4  the input file is not there or is empty (the
    │                                        upstream export did not arrive?); nothing sent
    └── RunAborted                   exit 3  the run stopped early (sending may have started)
        ├── CredentialsRejected              HTTP 401: names the access key, never the secret
        ├── CertificateRejected              the server's TLS certificate is not trusted
        ├── TooManyFailures                  --max-failures reached
        ├── ServerUnreachable                many rows in a row got no answer at all
        ├── ListingFailed                    a list page still failed after every retry
        ├── Interrupted                      SIGINT / SIGTERM / the Stop button
        ├── InputChanged                     the input file was rewritten, replaced or removed
        │                                    while the run was sending (the run read a copy)
        ├── OutputFailed                     an output could not be written mid-run (disk full):
        │                                    the journal is intact, --resume finishes
        └── Crashed                          an unexpected error (a bug) after sending started;
                                             its __cause__ is the original exception

An unexpected exception before sending started is not wrapped: the command line's last resort
turns it into one line (exit 2, nothing sent); see ``rescheduler.lastresort``.

Raised ``RunAborted`` (not returned in ``RunResult.aborted``) means the report could not be
completed: the previous results file is untouched and the rows written so far are in
``<results>.partial``.

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
        self.detail = message  # without the key: the CLI puts the flag's name there instead
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
    """A results, errors or journal file cannot be written.

    ``path`` is the file and ``errno`` the OS error number (``ENOSPC``: disk full), when known.
    """

    def __init__(self, message: str, *, path: object = None, errno: int | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.errno = errno


class OutputsInUse(OutputError):
    """Another rescheduler process holds the lock on the same results file."""


class JournalLockedError(ReschedulerError):
    """Another run is using the same journal."""


class ListRefused(ReschedulerError):
    """The server refused an ``appoint/list`` request, or answered something unreadable."""


class SnapshotFailed(ReschedulerError):
    """The snapshot before sending (``appoint/list``) could not be read; nothing was sent."""


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


class CertificateRejected(RunAborted):
    """The server's TLS certificate is not trusted: every row would fail the same way."""

    code = "certificate_rejected"


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


class InputChanged(RunAborted):
    """The input file changed while the run was sending: it stops (every row came from the
    copy the run took at its start, so what was sent is what the file held then)."""

    code = "input_changed"


class OutputFailed(RunAborted):
    """A results, errors or journal file could not be written after sending started."""

    code = "output_failed"


class Crashed(RunAborted):
    """An unexpected error (a bug) stopped the run after sending started.

    The message names only the exception's type (its text may hold anything, a secret
    included); ``detail`` says what became of the run; ``__cause__`` is the bug itself, which
    only the crash log and ``--debug`` show (scrubbed).
    """

    code = "internal_error"

    def __init__(self, message: str, *, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail or message

    @classmethod
    def of(cls, bug: BaseException, detail: str) -> Crashed:
        kind = type(bug).__name__
        message = _("internal error ({kind}); {detail}").format(kind=kind, detail=detail)
        crash = cls(message, detail=detail)
        crash.__cause__ = bug
        return crash
