"""Where a run's files go, and whether they can go there (pure but for looking at the disk).

``default_paths`` names the results and errors files; ``partial_path`` is where each is
written until it is complete; ``check_target`` says, before anything is opened, whether a
target can be written and then replaced.

``check_outputs`` puts every file a command writes through the same checks before any is
opened — the results and errors files and every side output (journal, log file, metrics
file, run record, crash log, later the before/undo files): none may be the input or another
output of the run (the same path, or the same file under another name), none may carry a
name rescheduler uses for work in progress (another run's ``.partial`` or ``.lock``, a
journal's ``-wal``/``-shm``), and each must be a kind of file its writer may write:

- results, errors, run record, crash log, metrics: a regular file (or none yet) that is not
  read-only; the metrics file is replaced whole, so an existing one must be metrics text
  (Prometheus' ``# HELP``/``# TYPE`` lines), never another file the user has;
- journal: an SQLite database (checked further by ``journal.check_journal``) or none yet;
- log file: appended to, so a regular file, or (documented) a FIFO or a character device
  such as ``/dev/stderr``; never a data file (a spreadsheet, CSV, database).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

from rescheduler.errors import OutputError
from rescheduler.i18n import N_, _

UNWRITABLE_SUFFIXES = frozenset({".xls", ".xlsm", ".xlsb", ".ods"})
IN_PROGRESS_SUFFIXES = (".partial", ".lock", ".tmp", "-wal", "-shm", "-journal")
DATA_SUFFIXES = frozenset(
    {".csv", ".tsv", ".xlsx", ".xlsm", ".xls", ".xlsb", ".ods", ".sqlite", ".db", ".prom"}
)
_MAGIC = (b"SQLite format 3\x00", b"PK\x03\x04", b"\xd0\xcf\x11\xe0")  # SQLite, zip, OLE
KINDS = {
    "results": N_("the results file"),
    "errors": N_("the errors file"),
    "journal": N_("the journal"),
    "log": N_("the log file"),
    "metrics": N_("the metrics file"),
    "run_record": N_("the run record"),
    "crash_log": N_("the crash log"),
    "export": N_("the export file"),
    "before": N_("the before file"),
    "undo": N_("the undo file"),
    "snapshot": N_("the snapshot database"),
}
DATABASES = frozenset({"journal", "snapshot"})  # SQLite files: only ever over SQLite files
FLAGS = {"journal": "--journal", "log": "--log-file", "metrics": "--metrics-file"}


def default_paths(
    input_path: Path, out: Path | None = None, *, dry_run: bool = False, kind: str = ""
) -> tuple[Path, Path]:
    """``(results_path, errors_path)``; refuses paths that would overwrite the input.

    Results default to ``<input stem>.results.csv`` next to the input (a dry run's to
    ``<input stem>.validation.csv``, so checking a file never replaces a real run's results;
    ``kind`` names another, e.g. ``plan``: ``<input stem>.plan.csv``), ``.xlsx`` instead of
    ``.csv`` for a workbook input (:func:`default_suffix`: the IDs stay text when the files
    are opened in Excel);
    the errors file takes the results name without ``.results``, plus ``.errors`` and the
    results suffix (``changes.results.csv`` -> ``changes.errors.csv``, ``out.xlsx`` ->
    ``out.errors.xlsx``, ``changes.validation.csv`` -> ``changes.validation.errors.csv``).
    """
    kind = kind or ("validation" if dry_run else "results")
    suffix = default_suffix(input_path)
    results = out or input_path.with_name(f"{input_path.stem}.{kind}{suffix}")
    stem = results.stem
    if stem.lower().endswith(".results"):
        stem = stem[: -len(".results")]
    errors = results.with_name(f"{stem}.errors{results.suffix}")
    source = input_path.resolve()
    for path in (results, errors):
        if path.resolve() == source:
            raise OutputError(
                _("{path}: would overwrite the input file; choose another --out").format(path=path)
            )
    return results, errors


def default_suffix(input_path: Path) -> str:
    """``.xlsx`` for a workbook input (.xlsx, .xlsm, .xls, .xlsb, .ods), ``.csv`` otherwise."""
    from rescheduler.read.reader import SHEET_SUFFIXES

    return ".xlsx" if input_path.suffix.lower() in SHEET_SUFFIXES else ".csv"


def partial_path(path: Path) -> Path:
    """Where ``path`` is written until it is complete: ``<name>.partial`` beside it."""
    return path.with_name(f"{path.name}.partial")


def check_target(path: Path, flag: str = "--out") -> None:
    """``OutputError`` unless ``path`` can be written and renamed into place (nothing opened).

    The folder must exist and be writable. An existing target must be a file that is not
    marked read-only: a read-only file is never replaced, even by a user (root) who could.
    """
    suffix = path.suffix.lower()
    if suffix in UNWRITABLE_SUFFIXES:
        raise OutputError(
            _("{path}: cannot write {suffix} files; use .xlsx or .csv").format(
                path=path, suffix=suffix
            )
        )
    folder = path.parent
    if not folder.is_dir():
        raise OutputError(
            _("cannot write {path}: the folder {folder} does not exist").format(
                path=path, folder=folder
            )
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(
            _("cannot write {path}: no permission to create files in {folder}").format(
                path=path, folder=folder
            )
        )
    try:
        info = path.stat()
    except FileNotFoundError:
        return
    except OSError as exc:
        raise OutputError(
            _("cannot write {path}: {reason}").format(path=path, reason=exc.strerror or exc)
        ) from None
    if stat.S_ISDIR(info.st_mode):
        raise OutputError(
            _("cannot write {path}: it is a directory; choose another {flag}").format(
                path=path, flag=flag
            )
        )
    if not stat.S_ISREG(info.st_mode):
        raise OutputError(
            _("cannot write {path}: it is not a regular file; choose another {flag}").format(
                path=path, flag=flag
            )
        )
    if not info.st_mode & 0o222 or not os.access(path, os.W_OK):
        raise OutputError(
            _(
                "cannot replace {path}: it is read-only; make it writable, move it away "
                "or choose another {flag}"
            ).format(path=path, flag=flag)
        )


def kind_name(kind: str) -> str:
    """``the results file``, ``the journal`` ... in the reader's language (a kind another stage
    registers, e.g. ``before``, as it is)."""
    return _(KINDS[kind]) if kind in KINDS else kind


@dataclass(frozen=True)
class Target:
    """One file a command will write: its kind (a key of ``KINDS``), its path, and the flag
    that moves it (``--out``, ``--journal``, ``--log-file``, ``--metrics-file``)."""

    kind: str
    path: Path
    flag: str = "--out"


def same_file(a: Path, b: Path) -> bool:
    """Whether ``a`` and ``b`` name one file: the same path resolved, or the same inode."""
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        one, two = os.stat(a), os.stat(b)
    except OSError:
        return False
    return (one.st_dev, one.st_ino) == (two.st_dev, two.st_ino)


def check_name(path: Path, flag: str = "--out") -> None:
    """``OutputError`` for a name rescheduler gives work in progress: another run's
    ``.partial`` or ``.lock``, a temporary ``.tmp``, a journal's ``-wal``/``-shm``."""
    if path.name.lower().endswith(IN_PROGRESS_SUFFIXES):
        raise OutputError(
            _(
                "{path}: rescheduler keeps files in progress under such names (another run's "
                ".partial or .lock, a journal's -wal or -shm); choose another {flag}"
            ).format(path=path, flag=flag)
        )


