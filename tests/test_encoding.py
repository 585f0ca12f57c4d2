"""encoding.py: which encoding a CSV file is in, never guessed (issue 9, items 4, 14, 15)."""

from __future__ import annotations

import codecs
import zipfile
from pathlib import Path

import pytest

from rescheduler.errors import InputFileError
from rescheduler.read.encoding import ChineseJudge, WesternJudge, check_encoding_name
from rescheduler.read.reader import open_table

HEADER = "appointId,userAccount,appointTime,remark\r\n"
WESTERN = ["Anaïs", "Müller", "Hélène après", "François Lefèvre", "José Peña", "Ødegård"]
CHINESE = ["客户要求改到下午", "张伟", "二次回访，客户在外地", "请于明天上午十点再联系", "王芳"]


def csv_bytes(remarks: list[str], codec: str) -> bytes:
    rows = "".join(f"{1000 + n},agent{n},2027-01-15 10:00,{r}\r\n" for n, r in enumerate(remarks))
    return (HEADER + rows).encode(codec)


def read(tmp_path: Path, data: bytes, name: str = "in.csv", **kw: str) -> tuple[str, list[str]]:
    path = tmp_path / name
    path.write_bytes(data)
    with open_table(path, **kw) as table:
        return table.encoding or "", [row.values[3] for row in table.rows()]


def refusal(tmp_path: Path, data: bytes, name: str = "in.csv", **kw: str) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(InputFileError) as info:
        open_table(path, **kw)
    return str(info.value).removeprefix(f"{path}: ")


# --- 8-bit files: GB18030 or Windows-1252, chosen only when one reads as real text ---------


@pytest.mark.parametrize("remark", WESTERN)
def test_a_western_name_is_never_read_as_chinese(tmp_path: Path, remark: str) -> None:
    # 'Anaïs' in Windows-1252 is also valid GB18030: 'Ana飐' went to the server
    assert read(tmp_path, csv_bytes([remark], "cp1252")) == ("cp1252", [remark])


def test_the_issue_file_reads_as_written(tmp_path: Path) -> None:
    data = csv_bytes(["Anaïs", "Müller", "Hélène après"], "cp1252")
    data.decode("gb18030")  # the trap: these bytes are valid GB18030 too
    assert read(tmp_path, data) == ("cp1252", ["Anaïs", "Müller", "Hélène après"])


@pytest.mark.parametrize("remarks", [CHINESE, CHINESE[1:2], ["男"], ["是否已取消"]])
def test_chinese_gbk_is_read_as_gb18030(tmp_path: Path, remarks: list[str]) -> None:
    data = csv_bytes(remarks, "gbk")
    data.decode("cp1252")  # the trap: these bytes are valid Windows-1252 too
    assert read(tmp_path, data) == ("gb18030", remarks)


def test_text_that_reads_plausibly_both_ways_is_refused_showing_both(tmp_path: Path) -> None:
    message = refusal(tmp_path, csv_bytes(["Põõsas"], "cp1252"))
    assert message == (
        "the file's encoding is not clear (it has too little text, or text that reads oddly "
        "either way). Text line 2 reads:\n"
        "  --encoding gb18030  (GB18030): 1000,agent0,2027-01-15 10:00,P貂sas\n"
        "  --encoding cp1252   (Windows-1252): 1000,agent0,2027-01-15 10:00,Põõsas\n"
        "Run again with the --encoding that reads right, or save the file as 'CSV UTF-8'"
    )
    assert read(tmp_path, csv_bytes(["Põõsas"], "cp1252"), encoding="cp1252")[1] == ["Põõsas"]
    # 滗 (S滗din) is a hanzi nobody writes: 'Säädin' reads as Windows-1252 only
    assert read(tmp_path, csv_bytes(["Säädin"], "cp1252")) == ("cp1252", ["Säädin"])


def test_text_in_another_8bit_encoding_is_refused(tmp_path: Path) -> None:
    # Russian in Windows-1251 decodes as Windows-1252 (and GB18030) but reads as neither
    message = refusal(tmp_path, csv_bytes(["Перенести на завтра, клиент просил"], "cp1251"))
    assert "does not read as Chinese (GB18030) or Western European (Windows-1252)" in message


def test_utf8_file_with_a_stray_byte_names_the_byte(tmp_path: Path) -> None:
    data = csv_bytes(["客户要求改到下午"] * 5, "utf-8") + b"1009,a,2027-01-15 10:00,Caf\xe9\r\n"
    offset = data.index(b"\xe9")
    assert refusal(tmp_path, data).startswith(
        f"text line 7: cannot decode byte(s) E9 at byte offset {offset} as utf-8, and the file "
        "does not read as Chinese (GB18030) or Western European (Windows-1252) text either."
    )


