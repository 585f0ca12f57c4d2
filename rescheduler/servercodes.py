"""What the server's answers mean, in the reader's language: the one table (pure).

The iSales result codes of the appoint calls (``isales-api.md``) and the HTTP statuses the
tool meets, each with its meaning and what to do, marked for translation (``N_``) and
translated where shown. The CLI summary, the results and errors files (``error`` beside
``error_code``) and the upload page all explain codes from here.

``describe_outcome`` turns one row's final server answer into its ``(error_code, error)``:
``error_code`` is stable English for scripts (``server.04000004``, ``http.503``, ``timeout``,
``connection``, ``bad_response``, ``credentials_rejected``), ``error`` the sentence a
supervisor reads. For the field codes 02000001/2/3 the server rarely names the field, so the
sentence lists the text fields the request carried and their lengths.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rescheduler.i18n import N_, _
from rescheduler.models import Outcome, OutcomeKind


@dataclass(frozen=True, slots=True)
class Meaning:
    """A code's meaning and what to do about it, both English msgids (translate with ``_``)."""

    meaning: str
    advice: str = ""


SERVER_CODES: Mapping[str, Meaning] = {
    "0200000": Meaning(N_("success")),
    "0200001": Meaning(
        N_("parameter error"),
        N_("a value in the row is not what the server accepts; its description says which"),
    ),
    "0200006": Meaning(
        N_("database operation error"),
        N_("a fault on the server side; send the row again later"),
    ),
    "0200022": Meaning(
        N_("called too fast"),
        N_("lower the sending rate (send.rate_per_s) and send the row again"),
    ),
    "02000001": Meaning(
        N_("empty parameter"),
        N_("a value the server needs is empty; fill it in and send the row again"),
    ),
    "02000002": Meaning(
        N_("invalid characters"),
        N_(
            "a value has characters the server does not accept; remove unusual ones (emoji, "
            "control characters) and send the row again"
        ),
    ),
    "02000003": Meaning(
        N_("too long"),
        N_("a value is longer than the server accepts; shorten it and send the row again"),
    ),
    "04000004": Meaning(
        N_("the reservation does not exist"),
        N_(
            "check the appointId (and vdnId); the reservation may have been deleted, or "
            "belong to another VDN"
        ),
    ),
    "04000005": Meaning(
        N_("already being called"),
        N_(
            "the reservation is being called or has been called, so it can no longer be "
            "changed; create a new reservation if one is still needed"
        ),
    ),
}
"""The documented iSales result codes (isales-api.md), with meaning and advice."""

HTTP_STATUSES: Mapping[int, Meaning] = {
    401: Meaning(
        N_("the server rejected the credentials"),
        N_("ask your administrator to check the access key and the secret key"),
    ),
    403: Meaning(
        N_("the server refused access"),
        N_("ask your administrator to check the access key's permissions"),
    ),
    404: Meaning(
        N_("the server has no such address"),
        N_("ask your administrator to check server.base_url and the vdnId"),
    ),
    429: Meaning(
        N_("too many requests"),
        N_("lower the sending rate (send.rate_per_s) and send the row again"),
    ),
    500: Meaning(
        N_("internal error on the server"),
        N_("a fault on the server side; send the row again later"),
    ),
    502: Meaning(
        N_("the gateway in front of the server got no valid answer"),
        N_("the server or the network is having trouble; send the row again later"),
    ),
    503: Meaning(
        N_("the server is temporarily unavailable"),
        N_("send the row again later"),
    ),
    504: Meaning(
        N_("the gateway in front of the server timed out"),
        N_("the server or the network is slow; send the row again later"),
    ),
}
"""HTTP statuses other than 200 that the server or a gateway in front of it may answer."""

TEXT_FIELDS = ("appointId", "userAccount", "workNo", "remark")  # what a length can be about
_FIELD_CODES = frozenset({"02000001", "02000002", "02000003"})


def meaning(code: str) -> str:
    """The translated meaning of an iSales result code, or "" for an unknown one."""
    known = SERVER_CODES.get(code)
    return _(known.meaning) if known else ""


