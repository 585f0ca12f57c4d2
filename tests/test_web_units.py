"""The web package's pure parts: passwords, throttling, sessions, names, problem splitting."""

from __future__ import annotations

from pathlib import Path

import pytest

from rescheduler.models import Problem
from rescheduler.web import passwords
from rescheduler.web.files import content_disposition
from rescheduler.web.preview import split_problems
from rescheduler.web.store import SESSION_IDLE_S, SESSION_MAX_S, Store
from rescheduler.web.throttle import LoginThrottle
from rescheduler.web.uploads import UploadRefused, safe_file_name, suffix_of
from tests.webtools import cheap_passwords  # noqa: F401  (autouse fixture)


def test_password_hashes_are_salted_and_checked() -> None:
    first = passwords.hash_password("correct horse battery")
    second = passwords.hash_password("correct horse battery")
    assert first != second
    assert first.startswith("scrypt$10$8$1$")
    assert passwords.verify_password(first, "correct horse battery")
    assert not passwords.verify_password(first, "correct horse batterY")
    assert not passwords.verify_password(None, "correct horse battery")
    for broken in ("", "scrypt$", "md5$1$1$1$AA==$AA==", "scrypt$99$8$1$AA==$AA==", first[:-3]):
        assert not passwords.verify_password(broken, "correct horse battery")


def test_the_production_cost_is_an_owasp_setting() -> None:
    assert passwords.Cost() == passwords.Cost(log2_n=15, r=8, p=3)


def test_password_rules() -> None:
    assert passwords.password_problem("ann", "short") is not None
    assert passwords.password_problem("annannannann", "AnnAnnAnnAnn") is not None
    assert passwords.password_problem("ann", "a long enough one") is None


def test_throttle_locks_per_name_and_address_and_grows() -> None:
    now = [0.0]
    throttle = LoginThrottle(free=3, base_s=10, cap_s=35, clock=lambda: now[0])
    for _ in range(3):
        assert throttle.wait_s("ann", "1.2.3.4") == 0
        throttle.failed("ann", "1.2.3.4")
    assert throttle.wait_s("ann", "1.2.3.4") == 10
    assert throttle.wait_s("ANN", "1.2.3.4") == 10  # names are matched case-insensitively
    assert throttle.wait_s("ann", "5.6.7.8") == 0  # another address is not locked out
    assert throttle.wait_s("bob", "1.2.3.4") == 0
    now[0] = 10
    throttle.failed("ann", "1.2.3.4")
    assert throttle.wait_s("ann", "1.2.3.4") == 20
    now[0] = 30
    throttle.failed("ann", "1.2.3.4")
    assert throttle.wait_s("ann", "1.2.3.4") == 35  # capped
    throttle.succeeded("ann", "1.2.3.4")
    assert throttle.wait_s("ann", "1.2.3.4") == 0


def test_throttle_per_address_catches_spraying_many_names() -> None:
    throttle = LoginThrottle(free=5, per_address_free=10, base_s=30, clock=lambda: 0.0)
    for n in range(10):
        throttle.failed(f"user{n}", "1.2.3.4")
    assert throttle.wait_s("someone-else", "1.2.3.4") == 30


def test_throttle_memory_is_bounded() -> None:
    throttle = LoginThrottle(max_entries=100, clock=lambda: 0.0)
    for n in range(1000):
        throttle.failed("ann", f"10.0.{n // 256}.{n % 256}")
    assert len(throttle._entries) <= 100


