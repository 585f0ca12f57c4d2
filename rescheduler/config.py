"""Configuration: frozen dataclasses loaded from TOML, then CLI overrides, then environment.

``load_config(path, overrides, environ)`` is the only entry point. Every error is a
``ConfigError`` whose message starts with the key path, e.g.
``send.concurrency must be a positive integer, got "x"``. Reading the file (TOML, known
keys, overrides) is ``config_file``; each value's check is ``config_values``.

The secret key is never read from the TOML itself: it comes from ``RESCHEDULER_SECRET_KEY`` or
from ``auth.secret_key_file`` (a file only its owner may read). It is held in a ``Secret`` whose
``repr``/``str`` hide it, so it cannot leak into logs or tracebacks by accident.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rescheduler import config_values as check
from rescheduler.config_file import check_keys, merge, read_toml
from rescheduler.errors import ConfigError
from rescheduler.i18n import _
from rescheduler.localzone import resolve_timezone
from rescheduler.notify.config import NotifyConfig, parse_notify
from rescheduler.secret import ENV_ACCESS, ENV_SECRET, Secret

__all__ = [
    "ENV_ACCESS",
    "ENV_SECRET",
    "AuthConfig",
    "Config",
    "InputConfig",
    "ListConfig",
    "Secret",
    "SendConfig",
    "ServerConfig",
    "WebConfig",
    "load_config",
    "resolve_timezone",
]

DEPLOYMENTS = ("standard", "op-independent")
CONFLICT_POLICIES = ("reject", "last")
HIDDEN_ROW_POLICIES = ("refuse", "skip", "send")  # input.hidden_rows
SNAPSHOT_SCOPES = ("filtered", "vdn")

# The ranges a setting may take (the same for the config file and the command-line flags):
# a value outside them is a mistake (concurrency 1,000,000 took 2.9 GB; an infinite timeout
# crashed a run half-way), so it is refused before anything is sent, naming the key.
CONCURRENCY = (1, 1000)  # requests in flight
ATTEMPTS = (1, 100)
TIMEOUT_S = (0.1, 600.0)  # one answer
RATE = (0.01, 100_000.0)  # requests per second; 0 = no limit of our own
BACKOFF_BASE_S = (0.0, 60.0)
BACKOFF_CAP_S = (0.0, 600.0)
RETRY_AFTER_S = (0.0, 3600.0)  # the longest Retry-After waited for


@dataclass(frozen=True)
class ServerConfig:
    base_url: str = "http://127.0.0.1:8000"
    vdn_id: int = 1
    deployment: str = "standard"
    verify_tls: bool = True
    ca_file: Path | None = None
    timeout_s: float = 30.0

    @property
    def agent_field(self) -> str:
        return "workNo" if self.deployment == "op-independent" else "userAccount"


@dataclass(frozen=True)
class AuthConfig:
    access_key: str = ""
    secret_key: Secret | None = field(default=None, repr=False)
    secret_source: str = ""  # where the secret came from, for messages


@dataclass(frozen=True)
class SendConfig:
    concurrency: int = 8
    rate_per_s: float = 0.0  # 0 = no limit of our own
    max_attempts: int = 5
    backoff_base_s: float = 0.5
    backoff_cap_s: float = 30.0
    max_failures: str = ""  # "" = no limit, "N" or "N%"
    max_retry_after_s: float = 120.0  # a longer Retry-After fails the row instead of waiting


@dataclass(frozen=True)
class InputConfig:
    timezone: str = ""  # "" = the machine's local zone
    sheet: str = ""
    encoding: str = ""
    on_conflict: str = "reject"
    max_days_ahead: int = 366  # an appointTime later than this many days ahead is a misreading
    columns: Mapping[str, str] = field(default_factory=dict)  # header as written -> field
    hidden_rows: str = "refuse"  # a workbook's hidden rows: invalid, skipped, or sent


@dataclass(frozen=True)
class ListConfig:
    """``appoint/list`` (``export``, the snapshot before a run): reservations per page. The
    server's maximum is not documented; a page size above it is answered 0200001 (then lower
    this). ``snapshot``: ``"filtered"`` lists the run's reservations by the file's agents and
    times first, then the whole VDN for those not found; ``"vdn"`` lists the whole VDN at once."""

    page_size: int = 100
    snapshot: str = "filtered"


@dataclass(frozen=True)
class WebConfig:
    """``rescheduler serve``: where accounts, uploads and results live; the upload limit."""

    data_dir: Path | None = None  # None = $XDG_DATA_HOME/rescheduler/web (~/.local/share/...)
    max_upload_mb: float = 20.0
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None
    trusted_proxies: tuple[str, ...] = ()  # addresses/networks whose X-Forwarded-* are believed
    keep_days: int = 90  # uploads, results and history rows older than this are deleted; 0 = never
    max_rows: int = 200_000  # rows a check reads at most (`rescheduler run` has no limit)
    max_checks: int = 2  # checks at once, server-wide (one per user in any case)
    check_timeout_s: float = 300.0
    check_memory_mb: int = 1024  # each check's and each run's worker process
    max_cells: int = 10_000_000  # rows x columns a check reads at most
    max_output_mb: float = 100.0  # any one file written for an upload (also <= 20 x the upload)
    quota_mb: float = 1000.0  # one person's uploads and their files together; 0 = no quota
    request_timeout_s: float = 30.0  # to send a request's headers (and its body, at min_rate)
    min_body_rate: int = 1_000  # bytes/s a request body must keep up once past the timeout
    max_connections_per_address: int = 32  # open connections from one address (IPv6: a /64)
    default_language: str = "en"  # for a browser whose Accept-Language names neither en nor zh


@dataclass(frozen=True)
class Config:
    server: ServerConfig = field(default_factory=ServerConfig)
    auth: AuthConfig = field(default_factory=AuthConfig)
    send: SendConfig = field(default_factory=SendConfig)
    input: InputConfig = field(default_factory=InputConfig)
    web: WebConfig = field(default_factory=WebConfig)
    listing: ListConfig = field(default_factory=ListConfig)  # the [list] section
    notify: NotifyConfig | None = None  # None = no [notify]: no alerts
    source: str = ""  # the config file path, or "" for defaults

    def require_credentials(self) -> tuple[str, Secret]:
        """The AK and SK for sending; a ``ConfigError`` if either is missing."""
        if not self.auth.access_key:
            raise ConfigError(
                "auth.access_key",
                _("is not set: put it in the config or export {variable}").format(
                    variable=ENV_ACCESS
                ),
            )
        if self.auth.secret_key is None:
            raise ConfigError(
                "auth.secret_key",
                _(
                    "is not set: export {variable} or set auth.secret_key_file "
                    "(a file only its owner can read)"
                ).format(variable=ENV_SECRET),
            )
        return self.auth.access_key, self.auth.secret_key


def load_config(
    path: Path | None,
    overrides: Mapping[str, object] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Config:
    """Defaults <- TOML file <- ``overrides`` (dotted keys, None = not given) <- environment."""
    env = os.environ if environ is None else environ
    raw = read_toml(path) if path is not None else {}
    check_keys(raw)
    data = merge(raw, overrides or {})
    s, a, n, i, w, li = (
        data.get(k, {}) for k in ("server", "auth", "send", "input", "web", "list")
    )
    base = check.base_url("server.base_url", s.get("base_url", ServerConfig.base_url))
    server = ServerConfig(
        base_url=base,
        vdn_id=check.integer("server.vdn_id", s.get("vdn_id", 1), 1, 9999),
        deployment=check.choice("server.deployment", s.get("deployment", "standard"), DEPLOYMENTS),
        verify_tls=check.boolean("server.verify_tls", s.get("verify_tls", True)),
        ca_file=check.ca_file(s.get("ca_file"), path),
        timeout_s=check.number("server.timeout_s", s.get("timeout_s", 30.0), *TIMEOUT_S),
    )
    access = env.get(ENV_ACCESS) or check.string("auth.access_key", a.get("access_key", ""))
    secret: Secret | None = None
    source = ""
    if env.get(ENV_SECRET):
        secret, source = Secret(env[ENV_SECRET]), ENV_SECRET
    elif a.get("secret_key_file"):
        file = check.path_value("auth.secret_key_file", a["secret_key_file"], path)
        secret, source = check.read_secret_file(file), str(file)
    send = SendConfig(
        concurrency=check.integer("send.concurrency", n.get("concurrency", 8), *CONCURRENCY),
        rate_per_s=check.number("send.rate_per_s", n.get("rate_per_s", 0.0), *RATE, off=0),
        max_attempts=check.integer("send.max_attempts", n.get("max_attempts", 5), *ATTEMPTS),
        backoff_base_s=check.number(
            "send.backoff_base_s", n.get("backoff_base_s", 0.5), *BACKOFF_BASE_S
        ),
        backoff_cap_s=check.number(
            "send.backoff_cap_s", n.get("backoff_cap_s", 30.0), *BACKOFF_CAP_S
        ),
        max_failures=check.max_failures("send.max_failures", n.get("max_failures", "")),
        max_retry_after_s=check.number(
            "send.max_retry_after_s", n.get("max_retry_after_s", 120.0), *RETRY_AFTER_S
        ),
    )
    inp = InputConfig(
        timezone=check.timezone(i.get("timezone", "")),
        sheet=check.string("input.sheet", i.get("sheet", "")),
        encoding=check.encoding(i.get("encoding", "")),
        on_conflict=check.choice(
            "input.on_conflict", i.get("on_conflict", "reject"), CONFLICT_POLICIES
        ),
        max_days_ahead=check.integer(
            "input.max_days_ahead", i.get("max_days_ahead", 366), 1, 36_500
        ),
        columns=check.columns(i.get("columns", {})),
        hidden_rows=check.choice(
            "input.hidden_rows", i.get("hidden_rows", "refuse"), HIDDEN_ROW_POLICIES
        ),
    )
    return Config(
        server=server,
        auth=AuthConfig(access_key=access, secret_key=secret, secret_source=source),
        send=send,
        input=inp,
        web=_web(w, path),
        listing=ListConfig(
            page_size=check.integer("list.page_size", li.get("page_size", 100), 1, 100_000),
            snapshot=check.choice(
                "list.snapshot", li.get("snapshot", "filtered"), SNAPSHOT_SCOPES
            ),
        ),
        notify=parse_notify(data.get("notify", {}), path),
        source=str(path) if path else "",
    )


def _web(w: Mapping[str, Any], config_path: Path | None) -> WebConfig:
    data_dir = check.string("web.data_dir", w.get("data_dir", "")).strip()
    cert, key = (
        check.existing_file(f"web.{name}", w.get(name), config_path)
        for name in ("tls_cert_file", "tls_key_file")
    )
    if (cert is None) != (key is None):
        raise ConfigError("web.tls_key_file", _("and web.tls_cert_file must be set together"))
    return WebConfig(
        data_dir=check.relative_to(Path(data_dir), config_path) if data_dir else None,
        max_upload_mb=check.number(
            "web.max_upload_mb", w.get("max_upload_mb", 20.0), positive=True
        ),
        tls_cert_file=cert,
        tls_key_file=key,
        trusted_proxies=check.networks("web.trusted_proxies", w.get("trusted_proxies", [])),
        keep_days=check.integer("web.keep_days", w.get("keep_days", 90), 0),
        max_rows=check.integer("web.max_rows", w.get("max_rows", 200_000), 1),
        max_checks=check.integer("web.max_checks", w.get("max_checks", 2), 1, 64),
        check_timeout_s=check.number(
            "web.check_timeout_s", w.get("check_timeout_s", 300.0), positive=True
        ),
        check_memory_mb=check.integer("web.check_memory_mb", w.get("check_memory_mb", 1024), 128),
        max_cells=check.integer("web.max_cells", w.get("max_cells", 10_000_000), 1),
        max_output_mb=check.number(
            "web.max_output_mb", w.get("max_output_mb", 100.0), positive=True
        ),
        quota_mb=check.number("web.quota_mb", w.get("quota_mb", 1000.0), 0),
        request_timeout_s=check.number(
            "web.request_timeout_s", w.get("request_timeout_s", 30.0), positive=True
        ),
        min_body_rate=check.integer("web.min_body_rate", w.get("min_body_rate", 1_000), 1),
        max_connections_per_address=check.integer(
            "web.max_connections_per_address", w.get("max_connections_per_address", 32), 1
        ),
        default_language=_language(w.get("default_language", "en")),
    )


def _language(value: object) -> str:
    """``web.default_language``: en or zh-CN (locale spellings such as zh_CN accepted)."""
    from rescheduler.i18n import LANGUAGES, normalize_language

    text = check.string("web.default_language", value)
    language = normalize_language(text)
    if language is None:
        raise ConfigError(
            "web.default_language",
            _("must be one of {languages}, not {value}").format(
                languages=", ".join(LANGUAGES), value=repr(text)
            ),
        )
    return language
