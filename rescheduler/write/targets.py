"""Where a run's files go, and whether they can go there (pure but for looking at the disk).

``default_paths`` names the results and errors files; ``partial_path`` is where each is
written until it is complete; ``check_target`` says, before anything is opened, whether a
target can be written and then replaced.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from rescheduler.errors import OutputError
from rescheduler.i18n import _

UNWRITABLE_SUFFIXES = frozenset({".xls", ".xlsm", ".xlsb", ".ods"})


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


def check_target(path: Path) -> None:
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
            _("cannot write {path}: it is a directory; choose another --out").format(path=path)
        )
    if not stat.S_ISREG(info.st_mode):
        raise OutputError(
            _("cannot write {path}: it is not a regular file; choose another --out").format(
                path=path
            )
        )
    if not info.st_mode & 0o222 or not os.access(path, os.W_OK):
        raise OutputError(
            _(
                "cannot replace {path}: it is read-only; make it writable, move it away "
                "or choose another --out"
            ).format(path=path)
        )
