"""reader.py, CSV family: encodings, delimiters, quoting, line numbers, blank rows, errors."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from rescheduler.errors import InputFileError
from rescheduler.models import Row
from rescheduler.read.columns import column_letter
from rescheduler.read.reader import open_table

ID = "174729926098016859445364892091"


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def read_all(path: Path, **kwargs: str) -> tuple[tuple[str, ...], list[Row]]:
    with open_table(path, **kwargs) as table:
        return table.headers, list(table.rows())


# --- encodings ---------------------------------------------------------------------------


def test_utf8_without_bom(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", f"appointId,remark\n{ID},café 改约\n".encode())
    with open_table(path) as table:
        assert table.encoding == "utf-8"
        assert table.delimiter == ","
        assert table.headers == ("appointId", "remark")
        assert list(table.rows()) == [Row(2, (ID, "café 改约"))]


def test_utf8_with_bom_header_is_clean(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", codecs.BOM_UTF8 + f"appointId,remark\n{ID},x\n".encode())
    with open_table(path) as table:
        assert table.encoding == "utf-8-sig"
        assert table.headers == ("appointId", "remark")
        assert list(table.rows()) == [Row(2, (ID, "x"))]


@pytest.mark.parametrize(
    ("codec", "bom"), [("utf-16-le", codecs.BOM_UTF16_LE), ("utf-16-be", codecs.BOM_UTF16_BE)]
)
def test_utf16_unicode_text_as_excel_writes_it(tmp_path: Path, codec: str, bom: bytes) -> None:
    text = f"appointId\tuserAccount\t备注\r\n{ID}\tagent01\t客户要求改到下午\r\n"
    path = write(tmp_path, "export.txt", bom + text.encode(codec))
    with open_table(path) as table:
        assert table.encoding == codec
        assert table.delimiter == "\t"
        assert table.headers == ("appointId", "userAccount", "备注")
        assert list(table.rows()) == [Row(2, (ID, "agent01", "客户要求改到下午"))]


@pytest.mark.parametrize("codec", ["gbk", "gb18030"])
def test_gbk_chinese_headers_and_remarks(tmp_path: Path, codec: str) -> None:
    text = f"预约ID,坐席账号,预约时间,备注\n{ID},agent01,2030-01-02 10:00,客户要求改到下午\n"
    path = write(tmp_path, "a.csv", text.encode(codec))
    with open_table(path) as table:
        assert table.encoding == "gb18030"
        assert table.headers == ("预约ID", "坐席账号", "预约时间", "备注")
        assert list(table.rows()) == [
            Row(2, (ID, "agent01", "2030-01-02 10:00", "客户要求改到下午"))
        ]


def test_western_8bit_file_is_read_as_windows_1252(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "appointId,remark\n1,ok\n2,Café\n".encode("latin-1"))
    with open_table(path) as table:
        assert table.encoding == "cp1252"
        assert list(table.rows())[1] == Row(3, ("2", "Café"))


def test_bytes_no_known_encoding_reads_error_names_offset_and_line(tmp_path: Path) -> None:
    data = b"appointId,remark\n1,ok\n2,Caf\x81\n"  # 0x81: nothing in cp1252, no GB pair
    path = write(tmp_path, "a.csv", data)
    with pytest.raises(InputFileError) as info:
        open_table(path)
    offset = data.index(b"\x81")
    assert str(info.value) == (
        f"{path}: text line 3: cannot decode byte(s) 81 at byte offset {offset} as utf-8, and "
        "the file does not read as Chinese (GB18030) or Western European (Windows-1252) text "
        "either. Save it as 'CSV UTF-8' or give --encoding"
    )


def test_decode_error_offset_is_absolute_across_chunks(tmp_path: Path) -> None:
    body = "".join(f"{i},备注{i}\n" for i in range(200_000)).encode()  # > 1 MiB
    data = b"appointId,remark\n" + body + b"9,Caf\xe9\n"
    path = write(tmp_path, "a.csv", data)
    with pytest.raises(
        InputFileError, match=rf"text line 200002: .* at byte offset {len(data) - 2} "
    ):
        open_table(path)


def test_forced_encoding_reads_and_reports_errors(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "appointId,remark\n1,Café\n".encode("latin-1"))
    assert read_all(path, encoding="latin-1")[1] == [Row(2, ("1", "Café"))]
    with pytest.raises(InputFileError, match=r"text line 2: cannot decode byte.* as utf-8$"):
        open_table(path, encoding="utf-8")
    with pytest.raises(InputFileError, match="'nope' is not an encoding Python knows"):
        open_table(path, encoding="nope")


def test_utf16_without_bom_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "a.txt", "appointId\tremark\r\n1\tx\r\n".encode("utf-16-le"))
    with pytest.raises(InputFileError, match="NUL characters: it is probably UTF-16 without"):
        open_table(path)
    assert read_all(path, encoding="utf-16-le")[1] == [Row(2, ("1", "x"))]


# --- delimiters and quoting --------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiters_detected(tmp_path: Path, delimiter: str) -> None:
    text = delimiter.join(["appointId", "workNo", "remark"]) + "\n"
    text += delimiter.join([ID, "125", '"a, b; c"']) + "\n"
    path = write(tmp_path, "a.csv", text.encode())
    with open_table(path) as table:
        assert table.delimiter == delimiter
        assert list(table.rows()) == [Row(2, (ID, "125", "a, b; c"))]


def test_delimiter_counts_ignore_quoted_text(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", b'"a;b;c";"d;e";f,g\n1;2;3\n')
    with open_table(path) as table:
        assert table.delimiter == ";"
        assert table.headers == ("a;b;c", "d;e", "f,g")


def test_tsv_single_column_defaults_to_tab(tmp_path: Path) -> None:
    path = write(tmp_path, "a.tsv", b"appointId\n1\n")
    with open_table(path) as table:
        assert table.delimiter == "\t"


def test_embedded_newlines_and_quotes_keep_spreadsheet_line_numbers(tmp_path: Path) -> None:
    text = 'appointId,remark\r\n1,"first\r\nsecond\r\nthird"\r\n2,"say ""hi"""\r\n3,plain\r\n'
    _, rows = read_all(write(tmp_path, "a.csv", text.encode()))
    assert rows == [
        Row(2, ("1", "first\r\nsecond\r\nthird")),
        Row(3, ("2", 'say "hi"')),
        Row(4, ("3", "plain")),
    ]