def test_sessions_expire_when_idle_and_when_old(tmp_path: Path) -> None:
    now = [1000.0]
    store = Store(tmp_path, clock=lambda: now[0])
    store.add_user("ann", passwords.hash_password("correct horse battery"))
    token = store.create_session("ann")
    session = store.session(token)
    assert session is not None
    assert session.user == "ann"
    assert len(session.csrf) >= 40
    assert store.session(token + "x") is None
    now[0] += SESSION_IDLE_S + 1
    assert store.session(token) is None
    token = store.create_session("ann")
    for _ in range(int(SESSION_MAX_S // (SESSION_IDLE_S / 2)) + 1):
        now[0] += SESSION_IDLE_S / 2
        store.session(token)
    assert store.session(token) is None
    token = store.create_session("ann")
    assert store.set_password("ann", passwords.hash_password("another password"))
    assert store.session(token) is None  # a new password signs out everywhere
    token = store.create_session("ann")
    assert store.remove_user("ann")
    assert store.session(token) is None


def test_session_tokens_are_stored_hashed(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.add_user("ann", "x")
    token = store.create_session("ann")
    store.close()
    assert token.encode() not in (tmp_path / "web.sqlite3").read_bytes()


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("changes.xlsx", "changes.xlsx"),
        ("C:\\Users\\li\\Desktop\\换约名单.xlsx", "换约名单.xlsx"),
        ("../../etc/passwd.csv", "passwd.csv"),
        ('a"b%22c<d>.csv', "a_b_c_d_.csv"),
        ("tab\there\n.csv", "tabhere.csv"),
        (".hidden.csv", "hidden.csv"),
        ("...", "upload"),
        ("x" * 300 + ".xlsx", "x" * 115 + ".xlsx"),
    ],
)
def test_safe_file_names(raw: str, safe: str) -> None:
    assert safe_file_name(raw) == safe


def test_only_readable_suffixes() -> None:
    assert suffix_of("a.XLSX") == ".xlsx"
    assert suffix_of("a.tsv") == ".tsv"
    assert [suffix_of(f"a.{s}") for s in ("xls", "xlsb", "ODS")] == [".xls", ".xlsb", ".ods"]
    with pytest.raises(UploadRefused) as caught:
        suffix_of("a.numbers")
    assert caught.value.status == 415


def test_content_disposition_has_an_ascii_fallback() -> None:
    assert content_disposition("换约.results.csv") == (
        "attachment; filename=\"__.results.csv\"; filename*=UTF-8''%E6%8D%A2%E7%BA%A6.results.csv"
    )
    assert 'filename="a_b.csv"' in content_disposition('a"b.csv')


def test_split_problems() -> None:
    headers = {"appointId", "appointTime", "userAccount"}
    assert split_problems("appointTime: not a time; userAccount: is required", headers) == [
        Problem("appointTime", "not a time"),
        Problem("userAccount", "is required"),
    ]
    assert split_problems("remark: too long; really: yes", headers | {"remark"}) == [
        Problem("remark", "too long; really: yes")
    ]
    assert split_problems("appointId: conflicts with line 5: same ID", headers) == [
        Problem("appointId", "conflicts with line 5: same ID")
    ]
    assert split_problems("duplicate of line 5", headers) == [Problem("", "duplicate of line 5")]
    assert split_problems("something else", headers) == [Problem("", "something else")]


def test_the_web_settings_and_their_defaults(tmp_path: Path) -> None:
    from rescheduler.config import load_config
    from rescheduler.errors import ConfigError

    defaults = load_config(None, environ={}).web
    assert defaults.trusted_proxies == ()
    assert (defaults.keep_days, defaults.max_rows, defaults.max_checks) == (90, 200_000, 2)
    assert (defaults.check_timeout_s, defaults.check_memory_mb) == (300.0, 1024)
    path = tmp_path / "site.toml"
    path.write_text('[web]\ntrusted_proxies = ["127.0.0.1", "10.0.0.0/8"]\nkeep_days = 0\n')
    web = load_config(path, environ={}).web
    assert web.trusted_proxies == ("127.0.0.1", "10.0.0.0/8")
    assert web.keep_days == 0
    for text, key in (
        ('trusted_proxies = ["proxy.example"]', "web.trusted_proxies"),
        ('trusted_proxies = "127.0.0.1"', "web.trusted_proxies"),
        ("max_rows = 0", "web.max_rows"),
        ("check_memory_mb = 64", "web.check_memory_mb"),
    ):
        path.write_text(f"[web]\n{text}\n")
        with pytest.raises(ConfigError) as caught:
            load_config(path, environ={})
        assert str(caught.value).startswith(key)