def test_judges_on_their_own() -> None:
    chinese, western = ChineseJudge(), WesternJudge()
    chinese.feed("客户要求改到下午 王芳")
    western.feed("Hélène après, Müller, l’élément, Ødegård")
    assert chinese.plausible()
    assert western.plausible()
    misread_chinese, misread_western = WesternJudge(), ChineseJudge()
    misread_chinese.feed("¿Í»§ÒªÇó¸Äµ½ÏÂÎç")  # 客户要求改到下午 (GBK) read as Windows-1252
    misread_western.feed("Ana飐 M黮ler")  # Anaïs Müller (Windows-1252) read as GB18030
    assert not misread_chinese.plausible()
    assert not misread_western.plausible()
    turkish = WesternJudge()
    turkish.feed("Yarýn arayýn, þimdi deðil")  # Turkish (Windows-1254) read as Windows-1252
    assert not turkish.plausible()


# --- byte-order marks --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("codec", "bom"), [("utf-32-le", codecs.BOM_UTF32_LE), ("utf-32-be", codecs.BOM_UTF32_BE)]
)
def test_utf32_with_a_bom_is_read_not_taken_for_utf16(
    tmp_path: Path, codec: str, bom: bytes
) -> None:
    data = bom + "appointId\tremark\r\n1\t改约 Müller\r\n".encode(codec)
    path = tmp_path / "in.txt"
    path.write_bytes(data)
    with open_table(path) as table:
        assert (table.encoding, table.headers) == (codec, ("appointId", "remark"))
        assert [r.values for r in table.rows()] == [("1", "改约 Müller")]


def test_a_forced_encoding_must_agree_with_the_bom(tmp_path: Path) -> None:
    data = codecs.BOM_UTF8 + csv_bytes(["x"], "utf-8")
    assert refusal(tmp_path, data, encoding="gb18030") == (
        "the file starts with a UTF-8 byte-order mark, so it is UTF-8, not gb18030: leave out "
        "--encoding"
    )
    assert read(tmp_path, data, encoding="utf-8")[1] == ["x"]
    utf16 = codecs.BOM_UTF16_LE + csv_bytes(["x"], "utf-16-le")
    assert read(tmp_path, utf16, encoding="utf-16")[1] == ["x"]


# --- bad --encoding values: one line, no traceback ---------------------------------------


def test_utf16_forced_on_a_file_without_bom(tmp_path: Path) -> None:
    assert refusal(tmp_path, csv_bytes(["x"], "utf-8"), encoding="utf-16") == (
        "--encoding utf-16 needs a byte-order mark at the start of the file and this file has "
        "none: give utf-16-le or utf-16-be"
    )


@pytest.mark.parametrize("name", ["rot13", "hex", "base64", "zlib", "idna", "undefined"])
def test_codecs_that_are_not_text_encodings_are_refused(tmp_path: Path, name: str) -> None:
    assert refusal(tmp_path, csv_bytes(["x"], "utf-8"), encoding=name) == (
        f"--encoding: {name!r} is not a text encoding; use one like utf-8, gb18030 or cp1252"
    )
    with pytest.raises(ValueError, match="is not a text encoding"):
        check_encoding_name(name)
    assert check_encoding_name("GBK") == "gbk"


def test_a_codec_that_fails_as_a_whole_is_one_line(tmp_path: Path) -> None:
    message = refusal(tmp_path, b"\x00" * 7, encoding="utf-32-le")
    assert message.startswith("text line 1: cannot decode byte(s)")


# --- files that are not text at all -------------------------------------------------------


def test_an_excel_workbook_renamed_csv(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["appointId"])
    book.save(tmp_path / "book.xlsx")
    data = (tmp_path / "book.xlsx").read_bytes()
    assert refusal(tmp_path, data) == "this is an Excel workbook, not text: rename it to .xlsx"
    assert refusal(tmp_path, data, name="in.txt", encoding="utf-8").startswith(
        "this is an Excel workbook"
    )


