"""No user-facing English left unwrapped: every sentence outside web/ goes through ``_()``.

The lint (tests/i18nlint.py) flags any string literal that reads as prose and is not a
docstring, a log line, an assertion, a programmer-only exception or wrapped in ``_()``,
``N_()`` or ``ngettext()``. What it flags on purpose and is not for people is listed here,
with the reason. The upload page (web/) is linted too, but for its administrator's terminal
commands; the simulator plays the server, whose answers are English.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.i18nlint import unwrapped_prose

PACKAGE = Path(__file__).resolve().parents[1] / "rescheduler"
SKIPPED_DIRS = {"simulator", "locale"}
SKIPPED_MODULES = {
    # Prometheus HELP texts: metadata of metrics whose names are English too, read in dashboards.
    "write/metrics.py",
    # The administrator's terminal commands of the upload page (`rescheduler serve`, `user`)
    # are not translated yet (the page itself is).
    "web/cli.py",
    # The XLSX writer: OOXML markup, no prose (its messages to people are wrapped in _()).
    "write/xlsxsink.py",
}

NOT_FOR_PEOPLE: dict[str, set[str]] = {
    # A header alias, matched against the file's headers (data, not a sentence).
    "read/columns.py": {"VCC ID"},
    # A sentinel appended to the text, and the csv module's own error text matched against.
    "read/csvrecords.py": {"\ue000rescheduler: end of file\ue000", "field larger than field limit"},
    # The verifier the simulator answers 401 with: the server side, English like the server.
    "send/auth.py": {
        "Authorization is not an auth-v2 header",
        "unknown access key ",
        "bad timestamp",
        "timestamp outside the allowed clock skew",
        "a signed header is missing from the request",
        "body is not UTF-8",
        "signature mismatch",
    },
    # A regular expression over the workbook's XML.
    "read/xmltext.py": {'<t(?: xml:space=\\"preserve\\")?>([^<]*)</t>'},
    # HTTP header values.
    "send/transport.py": {"application/json; charset=UTF-8"},
    "notify/deliver.py": {"application/json; charset=utf-8"},
    # WeCom markdown markup around the (translated) alert title.
    "notify/formats.py": {'<font color="', '<font color="">****</font>\n'},
    # The upload page: the 401 body of a JSON request (read by the page's script, not shown),
    # HTTP header values.
    "web/auth.py": {"sign in first\n"},
    # The server's start-up line on the administrator's terminal (with the commands above),
    # and its log lines about connections, said at most once a minute through ``Quiet.say``.
    "web/serving.py": {
        "/ (data in ",
        "rescheduler: upload page on ",
        "rescheduler: upload page on ://:/ (data in )",
        "cannot accept connections: %s",
    },
    "web/guard.py": {
        " ( more like it in the last  s)",
        " more like it in the last ",
        "refused a connection: %d are open already",
        "refused a connection from %s: %d are open already",
        "closed a connection from %s: its request came too slowly",
        "Error handling request from %s",
        "refused a malformed request from %s: %s",
        "Response is sent already, cannot send another response",
    },
    "web/files.py": {
        "text/csv; charset=utf-8",
        "attachment; filename=\"",
        "attachment; filename=\"\"; filename*=UTF-8''",
    },
    # Summary keys (English for scripts; shown through KEY_LABELS) and words matched in errors.
    "write/summary.py": {
        "bad response",
        "answer too large",
        "no answer within",
        "timed out",
        "certificate rejected",
        "interrupted in flight",
        "Retry-After over send.max_retry_after_s",
        "internal error",
    },
}


def _modules() -> list[Path]:
    return sorted(
        p
        for p in PACKAGE.rglob("*.py")
        if not SKIPPED_DIRS & set(p.relative_to(PACKAGE).parts)
        and p.name != "i18n.py"
        and p.relative_to(PACKAGE).as_posix() not in SKIPPED_MODULES
    )


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_unwrapped_user_facing_text(path: Path) -> None:
    allowed = NOT_FOR_PEOPLE.get(path.relative_to(PACKAGE).as_posix(), set())
    found = [
        f"{path.name}:{line}: {text!r}"
        for line, text in unwrapped_prose(path)
        if text not in allowed
    ]
    assert not found, "wrap these in _() (or list them in NOT_FOR_PEOPLE, saying why):\n" + (
        "\n".join(found)
    )


def test_the_allowlist_holds_only_what_is_still_there() -> None:
    for name, texts in NOT_FOR_PEOPLE.items():
        present = {text for _line, text in unwrapped_prose(PACKAGE / name)}
        assert texts <= present, f"{name}: no longer flagged, remove: {texts - present}"


def _lint(tmp_path: Path, source: str) -> list[str]:
    path = tmp_path / "m.py"
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return [text for _line, text in unwrapped_prose(path)]


def test_the_lint_finds_bare_messages(tmp_path: Path) -> None:
    found = _lint(
        tmp_path,
        '''
        """A module docstring is fine."""
        from rescheduler.errors import InputFileError, ConfigError
        from rescheduler.i18n import _
        from rescheduler.models import Problem

        def f(path, key, x):
            """So is a function docstring."""
            log.info("reading %s now", path)
            assert x, "an assertion message"
            if x == 1:
                raise ValueError("a programmer error")
            if x == 2:
                raise InputFileError(path, f"cannot read the file {x}")
            if x == 3:
                raise ConfigError(key, "must be a number")
            if x == 4:
                return Problem("appointId", "is required here")
            if x == 5:
                return "{x} is not a time".format(x=x)
            raise InputFileError(path, _("cannot read the file: {x}").format(x=x))
        ''',
    )
    assert found == [
        "cannot read the file ",
        "must be a number",
        "is required here",
        "{x} is not a time",
    ]