def head(path: Path, size: int = 16) -> bytes:
    """The first ``size`` bytes of a regular file (b"" when it is absent or unreadable)."""
    try:
        with open(path, "rb") as handle:
            return handle.read(size)
    except OSError:
        return b""


def check_outputs(input_path: Path | None, targets: Sequence[Target]) -> None:
    """Every target through the checks above; ``OutputError`` (exit 2) for the first that
    fails, before anything is opened. ``input_path`` None: a command without an input."""
    for target in targets:
        check_name(target.path, target.flag)
        if input_path is not None and same_file(target.path, input_path):
            raise OutputError(
                _("{path}: is the input file; {kind} must go elsewhere: choose another {flag}")
                .format(path=target.path, kind=kind_name(target.kind), flag=target.flag)
            )  # fmt: skip
    for one, two in combinations(targets, 2):
        if same_file(one.path, two.path):
            raise OutputError(
                _("{path} would be both {one} and {two}; choose another {flag}").format(
                    path=two.path, one=kind_name(one.kind), two=kind_name(two.kind), flag=two.flag
                )
            )
    for target in targets:
        if target.kind == "log":
            check_log_target(target.path, target.flag)
            continue
        check_target(target.path, target.flag)
        if target.kind == "metrics":
            _own_text(target, (b"# HELP ", b"# TYPE "))
        elif target.kind in DATABASES:
            first = head(target.path)
            if first and not first.startswith(_MAGIC[0]):
                raise not_ours(target, _("it is not an SQLite database"))


def not_ours(target: Target, why: str) -> OutputError:
    return OutputError(
        _(
            "{path} is not a file rescheduler wrote as {kind} ({why}); it never replaces or "
            "deletes such a file: choose another {flag}"
        ).format(path=target.path, kind=kind_name(target.kind), why=why, flag=target.flag)
    )


def _own_text(target: Target, starts: tuple[bytes, ...]) -> None:
    """An existing file replaced whole must be one rescheduler wrote (it starts so)."""
    first = head(target.path)
    if first and not first.startswith(starts):
        raise not_ours(target, _("it holds something else"))


def check_log_target(path: Path, flag: str = "--log-file") -> None:
    """A log file is appended to: a regular file (not read-only, not a data file), or a FIFO
    or character device that can be written (``/dev/stderr``); anything else is refused."""
    try:
        info = path.stat()
    except FileNotFoundError:
        check_target(path, flag)  # a new file: the folder must be there and writable
        return
    except OSError as exc:
        raise OutputError(
            _("cannot write {path}: {reason}").format(path=path, reason=exc.strerror or exc)
        ) from None
    mode = info.st_mode
    if stat.S_ISFIFO(mode) or stat.S_ISCHR(mode):
        if not os.access(path, os.W_OK):
            raise OutputError(_("cannot write {path}: no permission").format(path=path))
        return
    check_target(path, flag)  # a directory, a socket, a read-only file: refused there
    if path.suffix.lower() in DATA_SUFFIXES or path.name.lower().endswith(".run.json"):
        raise OutputError(
            _(
                "{path}: log lines would be appended to a data file; give the log its own "
                "file (e.g. rescheduler.log) with {flag}"
            ).format(path=path, flag=flag)
        )
    first = head(path)
    if first.startswith(_MAGIC) or b"\x00" in first:
        raise OutputError(
            _(
                "{path}: log lines would be appended to a file that is not text; give the "
                "log its own file (e.g. rescheduler.log) with {flag}"
            ).format(path=path, flag=flag)
        )
