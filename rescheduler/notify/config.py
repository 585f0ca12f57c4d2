"""``[notify]``: where and when to send the end-of-run alert. Pure apart from reading files.

The webhook URL carries a key (WeCom ``key=``, DingTalk ``access_token=``, the last path part
for Feishu and Slack), so it is held in a ``Secret`` and shown only masked
(:func:`mask_url`); the signing secret of DingTalk and Feishu likewise. Either may come from a
file (``url_file``, ``secret_file``: readable by its owner only, as the secret key file).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from rescheduler import config_values as check
from rescheduler.errors import ConfigError
from rescheduler.i18n import _
from rescheduler.secret import Secret

FORMATS = ("wecom", "dingtalk", "feishu", "slack", "json")
SIGNED_FORMATS = ("dingtalk", "feishu")
WHEN = ("failure", "always")
LANGUAGES = ("en", "zh-CN")
KEYS = (
    "format", "url", "url_file", "secret", "secret_file", "on", "language", "timeout_s",
    "max_attempts",
)  # fmt: skip


@dataclass(frozen=True)
class NotifyConfig:
    format: str
    url: Secret = field(repr=False)
    url_shown: str  # the URL with its key masked, for logs and the run record
    url_file: Path | None = None
    secret: Secret | None = field(default=None, repr=False)
    on: str = "failure"
    language: str = "en"
    timeout_s: float = 10.0
    max_attempts: int = 3

    def due(self, exit_code: int) -> bool:
        """Whether a run that ended with ``exit_code`` is announced."""
        return self.on == "always" or exit_code != 0


def mask_url(url: str) -> str:
    """``https://qyapi.weixin.qq.com/***``: scheme, host and port; path, query and user hidden."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    where = f"{parts.scheme}://{host}" + (f":{port}" if port else "")
    hidden = (parts.path not in ("", "/")) or parts.query or parts.fragment or parts.username
    return where + ("/***" if hidden else "")


def parse_notify(section: Mapping[str, Any], config_path: Path | None) -> NotifyConfig | None:
    """The ``[notify]`` table as a ``NotifyConfig``; None when the table is absent or empty."""
    if not section:
        return None
    fmt = check.choice("notify.format", section.get("format", ""), FORMATS)
    url, url_file = _secret_value(section, "url", config_path)
    if url is None:
        raise ConfigError("notify.url", _("is not set: give url or url_file (a file holding it)"))
    _check_url(url.reveal(), "notify.url_file" if url_file else "notify.url")
    secret, _file = _secret_value(section, "secret", config_path)
    if secret is not None and fmt not in SIGNED_FORMATS:
        raise ConfigError(
            "notify.secret",
            _('is only used by "dingtalk" and "feishu", not "{format}"').format(format=fmt),
        )
    return NotifyConfig(
        format=fmt,
        url=url,
        url_shown=mask_url(url.reveal()),
        url_file=url_file,
        secret=secret,
        on=check.choice("notify.on", section.get("on", "failure"), WHEN),
        language=check.choice("notify.language", section.get("language", "en"), LANGUAGES),
        timeout_s=check.number("notify.timeout_s", section.get("timeout_s", 10.0), positive=True),
        max_attempts=check.integer("notify.max_attempts", section.get("max_attempts", 3), 1, 10),
    )


def _secret_value(
    section: Mapping[str, Any], name: str, config_path: Path | None
) -> tuple[Secret | None, Path | None]:
    inline = check.string(f"notify.{name}", section.get(name, "")).strip()
    file_value = section.get(f"{name}_file", "")
    if inline and file_value:
        raise ConfigError(
            f"notify.{name}",
            _("and {other} are both set: keep one").format(other=f"notify.{name}_file"),
        )
    if file_value:
        key = f"notify.{name}_file"
        path = check.path_value(key, file_value, config_path)
        return check.read_secret_file(path, key), path
    return (Secret(inline) if inline else None), None


def _check_url(url: str, key: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            key, _('must be an http(s) URL like "https://host/path" (not shown: it may hold a key)')
        )