def test_blank_rows_skipped_counted_and_advance_line(tmp_path: Path) -> None:
    text = "appointId,remark\n1,a\n\n , \n,\n2,b\n\n,,\n"
    path = write(tmp_path, "a.csv", text.encode())
    with open_table(path) as table:
        assert table.estimate_rows() == 7
        assert [r.line for r in table.rows()] == [2, 6]
        assert table.blank_rows == 3  # trailing blank rows are not counted
        assert [r.line for r in table.rows()] == [2, 6]  # a second pass gives the same rows


def test_leading_blank_lines_header_is_first_non_blank(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", b"\n,,\nappointId,remark\n1,a\n")
    with open_table(path) as table:
        assert table.header_line == 3
        assert list(table.rows()) == [Row(4, ("1", "a"))]


def test_short_rows_padded_but_their_last_and_missing_cells_unreadable(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", b"appointId,workNo,remark,\n1,7\n2,125,x,,\n")
    _, rows = read_all(path)
    assert [(r.line, r.values) for r in rows] == [(2, ("1", "7", "")), (3, ("2", "125", "x"))]
    assert [index for index, _why in rows[0].unreadable] == [1, 2]  # workNo may be cut
    last, missing = (why for _index, why in rows[0].unreadable)
    assert last == (
        "the row has 2 cells but the header has 3, so this cell, the row's last, may be cut "
        "short (a line break inside a cell that is not in quotes?): write every cell of the "
        'row, even empty ones ("a,a,"), or save the file again from Excel'
    )
    assert missing.startswith("the row has 2 cells but the header has 3: this cell is missing")
    assert getattr(last, "code", "") == getattr(missing, "code", "") == "row_short"
    assert rows[1].unreadable == ()


@pytest.mark.parametrize(
    ("tail", "cells"),
    [
        ("174729926098016859445364890002,agent.z", 2),  # cut inside userAccount
        ("174729926098016859445364890002,agent.zhao,", 3),  # right after a separator
        ("174729926098016859445364890002,agent.zhao,2027-01-16 10", 3),
    ],
)
def test_a_file_cut_short_inside_a_short_last_line_is_refused(
    tmp_path: Path, tail: str, cells: int
) -> None:
    # each was sent: agent.z with the time left unchanged, exit 0
    head = "appointId,userAccount,appointTime,remark\n1,agent.li,2027-01-15 09:30,ok\n"
    path = write(tmp_path, "a.csv", (head + tail).encode())
    with open_table(path) as table, pytest.raises(InputFileError) as info:
        list(table.rows())
    assert info.value.line == 3
    assert str(info.value) == (
        f"{path}, line 3: the file ends in the middle of a row: its last line has {cells} cells "
        "but the header has 4, and no line break at the end, so the copy was probably cut "
        "short. Copy the file again (nothing was sent)"
    )


def test_a_full_width_last_line_without_a_line_break_has_its_last_cell_unreadable(
    tmp_path: Path,
) -> None:
    head = "appointId,userAccount,appointTime,remark\n1,agent.li,2027-01-15 09:30,ok\n"
    path = write(tmp_path, "a.csv", (head + "2,agent.zhao,2027-01-16 10:00,VIP c").encode())
    _, rows = read_all(path)  # 'VIP c' was sent
    assert rows[0].unreadable == ()
    assert rows[1].values == ("2", "agent.zhao", "2027-01-16 10:00", "VIP c")
    [(index, why)] = rows[1].unreadable
    assert index == 3
    assert getattr(why, "code", "") == "cut_short"
    assert why.startswith("the file ends in this cell without a line break")
    # with the line break the same file is whole
    path.write_bytes((head + "2,agent.zhao,2027-01-16 10:00,VIP c\r\n").encode())
    assert all(row.unreadable == () for row in read_all(path)[1])
    # empty cells after the header's: the row's own cells ended before the cut
    path.write_bytes((head + "2,agent.zhao,2027-01-16 10:00,VIP c,,").encode())
    assert all(row.unreadable == () for row in read_all(path)[1])


def test_more_cells_than_headers_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", b"appointId,remark\n1,a\n2,hello, world\n")
    with open_table(path) as table, pytest.raises(InputFileError) as info:
        list(table.rows())
    assert info.value.line == 3
    assert str(info.value) == (
        f"{path}, line 3: the row has 3 cells but the header has 2; check the delimiter "
        "(comma) and put cells that contain it in double quotes"
    )


# --- header errors, file errors ----------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"\n\n", b" , \r\n,\r\n", codecs.BOM_UTF8])
def test_empty_file(tmp_path: Path, data: bytes) -> None:
    path = write(tmp_path, "a.csv", data)
    with pytest.raises(InputFileError, match="the file is empty: no header row"):
        open_table(path)


def test_duplicate_headers_after_normalisation(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", b"Appoint ID,remark,appoint_id\n1,a,1\n")
    with pytest.raises(InputFileError) as info:
        open_table(path)
    assert str(info.value) == (
        f"{path}, line 1, column 'appoint_id': column 3 (C) repeats the header of column 1 "
        "('Appoint ID'); rename or delete one of them"
    )


def test_empty_header_between_named_ones(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", b"appointId,,remark\n1,,a\n")
    with pytest.raises(InputFileError, match="line 1: column 2 \\(B\\) has no header"):
        open_table(path)


def test_headers_cleaned_of_spaces_and_zero_width(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", " appointId\u200b ,\u00a0remark\u3000\n1,a\n".encode())
    assert read_all(path)[0] == ("appointId", "remark")


def test_unknown_extension_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputFileError) as info:
        open_table(tmp_path / "a.numbers")
    assert str(info.value).endswith(
        "unknown file type '.numbers'; use one of .csv, .tsv, .txt, .xlsx, .xlsm, .xls, .xlsb, .ods"
    )
    with pytest.raises(InputFileError, match="cannot open the file: No such file or directory"):
        open_table(tmp_path / "missing.csv")


def test_rows_after_close_refused(tmp_path: Path) -> None:
    table = open_table(write(tmp_path, "a.csv", b"appointId\n1\n"))
    table.close()
    with pytest.raises(ValueError, match="closed"):
        next(table.rows())


def test_estimate_rows_counts_unterminated_last_line(tmp_path: Path) -> None:
    with open_table(write(tmp_path, "a.csv", b"appointId\n1\n2")) as table:
        assert table.estimate_rows() == 2


def test_column_letter() -> None:
    assert [column_letter(i) for i in (0, 25, 26, 701, 702)] == ["A", "Z", "AA", "ZZ", "AAA"]
