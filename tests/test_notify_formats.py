"""The alert's pure parts: [notify] parsing, URL masking, signing, bodies, answers, the text."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from rescheduler.config import load_config
from rescheduler.errors import ConfigError
from rescheduler.notify.config import NotifyConfig, mask_url, parse_notify
from rescheduler.notify.formats import build, dingtalk_sign, feishu_sign, judge
from rescheduler.notify.message import Message, compose
from rescheduler.secret import Secret

WECOM_URL = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
# Vectors computed with openssl, independently of the code under test:
#   printf '%s\n%s' 1700000000000 SECtest-secret | openssl dgst -sha256 -hmac SECtest-secret \
#       -binary | base64
#   printf '' | openssl dgst -sha256 -mac HMAC -macopt "key:$(printf '1700000000\nfeishu-secret')" \
#       -binary | base64
DINGTALK_VECTOR = ("SECtest-secret", 1700000000000, "LC7hxZ4wslL+P7j7gu1hoQ+wzByekL+yWgiUMekZs0g=")
FEISHU_VECTOR = ("feishu-secret", 1700000000, "OrBzY1Y01Gq+HgJsl+7OfWcMVwc7YocohQm5iiZwjhU=")


def notify_config(
    fmt: str, url: str = "https://hooks.example.invalid/x/TOKEN", **kw: Any
) -> NotifyConfig:
    return NotifyConfig(format=fmt, url=Secret(url), url_shown=mask_url(url), **kw)


def record(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "command": "run",
        "dry_run": False,
        "host": "batch01",
        "duration_s": 12.34,
        "input": {"path": "/data/inbox/changes.csv"},
        "rows": {"total": 20, "succeeded": 12, "failed": 3, "invalid": 4, "skipped": 1,
                 "not_sent": 0},
        "failures": {"by_code": {"04000004": 2, "0200001": 1, "02000003": 1, "X": 1}},
        "exit": {"code": 1, "meaning": "at least one row failed or is invalid"},
        "aborted": None,
        "error": None,
        "files": [
            {"kind": "results", "path": "/data/inbox/changes.results.csv"},
            {"kind": "errors", "path": "/data/inbox/changes.errors.csv"},
            {"kind": "run_record", "path": "/data/inbox/changes.run.json"},
        ],
    }  # fmt: skip
    base.update(changes)
    return base


# -- [notify] ---------------------------------------------------------------------------------


def test_mask_url_keeps_only_scheme_host_and_port() -> None:
    assert mask_url(WECOM_URL) == "https://qyapi.weixin.qq.com/***"
    assert mask_url("https://hooks.slack.com/services/T0/B0/XXXX") == "https://hooks.slack.com/***"
    assert mask_url("http://user:pw@127.0.0.1:8090/h?k=v") == "http://127.0.0.1:8090/***"
    assert mask_url("http://127.0.0.1:8090") == "http://127.0.0.1:8090"


def test_notify_section_parsed_with_defaults(tmp_path: Path) -> None:
    cfg = parse_notify({"format": "wecom", "url": WECOM_URL}, None)
    assert cfg is not None
    assert (cfg.on, cfg.language, cfg.timeout_s, cfg.max_attempts) == ("failure", "en", 10.0, 3)
    assert cfg.url.reveal() == WECOM_URL
    assert "693a91f6" not in repr(cfg)
    assert cfg.due(1)
    assert cfg.due(4)
    assert not cfg.due(0)
    assert parse_notify({}, None) is None


def test_url_file_may_name_the_systemd_credentials_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "webhook_url").write_text(WECOM_URL + "\n", encoding="utf-8")
    (tmp_path / "webhook_url").chmod(0o600)
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path))
    section = {"format": "wecom", "url_file": "${CREDENTIALS_DIRECTORY}/webhook_url"}
    cfg = parse_notify(section, None)
    assert cfg is not None
    assert cfg.url.reveal() == WECOM_URL
    assert cfg.url_file == tmp_path / "webhook_url"


FORMAT_CHOICES = '"wecom" or "dingtalk" or "feishu" or "slack" or "json"'
W = {"format": "wecom", "url": WECOM_URL}
NOTIFY_ERRORS = [
    ({"url": WECOM_URL}, f'notify.format must be {FORMAT_CHOICES}, got ""'),
    ({**W, "format": "teams"}, f'notify.format must be {FORMAT_CHOICES}, got "teams"'),
    ({"format": "wecom"}, "notify.url is not set: give url or url_file (a file holding it)"),
    (
        {**W, "url": "qyapi.weixin.qq.com/send?key=k"},
        'notify.url must be an http(s) URL like "https://host/path" (not shown: it may hold a key)',
    ),
    (
        {**W, "format": "slack", "secret": "s"},
        'notify.secret is only used by "dingtalk" and "feishu", not "slack"',
    ),
    ({**W, "on": "sometimes"}, 'notify.on must be "failure" or "always", got "sometimes"'),
    ({**W, "language": "fr"}, 'notify.language must be "en" or "zh-CN", got "fr"'),
    ({**W, "url_file": "/x"}, "notify.url and notify.url_file are both set: keep one"),
    (
        {"format": "wecom", "url_file": "${NO_SUCH_VARIABLE_HERE}/u"},
        "notify.url_file uses an environment variable that is not set: "
        '"${NO_SUCH_VARIABLE_HERE}/u"',
    ),
]


@pytest.mark.parametrize(("section", "message"), NOTIFY_ERRORS)
def test_notify_errors_name_the_key(section: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_notify(section, None)
    assert str(caught.value) == message
    assert "693a91f6" not in str(caught.value)


def test_url_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "url"
    path.write_text(WECOM_URL, encoding="utf-8")
    path.chmod(0o644)
    with pytest.raises(ConfigError, match=r"^notify.url_file .* can be read by others"):
        parse_notify({"format": "wecom", "url_file": str(path)}, None)


def test_config_file_notify_section_and_unknown_key(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(f'[notify]\nformat = "json"\nurl = "{WECOM_URL}"\non = "always"\n', "utf-8")
    config = load_config(path, environ={})
    assert config.notify is not None
    assert config.notify.on == "always"
    path.write_text('[notify]\nformat = "json"\nurl = "http://h/x"\nchannel = "#ops"\n', "utf-8")
    with pytest.raises(ConfigError, match=r"^notify.channel is not a known key$"):
        load_config(path, environ={})


# -- signing ----------------------------------------------------------------------------------


def test_dingtalk_and_feishu_signatures_match_openssl() -> None:
    secret, stamp, expected = DINGTALK_VECTOR
    assert dingtalk_sign(secret, stamp) == expected
    secret, stamp, expected = FEISHU_VECTOR
    assert feishu_sign(secret, stamp) == expected


def test_dingtalk_signed_url_keeps_the_token_and_adds_timestamp_and_encoded_sign() -> None:
    cfg = notify_config(
        "dingtalk",
        "https://oapi.dingtalk.com/robot/send?access_token=abc123",
        secret=Secret(DINGTALK_VECTOR[0]),
    )
    request = build(cfg, compose(record()), record(), 1700000000.0)
    parts = urlsplit(request.url)
    assert parts.path == "/robot/send"
    assert "sign=LC7hxZ4wslL%2BP7j7gu1hoQ%2BwzByekL%2ByWgiUMekZs0g%3D" in parts.query
    assert parse_qs(parts.query) == {
        "access_token": ["abc123"],
        "timestamp": ["1700000000000"],
        "sign": [DINGTALK_VECTOR[2]],
    }


def test_feishu_signed_body() -> None:
    cfg = notify_config("feishu", secret=Secret(FEISHU_VECTOR[0]))
    body = json.loads(build(cfg, compose(record()), record(), 1700000000.9).body)
    assert body["timestamp"] == "1700000000"
    assert body["sign"] == FEISHU_VECTOR[2]
    assert body["msg_type"] == "text"


# -- bodies -----------------------------------------------------------------------------------


def test_each_format_has_its_service_shape() -> None:
    message = compose(record())
    wecom = json.loads(build(notify_config("wecom"), message, record(), 0).body)
    assert wecom["msgtype"] == "markdown"
    assert wecom["markdown"]["content"].startswith('<font color="warning">**rescheduler: ')
    ding = json.loads(build(notify_config("dingtalk"), message, record(), 0).body)
    assert ding["msgtype"] == "markdown"
    assert ding["markdown"]["title"] == message.title
    assert ding["markdown"]["text"].startswith(f"#### {message.title}\n\n")
    feishu = json.loads(build(notify_config("feishu"), message, record(), 0).body)
    assert feishu == {"msg_type": "text", "content": {"text": message.text()}}
    slack = json.loads(build(notify_config("slack"), message, record(), 0).body)
    assert slack["text"] == message.title
    assert slack["blocks"][0]["type"] == "section"
    assert slack["blocks"][0]["text"]["type"] == "mrkdwn"
    assert json.loads(build(notify_config("json"), message, record(), 0).body) == record()


def test_slack_escapes_control_characters() -> None:
    message = Message(title="a <b> & c", lines=("x>y",), ok=False)
    slack = json.loads(build(notify_config("slack"), message, record(), 0).body)
    assert slack["text"] == "a &lt;b&gt; &amp; c"
    assert slack["blocks"][0]["text"]["text"] == "*a &lt;b&gt; &amp; c*\nx&gt;y"


def test_wecom_content_stays_within_its_4096_byte_limit() -> None:
    message = Message(title="t", lines=("长" * 3000,), ok=True)
    body = json.loads(build(notify_config("wecom"), message, record(), 0).body)
    assert len(body["markdown"]["content"].encode()) <= 4096


# -- answers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "status", "answer", "ok", "retry"),
    [
        ("wecom", 200, b'{"errcode":0,"errmsg":"ok"}', True, False),
        ("wecom", 200, b'{"errcode":93000,"errmsg":"invalid webhook url"}', False, False),
        ("dingtalk", 200, b'{"errcode":310000,"errmsg":"sign not match"}', False, False),
        ("feishu", 200, b'{"code":0,"msg":"success","data":{}}', True, False),
        ("feishu", 200, b'{"StatusCode":0,"StatusMessage":"success"}', True, False),
        ("feishu", 200, b'{"code":19021,"msg":"sign match fail"}', False, False),
        ("slack", 200, b"ok", True, False),
        ("slack", 404, b"no_service", False, False),
        ("json", 204, b"", True, False),
        ("wecom", 200, b"<html>proxy</html>", False, False),
        ("wecom", 503, b"", False, True),
        ("slack", 429, b"rate_limited", False, True),
    ],
)
def test_judging_answers(fmt: str, status: int, answer: bytes, ok: bool, retry: bool) -> None:
    verdict = judge(fmt, status, answer)
    assert (verdict.ok, verdict.retry) == (ok, retry)
    assert verdict.ok or verdict.detail


# -- the words --------------------------------------------------------------------------------


def test_message_is_short_and_says_what_matters() -> None:
    message = compose(record())
    assert message.title == "rescheduler: changes.csv: 3 failed, 4 invalid"
    assert message.lines == (
        "20 rows: succeeded 12, failed 3, invalid 4, skipped 1, not_sent 0",
        "top failure codes: 04000004 (the reservation does not exist) x2, "
        "0200001 (parameter error) x1, 02000003 (too long) x1",
        "exit 1: at least one row failed or is invalid",
        "results: /data/inbox/changes.results.csv",
        "rows to fix: /data/inbox/changes.errors.csv",
        "run record: /data/inbox/changes.run.json",
        "on batch01, 12.3 s",
    )


def test_message_for_a_missing_file_and_for_the_upload_page() -> None:
    missing = record(
        rows=None,
        failures={"by_code": {}},
        exit={"code": 4, "meaning": "the input file is missing or empty; nothing was sent"},
        error={"kind": "InputMissing", "message": "the input file /d/c.csv does not exist — x?"},
        files=[{"kind": "run_record", "path": "/d/c.run.json"}],
    )
    message = compose(missing, where="the upload page, run abc")
    assert message.title == "rescheduler: changes.csv: no input"
    assert message.lines[:3] == (
        "the input file /d/c.csv does not exist — x?",
        "exit 4: the input file is missing or empty; nothing was sent",
        "results: the upload page, run abc",
    )
    assert not message.ok