def test_an_ods_an_xls_and_a_zip_renamed_csv(tmp_path: Path) -> None:
    ods = tmp_path / "a.zip"
    with zipfile.ZipFile(ods, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<x/>")
    assert refusal(tmp_path, ods.read_bytes()) == (
        "this is an OpenDocument spreadsheet, not text: rename it to .ods"
    )
    plain = tmp_path / "b.zip"
    with zipfile.ZipFile(plain, "w") as archive:
        archive.writestr("notes.txt", "hello")
    assert refusal(tmp_path, plain.read_bytes()).startswith("this is a zip file")
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    assert refusal(tmp_path, ole).startswith("this is an old-style Excel workbook (.xls)")


def test_a_short_gbk_text_that_is_valid_utf8_too_is_refused(tmp_path: Path) -> None:
    data = csv_bytes(["伟"], "gbk")  # CE B0: also UTF-8 for 'ΰ'
    message = refusal(tmp_path, data)
    assert "  --encoding utf-8    (UTF-8): 1000,agent0,2027-01-15 10:00,ΰ\n" in message
    assert "  --encoding gb18030  (GB18030): 1000,agent0,2027-01-15 10:00,伟\n" in message
    assert read(tmp_path, data, encoding="gb18030")[1] == ["伟"]
    # UTF-8 with Latin letters and symbols, Cyrillic, or any 3-byte character stays UTF-8
    for text in ["Café 20°C", "Перенести на завтра", "ΰ 改约"]:
        assert read(tmp_path, csv_bytes([text], "utf-8")) == ("utf-8", [text])


# --- other 8-bit encodings, mixed files, GBK that is valid UTF-8 (hostile review) ----------


@pytest.mark.parametrize(
    ("texts", "codec", "reading"),
    [
        (["김민수 고객", "내일 오전에 다시 전화", "박지성"], "cp949", "cp949"),
        (["김민수", "다시 전화"], "euc-kr", "cp949"),
        (["山田太郎", "折り返し電話", "明日の午前"], "euc_jp", "gb18030"),
        (["Иван Петров", "Анна Попова", "Вера Панова"], "cp1251", "gb18030"),
        (["Иван Петров", "Анна Попова", "Вера Панова"], "koi8-r", "koi8_u"),
        (["Γιάννης Παπάς", "Καλημέρα σας"], "cp1253", "gb18030"),
        (["Popisek pro přijetí", "Německé", "začínat na novém řádku"], "cp1250", "cp1252"),
    ],
)
def test_korean_japanese_cyrillic_greek_czech_files_are_refused_not_misread(
    tmp_path: Path, texts: list[str], codec: str, reading: str
) -> None:
    # each was sent as GB18030 (김민수 -> 辫刮荐, Иван -> 肉囗) or Windows-1252 (ř -> ø)
    message = refusal(tmp_path, csv_bytes(texts, codec))
    assert "not clear" in message or "does not read as Chinese" in message, message
    if "not clear" in message:
        assert f"--encoding {reading}" in message
    assert read(tmp_path, csv_bytes(texts, codec), encoding=codec)[1] == texts


def test_a_file_mixing_gbk_and_utf8_is_refused(tmp_path: Path) -> None:
    data = HEADER.encode() + "1000,a,2027-01-15 10:00,客户要求改到上午回访\r\n".encode("gbk")
    data += "1001,a,2027-01-15 10:00,Müller\r\n".encode()
    message = refusal(tmp_path, data)  # it went out as 'M眉ller'
    assert "does not read as Chinese (GB18030) or Western European" in message


@pytest.mark.parametrize("text", ["女", "伟", "路", "目录", "谢颖", "丌", "QQ群"])
def test_gbk_bytes_that_are_valid_utf8_are_refused(tmp_path: Path, text: str) -> None:
    # b'\xc5\xae' is GBK 女 and UTF-8 'Ů': a lone letter is no UTF-8 text
    data = csv_bytes([text], "gbk")
    data.decode("utf-8")
    assert "--encoding gb18030" in refusal(tmp_path, data)
    assert read(tmp_path, data, encoding="gb18030")[1] == [text]


@pytest.mark.parametrize(
    "texts",
    [
        ["Dvořák", "Procházka", "Růžička"],
        ["Иван и Петр", "Перенести на завтра"],
        ["rendez-vous à 10h", "Hélène après", "20°C", "« Bonjour »"],
        ["Yunan İşaret Dili", "Müşteri yarın aranacak"],
        ["Γιάννης Παπάς"],
    ],
)
def test_real_utf8_text_stays_utf8(tmp_path: Path, texts: list[str]) -> None:
    assert read(tmp_path, csv_bytes(texts, "utf-8")) == ("utf-8", texts)


def _gb2312_hanzi() -> list[str]:
    found = []
    for lead in range(0xB0, 0xF8):
        for trail in range(0xA1, 0xFF):
            try:
                found.append(bytes((lead, trail)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return found


def test_every_fourth_gb2312_hanzi_alone_is_read_exactly_or_refused(tmp_path: Path) -> None:
    """A bounded, deterministic search: one hanzi alone is the least text a file can hold;
    it must read as itself or be refused, never as UTF-8 or Windows-1252 (丌 read 'آ')."""
    path = tmp_path / "in.csv"
    wrong = []
    for char in _gb2312_hanzi()[::4]:
        path.write_bytes(f"appointId,remark\r\n1000,{char}\r\n".encode("gbk"))
        try:
            with open_table(path) as table:
                got = [row.values for row in table.rows()]
        except InputFileError:
            continue
        if got != [("1000", char)]:
            wrong.append((char, got, table.encoding))
    assert wrong == []
