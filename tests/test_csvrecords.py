"""csvrecords.py: stray quotes and over-long cells refuse the file (issue 9, items 5 and 15)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rescheduler.errors import InputFileError
from rescheduler.models import Row
from rescheduler.read.reader import MAX_CELL_CHARS, open_table

HEADER = "appointId,userAccount,appointTime,remark\n"


def rows(tmp_path: Path, text: str) -> list[Row]:
    path = tmp_path / "in.csv"
    path.write_text(text, encoding="utf-8", newline="")
    with open_table(path) as table:
        return list(table.rows())


def refusal(tmp_path: Path, text: str) -> str:
    path = tmp_path / "in.csv"
    path.write_text(text, encoding="utf-8", newline="")
    with pytest.raises(InputFileError) as info, open_table(path) as table:
        list(table.rows())
    return str(info.value).removeprefix(f"{path}: ")


def test_a_quote_that_swallows_rows_refuses_the_file(tmp_path: Path) -> None:
    # the case: three records became one, two reservations never sent nor reported
    text = HEADER + (
        '1001,agent01,2027-01-01 10:00,"Customer said\n'
        "1002,agent02,2027-01-02 10:00,ok\n"
        '1003,agent03,2027-01-03 10:00,call back" later\n'
        "1004,agent04,2027-01-04 10:00,fine\n"
    )
    assert refusal(tmp_path, text) == (
        "text line 2: the quote (\") that opens the cell in column 'remark' (D) runs over the "
        "next 2 text line(s), and text line 3 looks like a row of its own (with the ID "
        "1002): a quote is probably missing or extra. Close the quote where the cell ends, or "
        'write a quote mark that belongs to the text twice ("")'
    )


def test_the_swallowed_line_may_be_the_one_the_quote_closes_on(tmp_path: Path) -> None:
    text = HEADER + '1001,"agent01,2027-01-01 10:00,x\n1002",agent02,2027-01-02 10:00,y\n'
    assert "column 'userAccount' (B) runs over the next 1 text line(s), and text line 3" in (
        refusal(tmp_path, text)
    )


def test_an_unclosed_quote_refuses_the_file_naming_its_line(tmp_path: Path) -> None:
    body = "1001,agent01,2027-01-01 10:00,ok\n1002,agent02,2027-01-02 10:00,\"it's\n"
    message = refusal(tmp_path, HEADER + body + "nothing like a row\n")
    assert message == (
        "text line 3: the quote (\") that opens the cell in column 'remark' (D) is never "
        "closed, so everything after it would be one cell. Close it, or write a quote mark "
        'that belongs to the text twice ("")'
    )
    assert refusal(tmp_path, HEADER + '1001,agent01,2027-01-01 10:00,"oops').startswith(
        "text line 2: the quote"
    )


def test_the_line_counts_text_lines_before_the_quote(tmp_path: Path) -> None:
    text = HEADER + '1001,a,2027-01-01 10:00,"two\nlines"\n1002,b,2027-01-02 10:00,"open\n'
    assert refusal(tmp_path, text).startswith("text line 4: the quote")


def test_real_multiline_cells_still_read(tmp_path: Path) -> None:
    text = HEADER + (
        '1001,agent01,2027-01-01 10:00,"line one\nline two, with a comma\n""quoted"""\n'
        "1002,agent02,2027-01-02 10:00,x\n"
    )
    assert rows(tmp_path, text) == [
        Row(
            2, ("1001", "agent01", "2027-01-01 10:00", 'line one\nline two, with a comma\n"quoted"')
        ),
        Row(3, ("1002", "agent02", "2027-01-02 10:00", "x")),
    ]


def test_a_cell_at_the_limit_reads_and_one_over_it_refuses_the_file(tmp_path: Path) -> None:
    assert MAX_CELL_CHARS == 32_767
    longest = "x" * MAX_CELL_CHARS
    assert rows(tmp_path, HEADER + f"1001,a,,{longest}\n")[0].values[3] == longest
    assert refusal(tmp_path, HEADER + f"1001,a,,{longest}y\n1002,b,,c\n") == (
        "text line 2, column 'remark' (D): the cell has 32,768 characters; a cell holds at "
        "most 32,767 (Excel's limit). Shorten it, or, if it should not be that long, look for "
        'a quote (") opened there and not closed where the cell ends'
    )


def test_a_huge_cell_gets_the_same_message_not_pythons(tmp_path: Path) -> None:
    # over the csv module's own 128 KiB limit: "field larger than field limit" before
    message = refusal(tmp_path, HEADER + "1001,a,," + "改" * 200_000 + "\n")
    assert message == (
        "text line 2, column 'remark' (D): the cell is longer than 32,767 characters, the most "
        "a cell holds (Excel's limit). Shorten it, or, if it should not be that long, look for "
        'a quote (") opened there and not closed where the cell ends'
    )
    quoted = HEADER + '1001,"agent' + "\n1002,b,c,d" * 30_000 + "\n"
    assert refusal(tmp_path, quoted).startswith("text line 2, column 'userAccount' (B): the cell")


def test_excel_text_idiom_reads_as_excel_shows_it(tmp_path: Path) -> None:
    # ="agent.li" and ="001001" were sent with the = and the quotes
    text = (
        'appointId,userAccount,workNo,remark\n'
        '1001,"=""agent.li""","=""001001""","=""VIP"""\n'
        '"=""1002""",agent,1001,"=""say """"hi"""""""\n'
        '1003,agent,=1+1,"=""a""&""b"""\n'
    )
    assert [r.values for r in rows(tmp_path, text)] == [
        ("1001", "agent.li", "001001", "VIP"),
        ("1002", "agent", "1001", 'say "hi"'),
        ("1003", "agent", "=1+1", '="a"&"b"'),  # other formulas: kept as written
    ]


B = "174729926098016859445390000"


@pytest.mark.parametrize(
    "text",
    [
        # appointId in column B: the swallowed lines start with the customer's name
        "customer,appointId,userAccount,appointTime,remark\n"
        f"A,{B}001,agent.li,2027-01-15 09:30,ok\n"
        f'B,{B}002,agent.li,2027-01-15 09:30,"stray quote\n'
        f"C,{B}003,agent.li,2027-01-15 09:30,third\n"
        f'D,{B}004,agent.li,2027-01-15 09:30,fourth"\n'
        f"E,{B}005,agent.li,2027-01-15 09:30,fifth\n",
        # rows that leave out the empty cell at the end: one separator fewer than the header
        "appointId,userAccount,appointTime,remark,customer\n"
        f"{B}001,agent.li,2027-01-15 09:30,ok\n"
        f'{B}002,agent.li,2027-01-15 09:30,"stray quote\n'
        f"{B}003,agent.li,2027-01-15 09:30,third\n"
        f'{B}004,agent.li,2027-01-15 09:30,fourth"\n'
        f"{B}005,agent.li,2027-01-15 09:30,fifth\n",
    ],
)
def test_a_stray_quote_is_caught_wherever_the_id_is_and_in_short_rows(
    tmp_path: Path, text: str
) -> None:
    # both went out: two reservations' text sent inside a remark, the rows never reported
    message = refusal(tmp_path, text)
    assert message.startswith("text line 3: the quote (\") that opens the cell in column")
    assert f"text line 4 looks like a row of its own (with the ID {B}003)" in message


def test_a_multiline_remark_with_numbers_is_not_taken_for_rows(tmp_path: Path) -> None:
    text = HEADER + '1001,agent01,2027-01-01 10:00,"call back\n100, then 200\n3,4"\n'
    assert rows(tmp_path, text)[0].values[3] == "call back\n100, then 200\n3,4"
