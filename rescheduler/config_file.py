"""The config file as written: TOML read as UTF-8 (``read_toml``), only known sections and keys
(``KNOWN``, ``check_keys``; the secret key never inline), then the command line's overrides
merged in (``merge``). ``config.load_config`` turns the result into typed sections.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rescheduler.errors import ConfigError
from rescheduler.i18n import _
from rescheduler.notify.config import KEYS as NOTIFY_KEYS
from rescheduler.secret import ENV_SECRET

KNOWN: dict[str, tuple[str, ...]] = {
    "server": ("base_url", "vdn_id", "deployment", "verify_tls", "ca_file", "timeout_s"),
    "auth": ("access_key", "secret_key_file"),
    "send": (
        "concurrency",
        "rate_per_s",
        "max_attempts",
        "backoff_base_s",
        "backoff_cap_s",
        "max_failures",
        "max_retry_after_s",
    ),
    "input": (
        "timezone", "sheet", "encoding", "on_conflict", "max_days_ahead", "columns", "hidden_rows"
    ),
    "web": (
        "data_dir",
        "max_upload_mb",
        "tls_cert_file",
        "tls_key_file",
        "trusted_proxies",
        "keep_days",
        "max_rows",
        "max_checks",
        "check_timeout_s",
        "check_memory_mb",
        "max_cells",
        "max_output_mb",
        "quota_mb",
        "request_timeout_s",
        "min_body_rate",
        "max_connections_per_address",
        "default_language",
    ),
    "list": ("page_size", "snapshot"),
    "notify": NOTIFY_KEYS,
}


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError("config", _("file not found: {path}").format(path=path)) from None
    except OSError as exc:
        raise ConfigError(
            "config", _("cannot read {path}: {reason}").format(path=path, reason=exc.strerror)
        ) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            "config",
            _("{path} is not UTF-8 text (byte offset {offset}); save it as UTF-8").format(
                path=path, offset=exc.start
            ),
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            "config", _("{path} is not valid TOML: {reason}").format(path=path, reason=exc)
        ) from None


def check_keys(data: Mapping[str, Any]) -> None:
    for section, values in data.items():
        if section not in KNOWN:
            known = ", ".join(f"[{s}]" for s in KNOWN)
            raise ConfigError(
                section, _("is not a known section (known: {known})").format(known=known)
            )
        if not isinstance(values, dict):
            raise ConfigError(section, _("must be a table like [section]"))
        for key in values:
            if section == "auth" and key == "secret_key":
                raise ConfigError(
                    "auth.secret_key",
                    _(
                        "must not be written in the config file: export {variable} "
                        "or set auth.secret_key_file"
                    ).format(variable=ENV_SECRET),
                )
            if key not in KNOWN[section]:
                raise ConfigError(f"{section}.{key}", _("is not a known key"))


def merge(data: dict[str, Any], overrides: Mapping[str, object]) -> dict[str, Any]:
    merged = {section: dict(values) for section, values in data.items()}
    for dotted, value in overrides.items():
        if value is None:
            continue
        section, key = dotted.split(".", 1)
        merged.setdefault(section, {})[key] = value
    return merged
