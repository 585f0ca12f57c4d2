"""Messages in the reader's language: choosing it, per-context isolation, the CLI, the files.

English by default; ``--lang zh-CN`` or a Chinese ``LANG`` gives Simplified Chinese. What
scripts read (column names, statuses, ``error_code``) stays English in every language.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import jinja2
import pytest
from openpyxl import load_workbook

from rescheduler.i18n import (
    _,
    best_language,
    current_language,
    install_jinja,
    language_from_env,
    ngettext,
    normalize_language,
    set_language,
    use_language,
)
from rescheduler.read.dedupe import decide_group
from rescheduler.template import write_template
from tests.e2e import by_line, invoke, read_results, serving, write_config

ROOT = Path(__file__).resolve().parents[1]
PAST = "{text} is in the past ({utc}); give a future time"


@pytest.mark.parametrize(
    ("environ", "language"),
    [
        ({}, "en"),
        ({"LANG": "zh_CN.UTF-8"}, "zh-CN"),
        ({"LANG": "zh_TW.Big5"}, "zh-CN"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LANG": "fr_FR.UTF-8"}, "en"),
        ({"LANG": "C"}, "en"),
        ({"LANG": "zh_CN.UTF-8", "LC_ALL": "C"}, "en"),  # LC_ALL wins
        ({"LANG": "en_US.UTF-8", "LC_MESSAGES": "zh_CN.UTF-8"}, "zh-CN"),
        ({"LC_ALL": "", "LANG": "zh_SG"}, "zh-CN"),  # an empty variable does not count
    ],
)
def test_language_from_the_environment(environ: dict[str, str], language: str) -> None:
    assert language_from_env(environ) == language


def test_language_tags() -> None:
    assert [normalize_language(t) for t in ("zh-CN", "ZH_cn", "zh-Hans", "en-GB", "POSIX")] == [
        "zh-CN",
        "zh-CN",
        "zh-CN",
        "en",
        "en",
    ]
    assert normalize_language("de") is None
    assert best_language("zh-CN,zh;q=0.9,en;q=0.8") == "zh-CN"
    assert best_language("en-US,en;q=0.9,zh-CN;q=0.8") == "en"
    assert best_language("de-DE, zh;q=0.5, en;q=0.4") == "zh-CN"
    assert best_language("de, fr", default="zh-CN") == "zh-CN"
    assert best_language("zh;q=0, en") == "en"
    assert best_language("") == "en"


def test_set_and_use_language() -> None:
    assert current_language() == "en"
    assert _(PAST) == PAST
    with use_language("zh_CN.UTF-8"):
        assert current_language() == "zh-CN"
        assert _(PAST) == "{text} 已经过去（{utc}）；请填写将来的时间"
        assert _("a message nobody translated") == "a message nobody translated"
        assert ngettext("line {lines}", "lines {lines}", 3) == "第 {lines} 行"
    assert current_language() == "en"
    assert ngettext("line {lines}", "lines {lines}", 3) == "lines {lines}"
    with pytest.raises(ValueError, match="unsupported language 'de'; use one of en, zh-CN"):
        set_language("de")


def test_two_languages_at_once_in_threads_and_tasks() -> None:
    """The upload page serves two people at once: each context keeps its own language."""
    barrier = threading.Barrier(2)
    seen: dict[str, str] = {}

    def person(language: str) -> None:
        set_language(language)  # a new thread starts from the default context
        barrier.wait()  # both set before either reads
        seen[language] = _(PAST)

    threads = [threading.Thread(target=person, args=(lang,)) for lang in ("en", "zh-CN")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == {"en": PAST, "zh-CN": "{text} 已经过去（{utc}）；请填写将来的时间"}

    async def request(language: str, ready: asyncio.Event, other: asyncio.Event) -> str:
        set_language(language)  # a task runs in a copy of its creator's context
        ready.set()
        await other.wait()
        return _("duplicate of line {line}").format(line=3)

    async def both() -> list[str]:
        a, b = asyncio.Event(), asyncio.Event()
        return list(await asyncio.gather(request("zh-CN", a, b), request("en", b, a)))

    assert asyncio.run(both()) == ["与第 3 行重复", "duplicate of line 3"]
    assert current_language() == "en"


def test_jinja_templates_follow_the_language_at_render_time() -> None:
    env = jinja2.Environment(autoescape=True)
    install_jinja(env)
    page = env.from_string(
        "{{ _('duplicate of line %(line)s', line=n) }} | "
        "{% trans %}reservations{% endtrans %} | {{ _('tab') }} <{{ x }}>"
    )
    assert page.render(n=3, x="<b>") == "duplicate of line 3 | reservations | tab <&lt;b&gt;>"
    with use_language("zh-CN"):
        # Not in the catalog (templates use %-placeholders): English, still formatted.
        assert page.render(n=3, x="<b>") == "duplicate of line 3 | 预约 | 制表符 <&lt;b&gt;>"


def test_rows_decided_in_the_run_language() -> None:
    with use_language("zh-CN"):
        decided = decide_group([(2, "a"), (5, "b")], "reject")
    _status, code, why = decided[0][1]
    assert code == "conflict"  # the code stays English
    assert why == (
        "与第 5 行冲突：appointId 相同但修改内容不同（请只保留一行，或用 --on-conflict last 运行）"
    )


SAMPLE_CODES = {
    14: "server.04000004",
    15: "server.0200001",
    16: "server.02000003",
    17: "appointTime.past",
    18: "userAccount.required",
    19: "appointId.excel_number",
    20: "duplicate",
    21: "appointTime.no_such_date",
}


def _sample_run(tmp_path: Path, *flags: str, env: dict[str, str] | None = None) -> Any:
    from click.testing import CliRunner

    from rescheduler.cli import cli
    from rescheduler.simulator.store import Store
    from tests.e2e import SK

    shutil.copy(ROOT / "samples" / "changes.csv", tmp_path / "changes.csv")
    store = Store.from_file(ROOT / "samples" / "reservations.json")
    with serving(store) as sim:
        config = write_config(tmp_path / "c.toml", sim.base_url)
        # --no-snapshot: the automatic reservation is sent, so the server's 0200001 is shown
        args = [*flags, "run", str(tmp_path / "changes.csv"), "-c", str(config), "--no-snapshot"]
        environ = {"RESCHEDULER_SECRET_KEY": SK, **(env or {})}
        result = CliRunner().invoke(cli, args, env=environ, catch_exceptions=False)
    assert result.exit_code == 1, result.output
    return result


@pytest.mark.parametrize(
    ("flags", "env"),
    [(("--lang", "zh-CN"), {}), ((), {"LANG": "zh_CN.UTF-8"})],
    ids=["--lang", "LANG"],
)
def test_a_chinese_run_writes_chinese_errors_and_english_codes(
    tmp_path: Path, flags: tuple[str, ...], env: dict[str, str]
) -> None:
    result = _sample_run(tmp_path, *flags, env=env)
    rows = by_line(read_results(tmp_path / "changes.results.csv"))
    assert {line: rows[line]["error_code"] for line in SAMPLE_CODES} == SAMPLE_CODES
    assert rows[14]["status"] == "failed"  # statuses stay English
    assert rows[14]["error"].startswith("04000004 预约不存在：请核对 appointId（以及 vdnId）")
    assert rows[16]["error"] == (  # the simulator names the field: only that one is listed
        "02000003 内容超长；请求中包含 remark（250 个字符）：某个值超过了服务器允许的长度；"
        "请缩短后重新发送这一行（服务器说明：the parameter remark is longer than 200 characters）"
    )
    assert rows[20]["error"] == "与第 3 行重复"
    assert rows[18]["error"] == (
        "userAccount: 必填：'standard' 部署方式要求每一行都填写 userAccount；单元格是空的"
    )
    assert rows[21]["error"] == (
        "appointTime: '2030-02-30 10:00' 不是真实存在的日期和时间（2030-02 没有 30 日）"
    )
    summary = result.output.splitlines()
    assert summary[2] == (
        "  失败 failed       3   02000003 ×1（内容超长），0200001 ×1（参数错误），"
        "04000004 ×1（预约不存在）"
    )  # labels padded by display width (a Chinese character takes two columns)
    assert summary[3].startswith("  无效 invalid      4   appointTime ×2，")
    assert summary[-1].startswith("错误文件：")
    assert summary[-1].endswith("changes.errors.csv（7 行待修正）")
    errors = read_results(tmp_path / "changes.errors.csv")
    assert list(errors[0])[-3:] == ["line", "error", "error_code"]
    lines = (14, 15, 16, 17, 18, 19, 21)
    assert [r["error_code"] for r in errors] == [SAMPLE_CODES[n] for n in lines]


def test_english_is_the_default_and_wins_over_a_chinese_lang(tmp_path: Path) -> None:
    _sample_run(tmp_path, "--lang", "en", env={"LANG": "zh_CN.UTF-8"})
    rows = by_line(read_results(tmp_path / "changes.results.csv"))
    assert {line: rows[line]["error_code"] for line in SAMPLE_CODES} == SAMPLE_CODES
    assert rows[14]["error"] == (
        "04000004 the reservation does not exist: check the appointId (and vdnId); the "
        "reservation may have been deleted, or belong to another VDN (server: the reservation "
        "does not exist)"
    )
    assert rows[16]["error"].startswith(
        "02000003 too long; the request had remark (250 characters): a value is longer than "
        "the server accepts; shorten it and send the row again (server: the parameter remark"
    )


def test_the_errors_file_feeds_straight_back_in(tmp_path: Path) -> None:
    _sample_run(tmp_path)
    errors = tmp_path / "changes.errors.csv"
    again = invoke("--lang", "zh-CN", "validate", str(errors), "-c", str(tmp_path / "c.toml"))
    assert again.exit_code == 1, again.output  # the same rows are still wrong: invalid
    rows = read_results(tmp_path / "changes.errors.validation.csv")  # validate's own report
    assert len(rows) == 7
    second = read_results(tmp_path / "changes.errors.validation.errors.csv")
    assert list(second[0]).count("error_code") == 1  # refilled, not appended again
    assert [r["line"] for r in second] == ["5", "6", "7", "8"]  # lines of the errors file
    assert [r["error_code"] for r in second] == [
        "appointTime.past",
        "userAccount.required",
        "appointId.excel_number",
        "appointTime.no_such_date",
    ]  # rows 2-4 (sent and refused by the server) are valid: dry run, not in the errors file
    assert second[0]["error"].startswith("appointTime: '2024-03-01 09:00' 已经过去")


def test_help_texts_are_translated(tmp_path: Path) -> None:
    english = invoke("run", "--help")
    assert "Requests in flight at most." in english.output
    chinese = invoke("--lang", "zh-CN", "run", "--help")
    assert "同时进行的请求数上限。" in chinese.output
    assert "--concurrency" in chinese.output  # flags as they are
    top = invoke("--lang", "zh-CN", "--help")
    assert "在华为 CC-iSales 服务器上批量修改外呼预约。" in top.output
    assert "读取并检查 INPUT 的每一行" in top.output  # a command's short help
    bad = invoke("--lang", "fr", "--help")
    assert bad.exit_code == 2
    assert "Invalid value for '--lang'" in bad.output


def test_run_level_errors_in_chinese(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("[send]\nconcurrency = 0\n", encoding="utf-8")
    (tmp_path / "in.csv").write_text("appointId\n1\n", encoding="utf-8")
    result = invoke("--lang", "zh-CN", "validate", str(tmp_path / "in.csv"), "-c", str(config))
    assert result.exit_code == 2
    assert result.output == (
        "rescheduler：错误：send.concurrency 必须是 1 到 1000 之间的整数，当前为 0\n"
    )
    (tmp_path / "empty.csv").write_text("", encoding="utf-8")
    result = invoke("--lang", "zh-CN", "validate", str(tmp_path / "empty.csv"))
    assert result.exit_code == 4
    assert result.output.startswith("rescheduler：错误：输入文件 ")
    assert result.output.endswith("empty.csv 是空的——上游导出的文件是否没有完整送到？\n")


def test_the_template_in_chinese(tmp_path: Path) -> None:
    with use_language("zh-CN"):
        write_template(tmp_path / "t.xlsx")
        write_template(tmp_path / "t.csv")
    book = load_workbook(tmp_path / "t.xlsx")
    assert book.sheetnames == ["预约", "填写说明"]
    sheet: Any = book.active
    assert [c.value for c in sheet[1]] == [
        "appointId",
        "userAccount",
        "workNo",
        "appointTime",
        "remark",
    ]  # headers are the API's names in every language
    assert sheet["E2"].value == "客户要求改约"
    notes = [row[0] for row in book["填写说明"].iter_rows(values_only=True)]
    assert notes[0] == "每个要修改的预约占一行。请保留表头行，删除示例行。"
    assert notes[2] == "userAccount：坐席的业务账号；本服务器要求必填。workNo 可以留空。"
    assert "客户要求改约" in (tmp_path / "t.csv").read_text(encoding="utf-8-sig")


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_babel_is_never_imported_at_run_time(tmp_path: Path, language: str) -> None:
    """Babel is for translators and tests; a run reads the compiled catalog with gettext."""
    shutil.copy(ROOT / "samples" / "changes.csv", tmp_path / "in.csv")
    code = (
        "import sys\n"
        "from rescheduler.cli import cli\n"
        f"args = ['--lang', '{language}', 'validate', {str(tmp_path / 'in.csv')!r}, '-q']\n"
        "try:\n"
        "    cli(args, standalone_mode=False)\n"
        "finally:\n"
        "    print('babel' in sys.modules, 'gettext' in sys.modules, file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.stderr.strip().splitlines()[-1] in ("False True", "False False"), done.stderr
    summary = done.stderr.strip().splitlines()[0]
    assert summary.startswith("rescheduler：试运行" if language == "zh-CN" else "rescheduler: dry")
