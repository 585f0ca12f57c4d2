"""Configuration: frozen dataclasses loaded from TOML, then CLI overrides, then environment.

``load_config(path, overrides, environ)`` is the only entry point. Every error is a
``ConfigError`` whose message starts with the key path, e.g.
``send.concurrency must be a positive integer, got "x"``.

The secret key is never read from the TOML itself: it comes from ``RESCHEDULER_SECRET_KEY`` or
from ``auth.secret_key_file`` (a file only its owner may read). It is held in a ``Secret`` whose
``repr``/``str`` hide it, so it cannot leak into logs or tracebacks by accident.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

from rescheduler.errors import ConfigError
from rescheduler.models import FIELDS

ENV_SECRET = "RESCHEDULER_SECRET_KEY"
ENV_ACCESS = "RESCHEDULER_ACCESS_KEY"
DEPLOYMENTS = ("standard", "op-independent")
CONFLICT_POLICIES = ("reject", "last")


class Secret:
    """A string that does not show itself."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__


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


@dataclass(frozen=True)
class InputConfig:
    timezone: str = ""  # "" = the machine's local zone
    sheet: str = ""
    encoding: str = ""
    on_conflict: str = "reject"
    columns: Mapping[str, str] = field(default_factory=dict)  # header as written -> field


@dataclass(frozen=True)
class WebConfig:
    """``rescheduler serve``: where accounts, uploads and results live; the upload limit."""

    data_dir: Path | None = None  # None = $XDG_DATA_HOME/rescheduler/web (~/.local/share/...)
    max_upload_mb: float = 20.0
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None


@dataclass(frozen=True)
class Config:
    server: ServerConfig = field(default_factory=ServerConfig)
    auth: AuthConfig = field(default_factory=AuthConfig)
    send: SendConfig = field(default_factory=SendConfig)
    input: InputConfig = field(default_factory=InputConfig)
    web: WebConfig = field(default_factory=WebConfig)
    source: str = ""  # the config file path, or "" for defaults

    def require_credentials(self) -> tuple[str, Secret]:
        """The AK and SK for sending; a ``ConfigError`` if either is missing."""
        if not self.auth.access_key:
            raise ConfigError(
                "auth.access_key", f"is not set: put it in the config or export {ENV_ACCESS}"
            )
        if self.auth.secret_key is None:
            raise ConfigError(
                "auth.secret_key",
                f"is not set: export {ENV_SECRET} or set auth.secret_key_file "
                "(a file only its owner can read)",
            )
        return self.auth.access_key, self.auth.secret_key


# ---------------------------------------------------------------------------------------------
# Typed getters: each names the key path in its error.


def _show(value: object) -> str:
    return f'"{value}"' if isinstance(value, str) else repr(value)


def _int(key: str, value: object, lo: int, hi: int | None = None) -> int:
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.strip().lstrip("-").isdigit():
        number = int(value.strip())
    if number is None or number < lo or (hi is not None and number > hi):
        if hi is not None:
            raise ConfigError(key, f"must be an integer from {lo} to {hi}, got {_show(value)}")
        what = "a positive integer" if lo == 1 else f"an integer >= {lo}"
        raise ConfigError(key, f"must be {what}, got {_show(value)}")
    return number


def _float(key: str, value: object, *, positive: bool = False) -> float:
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = float(value.strip())
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(key, f"must be a number, got {_show(value)}")
    number = float(value)
    if number != number or number < 0 or (positive and number == 0):
        need = "a positive number" if positive else "a number >= 0"
        raise ConfigError(key, f"must be {need}, got {_show(value)}")
    return number


