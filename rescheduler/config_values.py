"""Checks of single config values, each raising ``ConfigError`` that names the key path.

Pure apart from the few that look at files (``existing_file``, ``ca_file``,
``read_secret_file``). ``config.load_config`` composes them.
"""

from __future__ import annotations

import contextlib
import math
import os
import stat
from pathlib import Path
from urllib.parse import urlsplit

from rescheduler.errors import ConfigError
from rescheduler.i18n import _
from rescheduler.models import FIELDS
from rescheduler.secret import Secret


def show(value: object) -> str:
    return f'"{value}"' if isinstance(value, str) else repr(value)


def integer(key: str, value: object, lo: int, hi: int | None = None) -> int:
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.strip().lstrip("-").isdigit():
        number = int(value.strip())
    if number is None or number < lo or (hi is not None and number > hi):
        if hi is not None:
            raise ConfigError(
                key,
                _("must be an integer from {lo} to {hi}, got {value}").format(
                    lo=lo, hi=hi, value=show(value)
                ),
            )
        if lo == 1:
            message = _("must be a positive integer, got {value}")
        else:
            message = _("must be an integer >= {lo}, got {value}")
        raise ConfigError(key, message.format(lo=lo, value=show(value)))
    return number


def number(
    key: str,
    value: object,
    lo: float = 0.0,
    hi: float = math.inf,
    *,
    positive: bool = False,
    off: float | None = None,
) -> float:
    """A finite number from ``lo`` to ``hi`` (``positive``: above 0); ``off`` is also accepted
    (``0`` = "no limit"). NaN and infinity never are: they crash a run later, not here."""
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = float(value.strip())
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(key, _("must be a number, got {value}").format(value=show(value)))
    number = float(value)
    if off is not None and number == off:
        return number
    if math.isfinite(number) and lo <= number <= hi and not (positive and number <= 0):
        return number
    if math.isfinite(hi) and off is not None:
        message = _("must be a number from {lo:g} to {hi:g}, or {off:g} for none, got {value}")
    elif math.isfinite(hi):
        message = _("must be a number from {lo:g} to {hi:g}, got {value}")
    elif positive:
        message = _("must be a positive number, got {value}")
    else:
        message = _("must be a number >= 0, got {value}")
    raise ConfigError(key, message.format(lo=lo, hi=hi, off=off or 0, value=show(value)))


def boolean(key: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", "yes", "no", "1", "0"):
        return value.lower() in ("true", "yes", "1")
    raise ConfigError(key, _("must be true or false, got {value}").format(value=show(value)))


def string(key: str, value: object) -> str:
    if not isinstance(value, str):
        raise ConfigError(key, _("must be a string, got {value}").format(value=show(value)))
    return value


def choice(key: str, value: object, choices: tuple[str, ...]) -> str:
    text = string(key, value)
    if text not in choices:
        listed = _(" or ").join(f'"{c}"' for c in choices)
        raise ConfigError(
            key, _("must be {choices}, got {value}").format(choices=listed, value=show(value))
        )
    return text


def max_failures(key: str, value: object) -> str:
    """``""``, ``"N"`` (a count >= 1) or ``"N%"`` (0 < N <= 100)."""
    text = str(value).strip() if isinstance(value, int | str) else None
    if text is None or isinstance(value, bool):
        raise ConfigError(
            key,
            _('must be a count like "50" or a share like "10%", got {value}').format(
                value=repr(value)
            ),
        )
    if text == "":
        return ""
    body = text[:-1] if text.endswith("%") else text
    try:
        number = float(body)
    except ValueError:
        number = -1.0
    ok = 0 < number <= 100 if text.endswith("%") else number >= 1 and body.isdigit()
    if not ok:
        raise ConfigError(
            key,
            _('must be a count like "50" or a share like "10%", got {value}').format(
                value=f'"{text}"'
            ),
        )
    return text


def base_url(key: str, value: object) -> str:
    text = string(key, value).strip().rstrip("/")
    parts = urlsplit(text)
    if "@" in parts.netloc:  # never echoed: it may hold a password
        raise ConfigError(
            key,
            _(
                "must not hold a user name or password (user:password@host): remove them; "
                "requests are signed with auth.access_key and the secret key"
            ),
        )
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            key,
            _('must be an http(s) URL like "https://10.1.2.3:28080", got {value}').format(
                value=f'"{text}"'
            ),
        )
    if parts.query or parts.fragment:
        raise ConfigError(
            key, _("must not have a query or fragment, got {value}").format(value=f'"{text}"')
        )
    return text