def describe_code(code: str) -> str:
    """``04000004 (the reservation does not exist)``; an unknown code is returned as is."""
    text = meaning(code)
    return _("{code} ({meaning})").format(code=code, meaning=text) if text else code


def _fields_sent(body: Mapping[str, object], server_text: str) -> str:
    """The text fields of the request (those the server text names, if it names any)."""
    sent = [(name, body[name]) for name in TEXT_FIELDS if isinstance(body.get(name), str)]
    named = [(n, v) for n, v in sent if n.lower() in server_text.lower()]
    return _(", ").join(
        _("{field} ({n} characters)").format(field=name, n=len(str(value)))
        for name, value in (named or sent)
    )


def explain_server_code(code: str, server_text: str, body: Mapping[str, object]) -> str:
    """The ``error`` text of a row the server refused with ``code``.

    ``server_text`` is the server's own description (resultDesc/returnDesc); ``body`` the
    request sent, so that a code about some field can say which fields there were.
    """
    known = SERVER_CODES.get(code)
    if known is None:
        text = _("{code}: the server refused the change").format(code=code)
    else:
        text = _("{code} {meaning}").format(code=code, meaning=_(known.meaning))
        if code in _FIELD_CODES and (fields := _fields_sent(body, server_text)):
            text = _("{text}; the request had {fields}").format(text=text, fields=fields)
        if known.advice:
            text = _("{text}: {advice}").format(text=text, advice=_(known.advice))
    if server_text:
        text = _("{text} (server: {server_text})").format(text=text, server_text=server_text)
    return text


def explain_http(status: int, detail: str) -> str:
    """The ``error`` text of an HTTP answer other than 200; ``detail`` is what came back."""
    known = HTTP_STATUSES.get(status)
    if known is None:
        text = _("HTTP {status}: the server answered with an error").format(status=status)
    else:
        text = _("HTTP {status}, {meaning}: {advice}").format(
            status=status, meaning=_(known.meaning), advice=_(known.advice)
        )
    return _("{text} ({detail})").format(text=text, detail=detail) if detail else text


def outcome_code(outcome: Outcome) -> str:
    """The stable ``error_code`` of an attempt that did not succeed ("" when it did)."""
    kind = outcome.kind
    if kind == OutcomeKind.REJECTED:
        return f"server.{outcome.result_code or outcome.return_code or 'unknown'}"
    if kind == OutcomeKind.UNAUTHORIZED:
        return "credentials_rejected"
    if kind == OutcomeKind.HTTP_ERROR:
        return f"http.{outcome.http_status}"
    if kind == OutcomeKind.BAD_RESPONSE:
        return "bad_response"
    if kind == OutcomeKind.TOO_LARGE:
        return "answer_too_large"
    if kind == OutcomeKind.TIMEOUT:
        return "timeout"
    if kind == OutcomeKind.CONNECTION:
        return "connection"
    if kind == OutcomeKind.CERTIFICATE:
        return "certificate_rejected"
    return ""


def describe_outcome(outcome: Outcome, body: bytes) -> tuple[str, str]:
    """``(error_code, error)`` of a row whose last attempt ended in ``outcome``.

    ``body`` is the request's JSON body, read only for codes about a field.
    """
    code = outcome_code(outcome)
    kind = outcome.kind
    if kind == OutcomeKind.REJECTED:
        server_code = outcome.result_code or outcome.return_code
        server_text = outcome.result_desc or outcome.return_desc
        fields: Mapping[str, object] = {}
        if server_code in _FIELD_CODES:
            import orjson

            try:
                parsed = orjson.loads(body)
            except orjson.JSONDecodeError:
                parsed = None
            fields = parsed if isinstance(parsed, dict) else {}
        return code, explain_server_code(server_code, server_text, fields)
    if kind in (OutcomeKind.UNAUTHORIZED, OutcomeKind.HTTP_ERROR):
        status = outcome.http_status or 0
        detail = "" if kind == OutcomeKind.UNAUTHORIZED else outcome.message
        return code, explain_http(status, detail)
    return code, outcome.message  # bad response, timeout, connection: the transport's words