def _bool(key: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", "yes", "no", "1", "0"):
        return value.lower() in ("true", "yes", "1")
    raise ConfigError(key, f"must be true or false, got {_show(value)}")


def _str(key: str, value: object) -> str:
    if not isinstance(value, str):
        raise ConfigError(key, f"must be a string, got {_show(value)}")
    return value


def _choice(key: str, value: object, choices: tuple[str, ...]) -> str:
    text = _str(key, value)
    if text not in choices:
        listed = " or ".join(f'"{c}"' for c in choices)
        raise ConfigError(key, f"must be {listed}, got {_show(value)}")
    return text


def parse_max_failures(key: str, value: object) -> str:
    """``""``, ``"N"`` (a count >= 1) or ``"N%"`` (0 < N <= 100)."""
    text = str(value).strip() if isinstance(value, int | str) else None
    if text is None or isinstance(value, bool):
        raise ConfigError(key, f'must be a count like "50" or a share like "10%", got {value!r}')
    if text == "":
        return ""
    body = text[:-1] if text.endswith("%") else text
    try:
        number = float(body)
    except ValueError:
        number = -1.0
    ok = 0 < number <= 100 if text.endswith("%") else number >= 1 and body.isdigit()
    if not ok:
        raise ConfigError(key, f'must be a count like "50" or a share like "10%", got "{text}"')
    return text


# ---------------------------------------------------------------------------------------------

_KNOWN: dict[str, tuple[str, ...]] = {
    "server": ("base_url", "vdn_id", "deployment", "verify_tls", "ca_file", "timeout_s"),
    "auth": ("access_key", "secret_key_file"),
    "send": (
        "concurrency",
        "rate_per_s",
        "max_attempts",
        "backoff_base_s",
        "backoff_cap_s",
        "max_failures",
    ),
    "input": ("timezone", "sheet", "encoding", "on_conflict", "columns"),
    "web": ("data_dir", "max_upload_mb", "tls_cert_file", "tls_key_file"),
}


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError("config", f"file not found: {path}") from None
    except OSError as exc:
        raise ConfigError("config", f"cannot read {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("config", f"{path} is not valid TOML: {exc}") from None


def _check_keys(data: Mapping[str, Any]) -> None:
    for section, values in data.items():
        if section not in _KNOWN:
            known = ", ".join(f"[{s}]" for s in _KNOWN)
            raise ConfigError(section, f"is not a known section (known: {known})")
        if not isinstance(values, dict):
            raise ConfigError(section, "must be a table like [section]")
        for key in values:
            if section == "auth" and key == "secret_key":
                raise ConfigError(
                    "auth.secret_key",
                    f"must not be written in the config file: export {ENV_SECRET} "
                    "or set auth.secret_key_file",
                )
            if key not in _KNOWN[section]:
                raise ConfigError(f"{section}.{key}", "is not a known key")


def _read_secret_file(path: Path) -> Secret:
    key = "auth.secret_key_file"
    try:
        info = path.stat()
        if os.name == "posix" and info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise ConfigError(
                key, f"{path} can be read by others (mode {stat.filemode(info.st_mode)}): chmod 600"
            )
        text = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(key, f"cannot read {path}: {exc.strerror}") from None
    if not text:
        raise ConfigError(key, f"{path} is empty")
    return Secret(text)


def _base_url(key: str, value: object) -> str:
    text = _str(key, value).strip().rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            key, f'must be an http(s) URL like "https://10.1.2.3:28080", got "{text}"'
        )
    if parts.query or parts.fragment:
        raise ConfigError(key, f'must not have a query or fragment, got "{text}"')
    return text


def _columns(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ConfigError("input.columns", "must be a table of header = field")
    out: dict[str, str] = {}
    for header, target in value.items():
        if target not in FIELDS:
            raise ConfigError(
                f"input.columns.{header}", f"must name one of {', '.join(FIELDS)}, got {target!r}"
            )
        out[str(header)] = str(target)
    return out


def _timezone(value: object) -> str:
    text = _str("input.timezone", value).strip()
    if text:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(text)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(
                "input.timezone", f'must be an IANA zone like "Asia/Shanghai", got "{text}"'
            ) from None
    return text


def _merge(data: dict[str, Any], overrides: Mapping[str, object]) -> dict[str, Any]:
    merged = {section: dict(values) for section, values in data.items()}
    for dotted, value in overrides.items():
        if value is None:
            continue
        section, key = dotted.split(".", 1)
        merged.setdefault(section, {})[key] = value
    return merged


def load_config(
    path: Path | None,
    overrides: Mapping[str, object] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Config:
    """Defaults <- TOML file <- ``overrides`` (dotted keys, None = not given) <- environment."""
    env = os.environ if environ is None else environ
    raw = _read_toml(path) if path is not None else {}
    _check_keys(raw)
    data = _merge(raw, overrides or {})
    s, a, n, i, w = (data.get(k, {}) for k in ("server", "auth", "send", "input", "web"))
    base = _base_url("server.base_url", s.get("base_url", ServerConfig.base_url))
    server = ServerConfig(
        base_url=base,
        vdn_id=_int("server.vdn_id", s.get("vdn_id", 1), 1, 9999),
        deployment=_choice("server.deployment", s.get("deployment", "standard"), DEPLOYMENTS),
        verify_tls=_bool("server.verify_tls", s.get("verify_tls", True)),
        ca_file=_ca_file(s.get("ca_file"), path),
        timeout_s=_float("server.timeout_s", s.get("timeout_s", 30.0), positive=True),
    )
    access = env.get(ENV_ACCESS) or _str("auth.access_key", a.get("access_key", ""))
    secret: Secret | None = None
    source = ""
    if env.get(ENV_SECRET):
        secret, source = Secret(env[ENV_SECRET]), ENV_SECRET
    elif a.get("secret_key_file"):
        file = _relative(Path(_str("auth.secret_key_file", a["secret_key_file"])), path)
        secret, source = _read_secret_file(file), str(file)
    send = SendConfig(
        concurrency=_int("send.concurrency", n.get("concurrency", 8), 1),
        rate_per_s=_float("send.rate_per_s", n.get("rate_per_s", 0.0)),
        max_attempts=_int("send.max_attempts", n.get("max_attempts", 5), 1, 100),
        backoff_base_s=_float("send.backoff_base_s", n.get("backoff_base_s", 0.5)),
        backoff_cap_s=_float("send.backoff_cap_s", n.get("backoff_cap_s", 30.0)),
        max_failures=parse_max_failures("send.max_failures", n.get("max_failures", "")),
    )
    inp = InputConfig(
        timezone=_timezone(i.get("timezone", "")),
        sheet=_str("input.sheet", i.get("sheet", "")),
        encoding=_encoding(i.get("encoding", "")),
        on_conflict=_choice("input.on_conflict", i.get("on_conflict", "reject"), CONFLICT_POLICIES),
        columns=_columns(i.get("columns", {})),
    )
    return Config(
        server=server,
        auth=AuthConfig(access_key=access, secret_key=secret, secret_source=source),
        send=send,
        input=inp,
        web=_web(w, path),
        source=str(path) if path else "",
    )


def _relative(target: Path, config_path: Path | None) -> Path:
    target = target.expanduser()
    if not target.is_absolute() and config_path is not None:
        return config_path.parent / target
    return target


def _web(w: Mapping[str, Any], config_path: Path | None) -> WebConfig:
    data_dir = _str("web.data_dir", w.get("data_dir", "")).strip()
    cert, key = (
        _existing_file(f"web.{name}", w.get(name), config_path)
        for name in ("tls_cert_file", "tls_key_file")
    )
    if (cert is None) != (key is None):
        raise ConfigError("web.tls_key_file", "and web.tls_cert_file must be set together")
    return WebConfig(
        data_dir=_relative(Path(data_dir), config_path) if data_dir else None,
        max_upload_mb=_float("web.max_upload_mb", w.get("max_upload_mb", 20.0), positive=True),
        tls_cert_file=cert,
        tls_key_file=key,
    )


def _existing_file(key: str, value: object, config_path: Path | None) -> Path | None:
    if value in (None, ""):
        return None
    file = _relative(Path(_str(key, value)), config_path)
    if not file.is_file():
        raise ConfigError(key, f"file not found: {file}")
    return file


def _ca_file(value: object, config_path: Path | None) -> Path | None:
    if value in (None, ""):
        return None
    file = _relative(Path(_str("server.ca_file", value)), config_path)
    if not file.is_file():
        raise ConfigError("server.ca_file", f"file not found: {file}")
    return file


def _encoding(value: object) -> str:
    text = _str("input.encoding", value).strip()
    if text:
        import codecs

        try:
            codecs.lookup(text)
        except LookupError:
            raise ConfigError(
                "input.encoding", f'is not an encoding Python knows: "{text}"'
            ) from None
    return text


def _system_zone_name() -> str:
    """The machine's IANA zone name: $TZ, /etc/timezone, or the /etc/localtime link; else UTC."""
    tz = os.environ.get("TZ", "").lstrip(":")
    if tz and "/" in tz and not tz.startswith("/"):
        return tz
    try:
        text = Path("/etc/timezone").read_text(encoding="utf-8").strip()
        if text:
            return text
    except OSError:
        pass
    try:
        target = os.readlink("/etc/localtime")
    except OSError:
        return "UTC"
    marker = "zoneinfo/"
    return target.split(marker, 1)[1] if marker in target else "UTC"


def resolve_timezone(name: str) -> tuple[ZoneInfo, str]:
    """The zone for times written without an offset, and a label saying where it came from."""
    from zoneinfo import ZoneInfo as Zone
    from zoneinfo import ZoneInfoNotFoundError

    if name:
        return Zone(name), name
    system = _system_zone_name()
    try:
        return Zone(system), f"{system} (this machine's zone; set input.timezone to choose)"
    except (ZoneInfoNotFoundError, ValueError):
        return Zone("UTC"), "UTC (this machine's zone is unknown; set input.timezone to choose)"