def columns(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ConfigError("input.columns", _("must be a table of header = field"))
    out: dict[str, str] = {}
    for header, target in value.items():
        if target not in FIELDS:
            raise ConfigError(
                f"input.columns.{header}",
                _("must name one of {fields}, got {value}").format(
                    fields=", ".join(FIELDS), value=repr(target)
                ),
            )
        out[str(header)] = str(target)
    return out


def timezone(value: object) -> str:
    text = string("input.timezone", value).strip()
    if text:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(text)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(
                "input.timezone",
                _('must be an IANA zone like "Asia/Shanghai", got {value}').format(
                    value=f'"{text}"'
                ),
            ) from None
    return text


def encoding(value: object) -> str:
    text = string("input.encoding", value).strip()
    if text:
        from rescheduler.read.encoding import check_encoding_name

        try:
            check_encoding_name(text)
        except ValueError as exc:
            raise ConfigError("input.encoding", str(exc)) from None
    return text


def relative_to(target: Path, config_path: Path | None) -> Path:
    target = target.expanduser()
    if not target.is_absolute() and config_path is not None:
        return config_path.parent / target
    return target


def existing_file(key: str, value: object, config_path: Path | None) -> Path | None:
    if value in (None, ""):
        return None
    file = relative_to(Path(string(key, value)), config_path)
    if not file.is_file():
        raise ConfigError(key, _("file not found: {path}").format(path=file))
    return file


def ca_file(value: object, config_path: Path | None) -> Path | None:
    if value in (None, ""):
        return None
    file = relative_to(Path(string("server.ca_file", value)), config_path)
    if not file.is_file():
        raise ConfigError("server.ca_file", _("file not found: {path}").format(path=file))
    import ssl

    try:  # the file alone, not the system's store: a wrong file is found here, not mid-run
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cafile=str(file))
    except (ssl.SSLError, ValueError) as exc:
        raise ConfigError(
            "server.ca_file",
            _(
                "{path} holds no certificate rescheduler can use ({reason}): point it at your "
                "CA's certificate in PEM form (text starting with -----BEGIN CERTIFICATE-----)"
            ).format(path=file, reason=getattr(exc, "reason", None) or exc),
        ) from None
    except OSError as exc:
        raise ConfigError(
            "server.ca_file",
            _("cannot read {path}: {reason}").format(path=file, reason=exc.strerror),
        ) from None
    return file


def path_value(key: str, value: object, config_path: Path | None) -> Path:
    """A file path from the config: ``$VAR``/``${VAR}`` expanded (e.g. systemd's
    ``${CREDENTIALS_DIRECTORY}``), then taken relative to the config file's folder."""
    text = os.path.expandvars(string(key, value).strip())
    if "$" in text:
        raise ConfigError(
            key, _('uses an environment variable that is not set: "{path}"').format(path=text)
        )
    return relative_to(Path(text), config_path)


def read_secret_file(path: Path, key: str = "auth.secret_key_file") -> Secret:
    try:
        info = path.stat()
        if os.name == "posix" and info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise ConfigError(
                key,
                _("{path} can be read by others (mode {mode}): chmod 600").format(
                    path=path, mode=stat.filemode(info.st_mode)
                ),
            )
        text = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(
            key, _("cannot read {path}: {reason}").format(path=path, reason=exc.strerror)
        ) from None
    except UnicodeDecodeError:  # its bytes are never shown: they are the secret
        raise ConfigError(
            key,
            _("{path} is not UTF-8 text: write the secret key into it as plain text").format(
                path=path
            ),
        ) from None
    if not text:
        raise ConfigError(key, _("{path} is empty").format(path=path))
    return Secret(text)


def networks(key: str, value: object) -> tuple[str, ...]:
    """A list of IP addresses or networks (``"10.0.0.0/8"``), each checked, as given."""
    import ipaddress

    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(
            key,
            _('must be a list of addresses like ["127.0.0.1"], got {value}').format(
                value=show(value)
            ),
        )
    for item in value:
        try:
            ipaddress.ip_network(item.strip(), strict=False)
        except ValueError:
            raise ConfigError(
                key,
                _("has {value}, which is not an IP address or network (like 10.0.0.0/8)").format(
                    value=repr(item)
                ),
            ) from None
    return tuple(item.strip() for item in value)
